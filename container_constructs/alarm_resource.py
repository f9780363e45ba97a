"""CloudWatch alarms from plain data: a metric or a metric-math expression, a threshold, and the
topic notified on alarm and on OK, written as the `AWS::CloudWatch::Alarm` aws-cdk-lib's `Alarm`
writes (the same construct path `<id>/Resource`, logical ID and properties; the stack snapshots
hold the templates to it).

Why not `aws_cloudwatch.Alarm`: every `Metric`, `MathExpression`, `Alarm` and alarm action is a
round trip between Python and aws-cdk-lib's Node process. A web service's six alarms took about
45 of them (a third of the service's), here 12 (a construct and a resource per alarm), which is
what lets a cluster of hundreds of services synthesize in proportion (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from container_constructs import defaults

GREATER = "GreaterThanThreshold"
AT_LEAST = "GreaterThanOrEqualToThreshold"
# The id aws-cdk-lib gives an alarm's own math expression among its metrics.
EXPRESSION_ID = "expr_1"


@dataclass(frozen=True, kw_only=True)
class AlarmMetric:
    """One CloudWatch metric over the alarm period.

    Attributes:
        namespace: e.g. `AWS/ApplicationELB`. Required.
        metric_name: e.g. `RequestCount`. Required.
        dimensions: (name, value) pairs, in the order written. Required.
        statistic: `Sum`, `Average`, `Minimum`, `Maximum` or a percentile (`p99`). Required.
        period_seconds: the period. Default: the alarm period (defaults.ALARM_PERIOD_SECONDS).
    """

    namespace: str
    metric_name: str
    dimensions: Sequence[tuple[str, str]]
    statistic: str
    period_seconds: int = defaults.ALARM_PERIOD_SECONDS

    def single_alarm_properties(self) -> dict[str, Any]:
        """The alarm's properties when it watches this metric alone."""
        statistic = (
            {"extended_statistic": self.statistic}
            if self.statistic.startswith("p")
            else {"statistic": self.statistic}
        )
        return {
            "namespace": self.namespace,
            "metric_name": self.metric_name,
            "dimensions": self._dimension_properties(),
            "period": self.period_seconds,
            **statistic,
        }

    def query(self, query_id: str) -> cloudwatch.CfnAlarm.MetricDataQueryProperty:
        """This metric as one input (`query_id`) of an expression, not itself returned."""
        return cloudwatch.CfnAlarm.MetricDataQueryProperty(
            id=query_id,
            metric_stat=cloudwatch.CfnAlarm.MetricStatProperty(
                metric=cloudwatch.CfnAlarm.MetricProperty(
                    dimensions=self._dimension_properties(),
                    metric_name=self.metric_name,
                    namespace=self.namespace,
                ),
                period=self.period_seconds,
                stat=self.statistic,
            ),
            return_data=False,
        )

    def _dimension_properties(self) -> list[cloudwatch.CfnAlarm.DimensionProperty]:
        return [
            cloudwatch.CfnAlarm.DimensionProperty(name=name, value=value)
            for name, value in self.dimensions
        ]


@dataclass(frozen=True, kw_only=True)
class AlarmExpression:
    """A metric-math expression over metrics.

    Attributes:
        expression: the expression, naming its metrics by their keys. Required.
        label: the expression's label. Required.
        metrics: the metrics it uses, by id, in the order written. Required.
    """

    expression: str
    label: str
    metrics: Mapping[str, AlarmMetric]

    def alarm_properties(self) -> dict[str, Any]:
        """The alarm's `Metrics`: the expression (returned), then its inputs."""
        expression = cloudwatch.CfnAlarm.MetricDataQueryProperty(
            id=EXPRESSION_ID, expression=self.expression, label=self.label, return_data=True
        )
        inputs = [metric.query(key) for key, metric in self.metrics.items()]
        return {"metrics": [expression, *inputs]}


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    """What one alarm watches and when it breaches.

    Attributes:
        name: the alarm's name. Required.
        description: the alarm's description. Required.
        metric: what it watches. Required.
        threshold: the value compared. Required.
        comparison_operator: `GREATER` or `AT_LEAST`. Required.
        evaluation_periods: periods in a row that breach (all of them must). Required.
    """

    name: str
    description: str
    metric: AlarmMetric | AlarmExpression
    threshold: float
    comparison_operator: str
    evaluation_periods: int


def add_alarm(
    scope: Construct, construct_id: str, spec: AlarmSpec, *, topic_arn: str
) -> cloudwatch.CfnAlarm:
    """The alarm `spec` as `<construct_id>/Resource` in `scope`, notifying `topic_arn` on alarm
    and on OK; missing data never breaches (a service without traffic is not failing)."""
    watched = (
        spec.metric.alarm_properties()
        if isinstance(spec.metric, AlarmExpression)
        else spec.metric.single_alarm_properties()
    )
    return cloudwatch.CfnAlarm(
        Construct(scope, construct_id),
        "Resource",
        alarm_name=spec.name,
        alarm_description=spec.description,
        comparison_operator=spec.comparison_operator,
        evaluation_periods=spec.evaluation_periods,
        datapoints_to_alarm=spec.evaluation_periods,
        threshold=spec.threshold,
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        **watched,
    )
