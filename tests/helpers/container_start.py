"""A model of a task's start, from its task definition as CloudFormation receives it: which of a
container's writable paths its user can write when its process starts, for images given as
layouts (directory -> owner, mode). No container engine runs on this machine, so each step is
the engines' own rule, read in their sources on 2026-12-04:

- Task volumes on EC2 are Docker local volumes, one per task volume without a host path
  (amazon-ecs-agent agent/api/task/task.go `initializeDockerLocalVolumes`, commit 8dfceca6), whose
  directory Docker creates root-owned, mode 0755 (moby daemon/volume/local/local.go `Create`:
  `MkdirAllAndChown(v.path, 0o755, rootUID, rootGID)`, commit b985e231).
- Creating a container with a named volume that is still empty, mounted where its image has a
  directory, copies that directory into the volume, its owner and mode onto the volume's root
  (moby daemon/create_unix.go `populateVolume` -> container/container_unix.go
  `copyExistingContents`, which skips a non-empty volume, -> continuity fs.CopyDir, whose
  `copyDirectory` chmods and `copyFileInfo` chowns the destination root).
- A container that depends on another with condition SUCCESS is not even created before that one
  exited 0 (amazon-ecs-agent agent/engine/dependencygraph/graph.go
  `containerOrderingDependenciesIsResolved`: "desires to be moved to 'Created' or the 'steady'
  state. Allow this only if ... stopped with an exit code of 0").
- A tmpfs is mounted when the container starts and is never filled from the image; its root is
  owned by the `uid=`/`gid=` options (root without), its mode is an explicit `mode=`, else the
  image directory's mode where there is one (runc prepends it), else tmpfs's own 1777
  (opencontainers/runc libcontainer/rootfs_linux.go `createOpenMountpoint`, commit 76d9cf5d).
- Fargate (platform 1.4) task volumes are bind mounts that start root-owned, mode 0755 and are
  not filled from the image (aws/containers-roadmap#863, #938; docs/design.md, D12 and D25).
- A process may write a directory if it owns it and the owner's write bit is set, or through the
  group (given gid) or other bits; uid 0 with the default capabilities always may.

Only `chown` commands are executed (the init container's); any other command changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

LaunchType = Literal["ec2", "fargate"]


@dataclass(frozen=True)
class Directory:
    """A directory's owner and mode, and whether it has entries (what a copy-up leaves behind)."""

    uid: int
    gid: int
    mode: int
    has_entries: bool = False


# An image's directories by absolute path (only those that matter: the writable paths).
Layout = Mapping[str, Directory]

FRESH_VOLUME = Directory(uid=0, gid=0, mode=0o755)  # Docker local volume, Fargate bind volume
TMPFS_DEFAULT_MODE = 0o1777


@dataclass
class _Volume:
    root: Directory
    empty: bool = True


def start_order(containers: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The containers in the order the ECS agent creates and starts them: each after those it
    depends on (with SUCCESS, after they exited), otherwise in definition order."""
    by_name = {c["Name"]: c for c in containers}
    ordered: list[dict[str, Any]] = []

    def visit(container: dict[str, Any], path: tuple[str, ...]) -> None:
        if container in ordered:
            return
        assert container["Name"] not in path, f"dependency cycle {path}"
        for dependency in container.get("DependsOn", []):
            visit(by_name[dependency["ContainerName"]], (*path, container["Name"]))
        ordered.append(container)

    for container in containers:
        visit(container, ())
    return ordered


def _user(user: str) -> tuple[int, int | None]:
    uid, _, gid = user.partition(":")
    return int(uid), (int(gid) if gid else None)


def _tmpfs_root(options: Sequence[str], image_directory: Directory | None) -> Directory:
    values = dict(option.partition("=")[::2] for option in options)
    mode = int(values["mode"], 8) if "mode" in values else None
    if mode is None:
        mode = image_directory.mode if image_directory is not None else TMPFS_DEFAULT_MODE
    return Directory(uid=int(values.get("uid", 0)), gid=int(values.get("gid", 0)), mode=mode)


def can_write(user: str, directory: Directory) -> bool:
    """Whether a process running as `user` (uid[:gid]) may create entries in `directory`."""
    uid, gid = _user(user)
    if uid == 0:
        return True
    if directory.uid == uid:
        return bool(directory.mode & 0o200)
    if gid is not None and directory.gid == gid:
        return bool(directory.mode & 0o020)
    return bool(directory.mode & 0o002)


def start_task(
    definition: Mapping[str, Any], launch_type: LaunchType, images: Mapping[str, Layout]
) -> dict[str, dict[str, Directory]]:
    """For each container (by name), the root of each of its writable mounts (path -> directory)
    as its process starts. `images` gives each container's image layout, by container name."""
    volumes = {v["Name"]: _Volume(FRESH_VOLUME) for v in definition.get("Volumes", [])}
    seen: dict[str, dict[str, Directory]] = {}
    for container in start_order(definition["ContainerDefinitions"]):
        layout = images[container["Name"]]
        mounts = {
            m["ContainerPath"]: volumes[m["SourceVolume"]] for m in container.get("MountPoints", [])
        }
        # Create: Docker fills empty named volumes from the image (not Fargate's bind mounts).
        for path, volume in mounts.items():
            if launch_type == "ec2" and volume.empty and path in layout:
                volume.root = replace(layout[path], has_entries=False)
                volume.empty = not layout[path].has_entries
        # Start: tmpfs mounts.
        tmpfs = {
            t["ContainerPath"]: _tmpfs_root(
                t.get("MountOptions", []), layout.get(t["ContainerPath"])
            )
            for t in container.get("LinuxParameters", {}).get("Tmpfs", [])
        }
        seen[container["Name"]] = {path: v.root for path, v in mounts.items()} | tmpfs
        # Run: the init container's chown of its mounts' roots.
        command = container.get("Command") or []
        if command[:1] == ["chown"]:
            uid, gid = _user(command[1])
            for path in command[2:]:
                volume = mounts[path]
                volume.root = replace(
                    volume.root, uid=uid, gid=volume.root.gid if gid is None else gid
                )
    return seen


def writable_paths(
    definition: Mapping[str, Any],
    launch_type: LaunchType,
    images: Mapping[str, Layout],
    container: str = "app",
) -> dict[str, bool]:
    """Each writable mount of `container` -> whether its user can write it when it starts."""
    by_name = {c["Name"]: c for c in definition["ContainerDefinitions"]}
    user = by_name[container].get("User", "0")
    roots = start_task(definition, launch_type, images)[container]
    return {path: can_write(user, root) for path, root in roots.items()}
