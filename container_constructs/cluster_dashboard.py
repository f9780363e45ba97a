"""A CloudWatch dashboard per ECS cluster, generated from its list of services: the state of every
service's alarms, requests, 5xx and latency per service, healthy hosts per target group, CPU,
memory and running versus desired tasks per service, queue age and dead letters per worker.

It refers to nothing in the services' stacks: alarms by their names (each service's alarms are
named `<prefix>-<kind>`, service_alarms.py) and per-service metrics by CloudWatch search
expressions on the cluster's name and its ALBs, so services can come, go or move between stacks
without an export between the stacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from container_constructs import defaults

# CloudWatch allows 500 widgets per dashboard (https://docs.aws.amazon.com/AmazonCloudWatch/
# latest/monitoring/cloudwatch_limits.html, read 2026-12-03) and 100 alarms per alarm status
# widget: services past the first MAX_SERVICE_ROWS get no row of their own (their alarms are in
# the status widgets and their metrics in the search widgets).
MAX_SERVICE_ROWS = 200
ALARMS_PER_STATUS_WIDGET = 100
WIDTH = 24  # the dashboard grid's width
# The alarms a service's row graphs, those it has: a web service's 5xx rate and p99, a worker's
# queue age and dead letters, a job's failed invocations.
ROW_ALARM_KINDS = ("5xx", "p99", "queue-age", "dead-letters", "failed-invocations")
# Graphs of one line per service of the cluster: title, namespace, metric, statistic.
SERVICE_GRAPHS = (
    ("CPU per service (%)", "AWS/ECS", "CPUUtilization", "Average"),
    ("Memory per service (%)", "AWS/ECS", "MemoryUtilization", "Average"),
    ("Running tasks per service", "ECS/ContainerInsights", "RunningTaskCount", "Average"),
    ("Desired tasks per service", "ECS/ContainerInsights", "DesiredTaskCount", "Average"),
)
# Graphs of one line per target group of an ALB: title, metric, statistic.
TARGET_GROUP_GRAPHS = (
    ("Requests per target group", "RequestCount", "Sum"),
    ("Target 5xx per target group", "HTTPCode_Target_5XX_Count", "Sum"),
    ("Healthy hosts per target group", "HealthyHostCount", "Minimum"),
)


@dataclass(frozen=True, kw_only=True)
class DashboardService:
    """One service as its cluster's dashboard shows it.

    Attributes:
        name: the service's name (a row title). Required.
        alarm_names: its alarms' names by kind (`service_alarms.alarm_names`). Required.
    """

    name: str
    alarm_names: Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class ClusterDashboardProps:
    """Props of `ClusterDashboard`.

    Attributes:
        dashboard_name: the dashboard's name (unique in the account and region). Required.
        cluster_name: the ECS cluster's name. Required.
        load_balancer_full_names: the metric dimension (`app/<name>/<id>`) of each ALB of the
            cluster. Default: none.
        services: the cluster's services, in row order. Default: none.
    """

    dashboard_name: str
    cluster_name: str
    load_balancer_full_names: Sequence[str] = ()
    services: Sequence[DashboardService] = ()


class ClusterDashboard(Construct):
    """The dashboard (see the module docstring).

    Attributes:
        dashboard: the CloudWatch dashboard.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: ClusterDashboardProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=props.dashboard_name,
            default_interval=Duration.hours(3),
        )
        imported = {
            (service.name, kind): cloudwatch.Alarm.from_alarm_name(
                self, f"{service.name}-{kind}", alarm_name
            )
            for service in props.services
            for kind, alarm_name in service.alarm_names.items()
        }
        alarms = list(imported.values())
        for first in range(0, len(alarms), ALARMS_PER_STATUS_WIDGET):
            self.dashboard.add_widgets(
                cloudwatch.AlarmStatusWidget(
                    title="Alarms" if first == 0 else f"Alarms ({first + 1}-)",
                    alarms=alarms[first : first + ALARMS_PER_STATUS_WIDGET],
                    width=WIDTH,
                    height=2 + len(alarms[first : first + ALARMS_PER_STATUS_WIDGET]) // 8,
                )
            )
        ecs = ("ClusterName,ServiceName", f'ClusterName="{props.cluster_name}"')
        graphs = [
            _search(title, namespace, *ecs, metric, statistic)
            for title, namespace, metric, statistic in SERVICE_GRAPHS
        ]
        for balancer in props.load_balancer_full_names:
            alb = ("LoadBalancer,TargetGroup", f'LoadBalancer="{balancer}"')
            graphs += [
                _search(title, "AWS/ApplicationELB", *alb, metric, statistic)
                for title, metric, statistic in TARGET_GROUP_GRAPHS
            ]
        self.dashboard.add_widgets(*graphs)
        for service in props.services[:MAX_SERVICE_ROWS]:
            row = [
                cloudwatch.AlarmWidget(
                    title=f"{service.name}: {kind}",
                    alarm=imported[(service.name, kind)],
                    width=WIDTH // 2,
                    height=5,
                )
                for kind in ROW_ALARM_KINDS
                if kind in service.alarm_names
            ]
            self.dashboard.add_widgets(*row)


def _search(
    title: str, namespace: str, dimensions: str, scope: str, metric: str, statistic: str
) -> cloudwatch.GraphWidget:
    """A graph of every series of `metric` in `namespace` with `dimensions` matching `scope`."""
    period = defaults.ALARM_PERIOD_SECONDS
    return cloudwatch.GraphWidget(
        title=title,
        left=[
            cloudwatch.MathExpression(
                expression=(
                    f"SEARCH('{{{namespace},{dimensions}}} MetricName=\"{metric}\" {scope}', "
                    f"'{statistic}', {period})"
                ),
                using_metrics={},
                label="",
                period=Duration.seconds(period),
            )
        ],
        width=WIDTH // 4,
        height=6,
    )
