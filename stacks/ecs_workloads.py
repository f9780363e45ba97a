"""One service of the config as the construct of its kind (web, backend, worker, job), with the
grants and outputs of that kind: what stacks/ecs_stacks.py's EcsServicesStack adds per service.

The container settings every kind shares map onto `TaskProps` once (`task_kwargs`); each kind
adds its own. A service that sends to workers' queues (`send_to`) gets sqs:SendMessage on each and
its URL in QUEUE_URL_<WORKER>: the queues come from the workers' stacks, built first
(`ClusterConfig.workload_stacks`), as strong cross-stack references.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack, TimeZone
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from container_constructs.backend_service import BackendService, BackendServiceProps
from container_constructs.common import retention_days
from container_constructs.ecs_service_cluster import ServiceCluster, ServiceLoadBalancer
from container_constructs.scheduled_job import ScheduledJob, ScheduledJobProps
from container_constructs.sidecars import SidecarSpec
from container_constructs.task_definition import CPU_ARCHITECTURES, HardeningExceptions
from container_constructs.web_service import WebService, WebServiceProps
from container_constructs.worker_service import WorkerService, WorkerServiceProps
from platform_config.ecs_container import ContainerHealthCheckConfig
from platform_config.ecs_service import ServiceConfig
from platform_config.image import VOLUME_PERMISSIONS_IMAGE
from stacks import names
from stacks.common import StackSettings
from stacks.ecs_operations import release_props
from stacks.ecs_secrets import grant_secret_keys, service_secrets
from stacks.images import ImageSources

Workload = WebService | BackendService | WorkerService | ScheduledJob


def add_workload(
    scope: Stack,
    service: ServiceConfig,
    *,
    settings: StackSettings,
    cluster: ServiceCluster,
    balancer: ServiceLoadBalancer | None,
    images: ImageSources,
    queues: Mapping[str, sqs.IQueue],
) -> Workload:
    """The construct of `service`'s kind in `scope`, its grants and its outputs.

    Args:
        images: what the service's images resolve against (the registry's repositories and its
            pull-through cache; the task builder grants their pulls).
        balancer: the ALB a web service sits behind (None for the other kinds).
        queues: the queues of the cluster's workers built so far, by worker name (every worker
            `service` sends to is among them).
    """
    common = task_kwargs(scope, service, settings, cluster, images, queues)
    construct_id = names.service_construct_id(service.name)
    workload: Workload
    if service.kind == "web":
        assert balancer is not None  # web services are placed on an ALB
        route = service.web_route
        workload = WebService(
            scope,
            construct_id,
            props=WebServiceProps(
                **common,
                load_balancer=balancer,
                listener_priority=route.priority,
                path_patterns=route.paths,
                host_headers=route.hosts,
                container_port=service.container_port,
                health_check_path=service.health_check_path,
                health_check_grace=Duration.seconds(service.health_check_grace_seconds),
                min_tasks=service.scaling.min_tasks,
                max_tasks=service.scaling.max_tasks,
                cpu_target_percent=service.scaling.cpu_target_percent,
                requests_per_target=service.scaling.requests_per_target,
                release=release_props(service.release),
            ),
        )
        CfnOutput(
            scope,
            names.service_url_output(service.name),
            value=_url(balancer.scheme, balancer.dns_name, service),
            description=f"URL of service {service.name}",
        )
    elif service.kind == "backend":
        workload = BackendService(
            scope,
            construct_id,
            props=BackendServiceProps(
                **common,
                discovery_name=service.name,
                container_port=service.container_port,
                min_tasks=service.scaling.min_tasks,
                max_tasks=service.scaling.max_tasks,
                cpu_target_percent=service.scaling.cpu_target_percent,
            ),
        )
        CfnOutput(
            scope,
            names.service_endpoint_output(service.name),
            value=f"http://{service.name}:{service.container_port}",
            description=f"Service Connect address of {service.name} in its cluster",
        )
    elif service.kind == "worker":
        workload = _worker(scope, service, common)
        CfnOutput(
            scope,
            names.service_queue_output(service.name),
            value=workload.queue.queue_url,
            description=f"URL of the queue worker {service.name} consumes",
        )
    else:
        schedule = service.job_schedule
        workload = ScheduledJob(
            scope,
            construct_id,
            props=ScheduledJobProps(
                **{**common, "enable_execute_command": False},
                schedule=scheduler.ScheduleExpression.expression(
                    schedule.expression, TimeZone.of(schedule.time_zone)
                ),
                time_window=(
                    Duration.minutes(schedule.flexible_window_minutes)
                    if schedule.flexible_window_minutes is not None
                    else None
                ),
                retry_attempts=schedule.retry_attempts,
                max_event_age=Duration.seconds(schedule.max_event_age_seconds),
                enabled=schedule.enabled,
            ),
        )
        CfnOutput(
            scope,
            names.service_schedule_output(service.name),
            value=workload.schedule.schedule_name,
            description=f"Name of the EventBridge Scheduler schedule of job {service.name}",
        )
    grant_secret_keys(workload.execution_role, service, settings.region)
    for worker in service.send_to:
        queues[worker].grant_send_messages(workload.task_role)
    return workload


def _worker(scope: Stack, service: ServiceConfig, common: dict[str, Any]) -> WorkerService:
    queue = service.worker_queue
    given = None
    if queue.arn is not None:
        given = sqs.Queue.from_queue_attributes(
            scope,
            names.service_queue_import_construct_id(service.name),
            queue_arn=queue.arn,
            key_arn=queue.kms_key_arn,
        )
    return WorkerService(
        scope,
        names.service_construct_id(service.name),
        props=WorkerServiceProps(
            **common,
            queue=given,
            max_receive_count=queue.max_receive_count,
            visibility_timeout=Duration.seconds(queue.visibility_timeout_seconds),
            retention=Duration.days(queue.retention_days),
            min_tasks=service.scaling.min_tasks,
            max_tasks=service.scaling.max_tasks,
            backlog_per_task=service.scaling.backlog_per_task,
        ),
    )


def task_kwargs(
    scope: Construct,
    service: ServiceConfig,
    settings: StackSettings,
    cluster: ServiceCluster,
    images: ImageSources,
    queues: Mapping[str, sqs.IQueue],
) -> dict[str, Any]:
    """The `TaskProps` of `service`: what every kind takes alike. Its images (the app's, the
    sidecars' and the init container's) are resolved against `images`: one of the registry's
    repositories, or through the pull-through cache by digest (stacks/images.py)."""
    app = images.resolve(service.image)
    init = images.resolve(VOLUME_PERMISSIONS_IMAGE)
    sidecar_images = [images.resolve(s.image) if s.image else None for s in service.sidecars]
    environment = dict(service.environment)
    for worker in service.send_to:
        environment[names.queue_url_variable(worker)] = queues[worker].queue_url
    exceptions = service.exceptions
    return {
        "cluster": cluster,
        "image": app.container_image,
        "repository": app.repository,
        "cached_repository": app.cached,
        "volume_permissions_image": init.container_image,
        "volume_permissions_cached_repository": init.cached,
        "user": service.user,
        "cpu": service.cpu,
        "memory_mib": service.memory_mib,
        "cpu_architecture": CPU_ARCHITECTURES[service.cpu_architecture],
        "writable_paths": service.writable_paths,
        "environment": environment,
        "secrets": service_secrets(scope, service),
        "command": service.command,
        "entry_point": service.entrypoint,
        "health_check": health_check(service.health_check),
        "stop_timeout": (
            Duration.seconds(service.stop_timeout_seconds)
            if service.stop_timeout_seconds is not None
            else None
        ),
        "ephemeral_storage_gib": service.ephemeral_storage_gib,
        "sidecars": [
            SidecarSpec(
                name=sidecar.name,
                preset=sidecar.preset,
                image=resolved.container_image if resolved else None,
                repository=resolved.repository if resolved else None,
                cached_repository=resolved.cached if resolved else None,
                port=sidecar.port,
                essential=sidecar.essential,
                environment=sidecar.environment,
                command=sidecar.command,
                user=sidecar.user,
                health_check=health_check(sidecar.health_check),
                depends_on=_conditions(sidecar.depends_on),
            )
            for sidecar, resolved in zip(service.sidecars, sidecar_images, strict=True)
        ],
        "depends_on": _conditions(service.depends_on),
        "exceptions": HardeningExceptions(
            run_as_root=exceptions.run_as_root,
            privileged_port=exceptions.privileged_port,
            writable_root_filesystem=exceptions.writable_root_filesystem,
        ),
        "efs_path": service.efs.path if service.efs is not None else None,
        "efs_owner": service.efs.owner if service.efs is not None else None,
        "enable_execute_command": service.enable_execute_command,
        "log_retention": retention_days(service.log_retention_days),
        "log_encryption_key": cluster.log_key,
        "removal_policy": settings.removal_policy,
    }


def health_check(config: ContainerHealthCheckConfig | None) -> ecs.HealthCheck | None:
    """A container health check of the config, as ECS takes it."""
    if config is None:
        return None
    return ecs.HealthCheck(
        command=list(config.command),
        interval=Duration.seconds(config.interval_seconds),
        timeout=Duration.seconds(config.timeout_seconds),
        retries=config.retries,
        start_period=Duration.seconds(config.start_period_seconds),
    )


def _conditions(depends_on: Mapping[str, str]) -> dict[str, ecs.ContainerDependencyCondition]:
    return {name: ecs.ContainerDependencyCondition[c] for name, c in depends_on.items()}


def _url(scheme: str, dns_name: str, service: ServiceConfig) -> str:
    route = service.web_route
    host = route.hosts[0] if route.hosts else dns_name
    path = route.paths[0] if route.paths else "/"
    return f"{scheme}://{host}{path.rstrip('*') or '/'}"
