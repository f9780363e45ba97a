"""The ECS stacks: per cluster kind, one cluster stack (cluster, capacity, shared ALB) and as many
service stacks as the services need.

Placement is the config's (platform_config/ecs_placement.py, deterministic, independent of list
order): a service lives in stack `services-N`, N the block of its route priority
(`ClusterConfig.stack_of`), and on ALB k of its load-balancer group, k the block of its priority
(`ClusterConfig.alb_of`). Priorities are unique per cluster, so no stack ever holds more than
`services_per_stack` services; adding, removing or reordering services never moves another
service, so its logical IDs stay put. Changing a service's priority across a block boundary moves
it to another stack: CloudFormation then creates the new service before deleting the old one
(service names are generated, so both can exist for a moment). Sparse priorities make sparse
stacks; number services 1, 2, 3, ... The default group's first ALB keeps the construct ids of the
single shared ALB (`SharedLoadBalancer`, output `LoadBalancerDnsName`); every other ALB's ids name
its group and number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypedDict, TypeVar

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from container_constructs.common import retention_days
from container_constructs.ecs_ec2_cluster import Ec2Cluster, Ec2ClusterProps
from container_constructs.ecs_fargate_cluster import FargateCluster, FargateClusterProps
from container_constructs.ecs_managed_instances import (
    ManagedInstancesCluster,
    ManagedInstancesClusterProps,
)
from container_constructs.ecs_service_cluster import ServiceCluster, ServiceLoadBalancer
from container_constructs.load_balancer import SharedLoadBalancer, SharedLoadBalancerProps
from container_constructs.web_service import CPU_ARCHITECTURES, WebService, WebServiceProps
from platform_config.ecs import ClusterConfig, Ec2ClusterConfig, FargateClusterConfig
from platform_config.ecs_managed_instances import ManagedInstancesClusterConfig
from platform_config.ecs_placement import AlbKey
from platform_config.ecs_service import ServiceConfig
from stacks import names
from stacks.common import StackSettings
from stacks.ecs_operations import (
    add_cluster_dashboard,
    add_service_alarms,
    alarm_topic,
    release_props,
)
from stacks.ecs_secrets import grant_secret_keys, service_secrets

# The default group's first ALB (see stacks/names.py FIRST_LOAD_BALANCER for its ids).
FIRST_ALB = AlbKey(*names.FIRST_LOAD_BALANCER)


class ClusterBasics(TypedDict):
    """The props both cluster constructs take alike, as a cluster stack sets them."""

    vpc: ec2.IVpc
    container_insights: ecs.ContainerInsights
    exec_log_retention: logs.RetentionDays
    log_encryption_key: kms.IKey | None
    removal_policy: RemovalPolicy
    exec_log_group_name: str


SectionT = TypeVar("SectionT", bound=ClusterConfig)


class EcsClusterStack(Stack, Generic[SectionT]):
    """One ECS cluster, its capacity and the ALBs its services share: what both cluster kinds
    have in common. `Ec2ClusterStack` and `FargateClusterStack` add the cluster itself.

    The ALBs depend on the services only through which ALBs exist (load-balancer groups and
    priority blocks, `ClusterConfig.assign_load_balancers`: none, with no access-log bucket, while
    no service needs one); nothing else of a service (its port, its rules) reaches this stack, so
    adding a service to an existing ALB changes only the cluster's dashboard (generated from the
    service list; stacks/ecs_operations.py).

    Args:
        settings: the environment-wide settings. Required.
        section: the cluster's config section (`ecs.ec2` or `ecs.fargate`). Required.
        vpc: the VPC (network stack). Required.
        vpc_cidr: the VPC's CIDR as a literal: what internal ALBs admit. Required.
        kind: the cluster's kind in the config (`ecs.<kind>`). Required.

    Attributes:
        service_cluster: the handle service stacks import the cluster by.
        load_balancers: every `SharedLoadBalancer` by ALB (group and number); none while no
            service of the cluster needs a load balancer (`ClusterConfig.web_services`).
        load_balancer: the default group's first ALB, None without ALBs.
        log_key: the KMS key of the log groups of this cluster's stacks (None unless configured).
        exec_log_group_name: the literal name of the cluster's ECS Exec log group.
        dashboard: the cluster's dashboard (stacks/ecs_operations.py).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        section: SectionT,
        vpc: ec2.IVpc,
        vpc_cidr: str,
        kind: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.log_key: kms.IKey | None = settings.log_encryption_key(self)
        self.exec_log_group_name = names.exec_log_group_name(self.stack_name)
        self.service_cluster = self._add_cluster(
            section,
            ClusterBasics(
                vpc=vpc,
                container_insights=(
                    ecs.ContainerInsights.ENHANCED
                    if section.container_insights == "enhanced"
                    else ecs.ContainerInsights.ENABLED
                ),
                exec_log_retention=retention_days(section.exec_log_retention_days),
                log_encryption_key=self.log_key,
                removal_policy=settings.removal_policy,
                exec_log_group_name=self.exec_log_group_name,
            ),
        )
        kind = self.service_cluster.launch_type
        self.load_balancers: dict[AlbKey, SharedLoadBalancer] = {}
        for key in section.assign_load_balancers():
            balancer = section.load_balancer_groups[key.group]
            shared = SharedLoadBalancer(
                self,
                names.load_balancer_construct_id(key),
                props=SharedLoadBalancerProps(
                    vpc=vpc,
                    certificate_arn=balancer.certificate_arn,
                    additional_certificate_arns=balancer.additional_certificate_arns,
                    internal=balancer.internal,
                    internal_cidr=vpc_cidr if balancer.internal else None,
                    idle_timeout=Duration.seconds(balancer.idle_timeout_seconds),
                    access_log_expiration=Duration.days(balancer.access_log_retention_days),
                    removal_policy=settings.removal_policy,
                ),
            )
            self.load_balancers[key] = shared
            if shared.test_listener is not None:
                # Exported whether or not a service imports it now, so that a service switching
                # to or from a traffic-shifting release never adds or removes an export in use.
                self.export_value(shared.test_listener.listener_arn)
            scheme = "internal" if balancer.internal else "internet-facing"
            CfnOutput(
                self,
                names.load_balancer_dns_output(key),
                value=shared.load_balancer.load_balancer_dns_name,
                description=(
                    f"DNS name of the ALB shared by the {kind} cluster's services"
                    if key == FIRST_ALB
                    else f"DNS name of {scheme} ALB {key.name} of the {kind} cluster"
                ),
            )
        self.load_balancer = self.load_balancers.get(FIRST_ALB)
        self.dashboard = add_cluster_dashboard(
            self,
            settings=settings,
            kind=kind,
            section=section,
            cluster_name=self.service_cluster.cluster.cluster_name,
            load_balancer_full_names=[
                shared.load_balancer.load_balancer_full_name
                for shared in self.load_balancers.values()
            ],
        )
        CfnOutput(self, names.CLUSTER_NAME_OUTPUT, value=self.service_cluster.cluster.cluster_name)

    @property
    def service_load_balancers(self) -> dict[AlbKey, ServiceLoadBalancer]:
        """The handle of every ALB, by ALB (what service stacks import each ALB by)."""
        return {key: shared.service_load_balancer for key, shared in self.load_balancers.items()}

    def _add_cluster(self, section: SectionT, basics: ClusterBasics) -> ServiceCluster:
        """Add the cluster construct of this kind; return its handle."""
        raise NotImplementedError("use Ec2ClusterStack or FargateClusterStack")


class Ec2ClusterStack(EcsClusterStack[Ec2ClusterConfig]):
    """The `ecs-ec2` cluster stack: an `Ec2Cluster` (Auto Scaling group capacity) and its ALBs."""

    def _add_cluster(self, section: Ec2ClusterConfig, basics: ClusterBasics) -> ServiceCluster:
        cluster = Ec2Cluster(
            self,
            names.EC2_CLUSTER_CONSTRUCT,
            props=Ec2ClusterProps(
                instance_types=section.instance_types,
                machine_image=section.machine_image,
                min_instances=section.min_instances,
                max_instances=section.max_instances,
                target_capacity_percent=section.target_capacity_percent,
                spot=section.spot,
                on_demand_base_capacity=section.on_demand_base_capacity,
                managed_termination_protection=section.managed_termination_protection,
                root_volume_gib=section.root_volume_gib,
                **basics,
            ),
        )
        return cluster.service_cluster


class FargateClusterStack(EcsClusterStack[FargateClusterConfig]):
    """The `ecs-fargate` cluster stack: a `FargateCluster` and its ALBs."""

    def _add_cluster(self, section: FargateClusterConfig, basics: ClusterBasics) -> ServiceCluster:
        cluster = FargateCluster(
            self,
            names.FARGATE_CLUSTER_CONSTRUCT,
            props=FargateClusterProps(
                default_strategy=[
                    ecs.CapacityProviderStrategy(
                        capacity_provider=share.capacity_provider,
                        weight=share.weight,
                        base=share.base or None,
                    )
                    for share in section.default_strategy
                ],
                **basics,
            ),
        )
        return cluster.service_cluster


class ManagedInstancesClusterStack(EcsClusterStack[ManagedInstancesClusterConfig]):
    """The `ecs-managed-instances` cluster stack: a `ManagedInstancesCluster` and its ALBs."""

    def _add_cluster(
        self, section: ManagedInstancesClusterConfig, basics: ClusterBasics
    ) -> ServiceCluster:
        cluster = ManagedInstancesCluster(
            self,
            names.MANAGED_INSTANCES_CLUSTER_CONSTRUCT,
            props=ManagedInstancesClusterProps(
                min_vcpus=section.min_vcpus,
                max_vcpus=section.max_vcpus,
                min_memory_gib=section.min_memory_gib,
                cpu_architecture=section.cpu_architecture,
                spot=section.spot,
                **basics,
            ),
        )
        return cluster.service_cluster


class EcsServicesStack(Stack):
    """A group of web services of one cluster, each attached to its ALB in the cluster stack.

    Cross-stack wiring is one-way (this stack depends on the cluster stack): the cluster, its
    ECS Exec log group (by its literal name) and each ALB's listener and security group are
    imported from the handles' attributes (`ServiceCluster.from_attributes`,
    `ServiceLoadBalancer.from_attributes`), so nothing here can add to the cluster stack. The only
    security-group rule touching an ALB's group (tasks' ingress from it) lives in this stack; the
    ALB's egress is a fixed port range in the cluster stack.

    Args:
        settings: the environment-wide settings. Required.
        section: the cluster's config section (placement of services on ALBs). Required.
        services: the services this stack holds (`ClusterConfig.assign_service_stacks`).
            Required.
        cluster: the cluster stack's `service_cluster`. Required.
        load_balancers: the cluster stack's `service_load_balancers`. Required.
        exec_log_group_name: the literal name of the cluster's ECS Exec log group, or None.
            Required.
        repositories: the registry's repositories by config name. Required.
        alarms: the alarms stack, whose topic the services' alarms notify. Required.

    Attributes:
        service_cluster: the cluster as imported into this stack.
        services: the `WebService` constructs by service name.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        section: ClusterConfig,
        services: Sequence[ServiceConfig],
        cluster: ServiceCluster,
        load_balancers: Mapping[AlbKey, ServiceLoadBalancer],
        exec_log_group_name: str | None,
        repositories: Mapping[str, ecr.IRepository],
        alarms: Stack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.add_stack_dependency(Stack.of(cluster.cluster))
        topic = alarm_topic(self, settings, alarms)
        imported: dict[AlbKey, ServiceLoadBalancer] = {}
        for key in sorted({section.alb_of(service) for service in services}):
            balancer = load_balancers[key]
            imported[key] = ServiceLoadBalancer.from_attributes(
                self,
                names.load_balancer_import_construct_id(key),
                listener_arn=balancer.listener.listener_arn,
                security_group_id=balancer.security_group.security_group_id,
                scheme=balancer.scheme,
                dns_name=balancer.dns_name,
                test_listener_arn=(
                    balancer.test_listener.listener_arn if balancer.test_listener else None
                ),
            )
        self.service_cluster = ServiceCluster.from_attributes(
            self,
            names.IMPORTED_CLUSTER_CONSTRUCT,
            cluster_name=cluster.cluster.cluster_name,
            vpc=cluster.cluster.vpc,
            launch_type=cluster.launch_type,
            capacity_provider_strategy=cluster.capacity_provider_strategy,
            exec_log_group_name=exec_log_group_name,
            log_key_arn=cluster.log_key.key_arn if cluster.log_key is not None else None,
        )
        self.services: dict[str, WebService] = {}
        for service in services:
            balancer = imported[section.alb_of(service)]
            web_service = WebService(
                self,
                names.service_construct_id(service.name),
                props=WebServiceProps(
                    cluster=self.service_cluster,
                    load_balancer=balancer,
                    listener_priority=service.route.priority,
                    path_patterns=service.route.paths,
                    host_headers=service.route.hosts,
                    image=_image(service, repositories),
                    repository=_repository(service, repositories),
                    container_port=service.container_port,
                    user=service.user,
                    cpu=service.cpu,
                    memory_mib=service.memory_mib,
                    cpu_architecture=CPU_ARCHITECTURES[service.cpu_architecture],
                    writable_paths=service.writable_paths,
                    secrets=service_secrets(self, service),
                    health_check_path=service.health_check_path,
                    health_check_grace=Duration.seconds(service.health_check_grace_seconds),
                    min_tasks=service.scaling.min_tasks,
                    max_tasks=service.scaling.max_tasks,
                    desired_tasks=service.scaling.desired_tasks,
                    cpu_target_percent=service.scaling.cpu_target_percent,
                    requests_per_target=service.scaling.requests_per_target,
                    enable_execute_command=service.enable_execute_command,
                    log_retention=retention_days(service.log_retention_days),
                    log_encryption_key=self.service_cluster.log_key,
                    removal_policy=settings.removal_policy,
                    release=release_props(service.release),
                ),
            )
            add_service_alarms(
                web_service,
                service,
                topic=topic,
                listener_arn=balancer.listener.listener_arn,
            )
            grant_secret_keys(web_service.execution_role, service, settings.region)
            self.services[service.name] = web_service
            CfnOutput(
                self,
                names.service_url_output(service.name),
                value=_url(balancer.scheme, balancer.dns_name, service),
                description=f"URL of service {service.name}",
            )


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


def _url(scheme: str, dns_name: str, service: ServiceConfig) -> str:
    host = service.route.hosts[0] if service.route.hosts else dns_name
    path = service.route.paths[0] if service.route.paths else "/"
    return f"{scheme}://{host}{path.rstrip('*') or '/'}"
