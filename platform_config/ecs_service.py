"""The schema of one service of an ECS cluster (`ecs.<kind>.services.<name>`): its kind, its
container, its secrets, its scaling; the container settings every kind shares are in
platform_config/ecs_container.py, the kinds' own sections in platform_config/ecs_kinds.py, its
route in platform_config/ecs_placement.py."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import (
    EPHEMERAL_STORAGE_GIB_RANGE,
    MAX_CONTAINERS_PER_TASK_DEFINITION,
    MAX_SECRETS,
    MAX_SIDECARS,
    NUMERIC_USER,
    PRIVILEGED_PORTS,
    SERVICE_NAME,
    SIDECAR_PRESET_PORTS,
    STOP_TIMEOUT_RANGE,
    UNPRIVILEGED_PORTS,
    runs_as_root,
)
from platform_config.base import RetentionDays, Section
from platform_config.ecs_container import (
    ContainerHealthCheckConfig,
    DependencyCondition,
    EfsConfig,
    ExceptionsConfig,
    SidecarConfig,
    check_dependencies,
    check_variable_names,
)
from platform_config.ecs_kinds import (
    LISTENING_KINDS,
    QueueConfig,
    ScalingConfig,
    ScheduleConfig,
    ServiceKind,
    check_kind_fields,
)
from platform_config.ecs_placement import RouteConfig
from platform_config.ecs_release import AlarmsConfig, ReleaseConfig
from platform_config.ecs_secret import SecretConfig, check_secret_count
from platform_config.image import ImageConfig

# SecretConfig is re-exported: stacks and tests import it from here.
__all__ = ["ScalingConfig", "SecretConfig", "ServiceConfig"]


class ServiceConfig(Section):
    """One containerised service of a cluster: a web service behind an ALB of its cluster (see
    load_balancer), a backend, a worker or a scheduled job (see kind)."""

    name: str = Field(
        description=(
            "Set from the service's key in ecs.<kind>.services (its file's name in the config "
            "of record): lowercase letters, digits, '-' (2-32 chars); not given in config."
        )
    )
    kind: ServiceKind = Field(
        default=defaults.SERVICE_KIND,
        description=(
            "web: behind an ALB route; backend: no route, reached by name from the cluster's "
            "other services through ECS Service Connect; worker: no port, consumes an SQS queue "
            "and scales on its backlog; job: a task EventBridge Scheduler runs on a schedule."
        ),
    )
    exceptions: ExceptionsConfig = Field(
        default_factory=ExceptionsConfig,
        description=(
            "Exceptions to the hardening, each with its reason: run_as_root, privileged_port, "
            "writable_root_filesystem."
        ),
    )
    image: ImageConfig = Field(
        description=(
            "The container image (required: no image runs with every default; the built-in "
            "environments' sample is nginx-unprivileged as uid 101 with /var/cache/nginx writable)."
        ),
    )
    container_port: int = Field(
        default=defaults.CONTAINER_PORT,
        ge=PRIVILEGED_PORTS[0],
        le=UNPRIVILEGED_PORTS[1],
        description="Port the app listens on (web, backend): 1024-65535 (below: privileged_port).",
    )
    user: str = Field(
        default=defaults.USER,
        description="Non-root uid[:gid] the container runs as (the nginx sample needs 101).",
    )
    cpu: int = Field(default=defaults.TASK_CPU, description="Task CPU units (Fargate: 256..16384).")
    memory_mib: int = Field(
        default=defaults.TASK_MEMORY_MIB, description="Task memory in MiB (Fargate: per CPU)."
    )
    cpu_architecture: Literal["x86_64", "arm64"] = Field(
        default=defaults.CPU_ARCHITECTURE,
        description="Fargate CPU architecture (EC2, Managed Instances: the instances' one).",
    )
    writable_paths: list[str] = Field(
        default_factory=lambda: list(defaults.WRITABLE_PATHS),
        description=(
            "Writable scratch volumes under the read-only root filesystem "
            "(the nginx sample also needs /var/cache/nginx)."
        ),
    )
    environment: dict[str, str] = Field(
        default_factory=dict,
        description="Plain environment variables (not secrets: those go in secrets).",
    )
    secrets: dict[str, SecretConfig] = Field(
        default_factory=dict,
        description=(
            "Env var name -> secret: {secrets_manager_arn | secrets_manager_name | "
            "ssm_parameter_arn, optional json_key (Secrets Manager) and kms_key_arn}; at most "
            f"{MAX_SECRETS} distinct secrets."
        ),
    )
    command: list[str] | None = Field(
        default=None, min_length=1, description="Override the image's CMD."
    )
    entrypoint: list[str] | None = Field(
        default=None, min_length=1, description="Override the image's ENTRYPOINT."
    )
    health_check: ContainerHealthCheckConfig | None = Field(
        default=None, description="A health check ECS runs in the app container."
    )
    stop_timeout_seconds: int | None = Field(
        default=None,
        ge=STOP_TIMEOUT_RANGE[0],
        le=STOP_TIMEOUT_RANGE[1],
        description="Seconds between SIGTERM and SIGKILL at stop; default: ECS's 30.",
    )
    ephemeral_storage_gib: int | None = Field(
        default=None,
        ge=EPHEMERAL_STORAGE_GIB_RANGE[0],
        le=EPHEMERAL_STORAGE_GIB_RANGE[1],
        description="Fargate task ephemeral storage in GiB; default: Fargate's 20.",
    )
    efs: EfsConfig | None = Field(
        default=None, description="Persistent storage on EFS, mounted at efs.path."
    )
    sidecars: list[SidecarConfig] = Field(
        default_factory=list,
        description=f"Containers beside the app, at most {MAX_SIDECARS} (presets: firelens, ...).",
    )
    depends_on: dict[str, DependencyCondition] = Field(
        default_factory=dict,
        description="Sidecars the app starts after, and on what (START, HEALTHY, ...).",
    )
    send_to: list[str] = Field(
        default_factory=list,
        description=(
            "Workers of this cluster whose queues this service may send to (sqs:SendMessage; "
            "the queue URL is in QUEUE_URL_<WORKER>, the worker's name in upper case with _)."
        ),
    )
    health_check_path: str = Field(
        default=defaults.HEALTH_CHECK_PATH, description="ALB health check path (web)."
    )
    health_check_grace_seconds: int = Field(
        default=defaults.HEALTH_CHECK_GRACE_SECONDS, ge=0, le=2147483647
    )
    route: RouteConfig | None = Field(
        default=None, description="The ALB route (web: required; other kinds: none)."
    )
    scaling: ScalingConfig = Field(default_factory=ScalingConfig)
    queue: QueueConfig | None = Field(
        default=None, description="The worker's queue (worker; default: one it owns)."
    )
    schedule: ScheduleConfig | None = Field(
        default=None, description="When the job runs (job: required)."
    )
    enable_execute_command: bool = Field(
        default=defaults.ENABLE_EXECUTE_COMMAND, description="Allow ECS Exec into tasks."
    )
    log_retention_days: RetentionDays = Field(default=defaults.LOG_RETENTION_DAYS)
    release: ReleaseConfig = Field(
        default_factory=ReleaseConfig,
        description="How ECS releases a new revision; default: operations.release.",
    )
    alarms: AlarmsConfig = Field(
        default_factory=AlarmsConfig,
        description="Alarm thresholds; its 5xx and p99 judge releases.",
    )
    load_balancer: str | None = Field(
        default=None,
        description=(
            "Load-balancer group (web): a name from the cluster's load_balancers; default: the "
            "default group (the cluster's load_balancer). In a group the priority picks the ALB."
        ),
    )
    stack: int | None = Field(
        default=None,
        ge=1,
        le=2000,
        description=(
            "The service stack (services-N) that holds the web service; default 1. Only this "
            "moves it to another stack (not its priority, name or position); required when "
            "route.priority is above services_per_stack (docs/design.md, D20). Other kinds have "
            "a stack of their own."
        ),
    )

    @property
    def needs_load_balancer(self) -> bool:
        """Whether an ALB listener rule of its cluster routes to the service (a web service):
        the cluster has ALBs only while one of its services does."""
        return self.kind == "web"

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not SERVICE_NAME.match(value):
            raise ValueError(
                f"'{value}' is not a service name: 2-32 lowercase letters, digits and '-', "
                "starting with a letter"
            )
        return value

    @field_validator("user")
    @classmethod
    def _non_root(cls, value: str, info: ValidationInfo) -> str:
        exceptions = info.data.get("exceptions")
        allowed = exceptions is not None and exceptions.run_as_root is not None
        if runs_as_root(value) and not allowed:
            raise ValueError(
                f"'{value}' runs as root; give a non-root uid such as 1000 (or state why in "
                "exceptions.run_as_root)"
            )
        return value

    @field_validator("container_port")
    @classmethod
    def _unprivileged(cls, value: int, info: ValidationInfo) -> int:
        exceptions = info.data.get("exceptions")
        allowed = exceptions is not None and exceptions.privileged_port is not None
        if value < UNPRIVILEGED_PORTS[0] and not allowed:
            raise ValueError(
                f"{value} is a privileged port (below {UNPRIVILEGED_PORTS[0]}), which a non-root "
                f"process cannot bind; allowed: {UNPRIVILEGED_PORTS[0]}-{UNPRIVILEGED_PORTS[1]} "
                "(or state why in exceptions.privileged_port)"
            )
        return value

    @field_validator("health_check_path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"'{value}' must start with '/'")
        return value

    @field_validator("writable_paths")
    @classmethod
    def _absolute_volumes(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.startswith("/") or path == "/":
                raise ValueError(f"'{path}' must be an absolute path other than '/'")
        duplicates = sorted({path for path in value if value.count(path) > 1})
        if duplicates:  # two volumes at one path: Docker refuses the container
            raise ValueError(f"{', '.join(duplicates)} given twice; allowed: each path once")
        return value

    @field_validator("secrets", "environment")
    @classmethod
    def _variable_names(cls, value: dict[str, object]) -> dict[str, object]:
        check_variable_names(value)
        return value

    @field_validator("command", "entrypoint")
    @classmethod
    def _arguments(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not all(value):
            raise ValueError(f"{value}: every argument must be non-empty")
        return value

    @model_validator(mode="after")
    def _numeric_user_for_volumes(self) -> ServiceConfig:
        """WebService's volume-permissions init container chowns the writable_paths volumes to
        `user` in an image without the app's passwd entries, so the user must be numeric; so
        must an EFS access point's POSIX user."""
        efs_owned_by_user = self.efs is not None and self.efs.owner is None
        if (self.writable_paths or efs_owned_by_user) and not NUMERIC_USER.match(self.user):
            why = (
                "the EFS access point's POSIX user is it, unless efs.owner is set"
                if efs_owned_by_user
                else "an init container chowns the writable_paths volumes to it"
            )
            raise ValueError(
                f"user: '{self.user}' must be a numeric uid[:gid] such as 101 or 1000:1000 ({why})"
            )
        return self

    @model_validator(mode="after")
    def _kind_sections(self) -> ServiceConfig:
        check_kind_fields(self.kind, set(self.model_fields_set), set(self.scaling.model_fields_set))
        if self.kind == "web" and self.route is None:
            raise ValueError("route: required for a web service (the ALB routes to it by it)")
        if self.kind == "job" and self.schedule is None:
            raise ValueError("schedule: required for a job (when EventBridge Scheduler runs it)")
        if self.kind not in LISTENING_KINDS and self.exceptions.privileged_port is not None:
            raise ValueError(
                f"exceptions.privileged_port: a {self.kind} listens on no port; remove it"
            )
        return self

    @model_validator(mode="after")
    def _exceptions_needed(self) -> ServiceConfig:
        """An exception the service does not use would acknowledge a finding that is not there."""
        if self.exceptions.run_as_root is not None and not runs_as_root(self.user):
            raise ValueError(
                f"exceptions.run_as_root: user '{self.user}' is not root; remove the exception"
            )
        port_needs = self.container_port < UNPRIVILEGED_PORTS[0]
        if self.exceptions.privileged_port is not None and not port_needs:
            raise ValueError(
                f"exceptions.privileged_port: container_port {self.container_port} is not "
                "privileged; remove the exception"
            )
        return self

    @model_validator(mode="after")
    def _containers(self) -> ServiceConfig:
        check_secret_count(self.secrets)
        both = sorted(set(self.environment) & set(self.secrets))
        if both:
            raise ValueError(
                f"environment: {', '.join(both)} also in secrets; ECS refuses a variable that is "
                "both; allowed: each name in one of them"
            )
        if len(self.sidecars) > MAX_SIDECARS:
            raise ValueError(
                f"sidecars: {len(self.sidecars)} given, at most {MAX_SIDECARS}: ECS allows "
                f"{MAX_CONTAINERS_PER_TASK_DEFINITION} containers per task definition (a quota "
                "it does not raise), and the task also holds the app and may hold the "
                "volume-permissions init container"
            )
        names = [sidecar.name for sidecar in self.sidecars]
        if len(set(names)) != len(names):
            raise ValueError(f"sidecars: names {names} must be unique")
        if sum(1 for sidecar in self.sidecars if sidecar.preset == "firelens") > 1:
            raise ValueError("sidecars: one firelens log router per task")
        ports = [self.container_port] if self.kind in LISTENING_KINDS else []
        ports += [sidecar.port for sidecar in self.sidecars if sidecar.port is not None]
        if len(set(ports)) != len(ports):
            raise ValueError(f"sidecars: ports {ports} (the app's first) must differ")
        app_port = self.container_port if self.kind in LISTENING_KINDS else None
        for sidecar in self.sidecars:  # a preset's own ports: the task shares one network
            taken = SIDECAR_PRESET_PORTS.get(sidecar.preset or "", ())
            if clash := sorted(set(ports) & set(taken)):
                whose = "the app's container_port" if clash[0] == app_port else "a sidecar's port"
                raise ValueError(
                    f"sidecars.{sidecar.name}: the {sidecar.preset} preset listens on "
                    f"{', '.join(map(str, taken))} in the task, and {clash[0]} is {whose}; "
                    "allowed: another port"
                )
        check_dependencies(self.depends_on, self.sidecars)
        if self.efs is not None and self.efs.path in self.writable_paths:
            raise ValueError(f"efs.path: {self.efs.path} is also in writable_paths; pick one")
        if len(set(self.send_to)) != len(self.send_to):
            raise ValueError(f"send_to: {self.send_to}: each worker once")
        return self

    @property
    def web_route(self) -> RouteConfig:
        """The route of a web service (every web service has one: `_kind_sections`)."""
        if self.route is None:  # unreachable from a validated config
            raise ValueError(f"service {self.name} is a {self.kind}: it has no route")
        return self.route

    @property
    def worker_queue(self) -> QueueConfig:
        """A worker's queue: the one given, or one it owns with the defaults."""
        return self.queue if self.queue is not None else QueueConfig()

    @property
    def job_schedule(self) -> ScheduleConfig:
        """The schedule of a job (every job has one: `_kind_sections`)."""
        if self.schedule is None:  # unreachable from a validated config
            raise ValueError(f"service {self.name} is a {self.kind}: it has no schedule")
        return self.schedule

    @property
    def deployment_tasks(self) -> int:
        """The most tasks of this service running at once: a rolling deployment's (services), or
        one run of a job."""
        return 1 if self.kind == "job" else self.scaling.deployment_tasks

    @property
    def ec2_memory_mib(self) -> int:
        """What one task takes of an EC2 instance's memory: the app's, and each sidecar's limit."""
        return self.memory_mib + defaults.SIDECAR_EC2_MEMORY_MIB * len(self.sidecars)
