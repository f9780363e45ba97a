"""A service that consumes an SQS queue and listens on no port: its own queue (encrypted, TLS
only, with a dead-letter queue) or one it is given, and a task count that follows the backlog
(container_constructs/worker_scaling.py), down to zero tasks if allowed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from container_constructs import checks, defaults
from container_constructs.efs_storage import EfsStorage
from container_constructs.service_base import (
    add_service,
    add_storage,
    check_task_count,
    check_task_props,
    service_connect,
    task_security_group,
)
from container_constructs.task_definition import (
    TaskProps,
    TaskWorkload,
    build_task,
    with_task_attributes,
)
from container_constructs.worker_scaling import add_backlog_scaling

# The app finds its queue's URL here.
QUEUE_URL_VARIABLE = "QUEUE_URL"


@dataclass(frozen=True, kw_only=True)
class WorkerServiceProps(TaskProps):
    """Props of `WorkerService`.

    Attributes:
        queue: an existing queue to consume (import it with its KMS key, if any, so that decrypt
            is granted too). Default: None, the worker owns one (and its dead-letter queue).
        max_receive_count: receives of a message of its own queue before the message moves to
            the dead-letter queue. Default: 5.
        visibility_timeout: how long a received message of its own queue stays hidden.
            Default: 30 s.
        retention: how long its own queue keeps a message. Default: 4 days.
        dead_letter_retention: how long its dead-letter queue keeps a message. Default: 14 days.
        min_tasks: auto scaling minimum (0: no task while the queue is empty), and the count
            a new service starts at (add_service). Default: 1.
        max_tasks: auto scaling maximum. Default: 2.
        backlog_per_task: visible messages per running task to keep. Default: 10.
    """

    queue: sqs.IQueue | None = None
    max_receive_count: int = defaults.QUEUE_MAX_RECEIVE_COUNT
    visibility_timeout: Duration = field(
        default_factory=lambda: Duration.seconds(defaults.QUEUE_VISIBILITY_TIMEOUT_SECONDS)
    )
    retention: Duration = field(
        default_factory=lambda: Duration.days(defaults.QUEUE_RETENTION_DAYS)
    )
    dead_letter_retention: Duration = field(
        default_factory=lambda: Duration.days(defaults.DEAD_LETTER_RETENTION_DAYS)
    )
    min_tasks: int = defaults.MIN_TASKS
    max_tasks: int = defaults.MAX_TASKS
    backlog_per_task: int = defaults.BACKLOG_PER_TASK


WorkerServiceProps.__doc__ = with_task_attributes(WorkerServiceProps.__doc__)


class WorkerService(TaskWorkload):
    """An ECS service with the hardened task (container_constructs/task_definition.py) and no
    port: nothing may connect to its tasks. Its app reads the queue's URL from QUEUE_URL, and its
    task role may consume that queue only (receive, delete, change visibility, read attributes).

    The queue it owns uses SQS-managed server-side encryption (SSE-SQS) rather than a KMS key:
    messages are encrypted at rest either way, and with SSE-SQS a sender (another service, an
    EventBridge rule, SNS) needs only sqs:SendMessage, not kms:GenerateDataKey on a key whose
    policy must list it; no key costs or rotates. A customer-managed key is for a queue whose key
    use must be audited or shared across accounts: give such a queue as `queue`. Both queues
    refuse requests without TLS.

    On a cluster with a Service Connect namespace the worker joins it as a client (it may call
    backends by name).

    Attributes:
        queue: the queue it consumes.
        dead_letter_queue: its own queue's dead-letter queue, or None (a given queue).
        service: the ECS service.
        task_definition / container / sidecars: its task, app container and sidecars.
        volume_permissions_container: the init container that chowns the scratch volumes, or
            None (volume_permissions "none", or no scratch volumes of the app's own).
        task_role / execution_role: the app's role and the role ECS pulls and logs with.
        log_group: the application log group.
        security_group: the tasks' security group (no ingress).
        storage: the EFS storage, or None.
        scaling: the scalable target of its task count.
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: WorkerServiceProps) -> None:
        super().__init__(scope, construct_id)
        _check(props)
        self.dead_letter_queue: sqs.Queue | None = None
        if props.queue is None:
            self.dead_letter_queue = sqs.Queue(
                self,
                "DeadLetterQueue",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=props.dead_letter_retention,
                removal_policy=props.removal_policy,
            )
            self.queue: sqs.IQueue = sqs.Queue(
                self,
                "Queue",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                visibility_timeout=props.visibility_timeout,
                retention_period=props.retention,
                dead_letter_queue=sqs.DeadLetterQueue(
                    max_receive_count=props.max_receive_count, queue=self.dead_letter_queue
                ),
                removal_policy=props.removal_policy,
            )
        else:
            self.queue = props.queue
        environment = {**props.environment, QUEUE_URL_VARIABLE: self.queue.queue_url}
        task = build_task(self, dataclasses.replace(props, environment=environment), port=None)
        self._expose_task(task)
        self.queue.grant_consume_messages(task.task_role)
        self.security_group = task_security_group(
            self, props.cluster, "Worker tasks: no ingress (they pull from their queue)"
        )
        self.storage: EfsStorage | None = add_storage(self, props, task, self.security_group)
        self.service = add_service(
            self,
            task=task,
            cluster=props.cluster,
            security_group=self.security_group,
            enable_execute_command=props.enable_execute_command,
            connect=service_connect(props.cluster, task.log_group),
        )
        if self.storage is not None:
            self.service.node.add_dependency(self.storage.file_system.mount_targets_available)
        self.scaling = add_backlog_scaling(
            self,
            service=self.service,
            cluster_name=props.cluster.cluster.cluster_name,
            queue=self.queue,
            min_tasks=props.min_tasks,
            max_tasks=props.max_tasks,
            backlog_per_task=props.backlog_per_task,
        )


def _check(props: WorkerServiceProps) -> None:
    # Guards direct use; platform_config refuses the same input first, naming the field.
    check_task_count("WorkerService", props.min_tasks, props.max_tasks)
    check_task_props("WorkerService", props)
    if props.exceptions.privileged_port is not None:
        raise ValueError("WorkerService: a worker listens on no port (privileged_port)")
    low, high = checks.QUEUE_MAX_RECEIVE_COUNT_RANGE
    if not low <= props.max_receive_count <= high:
        raise ValueError(f"WorkerService: max_receive_count must be {low}-{high}")
    if props.backlog_per_task < 1:
        raise ValueError("WorkerService: backlog_per_task must be at least 1")
    if QUEUE_URL_VARIABLE in props.environment:
        raise ValueError(f"WorkerService: {QUEUE_URL_VARIABLE} is set by the worker itself")
