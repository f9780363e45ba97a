"""The `ecs` section: an ECS cluster on EC2 and one on Fargate, each optional, with what both share
in platform_config/ecs_cluster.py (services by name, ALBs, placement) and the capacity
platform_config/ecs_capacity.py checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import (
    MACHINE_IMAGE_VERSION,
    MACHINE_IMAGE_VERSION_EXAMPLE,
    TARGET_CAPACITY_PERCENT_RANGE,
    exec_bind_mount_clashes,
)
from platform_config.base import (
    EC2_INSTANCE_TYPE,
    Section,
    cdk_can_read_architecture,
    is_graviton,
)
from platform_config.ecs_capacity import check_deployments_fit, check_fargate_sizes
from platform_config.ecs_cluster import ClusterConfig
from platform_config.ecs_managed_instances import ManagedInstancesClusterConfig
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
        check_fargate_sizes(list(self.services.values()))
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
        description=(
            "ECS-optimized Amazon Linux 2023 or Bottlerocket (whose ECS agent cannot mount the "
            "services' encrypted EFS volumes)."
        ),
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
        ge=TARGET_CAPACITY_PERCENT_RANGE[0],
        le=TARGET_CAPACITY_PERCENT_RANGE[1],
        description="Managed scaling target utilisation of the instances, percent.",
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

    def task_cpu_architecture(self, service: ServiceConfig) -> str:
        """The instances' architecture (`_instance_types` allows one per cluster)."""
        return "arm64" if is_graviton(self.instance_types[0]) else "x86_64"

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
        check_deployments_fit(self.instance_types, self.max_instances, list(self.services.values()))
        return self

    @model_validator(mode="after")
    def _no_ephemeral_storage(self) -> Ec2ClusterConfig:
        """Task ephemeral storage is a Fargate setting; on EC2 tasks use the instance's disk."""
        for service in self.services.values():
            if service.ephemeral_storage_gib is not None:
                raise ValueError(
                    f"services.{service.name}.ephemeral_storage_gib: a Fargate setting; EC2 tasks "
                    "use the instances' volume (ecs.ec2.root_volume_gib); allowed: unset"
                )
        return self

    @model_validator(mode="after")
    def _efs_on_its_machine_image(self) -> Ec2ClusterConfig:
        """A service's EFS volume is mounted with TLS and IAM authorization
        (container_constructs/efs_storage.py), which needs the container instance's
        `ecs.capability.efsAuth`. Bottlerocket's ECS agent is built without it (the patch
        packages/ecs-agent/0002-bottlerocket-remove-unsupported-capabilities.patch of
        bottlerocket-os/bottlerocket-core-kit comments out the EFS volume plugin capabilities,
        read at a10182f, 2024-10-24; the Amazon ECS Developer Guide's Bottlerocket page lists
        "Amazon EFS in encrypted mode" as unsupported): ECS places no such task on it ("missing an
        attribute required by your task"), and moving the cluster to Bottlerocket drains every
        instance the service runs on."""
        if self.machine_image != "bottlerocket":
            return self
        for service in self.services.values():
            if service.efs is not None:
                raise ValueError(
                    f"services.{service.name}.efs: Bottlerocket's ECS agent cannot mount an "
                    "encrypted, IAM-authorized EFS volume (no ecs.capability.efsAuth), so ECS "
                    "would place none of its tasks; allowed: machine_image al2023 for this "
                    "cluster, or the service on Fargate"
                )
        return self

    @model_validator(mode="after")
    def _exec_mounts_free(self) -> Ec2ClusterConfig:
        """ECS Exec on EC2: the ECS agent bind-mounts a directory itself where a scratch volume
        would clash with it."""
        for service in self.services.values():
            clash = exec_bind_mount_clashes(
                launch_type="ec2",
                writable_paths=service.writable_paths,
                enable_execute_command=service.enable_execute_command,
            )
            if clash:
                raise ValueError(
                    f"services.{service.name}.writable_paths: {', '.join(clash)} is where the ECS "
                    "agent mounts ECS Exec's log directory on EC2 (a second mount there fails "
                    "the task); allowed: other paths, or enable_execute_command false"
                )
        return self


class EcsConfig(Section):
    """The ECS clusters of the platform, each of which can be off (`enabled`)."""

    ec2: Ec2ClusterConfig
    fargate: FargateClusterConfig
    managed_instances: ManagedInstancesClusterConfig = Field(
        default_factory=ManagedInstancesClusterConfig,
        description="A cluster on ECS Managed Instances; off unless enabled.",
    )

    @property
    def clusters(self) -> dict[str, ClusterConfig]:
        """Every cluster by kind (its field name: ec2, fargate, managed_instances), on or off."""
        return {kind: getattr(self, kind) for kind in type(self).model_fields}

    @property
    def enabled_clusters(self) -> dict[str, ClusterConfig]:
        """The clusters that are on, by kind."""
        return {kind: cluster for kind, cluster in self.clusters.items() if cluster.enabled}


# The cluster kinds, as the config of record names its directories (config/services/<kind>/).
CLUSTER_KINDS = tuple(EcsConfig.model_fields)
