"""efs-access-point-owner: an EFS access point replaced with another POSIX user on the directory
of a file system the deploy keeps.

An access point makes every file operation through it its POSIX user's: "replaces the NFS
client's user and group IDs with the identity configured on the access point for all file system
operations" (Amazon EFS User Guide, "Enforcing a user identity using an access point",
https://docs.aws.amazon.com/efs/latest/ug/enforce-identity-access-points.html), and it creates
its root directory with CreationInfo's owner only "if the access point root directory does not
exist" (Amazon EFS API Reference, CreationInfo,
https://docs.aws.amazon.com/efs/latest/ug/API_CreationInfo.html). The platform's access point
(container_constructs/efs_storage.py) is the service's user on /data, mode 750: a new user on a
directory the old one created and owns is refused every read and write there, so the app loses
its data at once (its tasks fail their checks and the deployment rolls back, or it serves errors).
The way out keeps the access point: `efs.owner`, the identity apart from the container's `user`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.plan.model import Refusal
from tools.plan.references import canonical
from tools.plan.transition import Transition

RULE_ID = "efs-access-point-owner"
TITLE = (
    "an EFS access point replaced with another POSIX user on a kept file system's directory "
    "(the directory keeps its owner)"
)
ACCEPT_WHEN = (
    "the directory holds nothing the app needs (never written, or its owner already changed by "
    "hand to the new user)"
)
ACCESS_POINT = "AWS::EFS::AccessPoint"


def _identity(properties: Mapping[str, Any]) -> tuple[Any, Any]:
    """(the POSIX user, the directory's owner at creation) of an access point's properties."""
    user = properties.get("PosixUser") or {}
    creation = (properties.get("RootDirectory") or {}).get("CreationInfo") or {}
    return (
        (user.get("Uid"), user.get("Gid")),
        (creation.get("OwnerUid"), creation.get("OwnerGid")),
    )


def _uid_gid(pair: tuple[Any, Any]) -> str:
    uid, gid = pair
    return str(uid) if gid in (None, uid) else f"{uid}:{gid}"


def check(transition: Transition) -> list[Refusal]:
    refusals = []
    for stack, logical_id, old, new in transition.kept_resources(ACCESS_POINT):
        # Another file system, or the same one replaced (its directory created anew): not this.
        if canonical(old.get("FileSystemId"), stack, transition.base) != canonical(
            new.get("FileSystemId"), stack, transition.target, transition.renewed
        ):
            continue
        old_root = (old.get("RootDirectory") or {}).get("Path", "/")
        if old_root != (new.get("RootDirectory") or {}).get("Path", "/"):
            continue  # another directory
        (old_user, old_owner), (new_user, _) = _identity(old), _identity(new)
        if old_user == new_user:
            continue
        refusals.append(_refusal(transition, stack, logical_id, old_root, old_owner, new_user))
    return refusals


def _refusal(
    transition: Transition,
    stack: str,
    access_point: str,
    root: str,
    owner: tuple[Any, Any],
    user: tuple[Any, Any],
) -> Refusal:
    after = transition.target[stack]
    deployed = _uid_gid(owner)
    reason = (
        f"{after.label(access_point)} is replaced as user {_uid_gid(user)} on {root}, which EFS "
        f"created owned by {deployed} and does not create again: every read and write of the "
        "app there is refused from the first task of the new revision"
    )
    steps = (
        f'Keep the access point: set the service\'s `efs.owner` to "{deployed}" (the deployed '
        "owner); the access point makes every file operation that user's whatever `user` the "
        "container runs as. `make plan` then plans it clean.",
        f"Or, if the directory holds nothing the app needs: `make deploy PLAN_ACCEPT={RULE_ID}`.",
    )
    return Refusal(RULE_ID, stack, after.path(access_point), reason, steps)
