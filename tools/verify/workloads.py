"""The checks of `make verify` that only some service kinds need (tools/verify/deployment.py):

* queue     every AWS::SQS::Queue of the deployed stacks (a worker's queue and dead-letter
            queue, a job's dead-letter queue) exists: GetQueueAttributes answers for its URL;
* schedule  every AWS::Scheduler::Schedule (a job) exists and is ENABLED (GetSchedule).

Web services are checked by their URLs and target groups, backends and workers as ECS services;
a worker or a job has no URL to probe. An environment without queues or schedules gets no line of
these kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tools.verify.deployed import DeployedStack, physical_ids
from tools.verify.report import FAIL, OK, Report

SQS_QUEUE = "AWS::SQS::Queue"
SCHEDULE = "AWS::Scheduler::Schedule"
# Scheduler's own error for a schedule that does not exist.
NOT_FOUND = "ResourceNotFoundException"


def check_queues(report: Report, sqs: Any, stacks: Sequence[DeployedStack]) -> None:
    """Each queue answers GetQueueAttributes (its physical id is its URL)."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    for stack_name, url in physical_ids(stacks, SQS_QUEUE):
        subject = f"{stack_name} {url.rpartition('/')[2]}"
        try:
            attributes = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            report.add("queue", subject, FAIL, f"not found ({code})")
            continue
        waiting = attributes.get("ApproximateNumberOfMessages", "?")
        report.add("queue", subject, OK, f"exists, {waiting} message(s) waiting")


def check_schedules(report: Report, scheduler: Any, stacks: Sequence[DeployedStack]) -> None:
    """Each schedule exists (in the default group) and is ENABLED."""
    from botocore.exceptions import ClientError

    for stack_name, name in physical_ids(stacks, SCHEDULE):
        subject = f"{stack_name} {name}"
        try:
            schedule = scheduler.get_schedule(Name=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != NOT_FOUND:
                raise
            report.add("schedule", subject, FAIL, "not found")
            continue
        state = schedule.get("State")
        detail = f"{state}, {schedule.get('ScheduleExpression')}"
        report.add("schedule", subject, OK if state == "ENABLED" else FAIL, detail)
