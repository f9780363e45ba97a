"""Where a service goes and how its ALB routes to it: routes (their values checked as ELB checks
them in platform_config/listener_rules.py), the load-balancer groups, which ALB and which service
stack hold a service (`place`, the one placement function), and what the services of one ALB add
to it against its quotas (platform_config/alb_quotas.py).

Placement (of web services: the other kinds have a stack each) depends only on the service
itself, never on its position in the list or on the other services: service stack N is the
service's `stack` (default 1), so neither its route priority nor its name moves it to another
stack; ALB k of its group holds the priorities of block k (`services_per_load_balancer` each,
`priority_block`). Its listener rule is keyed by priority in its stack
(container_constructs/listener_routes.py), so a rename keeps the rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from pydantic import Field, ValidationInfo, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import SERVICE_NAME
from container_constructs.value_formats import ACM_CERTIFICATE_ARN_FORMAT
from platform_config.alb_quotas import (
    CERTIFICATES_PER_ALB,
    RULES_PER_ALB,
    TARGET_GROUPS_PER_ALB,
    TARGET_GROUPS_PER_SERVICE,
    TARGETS_PER_ALB,
    listener_rules_per_service,
)
from platform_config.base import Section
from platform_config.ecs_release import test_listener_port
from platform_config.listener_rules import condition_problem, rule_problem

if TYPE_CHECKING:
    from platform_config.ecs_service import ServiceConfig

DEFAULT_GROUP = "default"
DEFAULT_STACK = 1  # a service without `stack` is in services-1
MAX_PRIORITY = 50000  # ELB's highest listener rule priority
_GROUP_NAME = re.compile(r"^[a-z][a-z0-9]{0,19}$")


def priority_block(priority: int, block_size: int) -> int:
    """The number (from 1) of the block of `block_size` consecutive route priorities that holds
    `priority`: the ALB of a group, with `services_per_load_balancer`, or the service stack, with
    `services_per_stack`, that holds a service."""
    return (priority - 1) // block_size + 1


class RouteConfig(Section):
    """Which requests the service's ALB forwards to it: path patterns and/or host headers."""

    priority: int = Field(
        ge=1,
        le=MAX_PRIORITY,
        description=(
            "Listener rule priority, unique in the cluster. The ALB evaluates a listener's rules "
            "from the lowest number: a route whose paths and hosts cover a later route's on the "
            "same ALB (/* before /api/*, *.example.com before api.example.com) is refused, give "
            "the narrower one the lower number. Also picks the service's ALB within its "
            "load-balancer group (ALB k holds priorities (k-1)*services_per_load_balancer+1 .. "
            "k*services_per_load_balancer); not its stack (see stack)."
        ),
    )
    paths: list[str] = Field(
        default_factory=list,
        description=(
            "Path patterns, e.g. /api/* (case-sensitive; at most 3, each 1-128 characters: "
            "letters, digits, _ - . $ / ~ \" ' @ : + and the wildcards * ?)."
        ),
    )
    hosts: list[str] = Field(
        default_factory=list,
        description=(
            "Host headers, e.g. api.example.com or *.example.com (case-insensitive; at most 3, "
            "each 1-128 characters: letters, digits, - . * ?, a '.' with letters after the last)."
        ),
    )

    @field_validator("paths", "hosts")
    @classmethod
    def _condition(cls, value: list[str], info: ValidationInfo) -> list[str]:
        problem = condition_problem(str(info.field_name), value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _rule(self) -> RouteConfig:
        """The whole rule within ELB's limits (see platform_config/listener_rules.py)."""
        problem = rule_problem(self.paths, self.hosts)
        if problem:
            raise ValueError(problem)
        return self


class LoadBalancerConfig(Section):
    """One load-balancer group of a cluster: the settings of its ALBs (one per block of
    `services_per_load_balancer` route priorities that holds services; the group's first ALB
    always exists)."""

    internal: bool = Field(
        default=defaults.INTERNAL_LOAD_BALANCER,
        description=(
            "Internal ALB: private subnets, scheme internal, listener ports open to the VPC CIDR "
            "only (for services other workloads call). Default: internet-facing."
        ),
    )
    certificate_arn: str | None = Field(
        default=None,
        description=(
            "ACM certificate ARN, in the environment's region (make deploy checks it is "
            "issued). Set: the services' listener is HTTPS on 443 (the same listener "
            "as without it, moved: on/off updates it in place), and port 80 redirects to it "
            "(http_redirect). Unset: plain HTTP on 80 only (sandbox without a domain)."
        ),
    )
    additional_certificate_arns: list[str] = Field(
        default_factory=list,
        description=(
            "More ACM certificates on the HTTPS listener (SNI), e.g. for other host names; "
            "needs certificate_arn. At most 25 per ALB (quota, excluding the default one)."
        ),
    )
    http_redirect: bool = Field(
        default=defaults.HTTP_REDIRECT,
        description=(
            "With certificate_arn: a listener on port 80 redirecting to HTTPS. Turning HTTPS off "
            "with it deploys in two stages, which `make deploy` runs (the HTTPS listener moves "
            "back to port 80 only once the redirect listener is gone)."
        ),
    )
    https_first_listener_ids: bool = Field(
        default=False,
        description=(
            "For ALBs of this group deployed with certificate_arn before the services' listener "
            "kept one id across HTTPS on/off: keep their listener ids (services on `Https`, the "
            "redirect `Http`) so that they update in place. Leave false otherwise."
        ),
    )
    idle_timeout_seconds: int = Field(default=defaults.IDLE_TIMEOUT_SECONDS, ge=1, le=4000)
    access_log_retention_days: int = Field(
        default=defaults.ACCESS_LOG_RETENTION_DAYS,
        ge=1,
        description="Days before ALB access log objects expire.",
    )

    @field_validator("certificate_arn")
    @classmethod
    def _acm_arn(cls, value: str | None) -> str | None:
        return ACM_CERTIFICATE_ARN_FORMAT.check(value)

    @field_validator("additional_certificate_arns")
    @classmethod
    def _acm_arns(cls, value: list[str]) -> list[str]:
        ACM_CERTIFICATE_ARN_FORMAT.check_each(value)
        twice = sorted({arn for arn in value if value.count(arn) > 1})
        if twice:
            raise ValueError(
                f"{', '.join(repr(arn) for arn in twice)} listed more than once; allowed: each "
                "certificate once (each is attached by a resource named after it)"
            )
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
        if not self.http_redirect and self.certificate_arn is None:
            raise ValueError(
                "http_redirect: false redirects nothing without certificate_arn (plain HTTP is "
                "served on port 80); allowed: set certificate_arn or remove http_redirect"
            )
        return self

    @property
    def https(self) -> bool:
        """Whether the ALBs of this group have an HTTPS listener."""
        return self.certificate_arn is not None


def check_group_names(names: Sequence[str]) -> None:
    """Reject a load-balancer group name other than 1-20 lowercase letters and digits, and the
    default group's own name."""
    for name in names:
        if name == DEFAULT_GROUP or not _GROUP_NAME.match(name):
            raise ValueError(
                f"'{name}' is not a load-balancer group name; allowed: 1-20 lowercase "
                f"letters and digits, starting with a letter, other than '{DEFAULT_GROUP}' "
                "(that is load_balancer)"
            )


class AlbKey(NamedTuple):
    """One ALB of a cluster: its group and its number in the group (1 = the group's first)."""

    group: str
    number: int

    @property
    def name(self) -> str:
        """e.g. default-1, internal-2."""
        return f"{self.group}-{self.number}"


class Placement(NamedTuple):
    """Where a service goes: its service stack (services-N) and its ALB."""

    stack: int
    alb: AlbKey


def place(service: ServiceConfig, services_per_load_balancer: int) -> Placement:
    """The one placement function, of a web service (the other kinds have no route and a stack
    of their own, `ClusterConfig.workload_stacks`): the stack is the service's `stack` (default
    1); the ALB is its group's ALB of the block of its route priority. Nothing else of the
    service, and nothing of the other services, counts."""
    group = service.load_balancer or DEFAULT_GROUP
    number = priority_block(service.web_route.priority, services_per_load_balancer)
    return Placement(service.stack or DEFAULT_STACK, AlbKey(group, number))


def check_stack_pins(services: Sequence[ServiceConfig], services_per_stack: int) -> None:
    """A service without `stack` whose route priority is beyond the first `services_per_stack`
    must name its stack: until placement stopped following priorities, such a service was in
    services-N, N the block of its priority, and the default (services-1) would move it there
    from an environment deployed then (a new service at the same priority in another stack
    while the old copy still holds it: PriorityInUse; in production its log group orphaned).
    Services without a route (kinds other than web) have a stack of their own and are skipped."""
    for service in services:
        if service.route is None:
            continue
        block = priority_block(service.route.priority, services_per_stack)
        if service.stack is None and block != DEFAULT_STACK:
            raise ValueError(
                f"services.{service.name}.stack: service '{service.name}' has route priority "
                f"{service.route.priority}, beyond the first services_per_stack "
                f"({services_per_stack}), and no stack; give it one. The stack no longer "
                f"follows the priority: an environment deployed before has this service in "
                f"services-{block} (stack: {block}); a new service may take any stack with room "
                f"(stack: {DEFAULT_STACK} is the default)"
            )


def check_stack_capacity(stacks: dict[int, list[ServiceConfig]], services_per_stack: int) -> None:
    """No service stack holds more than `services_per_stack` services."""
    for number, services in stacks.items():
        if len(services) > services_per_stack:
            listed = ", ".join(f"'{service.name}'" for service in services)
            raise ValueError(
                f"services-{number} would hold {len(services)} services ({listed}); "
                f"services_per_stack is {services_per_stack} (at most 20: CloudFormation's 500 "
                "resources per stack); allowed: give some of them another stack (stack: N, a "
                "stack with room or a new one) or raise services_per_stack"
            )


def check_legacy_rules(kept: dict[int, str]) -> None:
    """The rules kept from before rules were keyed by priority (`legacy_listener_rules`, route
    priority -> the service whose rule it was): each a service name at a route priority, each
    name once (one logical id per rule). Names compare as their construct ids do: `a--b` is `a-b`
    (stacks.names.service_construct_id)."""
    seen: dict[str, int] = {}
    for priority, name in sorted(kept.items()):
        where = f"legacy_listener_rules.{priority}"
        if not 1 <= priority <= MAX_PRIORITY:
            raise ValueError(f"{where}: not a route priority; allowed: 1-{MAX_PRIORITY}")
        if not SERVICE_NAME.match(name):
            raise ValueError(
                f"{where}: '{name}' is not a service name: 2-32 lowercase letters, digits and "
                "'-', starting with a letter"
            )
        same_id = "-".join(part for part in name.split("-") if part)
        if same_id in seen:
            raise ValueError(
                f"{where}: '{name}' is already kept at priority {seen[same_id]}; each rule "
                "can be kept once"
            )
        seen[same_id] = priority


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


def alb_usage(group: LoadBalancerConfig, services: Sequence[ServiceConfig]) -> AlbUsage:
    """What `services` add to an ALB of `group` (see `listener_rules_per_service`); during a
    deployment both task sets are targets (`ScalingConfig.deployment_tasks`)."""
    per_service = listener_rules_per_service(group.https)
    # A traffic-shifting release adds an alternate target group and a rule on the test listener.
    shifting = sum(1 for service in services if service.release.shifts_traffic)
    rules = {listener: count * len(services) for listener, count in per_service.items()}
    if shifting:
        rules[f"test:{test_listener_port(group.https)}"] = shifting
    return AlbUsage(
        target_groups=TARGET_GROUPS_PER_SERVICE * len(services) + shifting,
        rules=rules,
        certificates=len(group.additional_certificate_arns),
        targets=sum(service.scaling.deployment_tasks for service in services),
    )


def check_alb_quotas(
    key: AlbKey, services: Sequence[ServiceConfig], usage: AlbUsage, block_size: int
) -> None:
    """Reject ALB `key` (holding the priorities of block `key.number`, `block_size` each) if
    what its `services` add to it (`usage`) exceeds one of its quotas."""
    first = (key.number - 1) * block_size + 1
    where = f"ALB {key.name} (priorities {first}-{key.number * block_size})"
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
            f"{defaults.DEPLOYMENT_MAXIMUM_PERCENT}% of each service's scaling.max_tasks",
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
