"""A task that EventBridge Scheduler runs on a schedule (cron or rate, in a time zone), with no ECS
service: each run is one task of the hardened task definition, started by a role that may run
only that task definition and pass only its two roles."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from container_constructs import checks, defaults
from container_constructs.efs_storage import EfsStorage
from container_constructs.service_base import add_storage, check_task_props, task_security_group
from container_constructs.task_definition import (
    TaskProps,
    TaskWorkload,
    build_task,
    with_task_attributes,
)


@dataclass(frozen=True, kw_only=True)
class ScheduledJobProps(TaskProps):
    """Props of `ScheduledJob`.

    Attributes:
        schedule: when to run (`ScheduleExpression.cron(..., time_zone=...)` or `.rate(...)`).
            Required.
        time_window: start each run within this long after its time (a flexible window
            spreads load). Default: None, exactly on time.
        retry_attempts: retries of a run that could not start. Default: 2.
        max_event_age: how long a run that could not start is retried. Default: one hour.
        enabled: whether the schedule runs. Default: True.
        dead_letter_retention: how long the dead-letter queue keeps the runs that never
            started. Default: 14 days.
        enable_execute_command: ECS Exec into a run; a job refuses it (a run is short, and
            ECS grants its agent only through a service). Default: False.
    """

    schedule: scheduler.ScheduleExpression
    time_window: Duration | None = None
    retry_attempts: int = defaults.SCHEDULE_RETRY_ATTEMPTS
    max_event_age: Duration = field(
        default_factory=lambda: Duration.seconds(defaults.SCHEDULE_MAX_EVENT_AGE_SECONDS)
    )
    enabled: bool = True
    dead_letter_retention: Duration = field(
        default_factory=lambda: Duration.days(defaults.DEAD_LETTER_RETENTION_DAYS)
    )
    enable_execute_command: bool = False


ScheduledJobProps.__doc__ = with_task_attributes(ScheduledJobProps.__doc__)


class ScheduledJob(TaskWorkload):
    """An EventBridge Scheduler schedule whose target runs one task of the job's hardened task
    definition (container_constructs/task_definition.py) on its cluster, in private subnets, on
    the cluster's capacity provider strategy. A run
    that cannot start is retried, then sent to an encrypted dead-letter queue. The scheduler's
    role (assumed by scheduler.amazonaws.com for this account only) may run exactly this task
    definition revision, pass only its task and execution roles to ECS, and send to its
    dead-letter queue.

    Attributes:
        schedule: the schedule.
        scheduler_role: the role the schedule runs the task with.
        dead_letter_queue: where runs that never started go.
        task_definition / container / sidecars: its task, app container and sidecars.
        volume_permissions_container: the init container that chowns the scratch volumes, or
            None (volume_permissions "none", or no scratch volumes of the app's own).
        task_role / execution_role: the app's role and the role ECS pulls and logs with.
        log_group: the application log group.
        security_group: the tasks' security group (no ingress).
        storage: the EFS storage, or None.
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: ScheduledJobProps) -> None:
        super().__init__(scope, construct_id)
        _check(props)
        task = build_task(self, props, port=None)
        self._expose_task(task)
        self.security_group = task_security_group(
            self, props.cluster, "Scheduled job tasks: no ingress"
        )
        self.storage: EfsStorage | None = add_storage(self, props, task, self.security_group)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=props.dead_letter_retention,
            removal_policy=props.removal_policy,
        )
        Validations.of(self.dead_letter_queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-SQS3",
                reason="This queue is itself the dead-letter queue of the job's schedule: runs "
                "that never started wait here; a dead-letter queue of it would add nothing",
            )
        )
        account = Stack.of(self).account
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            ),
            description="EventBridge Scheduler: run this job's task definition, nothing else",
        )
        subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        common = {
            "task_definition": task.task_definition,
            "role": self.scheduler_role,
            "dead_letter_queue": self.dead_letter_queue,
            "retry_attempts": props.retry_attempts,
            "max_event_age": props.max_event_age,
            "security_groups": [self.security_group],
            "vpc_subnets": subnets,
            "capacity_provider_strategies": list(props.cluster.capacity_provider_strategy),
        }
        target: targets.EcsRunTask
        if isinstance(task.task_definition, ecs.FargateTaskDefinition):
            target = targets.EcsRunFargateTask(
                props.cluster.cluster,
                assign_public_ip=False,
                platform_version=ecs.FargatePlatformVersion.LATEST,
                **common,  # type: ignore[arg-type]
            )
        else:
            target = targets.EcsRunEc2Task(
                props.cluster.cluster,
                **common,  # type: ignore[arg-type]
            )
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            schedule=props.schedule,
            target=target,
            enabled=props.enabled,
            time_window=(
                scheduler.TimeWindow.flexible(props.time_window)
                if props.time_window is not None
                else scheduler.TimeWindow.off()
            ),
            description="Runs one task of the job's task definition",
        )
        if self.storage is not None:
            self.schedule.node.add_dependency(self.storage.file_system.mount_targets_available)


def _check(props: ScheduledJobProps) -> None:
    # Guards direct use; platform_config refuses the same input first, naming the field.
    check_task_props("ScheduledJob", props)
    if props.enable_execute_command:
        raise ValueError("ScheduledJob: ECS Exec is for services; a job refuses it")
    if props.exceptions.privileged_port is not None:
        raise ValueError("ScheduledJob: a job listens on no port (privileged_port)")
    low, high = checks.SCHEDULE_RETRY_ATTEMPTS_RANGE
    if not low <= props.retry_attempts <= high:
        raise ValueError(f"ScheduledJob: retry_attempts must be {low}-{high}")
    low, high = checks.SCHEDULE_MAX_EVENT_AGE_RANGE
    if not low <= props.max_event_age.to_seconds() <= high:
        raise ValueError(f"ScheduledJob: max_event_age must be {low}-{high} seconds")
    if props.time_window is not None:
        low, high = checks.SCHEDULE_FLEXIBLE_WINDOW_MINUTES_RANGE
        if not low <= props.time_window.to_minutes() <= high:
            raise ValueError(f"ScheduledJob: time_window must be {low}-{high} minutes")
