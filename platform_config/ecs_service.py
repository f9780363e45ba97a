"""The schema of one web service of an ECS cluster (`ecs.<kind>.services.<name>`): its container,
its secrets, its scaling; its route is in platform_config/ecs_placement.py."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import (
    KMS_KEY_ARN,
    NUMERIC_USER,
    SECRETS_MANAGER_SECRET_COMPLETE_ARN,
    SECRETS_MANAGER_SECRET_NAME,
    SSM_PARAMETER_ARN,
    UNPRIVILEGED_PORTS,
    arn_region,
    check_retention_days,
    runs_as_root,
)
from platform_config.base import Section
from platform_config.ecs_placement import RouteConfig
from platform_config.ecs_release import AlarmsConfig, ReleaseConfig
from platform_config.image import ImageConfig

_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SecretConfig(Section):
    """One secret injected into a container as an environment variable: exactly one of
    `secrets_manager_arn`, `secrets_manager_name` or `ssm_parameter_arn`."""

    secrets_manager_arn: str | None = Field(
        default=None,
        description=(
            "Complete secret ARN, with the 6-character suffix Secrets Manager adds "
            "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf); any account/region."
        ),
    )
    secrets_manager_name: str | None = Field(
        default=None,
        description=(
            "Secret name in the environment's own account and region (no suffix); the "
            "execution role may read NAME-??????."
        ),
    )
    json_key: str | None = Field(
        default=None, description="Inject this key of a JSON secret (Secrets Manager only)."
    )
    ssm_parameter_arn: str | None = Field(
        default=None,
        description="Parameter ARN, any account/region: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME.",
    )
    kms_key_arn: str | None = Field(
        default=None,
        description=(
            "Customer-managed KMS key ARN the secret is encrypted with (same region as the "
            "secret): the execution role gets kms:Decrypt on it via Secrets Manager/SSM only."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: object) -> object:
        if isinstance(value, str):  # the format before secrets named their kind
            kind = "ssm_parameter_arn" if ":ssm:" in value else "secrets_manager_arn"
            raise ValueError(
                f"'{value}': give the secret as an object naming its kind, e.g. "
                f'{{"{kind}": "{value}"}}; kinds: secrets_manager_arn, secrets_manager_name, '
                "ssm_parameter_arn"
            )
        return value

    @field_validator("secrets_manager_arn")
    @classmethod
    def _complete_arn(cls, value: str | None) -> str | None:
        if value is not None and not SECRETS_MANAGER_SECRET_COMPLETE_ARN.match(value):
            raise ValueError(
                f"'{value}' is not a complete Secrets Manager secret ARN; allowed: "
                "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf (with the 6-character "
                "suffix); for a secret of this account/region by name use secrets_manager_name"
            )
        return value

    @field_validator("secrets_manager_name")
    @classmethod
    def _secret_name(cls, value: str | None) -> str | None:
        if value is not None and (
            value.startswith("arn:") or not SECRETS_MANAGER_SECRET_NAME.match(value)
        ):
            raise ValueError(
                f"'{value}' is not a Secrets Manager secret name; allowed: 1-512 letters, "
                "digits and /_+=.@- (a complete ARN goes in secrets_manager_arn)"
            )
        return value

    @field_validator("json_key")
    @classmethod
    def _json_key(cls, value: str | None) -> str | None:
        if value is not None and (not value or ":" in value):
            raise ValueError(f"'{value}' is not a JSON key; allowed: a non-empty key without ':'")
        return value

    @field_validator("ssm_parameter_arn")
    @classmethod
    def _parameter_arn(cls, value: str | None) -> str | None:
        if value is not None and not SSM_PARAMETER_ARN.match(value):
            raise ValueError(
                f"'{value}' is not an SSM parameter ARN; allowed: "
                "arn:aws:ssm:REGION:ACCOUNT:parameter/NAME (NAME without its leading '/')"
            )
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _key_arn(cls, value: str | None) -> str | None:
        if value is not None and not KMS_KEY_ARN.match(value):
            raise ValueError(
                f"'{value}' is not a KMS key ARN; allowed: arn:aws:kms:REGION:ACCOUNT:key/KEY-ID "
                "(IAM cannot grant on an alias)"
            )
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> SecretConfig:
        kinds = [
            kind
            for kind in ("secrets_manager_arn", "secrets_manager_name", "ssm_parameter_arn")
            if getattr(self, kind) is not None
        ]
        if len(kinds) != 1:
            given = f"got {', '.join(kinds)}" if kinds else "got none"
            raise ValueError(
                "give exactly one of secrets_manager_arn, secrets_manager_name, "
                f"ssm_parameter_arn; {given}"
            )
        if self.json_key is not None and self.ssm_parameter_arn is not None:
            raise ValueError("json_key: only with secrets_manager_arn or secrets_manager_name")
        region = self.region
        if self.kms_key_arn is not None and region is not None:
            key_region = arn_region(self.kms_key_arn)
            if key_region != region:
                raise ValueError(
                    f"kms_key_arn: the key is in {key_region} but the secret in {region}; "
                    "allowed: a key in the secret's region"
                )
        return self

    @property
    def region(self) -> str | None:
        """The secret's region when its ARN says (None for a name: the environment's region)."""
        arn = self.secrets_manager_arn or self.ssm_parameter_arn
        return arn_region(arn) if arn is not None else None

    @property
    def key_region(self) -> str | None:
        """The region of `kms_key_arn` (None without a key)."""
        return arn_region(self.kms_key_arn) if self.kms_key_arn is not None else None


class ScalingConfig(Section):
    """Target-tracking auto scaling of one service's task count."""

    min_tasks: int = Field(default=defaults.MIN_TASKS, ge=0, description="Lowest task count.")
    max_tasks: int = Field(default=defaults.MAX_TASKS, ge=1, description="Highest task count.")
    desired_tasks: int | None = Field(
        default=None, description="Task count at creation; default: min_tasks. Within [min, max]."
    )
    cpu_target_percent: int = Field(
        default=defaults.CPU_TARGET_PERCENT,
        ge=10,
        le=90,
        description="Average CPU utilisation to track (10-90).",
    )
    requests_per_target: int = Field(
        default=defaults.REQUESTS_PER_TARGET,
        ge=1,
        description="ALB requests per task per minute to track.",
    )

    @property
    def deployment_tasks(self) -> int:
        """The most tasks a rolling deployment runs: a whole new task set starts beside the old
        one (maximum percent 200 of max_tasks), each an ALB target and an ENI."""
        return defaults.DEPLOYMENT_MAXIMUM_PERCENT * self.max_tasks // 100

    @model_validator(mode="after")
    def _ordered(self) -> ScalingConfig:
        if self.min_tasks > self.max_tasks:
            raise ValueError(
                f"min_tasks ({self.min_tasks}) must not exceed max_tasks ({self.max_tasks})"
            )
        desired = self.desired_tasks
        if desired is not None and not self.min_tasks <= desired <= self.max_tasks:
            raise ValueError(
                f"desired_tasks ({desired}) must be within "
                f"[min_tasks, max_tasks] = [{self.min_tasks}, {self.max_tasks}]"
            )
        return self


class ServiceConfig(Section):
    """One containerised HTTP service behind an ALB of its cluster (see load_balancer)."""

    name: str = Field(
        description=(
            "Set from the service's key in ecs.<kind>.services (its file's name in the config "
            "of record): lowercase letters, digits, '-' (2-32 chars); not given in config."
        )
    )
    image: ImageConfig = Field(
        description=(
            "The container image (required: no image runs with every default; the built-in "
            "environments' sample is nginx-unprivileged as uid 101 with /var/cache/nginx writable)."
        ),
    )
    container_port: int = Field(
        default=defaults.CONTAINER_PORT,
        ge=UNPRIVILEGED_PORTS[0],
        le=UNPRIVILEGED_PORTS[1],
        description="Unprivileged port.",
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
        description="Fargate CPU architecture (EC2: the instances' one).",
    )
    writable_paths: list[str] = Field(
        default_factory=lambda: list(defaults.WRITABLE_PATHS),
        description=(
            "Writable scratch volumes under the read-only root filesystem "
            "(the nginx sample also needs /var/cache/nginx)."
        ),
    )
    health_check_path: str = Field(
        default=defaults.HEALTH_CHECK_PATH, description="ALB health check path."
    )
    health_check_grace_seconds: int = Field(
        default=defaults.HEALTH_CHECK_GRACE_SECONDS, ge=0, le=2147483647
    )
    route: RouteConfig
    scaling: ScalingConfig = Field(default_factory=ScalingConfig)
    secrets: dict[str, SecretConfig] = Field(
        default_factory=dict,
        description=(
            "Env var name -> secret: {secrets_manager_arn | secrets_manager_name | "
            "ssm_parameter_arn, optional json_key (Secrets Manager) and kms_key_arn}."
        ),
    )
    enable_execute_command: bool = Field(
        default=defaults.ENABLE_EXECUTE_COMMAND, description="Allow ECS Exec into tasks."
    )
    log_retention_days: int = Field(default=defaults.LOG_RETENTION_DAYS)
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
            "Load-balancer group: a name from the cluster's load_balancers; default: the default "
            "group (the cluster's load_balancer). Within a group the priority picks the ALB."
        ),
    )

    @property
    def needs_load_balancer(self) -> bool:
        """Whether an ALB listener rule of its cluster routes to the service (a web service):
        the cluster has ALBs only while one of its services does."""
        return True

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _SERVICE_NAME.match(value):
            raise ValueError(
                f"'{value}' is not a service name: 2-32 lowercase letters, digits and '-', "
                "starting with a letter"
            )
        return value

    @field_validator("user")
    @classmethod
    def _non_root(cls, value: str) -> str:
        if runs_as_root(value):
            raise ValueError(f"'{value}' runs as root; give a non-root uid such as 1000")
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

    @field_validator("secrets")
    @classmethod
    def _variable_names(cls, value: dict[str, SecretConfig]) -> dict[str, SecretConfig]:
        for name in value:
            if not _ENV_NAME.match(name):
                raise ValueError(
                    f"'{name}' is not an environment variable name; allowed: letters, digits "
                    "and '_', not starting with a digit"
                )
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention_days(value)

    @model_validator(mode="after")
    def _numeric_user_for_volumes(self) -> ServiceConfig:
        """WebService's volume-permissions init container chowns the writable_paths volumes to
        `user` in an image without the app's passwd entries, so the user must be numeric."""
        if self.writable_paths and not NUMERIC_USER.match(self.user):
            raise ValueError(
                f"user: '{self.user}' must be a numeric uid[:gid] such as 101 or 1000:1000 "
                "(an init container chowns the writable_paths volumes to it)"
            )
        return self
