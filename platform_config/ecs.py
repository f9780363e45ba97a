"""The `ecs` section: an ECS cluster on EC2 and one on Fargate, each with its web services."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from pydantic import Field, field_validator, model_validator

from platform_config.base import (
    EC2_INSTANCE_TYPE,
    Section,
    cdk_can_read_architecture,
    is_graviton,
)
from platform_config.image import ImageConfig
from platform_config.instance_capacity import INSTANCE_CAPACITY, InstanceCapacity
from platform_config.network import validate_retention_days

# A public image that starts on a fresh account without a push: nginx as uid 101 on port 8080,
# writing only to /tmp and /var/cache/nginx (given as writable volumes under a read-only root).
SAMPLE_IMAGE_URI = "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine"

_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_PARTITION = r"arn:aws(?:-cn|-us-gov|-iso|-iso-b)?"
# A complete secret ARN ends in the 6 characters Secrets Manager appends to the name.
_SECRET_COMPLETE_ARN = re.compile(
    rf"^{_PARTITION}:secretsmanager:(?P<region>[a-z0-9-]+):[0-9]{{12}}:secret:[A-Za-z0-9_/+=.@-]+-[A-Za-z0-9]{{6}}$"
)
_SECRET_NAME = re.compile(r"^[\w/+=.@-]{1,512}$")
_PARAMETER_ARN = re.compile(
    rf"^{_PARTITION}:ssm:(?P<region>[a-z0-9-]+):[0-9]{{12}}:parameter/(?!/)[A-Za-z0-9_./-]{{1,1011}}$"
)
_KMS_KEY_ARN = re.compile(
    rf"^{_PARTITION}:kms:(?P<region>[a-z0-9-]+):[0-9]{{12}}:key/[A-Za-z0-9-]+$"
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUMERIC_USER = re.compile(r"^[0-9]+(:[0-9]+)?$")

# The task CPU (units) -> memory (MiB) pairs Fargate offers.
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}


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
        if value is not None and not _SECRET_COMPLETE_ARN.match(value):
            raise ValueError(
                f"'{value}' is not a complete Secrets Manager secret ARN; allowed: "
                "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf (with the 6-character "
                "suffix); for a secret of this account/region by name use secrets_manager_name"
            )
        return value

    @field_validator("secrets_manager_name")
    @classmethod
    def _secret_name(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith("arn:") or not _SECRET_NAME.match(value)):
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
        if value is not None and not _PARAMETER_ARN.match(value):
            raise ValueError(
                f"'{value}' is not an SSM parameter ARN; allowed: "
                "arn:aws:ssm:REGION:ACCOUNT:parameter/NAME (NAME without its leading '/')"
            )
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _key_arn(cls, value: str | None) -> str | None:
        if value is not None and not _KMS_KEY_ARN.match(value):
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
            key_region = _region_of(self.kms_key_arn)
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
        return _region_of(arn) if arn is not None else None

    @property
    def key_region(self) -> str | None:
        """The region of `kms_key_arn` (None without a key)."""
        return _region_of(self.kms_key_arn) if self.kms_key_arn is not None else None


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


class ScalingConfig(Section):
    """Target-tracking auto scaling of one service's task count."""

    min_tasks: int = Field(default=1, ge=0, description="Lowest task count.")
    max_tasks: int = Field(default=2, ge=1, description="Highest task count.")
    desired_tasks: int | None = Field(
        default=None, description="Task count at creation; default: min_tasks. Within [min, max]."
    )
    cpu_target_percent: int = Field(
        default=60, ge=10, le=90, description="Average CPU utilisation to track (10-90)."
    )
    requests_per_target: int = Field(
        default=500, ge=1, description="ALB requests per task per minute to track."
    )

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


class RouteConfig(Section):
    """Which requests the service's ALB forwards to it: path patterns and/or host headers."""

    priority: int = Field(
        ge=1,
        le=50000,
        description=(
            "Listener rule priority, unique in the cluster. The ALB evaluates rules from the "
            "lowest number: a route whose paths and hosts cover a later route's (/* before "
            "/api/*, *.example.com before api.example.com) is refused, give the narrower one the "
            "lower number. Also decides the service's stack: "
            "services-N holds priorities (N-1)*services_per_stack+1 .. N*services_per_stack; "
            "and its ALB within its load-balancer group (blocks of services_per_load_balancer)."
        ),
    )
    paths: list[str] = Field(
        default_factory=list, max_length=5, description="Path patterns, e.g. /api/*."
    )
    hosts: list[str] = Field(
        default_factory=list, max_length=5, description="Host headers, e.g. api.example.com."
    )

    @field_validator("paths")
    @classmethod
    def _absolute_paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.startswith("/"):
                raise ValueError(f"path pattern '{path}' must start with '/'")
        return value

    @model_validator(mode="after")
    def _has_condition(self) -> RouteConfig:
        if not self.paths and not self.hosts:
            raise ValueError("route needs at least one of 'paths' or 'hosts'")
        values = len(self.paths) + len(self.hosts)
        if values > CONDITION_VALUES_PER_RULE.limit:
            raise ValueError(
                f"route has {values} condition values ({len(self.paths)} paths + "
                f"{len(self.hosts)} hosts) in its one listener rule; the limit is "
                f"{CONDITION_VALUES_PER_RULE.limit} per rule (hard quota "
                f"'{CONDITION_VALUES_PER_RULE.name}')"
            )
        return self


class ServiceConfig(Section):
    """One containerised HTTP service behind an ALB of its cluster (see load_balancer)."""

    name: str = Field(description="Service name: lowercase letters, digits, '-' (2-32 chars).")
    image: ImageConfig = Field(
        description=(
            "The container image (required: no image runs with every default; the built-in "
            "environments' sample is nginx-unprivileged as uid 101 with /var/cache/nginx writable)."
        ),
    )
    container_port: int = Field(default=8080, ge=1024, le=65535, description="Unprivileged port.")
    user: str = Field(
        default="1000",
        description="Non-root uid[:gid] the container runs as (the nginx sample needs 101).",
    )
    cpu: int = Field(default=256, description="Task CPU units (Fargate: 256..16384).")
    memory_mib: int = Field(default=512, description="Task memory in MiB (Fargate: per CPU).")
    cpu_architecture: Literal["x86_64", "arm64"] = Field(
        default="x86_64", description="Fargate CPU architecture (EC2: the instances' one)."
    )
    writable_paths: list[str] = Field(
        default_factory=lambda: ["/tmp"],
        description=(
            "Writable scratch volumes under the read-only root filesystem "
            "(the nginx sample also needs /var/cache/nginx)."
        ),
    )
    health_check_path: str = Field(default="/", description="ALB health check path.")
    health_check_grace_seconds: int = Field(default=60, ge=0, le=2147483647)
    route: RouteConfig
    scaling: ScalingConfig = Field(default_factory=ScalingConfig)
    secrets: dict[str, SecretConfig] = Field(
        default_factory=dict,
        description=(
            "Env var name -> secret: {secrets_manager_arn | secrets_manager_name | "
            "ssm_parameter_arn, optional json_key (Secrets Manager) and kms_key_arn}."
        ),
    )
    enable_execute_command: bool = Field(default=True, description="Allow ECS Exec into tasks.")
    log_retention_days: int = Field(default=30)
    load_balancer: str | None = Field(
        default=None,
        description=(
            "Load-balancer group: a name from the cluster's load_balancers; default: the default "
            "group (the cluster's load_balancer). Within a group the priority picks the ALB."
        ),
    )

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
        uid = value.split(":", 1)[0]
        if uid in {"0", "root"} or not uid:
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
        return validate_retention_days(value)

    @model_validator(mode="after")
    def _numeric_user_for_volumes(self) -> ServiceConfig:
        """WebService's volume-permissions init container chowns the writable_paths volumes to
        `user` in an image without the app's passwd entries, so the user must be numeric."""
        if self.writable_paths and not _NUMERIC_USER.match(self.user):
            raise ValueError(
                f"user: '{self.user}' must be a numeric uid[:gid] such as 101 or 1000:1000 "
                "(an init container chowns the writable_paths volumes to it)"
            )
        return self


class LoadBalancerConfig(Section):
    """One load-balancer group of a cluster: the settings of its ALBs (one per block of
    `services_per_load_balancer` route priorities that holds services; the group's first ALB
    always exists)."""

    internal: bool = Field(
        default=False,
        description=(
            "Internal ALB: private subnets, scheme internal, listener ports open to the VPC CIDR "
            "only (for services other workloads call). Default: internet-facing."
        ),
    )
    certificate_arn: str | None = Field(
        default=None,
        description=(
            "ACM certificate ARN. Set: HTTPS listener on 443 and HTTP->HTTPS redirect on 80. "
            "Unset: plain HTTP on 80 only (sandbox without a domain)."
        ),
    )
    additional_certificate_arns: list[str] = Field(
        default_factory=list,
        description=(
            "More ACM certificates on the HTTPS listener (SNI), e.g. for other host names; "
            "needs certificate_arn. At most 25 per ALB (quota, excluding the default one)."
        ),
    )
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)
    access_log_retention_days: int = Field(
        default=90, ge=1, description="Days before ALB access log objects expire."
    )

    @field_validator("certificate_arn")
    @classmethod
    def _acm_arn(cls, value: str | None) -> str | None:
        if value is not None and not _ACM_ARN.match(value):
            raise ValueError(f"'{value}' is not an ACM certificate ARN")
        return value

    @field_validator("additional_certificate_arns")
    @classmethod
    def _acm_arns(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not _ACM_ARN.match(arn):
                raise ValueError(f"'{arn}' is not an ACM certificate ARN")
        if len(set(value)) != len(value):
            raise ValueError("each certificate may appear once")
        return value

    @model_validator(mode="after")
    def _additional_need_default(self) -> LoadBalancerConfig:
        if self.additional_certificate_arns and self.certificate_arn is None:
            raise ValueError(
                "additional_certificate_arns: needs certificate_arn (the HTTPS listener's "
                "default certificate); allowed: set certificate_arn or remove them"
            )
        if self.certificate_arn in self.additional_certificate_arns:
            raise ValueError("additional_certificate_arns: certificate_arn is already the default")
        return self

    @property
    def https(self) -> bool:
        """Whether the ALBs of this group have an HTTPS listener."""
        return self.certificate_arn is not None


_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$")
_GROUP_NAME = re.compile(r"^[a-z][a-z0-9]{0,19}$")
DEFAULT_GROUP = "default"


@dataclass(frozen=True)
class AlbQuota:
    """One Application Load Balancer quota: AWS's name, its default value, adjustable or not."""

    name: str
    limit: int
    adjustable: bool


# Elastic Load Balancing User Guide for Application Load Balancers, "Quotas for your Application
# Load Balancers" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/
# load-balancer-limits.html), default values as read on 2026-11-29. docs/design.md "Scaling"
# shows them.
ALB_QUOTAS_SOURCE = (
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html"
)
ALB_QUOTAS_READ = "2026-11-29"
TARGET_GROUPS_PER_ALB = AlbQuota("Target Groups per Application Load Balancer", 100, False)
RULES_PER_ALB = AlbQuota("Rules per Application Load Balancer (excluding default rules)", 100, True)
CERTIFICATES_PER_ALB = AlbQuota(
    "Certificates per Application Load Balancer (excluding default certificates)", 25, True
)
TARGETS_PER_ALB = AlbQuota("Targets per Application Load Balancer", 1000, True)
ALBS_PER_REGION = AlbQuota("Application Load Balancers per Region", 50, True)
TARGET_GROUPS_PER_REGION = AlbQuota("Target Groups per Region", 3000, True)  # shared with NLBs
CONDITION_VALUES_PER_RULE = AlbQuota("Condition values per rule", 5, False)
ALB_QUOTAS = (
    TARGET_GROUPS_PER_ALB,
    RULES_PER_ALB,
    CERTIFICATES_PER_ALB,
    TARGETS_PER_ALB,
    ALBS_PER_REGION,
    TARGET_GROUPS_PER_REGION,
    CONDITION_VALUES_PER_RULE,
)

# Target groups one service adds to its ALB (1 today; 2 with blue/green deployments).
TARGET_GROUPS_PER_SERVICE = 1


def listener_rules_per_service(https: bool) -> dict[str, int]:
    """Listener rules one service adds, per listener of its ALB: with HTTPS one rule on the HTTPS
    listener and none on HTTP (its default action redirects); HTTP only: one rule on HTTP."""
    return {"HTTPS:443": 1, "HTTP:80": 0} if https else {"HTTP:80": 1}


def max_services_per_load_balancer() -> int:
    """The most services one ALB holds within its target-group and rule quotas."""
    rules = max(sum(listener_rules_per_service(https).values()) for https in (False, True))
    return min(
        TARGET_GROUPS_PER_ALB.limit // TARGET_GROUPS_PER_SERVICE, RULES_PER_ALB.limit // rules
    )


def load_balancer_number(priority: int, services_per_load_balancer: int) -> int:
    """The number k of the ALB of a group that holds route `priority`: block k of the priorities."""
    return (priority - 1) // services_per_load_balancer + 1


class AlbKey(NamedTuple):
    """One ALB of a cluster: its group and its number in the group (1 = the group's first)."""

    group: str
    number: int

    @property
    def name(self) -> str:
        """e.g. default-1, internal-2."""
        return f"{self.group}-{self.number}"


@dataclass(frozen=True)
class AlbUsage:
    """What the services of one ALB add to it, counted against its quotas."""

    target_groups: int
    rules: dict[str, int]
    certificates: int
    targets: int

    @property
    def total_rules(self) -> int:
        return sum(self.rules.values())


class ClusterConfig(Section):
    """What both cluster kinds share: the ALB, the services and how they spread over stacks."""

    container_insights: Literal["enabled", "enhanced"] = Field(default="enabled")
    exec_log_retention_days: int = Field(default=30, description="ECS Exec session log retention.")
    load_balancer: LoadBalancerConfig = Field(
        default_factory=LoadBalancerConfig,
        description="The default load-balancer group: services without load_balancer use it.",
    )
    load_balancers: dict[str, LoadBalancerConfig] = Field(
        default_factory=dict,
        description=(
            "More load-balancer groups by name (1-20 lowercase letters/digits, not 'default'), "
            'e.g. {"internal": {"internal": true}}; services choose one with load_balancer.'
        ),
    )
    services_per_load_balancer: int = Field(
        default=100,
        ge=1,
        description=(
            "Route priorities per ALB of a group: ALB k holds priorities "
            "(k-1)*N+1 .. k*N (at most 100: target-group and rule quotas)."
        ),
    )
    services_per_stack: int = Field(
        default=10,
        ge=1,
        le=20,
        description="Route priorities per service stack (~25 resources per service; 500 max).",
    )
    services: list[ServiceConfig] = Field(default_factory=list)

    @field_validator("exec_log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return validate_retention_days(value)

    @model_validator(mode="after")
    def _unique_services(self) -> ClusterConfig:
        _reject_duplicates("name", [service.name for service in self.services])
        _reject_duplicates("route.priority", [s.route.priority for s in self.services])
        routes = [
            (tuple(sorted(s.route.paths)), tuple(sorted(s.route.hosts))) for s in self.services
        ]
        _reject_duplicates("route", routes)
        _reject_shadowed_routes(self.services)
        return self

    @field_validator("load_balancers")
    @classmethod
    def _group_names(cls, value: dict[str, LoadBalancerConfig]) -> dict[str, LoadBalancerConfig]:
        for name in value:
            if name == DEFAULT_GROUP or not _GROUP_NAME.match(name):
                raise ValueError(
                    f"'{name}' is not a load-balancer group name; allowed: 1-20 lowercase "
                    f"letters and digits, starting with a letter, other than '{DEFAULT_GROUP}' "
                    "(that is load_balancer)"
                )
        return value

    @property
    def load_balancer_groups(self) -> dict[str, LoadBalancerConfig]:
        """Every group by name: the default one first, then the named ones by name."""
        return {DEFAULT_GROUP: self.load_balancer, **dict(sorted(self.load_balancers.items()))}

    def group_of(self, service: ServiceConfig) -> str:
        """The name of the load-balancer group of `service`."""
        return service.load_balancer or DEFAULT_GROUP

    def alb_of(self, service: ServiceConfig) -> AlbKey:
        """The ALB that holds `service`: its group, and the block of its route priority."""
        number = load_balancer_number(service.route.priority, self.services_per_load_balancer)
        return AlbKey(self.group_of(service), number)

    def assign_load_balancers(self) -> dict[AlbKey, list[ServiceConfig]]:
        """Services by ALB; every group's first ALB is listed even without services. Stable: a
        service's ALB depends only on its own group and priority, never on the list."""
        albs: dict[AlbKey, list[ServiceConfig]] = {
            AlbKey(g, 1): [] for g in self.load_balancer_groups
        }
        for service in self.services:
            albs.setdefault(self.alb_of(service), []).append(service)
        order = list(self.load_balancer_groups)
        return dict(
            sorted(albs.items(), key=lambda item: (order.index(item[0].group), item[0].number))
        )

    def alb_usage(self, key: AlbKey, services: Sequence[ServiceConfig]) -> AlbUsage:
        """What `services` add to ALB `key` (see `listener_rules_per_service`)."""
        group = self.load_balancer_groups[key.group]
        per_service = listener_rules_per_service(group.https)
        return AlbUsage(
            target_groups=TARGET_GROUPS_PER_SERVICE * len(services),
            rules={listener: count * len(services) for listener, count in per_service.items()},
            certificates=len(group.additional_certificate_arns),
            targets=sum(DEPLOYMENT_MAX_PERCENT * s.scaling.max_tasks // 100 for s in services),
        )

    @model_validator(mode="after")
    def _groups_exist(self) -> ClusterConfig:
        for index, service in enumerate(self.services):
            name = service.load_balancer
            if name is not None and name not in self.load_balancer_groups:
                allowed = ", ".join(self.load_balancer_groups)
                raise ValueError(
                    f"services[{index}].load_balancer: '{name}' is not a load-balancer group "
                    f"of this cluster; allowed: {allowed} (declare more in load_balancers)"
                )
        return self

    @model_validator(mode="after")
    def _albs_within_quotas(self) -> ClusterConfig:
        """Every ALB within its quotas, counting what each of its services adds."""
        per = self.services_per_load_balancer
        for key, services in self.assign_load_balancers().items():
            usage = self.alb_usage(key, services)
            first = (key.number - 1) * per + 1
            where = f"ALB {key.name} (priorities {first}-{key.number * per})"
            counts = [
                (
                    usage.target_groups,
                    TARGET_GROUPS_PER_ALB,
                    "target groups",
                    f"{TARGET_GROUPS_PER_SERVICE} per service x {len(services)} services",
                ),
                (
                    usage.total_rules,
                    RULES_PER_ALB,
                    "listener rules",
                    ", ".join(f"{n} on {listener}" for listener, n in usage.rules.items()),
                ),
                (
                    usage.certificates,
                    CERTIFICATES_PER_ALB,
                    "certificates besides the default",
                    "additional_certificate_arns",
                ),
                (
                    usage.targets,
                    TARGETS_PER_ALB,
                    "targets during deployments",
                    f"{DEPLOYMENT_MAX_PERCENT}% of each service's scaling.max_tasks",
                ),
            ]
            for count, quota, what, how in counts:
                if count > quota.limit:
                    kind = "adjustable quota" if quota.adjustable else "hard quota"
                    raise ValueError(
                        f"{where} would have {count} {what} ({how}); the limit is "
                        f"{quota.limit} per ALB ({kind} '{quota.name}'); lower "
                        "services_per_load_balancer or move services to another group"
                    )
        most = max_services_per_load_balancer()
        if per > most:
            raise ValueError(
                f"services_per_load_balancer: {per} services could exceed an ALB's quotas "
                f"({TARGET_GROUPS_PER_SERVICE} target group(s) and up to 1 listener rule per "
                f"service; {TARGET_GROUPS_PER_ALB.limit} target groups, "
                f"{RULES_PER_ALB.limit} rules per ALB); allowed: 1-{most}"
            )
        return self


def _reject_duplicates(field: str, values: Sequence[object]) -> None:
    seen: dict[object, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            shown = _show(value)
            raise ValueError(
                f"services[{index}].{field}: {shown} is already used by "
                f"services[{seen[value]}]; each must be unique in the cluster"
            )
        seen[value] = index


def pattern_covers(wide: str, narrow: str) -> bool:
    """Whether every string ALB pattern `narrow` matches also matches `wide` (`*`: any characters,
    `?`: one). Sound, not complete: true for identical patterns, `*`, and a `wide` that is
    `narrow`'s leading (`/api/*` over `/api/v1/*`) or trailing (`*.example.com` over
    `api.example.com`) text plus `*` (any match of `narrow` is that text followed, or preceded,
    by something `*` matches); otherwise false, even where it would cover."""
    return (
        wide == narrow
        or wide == "*"
        or (wide.endswith("*") and narrow.startswith(wide[:-1]))
        or (wide.startswith("*") and narrow.endswith(wide[1:]))
    )


def route_covers(early: RouteConfig, late: RouteConfig) -> bool:
    """Whether every request `late` matches also matches `early` (so, evaluated first, `early`
    leaves `late` unreachable). A rule matches when its path matches one of its path patterns (no
    paths: any path) and its host one of its host headers (no hosts: any host); host headers
    compare case-insensitively. Sound: a late pattern is covered when one early pattern covers
    it (see pattern_covers)."""

    def covered(wide: list[str], narrow: list[str], anything: str) -> bool:
        return not wide or all(
            any(pattern_covers(w, n) for w in wide) for n in (narrow or [anything])
        )

    return covered(early.paths, late.paths, "/*") and covered(
        [host.lower() for host in early.hosts], [host.lower() for host in late.hosts], "*"
    )


def _reject_shadowed_routes(services: Sequence[ServiceConfig]) -> None:
    """The ALB evaluates a listener's rules by ascending priority; a rule whose conditions cover a
    later rule's takes all of its requests."""
    indexed = sorted(enumerate(services), key=lambda item: item[1].route.priority)
    for position, (late_index, late) in enumerate(indexed):
        for early_index, early in indexed[:position]:
            if route_covers(early.route, late.route):
                raise ValueError(
                    f"services[{late_index}].route: service '{late.name}' (priority "
                    f"{late.route.priority}, {_show_route(late.route)}) is unreachable: service "
                    f"'{early.name}' (services[{early_index}], priority {early.route.priority}, "
                    f"{_show_route(early.route)}) matches every request it does and the ALB "
                    "evaluates rules by ascending priority; give the narrower route the lower "
                    f"priority number (below {early.route.priority}), e.g. swap the two priorities"
                )


def _show_route(route: RouteConfig) -> str:
    return f"paths={route.paths} hosts={route.hosts}"


def _show(value: object) -> str:
    if isinstance(value, tuple):  # a route: (paths, hosts)
        paths, hosts = value
        return f"paths={list(paths)} hosts={list(hosts)}"
    return repr(value)


class CapacityProviderShare(Section):
    """One entry of a Fargate capacity provider strategy."""

    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"]
    weight: int = Field(ge=0, le=1000)
    base: int = Field(default=0, ge=0, le=100000)


class FargateClusterConfig(ClusterConfig):
    """An ECS cluster with the FARGATE and FARGATE_SPOT capacity providers."""

    default_strategy: list[CapacityProviderShare] = Field(
        min_length=1, description="Default capacity provider strategy of the cluster's services."
    )

    @model_validator(mode="after")
    def _fargate_sizes(self) -> FargateClusterConfig:
        for index, service in enumerate(self.services):
            allowed = FARGATE_MEMORY_BY_CPU.get(service.cpu)
            if allowed is None:
                cpus = ", ".join(str(cpu) for cpu in FARGATE_MEMORY_BY_CPU)
                raise ValueError(
                    f"services[{index}].cpu: {service.cpu} is not a Fargate task CPU; "
                    f"allowed: {cpus}"
                )
            if service.memory_mib not in allowed:
                raise ValueError(
                    f"services[{index}].memory_mib: Fargate does not offer {service.memory_mib} "
                    f"MiB with {service.cpu} CPU units; allowed: {allowed[0]}-{allowed[-1]} "
                    f"in steps of {allowed[1] - allowed[0]}"
                )
        if not any(share.weight for share in self.default_strategy):
            raise ValueError("default_strategy: at least one capacity provider needs a weight > 0")
        _reject_duplicates_strategy(self.default_strategy)
        return self


def _reject_duplicates_strategy(strategy: Sequence[CapacityProviderShare]) -> None:
    names = [share.capacity_provider for share in strategy]
    if len(set(names)) != len(names):
        raise ValueError("default_strategy: each capacity provider may appear once")
    if sum(1 for share in strategy if share.base) > 1:
        raise ValueError("default_strategy: only one capacity provider may have a base")


class Ec2ClusterConfig(ClusterConfig):
    """An ECS cluster whose capacity is an Auto Scaling group capacity provider."""

    machine_image: Literal["al2023", "bottlerocket"] = Field(
        default="al2023", description="ECS-optimized Amazon Linux 2023 or Bottlerocket."
    )
    instance_types: list[str] = Field(
        min_length=1, description="Instance types; several let Spot diversify (first = primary)."
    )
    min_instances: int = Field(default=0, ge=0)
    max_instances: int = Field(default=2, ge=1)
    target_capacity_percent: int = Field(
        default=100, description="Managed scaling target utilisation of the instances (1-100)."
    )
    spot: bool = Field(default=False, description="Spot through a mixed-instances policy.")
    on_demand_base_capacity: int = Field(
        default=0, ge=0, description="With spot: instances always on demand."
    )
    managed_termination_protection: bool = Field(
        default=True,
        description=(
            "Protect instances running tasks from scale-in. Blocks `cdk destroy` "
            "(aws/aws-cdk#18179): the sandbox turns it off."
        ),
    )
    root_volume_gib: int = Field(default=30, ge=30, le=16384)

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, value: list[str]) -> list[str]:
        for instance_type in value:
            if not EC2_INSTANCE_TYPE.match(instance_type):
                raise ValueError(
                    f"'{instance_type}' is not an EC2 instance type such as t3.small or m7g.large"
                )
            if not cdk_can_read_architecture(instance_type):
                raise ValueError(
                    f"'{instance_type}': aws-cdk-lib cannot tell this instance type's CPU "
                    "architecture; allowed: family, 1-2 digit generation, options, size "
                    "(t3.small, m7g.large, c7gn.xlarge)"
                )
        if len(set(value)) != len(value):
            raise ValueError("instance types must be unique")
        arm = [name for name in value if is_graviton(name)]
        x86 = [name for name in value if not is_graviton(name)]
        if arm and x86:
            raise ValueError(
                f"mixes x86_64 ({', '.join(x86)}) and arm64/Graviton ({', '.join(arm)}); "
                "allowed: instance types of one CPU architecture (the launch template has one AMI)"
            )
        return value

    @field_validator("target_capacity_percent")
    @classmethod
    def _target(cls, value: int) -> int:
        if not 1 <= value <= 100:
            raise ValueError(f"must be 1-100 (percent), got {value}")
        return value

    @model_validator(mode="after")
    def _capacity(self) -> Ec2ClusterConfig:
        if self.min_instances > self.max_instances:
            raise ValueError(
                f"min_instances ({self.min_instances}) must not exceed "
                f"max_instances ({self.max_instances})"
            )
        if self.on_demand_base_capacity > self.max_instances:
            raise ValueError(
                f"on_demand_base_capacity ({self.on_demand_base_capacity}) must not exceed "
                f"max_instances ({self.max_instances})"
            )
        if self.spot and len(self.instance_types) < 2:
            raise ValueError("spot: give at least two instance_types so Spot can diversify")
        return self

    @model_validator(mode="after")
    def _deployments_fit(self) -> Ec2ClusterConfig:
        """A rolling deployment (maximum percent 200) runs up to twice each service's max_tasks;
        the Auto Scaling group at max_instances of its smallest instance type must hold them,
        or the new tasks stay in PROVISIONING and the deployment never finishes."""
        unknown = [t for t in self.instance_types if t not in INSTANCE_CAPACITY]
        if unknown:
            raise ValueError(
                f"instance_types: {', '.join(unknown)} not in the capacity table "
                "(platform_config/instance_capacity.py), so whether deployments fit cannot be "
                f"checked; known: {', '.join(sorted(INSTANCE_CAPACITY))}"
            )
        if not self.services:
            return self
        smallest_name, smallest = min(
            ((name, INSTANCE_CAPACITY[name]) for name in self.instance_types),
            key=lambda item: _task_slots(item[1], self.services),
        )
        for index, service in enumerate(self.services):
            if service.cpu > smallest.cpu_units or service.memory_mib > smallest.task_memory_mib:
                raise ValueError(
                    f"services[{index}] ({service.name}): a task of {service.cpu} CPU units and "
                    f"{service.memory_mib} MiB does not fit on {smallest_name} "
                    f"({smallest.cpu_units} units, about {smallest.task_memory_mib} MiB for "
                    "tasks); choose larger instance_types or a smaller task"
                )
        needed = sum(DEPLOYMENT_MAX_PERCENT * s.scaling.max_tasks // 100 for s in self.services)
        per_instance = _task_slots(smallest, self.services)
        have = self.max_instances * per_instance
        if have < needed:
            instances = -(-needed // per_instance) if per_instance else None
            advice = (
                f"set ecs.ec2.max_instances to at least {instances}"
                if instances
                else "choose larger ecs.ec2.instance_types"
            )
            raise ValueError(
                f"max_instances ({self.max_instances}) x {per_instance} task slots on "
                f"{smallest_name} (the smallest of instance_types; awsvpc: one ENI per task, "
                f"{smallest.max_enis} ENIs including the instance's own) = {have} slots, but "
                f"deployments need {needed} (2 x max_tasks of every service, maximum percent "
                f"{DEPLOYMENT_MAX_PERCENT}); {advice}, choose ecs.ec2.instance_types with "
                "more ENIs, or lower the services' scaling.max_tasks"
            )
        return self


# Services deploy with maximum percent 200 (container_constructs/web_service.py).
DEPLOYMENT_MAX_PERCENT = 200


def _task_slots(capacity: InstanceCapacity, services: Sequence[ServiceConfig]) -> int:
    """Tasks one instance holds: its ENIs, and its CPU and memory for the largest task."""
    cpu = max(service.cpu for service in services)
    memory = max(service.memory_mib for service in services)
    return min(
        capacity.task_enis,
        capacity.cpu_units // cpu,
        capacity.task_memory_mib // memory,
    )


class EcsConfig(Section):
    """The two ECS clusters of the platform."""

    ec2: Ec2ClusterConfig
    fargate: FargateClusterConfig
