"""The `ecs` section: an ECS cluster on EC2 and one on Fargate, each with its web services
(platform_config/ecs_service.py), placed on ALBs and service stacks by
platform_config/ecs_placement.py, within the capacity platform_config/ecs_capacity.py checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import (
    MACHINE_IMAGE_VERSION,
    MACHINE_IMAGE_VERSION_EXAMPLE,
    check_retention_days,
    exec_bind_mount_clashes,
)
from platform_config.alb_quotas import (
    RULES_PER_ALB,
    TARGET_GROUPS_PER_ALB,
    TARGET_GROUPS_PER_SERVICE,
    max_services_per_load_balancer,
)
from platform_config.base import (
    EC2_INSTANCE_TYPE,
    Section,
    cdk_can_read_architecture,
    is_graviton,
)
from platform_config.ecs_capacity import check_deployments_fit, check_fargate_sizes
from platform_config.ecs_placement import (
    DEFAULT_GROUP,
    AlbKey,
    AlbUsage,
    LoadBalancerConfig,
    alb_usage,
    check_alb_quotas,
    check_group_names,
    priority_block,
    reject_shadowed_routes,
)
from platform_config.ecs_service import ServiceConfig

# ServiceConfig is re-exported for tools/images/, which imports it from here.
__all__ = [
    "CapacityProviderShare",
    "ClusterConfig",
    "Ec2ClusterConfig",
    "EcsConfig",
    "FargateClusterConfig",
    "ServiceConfig",
]


class ClusterConfig(Section):
    """What both cluster kinds share: the ALB, the services and how they spread over stacks."""

    container_insights: Literal["enabled", "enhanced"] = Field(default=defaults.CONTAINER_INSIGHTS)
    exec_log_retention_days: int = Field(
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
        description="Route priorities per service stack (~25 resources per service; 500 max).",
    )
    services: list[ServiceConfig] = Field(default_factory=list)

    @field_validator("exec_log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention_days(value)

    @model_validator(mode="after")
    def _unique_services(self) -> ClusterConfig:
        _reject_duplicates("name", [service.name for service in self.services])
        _reject_duplicates("route.priority", [s.route.priority for s in self.services])
        routes = [
            (tuple(sorted(s.route.paths)), tuple(sorted(s.route.hosts))) for s in self.services
        ]
        _reject_duplicates("route", routes)
        reject_shadowed_routes(self.services)
        return self

    @field_validator("load_balancers")
    @classmethod
    def _group_names(cls, value: dict[str, LoadBalancerConfig]) -> dict[str, LoadBalancerConfig]:
        check_group_names(list(value))
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
        number = priority_block(service.route.priority, self.services_per_load_balancer)
        return AlbKey(self.group_of(service), number)

    def stack_of(self, service: ServiceConfig) -> int:
        """The number N of the service stack (`services-N`) that holds `service`: the block of
        its route priority. Priorities are unique in the cluster, so no stack holds more than
        services_per_stack services."""
        return priority_block(service.route.priority, self.services_per_stack)

    def assign_service_stacks(self) -> dict[int, list[ServiceConfig]]:
        """Services by the number of the stack that holds them, in stack order. Stable: a
        service's stack depends only on its own priority, never on the list."""
        stacks: dict[int, list[ServiceConfig]] = {}
        for service in self.services:
            stacks.setdefault(self.stack_of(service), []).append(service)
        return dict(sorted(stacks.items()))

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
        """What `services` add to ALB `key` (see `ecs_placement.alb_usage`)."""
        return alb_usage(self.load_balancer_groups[key.group], services)

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
        check_fargate_sizes(self.services)
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


_RELEASE_KINDS = {
    "al2023": "an ECS-optimized AL2023 release",
    "bottlerocket": "a Bottlerocket version",
}


class Ec2ClusterConfig(ClusterConfig):
    """An ECS cluster whose capacity is an Auto Scaling group capacity provider."""

    machine_image: Literal["al2023", "bottlerocket"] = Field(
        default=defaults.MACHINE_IMAGE,
        description="ECS-optimized Amazon Linux 2023 or Bottlerocket.",
    )
    machine_image_version: str | None = Field(
        default=None,
        description=(
            "The release the AMI is pinned to: an ECS-optimized AL2023 release such as "
            f"{MACHINE_IMAGE_VERSION_EXAMPLE['al2023']} (aws/amazon-ecs-ami releases) or a "
            f"Bottlerocket version such as {MACHINE_IMAGE_VERSION_EXAMPLE['bottlerocket']}. A "
            "change rolls the instances on the next deploy (instance refresh, tasks drained). "
            "Default: the release this platform version pins for `machine_image` "
            f"({defaults.MACHINE_IMAGE_VERSIONS['al2023']} / "
            f"{defaults.MACHINE_IMAGE_VERSIONS['bottlerocket']})."
        ),
    )
    instance_types: list[str] = Field(
        min_length=1, description="Instance types; several let Spot diversify (first = primary)."
    )
    min_instances: int = Field(default=defaults.MIN_INSTANCES, ge=0)
    max_instances: int = Field(default=defaults.MAX_INSTANCES, ge=1)
    target_capacity_percent: int = Field(
        default=defaults.TARGET_CAPACITY_PERCENT,
        description="Managed scaling target utilisation of the instances (1-100).",
    )
    spot: bool = Field(default=defaults.SPOT, description="Spot through a mixed-instances policy.")
    on_demand_base_capacity: int = Field(
        default=defaults.ON_DEMAND_BASE_CAPACITY,
        ge=0,
        description="With spot: instances always on demand.",
    )
    managed_termination_protection: bool = Field(
        default=defaults.MANAGED_TERMINATION_PROTECTION,
        description=(
            "Protect instances running tasks from scale-in. Blocks `cdk destroy` "
            "(aws/aws-cdk#18179): the sandbox turns it off."
        ),
    )
    root_volume_gib: int = Field(default=defaults.ROOT_VOLUME_GIB, ge=30, le=16384)

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
    def _machine_image_version(self) -> Ec2ClusterConfig:
        version = self.machine_image_version
        if version is not None and not MACHINE_IMAGE_VERSION[self.machine_image].match(version):
            raise ValueError(
                f"machine_image_version: '{version}' is not "
                f"{_RELEASE_KINDS[self.machine_image]}; "
                f"allowed: e.g. {MACHINE_IMAGE_VERSION_EXAMPLE[self.machine_image]}, or unset "
                f"for the pinned default {defaults.MACHINE_IMAGE_VERSIONS[self.machine_image]}"
            )
        return self

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
        check_deployments_fit(self.instance_types, self.max_instances, self.services)
        return self

    @model_validator(mode="after")
    def _exec_mounts_free(self) -> Ec2ClusterConfig:
        """ECS Exec on EC2: the ECS agent bind-mounts a directory itself where a scratch volume
        would clash with it."""
        for index, service in enumerate(self.services):
            clash = exec_bind_mount_clashes(
                launch_type="ec2",
                writable_paths=service.writable_paths,
                enable_execute_command=service.enable_execute_command,
            )
            if clash:
                raise ValueError(
                    f"services[{index}].writable_paths: {', '.join(clash)} is where the ECS "
                    "agent mounts ECS Exec's log directory on EC2 (a second mount there fails "
                    "the task); allowed: other paths, or enable_execute_command false"
                )
        return self


class EcsConfig(Section):
    """The two ECS clusters of the platform."""

    ec2: Ec2ClusterConfig
    fargate: FargateClusterConfig
