"""The alarms of one ECS web service, each notifying a topic, and the ones that judge its releases
(its ECS deployment alarms, which roll a release back)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Fn
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from container_constructs import defaults

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


def load_balancer_full_name(listener_arn: str) -> str:
    """The ALB's CloudWatch dimension (`app/<name>/<id>`) from one of its listeners' ARN
    (`arn:...:listener/app/<name>/<id>/<listener-id>`), which works on an imported listener."""
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
        alarms: the alarms by kind (`ALARM_KINDS`).
        release_alarms: the names of the service's deployment alarms (empty unless
            judge_releases).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: ServiceAlarmsProps) -> None:
        super().__init__(scope, construct_id)
        if props.target_groups and props.load_balancer_full_name is None:
            raise ValueError("ServiceAlarms: target_groups need load_balancer_full_name")
        period = Duration.seconds(defaults.ALARM_PERIOD_SECONDS)
        service = props.service
        names = alarm_names(props.name_prefix)

        def alb(metric: str, statistic: str, index: int) -> cloudwatch.Metric:
            assert props.load_balancer_full_name is not None  # checked above
            return cloudwatch.Metric(
                namespace="AWS/ApplicationELB",
                metric_name=metric,
                dimensions_map={
                    "LoadBalancer": props.load_balancer_full_name,
                    "TargetGroup": props.target_groups[index].target_group_full_name,
                },
                statistic=statistic,
                period=period,
            )

        groups = range(len(props.target_groups))
        errors = {f"e{i}": alb("HTTPCode_Target_5XX_Count", "Sum", i) for i in groups}
        requests = {f"r{i}": alb("RequestCount", "Sum", i) for i in groups}
        error_sum = "+".join(f"FILL({key},0)" for key in errors)
        request_sum = "+".join(f"FILL({key},0)" for key in requests)
        error_rate = cloudwatch.MathExpression(
            expression=(
                f"IF(({request_sum}) >= {props.target_5xx_min_requests}, "
                f"100*({error_sum})/({request_sum}), 0)"
            ),
            using_metrics={**errors, **requests},
            label="Target 5xx, % of requests",
            period=period,
        )
        latency = {f"l{i}": alb("TargetResponseTime", "p99", i) for i in groups}
        unhealthy = {f"u{i}": alb("UnHealthyHostCount", "Maximum", i) for i in groups}
        insights = {
            "ClusterName": service.cluster.cluster_name,
            "ServiceName": service.service_name,
        }
        running_gap = cloudwatch.MathExpression(
            expression="FILL(desired,0) - FILL(running,0)",
            using_metrics={
                name: cloudwatch.Metric(
                    namespace="ECS/ContainerInsights",
                    metric_name=metric,
                    dimensions_map=insights,
                    statistic="Average",
                    period=period,
                )
                for name, metric in (
                    ("desired", "DesiredTaskCount"),
                    ("running", "RunningTaskCount"),
                )
            },
            label="Desired tasks not running",
            period=period,
        )
        greater = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        at_least = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        specs: dict[str, tuple[cloudwatch.IMetric, float, cloudwatch.ComparisonOperator, str]] = {
            "5xx": (error_rate, props.target_5xx_percent, greater, "target 5xx rate (%)"),
            "p99": (
                _combined(latency, "MAX", "p99 target response time (s)", period),
                props.p99_response_seconds,
                greater,
                "p99 target response time (s)",
            ),
            "unhealthy": (
                _combined(unhealthy, "SUM", "Unhealthy targets", period),
                props.unhealthy_targets,
                at_least,
                "unhealthy targets",
            ),
            "running": (running_gap, 1, at_least, "desired tasks not running"),
            "cpu": (
                service.metric_cpu_utilization(period=period),
                props.cpu_percent,
                greater,
                "CPU utilisation (%)",
            ),
            "memory": (
                service.metric_memory_utilization(period=period),
                props.memory_percent,
                greater,
                "memory utilisation (%)",
            ),
        }
        if not props.target_groups:
            specs = {kind: spec for kind, spec in specs.items() if kind not in ALB_ALARM_KINDS}
        action = actions.SnsAction(props.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for kind, (metric, threshold, operator, what) in specs.items():
            alarm = cloudwatch.Alarm(
                self,
                f"Alarm{kind.capitalize()}",
                alarm_name=names[kind],
                alarm_description=f"{what} past {threshold} for "
                f"{props.evaluation_periods} minute(s) in a row",
                metric=metric,
                threshold=threshold,
                comparison_operator=operator,
                evaluation_periods=props.evaluation_periods,
                datapoints_to_alarm=props.evaluation_periods,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[kind] = alarm
        self.release_alarms: list[str] = []
        if props.judge_releases and props.target_groups:
            # Literal names: a name read from the alarm would make the service depend on the
            # alarm, which depends on the service (aws-cdk-lib's "Deployment alarms" section).
            self.release_alarms = [names[kind] for kind in RELEASE_ALARM_KINDS]
            service.enable_deployment_alarms(
                self.release_alarms, behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM
            )


def _combined(
    metrics: dict[str, cloudwatch.Metric], function: str, label: str, period: Duration
) -> cloudwatch.IMetric:
    """The one metric, or `function` over several (a target group and its alternate)."""
    if len(metrics) == 1:
        return next(iter(metrics.values()))
    return cloudwatch.MathExpression(
        expression=f"{function}([{', '.join(f'FILL({key},0)' for key in metrics)}])",
        using_metrics=metrics,
        label=label,
        period=period,
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
) -> dict[str, cloudwatch.Alarm]:
    """A worker's alarms (with `queue`: its oldest message older than `max_age_seconds`,
    `queue-age`) or a scheduled job's (without: `failed-invocations`), and in both the messages
    in `dead_letter_queue` (what failed for good: `dead-letters`, or a job's invocations the
    scheduler could not run), each notifying `topic` on alarm and on OK."""
    period = Duration.seconds(defaults.ALARM_PERIOD_SECONDS)
    specs: list[tuple[str, cloudwatch.IMetric, float, int, str]] = []
    if queue is not None:
        specs.append(
            (
                "queue-age",
                queue.metric_approximate_age_of_oldest_message(period=period, statistic="Maximum"),
                max_age_seconds,
                evaluation_periods,
                f"oldest message older than {max_age_seconds} s",
            )
        )
    if dead_letter_queue is not None:
        specs.append((
            "dead-letters" if queue is not None else "failed-invocations",
            dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=period, statistic="Maximum"
            ),
            0,
            1,
            "messages in the dead-letter queue",
        ))  # fmt: skip
    action = actions.SnsAction(topic)
    alarms: dict[str, cloudwatch.Alarm] = {}
    for kind, metric, threshold, periods, what in specs:
        alarm = cloudwatch.Alarm(
            scope,
            "Alarm" + "".join(part.capitalize() for part in kind.split("-")),
            alarm_name=f"{name_prefix}-{kind}",
            alarm_description=what,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        alarms[kind] = alarm
    return alarms
