"""What happens to stateful resources when their stack is deleted: where the environment does not
retain them, `cdk destroy` leaves nothing behind (deleted, and emptied first); where it does,
everything is kept. Driven by the plugin's `retain_stateful_resources`, never by a name."""

from __future__ import annotations

from typing import Any

from .rule import EnvironmentFacts, Rule
from .template import Resource, is_true, referenced_id

STATEFUL_TYPES = ("AWS::ECR::Repository", "AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::KMS::Key")
AUTO_DELETE_OBJECTS = "Custom::S3AutoDeleteObjects"


def _auto_deleted(bucket: Resource) -> bool:
    return any(
        referenced_id(custom.properties.get("BucketName")) == bucket.logical_id
        for custom in bucket.siblings(AUTO_DELETE_OBJECTS)
    )


def removal_follows_environment(resource: Resource, facts: EnvironmentFacts) -> list[str]:
    """Deletion and replace policies (and emptying) as the environment's retention asks."""
    wanted = "Retain" if facts.retain_stateful_resources else "Delete"
    problems = [
        f"{policy} is {resource.body.get(policy, 'unset')}, want {wanted}"
        for policy in ("DeletionPolicy", "UpdateReplacePolicy")
        if resource.body.get(policy) != wanted
    ]
    empty_on_delete = is_true(resource.properties.get("EmptyOnDelete"))
    if resource.type == "AWS::ECR::Repository" and empty_on_delete != (wanted == "Delete"):
        problems.append(f"EmptyOnDelete is {empty_on_delete}, want {wanted == 'Delete'}")
    if resource.type == "AWS::S3::Bucket" and _auto_deleted(resource) != (wanted == "Delete"):
        problems.append(
            f"{'has' if _auto_deleted(resource) else 'has no'} {AUTO_DELETE_OBJECTS} "
            f"(want {'auto-delete' if wanted == 'Delete' else 'objects kept'})"
        )
    return problems


def deleted_and_emptied(**extra: Any) -> dict[str, dict[str, Any]]:
    """A repository and a bucket deleted and emptied with their stack, plus `extra`."""
    delete = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
    return {
        "Repo": {"Type": "AWS::ECR::Repository", "Properties": {"EmptyOnDelete": True}, **delete},
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}, **delete},
        "BucketAutoDelete": {
            "Type": AUTO_DELETE_OBJECTS,
            "Properties": {"BucketName": {"Ref": "Bucket"}},
        },
        **extra,
    }


RULES: tuple[Rule, ...] = (
    Rule(
        id="stateful-removal-follows-environment",
        requirement=(
            "ECR repositories, buckets, log groups and KMS keys: Delete (+ emptied) where the "
            "environment does not retain them, Retain (never emptied) where it does"
        ),
        resource_types=STATEFUL_TYPES,
        check=removal_follows_environment,
        bad=deleted_and_emptied(
            Repo={
                "Type": "AWS::ECR::Repository",
                "Properties": {},
                "DeletionPolicy": "Delete",
                "UpdateReplacePolicy": "Delete",
            }
        ),
        good=deleted_and_emptied(),
    ),
)
