"""Whether a service's role may decrypt what it reads: the KMS key a secret or a given queue is
encrypted with, against the keys the config grants (tools/account/secrets.py and queues.py
report it).

ECS fetches a container's secrets with the task execution role when the task starts. A secret
encrypted with a customer managed KMS key needs `kms:Decrypt` on that key ("Amazon ECS task
execution IAM role", Secrets Manager or Systems Manager permissions,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html, read
2026-12-05: "kms:Decrypt - Required only if your key uses a custom KMS key and not the default
key. The ARN for your custom key should be added as a resource"). The platform grants it on the
key a secret's `kms_key_arn` names, through the service holding the secret (kms:ViaService,
stacks/ecs_secrets.py `grant_secret_keys`), for every secret of the service. Without it every
task stops with ResourceInitializationError and the deployment rolls back many minutes in.

The key comes from the secret's description: DescribeSecret's `KmsKeyId` ("The key ID or alias
ARN of the KMS key that Secrets Manager uses to encrypt the secret value. If the secret is
encrypted with the AWS managed key aws/secretsmanager, this field is omitted", Secrets Manager API
reference), DescribeParameters' `KeyId` of a SecureString (`alias/aws/ssm` by default). KMS
DescribeKey turns a key id or alias into the key's ARN and says whether AWS manages the key (an
AWS managed key needs no grant). A key that cannot be described is compared as given when that is
a key ARN, and otherwise "not checked", never a problem. A queue's key: tools/account/queues.py.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from tools.account.session import looked_up

# The aliases of the keys AWS manages for a service in every account (alias/aws/secretsmanager,
# alias/aws/ssm, alias/aws/sqs): what one encrypts needs no grant.
AWS_MANAGED_ALIAS_PREFIX = "alias/aws/"


@dataclass(frozen=True)
class EncryptionKey:
    """The customer managed key something is encrypted with (its ARN), "" for an AWS managed
    key, or None with why it was not told."""

    arn: str | None
    reason: str = ""


AWS_MANAGED = EncryptionKey("")


def described_key(key: EncryptionKey | None) -> str:
    """What a report line adds for `key`: "; KMS key ARN" for a customer managed key, why it is
    not known, or nothing (an AWS managed key, or none looked up)."""
    if key is None or key.arn == "":
        return ""
    return f"; KMS key {key.arn}" if key.arn else f"; {key.reason}"


def _is_key_arn(key_id: str) -> bool:
    return key_id.startswith("arn:") and ":key/" in key_id


def _is_aws_managed_alias(key_id: str) -> bool:
    alias = key_id.split(":", 5)[5] if key_id.startswith("arn:") else key_id
    return alias.startswith(AWS_MANAGED_ALIAS_PREFIX)


def encryption_key(session: Any, region: str, key_id: str | None) -> EncryptionKey:
    """The key `key_id` (as the resource's description gives it; None: the AWS managed default)
    stands for, described by KMS in the resource's `region`."""
    if key_id is None or _is_aws_managed_alias(key_id):
        return AWS_MANAGED
    kms = session.client("kms", region_name=region)

    def described() -> EncryptionKey:
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        return (
            AWS_MANAGED if metadata.get("KeyManager") == "AWS" else EncryptionKey(metadata["Arn"])
        )

    def undescribed(why: str) -> EncryptionKey:
        if _is_key_arn(key_id):
            return EncryptionKey(key_id)
        return EncryptionKey(None, f"its KMS key {key_id} not described ({why})")

    return looked_up(described, not_checked=undescribed, by_code={})


def key_problem(
    key: EncryptionKey,
    *,
    configured: str | None,
    granted: Collection[str],
    described: str,
    consequence: str,
) -> str | None:
    """Why a role may not decrypt `described` (None when it may, or when the key is not known):
    its customer managed key is not among the keys `granted` to the role; `configured` is the
    field's own `kms_key_arn`, `consequence` what follows."""
    if not key.arn or key.arn in granted:
        return None
    named = f"kms_key_arn names {configured}" if configured else "kms_key_arn is not set"
    return (
        f"{described} is encrypted with the customer managed KMS key {key.arn}, but {named}: "
        f"{consequence}; set kms_key_arn to {key.arn}"
    )
