"""tools/account/queues.py through tools/account/check.py: a queue a worker is given must exist
where the deployer's account can tell, and its task role must be granted the queue's customer
managed KMS key (moto, and a fake client for a refused call)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from platform_config import PlatformConfig, load_config
from platform_config.environments import SAMPLE_IMAGE
from tests.helpers.account import customer_managed_key
from tests.helpers.fake_session import FakeSession
from tools.account.check import check_account
from tools.account.findings import FOUND, MISSING, NOT_CHECKED

FIELD = "ecs.fargate.services.jobs.queue"
OTHER_ACCOUNT = "210987654321"


def _config(queue: dict[str, Any]) -> PlatformConfig:
    """The sandbox without the config of record: Fargate worker `jobs` given `queue`, EKS off."""
    worker = {"kind": "worker", "image": dict(SAMPLE_IMAGE), "user": "101", "queue": queue}
    overrides = {"ecs": {"fargate": {"services": {"jobs": worker}}}, "eks": {"enabled": False}}
    return load_config("sandbox", overrides=overrides, config_dir=None)


def _arn(aws: boto3.Session, name: str) -> str:
    account = aws.client("sts").get_caller_identity()["Account"]
    return f"arn:aws:sqs:us-east-1:{account}:{name}"


def _statuses(report: Any) -> dict[str, str]:
    return {queue.path: queue.status for queue in report.queues}


@pytest.mark.integration
def test_a_given_queue_must_exist(aws: boto3.Session) -> None:
    arn = _arn(aws, "orders")
    report = check_account(_config({"arn": arn}), aws)
    assert _statuses(report) == {FIELD: MISSING}
    assert report.problems == [
        f"{FIELD}.arn: SQS queue {arn} does not exist in account {arn.split(':')[4]}, region "
        "us-east-1: the worker would consume nothing (every receive fails with "
        "NonExistentQueue) and the services sending to it fail to send; create it first, or "
        "leave arn unset so that the worker owns its queue"
    ]
    aws.client("sqs", region_name="us-east-1").create_queue(QueueName="orders")
    found = check_account(_config({"arn": arn}), aws)
    assert (_statuses(found), found.problems) == ({FIELD: FOUND}, [])
    assert f"  {FIELD}: found ({arn})" in found.render()


@pytest.mark.integration
def test_a_queue_encrypted_with_a_customer_managed_key_needs_it_in_kms_key_arn(
    aws: boto3.Session,
) -> None:
    """The queue names its key by alias; an AWS managed key (alias/aws/sqs) needs none."""
    key = customer_managed_key(aws, "alias/orders")
    sqs = aws.client("sqs", region_name="us-east-1")
    sqs.create_queue(QueueName="orders", Attributes={"KmsMasterKeyId": "alias/orders"})
    sqs.create_queue(QueueName="managed", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    arn = _arn(aws, "orders")
    (problem,) = check_account(_config({"arn": arn}), aws).problems
    assert problem == (
        f"{FIELD}.kms_key_arn: SQS queue {arn} is encrypted with the customer managed KMS key "
        f"{key}, but kms_key_arn is not set: the worker's task role may not decrypt its "
        f"messages, so every receive would fail (KmsAccessDenied); set kms_key_arn to {key}"
    )
    granted = check_account(_config({"arn": arn, "kms_key_arn": key}), aws)
    assert granted.problems == []
    assert f"  {FIELD}: found ({arn}; KMS key {key})" in granted.render()
    assert check_account(_config({"arn": _arn(aws, "managed")}), aws).problems == []


class _DeniedSqs:
    def get_queue_url(self, **_: Any) -> dict[str, Any]:
        error = {"Code": "AccessDenied", "Message": "not authorized"}
        raise ClientError({"Error": error}, "GetQueueUrl")


@pytest.mark.integration
def test_another_accounts_queue_or_a_denied_lookup_is_not_checked(aws: boto3.Session) -> None:
    foreign = f"arn:aws:sqs:us-east-1:{OTHER_ACCOUNT}:shared"
    report = check_account(_config({"arn": foreign}), aws)
    assert (report.queues[0].status, report.queues[0].reason, report.problems) == (
        NOT_CHECKED,
        f"in account {OTHER_ACCOUNT}: its owner's to check",
        [],
    )
    denied = check_account(
        _config({"arn": _arn(aws, "orders")}), FakeSession(aws, sqs=_DeniedSqs())
    )
    assert denied.problems == []
    assert (
        denied.queues[0]
        .line()
        .endswith("not checked (" + _arn(aws, "orders") + "): GetQueueUrl failed: AccessDenied")
    )


@pytest.mark.integration
def test_an_owned_queue_is_not_looked_up(aws: boto3.Session) -> None:
    report = check_account(_config({}), aws)
    assert report.queues == []
    assert "Queues the workers are given:\n  none (no worker is given a queue)" in report.render()
