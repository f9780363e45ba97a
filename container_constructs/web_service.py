"""A containerised HTTP service on an ECS cluster (EC2 or Fargate) behind a shared ALB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from container_constructs import checks, defaults
from container_constructs.common import DEFAULT_LOG_RETENTION, secure_log_group
from container_constructs.ecs_managed_instances import managed_instances_task_definition
from container_constructs.ecs_service_cluster import ServiceCluster, ServiceLoadBalancer
from container_constructs.service_release import ServiceReleaseProps, route_to_service
from container_constructs.task_volumes import (
    VolumePermissions,
    add_scratch_volumes,
    add_volume_permissions_init,
    check_volume_permissions_user,
    check_writable_paths,
    exec_agent_paths,
)

# The CPU architectures of a Fargate task by the names the config uses (defaults.CPU_ARCHITECTURE).
CPU_ARCHITECTURES = {"x86_64": ecs.CpuArchitecture.X86_64, "arm64": ecs.CpuArchitecture.ARM64}


@dataclass(frozen=True, kw_only=True)
class WebServiceProps:
    """Props of `WebService`.

    Attributes:
        cluster: the cluster to run on: its ECS cluster, launch type ("fargate" or "ec2",
            awsvpc networking either way), capacity provider strategy and ECS Exec log group
            (`Ec2Cluster.service_cluster`, `FargateCluster.service_cluster`, or
            `ServiceCluster.from_attributes` in another stack). Required.
        load_balancer: the shared ALB to sit behind: the listener to add a rule to and the
            security group the tasks admit (`SharedLoadBalancer.service_load_balancer`, or
            `ServiceLoadBalancer.from_attributes` in another stack). Required.
        listener_priority: the rule's priority, unique on the listener. Required.
        image: the container image. Required.
        path_patterns: the rule's path conditions (this or host_headers). Default: none.
        host_headers: the rule's host conditions (this or path_patterns). Default: none.
        repository: our ECR repository the image is in; pull is granted to the execution role.
            Default: None (a public image).
        container_port: unprivileged port the app listens on. Default: 8080.
        user: non-root uid[:gid]. Default: "1000".
        cpu: task CPU units (Fargate: a pair with memory_mib AWS offers). Default: 256.
        memory_mib: task memory in MiB. Default: 512.
        cpu_architecture: Fargate CPU architecture. Default: X86_64.
        writable_paths: scratch volumes under the read-only root. Default: ("/tmp",).
        volume_permissions: how the non-root app gets write access to its scratch volumes,
            which start root-owned 0755: "init-container" (a non-essential container chowns them
            to `user`, which must then be numeric, and the app waits for its success) or "none"
            (the image declares VOLUME there, or the app needs no write access).
            Default: "init-container".
        secrets: environment variable -> secret injected at start. Default: none.
        health_check_path: ALB health check path. Default: "/".
        health_check_grace: ECS ignores ALB health checks this long after a start. Default: 60s.
        min_tasks: auto scaling minimum. Default: 1.
        max_tasks: auto scaling maximum. Default: 2.
        desired_tasks: initial task count. Default: min_tasks.
        cpu_target_percent: CPU utilisation to track. Default: 60.
        requests_per_target: ALB requests per task (per minute) to track. Default: 500.
        enable_execute_command: allow ECS Exec; adds the volumes its agent needs under the
            read-only root (which AWS does not support, see README). Default: True.
        log_retention: application log retention. Default: one month.
        log_encryption_key: KMS key of the log group (e.g. the cluster's `log_key`).
            Default: none.
        removal_policy: of the log group. Default: RETAIN.
        release: how ECS releases a new revision (service_release.py); the blue/green family
            needs the ALB's test listener. Default: rolling.
    """

    cluster: ServiceCluster
    load_balancer: ServiceLoadBalancer
    listener_priority: int
    image: ecs.ContainerImage
    path_patterns: Sequence[str] = ()
    host_headers: Sequence[str] = ()
    repository: ecr.IRepository | None = None
    container_port: int = defaults.CONTAINER_PORT
    user: str = defaults.USER
    cpu: int = defaults.TASK_CPU
    memory_mib: int = defaults.TASK_MEMORY_MIB
    cpu_architecture: ecs.CpuArchitecture = CPU_ARCHITECTURES[defaults.CPU_ARCHITECTURE]
    writable_paths: Sequence[str] = defaults.WRITABLE_PATHS
    volume_permissions: VolumePermissions = "init-container"
    secrets: Mapping[str, ecs.Secret] = field(default_factory=dict)
    health_check_path: str = defaults.HEALTH_CHECK_PATH
    health_check_grace: Duration = field(
        default_factory=lambda: Duration.seconds(defaults.HEALTH_CHECK_GRACE_SECONDS)
    )
    min_tasks: int = defaults.MIN_TASKS
    max_tasks: int = defaults.MAX_TASKS
    desired_tasks: int | None = None
    cpu_target_percent: int = defaults.CPU_TARGET_PERCENT
    requests_per_target: int = defaults.REQUESTS_PER_TARGET
    enable_execute_command: bool = defaults.ENABLE_EXECUTE_COMMAND
    log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION
    log_encryption_key: kms.IKey | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    release: ServiceReleaseProps = field(default_factory=ServiceReleaseProps)


class WebService(Construct):
    """An ECS service in private subnets with hardened containers (unprivileged, non-root,
    read-only root, all capabilities dropped), separate task and execution roles, a log group
    with retention, a deployment circuit breaker with rollback (100 %/200 %), a target group and
    listener rule on the shared ALB, and target tracking on CPU and ALB requests per target.
    Tasks accept traffic only from the ALB's security group (the listener's connections), on
    their container port; which ports the ALB may send to is the ALB's own rule
    (`SharedLoadBalancerProps.target_port_range`), so a service adds nothing to the ALB.

    Attributes:
        service: the ECS service.
        task_definition: its task definition.
        container: the application container.
        volume_permissions_container: the init container that chowns the scratch volumes, or
            None (volume_permissions "none", or no scratch volumes of the app's own).
        task_role / execution_role: the app's role and the role ECS pulls and logs with.
        log_group: the application log group.
        security_group: the tasks' security group.
        target_group: the ALB target group.
        listener_rule: the rule routing to `target_group`.
        scaling: the task count auto scaling.
        alternate: the alternate target group, test rule and release role of a traffic-shifting
            release, or None (rolling).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: WebServiceProps) -> None:
        super().__init__(scope, construct_id)
        _check(props)
        launch_type = props.cluster.launch_type
        vpc = props.cluster.cluster.vpc
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="The application's own permissions",
        )
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="ECS agent: pull the image, write logs, read the injected secrets",
        )
        if launch_type == "managed_instances":
            self.task_definition: ecs.TaskDefinition = managed_instances_task_definition(
                self, props.cpu, props.memory_mib, self.task_role, self.execution_role
            )
        elif launch_type == "fargate":
            self.task_definition = ecs.FargateTaskDefinition(
                self,
                "TaskDefinition",
                cpu=props.cpu,
                memory_limit_mib=props.memory_mib,
                runtime_platform=ecs.RuntimePlatform(
                    cpu_architecture=props.cpu_architecture,
                    operating_system_family=ecs.OperatingSystemFamily.LINUX,
                ),
                task_role=self.task_role,
                execution_role=self.execution_role,
            )
        else:
            self.task_definition = ecs.Ec2TaskDefinition(
                self,
                "TaskDefinition",
                network_mode=ecs.NetworkMode.AWS_VPC,
                task_role=self.task_role,
                execution_role=self.execution_role,
            )
        if props.repository is not None:
            props.repository.grant_pull(self.execution_role)
            Validations.of(self.execution_role).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                    reason="ecr:GetAuthorizationToken supports no resource scoping; image pull "
                    "itself is scoped to the repository",
                )
            )

        self.log_group = secure_log_group(
            self,
            "LogGroup",
            retention=props.log_retention,
            removal_policy=props.removal_policy,
            encryption_key=props.log_encryption_key,
        )
        linux = ecs.LinuxParameters(
            self, "LinuxParameters", init_process_enabled=props.enable_execute_command
        )
        linux.drop_capabilities(ecs.Capability.ALL)
        self.container = self.task_definition.add_container(
            "App",
            container_name="app",
            image=props.image,
            cpu=props.cpu if launch_type == "ec2" else None,
            memory_limit_mib=props.memory_mib if launch_type == "ec2" else None,
            port_mappings=[
                ecs.PortMapping(container_port=props.container_port, name="http"),
            ],
            logging=ecs.LogDriver.aws_logs(stream_prefix="app", log_group=self.log_group),
            readonly_root_filesystem=True,
            privileged=False,
            user=props.user,
            linux_parameters=linux,
            secrets=dict(props.secrets) or None,
            essential=True,
        )
        app_volumes = add_scratch_volumes(
            self.task_definition,
            self.container,
            writable_paths=props.writable_paths,
            exec_paths=exec_agent_paths(launch_type) if props.enable_execute_command else (),
        )
        self.volume_permissions_container: ecs.ContainerDefinition | None = None
        if props.volume_permissions == "init-container" and app_volumes:
            self.volume_permissions_container = add_volume_permissions_init(
                self,
                self.task_definition,
                self.container,
                volumes=app_volumes,
                user=props.user,
                log_group=self.log_group,
            )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Web service tasks: ingress only from the shared ALB",
            allow_all_outbound=True,
        )
        common = {
            "cluster": props.cluster.cluster,
            "desired_count": (
                props.min_tasks if props.desired_tasks is None else props.desired_tasks
            ),
            "min_healthy_percent": defaults.DEPLOYMENT_MINIMUM_HEALTHY_PERCENT,
            "max_healthy_percent": defaults.DEPLOYMENT_MAXIMUM_PERCENT,
            "circuit_breaker": ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            "health_check_grace_period": props.health_check_grace,
            "security_groups": [self.security_group],
            "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            "enable_execute_command": props.enable_execute_command,
            "capacity_provider_strategies": list(props.cluster.capacity_provider_strategy),
            "propagate_tags": ecs.PropagatedTagSource.SERVICE,
            **props.release.service_props(),
        }
        fargate = launch_type == "fargate"
        if launch_type != "ec2":  # Managed Instances' services are FargateServices too
            self.service: ecs.BaseService = ecs.FargateService(
                self,
                "Service",
                task_definition=self.task_definition,
                assign_public_ip=False,
                platform_version=ecs.FargatePlatformVersion.LATEST if fargate else None,
                **common,
            )
        else:
            self.service = ecs.Ec2Service(
                self,
                "Service",
                task_definition=self.task_definition,
                **common,
            )

        def new_target_group(construct_id: str) -> elbv2.ApplicationTargetGroup:
            return elbv2.ApplicationTargetGroup(
                self,
                construct_id,
                vpc=vpc,
                port=props.container_port,
                protocol=elbv2.ApplicationProtocol.HTTP,
                target_type=elbv2.TargetType.IP,
                deregistration_delay=Duration.seconds(30),
                health_check=elbv2.HealthCheck(
                    path=props.health_check_path,
                    healthy_http_codes="200-399",
                    interval=Duration.seconds(15),
                    healthy_threshold_count=2,
                    unhealthy_threshold_count=3,
                ),
            )

        routes = route_to_service(
            self,
            service=self.service,
            release=props.release,
            load_balancer=props.load_balancer,
            priority=props.listener_priority,
            path_patterns=props.path_patterns,
            host_headers=props.host_headers,
            container_port=props.container_port,
            new_target_group=new_target_group,
        )
        self.target_group, self.listener_rule = routes.target_group, routes.listener_rule
        self.alternate = routes.alternate

        if props.enable_execute_command:
            acknowledgments = [
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                    reason="ECS Exec: ssmmessages channel actions and logs:DescribeLogGroups "
                    "support no resource scoping",
                )
            ]
            exec_log_group = props.cluster.exec_log_group
            label = None if exec_log_group is None else _log_group_label(self, exec_log_group)
            if label is not None:
                acknowledgments.append(_exec_log_streams_acknowledgment(Stack.of(self), label))
            Validations.of(self.task_role).acknowledge(*acknowledgments)
        if launch_type == "ec2":
            Validations.of(self.task_definition).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-ECS2",
                    reason="The only environment variable is AWS_REGION, which aws-cdk-lib "
                    "adds to EC2 task definitions; secrets come from Secrets Manager/SSM",
                )
            )
        self.scaling = self.service.auto_scale_task_count(
            min_capacity=props.min_tasks, max_capacity=props.max_tasks
        )
        self.scaling.scale_on_cpu_utilization(
            "CpuScaling", target_utilization_percent=props.cpu_target_percent
        )
        self.scaling.scale_on_request_count(
            "RequestScaling",
            requests_per_target=props.requests_per_target,
            target_group=self.target_group,
        )


def _check(props: WebServiceProps) -> None:
    # Each raise here guards direct use of the construct; a validated platform config never
    # reaches one: platform_config rejects the same input first, naming the field (the config
    # space property test, tests/test_config_space.py, synthesizes what it accepts).
    if not props.path_patterns and not props.host_headers:
        raise ValueError("WebService: give path_patterns and/or host_headers for the rule")
    if not props.health_check_path.startswith("/"):
        raise ValueError(
            f"WebService: health_check_path must start with '/', got {props.health_check_path}"
        )
    if props.min_tasks > props.max_tasks:
        raise ValueError(
            f"WebService: min_tasks ({props.min_tasks}) exceeds max_tasks ({props.max_tasks})"
        )
    desired = props.desired_tasks
    if desired is not None and not props.min_tasks <= desired <= props.max_tasks:
        raise ValueError(f"WebService: desired_tasks ({desired}) outside [min_tasks, max_tasks]")
    if checks.runs_as_root(props.user):
        raise ValueError(f"WebService: user '{props.user}' is root; give a non-root uid")
    check_writable_paths(
        launch_type=props.cluster.launch_type,
        writable_paths=props.writable_paths,
        enable_execute_command=props.enable_execute_command,
    )
    if props.volume_permissions == "init-container" and props.writable_paths:
        check_volume_permissions_user(props.user)


def _log_group_label(scope: Construct, log_group: logs.ILogGroup) -> str | None:
    """`log_group` as cdk-nag writes it in a finding of `scope`'s stack: its literal name (an
    imported log group), or `<LogicalId>` for one created in that stack. None for another stack's
    log group (a cross-stack reference: import it by name with `ServiceCluster.from_attributes`)."""
    name = log_group.log_group_name
    if not Token.is_unresolved(name):
        return name
    stack = Stack.of(scope)
    if Stack.of(log_group).node.path != stack.node.path:
        return None
    reference = stack.resolve(name)
    if isinstance(reference, dict) and set(reference) == {"Ref"}:
        return f"<{reference['Ref']}>"
    return None


def _exec_log_streams_acknowledgment(stack: Stack, log_group: str) -> Acknowledgment:
    """cdk-nag's IAM5 finding on the task role's ECS Exec statement: aws-cdk-lib lets the task
    write session log streams to every stream (`:*`) of the cluster's exec log group, shown as
    `log_group` (see `_log_group_label`)."""
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    # A token without @aws-cdk/core:enablePartitionLiterals (or without a region).
    partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
    return Acknowledgment(
        id=f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:logs:"
        f"{region}:{account}:log-group:{log_group}:*]",
        reason="ECS Exec writes one log stream per session into the cluster's exec log group",
    )
