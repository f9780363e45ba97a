"""Writable scratch volumes under a read-only root filesystem: which paths ECS Exec needs on each
launch type, and an init container that hands the app's volumes to its non-root user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from container_constructs.checks import NUMERIC_USER, exec_bind_mount_clashes

LaunchType = Literal["fargate", "ec2", "managed_instances"]
VolumePermissions = Literal["init-container", "none"]

# ECS Exec with a read-only root: the SSM agent the ECS agent starts in the container (as uid 0,
# amazon-ecs-agent agent/engine/execcmd/manager_start_linux.go: execAgentCmdUser = "0") writes
# its state to /var/lib/amazon/ssm and its logs to /var/log/amazon/ssm. AWS does not support this
# combination ("making the root file system read-only ... isn't supported", Amazon ECS developer
# guide, ECS Exec considerations); the volumes below are the community workaround of
# aws/containers-roadmap#1359, see docs/design.md "ECS Exec and the read-only root filesystem".
#
# EC2: the ECS agent itself bind-mounts the host's /var/log/ecs/exec/<task>/<container> at
# /var/log/amazon/ssm (amazon-ecs-agent agent/engine/execcmd/manager_init_task_linux.go:
# addRequiredBindMounts, ContainerLogDir; asserted by manager_init_task_linux_test.go) and its
# binaries, config and certificate read-only under /ecs-execute-command-<uuid>/. A task volume at
# /var/log/amazon/ssm as well makes Docker refuse the container ("Duplicate mount point");
# /managed-agents is the path inside the ECS agent's own container (ecs-init/docker/docker.go:
# containerResourcesRootDir), not in tasks. So only the state directory is ours to provide.
# (amazon-ecs-agent read at commit 8dfceca6cf380a83c3007349317566f2862f0673, 2026-06-30.)
# That bind-mounted path is checks.EXEC_AGENT_BIND_PATHS_EC2 (which the config refuses too).
EXEC_AGENT_PATHS_EC2 = ("/var/lib/amazon/ssm",)
# Fargate runs its own agent, which is not public: execcmd is part of amazon-ecs-agent's agent/
# (the EC2 agent), not of its separate ecs-agent/ library module. What is known comes
# from aws/containers-roadmap#1359: the Fargate agent mounts the binaries at
# /managed-agents/execute-command (comment of 2024-10-18) and the three-volume set below is
# reported working on Fargate (2021-04-30 and later), so Fargate binds nothing at those paths
# (a duplicate would fail the task). /managed-agents only keeps the parent of the agent's own
# nested mount writable; it is kept because that is the set reported working.
EXEC_AGENT_PATHS_FARGATE = ("/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm")

# The init container's image: tiny, multi-arch (x86_64 and arm64), has `chown`, pinned by tag.
VOLUME_PERMISSIONS_IMAGE = "public.ecr.aws/docker/library/busybox:1.37"
# Docker's default capability set (moby oci/caps/defaults.go), which Fargate also grants. Fargate
# accepts no `add` but SYS_PTRACE (ECS API KernelCapabilities), so the init container keeps only
# CHOWN by dropping the rest rather than dropping ALL and adding CHOWN back. It chowns the roots
# of fresh volumes owned by root (uid 0 is the owner: FOWNER and DAC_OVERRIDE are not needed).
DOCKER_DEFAULT_CAPABILITIES = (
    ecs.Capability.AUDIT_WRITE,
    ecs.Capability.CHOWN,
    ecs.Capability.DAC_OVERRIDE,
    ecs.Capability.FOWNER,
    ecs.Capability.FSETID,
    ecs.Capability.KILL,
    ecs.Capability.MKNOD,
    ecs.Capability.NET_BIND_SERVICE,
    ecs.Capability.NET_RAW,
    ecs.Capability.SETFCAP,
    ecs.Capability.SETGID,
    ecs.Capability.SETPCAP,
    ecs.Capability.SETUID,
    ecs.Capability.SYS_CHROOT,
)
INIT_CAPABILITIES = (ecs.Capability.CHOWN,)


def exec_agent_paths(launch_type: LaunchType) -> tuple[str, ...]:
    """The paths ECS Exec needs writable that the launch type's agent does not mount itself."""
    # Managed Instances run the ECS agent on EC2 instances: its mounts are EC2's.
    return EXEC_AGENT_PATHS_FARGATE if launch_type == "fargate" else EXEC_AGENT_PATHS_EC2


def check_writable_paths(
    *, launch_type: LaunchType, writable_paths: Sequence[str], enable_execute_command: bool
) -> None:
    """Reject a scratch volume where the ECS agent binds a directory itself."""
    clash = exec_bind_mount_clashes(
        launch_type=launch_type,
        writable_paths=writable_paths,
        enable_execute_command=enable_execute_command,
    )
    if clash:
        raise ValueError(
            f"WebService: writable_paths {clash} are bind-mounted by the ECS agent for ECS "
            "Exec on EC2 (Docker would refuse a duplicate mount point); remove them"
        )


def check_volume_permissions_user(user: str) -> None:
    """The init container chowns to the app's user, which must be numeric (the init image has
    no passwd entry for the app's user names)."""
    if not NUMERIC_USER.match(user):
        raise ValueError(
            f"WebService: user '{user}' must be a numeric uid[:gid] with "
            "volume_permissions='init-container' (or set volume_permissions='none')"
        )


def add_scratch_volumes(
    task_definition: ecs.TaskDefinition,
    app: ecs.ContainerDefinition,
    *,
    writable_paths: Sequence[str],
    exec_paths: Sequence[str],
) -> list[tuple[str, str]]:
    """Add one empty task volume per path and mount it read-write in `app`.

    Returns (volume name, path) of the app's own scratch volumes (not the ECS Exec ones).
    """
    app_volumes: list[tuple[str, str]] = []
    mount_points = []
    paths = list(writable_paths) + [p for p in exec_paths if p not in writable_paths]
    for index, path in enumerate(paths):
        volume = f"scratch-{index}"
        task_definition.add_volume(name=volume)
        mount_points.append(
            ecs.MountPoint(container_path=path, source_volume=volume, read_only=False)
        )
        if path not in exec_paths:
            app_volumes.append((volume, path))
    app.add_mount_points(*mount_points)
    return app_volumes


def add_volume_permissions_init(
    scope: Construct,
    task_definition: ecs.TaskDefinition,
    app: ecs.ContainerDefinition,
    *,
    volumes: Sequence[tuple[str, str]],
    user: str,
    log_group: logs.ILogGroup,
) -> ecs.ContainerDefinition:
    """A non-essential container that chowns the app's scratch volumes to `user` and exits; the
    app starts only after it succeeded.

    Empty task (bind-mount) volumes are owned by root with mode 0755 on Fargate platform 1.4
    unless the image declares VOLUME at the path (aws/containers-roadmap#863, #938), so a
    non-root app under a read-only root cannot write to them; on EC2 an empty Docker volume takes
    the owner of the image's directory at the path, or stays root's where there is none. Works
    for any image and both launch types (the chown needs only CAP_CHOWN). The ECS Exec volumes
    stay root's: the SSM agent runs as uid 0 without DAC_OVERRIDE (all capabilities dropped).
    """
    linux = ecs.LinuxParameters(scope, "VolumePermissionsLinuxParameters")
    linux.drop_capabilities(*(c for c in DOCKER_DEFAULT_CAPABILITIES if c not in INIT_CAPABILITIES))
    init = task_definition.add_container(
        "VolumePermissions",
        container_name="volume-permissions",
        image=ecs.ContainerImage.from_registry(VOLUME_PERMISSIONS_IMAGE),
        command=["chown", user, *(path for _, path in volumes)],
        user="0",
        essential=False,
        readonly_root_filesystem=True,
        privileged=False,
        memory_limit_mib=32,
        linux_parameters=linux,
        logging=ecs.LogDriver.aws_logs(stream_prefix="init", log_group=log_group),
    )
    init.add_mount_points(
        *(
            ecs.MountPoint(container_path=path, source_volume=volume, read_only=False)
            for volume, path in volumes
        )
    )
    app.add_container_dependencies(
        ecs.ContainerDependency(container=init, condition=ecs.ContainerDependencyCondition.SUCCESS)
    )
    return init
