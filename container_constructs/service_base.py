"""What the ECS service of every long-running kind (web, backend, worker) shares: its task's
security group, the service in private subnets on the cluster's capacity with a deployment
circuit breaker that rolls back (100 %/200 %), ECS Exec and tag propagation, its place in the
cluster's Service Connect namespace, and the input checks of the props every kind takes."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from container_constructs import checks, defaults
from container_constructs.ecs_service_cluster import ServiceCluster
from container_constructs.efs_storage import EfsStorage, add_efs_storage
from container_constructs.service_release import ServiceReleaseProps
from container_constructs.task_definition import APP_PORT_NAME, ServiceTask, TaskProps
from container_constructs.task_volumes import check_volume_permissions_user, check_writable_paths


def task_security_group(
    scope: Construct, cluster: ServiceCluster, description: str
) -> ec2.SecurityGroup:
    """The tasks' own group (`SecurityGroup`), all egress, ingress added by the kind."""
    return ec2.SecurityGroup(
        scope,
        "SecurityGroup",
        vpc=cluster.vpc,
        description=description,
        allow_all_outbound=True,
    )


def add_storage(
    scope: Construct, props: TaskProps, task: ServiceTask, security_group: ec2.ISecurityGroup
) -> EfsStorage | None:
    """The service's EFS storage at `props.efs_path` (None without one), reachable from
    `security_group`; retained and backed up where `props.removal_policy` retains."""
    if props.efs_path is None:
        return None
    return add_efs_storage(
        scope,
        task_definition=task.task_definition,
        container=task.container,
        task_role=task.task_role,
        vpc=props.cluster.vpc,
        tasks_security_group=security_group,
        path=props.efs_path,
        user=props.efs_user,
        removal_policy=props.removal_policy,
        backups=props.removal_policy == RemovalPolicy.RETAIN,
    )


def service_connect(
    cluster: ServiceCluster,
    log_group: logs.ILogGroup,
    *,
    server: tuple[str, int] | None = None,
) -> ecs.ServiceConnectProps | None:
    """The service's Service Connect configuration on a cluster with a namespace: a client (it
    reaches the namespace's backends by name), and with `server` = (name, port) also reachable
    at http://name:port from the others. Its proxy logs to `log_group` (prefix service-connect).
    None on a cluster without one."""
    if cluster.namespace is None:
        return None
    services = None
    if server is not None:
        name, port = server
        services = [
            ecs.ServiceConnectService(
                port_mapping_name=APP_PORT_NAME, discovery_name=name, dns_name=name, port=port
            )
        ]
    return ecs.ServiceConnectProps(
        namespace=cluster.namespace.namespace_arn,
        services=services,
        log_driver=ecs.LogDriver.aws_logs(stream_prefix="service-connect", log_group=log_group),
    )


def add_service(
    scope: Construct,
    *,
    task: ServiceTask,
    cluster: ServiceCluster,
    security_group: ec2.ISecurityGroup,
    enable_execute_command: bool,
    health_check_grace: Duration | None = None,
    connect: ecs.ServiceConnectProps | None = None,
    release: ServiceReleaseProps | None = None,
) -> ecs.BaseService:
    """The ECS service (`Service`) of `task` on `cluster`, in the private subnets, behind
    `security_group` (and the cluster's Service Connect group when `connect`).

    The service sets no task count (`DesiredCount`): its scalable target owns it. CloudFormation
    sends a template's DesiredCount to ECS on updates, so a deploy would put a service scaled
    out at peak back to the template's count (aws/containers-roadmap#493, aws/aws-cdk#3919).
    Without one, "for new services ... a default value of 1 is used" and "for existing
    services ... it is omitted from the operation" (the AWS::ECS::Service resource schema,
    DesiredCount); registering the scalable target then "changes the resource's current
    capacity to a value that is inside of this range" (Application Auto Scaling API Reference,
    RegisterScalableTarget), so a new service reaches min_tasks and a deploy changes no count.

    Args:
        task: the service's task (`build_task`). Required.
        cluster: the cluster. Required.
        security_group: the tasks' group. Required.
        enable_execute_command: allow ECS Exec. Required.
        health_check_grace: time ECS ignores load balancer health checks after a start.
            Default: None (no load balancer).
        connect: its Service Connect configuration (`service_connect`). Default: None.
        release: how ECS releases a new revision (service_release.py). Default: rolling.
    """
    groups = [security_group]
    if connect is not None and cluster.service_connect_security_group is not None:
        groups.append(cluster.service_connect_security_group)
    common = {
        "cluster": cluster.cluster,
        "min_healthy_percent": defaults.DEPLOYMENT_MINIMUM_HEALTHY_PERCENT,
        "max_healthy_percent": defaults.DEPLOYMENT_MAXIMUM_PERCENT,
        "circuit_breaker": ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
        "health_check_grace_period": health_check_grace,
        "security_groups": groups,
        "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        "enable_execute_command": enable_execute_command,
        "capacity_provider_strategies": list(cluster.capacity_provider_strategy),
        "propagate_tags": ecs.PropagatedTagSource.SERVICE,
        "service_connect_configuration": connect,
        **(release or ServiceReleaseProps()).service_props(),
    }
    if cluster.launch_type != "ec2":  # Managed Instances' services are FargateServices too
        fargate = cluster.launch_type == "fargate"
        return ecs.FargateService(
            scope,
            "Service",
            task_definition=task.task_definition,
            assign_public_ip=False,
            platform_version=ecs.FargatePlatformVersion.LATEST if fargate else None,
            **common,
        )
    return ecs.Ec2Service(scope, "Service", task_definition=task.task_definition, **common)


def check_task_props(owner: str, props: TaskProps) -> None:
    """The input checks of the props every kind shares. Each raise guards direct use of a
    construct; a validated platform config never reaches one: platform_config rejects the same
    input first, naming the field (the config-space property test synthesizes what it accepts)."""
    root = checks.runs_as_root(props.user)
    if root and props.exceptions.run_as_root is None:
        raise ValueError(
            f"{owner}: user '{props.user}' is root; give a non-root uid "
            "(or exceptions.run_as_root with the reason)"
        )
    check_writable_paths(
        launch_type=props.cluster.launch_type,
        writable_paths=props.writable_paths,
        enable_execute_command=props.enable_execute_command,
    )
    if props.volume_permissions == "init-container" and props.writable_paths and not root:
        check_volume_permissions_user(props.user)
    if props.ephemeral_storage_gib is not None:
        low, high = checks.EPHEMERAL_STORAGE_GIB_RANGE
        if props.cluster.launch_type != "fargate" or not low <= props.ephemeral_storage_gib <= high:
            raise ValueError(
                f"{owner}: ephemeral_storage_gib is a Fargate setting of {low}-{high} GiB"
            )
    names = [sidecar.name for sidecar in props.sidecars]
    if len(set(names)) != len(names) or {"app", "volume-permissions"} & set(names):
        raise ValueError(f"{owner}: sidecar names {names} must be unique and not the platform's")
    if sum(1 for sidecar in props.sidecars if sidecar.preset == "firelens") > 1:
        raise ValueError(f"{owner}: one FireLens log router per task")
    if props.efs_path is not None and not checks.NUMERIC_USER.match(props.efs_user):
        raise ValueError(f"{owner}: EFS storage needs a numeric uid[:gid] user (or efs_owner)")


def check_task_count(owner: str, min_tasks: int, max_tasks: int) -> None:
    """min <= max."""
    if min_tasks > max_tasks:
        raise ValueError(f"{owner}: min_tasks ({min_tasks}) exceeds max_tasks ({max_tasks})")


def check_port(owner: str, port: int, props: TaskProps) -> None:
    """An unprivileged port unless the exception says why."""
    low = checks.UNPRIVILEGED_PORTS[0]
    if not 1 <= port <= checks.UNPRIVILEGED_PORTS[1]:
        raise ValueError(f"{owner}: container_port {port} is not a port")
    if port < low and props.exceptions.privileged_port is None:
        raise ValueError(
            f"{owner}: container_port {port} is privileged (below {low}); "
            "give exceptions.privileged_port with the reason"
        )
