"""Sidecars of a service's task (container_constructs/task_definition.py), hardened like its app:
non-root, read-only root filesystem, every capability dropped, logs in the service's log group
under their own stream prefix. Two are ready to use:

- `firelens`: AWS for Fluent Bit as the task's FireLens log router; the app then logs through it
  (`awsfirelens`, Fluent Bit's cloudwatch_logs output) to the same log group, so retention and
  encryption are the service's. ECS requires this one to run as root (below).
- `otel-collector`: AWS Distro for OpenTelemetry; the app sends OTLP to localhost:4317 (gRPC) or
  4318 (HTTP), traces go to X-Ray and metrics (the app's and the task's) as embedded metric format
  into the service's log group. The task role may put trace segments and write that log group,
  nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import Duration, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from container_constructs import defaults
from container_constructs.checks import OTEL_OTLP_GRPC_PORT, OTEL_OTLP_HTTP_PORT

SidecarPreset = Literal["firelens", "otel-collector"]

# Pinned images of the presets, both multi-arch (x86_64 and arm64) on ECR Public.
# aws-for-fluent-bit: https://github.com/aws/aws-for-fluent-bit (releases; 2.31.12 read 2026-12-05).
FIRELENS_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.31.12"
# aws-otel-collector: https://github.com/aws-observability/aws-otel-collector (VERSION v0.45.1,
# read 2026-12-05). The image is FROM scratch with no USER; any uid can run it.
OTEL_COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.45.1"
OTEL_COLLECTOR_USER = "10001"
# FireLens: ECS makes the router create its log socket in a root-owned directory of the host, so
# the router must run as root (aws/containers-roadmap#2122, "Support FireLens container as
# non-root user", open 2026-12-05). It keeps no capability; the task acknowledges the finding.
FIRELENS_USER = "0"
# EC2 needs a memory amount on every container of a task without task-level memory: a hard limit
# (defaults.SIDECAR_EC2_MEMORY_MIB). A soft reservation alone is what ECS documents too, but
# cdk-preflight 1.9.1's pf-ecs-container-memory-reservation reads a missing Memory as 0 and
# refuses it; the limit also makes the sidecar's share of an instance explicit.
# ECS sets AOT_CONFIG_CONTENT's value as the collector's configuration (aws-otel-collector
# pkg/config: the environment variable wins over --config).
OTEL_CONFIG_VARIABLE = "AOT_CONFIG_CONTENT"
# The actions X-Ray accepts only on Resource * (X-Ray service authorization reference).
XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


@dataclass(frozen=True, kw_only=True)
class SidecarSpec:
    """One sidecar of a task.

    Attributes:
        name: the container name (not "app" or "volume-permissions"). Required.
        preset: "firelens" or "otel-collector" (see the module doc), or None for a sidecar of
            your own. Default: None.
        image: the sidecar's image. Default: None, the preset's pinned image (required without a
            preset).
        repository: our ECR repository `image` is in (pull is granted). Default: None.
        cached_repository: the pull-through cache's repository `image` is pulled through (pull
            and ecr:BatchImportUpstreamImage are granted on it). Default: None.
        port: a port the sidecar listens on. Default: None.
        essential: whether the task stops when this container stops. Default: True.
        environment: plain environment variables (a preset sets its own). Default: none.
        command: overrides the image's CMD. Default: None.
        user: non-root uid[:gid] (the presets set theirs). Default: "1000".
        health_check: a container health check (the otel-collector preset has one).
            Default: None.
        depends_on: container ("app" or a sidecar) -> the condition this one waits for.
            Default: none.
    """

    name: str
    preset: SidecarPreset | None = None
    image: ecs.ContainerImage | None = None
    repository: ecr.IRepository | None = None
    cached_repository: ecr.IRepository | None = None
    port: int | None = None
    essential: bool = True
    environment: Mapping[str, str] = field(default_factory=dict)
    command: Sequence[str] | None = None
    user: str = defaults.SIDECAR_USER
    health_check: ecs.HealthCheck | None = None
    depends_on: Mapping[str, ecs.ContainerDependencyCondition] = field(default_factory=dict)


def construct_id(spec: SidecarSpec) -> str:
    """The construct id of a sidecar's container, e.g. otel-collector: SidecarOtelCollector."""
    return "Sidecar" + "".join(part.capitalize() for part in spec.name.split("-"))


def app_log_driver(log_group: logs.ILogGroup, *, firelens: bool) -> ecs.LogDriver:
    """The app's log driver: awslogs to `log_group` (stream prefix app), or through the task's
    FireLens router to the same group (stream prefix app/)."""
    if not firelens:
        return ecs.LogDriver.aws_logs(stream_prefix="app", log_group=log_group)
    return ecs.LogDrivers.firelens(
        options={
            "Name": "cloudwatch_logs",
            "region": Stack.of(log_group).region,
            "log_group_name": log_group.log_group_name,
            "log_stream_prefix": "app/",
            "auto_create_group": "false",
        }
    )


def add_firelens_router(
    scope: Construct,
    task_definition: ecs.TaskDefinition,
    spec: SidecarSpec,
    *,
    log_group: logs.ILogGroup,
) -> ecs.ContainerDefinition:
    """The task's FireLens log router (Fluent Bit), as root without capabilities (see
    FIRELENS_USER), logging itself to `log_group` under its name."""
    cid = construct_id(spec)
    linux = ecs.LinuxParameters(scope, f"{cid}LinuxParameters")
    linux.drop_capabilities(ecs.Capability.ALL)
    ec2 = isinstance(task_definition, ecs.Ec2TaskDefinition)
    return task_definition.add_firelens_log_router(
        cid,
        container_name=spec.name,
        image=spec.image or ecs.ContainerImage.from_registry(FIRELENS_IMAGE),
        firelens_config=ecs.FirelensConfig(
            type=ecs.FirelensLogRouterType.FLUENTBIT,
            options=ecs.FirelensOptions(enable_ecs_log_metadata=True),
        ),
        user=FIRELENS_USER,
        essential=spec.essential,
        readonly_root_filesystem=True,
        privileged=False,
        linux_parameters=linux,
        memory_limit_mib=defaults.SIDECAR_EC2_MEMORY_MIB if ec2 else None,
        logging=ecs.LogDriver.aws_logs(stream_prefix=spec.name, log_group=log_group),
    )


def otel_collector_config(log_group_name: str) -> str:
    """The collector's configuration: OTLP on localhost only, the task's own container metrics,
    traces to X-Ray, metrics as embedded metric format into `log_group_name`."""
    return (
        "extensions:\n"
        "  health_check:\n"
        "receivers:\n"
        "  otlp:\n"
        "    protocols:\n"
        "      grpc:\n"
        f"        endpoint: 127.0.0.1:{OTEL_OTLP_GRPC_PORT}\n"
        "      http:\n"
        f"        endpoint: 127.0.0.1:{OTEL_OTLP_HTTP_PORT}\n"
        "  awsecscontainermetrics:\n"
        "processors:\n"
        "  batch/traces:\n"
        "    timeout: 1s\n"
        "    send_batch_size: 50\n"
        "  batch/metrics:\n"
        "    timeout: 60s\n"
        "exporters:\n"
        "  awsxray:\n"
        "  awsemf:\n"
        "    namespace: ECS/AWSOTel/Application\n"
        f"    log_group_name: '{log_group_name}'\n"
        "    log_stream_name: 'otel/{TaskId}'\n"
        "service:\n"
        "  extensions: [health_check]\n"
        "  pipelines:\n"
        "    traces:\n"
        "      receivers: [otlp]\n"
        "      processors: [batch/traces]\n"
        "      exporters: [awsxray]\n"
        "    metrics:\n"
        "      receivers: [otlp, awsecscontainermetrics]\n"
        "      processors: [batch/metrics]\n"
        "      exporters: [awsemf]\n"
    )


# The collector image's own health check binary (aws-otel-collector cmd/awscollector/Dockerfile:
# /healthcheck, which asks the health_check extension).
OTEL_COLLECTOR_HEALTH_CHECK = ecs.HealthCheck(
    command=["CMD", "/healthcheck"],
    interval=Duration.seconds(10),
    timeout=Duration.seconds(5),
    retries=3,
    start_period=Duration.seconds(10),
)


def add_sidecars(
    scope: Construct,
    task_definition: ecs.TaskDefinition,
    app: ecs.ContainerDefinition,
    specs: Sequence[SidecarSpec],
    *,
    depends_on: Mapping[str, ecs.ContainerDependencyCondition],
    log_group: logs.ILogGroup,
    task_role: iam.IRole,
    added: Mapping[str, ecs.ContainerDefinition],
) -> dict[str, ecs.ContainerDefinition]:
    """Add `specs` (but those in `added`, e.g. the FireLens router) beside `app`, then the start
    order: `depends_on` of the app, and each sidecar's own. Returns every sidecar by name.

    Args:
        depends_on: sidecar -> condition the app waits for. Required.
        log_group: the service's log group (each sidecar's stream prefix is its name). Required.
        task_role: the task's role: the otel-collector preset's grants go to it. Required.
        added: sidecars already in the task by name. Required.
    """
    ec2 = isinstance(task_definition, ecs.Ec2TaskDefinition)
    containers: dict[str, ecs.ContainerDefinition] = dict(added)
    for spec in specs:
        if spec.name in containers:
            continue
        cid = construct_id(spec)
        linux = ecs.LinuxParameters(scope, f"{cid}LinuxParameters")
        linux.drop_capabilities(ecs.Capability.ALL)
        environment = dict(spec.environment)
        user, health_check = spec.user, spec.health_check
        image = spec.image
        if spec.preset == "otel-collector":
            environment[OTEL_CONFIG_VARIABLE] = otel_collector_config(log_group.log_group_name)
            user = OTEL_COLLECTOR_USER
            health_check = health_check or OTEL_COLLECTOR_HEALTH_CHECK
            image = image or ecs.ContainerImage.from_registry(OTEL_COLLECTOR_IMAGE)
            grant_otel_collector(task_role, log_group)
        if image is None:  # the config requires an image without a preset
            raise ValueError(f"sidecar {spec.name}: give an image (or a preset)")
        containers[spec.name] = task_definition.add_container(
            cid,
            container_name=spec.name,
            image=image,
            essential=spec.essential,
            user=user,
            readonly_root_filesystem=True,
            privileged=False,
            linux_parameters=linux,
            environment=environment or None,
            command=list(spec.command) if spec.command is not None else None,
            health_check=health_check,
            port_mappings=(
                [ecs.PortMapping(container_port=spec.port, name=f"{spec.name}-port")]
                if spec.port is not None
                else None
            ),
            memory_limit_mib=defaults.SIDECAR_EC2_MEMORY_MIB if ec2 else None,
            logging=ecs.LogDriver.aws_logs(stream_prefix=spec.name, log_group=log_group),
        )
    everything = {"app": app, **containers}
    for name, condition in depends_on.items():
        app.add_container_dependencies(
            ecs.ContainerDependency(container=everything[name], condition=condition)
        )
    for spec in specs:
        for name, condition in spec.depends_on.items():
            everything[spec.name].add_container_dependencies(
                ecs.ContainerDependency(container=everything[name], condition=condition)
            )
    return containers


def grant_otel_collector(task_role: iam.IRole, log_group: logs.ILogGroup) -> None:
    """What the collector sends with the task's role: trace segments to X-Ray (which accepts
    them only on Resource *) and embedded-metric-format log events to the service's log group."""
    task_role.add_to_principal_policy(
        iam.PolicyStatement(actions=list(XRAY_WRITE_ACTIONS), resources=["*"])
    )
    log_group.grant_write(task_role)
