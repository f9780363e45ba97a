"""Whether each SQS queue a worker is given (`queue.arn`) exists, and whether its task role may
decrypt it (tools.account.check reports it before a deploy).

A worker given a queue consumes it instead of owning one; the platform grants its task role the
consumer's actions on that ARN, and kms:Decrypt on `queue.kms_key_arn` when that is set
(stacks/ecs_workloads.py imports the queue with that key). A queue that does not exist answers
every receive with AWS.SimpleQueueService.NonExistentQueue; one encrypted with a customer managed
KMS key the role may not use answers KmsAccessDenied ("The caller doesn't have the required KMS
access", the SQS API reference's errors of ReceiveMessage; consumers need kms:Decrypt, "Key
management" in the Amazon SQS Developer Guide,
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html,
read 2026-12-05). Either way the worker consumes nothing: its tasks fail or idle, and the
services sending to it (`send_to`) fail to send.

* SQS GetQueueUrl by the ARN's name and account, in the ARN's region, for a queue of the
  caller's account; another account's queue is its owner's to check ("not checked").
* GetQueueAttributes KmsMasterKeyId: the queue's key (absent: SQS-managed encryption, or none),
  resolved by tools/account/kms_keys.py; a customer managed key must be `queue.kms_key_arn`.
* A denied or failed call leaves the queue (or its key) "not checked", never a problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from platform_config import PlatformConfig
from tools.account.findings import FOUND, MISSING, NOT_CHECKED, other_account
from tools.account.kms_keys import EncryptionKey, described_key, encryption_key, key_problem
from tools.account.session import looked_up

# SQS's codes for a queue that does not exist (query and JSON protocols).
NO_SUCH_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


@dataclass(frozen=True)
class QueueStatus:
    """One worker's given queue, what SQS says of it, and its key."""

    path: str  # e.g. ecs.fargate.services.orders-worker.queue
    arn: str
    status: str  # FOUND, MISSING or NOT_CHECKED
    reason: str = ""  # why not checked
    key: EncryptionKey | None = None
    key_problem: str | None = None

    @property
    def problem(self) -> str | None:
        if self.status == MISSING:
            account, region = self.arn.split(":")[4], self.arn.split(":")[3]
            return (
                f"{self.path}.arn: SQS queue {self.arn} does not exist in account {account}, "
                f"region {region}: the worker would consume nothing (every receive fails with "
                "NonExistentQueue) and the services sending to it fail to send; create it first, "
                "or leave arn unset so that the worker owns its queue"
            )
        return f"{self.path}.kms_key_arn: {self.key_problem}" if self.key_problem else None

    def line(self) -> str:
        if self.status == NOT_CHECKED:
            return f"{self.path}: {self.status} ({self.arn}): {self.reason}"
        return f"{self.path}: {self.status} ({self.arn}{described_key(self.key)})"


def given_queues(config: PlatformConfig) -> list[tuple[str, str, str | None]]:
    """(field path, queue ARN, kms_key_arn) of every queue a worker of an enabled cluster is
    given."""
    return [
        (
            f"ecs.{kind}.services.{service.name}.queue",
            service.worker_queue.arn,
            service.worker_queue.kms_key_arn,
        )
        for kind, cluster in config.ecs.enabled_clusters.items()
        for service in cluster.services.values()
        if service.kind == "worker" and service.worker_queue.arn is not None
    ]


def check_queues(config: PlatformConfig, session: Any, account: str) -> list[QueueStatus]:
    """The status of every queue the config's workers are given, with `account` the caller's.
    Raises only botocore's NoCredentialsError."""
    statuses = []
    for path, arn, configured in given_queues(config):
        foreign = other_account(arn, account)
        if foreign:
            statuses.append(QueueStatus(path, arn, NOT_CHECKED, foreign))
            continue
        region = arn.split(":")[3]
        status, reason, key_id = _queue(session.client("sqs", region_name=region), arn)
        if status != FOUND:
            statuses.append(QueueStatus(path, arn, status, reason))
            continue
        key = encryption_key(session, region, key_id)
        problem = key_problem(
            key,
            configured=configured,
            granted={configured} if configured else set(),
            described=f"SQS queue {arn}",
            consequence=(
                "the worker's task role may not decrypt its messages, so every receive would fail "
                "(KmsAccessDenied)"
            ),
        )
        statuses.append(QueueStatus(path, arn, FOUND, key=key, key_problem=problem))
    return statuses


def _queue(sqs: Any, arn: str) -> tuple[str, str, str | None]:
    """(FOUND, "", its key id) or (MISSING or NOT_CHECKED, why, None)."""
    _, _, _, _, owner, name = arn.split(":", 5)

    def described() -> tuple[str, str, str | None]:
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=owner)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])
        return FOUND, "", attributes.get("Attributes", {}).get("KmsMasterKeyId")

    missing: tuple[str, str, str | None] = (MISSING, "", None)
    return looked_up(
        described,
        not_checked=lambda why: (NOT_CHECKED, why, None),
        by_code=dict.fromkeys(NO_SUCH_QUEUE, missing),
    )
