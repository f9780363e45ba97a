"""The alarms of one ECS web service, each notifying a topic, and the ones that judge its releases
(its ECS deployment alarms, which roll a release back)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Fn
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from container_constructs import defaults
from container_constructs.alarm_resource import (
    AT_LEAST,
    GREATER,
    AlarmExpression,
    AlarmMetric,
    AlarmSpec,
    add_alarm,
)

# Each alarm's name is `<name_prefix>-<kind>`: a dashboard in another stack finds it by that name.
ALARM_KINDS = ("5xx", "p99", "unhealthy", "running", "cpu", "memory")
# The alarms that judge a release: a new revision that serves errors or slowly. Tasks that fail
# to start or to pass health checks are the circuit breaker's (rolling) or ECS's own.
RELEASE_ALARM_KINDS = ("5xx", "p99")
# The alarms on the ALB's metrics, which a service without a load balancer does not have.
ALB_ALARM_KINDS = ("5xx", "p99", "unhealthy")


def alarm_names(name_prefix: str, kinds: Sequence[str] = ALARM_KINDS) -> dict[str, str]:
    """The name of each alarm (of `kinds`) of a service whose alarms are named with
    `name_prefix`, by kind."""
    return {kind: f"{name_prefix}-{kind}" for kind in kinds}


@functools.lru_cache(maxsize=256)
def load_balancer_full_name(listener_arn: str) -> str:
    """The ALB's CloudWatch dimension (`app/<name>/<id>`) from one of its listeners' ARN
    (`arn:...:listener/app/<name>/<id>/<listener-id>`), which works on an imported listener.

    Made once per ARN (five jsii calls; every service on the listener asks): a token's string
    is unique to its token, so a cached expression is only ever used with its own listener."""
    parts = Fn.split("/", listener_arn)
    return Fn.join("/", [Fn.select(1, parts), Fn.select(2, parts), Fn.select(3, parts)])


@dataclass(frozen=True, kw_only=True)
class ServiceAlarmsProps:
    """Props of `ServiceAlarms`.

    Attributes:
        service: the ECS service. Required.
        target_groups: the service's target groups: the production one, then (blue/green family)
            the alternate one; the ALB metrics add them up. Default: none (a service without a
            load balancer: no 5xx, p99 or unhealthy alarm, and none that judges releases).
        load_balancer_full_name: the ALB's metric dimension (`load_balancer_full_name`).
            Required with target_groups. Default: None.
        topic: the topic every alarm notifies (alarm and OK). Required.
        name_prefix: what each alarm's name starts with, unique in the account and region.
            Required.
        target_5xx_percent: 5xx responses per request of a minute that breach. Default: 5.
        target_5xx_min_requests: fewer requests a minute never breach. Default: 10.
        p99_response_seconds: p99 target response time that breaches. Default: 2.
        unhealthy_targets: unhealthy targets that breach. Default: 1.
        cpu_percent: service CPU utilisation that breaches. Default: 90.
        memory_percent: service memory utilisation that breaches. Default: 90.
        evaluation_periods: one-minute periods in a row that breach. Default: 3.
        judge_releases: make the 5xx and p99 alarms the service's deployment alarms with
            rollback. Default: True.
    """

    service: ecs.BaseService
    topic: sns.ITopic
    name_prefix: str
    target_groups: Sequence[elbv2.ApplicationTargetGroup] = ()
    load_balancer_full_name: str | None = None
    target_5xx_percent: float = defaults.TARGET_5XX_PERCENT
    target_5xx_min_requests: int = defaults.TARGET_5XX_MIN_REQUESTS
    p99_response_seconds: float = defaults.P99_RESPONSE_SECONDS
    unhealthy_targets: int = defaults.UNHEALTHY_TARGETS
    cpu_percent: int = defaults.CPU_HIGH_PERCENT
    memory_percent: int = defaults.MEMORY_HIGH_PERCENT
    evaluation_periods: int = defaults.ALARM_EVALUATION_PERIODS
    judge_releases: bool = True


class ServiceAlarms(Construct):
    """Target 5xx rate, p99 target response time, unhealthy targets, running tasks below
    desired (Container Insights), CPU and memory high: one alarm each, named
    `<name_prefix>-<kind>` (`alarm_names`), notifying `topic` on alarm and on OK. Missing data
    never breaches (a service without traffic is not failing).

    Attributes:
        alarms: the alarms by kind (`ALARM_KINDS`), each `Alarm<Kind>/Resource`.
        release_alarms: the names of the service's deployment alarms (empty unless
            judge_releases).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: ServiceAlarmsProps) -> None:
        super().__init__(scope, construct_id)
        if props.target_groups and props.load_balancer_full_name is None:
            raise ValueError("ServiceAlarms: target_groups need load_balancer_full_name")
        service = props.service
        names = alarm_names(props.name_prefix)
        balancer = props.load_balancer_full_name or ""  # set with target groups (checked above)
        group_names = [group.target_group_full_name for group in props.target_groups]

        def alb(prefix: str, metric: str, statistic: str) -> dict[str, AlarmMetric]:
            """`metric` of each target group, keyed `<prefix>0`, `<prefix>1`."""
            return {
                f"{prefix}{index}": AlarmMetric(
                    namespace="AWS/ApplicationELB",
                    metric_name=metric,
                    dimensions=(("LoadBalancer", balancer), ("TargetGroup", group)),
                    statistic=statistic,
                )
                for index, group in enumerate(group_names)
            }

        errors = alb("e", "HTTPCode_Target_5XX_Count", "Sum")
        requests = alb("r", "RequestCount", "Sum")
        error_sum = "+".join(f"FILL({key},0)" for key in errors)
        request_sum = "+".join(f"FILL({key},0)" for key in requests)
        error_rate = AlarmExpression(
            expression=(
                f"IF(({request_sum}) >= {props.target_5xx_min_requests}, "
                f"100*({error_sum})/({request_sum}), 0)"
            ),
            label="Target 5xx, % of requests",
            metrics={**errors, **requests},
        )
        latency = alb("l", "TargetResponseTime", "p99")
        unhealthy = alb("u", "UnHealthyHostCount", "Maximum")
        ecs_dimensions = (
            ("ClusterName", service.cluster.cluster_name),
            ("ServiceName", service.service_name),
        )

        def service_metric(namespace: str, metric: str) -> AlarmMetric:
            """The service's `metric` (its average) in `namespace`."""
            return AlarmMetric(
                namespace=namespace,
                metric_name=metric,
                dimensions=ecs_dimensions,
                statistic="Average",
            )

        running_gap = AlarmExpression(
            expression="FILL(desired,0) - FILL(running,0)",
            label="Desired tasks not running",
            metrics={
                name: service_metric("ECS/ContainerInsights", metric)
                for name, metric in (
                    ("desired", "DesiredTaskCount"),
                    ("running", "RunningTaskCount"),
                )
            },
        )
        specs: dict[str, tuple[AlarmMetric | AlarmExpression, float, str, str]] = {
            "5xx": (error_rate, props.target_5xx_percent, GREATER, "target 5xx rate (%)"),
            "p99": (
                _combined(latency, "MAX", "p99 target response time (s)"),
                props.p99_response_seconds,
                GREATER,
                "p99 target response time (s)",
            ),
            "unhealthy": (
                _combined(unhealthy, "SUM", "Unhealthy targets"),
                props.unhealthy_targets,
                AT_LEAST,
                "unhealthy targets",
            ),
            "running": (running_gap, 1, AT_LEAST, "desired tasks not running"),
            "cpu": (
                service_metric("AWS/ECS", "CPUUtilization"),
                props.cpu_percent,
                GREATER,
                "CPU utilisation (%)",
            ),
            "memory": (
                service_metric("AWS/ECS", "MemoryUtilization"),
                props.memory_percent,
                GREATER,
                "memory utilisation (%)",
            ),
        }
        if not props.target_groups:
            specs = {kind: spec for kind, spec in specs.items() if kind not in ALB_ALARM_KINDS}
        topic_arn = props.topic.topic_arn
        self.alarms: dict[str, cloudwatch.CfnAlarm] = {
            kind: add_alarm(
                self,
                f"Alarm{kind.capitalize()}",
                AlarmSpec(
                    name=names[kind],
                    description=f"{what} past {threshold} for "
                    f"{props.evaluation_periods} minute(s) in a row",
                    metric=metric,
                    threshold=threshold,
                    comparison_operator=operator,
                    evaluation_periods=props.evaluation_periods,
                ),
                topic_arn=topic_arn,
            )
            for kind, (metric, threshold, operator, what) in specs.items()
        }
        self.release_alarms: list[str] = []
        if props.judge_releases and props.target_groups:
            # Literal names: a name read from the alarm would make the service depend on the
            # alarm, which depends on the service (aws-cdk-lib's "Deployment alarms" section).
            self.release_alarms = [names[kind] for kind in RELEASE_ALARM_KINDS]
            service.enable_deployment_alarms(
                self.release_alarms, behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM
            )


def _combined(
    metrics: dict[str, AlarmMetric], function: str, label: str
) -> AlarmMetric | AlarmExpression:
    """The one metric, or `function` over several (a target group and its alternate)."""
    if len(metrics) == 1:
        return next(iter(metrics.values()))
    return AlarmExpression(
        expression=f"{function}([{', '.join(f'FILL({key},0)' for key in metrics)}])",
        label=label,
        metrics=metrics,
    )


# The alarms of a queue worker and of a scheduled job, by kind (named `<name_prefix>-<kind>`).
WORKER_ALARM_KINDS = ("queue-age", "dead-letters")
JOB_ALARM_KINDS = ("failed-invocations",)


def add_queue_alarms(
    scope: Construct,
    *,
    topic: sns.ITopic,
    name_prefix: str,
    dead_letter_queue: sqs.IQueue | None,
    queue: sqs.IQueue | None = None,
    max_age_seconds: int = defaults.QUEUE_AGE_SECONDS,
    evaluation_periods: int = defaults.ALARM_EVALUATION_PERIODS,
) -> dict[str, cloudwatch.CfnAlarm]:
    """A worker's alarms (with `queue`: its oldest message older than `max_age_seconds`,
    `queue-age`) or a scheduled job's (without: `failed-invocations`), and in both the messages
    in `dead_letter_queue` (what failed for good: `dead-letters`, or a job's invocations the
    scheduler could not run), each notifying `topic` on alarm and on OK."""
    specs: list[tuple[str, AlarmMetric, float, int, str]] = []
    if queue is not None:
        specs.append((
            "queue-age",
            _queue_metric(queue, "ApproximateAgeOfOldestMessage"),
            max_age_seconds,
            evaluation_periods,
            f"oldest message older than {max_age_seconds} s",
        ))  # fmt: skip
    if dead_letter_queue is not None:
        specs.append((
            "dead-letters" if queue is not None else "failed-invocations",
            _queue_metric(dead_letter_queue, "ApproximateNumberOfMessagesVisible"),
            0,
            1,
            "messages in the dead-letter queue",
        ))  # fmt: skip
    topic_arn = topic.topic_arn
    return {
        kind: add_alarm(
            scope,
            "Alarm" + "".join(part.capitalize() for part in kind.split("-")),
            AlarmSpec(
                name=f"{name_prefix}-{kind}",
                description=what,
                metric=metric,
                threshold=threshold,
                comparison_operator=GREATER,
                evaluation_periods=periods,
            ),
            topic_arn=topic_arn,
        )
        for kind, metric, threshold, periods, what in specs
    }


def _queue_metric(queue: sqs.IQueue, metric_name: str) -> AlarmMetric:
    """The queue's `metric_name`, its maximum over the alarm period."""
    return AlarmMetric(
        namespace="AWS/SQS",
        metric_name=metric_name,
        dimensions=(("QueueName", queue.queue_name),),
        statistic="Maximum",
    )
