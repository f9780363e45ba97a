"""The `eks.compute` sub-section: where pods run (managed node groups, Fargate profiles, or
EKS Auto Mode)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.eks_versions import AMI_RELEASE_VERSION_PATTERN
from platform_config.base import EC2_INSTANCE_TYPE, Section, is_graviton
from platform_config.eks_addons import K8S_NAME

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$")
_K8S_NAME = K8S_NAME


class NodeGroupConfig(Section):
    """One EKS managed node group (AL2023 AMI, in the private subnets of every AZ)."""

    name: str = Field(description="Node group id, unique in the cluster (letters, digits, - _).")
    instance_types: list[str] = Field(
        min_length=1,
        description="EC2 instance types, all of one architecture (several diversify Spot).",
    )
    graviton: bool = Field(
        default=defaults.NODE_GRAVITON,
        description="arm64 (Graviton) instance types and AL2023 ARM AMI.",
    )
    capacity_type: Literal["on_demand", "spot"] = Field(default=defaults.NODE_CAPACITY_TYPE)
    min_size: int = Field(default=defaults.NODE_MIN_SIZE, ge=0, description="Minimum nodes.")
    max_size: int = Field(default=defaults.NODE_MAX_SIZE, ge=1, description="Maximum nodes.")
    desired_size: int = Field(
        default=defaults.NODE_DESIRED_SIZE, ge=0, description="Initial nodes, min to max."
    )
    disk_size_gib: int = Field(
        default=defaults.NODE_DISK_SIZE_GIB,
        ge=20,
        le=16384,
        description="Encrypted gp3 root volume.",
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Kubernetes node labels.")
    release_version: str | None = Field(
        default=None,
        description="AMI release of the cluster's version, e.g. 1.36.4-20260923 (change it with "
        "kubernetes_version: EKS refuses another version's); default: EKS's latest when the "
        "group is created or upgraded. The group's Kubernetes version is always the cluster's.",
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"'{value}' is not a node group name (letters, digits, - and _)")
        return value

    @field_validator("release_version")
    @classmethod
    def _valid_release(cls, value: str | None) -> str | None:
        if value is not None and not AMI_RELEASE_VERSION_PATTERN.match(value):
            raise ValueError(f"'{value}' is not an EKS AMI release version such as 1.36.4-20260923")
        return value

    @field_validator("instance_types")
    @classmethod
    def _valid_instance_types(cls, value: list[str]) -> list[str]:
        bad = [item for item in value if not EC2_INSTANCE_TYPE.match(item)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not an EC2 instance type such as m7i.large")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> NodeGroupConfig:
        if self.min_size > self.max_size:
            raise ValueError(
                f"min_size ({self.min_size}) must not exceed max_size ({self.max_size})"
            )
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"desired_size ({self.desired_size}) must be between min_size ({self.min_size}) "
                f"and max_size ({self.max_size})"
            )
        wrong = [t for t in self.instance_types if is_graviton(t) != self.graviton]
        if wrong:
            expected = "Graviton (arm64)" if self.graviton else "x86_64"
            raise ValueError(
                f"instance_types {', '.join(wrong)} are not {expected} but graviton is "
                f"{str(self.graviton).lower()}; one node group has one architecture"
            )
        return self


class FargateSelectorConfig(Section):
    """Pods matching a namespace (and, optionally, all the labels) run on Fargate."""

    namespace: str
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("namespace")
    @classmethod
    def _valid_namespace(cls, value: str) -> str:
        if not _K8S_NAME.match(value):
            raise ValueError(f"'{value}' is not a Kubernetes namespace name")
        return value


class FargateProfileConfig(Section):
    """One Fargate profile (pods run in the private subnets)."""

    name: str = Field(description="Profile id, unique in the cluster.")
    selectors: list[FargateSelectorConfig] = Field(
        # "up to five selectors" per profile (EKS API reference, CreateFargateProfile).
        min_length=1,
        max_length=5,
        description="Namespace/label selectors; a profile without selectors runs nothing.",
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"'{value}' is not a Fargate profile name (letters, digits, - and _)")
        return value


class ComputeConfig(Section):
    """Where pods run: managed node groups, Fargate profiles, or EKS Auto Mode."""

    mode: Literal["managed_nodes", "fargate", "auto_mode"] = Field(
        default=defaults.EKS_COMPUTE_MODE,
        description="managed_nodes (node_groups), fargate (fargate_profiles) or auto_mode.",
    )
    node_groups: list[NodeGroupConfig] = Field(default_factory=list)
    fargate_profiles: list[FargateProfileConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _matches_mode(self) -> ComputeConfig:
        if self.mode == "managed_nodes" and not self.node_groups:
            raise ValueError("node_groups: mode managed_nodes needs at least one node group")
        if self.mode != "managed_nodes" and self.node_groups:
            raise ValueError(f"node_groups: only with mode managed_nodes, not {self.mode}")
        if self.mode == "fargate":
            namespaces = {s.namespace for p in self.fargate_profiles for s in p.selectors}
            if "kube-system" not in namespaces:
                raise ValueError(
                    "fargate_profiles: mode fargate needs a profile selecting namespace "
                    "kube-system, or CoreDNS has nowhere to run"
                )
        if self.mode == "auto_mode" and self.fargate_profiles:
            raise ValueError("fargate_profiles: not with mode auto_mode (Auto Mode runs all pods)")
        for field, names in (
            ("node_groups", [g.name for g in self.node_groups]),
            ("fargate_profiles", [p.name for p in self.fargate_profiles]),
        ):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"{field}: duplicate names {', '.join(duplicates)}")
        return self
