"""tools/verify/workloads.py (`make verify` for workers and jobs): queues exist, schedules exist and
are ENABLED, on moto in process; and the URL check leaves workers and jobs alone."""

from __future__ import annotations

import boto3
import pytest

from container_constructs import defaults
from platform_config import load_config
from stacks import names
from tools.verify.deployed import DeployedStack
from tools.verify.report import FAIL, OK, Report
from tools.verify.urls import health_url
from tools.verify.workloads import SCHEDULE, SQS_QUEUE, check_queues, check_schedules

STACK = names.stack_id("sandbox", names.ecs_workload_unit("fargate", "job", "report"))


def _stack(*resources: tuple[str, str, str]) -> DeployedStack:
    return DeployedStack(STACK, "CREATE_COMPLETE", {}, list(resources))


def _schedule(scheduler: object, name: str, state: str) -> None:
    scheduler.create_schedule(  # type: ignore[attr-defined]
        Name=name,
        ScheduleExpression="rate(1 day)",
        State=state,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
        },
    )


@pytest.mark.integration
def test_queues_that_exist_are_ok_and_a_deleted_one_fails(aws: boto3.Session) -> None:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="worker-queue")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="job")
    gone = sqs.create_queue(QueueName="gone")["QueueUrl"]
    sqs.delete_queue(QueueUrl=gone)
    report = Report("sandbox")
    check_queues(report, sqs, [_stack((SQS_QUEUE, "Q", url), (SQS_QUEUE, "G", gone))])
    ok, failed = report.checks
    assert (ok.kind, ok.status, ok.detail) == ("queue", OK, "exists, 1 message(s) waiting")
    assert ok.subject == f"{STACK} worker-queue"
    assert (failed.status, failed.detail) == (
        FAIL,
        "not found (AWS.SimpleQueueService.NonExistentQueue)",
    )


@pytest.mark.integration
def test_enabled_schedules_are_ok_disabled_and_missing_ones_fail(aws: boto3.Session) -> None:
    scheduler = aws.client("scheduler")
    _schedule(scheduler, "nightly", "ENABLED")
    _schedule(scheduler, "paused", "DISABLED")
    report = Report("sandbox")
    stack = _stack(
        (SCHEDULE, "A", "nightly"), (SCHEDULE, "B", "paused"), (SCHEDULE, "C", "missing")
    )
    check_schedules(report, scheduler, [stack])
    assert [(c.kind, c.subject.split()[-1], c.status) for c in report.checks] == [
        ("schedule", "nightly", OK),
        ("schedule", "paused", FAIL),
        ("schedule", "missing", FAIL),
    ]
    assert report.checks[0].detail == "ENABLED, rate(1 day)"
    assert report.checks[2].detail == "not found"


@pytest.mark.integration
def test_no_queue_or_schedule_adds_no_line(aws: boto3.Session) -> None:
    report = Report("sandbox")
    check_queues(report, aws.client("sqs"), [_stack()])
    check_schedules(report, aws.client("scheduler"), [_stack()])
    assert report.checks == []


def test_the_url_check_looks_only_at_web_services() -> None:
    """A worker has no route: finding a web service's health path skips it."""
    worker = {
        "kind": "worker",
        "image": {
            "uri": defaults.VOLUME_PERMISSIONS_IMAGE_URI,
            "digest": defaults.VOLUME_PERMISSIONS_IMAGE_DIGEST,
        },
    }
    config = load_config("sandbox", overrides={"ecs": {"fargate": {"services": {"jobs": worker}}}})
    key = names.service_url_output("jobs")
    assert health_url("http://example.invalid/", config, key) == "http://example.invalid/"
