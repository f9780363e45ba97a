"""The `ecs.managed_instances` cluster: capacity from ECS Managed Instances (AWS launches, patches
and replaces the EC2 instances from the attributes given here). Off unless `enabled`; the
construct is container_constructs/ecs_managed_instances.py."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from container_constructs import defaults
from container_constructs.checks import exec_bind_mount_clashes
from platform_config.ecs_cluster import ClusterConfig
from platform_config.ecs_service import ServiceConfig


class ManagedInstancesClusterConfig(ClusterConfig):
    """An ECS cluster whose one capacity provider is ECS Managed Instances."""

    enabled: bool = Field(
        default=False,
        description=(
            "Build this cluster (off by default: the shipped environments run none; not measured "
            "to be a cheaper sandbox than Fargate Spot)."
        ),
    )
    min_vcpus: int = Field(
        default=defaults.MANAGED_INSTANCES_MIN_VCPUS, ge=1, le=192, description="Fewest vCPUs."
    )
    max_vcpus: int = Field(
        default=defaults.MANAGED_INSTANCES_MAX_VCPUS, ge=1, le=192, description="Most vCPUs."
    )
    min_memory_gib: int = Field(
        default=defaults.MANAGED_INSTANCES_MIN_MEMORY_GIB,
        ge=1,
        le=1024,
        description="Least memory of an instance, GiB.",
    )
    cpu_architecture: Literal["x86_64", "arm64"] = Field(
        default=defaults.CPU_ARCHITECTURE, description="Intel/AMD (x86_64) or Graviton (arm64)."
    )
    spot: bool = Field(
        default=defaults.SPOT, description="Spot instances (a change replaces the capacity)."
    )

    def task_cpu_architecture(self, service: ServiceConfig) -> str:
        """The instances' architecture, this cluster's `cpu_architecture`."""
        return self.cpu_architecture

    @model_validator(mode="after")
    def _instances_fit(self) -> ManagedInstancesClusterConfig:
        if self.min_vcpus > self.max_vcpus:
            raise ValueError(
                f"min_vcpus ({self.min_vcpus}) must not exceed max_vcpus ({self.max_vcpus}); "
                f"allowed: min_vcpus up to {self.max_vcpus}, or a larger max_vcpus"
            )
        for service in self.services.values():
            if service.cpu > self.max_vcpus * 1024:
                raise ValueError(
                    f"services.{service.name}.cpu: {service.cpu} units do not fit an instance of "
                    f"at most {self.max_vcpus} vCPUs; allowed: up to {self.max_vcpus * 1024}"
                )
            if service.memory_mib > self.min_memory_gib * 1024 - 512:
                raise ValueError(
                    f"services.{service.name}.memory_mib: {service.memory_mib} MiB may not fit "
                    f"an instance of {self.min_memory_gib} GiB (less what the instance keeps); "
                    f"allowed: up to {self.min_memory_gib * 1024 - 512}, or raise min_memory_gib"
                )
            clash = exec_bind_mount_clashes(
                launch_type="managed_instances",
                writable_paths=service.writable_paths,
                enable_execute_command=service.enable_execute_command,
            )
            if clash:
                raise ValueError(
                    f"services.{service.name}.writable_paths: {', '.join(clash)} is where the "
                    "ECS agent mounts ECS Exec's log directory (a second mount there fails the "
                    "task); allowed: other paths, or enable_execute_command false"
                )
        return self
