"""Container settings every service kind shares (platform_config/ecs_service.py): the container
health check, persistent storage on EFS, sidecars and their two ready presets, and the explicit
exceptions to the hardening."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import (
    ENVIRONMENT_VARIABLE_NAME,
    HEALTH_CHECK_INTERVAL_RANGE,
    HEALTH_CHECK_RETRIES_RANGE,
    HEALTH_CHECK_START_PERIOD_RANGE,
    HEALTH_CHECK_TIMEOUT_RANGE,
    NUMERIC_USER,
    UNPRIVILEGED_PORTS,
    reason_problem,
    runs_as_root,
)
from platform_config.base import Section
from platform_config.image import ImageConfig

# The container names the platform gives its own containers; a sidecar takes another.
APP_CONTAINER = "app"
RESERVED_CONTAINER_NAMES = frozenset({APP_CONTAINER, "volume-permissions"})
_CONTAINER_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
# When a container starts relative to the one it depends on (ECS ContainerDependency conditions).
DependencyCondition = Literal["START", "COMPLETE", "SUCCESS", "HEALTHY"]
SidecarPreset = Literal["firelens", "otel-collector"]
# Environment variables the platform sets itself: QUEUE_URL on a worker (its queue) and
# QUEUE_URL_<WORKER> on a service that may send to a worker's queue (`send_to`).
RESERVED_VARIABLE_PREFIX = "QUEUE_URL"


def check_variable_names(names: Iterable[str]) -> None:
    """Reject a name ECS would not accept as an environment variable, or one the platform sets."""
    for name in names:
        if not ENVIRONMENT_VARIABLE_NAME.match(name):
            raise ValueError(
                f"'{name}' is not an environment variable name; allowed: letters, digits "
                "and '_', not starting with a digit"
            )
        if name.startswith(RESERVED_VARIABLE_PREFIX):
            raise ValueError(
                f"'{name}': variables starting with {RESERVED_VARIABLE_PREFIX} are set by the "
                "platform (a worker's own queue, and the queues of send_to); allowed: another name"
            )


class ContainerHealthCheckConfig(Section):
    """A health check ECS runs inside the container (the ALB's check of a web service is
    `health_check_path`). Limits: ECS API reference, HealthCheck."""

    command: list[str] = Field(
        min_length=2,
        description=(
            'The check, as ECS takes it: ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"] '
            'or ["CMD", "/bin/check", "arg"]; exit code 0 is healthy.'
        ),
    )
    interval_seconds: int = Field(
        default=defaults.HEALTH_CHECK_INTERVAL_SECONDS,
        ge=HEALTH_CHECK_INTERVAL_RANGE[0],
        le=HEALTH_CHECK_INTERVAL_RANGE[1],
        description="Seconds between checks.",
    )
    timeout_seconds: int = Field(
        default=defaults.HEALTH_CHECK_TIMEOUT_SECONDS,
        ge=HEALTH_CHECK_TIMEOUT_RANGE[0],
        le=HEALTH_CHECK_TIMEOUT_RANGE[1],
        description="Seconds a check may take (below interval_seconds).",
    )
    retries: int = Field(
        default=defaults.HEALTH_CHECK_RETRIES,
        ge=HEALTH_CHECK_RETRIES_RANGE[0],
        le=HEALTH_CHECK_RETRIES_RANGE[1],
        description="Failed checks in a row before the container is unhealthy.",
    )
    start_period_seconds: int = Field(
        default=defaults.HEALTH_CHECK_START_PERIOD_SECONDS,
        ge=HEALTH_CHECK_START_PERIOD_RANGE[0],
        le=HEALTH_CHECK_START_PERIOD_RANGE[1],
        description="Seconds after start during which failures do not count.",
    )

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str]) -> list[str]:
        if value[0] not in ("CMD", "CMD-SHELL") or not all(part for part in value[1:]):
            raise ValueError(
                f'{value} is not a health check command; allowed: ["CMD-SHELL", "a shell '
                'command"] or ["CMD", "executable", "args"...] (non-empty parts)'
            )
        return value

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> ContainerHealthCheckConfig:
        if self.timeout_seconds >= self.interval_seconds:
            raise ValueError(
                f"timeout_seconds ({self.timeout_seconds}) must be below interval_seconds "
                f"({self.interval_seconds}): a check must end before the next one starts"
            )
        return self


class EfsConfig(Section):
    """Persistent storage on Amazon EFS, mounted in the app container: an encrypted file system
    of the service's own, one access point as the service's user, IAM-authorized mounts over TLS;
    retained and backed up where the environment keeps stateful resources."""

    path: str = Field(description="Where the app sees the file system, e.g. /data.")
    owner: str | None = Field(
        default=None,
        description=(
            "The numeric uid[:gid] the access point makes every file operation of the app's, "
            "and its directory's owner; default: the service's `user`. EFS creates the "
            "directory once: when changing `user`, set this to the deployed owner to keep "
            "reading and writing it."
        ),
    )

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or value == "/" or value.endswith("/"):
            raise ValueError(
                f"'{value}' must be an absolute path other than '/', without a trailing '/'"
            )
        return value

    @field_validator("owner")
    @classmethod
    def _numeric_owner(cls, value: str | None) -> str | None:
        if value is not None and (not NUMERIC_USER.match(value) or runs_as_root(value)):
            raise ValueError(
                f"'{value}' is not a numeric non-root uid[:gid] such as 101 or 1000:1000"
            )
        return value


class SidecarConfig(Section):
    """A container beside the app in the service's task, hardened like it (non-root, read-only
    root filesystem, every capability dropped, logs to the service's log group)."""

    name: str = Field(description="Container name: lowercase letters, digits, '-' (2-32 chars).")
    preset: SidecarPreset | None = Field(
        default=None,
        description=(
            "A ready sidecar: 'firelens' (AWS for Fluent Bit as the task's FireLens log router; "
            "the app's logs go through it to the service's log group) or 'otel-collector' (AWS "
            "Distro for OpenTelemetry: OTLP on localhost:4317/4318 to X-Ray and CloudWatch "
            "metrics). image is then optional."
        ),
    )
    image: ImageConfig | None = Field(
        default=None, description="The sidecar's image (required without a preset)."
    )
    port: int | None = Field(
        default=None,
        ge=UNPRIVILEGED_PORTS[0],
        le=UNPRIVILEGED_PORTS[1],
        description="A port the sidecar listens on (unprivileged), if the task exposes one.",
    )
    essential: bool = Field(
        default=True, description="Whether the task stops when this container stops."
    )
    environment: dict[str, str] = Field(
        default_factory=dict, description="Plain environment variables of the sidecar."
    )
    command: list[str] | None = Field(default=None, min_length=1, description="Command override.")
    user: str = Field(
        default=defaults.SIDECAR_USER, description="Non-root uid[:gid] the sidecar runs as."
    )
    health_check: ContainerHealthCheckConfig | None = Field(
        default=None, description="A container health check (needed to depend on it HEALTHY)."
    )
    depends_on: dict[str, DependencyCondition] = Field(
        default_factory=dict,
        description="Containers (app or other sidecars) this one starts after, and on what.",
    )

    @field_validator("name")
    @classmethod
    def _container_name(cls, value: str) -> str:
        if not _CONTAINER_NAME.match(value) or value in RESERVED_CONTAINER_NAMES:
            raise ValueError(
                f"'{value}' is not a sidecar name: 2-32 lowercase letters, digits and '-', "
                f"starting with a letter, other than {', '.join(sorted(RESERVED_CONTAINER_NAMES))}"
            )
        return value

    @field_validator("environment")
    @classmethod
    def _variables(cls, value: dict[str, str]) -> dict[str, str]:
        check_variable_names(value)
        return value

    @field_validator("user")
    @classmethod
    def _non_root(cls, value: str) -> str:
        if runs_as_root(value):
            raise ValueError(f"'{value}' runs as root; allowed: a non-root uid such as 1000")
        return value

    @model_validator(mode="after")
    def _image_or_preset(self) -> SidecarConfig:
        if self.preset is None and self.image is None:
            raise ValueError(
                "image: required without a preset; allowed: an image, or preset "
                "'firelens' or 'otel-collector'"
            )
        if self.preset is not None and self.environment:
            raise ValueError(
                f"environment: the {self.preset} preset is configured by the platform; "
                "allowed: none with a preset (or a sidecar of your own image)"
            )
        return self

    @property
    def has_health_check(self) -> bool:
        """Whether ECS checks this sidecar's health (its own check, or the collector preset's)."""
        return self.health_check is not None or self.preset == "otel-collector"


class ExceptionsConfig(Section):
    """Explicit exceptions to the hardening of one service, each with the reason it needs it (a
    sentence). Each becomes an acknowledgement on that service only, listed by make nag-report."""

    run_as_root: str | None = Field(
        default=None,
        description="Why the app must run as root (user 0); its capabilities stay dropped.",
    )
    privileged_port: str | None = Field(
        default=None,
        description=(
            "Why the app must listen below 1024. ECS lets only root, or a binary with the file "
            "capability cap_net_bind_service, bind there; the app keeps NET_BIND_SERVICE."
        ),
    )
    writable_root_filesystem: str | None = Field(
        default=None, description="Why the app needs a writable root filesystem."
    )

    @field_validator("run_as_root", "privileged_port", "writable_root_filesystem")
    @classmethod
    def _a_reason(cls, value: str | None) -> str | None:
        if value is not None and (problem := reason_problem(value)):
            raise ValueError(problem)
        return value


def check_dependencies(
    app_depends_on: dict[str, DependencyCondition], sidecars: list[SidecarConfig]
) -> None:
    """Each dependency names a container of the task other than itself, HEALTHY only one with a
    health check, COMPLETE and SUCCESS only a non-essential one, and the dependencies have no
    cycle (ECS would never start the task)."""
    by_name = {sidecar.name: sidecar for sidecar in sidecars}
    edges: dict[str, dict[str, DependencyCondition]] = {APP_CONTAINER: dict(app_depends_on)}
    edges.update({sidecar.name: dict(sidecar.depends_on) for sidecar in sidecars})
    names = set(edges)
    for container, targets in edges.items():
        field = "depends_on" if container == APP_CONTAINER else f"sidecars.{container}.depends_on"
        for target, condition in targets.items():
            if target not in names or target == container:
                allowed = ", ".join(sorted(names - {container}))
                raise ValueError(
                    f"{field}: '{target}' is not another container of the task; allowed: "
                    f"{allowed or 'none (add sidecars)'}"
                )
            sidecar = by_name.get(target)
            checked = sidecar is None or sidecar.has_health_check
            if condition == "HEALTHY" and not checked:
                raise ValueError(
                    f"{field}.{target}: HEALTHY needs a health_check on sidecar '{target}'"
                )
            # ECS ContainerDependency, condition: COMPLETE and SUCCESS "can't be set on an
            # essential container" (Amazon ECS API reference, read 2026-12-04); ECS refuses the
            # task definition when the stack is deployed.
            if condition in ("COMPLETE", "SUCCESS") and (sidecar is None or sidecar.essential):
                also = (
                    f", or sidecars.{target}.essential false (a container that runs and exits)"
                    if sidecar is not None
                    else " (the app container is always essential)"
                )
                raise ValueError(
                    f"{field}.{target}: {condition} waits for a container to exit, which ECS "
                    f"allows only for a non-essential one; allowed: START or HEALTHY{also}"
                )
    _reject_cycle(edges)


def _reject_cycle(edges: dict[str, dict[str, DependencyCondition]]) -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, {})):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target] if target in path else [node, target]
                raise ValueError(
                    f"depends_on: the containers wait for each other ({' -> '.join(cycle)}), so "
                    "ECS would never start the task; allowed: dependencies without a cycle"
                )
            if target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
