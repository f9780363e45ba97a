"""S3 buckets private, encrypted and SSL-only; customer-managed KMS keys that rotate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rule import EnvironmentFacts, Rule
from .template import Resource, get, is_true, mappings, referenced_id

BUCKET = "AWS::S3::Bucket"
PUBLIC_ACCESS_FLAGS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)


def public_access_blocked(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """The bucket blocks all four kinds of public access."""
    block = resource.properties.get("PublicAccessBlockConfiguration") or {}
    open_flags = [flag for flag in PUBLIC_ACCESS_FLAGS if not is_true(block.get(flag))]
    return [f"public access not blocked: {', '.join(open_flags)}"] if open_flags else []


def encrypted(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """The bucket has default encryption."""
    if get(resource.properties, "BucketEncryption", "ServerSideEncryptionConfiguration"):
        return []
    return ["no BucketEncryption"]


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    secure = get(statement, "Condition", "Bool", "aws:SecureTransport")
    return statement.get("Effect") == "Deny" and str(secure).lower() == "false"


def ssl_only(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """A policy of the bucket denies requests without SSL."""
    statements = [
        statement
        for policy in resource.siblings("AWS::S3::BucketPolicy")
        if referenced_id(policy.properties.get("Bucket")) == resource.logical_id
        for statement in mappings(get(policy.properties, "PolicyDocument", "Statement"))
    ]
    if any(_denies_insecure_transport(s) for s in statements):
        return []
    return ["no bucket policy denies requests without SSL (aws:SecureTransport)"]


def kms_key_rotates(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """A symmetric customer-managed key rotates."""
    props = resource.properties
    if props.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return []  # AWS rotates only symmetric encryption keys
    return [] if is_true(props.get("EnableKeyRotation")) else ["EnableKeyRotation is not true"]


BLOCK_ALL = dict.fromkeys(PUBLIC_ACCESS_FLAGS, True)
SSE = {
    "ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
}
SSL_POLICY = {
    "Type": "AWS::S3::BucketPolicy",
    "Properties": {
        "Bucket": {"Ref": "Bucket"},
        "PolicyDocument": {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    "Resource": "*",
                }
            ]
        },
    },
}


def _bucket(*, policy: bool = True, **properties: Any) -> dict[str, Any]:
    """The compliant bucket (with its SSL-only policy) changed by `properties` (None removes)."""
    merged = {"PublicAccessBlockConfiguration": BLOCK_ALL, "BucketEncryption": SSE, **properties}
    bucket = {"Type": BUCKET, "Properties": {k: v for k, v in merged.items() if v is not None}}
    return {"Bucket": bucket, **({"Policy": SSL_POLICY} if policy else {})}


RULES: tuple[Rule, ...] = (
    Rule(
        id="s3-public-access-blocked",
        requirement="every bucket blocks all four kinds of public access",
        resource_types=(BUCKET,),
        check=public_access_blocked,
        bad=_bucket(PublicAccessBlockConfiguration={**BLOCK_ALL, "BlockPublicPolicy": False}),
        good=_bucket(),
    ),
    Rule(
        id="s3-encrypted",
        requirement="every bucket has default encryption",
        resource_types=(BUCKET,),
        check=encrypted,
        bad=_bucket(BucketEncryption=None),
        good=_bucket(),
    ),
    Rule(
        id="s3-ssl-only",
        requirement="every bucket's policy denies requests without SSL",
        resource_types=(BUCKET,),
        check=ssl_only,
        bad=_bucket(policy=False),
        good=_bucket(),
    ),
    Rule(
        id="kms-key-rotation",
        requirement="every customer-managed symmetric KMS key rotates",
        resource_types=("AWS::KMS::Key",),
        check=kms_key_rotates,
        bad={"K": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {}}}},
        good={"K": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}}},
    ),
)
