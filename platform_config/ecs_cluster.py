"""What both ECS cluster kinds share (`ecs.<kind>`): whether the cluster is on, its services by
name (platform_config/ecs_service.py), their load-balancer groups, and where each service goes:
its ALB and its service stack (platform_config/ecs_placement.py), with its routes checked per
listener as ELB checks them (platform_config/listener_rules.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from platform_config.alb_quotas import (
    RULES_PER_ALB,
    TARGET_GROUPS_PER_ALB,
    TARGET_GROUPS_PER_SERVICE,
    max_services_per_load_balancer,
)
from platform_config.base import RetentionDays, Section
from platform_config.ecs_kinds import build_order, check_send_to
from platform_config.ecs_placement import (
    DEFAULT_GROUP,
    AlbKey,
    AlbUsage,
    LoadBalancerConfig,
    Placement,
    alb_usage,
    check_alb_quotas,
    check_group_names,
    check_legacy_rules,
    check_stack_capacity,
    check_stack_pins,
    place,
)
from platform_config.ecs_service import ServiceConfig
from platform_config.listener_rules import reject_shadowed_routes

# What a list of services is refused with, anywhere (model, environment layer, overrides).
SERVICES_ARE_A_MAP = (
    "services are a map by name, not a list: "
    '{"web": {"image": {...}, "route": {...}}, "api": {...}} (the key is the service\'s name; '
    "a config of record keeps one file per service, config/services/<cluster>/<name>.json)"
)
# What stacks/names.py appends to a service's construct id for the ids it adds beside it in its
# stack (service_url_output), lower-cased; tests/test_names.py checks they agree.
SERVICE_ID_SUFFIXES = ("url",)


class ClusterConfig(Section):
    """What both cluster kinds share: the ALB, the services and how they spread over stacks."""

    enabled: bool = Field(
        default=True,
        description=(
            "Build this cluster: its stacks, ALBs and outputs. False builds none of them; the "
            "cluster must then run no service in this environment."
        ),
    )
    container_insights: Literal["enabled", "enhanced"] = Field(default=defaults.CONTAINER_INSIGHTS)
    exec_log_retention_days: RetentionDays = Field(
        default=defaults.LOG_RETENTION_DAYS, description="ECS Exec session log retention."
    )
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
        description=(
            "Web services per service stack at most (~25 resources per service; 500 max); each "
            "names its stack with stack (default 1). Other kinds have a stack each."
        ),
    )
    services: dict[str, ServiceConfig] = Field(
        default_factory=dict,
        description=(
            "The cluster's services by name (2-32 lowercase letters, digits and '-'); in the "
            "config of record one file each, config/services/<cluster>/<name>.json."
        ),
    )

    legacy_listener_rules: dict[int, str] = Field(
        default_factory=dict,
        description=(
            "For an environment deployed before listener rules were keyed by priority: route "
            'priority -> the name of the service whose rule was at that priority then, e.g. {"1": '
            '"sample"}. The rule at that priority keeps that rule\'s logical id, so the upgrade '
            "updates it in place (without, it is replaced at the same priority: PriorityInUse), "
            "whichever service is at that priority. Unused for a priority no service has. "
            "Default: every rule keyed by its priority."
        ),
    )

    @field_validator("legacy_listener_rules", mode="before")
    @classmethod
    def _priority_keys(cls, value: object) -> object:
        """JSON keys are strings: "1" is priority 1 (other keys fail as not integers)."""
        if isinstance(value, dict):
            return {
                int(key) if isinstance(key, str) and key.isdecimal() else key: name
                for key, name in value.items()
            }
        return value

    @field_validator("services", mode="before")
    @classmethod
    def _named_by_key(cls, value: object) -> object:
        """A service's name is its key (ServiceConfig.name is set from it)."""
        if isinstance(value, list):
            raise ValueError(SERVICES_ARE_A_MAP)
        if not isinstance(value, dict):
            return value
        named: dict[str, object] = {}
        for name, service in value.items():
            if isinstance(service, dict):
                if "name" in service:
                    raise ValueError(
                        f"{name}.name: a service's name is its key ('{name}'; in the config of "
                        "record its file's name); allowed: leave 'name' out"
                    )
                service = {**service, "name": name}
            named[name] = service
        return named

    @field_validator("services")
    @classmethod
    def _in_name_order(cls, value: dict[str, ServiceConfig]) -> dict[str, ServiceConfig]:
        check_construct_ids(list(value))
        return dict(sorted(value.items()))

    @field_validator("load_balancers")
    @classmethod
    def _group_names(cls, value: dict[str, LoadBalancerConfig]) -> dict[str, LoadBalancerConfig]:
        check_group_names(list(value))
        return value

    @property
    def web_services(self) -> list[ServiceConfig]:
        """The services an ALB listener rule of this cluster routes to, by name."""
        return [service for service in self.services.values() if service.needs_load_balancer]

    def workload_stacks(self) -> list[ServiceConfig]:
        """The services with a stack of their own (every kind but web), in the order their
        stacks are built: each worker before the services that send to its queue."""
        return build_order(list(self.services.values()))

    def task_cpu_architecture(self, service: ServiceConfig) -> str:
        """The CPU architecture (x86_64 or arm64) `service`'s tasks run on, which its images
        must be built for: on Fargate the service's own `cpu_architecture`; the EC2 and Managed
        Instances clusters override it with their instances' one."""
        return service.cpu_architecture

    @property
    def service_connect(self) -> bool:
        """Whether the cluster needs a Service Connect namespace: some service is a backend."""
        return any(service.kind == "backend" for service in self.services.values())

    @property
    def load_balancer_groups(self) -> dict[str, LoadBalancerConfig]:
        """Every group by name: the default one first, then the named ones by name."""
        return {DEFAULT_GROUP: self.load_balancer, **dict(sorted(self.load_balancers.items()))}

    def certificates(self) -> list[tuple[str, str]]:
        """(field path under the cluster, ARN) of every ACM certificate its ALBs' HTTPS
        listeners take, group by group."""
        found = []
        for name, group in self.load_balancer_groups.items():
            field = "load_balancer" if name == DEFAULT_GROUP else f"load_balancers.{name}"
            if group.certificate_arn is not None:
                found.append((f"{field}.certificate_arn", group.certificate_arn))
            found.extend(
                (f"{field}.additional_certificate_arns[{index}]", arn)
                for index, arn in enumerate(group.additional_certificate_arns)
            )
        return found

    def group_of(self, service: ServiceConfig) -> str:
        """The name of the load-balancer group of `service`."""
        return self.placement(service).alb.group

    def placement(self, service: ServiceConfig) -> Placement:
        """Where `service` goes (`ecs_placement.place`, the one placement function)."""
        return place(service, self.services_per_load_balancer)

    def alb_of(self, service: ServiceConfig) -> AlbKey:
        """The ALB that holds `service`: its group, and the block of its route priority."""
        return self.placement(service).alb

    def stack_of(self, service: ServiceConfig) -> int:
        """The number N of the service stack (`services-N`) that holds web service `service`:
        its `stack` (default 1), whatever its priority, its name or the other services."""
        return self.placement(service).stack

    def assign_service_stacks(self) -> dict[int, list[ServiceConfig]]:
        """Web services by the number of the stack that holds them, in stack order (the other
        kinds have a stack each: workload_stacks). Stable: a service's stack depends only on its
        own `stack`, never on the other services."""
        stacks: dict[int, list[ServiceConfig]] = {}
        for service in self.web_services:
            stacks.setdefault(self.stack_of(service), []).append(service)
        return dict(sorted(stacks.items()))

    def assign_load_balancers(self) -> dict[AlbKey, list[ServiceConfig]]:
        """Web services by ALB; with at least one web service, every group's first ALB is listed
        even without services; none for a cluster that is off or has no web service. Stable: a
        service's ALB depends only on its own group and priority, never on the other services."""
        web = self.web_services
        if not self.enabled or not web:
            return {}
        albs: dict[AlbKey, list[ServiceConfig]] = {
            AlbKey(g, 1): [] for g in self.load_balancer_groups
        }
        for service in web:
            albs.setdefault(self.alb_of(service), []).append(service)
        order = list(self.load_balancer_groups)
        return dict(
            sorted(albs.items(), key=lambda item: (order.index(item[0].group), item[0].number))
        )

    def alb_usage(self, key: AlbKey, services: Sequence[ServiceConfig]) -> AlbUsage:
        """What `services` add to ALB `key` (see `ecs_placement.alb_usage`)."""
        return alb_usage(self.load_balancer_groups[key.group], services)

    @model_validator(mode="after")
    def _services_need_the_cluster(self) -> ClusterConfig:
        if not self.enabled and self.services:
            raise ValueError(
                f"enabled: false, but services {', '.join(self.services)} run on this cluster "
                "in this environment; allowed: take them out of the environment (the "
                "environment's key in each service file) or turn the cluster on"
            )
        return self

    @model_validator(mode="after")
    def _routes_as_elb_checks_them(self) -> ClusterConfig:
        """Each web service's group exists; priorities are unique in the cluster (ELB needs them
        unique per listener; a rule is keyed by its priority, and legacy_listener_rules names
        rules by priority for the whole cluster, so a service keeps its rule whichever ALB or
        stack it is on); routes are unique and reachable per listener (each service's one rule
        is on its ALB's HTTPS listener, or HTTP without a certificate), so a public and an
        internal ALB may both serve /*."""
        groups = self.load_balancer_groups
        for service in self.web_services:
            name = service.load_balancer
            if name is not None and name not in groups:
                raise ValueError(
                    f"services.{service.name}.load_balancer: '{name}' is not a load-balancer "
                    f"group of this cluster; allowed: {', '.join(groups)} (declare more in "
                    "load_balancers)"
                )
        priorities: dict[int, str] = {}
        for service in self.web_services:
            priority = service.web_route.priority
            if priority in priorities:
                raise ValueError(
                    f"services.{service.name}.route.priority: {priority} is already used by "
                    f"service '{priorities[priority]}'; each must be unique in the cluster (a "
                    "listener rule is keyed by its priority in its stack)"
                )
            priorities[priority] = service.name
        for key, services in self.assign_load_balancers().items():
            reject_shadowed_routes(f"ALB {key.name}", services)
        return self

    @model_validator(mode="after")
    def _stacks_within_capacity(self) -> ClusterConfig:
        """Every web service in a stack it names (or may default to), no stack over capacity,
        and each listener rule kept from before rules were keyed by priority kept once."""
        check_stack_pins(list(self.services.values()), self.services_per_stack)
        check_stack_capacity(self.assign_service_stacks(), self.services_per_stack)
        check_legacy_rules(self.legacy_listener_rules)
        return self

    @model_validator(mode="after")
    def _queues_of_workers(self) -> ClusterConfig:
        check_send_to(list(self.services.values()))
        return self

    @model_validator(mode="after")
    def _albs_within_quotas(self) -> ClusterConfig:
        """Every ALB within its quotas, counting what each of its services adds."""
        per = self.services_per_load_balancer
        for key, services in self.assign_load_balancers().items():
            check_alb_quotas(key, services, self.alb_usage(key, services), per)
        most = max_services_per_load_balancer()
        if per > most:
            raise ValueError(
                f"services_per_load_balancer: {per} services could exceed an ALB's quotas "
                f"({TARGET_GROUPS_PER_SERVICE} target group(s) and up to 1 listener rule per "
                f"service; {TARGET_GROUPS_PER_ALB.limit} target groups, "
                f"{RULES_PER_ALB.limit} rules per ALB); allowed: 1-{most}"
            )
        return self


def check_construct_ids(names: Sequence[str]) -> None:
    """Refuse service names of one cluster whose construct ids would clash in a services stack.
    stacks/names.py makes a service's construct id from its name without hyphens (web-app:
    ServiceWebApp) and its URL output's by adding a suffix (ServiceWebAppUrl): names equal once
    hyphens are removed (ab-1c, ab1c) share every id, and a name equal to another's plus a suffix
    (web-url, web) shares its id with the other's output. Checked per cluster, not per stack, so
    that moving a service to another stack never makes a clash."""
    keys = {name: name.replace("-", "") for name in sorted(names)}
    owners: dict[str, str] = {}
    for name, key in keys.items():
        if key in owners:
            raise ValueError(
                f"{name}: '{name}' and '{owners[key]}' differ only in hyphens, and a service's "
                "construct ids are made from its name without them; allowed: names that differ "
                "in more than hyphens"
            )
        owners[key] = name
    for name, key in keys.items():
        for suffix in SERVICE_ID_SUFFIXES:
            other = owners.get(key.removesuffix(suffix)) if key.endswith(suffix) else None
            if other is not None:
                raise ValueError(
                    f"{name}: the construct id of '{name}' would be the id of the '{suffix}' "
                    f"output of service '{other}' (names without hyphens: '{key}' is "
                    f"'{other.replace('-', '')}' + '{suffix}'); allowed: another name"
                )
