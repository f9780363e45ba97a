"""The service kinds (`ecs.<kind>.services.<name>.kind`) and what each one takes: a web service
behind an ALB route, a backend reached through ECS Service Connect, a worker on an SQS queue, a
job run on a schedule. The sections only some kinds take (queue, schedule) and the rules that
span a cluster's services (who may send to which worker's queue) are here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import (
    QUEUE_MAX_RECEIVE_COUNT_RANGE,
    QUEUE_RETENTION_DAYS_RANGE,
    QUEUE_VISIBILITY_TIMEOUT_RANGE,
    SCHEDULE_FLEXIBLE_WINDOW_MINUTES_RANGE,
    SCHEDULE_MAX_EVENT_AGE_RANGE,
    SCHEDULE_RETRY_ATTEMPTS_RANGE,
    is_time_zone,
    schedule_expression_problem,
)
from container_constructs.value_formats import KMS_KEY_ARN_FORMAT, SQS_QUEUE_ARN_FORMAT
from platform_config.base import Section

if TYPE_CHECKING:
    from platform_config.ecs_service import ServiceConfig

ServiceKind = Literal["web", "backend", "worker", "job"]
KINDS: tuple[ServiceKind, ...] = ("web", "backend", "worker", "job")
# Kinds that run as an ECS service (a job runs one task per schedule invocation).
SERVICE_KINDS = frozenset({"web", "backend", "worker"})
# Kinds whose app listens on a port.
LISTENING_KINDS = frozenset({"web", "backend"})

# The fields of a service only some kinds take, and which kinds: a field outside its kinds is
# refused when given (defaults of the others are not used).
KIND_FIELDS: Mapping[str, frozenset[str]] = {
    "route": frozenset({"web"}),
    "load_balancer": frozenset({"web"}),
    "stack": frozenset({"web"}),
    "health_check_path": frozenset({"web"}),
    "health_check_grace_seconds": frozenset({"web"}),
    "container_port": LISTENING_KINDS,
    "queue": frozenset({"worker"}),
    "schedule": frozenset({"job"}),
    "scaling": SERVICE_KINDS,
    # A job's run is one short task; ECS grants ECS Exec's agent through a service.
    "enable_execute_command": SERVICE_KINDS,
}
KIND_SCALING_FIELDS: Mapping[str, frozenset[str]] = {
    "requests_per_target": frozenset({"web"}),
    "cpu_target_percent": frozenset({"web", "backend"}),
    "backlog_per_task": frozenset({"worker"}),
}


def check_kind_fields(
    kind: str, fields_set: set[str], scaling_fields_set: set[str] | None = None
) -> None:
    """Refuse each field given that `kind` does not take, naming the kinds that do."""
    for field, kinds in [*KIND_FIELDS.items(), *KIND_SCALING_FIELDS.items()]:
        given = field in fields_set
        if field in KIND_SCALING_FIELDS:
            given = field in (scaling_fields_set or set())
            field = f"scaling.{field}"
        if given and kind not in kinds:
            raise ValueError(
                f"{field}: a {kind} service does not take it; allowed for kind "
                f"{' or '.join(k for k in KINDS if k in kinds)}"
            )


class ScalingConfig(Section):
    """Auto scaling of one service's task count: target tracking on CPU and ALB requests (web),
    CPU (backend) or queue backlog per task (worker)."""

    min_tasks: int = Field(
        default=defaults.MIN_TASKS,
        ge=0,
        description=(
            "Lowest task count, which a new service scales to; a deploy never sets the count "
            "(auto scaling owns it)."
        ),
    )
    max_tasks: int = Field(default=defaults.MAX_TASKS, ge=1, description="Highest task count.")
    cpu_target_percent: int = Field(
        default=defaults.CPU_TARGET_PERCENT,
        ge=10,
        le=90,
        description="Average CPU utilisation to track, percent (web and backend).",
    )
    requests_per_target: int = Field(
        default=defaults.REQUESTS_PER_TARGET,
        ge=1,
        description="ALB requests per task per minute to track (web).",
    )
    backlog_per_task: int = Field(
        default=defaults.BACKLOG_PER_TASK,
        ge=1,
        description=(
            "Visible queue messages per running task to track (worker): the acceptable latency "
            "divided by the time one message takes."
        ),
    )

    @property
    def deployment_tasks(self) -> int:
        """The most tasks a rolling deployment runs: a whole new task set starts beside the old
        one (maximum percent 200 of max_tasks), each an ALB target and an ENI."""
        return defaults.DEPLOYMENT_MAXIMUM_PERCENT * self.max_tasks // 100

    @model_validator(mode="before")
    @classmethod
    def _no_desired_tasks(cls, data: Any) -> Any:
        if isinstance(data, dict) and "desired_tasks" in data:
            raise ValueError(
                "desired_tasks: no longer taken; remove it. A service's template sets no task "
                "count, so a deploy never puts a service auto scaling has scaled out back to it: "
                "a new service starts at one task and scales to min_tasks at once, and auto "
                "scaling owns the count from then on (raise min_tasks for more)"
            )
        return data

    @model_validator(mode="after")
    def _ordered(self) -> ScalingConfig:
        if self.min_tasks > self.max_tasks:
            raise ValueError(
                f"min_tasks ({self.min_tasks}) must not exceed max_tasks ({self.max_tasks})"
            )
        return self


class QueueConfig(Section):
    """A worker's SQS queue: one it owns (the default; encrypted, TLS only, with a dead-letter
    queue), or one it is given by `arn`."""

    arn: str | None = Field(
        default=None,
        description=(
            "Consume this existing queue instead of owning one "
            "(arn:aws:sqs:REGION:ACCOUNT:NAME); its redrive and encryption are its owner's."
        ),
    )
    kms_key_arn: str | None = Field(
        default=None,
        description="With arn: the customer-managed KMS key the queue is encrypted with.",
    )
    max_receive_count: int = Field(
        default=defaults.QUEUE_MAX_RECEIVE_COUNT,
        ge=QUEUE_MAX_RECEIVE_COUNT_RANGE[0],
        le=QUEUE_MAX_RECEIVE_COUNT_RANGE[1],
        description="Receives of a message before it moves to the dead-letter queue.",
    )
    visibility_timeout_seconds: int = Field(
        default=defaults.QUEUE_VISIBILITY_TIMEOUT_SECONDS,
        ge=QUEUE_VISIBILITY_TIMEOUT_RANGE[0],
        le=QUEUE_VISIBILITY_TIMEOUT_RANGE[1],
        description="Seconds a received message stays hidden from other consumers.",
    )
    retention_days: int = Field(
        default=defaults.QUEUE_RETENTION_DAYS,
        ge=QUEUE_RETENTION_DAYS_RANGE[0],
        le=QUEUE_RETENTION_DAYS_RANGE[1],
        description="Days a message is kept.",
    )

    @field_validator("arn")
    @classmethod
    def _queue_arn(cls, value: str | None) -> str | None:
        return SQS_QUEUE_ARN_FORMAT.check(value)

    @field_validator("kms_key_arn")
    @classmethod
    def _key_arn(cls, value: str | None) -> str | None:
        return KMS_KEY_ARN_FORMAT.check(value)

    @model_validator(mode="after")
    def _owned_or_given(self) -> QueueConfig:
        owned_only = {"max_receive_count", "visibility_timeout_seconds", "retention_days"}
        if self.arn is not None and (given := sorted(owned_only & self.model_fields_set)):
            raise ValueError(
                f"{', '.join(given)}: settings of a queue the worker owns; a queue given by arn "
                "keeps its owner's (allowed with arn: kms_key_arn)"
            )
        if self.arn is None and self.kms_key_arn is not None:
            raise ValueError(
                "kms_key_arn: only with arn (an owned queue uses SQS-managed encryption)"
            )
        return self

    @property
    def owned(self) -> bool:
        """Whether the worker owns its queue (and its dead-letter queue)."""
        return self.arn is None


class ScheduleConfig(Section):
    """When EventBridge Scheduler runs a job's task, and what it does when a run cannot start."""

    expression: str = Field(
        description=(
            "rate(1 day), rate(15 minutes) or cron(0 3 * * ? *) (minutes hours day-of-month month "
            "day-of-week year; one day field '?')."
        ),
    )
    time_zone: str = Field(
        default=defaults.SCHEDULE_TIME_ZONE,
        description="IANA time zone of a cron expression, e.g. Europe/Berlin.",
    )
    retry_attempts: int = Field(
        default=defaults.SCHEDULE_RETRY_ATTEMPTS,
        ge=SCHEDULE_RETRY_ATTEMPTS_RANGE[0],
        le=SCHEDULE_RETRY_ATTEMPTS_RANGE[1],
        description="Retries of a run that cannot start, then its dead-letter queue.",
    )
    max_event_age_seconds: int = Field(
        default=defaults.SCHEDULE_MAX_EVENT_AGE_SECONDS,
        ge=SCHEDULE_MAX_EVENT_AGE_RANGE[0],
        le=SCHEDULE_MAX_EVENT_AGE_RANGE[1],
        description="Seconds to keep retrying a run.",
    )
    flexible_window_minutes: int | None = Field(
        default=None,
        ge=SCHEDULE_FLEXIBLE_WINDOW_MINUTES_RANGE[0],
        le=SCHEDULE_FLEXIBLE_WINDOW_MINUTES_RANGE[1],
        description="Start each run within this many minutes after its time; off: exact.",
    )
    enabled: bool = Field(default=True, description="Whether the schedule runs.")

    @field_validator("expression")
    @classmethod
    def _expression(cls, value: str) -> str:
        if problem := schedule_expression_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError(f"'{value}' is not an IANA time zone such as UTC or Europe/Berlin")
        return value


def check_send_to(services: Sequence[ServiceConfig]) -> None:
    """Each `send_to` names a worker of the cluster, and no two workers send to each other's
    queues through a chain: each worker, backend and job is a stack of its own, and a sender's
    stack reads the queue of the worker's stack, so such a chain would be a cycle of stacks."""
    workers = {s.name for s in services if s.kind == "worker"}
    for service in services:
        for target in service.send_to:
            if target not in workers:
                raise ValueError(
                    f"services.{service.name}.send_to: '{target}' is not a worker of this cluster; "
                    f"allowed: {', '.join(sorted(workers)) or 'none (no worker)'}"
                )
    edges = {s.name: sorted(set(s.send_to) - {s.name}) for s in services if s.kind == "worker"}
    for start in sorted(edges):
        path = _path_back(edges, start)
        if path is not None:
            raise ValueError(
                f"send_to: workers {' -> '.join(path)} send to each other's queues; each worker "
                "is a stack that reads the queues it sends to, so the stacks would depend on "
                "each other; allowed: one direction (send back through another queue)"
            )


def _path_back(edges: Mapping[str, list[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start through `edges`, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for target in edges.get(node, []):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def build_order(services: Sequence[ServiceConfig]) -> list[ServiceConfig]:
    """The services of a cluster that have a stack of their own (every kind but web), in an order
    where each worker comes before the services that send to it (`check_send_to` refuses cycles),
    then by name."""
    own = sorted((s for s in services if s.kind != "web"), key=lambda s: s.name)
    done: list[ServiceConfig] = []
    placed: set[str] = set()
    pending = list(own)
    while pending:
        for service in pending:
            targets = set(service.send_to) - {service.name}
            if targets <= placed or not targets & {s.name for s in pending}:
                done.append(service)
                placed.add(service.name)
                pending.remove(service)
                break
        else:  # unreachable from a validated config: check_send_to refuses cycles
            raise ValueError("send_to: the workers' queues form a cycle")
    return done
