"""The one hardened task definition every service kind runs (web, backend, worker, scheduled job):
separate task and execution roles, a log group with retention, the app container (unprivileged,
non-root, read-only root, every capability dropped) with its environment, secrets, command,
health check and stop timeout, scratch volumes handed to the app's user, and sidecars hardened
the same way (container_constructs/sidecars.py). What a service relaxes is an explicit exception
with a reason, acknowledged on its task definition only.

`build_task` adds the constructs straight into the service's scope, under the ids the web service
has always used, so a web service's template did not change when the builder moved here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from container_constructs import defaults
from container_constructs.common import DEFAULT_LOG_RETENTION, secure_log_group
from container_constructs.ecs_managed_instances import managed_instances_task_definition
from container_constructs.ecs_service_cluster import ServiceCluster
from container_constructs.pull_through_cache import grant_pull_through
from container_constructs.sidecars import (
    SidecarSpec,
    add_firelens_router,
    add_sidecars,
    app_log_driver,
)
from container_constructs.task_acknowledgements import acknowledge_task
from container_constructs.task_volumes import (
    DOCKER_DEFAULT_CAPABILITIES,
    VolumePermissions,
    add_scratch_volumes,
    add_volume_permissions_init,
    exec_agent_paths,
)

# The CPU architectures of a Fargate task by the names the config uses (defaults.CPU_ARCHITECTURE).
CPU_ARCHITECTURES = {"x86_64": ecs.CpuArchitecture.X86_64, "arm64": ecs.CpuArchitecture.ARM64}
APP_PORT_NAME = "http"  # the app's port mapping: ALB target and Service Connect endpoint


@dataclass(frozen=True, kw_only=True)
class HardeningExceptions:
    """What one service may relax of the hardening, each with the reason it needs it; None keeps
    the hardening. Each given one is acknowledged on the service's task definition only.

    Attributes:
        run_as_root: why the app runs as root (its `user` may then be 0); acknowledges
            ContainerPlatform ecs-container-non-root. Default: None.
        privileged_port: why the app listens below 1024; the app keeps NET_BIND_SERVICE (ECS lets
            only root, or a binary with that file capability, bind there). Default: None.
        writable_root_filesystem: why the app's root filesystem is writable; acknowledges
            ContainerPlatform ecs-container-read-only-root. Default: None.
    """

    run_as_root: str | None = None
    privileged_port: str | None = None
    writable_root_filesystem: str | None = None


@dataclass(frozen=True, kw_only=True)
class TaskProps:
    """What every service kind's task takes (the kinds' props extend it).

    Attributes:
        cluster: the cluster to run on (`Ec2Cluster.service_cluster`,
            `FargateCluster.service_cluster`, or `ServiceCluster.from_attributes`). Required.
        image: the app's container image. Required.
        repository: our ECR repository the image is in; pull is granted to the execution role.
            Default: None (a public image).
        cached_repository: the pull-through cache's repository `image` is pulled through (then
            named by digest in it); the execution role gets pull and ecr:BatchImportUpstreamImage
            on it alone. Default: None.
        user: uid[:gid] the app runs as, non-root unless `exceptions.run_as_root`. Default: "1000".
        cpu: task CPU units (Fargate: a pair with memory_mib AWS offers). Default: 256.
        memory_mib: task memory in MiB. Default: 512.
        cpu_architecture: Fargate CPU architecture. Default: X86_64.
        writable_paths: scratch volumes under the read-only root. Default: ("/tmp",).
        volume_permissions: how the non-root app gets write access to its scratch volumes,
            which start root-owned 0755: "init-container" (a non-essential container chowns them
            to `user`, which must then be numeric, and the app waits for its success) or "none"
            (the image declares VOLUME there, or the app needs no write access). On EC2 the
            app's paths are then tmpfs mounts owned by `user` and no init container runs
            (task_volumes.add_scratch_volumes says why). Default: "init-container".
        volume_permissions_image: the init container's image (any image with `chown`).
            Default: None, busybox pinned by digest from ECR Public (task_volumes).
        volume_permissions_cached_repository: the pull-through cache's repository that image is
            pulled through, granted like `cached_repository` when the init container runs.
            Default: None.
        environment: plain environment variables of the app. Default: none.
        secrets: environment variable -> secret injected at start. Default: none.
        command: overrides the image's CMD. Default: None (the image's).
        entry_point: overrides the image's ENTRYPOINT. Default: None (the image's).
        health_check: a health check ECS runs in the app container. Default: None.
        stop_timeout: time between SIGTERM and SIGKILL at stop. Default: None (ECS's 30 s).
        ephemeral_storage_gib: Fargate task storage, 21-200 GiB. Default: None (Fargate's 20).
        sidecars: containers beside the app (`SidecarSpec`, presets in sidecars.py).
            Default: none.
        depends_on: sidecar name -> the condition the app waits for. Default: none.
        exceptions: explicit exceptions to the hardening. Default: none.
        efs_path: where the app mounts persistent storage on EFS (`add_efs_storage`, added by
            the kind once its tasks' security group exists), or None. Default: None.
        efs_owner: the numeric uid[:gid] of the EFS access point (every file operation's, and
            its directory's owner). Default: None (`user`).
        enable_execute_command: allow ECS Exec; adds the volumes its agent needs under the
            read-only root (which AWS does not support, see README). Default: True.
        log_retention: application log retention. Default: one month.
        log_encryption_key: KMS key of the log group (e.g. the cluster's `log_key`).
            Default: none.
        removal_policy: of the log group (and of the service's stateful resources).
            Default: RETAIN.
    """

    cluster: ServiceCluster
    image: ecs.ContainerImage
    repository: ecr.IRepository | None = None
    cached_repository: ecr.IRepository | None = None
    user: str = defaults.USER
    cpu: int = defaults.TASK_CPU
    memory_mib: int = defaults.TASK_MEMORY_MIB
    cpu_architecture: ecs.CpuArchitecture = CPU_ARCHITECTURES[defaults.CPU_ARCHITECTURE]
    writable_paths: Sequence[str] = defaults.WRITABLE_PATHS
    volume_permissions: VolumePermissions = "init-container"
    volume_permissions_image: ecs.ContainerImage | None = None
    volume_permissions_cached_repository: ecr.IRepository | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, ecs.Secret] = field(default_factory=dict)
    command: Sequence[str] | None = None
    entry_point: Sequence[str] | None = None
    health_check: ecs.HealthCheck | None = None
    stop_timeout: Duration | None = None
    ephemeral_storage_gib: int | None = None
    sidecars: Sequence[SidecarSpec] = ()
    depends_on: Mapping[str, ecs.ContainerDependencyCondition] = field(default_factory=dict)
    exceptions: HardeningExceptions = field(default_factory=HardeningExceptions)
    efs_path: str | None = None
    efs_owner: str | None = None
    enable_execute_command: bool = defaults.ENABLE_EXECUTE_COMMAND
    log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION
    log_encryption_key: kms.IKey | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN

    @property
    def efs_user(self) -> str:
        """The EFS access point's uid[:gid]: `efs_owner`, else `user`."""
        return self.efs_owner or self.user


@dataclass(frozen=True, kw_only=True)
class ServiceTask:
    """What `build_task` created.

    Attributes:
        task_role: the app's role. Required.
        execution_role: the role ECS pulls images, writes logs and reads secrets with. Required.
        task_definition: the task definition. Required.
        log_group: the log group of the app and its sidecars. Required.
        container: the app container. Required.
        volume_permissions_container: the init container that chowns the scratch volumes, or
            None. Required.
        sidecars: the sidecar containers by name. Required.
    """

    task_role: iam.Role
    execution_role: iam.Role
    task_definition: ecs.TaskDefinition
    log_group: logs.LogGroup
    container: ecs.ContainerDefinition
    volume_permissions_container: ecs.ContainerDefinition | None
    sidecars: Mapping[str, ecs.ContainerDefinition]


class TaskWorkload(Construct):
    """The base of every workload kind's construct (web, backend, worker, scheduled job): the
    task `build_task` made, under the same attribute names on each (`ServiceTask`'s fields,
    declared here again only so that type checkers know them)."""

    task_role: iam.Role
    execution_role: iam.Role
    task_definition: ecs.TaskDefinition
    log_group: logs.LogGroup
    container: ecs.ContainerDefinition
    volume_permissions_container: ecs.ContainerDefinition | None
    sidecars: Mapping[str, ecs.ContainerDefinition]

    def _expose_task(self, task: ServiceTask) -> None:
        for made in fields(ServiceTask):
            setattr(self, made.name, getattr(task, made.name))


def build_task(scope: Construct, props: TaskProps, *, port: int | None) -> ServiceTask:
    """Add the hardened task of `props` to `scope` (see the module doc).

    Args:
        port: the app's container port (named "http"), or None for an app that listens on none
            (a worker, a job). Required.
    """
    launch_type = props.cluster.launch_type
    ecs_tasks = iam.ServicePrincipal("ecs-tasks.amazonaws.com")
    task_role = iam.Role(
        scope,
        "TaskRole",
        assumed_by=ecs_tasks,
        description="The application's own permissions",
    )
    execution_role = iam.Role(
        scope,
        "ExecutionRole",
        assumed_by=ecs_tasks,
        description="ECS agent: pull the image, write logs, read the injected secrets",
    )
    task_definition: ecs.TaskDefinition
    if launch_type == "managed_instances":
        task_definition = managed_instances_task_definition(
            scope, props.cpu, props.memory_mib, task_role, execution_role
        )
    elif launch_type == "fargate":
        task_definition = ecs.FargateTaskDefinition(
            scope,
            "TaskDefinition",
            cpu=props.cpu,
            memory_limit_mib=props.memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=props.cpu_architecture,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            task_role=task_role,
            execution_role=execution_role,
            ephemeral_storage_gib=props.ephemeral_storage_gib,
        )
    else:
        task_definition = ecs.Ec2TaskDefinition(
            scope,
            "TaskDefinition",
            network_mode=ecs.NetworkMode.AWS_VPC,
            task_role=task_role,
            execution_role=execution_role,
        )
    for repository in _repositories(props):
        repository.grant_pull(execution_role)
    if props.repository is not None or any(s.repository for s in props.sidecars):
        Validations.of(execution_role).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="ecr:GetAuthorizationToken supports no resource scoping; image pull "
                "itself is scoped to the repository",
            )
        )

    log_group = secure_log_group(
        scope,
        "LogGroup",
        retention=props.log_retention,
        removal_policy=props.removal_policy,
        encryption_key=props.log_encryption_key,
    )
    firelens = next((s for s in props.sidecars if s.preset == "firelens"), None)
    added: dict[str, ecs.ContainerDefinition] = {}
    if firelens is not None:  # the log router must exist before a container logs through it
        added[firelens.name] = add_firelens_router(
            scope, task_definition, firelens, log_group=log_group
        )
        log_group.grant_write(task_role)  # the router writes with the task's role
    linux = ecs.LinuxParameters(
        scope, "LinuxParameters", init_process_enabled=props.enable_execute_command
    )
    if props.exceptions.privileged_port is None:
        linux.drop_capabilities(ecs.Capability.ALL)
    else:  # every Docker default but the one that binds ports below 1024
        kept = ecs.Capability.NET_BIND_SERVICE
        linux.drop_capabilities(*(c for c in DOCKER_DEFAULT_CAPABILITIES if c != kept))
    container = task_definition.add_container(
        "App",
        container_name="app",
        image=props.image,
        cpu=props.cpu if launch_type == "ec2" else None,
        memory_limit_mib=props.memory_mib if launch_type == "ec2" else None,
        port_mappings=(
            [ecs.PortMapping(container_port=port, name=APP_PORT_NAME)] if port is not None else None
        ),
        logging=app_log_driver(log_group, firelens=firelens is not None),
        readonly_root_filesystem=props.exceptions.writable_root_filesystem is None,
        privileged=False,
        user=props.user,
        linux_parameters=linux,
        environment=dict(props.environment) or None,
        secrets=dict(props.secrets) or None,
        command=list(props.command) if props.command is not None else None,
        entry_point=list(props.entry_point) if props.entry_point is not None else None,
        health_check=props.health_check,
        stop_timeout=props.stop_timeout,
        essential=True,
    )
    root = props.exceptions.run_as_root is not None  # root owns the fresh volumes already
    hand_over = props.volume_permissions == "init-container" and not root
    app_volumes = add_scratch_volumes(
        task_definition,
        container,
        writable_paths=props.writable_paths,
        exec_paths=exec_agent_paths(launch_type) if props.enable_execute_command else (),
        launch_type=launch_type,
        owner=props.user if hand_over else None,
    )
    volume_permissions_container: ecs.ContainerDefinition | None = None
    if hand_over and app_volumes:
        volume_permissions_container = add_volume_permissions_init(
            scope,
            task_definition,
            container,
            volumes=app_volumes,
            user=props.user,
            log_group=log_group,
            image=props.volume_permissions_image,
        )
    sidecars = add_sidecars(
        scope,
        task_definition,
        container,
        props.sidecars,
        depends_on=props.depends_on,
        log_group=log_group,
        task_role=task_role,
        added=added,
    )
    cached = [props.cached_repository, *(s.cached_repository for s in props.sidecars)]
    if volume_permissions_container is not None:
        cached.append(props.volume_permissions_cached_repository)
    for repository in _unique(cached):
        grant_pull_through(repository, execution_role)
    acknowledge_task(scope, props, task_definition, task_role)
    return ServiceTask(
        task_role=task_role,
        execution_role=execution_role,
        task_definition=task_definition,
        log_group=log_group,
        container=container,
        volume_permissions_container=volume_permissions_container,
        sidecars=sidecars,
    )


def _repositories(props: TaskProps) -> list[ecr.IRepository]:
    return _unique([props.repository] + [sidecar.repository for sidecar in props.sidecars])


def _unique(found: Sequence[ecr.IRepository | None]) -> list[ecr.IRepository]:
    """The repositories of `found`, each once: the same object, then the same construct path
    (asked only of distinct objects: each path is a jsii call, per service)."""
    distinct = list({id(r): r for r in found if r is not None}.values())
    if len(distinct) < 2:
        return distinct
    unique: dict[str, ecr.IRepository] = {}
    for repository in distinct:
        unique.setdefault(repository.node.path, repository)
    return list(unique.values())


def with_task_attributes(doc: str | None) -> str:
    """A kind's props docstring (ending in its own attributes) followed by the attributes of
    `TaskProps` every kind shares, so each props class documents all of its fields."""
    shared = (TaskProps.__doc__ or "").split("Attributes:\n", 1)[1]
    return (doc or "").rstrip() + "\n" + shared
