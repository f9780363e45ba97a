"""The ECS stacks: per cluster kind, one cluster stack (cluster, capacity, shared ALB) and as many
service stacks as the services need.

Service placement rule (deterministic, independent of list order): a service lives in stack
`services-N` with N = (route.priority - 1) // services_per_stack + 1. Priorities are unique per
cluster, so no stack ever holds more than `services_per_stack` services; adding, removing or
reordering services never moves another service, so its logical IDs stay put. Changing a
service's priority across a block boundary moves it to another stack: CloudFormation then
creates the new service before deleting the old one (service names are generated, so both can
exist for a moment). Sparse priorities make sparse stacks; number services 1, 2, 3, ...

ALB placement follows the same rule (platform_config.ecs.ClusterConfig.alb_of): a service's
load-balancer group (its `load_balancer`, default: the default group) and, within the group,
ALB k = (route.priority - 1) // services_per_load_balancer + 1. The default group's first ALB
keeps the construct ids of the single shared ALB (`SharedLoadBalancer`, output
`LoadBalancerDnsName`); every other ALB's ids name its group and number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from container_constructs.common import retention_days
from container_constructs.ecs_ec2_cluster import Ec2Cluster, Ec2ClusterProps
from container_constructs.ecs_fargate_cluster import FargateCluster, FargateClusterProps
from container_constructs.load_balancer import SharedLoadBalancer, SharedLoadBalancerProps
from container_constructs.web_service import WebService, WebServiceProps
from platform_config import PlatformConfig
from platform_config.ecs import DEFAULT_GROUP, AlbKey, ClusterConfig, ServiceConfig
from stacks.common import StackSettings

ClusterKind = Literal["ec2", "fargate"]


def exec_log_group_name(cluster_stack_name: str) -> str:
    """The ECS Exec log group's fixed name: service stacks name it in their task role policies
    without a cross-stack reference (and so the cdk-nag acknowledgment can name it exactly)."""
    return f"/aws/ecs/exec/{cluster_stack_name}"


# The default group's first ALB: it keeps the construct ids of the single shared ALB before
# load-balancer groups, so the templates of existing environments do not change.
FIRST_ALB = AlbKey(DEFAULT_GROUP, 1)


def load_balancer_construct_id(key: AlbKey) -> str:
    """Construct id of ALB `key` in the cluster stack: derived from its group and number only."""
    return _alb_id(key, "SharedLoadBalancer")


def _alb_id(key: AlbKey, prefix: str) -> str:
    """`prefix` for the first ALB (today's ids), else `prefix<Group>Alb<number>`: group names are
    lowercase letters and digits, so the capital A of "Alb" keeps every (group, number) apart
    (group default2's ALB 1 is Default2Alb1, group default's ALB 21 is DefaultAlb21)."""
    if key == FIRST_ALB:
        return prefix
    return f"{prefix}{key.group.capitalize()}Alb{key.number}"


def service_stack_number(priority: int, services_per_stack: int) -> int:
    """The number N of the `services-N` stack that holds the service with route `priority`."""
    return (priority - 1) // services_per_stack + 1


def assign_service_stacks(section: ClusterConfig) -> dict[int, list[ServiceConfig]]:
    """Services by the number of the stack that holds them (see the module docstring)."""
    stacks: dict[int, list[ServiceConfig]] = {}
    for service in section.services:
        number = service_stack_number(service.route.priority, section.services_per_stack)
        stacks.setdefault(number, []).append(service)
    return dict(sorted(stacks.items()))


class EcsClusterStack(Stack):
    """One ECS cluster (EC2 or Fargate), its capacity and the ALBs its services share.

    Attributes:
        kind: "ec2" or "fargate".
        cluster: the ECS cluster.
        default_strategy: the capacity provider strategy services use.
        load_balancers: every `SharedLoadBalancer` by ALB (group and number).
        load_balancer: the default group's first ALB (always there).
        log_key: the KMS key of the log groups of this cluster's stacks (None unless configured).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        settings: StackSettings,
        kind: ClusterKind,
        vpc: ec2.IVpc,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.kind = kind
        section: ClusterConfig = config.ecs.ec2 if kind == "ec2" else config.ecs.fargate
        self.log_key: kms.IKey | None = settings.log_encryption_key(self)
        insights = (
            ecs.ContainerInsights.ENHANCED
            if section.container_insights == "enhanced"
            else ecs.ContainerInsights.ENABLED
        )
        common: dict[str, Any] = {
            "vpc": vpc,
            "container_insights": insights,
            "exec_log_retention": retention_days(section.exec_log_retention_days),
            "log_encryption_key": self.log_key,
            "removal_policy": settings.removal_policy,
            "exec_log_group_name": exec_log_group_name(self.stack_name),
        }
        if kind == "ec2":
            ec2_section = config.ecs.ec2
            ec2_cluster = Ec2Cluster(
                self,
                "Ec2Cluster",
                props=Ec2ClusterProps(
                    instance_types=ec2_section.instance_types,
                    machine_image=ec2_section.machine_image,
                    min_instances=ec2_section.min_instances,
                    max_instances=ec2_section.max_instances,
                    target_capacity_percent=ec2_section.target_capacity_percent,
                    spot=ec2_section.spot,
                    on_demand_base_capacity=ec2_section.on_demand_base_capacity,
                    managed_termination_protection=ec2_section.managed_termination_protection,
                    root_volume_gib=ec2_section.root_volume_gib,
                    **common,
                ),
            )
            self.cluster: ecs.ICluster = ec2_cluster.cluster
            self.default_strategy = ec2_cluster.default_strategy
        else:
            fargate_cluster = FargateCluster(
                self,
                "FargateCluster",
                props=FargateClusterProps(
                    default_strategy=[
                        ecs.CapacityProviderStrategy(
                            capacity_provider=share.capacity_provider,
                            weight=share.weight,
                            base=share.base or None,
                        )
                        for share in config.ecs.fargate.default_strategy
                    ],
                    **common,
                ),
            )
            self.cluster = fargate_cluster.cluster
            self.default_strategy = fargate_cluster.default_strategy

        self.load_balancers: dict[AlbKey, SharedLoadBalancer] = {}
        for key, services in section.assign_load_balancers().items():
            balancer = section.load_balancer_groups[key.group]
            ports = sorted({service.container_port for service in services}) or [8080]
            shared = SharedLoadBalancer(
                self,
                load_balancer_construct_id(key),
                props=SharedLoadBalancerProps(
                    vpc=vpc,
                    target_ports=ports,
                    certificate_arn=balancer.certificate_arn,
                    additional_certificate_arns=balancer.additional_certificate_arns,
                    internal=balancer.internal,
                    internal_cidr=config.network.vpc_cidr if balancer.internal else None,
                    idle_timeout=Duration.seconds(balancer.idle_timeout_seconds),
                    access_log_expiration=Duration.days(balancer.access_log_retention_days),
                    removal_policy=settings.removal_policy,
                ),
            )
            self.load_balancers[key] = shared
            scheme = "internal" if balancer.internal else "internet-facing"
            CfnOutput(
                self,
                _alb_id(key, "LoadBalancerDnsName"),
                value=shared.load_balancer.load_balancer_dns_name,
                description=(
                    f"DNS name of the ALB shared by the {kind} cluster's services"
                    if key == FIRST_ALB
                    else f"DNS name of {scheme} ALB {key.name} of the {kind} cluster"
                ),
            )
        self.load_balancer = self.load_balancers[FIRST_ALB]
        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name)


class EcsServicesStack(Stack):
    """A group of web services of one cluster, each attached to its ALB in the cluster stack.

    Cross-stack wiring is one-way (this stack depends on the cluster stack): the listener and
    the security group of each ALB the services use are imported by ARN/ID, and the only
    security-group rule touching an ALB's group (tasks' ingress from it) lives in this stack; the
    ALB's egress to the target ports is a VPC-CIDR rule in the cluster stack.

    Attributes:
        services: the `WebService` constructs by service name.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        settings: StackSettings,
        cluster_stack: EcsClusterStack,
        services: Sequence[ServiceConfig],
        repositories: Mapping[str, ecr.IRepository],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.add_stack_dependency(cluster_stack)
        section = config.ecs.ec2 if cluster_stack.kind == "ec2" else config.ecs.fargate
        listeners: dict[AlbKey, elbv2.IApplicationListener] = {}
        for key in sorted({section.alb_of(service) for service in services}):
            shared = cluster_stack.load_balancers[key]
            alb_security_group = ec2.SecurityGroup.from_security_group_id(
                self,
                _alb_id(key, "LoadBalancerSecurityGroup"),
                shared.security_group.security_group_id,
                mutable=False,
            )
            listeners[key] = elbv2.ApplicationListener.from_application_listener_attributes(
                self,
                _alb_id(key, "Listener"),
                listener_arn=shared.listener.listener_arn,
                security_group=alb_security_group,
            )
        log_group_name = exec_log_group_name(cluster_stack.stack_name)
        # Imported by name: nothing in this stack can add to the cluster stack.
        cluster = ecs.Cluster.from_cluster_attributes(
            self,
            "Cluster",
            cluster_name=cluster_stack.cluster.cluster_name,
            vpc=cluster_stack.cluster.vpc,
            has_ec2_capacity=cluster_stack.kind == "ec2",
            execute_command_configuration=ecs.ExecuteCommandConfiguration(
                logging=ecs.ExecuteCommandLogging.OVERRIDE,
                log_configuration=ecs.ExecuteCommandLogConfiguration(
                    cloud_watch_log_group=logs.LogGroup.from_log_group_name(
                        self, "ExecLogGroup", log_group_name
                    ),
                    cloud_watch_encryption_enabled=cluster_stack.log_key is not None,
                ),
            ),
        )
        self.services: dict[str, WebService] = {}
        for service in services:
            key = section.alb_of(service)
            shared = cluster_stack.load_balancers[key]
            web_service = WebService(
                self,
                _construct_id(service.name),
                props=WebServiceProps(
                    cluster=cluster,
                    launch_type=cluster_stack.kind,
                    capacity_provider_strategy=cluster_stack.default_strategy,
                    listener=listeners[key],
                    listener_priority=service.route.priority,
                    path_patterns=service.route.paths,
                    host_headers=service.route.hosts,
                    image=_image(service, repositories),
                    repository=_repository(service, repositories),
                    container_port=service.container_port,
                    user=service.user,
                    cpu=service.cpu,
                    memory_mib=service.memory_mib,
                    cpu_architecture=(
                        ecs.CpuArchitecture.ARM64
                        if service.cpu_architecture == "arm64"
                        else ecs.CpuArchitecture.X86_64
                    ),
                    writable_paths=service.writable_paths,
                    secrets=_secrets(self, service),
                    health_check_path=service.health_check_path,
                    health_check_grace=Duration.seconds(service.health_check_grace_seconds),
                    min_tasks=service.scaling.min_tasks,
                    max_tasks=service.scaling.max_tasks,
                    desired_tasks=service.scaling.desired_tasks,
                    cpu_target_percent=service.scaling.cpu_target_percent,
                    requests_per_target=service.scaling.requests_per_target,
                    enable_execute_command=service.enable_execute_command,
                    log_retention=retention_days(service.log_retention_days),
                    log_encryption_key=cluster_stack.log_key,
                    removal_policy=settings.removal_policy,
                ),
            )
            _grant_secret_keys(web_service.execution_role, service, config.region)
            self.services[service.name] = web_service
            CfnOutput(
                self,
                f"{_construct_id(service.name)}Url",
                value=_url(shared.scheme, shared.load_balancer.load_balancer_dns_name, service),
                description=f"URL of service {service.name}",
            )


def _construct_id(name: str) -> str:
    """Construct id of a service: derived from its name only, so logical IDs never shift."""
    return "Service" + "".join(part.capitalize() for part in name.split("-"))


def _repository(
    service: ServiceConfig, repositories: Mapping[str, ecr.IRepository]
) -> ecr.IRepository | None:
    name = service.image.repository
    if name is None:
        return None
    if name not in repositories:  # PlatformConfig._images_in_registry rejects this first
        raise ValueError(
            f"service {service.name}: repository '{name}' was not passed to the stack "
            f"(have: {', '.join(sorted(repositories)) or 'none'})"
        )
    return repositories[name]


def _image(
    service: ServiceConfig, repositories: Mapping[str, ecr.IRepository]
) -> ecs.ContainerImage:
    repository = _repository(service, repositories)
    if repository is not None:
        # Pull is granted explicitly to the execution role by WebService (repository prop).
        return ecs.ContainerImage.from_registry(
            repository.repository_uri_for_tag(service.image.tag)
        )
    assert service.image.uri is not None  # ImageConfig guarantees uri or repository
    return ecs.ContainerImage.from_registry(service.image.uri)


def _secrets(scope: Construct, service: ServiceConfig) -> dict[str, ecs.Secret]:
    """The service's secrets, each imported so that aws-cdk-lib's grant to the execution role
    names exactly it: a complete ARN as given, a name as NAME-?????? in the stack's account and
    region, a parameter by its full ARN (account and region kept)."""
    secrets: dict[str, ecs.Secret] = {}
    for variable, spec in sorted(service.secrets.items()):
        construct_id = f"{_construct_id(service.name)}Secret{variable}"
        if spec.ssm_parameter_arn is not None:
            parameter = ssm.StringParameter.from_string_parameter_arn(
                scope, construct_id, spec.ssm_parameter_arn
            )
            secrets[variable] = ecs.Secret.from_ssm_parameter(parameter)
            continue
        if spec.secrets_manager_arn is not None:
            secret = secretsmanager.Secret.from_secret_complete_arn(
                scope, construct_id, spec.secrets_manager_arn
            )
        else:
            assert spec.secrets_manager_name is not None  # SecretConfig: exactly one kind
            secret = secretsmanager.Secret.from_secret_name_v2(
                scope, construct_id, spec.secrets_manager_name
            )
        secrets[variable] = ecs.Secret.from_secrets_manager(secret, spec.json_key)
    return secrets


def _grant_secret_keys(role: iam.IRole, service: ServiceConfig, region: str) -> None:
    """kms:Decrypt on each customer-managed key of the service's secrets, only through the
    service that holds the secret (kms:ViaService) in the key's region."""
    services_by_key: dict[str, set[str]] = {}
    for spec in service.secrets.values():
        if spec.kms_key_arn is None:
            continue
        via = "ssm" if spec.ssm_parameter_arn is not None else "secretsmanager"
        key_region = spec.key_region or region
        services_by_key.setdefault(spec.kms_key_arn, set()).add(f"{via}.{key_region}.amazonaws.com")
    for key_arn, via_services in sorted(services_by_key.items()):
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key_arn],
                conditions={"StringEquals": {"kms:ViaService": sorted(via_services)}},
            )
        )


def _url(scheme: str, dns_name: str, service: ServiceConfig) -> str:
    host = service.route.hosts[0] if service.route.hosts else dns_name
    path = service.route.paths[0] if service.route.paths else "/"
    return f"{scheme}://{host}{path.rstrip('*') or '/'}"
