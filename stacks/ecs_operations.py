"""Operating the ECS services: the environment's alarm stack (one encrypted topic), each service's
release strategy and alarms (added by the service stacks), and each cluster's dashboard (added by
the cluster stacks), all from the config (platform_config/ecs_release.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_sns as sns
from constructs import Construct

from container_constructs.alarm_topic import AlarmTopic, AlarmTopicProps
from container_constructs.cluster_dashboard import (
    ClusterDashboard,
    ClusterDashboardProps,
    DashboardService,
)
from container_constructs.scheduled_job import ScheduledJob
from container_constructs.service_alarms import (
    ALARM_KINDS,
    ALB_ALARM_KINDS,
    JOB_ALARM_KINDS,
    WORKER_ALARM_KINDS,
    ServiceAlarms,
    ServiceAlarmsProps,
    add_queue_alarms,
    alarm_names,
    load_balancer_full_name,
)
from container_constructs.service_release import ServiceReleaseProps
from container_constructs.web_service import WebService
from container_constructs.worker_service import WorkerService
from platform_config.ecs_cluster import ClusterConfig
from platform_config.ecs_release import OperationsConfig, ReleaseConfig
from platform_config.ecs_service import ServiceConfig
from stacks import names
from stacks.common import StackSettings

if TYPE_CHECKING:
    from stacks.ecs_workloads import Workload


class AlarmsStack(Stack):
    """The environment's alarm topic (`AlarmTopic`), which every service's alarms notify.

    Attributes:
        topic: the topic.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        section: OperationsConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarm_topic = AlarmTopic(
            self,
            names.ALARM_TOPIC_CONSTRUCT,
            props=AlarmTopicProps(
                emails=section.alarm_emails,
                removal_policy=settings.removal_policy,
                topic_name=names.alarm_topic_name(settings.environment),
            ),
        )
        self.topic: sns.ITopic = alarm_topic.topic


def alarm_topic(stack: Stack, settings: StackSettings, alarms: Stack) -> sns.ITopic:
    """The environment's alarm topic in `stack`, by its fixed name (no export to import), and
    `stack` deploying after the `alarms` stack that holds it."""
    stack.add_stack_dependency(alarms)
    arn = stack.format_arn(
        service="sns",
        resource=names.alarm_topic_name(settings.environment),
        arn_format=ArnFormat.NO_RESOURCE_NAME,
    )
    return sns.Topic.from_topic_arn(stack, names.ALARM_TOPIC_CONSTRUCT, arn)


def release_props(release: ReleaseConfig) -> ServiceReleaseProps:
    """The construct props of a service's `release`."""
    shifting = release.shifts_traffic
    return ServiceReleaseProps(
        strategy=release.strategy,
        # Rolling without bake time leaves BakeTimeInMinutes out, as before strategies existed.
        bake_time=(
            Duration.minutes(release.bake_time_minutes)
            if shifting or release.bake_time_minutes
            else None
        ),
        step_percent=release.step_percent,
        step_bake_time=Duration.minutes(release.step_bake) if release.steps else None,
    )


def alarm_kinds(service: ServiceConfig) -> tuple[str, ...]:
    """The kinds of the alarms `service` has, by its kind (web, backend, worker, job)."""
    if service.kind == "job":
        return JOB_ALARM_KINDS
    kinds = (
        ALARM_KINDS
        if service.kind == "web"
        else tuple(kind for kind in ALARM_KINDS if kind not in ALB_ALARM_KINDS)
    )
    return kinds + (WORKER_ALARM_KINDS if service.kind == "worker" else ())


def add_workload_alarms(
    workload: Workload,
    service: ServiceConfig,
    *,
    topic: sns.ITopic,
    stack_name: str,
    listener_arn: str | None,
) -> Construct:
    """`service`'s alarms (`alarm_kinds`) in a construct `Alarms` inside its own, notifying
    `topic`; a web service's 5xx and p99 alarms are its deployment alarms with rollback.
    `stack_name` is the name of `workload`'s stack (its alarms' names start with it)."""
    alarms = service.alarms
    prefix = names.service_alarm_prefix(stack_name, service.name)
    if isinstance(workload, ScheduledJob):
        scope = Construct(workload, names.SERVICE_ALARMS_CONSTRUCT)
        add_queue_alarms(
            scope,
            topic=topic,
            name_prefix=prefix,
            dead_letter_queue=workload.dead_letter_queue,
            evaluation_periods=alarms.evaluation_periods,
        )
        return scope
    target_groups = []
    if isinstance(workload, WebService):
        target_groups = [workload.target_group]
        if workload.alternate is not None:
            target_groups.append(workload.alternate.target_group)
    service_alarms = ServiceAlarms(
        workload,
        names.SERVICE_ALARMS_CONSTRUCT,
        props=ServiceAlarmsProps(
            service=workload.service,
            topic=topic,
            name_prefix=prefix,
            target_groups=target_groups,
            load_balancer_full_name=(
                load_balancer_full_name(listener_arn) if listener_arn is not None else None
            ),
            target_5xx_percent=alarms.target_5xx_percent,
            target_5xx_min_requests=alarms.target_5xx_min_requests,
            p99_response_seconds=alarms.p99_response_seconds,
            unhealthy_targets=alarms.unhealthy_targets,
            cpu_percent=alarms.cpu_percent,
            memory_percent=alarms.memory_percent,
            evaluation_periods=alarms.evaluation_periods,
        ),
    )
    if isinstance(workload, WorkerService):
        add_queue_alarms(
            service_alarms,
            topic=topic,
            name_prefix=prefix,
            queue=workload.queue,
            dead_letter_queue=workload.dead_letter_queue,
            max_age_seconds=alarms.queue_age_seconds,
            evaluation_periods=alarms.evaluation_periods,
        )
    return service_alarms


def services_stack_unit(kind: str, section: ClusterConfig, service: ServiceConfig) -> str:
    """The unit of the stack that holds `service` of cluster `kind`: services-N for a web
    service, a stack of its own for the other kinds (stacks/platform.py build_ecs)."""
    if service.kind == "web":
        return names.ecs_services_unit(kind, section.stack_of(service))
    return names.ecs_workload_unit(kind, service.kind, service.name)


def add_cluster_dashboard(
    stack: Stack,
    *,
    settings: StackSettings,
    kind: str,
    section: ClusterConfig,
    cluster_name: str,
    load_balancer_full_names: list[str],
) -> ClusterDashboard:
    """The dashboard of cluster `kind`, from its services (each found by its alarms' names)."""
    services = [
        DashboardService(
            name=service.name,
            alarm_names=dict(
                alarm_names(
                    names.service_alarm_prefix(
                        names.stack_id(
                            settings.environment, services_stack_unit(kind, section, service)
                        ),
                        service.name,
                    ),
                    alarm_kinds(service),
                ).items()
            ),
        )
        for service in section.services.values()
    ]
    return ClusterDashboard(
        stack,
        names.CLUSTER_DASHBOARD_CONSTRUCT,
        props=ClusterDashboardProps(
            dashboard_name=names.dashboard_name(stack.stack_name),
            cluster_name=cluster_name,
            load_balancer_full_names=load_balancer_full_names,
            services=services,
        ),
    )
