"""Writable scratch paths under a read-only root filesystem: which paths ECS Exec needs on each
launch type, tmpfs mounts owned by the app's user on EC2, and on Fargate task volumes with an
init container that hands them to the app's non-root user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from container_constructs import defaults
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

# The init container's default image (defaults.py says which and why), pinned by digest.
VOLUME_PERMISSIONS_IMAGE = (
    defaults.VOLUME_PERMISSIONS_IMAGE_URI.rsplit(":", 1)[0]
    + "@"
    + defaults.VOLUME_PERMISSIONS_IMAGE_DIGEST
)
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
# The mode of an app's tmpfs scratch directory on EC2: its owner's alone (the app's uid).
SCRATCH_TMPFS_MODE = "0700"


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
    launch_type: LaunchType = "fargate",
    owner: str | None = None,
) -> list[tuple[str, str]]:
    """Make each of `writable_paths` and `exec_paths` writable in `app` under its read-only root.

    Fargate, or no `owner`: one empty task volume per path, mounted read-write. EC2 with `owner`
    (the app's numeric uid[:gid]): the app's own paths are tmpfs mounts owned by it instead
    (`add_owned_tmpfs`), because on EC2 a task volume is a Docker volume, which Docker fills
    with the image's directory, owner and mode included, when the app container is created: an
    image whose directory at that path is root's 0755 leaves the app without write access, and
    an init container's chown of the empty volume beforehand is undone (see `add_owned_tmpfs`).
    The ECS Exec paths stay task volumes on both launch types (root's, as the SSM agent wants).

    Returns (volume name, path) of the app's own paths that are task volumes, which an init
    container must hand to the app's user (none on EC2 with `owner`).
    """
    owned_tmpfs = launch_type == "ec2" and owner is not None
    app_volumes: list[tuple[str, str]] = []
    tmpfs_paths: list[str] = []
    mount_points = []
    paths = list(writable_paths) + [p for p in exec_paths if p not in writable_paths]
    for index, path in enumerate(paths):
        if owned_tmpfs and path not in exec_paths:
            tmpfs_paths.append(path)
            continue
        volume = f"scratch-{index}"
        task_definition.add_volume(name=volume)
        mount_points.append(
            ecs.MountPoint(container_path=path, source_volume=volume, read_only=False)
        )
        if path not in exec_paths:
            app_volumes.append((volume, path))
    if mount_points:
        app.add_mount_points(*mount_points)
    if tmpfs_paths:
        assert owner is not None
        add_owned_tmpfs(task_definition, app, paths=tmpfs_paths, owner=owner)
    return app_volumes


def owned_tmpfs_mount_options(owner: str) -> list[str]:
    """The tmpfs mount options that make the mount's root directory the app's: `uid=`, `gid=`
    when `owner` names a group, and an explicit mode (see `add_owned_tmpfs`)."""
    uid, _, gid = owner.partition(":")
    return [f"uid={uid}", *([f"gid={gid}"] if gid else []), f"mode={SCRATCH_TMPFS_MODE}"]


def add_owned_tmpfs(
    task_definition: ecs.TaskDefinition,
    app: ecs.ContainerDefinition,
    *,
    paths: Sequence[str],
    owner: str,
    size_mib: int = defaults.SCRATCH_TMPFS_SIZE_MIB,
) -> None:
    """Mount a tmpfs owned by `owner` (numeric uid[:gid]) at each of `paths` in `app` (EC2).

    Why tmpfs and not a task volume, on EC2 (sources read 2026-12-04):
    - The ECS agent turns a task volume without a host path into a Docker *local volume* (amazon-
      ecs-agent agent/api/task/task.go `initializeDockerLocalVolumes`, commit 8dfceca6). When a
      container is created with an empty named volume at a path its image has, Docker copies the
      image's directory into it, the directory's owner and mode included (moby daemon/
      create_unix.go `populateVolume` -> container/container_unix.go `copyExistingContents` ->
      `fs.CopyDir`, only while the volume is empty; moby commit b985e231). The init container
      only chowns the volume's root and leaves it empty, so the app's creation, after it,
      copies a root-owned 0755 directory's metadata over the chown.
    - A tmpfs (ECS `linuxParameters.tmpfs`, Docker's `--tmpfs`) is mounted by runc when the
      container starts and is never filled from the image (Docker adds no `tmpcopyup`). Its root
      directory is owned by the `uid=`/`gid=` mount options (root without them) and, where the
      image has the directory, runc prepends that directory's mode to the options, which an
      explicit `mode=` overrides (opencontainers/runc libcontainer/rootfs_linux.go
      `createOpenMountpoint`, "If the original target exists, copy the mode for the tmpfs mount",
      commit 76d9cf5d; the change 9fa8b9de of 2023 replaced a chmod after the mount). So
      `uid=<uid>,mode=0700` makes the directory the app's whatever the image ships there.
    - ECS accepts these options ("mode" | "uid" | "gid" among the tmpfs mountOptions, ECS API
      reference, Tmpfs), which aws-cdk-lib's `TmpfsMountOption` enum can only spell without a
      value: the options are set on the task definition's CloudFormation properties instead.
    - Docker adds `noexec,nosuid,nodev` to every tmpfs (moby daemon/oci_linux.go), and its pages
      count toward the container's memory limit: `size_mib` caps each one.
    Fargate keeps task volumes (bind mounts, not filled from the image) and the init container.
    """
    linux = app.linux_parameters
    # The task builder (task_definition.py) always gives the app LinuxParameters (capabilities
    # dropped), which render the LinuxParameters object these options are merged into.
    assert linux is not None, "the app container needs LinuxParameters"
    definition = task_definition.node.default_child
    assert isinstance(definition, ecs.CfnTaskDefinition)
    # Containers render in the order they were added, which is the order of their constructs.
    containers = [
        child.node.path
        for child in task_definition.node.children
        if isinstance(child, ecs.ContainerDefinition)
    ]
    index = containers.index(app.node.path)
    definition.add_property_override(
        f"ContainerDefinitions.{index}.LinuxParameters.Tmpfs",
        [
            {
                "ContainerPath": path,
                "Size": size_mib,
                "MountOptions": owned_tmpfs_mount_options(owner),
            }
            for path in paths
        ],
    )


def add_volume_permissions_init(
    scope: Construct,
    task_definition: ecs.TaskDefinition,
    app: ecs.ContainerDefinition,
    *,
    volumes: Sequence[tuple[str, str]],
    user: str,
    log_group: logs.ILogGroup,
    image: ecs.ContainerImage | None = None,
) -> ecs.ContainerDefinition:
    """A non-essential container that chowns the app's scratch volumes to `user` and exits; the
    app starts only after it succeeded. `image` (default: busybox, `VOLUME_PERMISSIONS_IMAGE`)
    needs `chown` (e.g. the same image through a registry's pull-through cache).

    Empty task (bind-mount) volumes are owned by root with mode 0755 on Fargate platform 1.4
    unless the image declares VOLUME at the path (aws/containers-roadmap#863, #938), so a
    non-root app under a read-only root cannot write to them; the chown needs only CAP_CHOWN.
    Fargate's bind mounts are not filled from the image, so the chown holds. On EC2 it would not
    (Docker volumes are filled from the image when the app is created): there `add_scratch_volumes`
    gives the app owned tmpfs mounts instead, and this container is only added for task volumes
    it returns. The ECS Exec volumes stay root's: the SSM agent runs as uid 0 without
    DAC_OVERRIDE (all capabilities dropped).
    """
    linux = ecs.LinuxParameters(scope, "VolumePermissionsLinuxParameters")
    linux.drop_capabilities(*(c for c in DOCKER_DEFAULT_CAPABILITIES if c not in INIT_CAPABILITIES))
    init = task_definition.add_container(
        "VolumePermissions",
        container_name="volume-permissions",
        image=image or ecs.ContainerImage.from_registry(VOLUME_PERMISSIONS_IMAGE),
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
