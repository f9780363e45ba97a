"""What happens to stateful resources when their stack is deleted: sandbox leaves nothing behind
(`cdk destroy` empties and deletes), production keeps everything. Driven by the environment's
`retain_stateful_resources`, never by its name."""

from __future__ import annotations

from tests.gates.cfn import EnvironmentFacts, Resource, is_true, referenced_id
from tests.gates.rules import Rule

STATEFUL_TYPES = ("AWS::ECR::Repository", "AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::KMS::Key")
AUTO_DELETE_OBJECTS = "Custom::S3AutoDeleteObjects"


def _auto_deleted(bucket: Resource) -> bool:
    return any(
        referenced_id(custom.properties.get("BucketName")) == bucket.logical_id
        for custom in bucket.siblings(AUTO_DELETE_OBJECTS)
    )


def removal_follows_environment(resource: Resource, facts: EnvironmentFacts) -> list[str]:
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


def _stateful(**extra: object) -> dict[str, dict[str, object]]:
    return {
        "Repo": {
            "Type": "AWS::ECR::Repository",
            "Properties": {"EmptyOnDelete": True},
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
        },
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {},
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
        },
        "BucketAutoDelete": {
            "Type": AUTO_DELETE_OBJECTS,
            "Properties": {"BucketName": {"Ref": "Bucket"}},
        },
        **extra,  # type: ignore[dict-item]
    }


STATEFUL_RULE = Rule(
    id="stateful-removal-follows-environment",
    requirement=(
        "ECR repositories, buckets, log groups and KMS keys: Delete (+ emptied) where the "
        "environment does not retain them, Retain (never emptied) where it does"
    ),
    resource_types=STATEFUL_TYPES,
    check=removal_follows_environment,
    bad={
        **_stateful(),
        "Repo": {
            "Type": "AWS::ECR::Repository",
            "Properties": {},
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
        },
    },
    good=_stateful(),
    example_facts={"retain_stateful_resources": False},
)
