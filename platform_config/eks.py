"""The `eks` section: the Kubernetes cluster on `aws_eks_v2`, its compute, access and add-ons."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import (
    IAM_ROLE_ARN,
    UNPRIVILEGED_PORTS,
    check_retention_days,
    ipv4_network,
)
from platform_config.base import EC2_INSTANCE_TYPE, Section, is_graviton
from platform_config.image import ImageConfig

# The versions `aws_eks_v2.KubernetesVersion` of the pinned aws-cdk-lib (2.275) names
# (tests/test_config_eks.py checks this list against the library).
KNOWN_KUBERNETES_VERSIONS = tuple(f"1.{minor}" for minor in range(25, 37))
# The oldest version EKS still creates clusters on: older ones fail CreateCluster with
# "unsupported Kubernetes version" (cdk-preflight rule pf-eks-cluster-version-unsupported, "1.30
# was the oldest on 2026-09-25"; https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).
# Found by the config-space property test: 1.25-1.29 validated, then failed that rule at synth.
OLDEST_CREATABLE_VERSION = 30
CREATABLE_KUBERNETES_VERSIONS = tuple(
    version
    for version in KNOWN_KUBERNETES_VERSIONS
    if int(version.split(".")[1]) >= OLDEST_CREATABLE_VERSION
)

# The kubectl Lambda layer package pinned in requirements.txt, by the Kubernetes version it serves.
# kubectl supports one minor version of skew, but aws/aws-cdk#24580 shows how a mismatched layer
# fails at deploy time; so the sample workload needs the exact match.
KUBECTL_LAYER_PACKAGES = {"1.36": "aws-cdk.lambda-layer-kubectl-v36"}

MANAGED_ADDONS = ("vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent")

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


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

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"'{value}' is not a node group name (letters, digits, - and _)")
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
        description="1 to 5 namespace/label selectors; a profile without selectors runs nothing."
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"'{value}' is not a Fargate profile name (letters, digits, - and _)")
        return value

    @field_validator("selectors")
    @classmethod
    def _some_selectors(cls, value: list[FargateSelectorConfig]) -> list[FargateSelectorConfig]:
        if not 1 <= len(value) <= 5:
            raise ValueError(
                f"a Fargate profile needs 1 to 5 selectors (namespace, optional labels), "
                f"got {len(value)}"
            )
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


class EndpointConfig(Section):
    """Who can reach the Kubernetes API server. Changed in place (the cluster is kept)."""

    access: Literal["public_and_private", "private"] = Field(
        default="private",
        description="private: from the VPC only. public_and_private: also public_access_cidrs.",
    )
    public_access_cidrs: list[str] = Field(
        default_factory=list,
        description="IPv4 CIDRs allowed to the public endpoint (only with public_and_private).",
    )

    @field_validator("public_access_cidrs")
    @classmethod
    def _valid_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            if ipv4_network(cidr, example="203.0.113.0/24").prefixlen == 0:
                raise ValueError(
                    f"'{cidr}' opens the API endpoint to the whole internet; allowed: your "
                    "office or VPN egress CIDRs, e.g. 203.0.113.7/32"
                )
        return value

    @model_validator(mode="after")
    def _cidrs_match_access(self) -> EndpointConfig:
        if self.access == "public_and_private" and not self.public_access_cidrs:
            raise ValueError(
                "public_access_cidrs: required with access public_and_private "
                "(the CIDRs allowed to reach the public endpoint)"
            )
        if self.access == "private" and self.public_access_cidrs:
            raise ValueError("public_access_cidrs: only with access public_and_private")
        return self


class AccessConfig(Section):
    """Cluster authentication is always API mode (access entries); no aws-auth ConfigMap."""

    cluster_admin_role_arns: list[str] = Field(
        default_factory=list,
        description="IAM role ARNs given AmazonEKSClusterAdminPolicy through access entries.",
    )
    bootstrap_creator_admin: bool = Field(
        default=defaults.BOOTSTRAP_CREATOR_ADMIN,
        description=(
            "Make the deploying principal (the CloudFormation execution role) a cluster admin. "
            "Changing it replaces the cluster: with the cluster's fixed name the update fails, so "
            "destroy the EKS stack first, then deploy (its workloads go with it)."
        ),
    )
    deployer_admin: bool = Field(
        default=False,
        description=(
            "Give the person who deploys a cluster-admin access entry, so kubectl works right "
            "after `make deploy`: the EKS stack takes a DeployerAdminArn parameter (default "
            "empty: no entry), which `make deploy` sets to the caller's IAM user or role ARN "
            "(python -m tools.account.caller_arn, at deploy time; synth looks nothing up). The "
            "next deploy by someone else moves the entry to them. Must not be one of "
            "cluster_admin_role_arns (EKS refuses a second entry for a principal)."
        ),
    )

    @field_validator("cluster_admin_role_arns")
    @classmethod
    def _valid_arns(cls, value: list[str]) -> list[str]:
        bad = [arn for arn in value if not IAM_ROLE_ARN.match(arn)]
        if bad:
            raise ValueError(
                f"{', '.join(repr(arn) for arn in bad)}: not an IAM role ARN such as "
                "arn:aws:iam::123456789012:role/platform-admin"
            )
        duplicates = sorted({arn for arn in value if value.count(arn) > 1})
        if duplicates:
            raise ValueError(f"duplicate role ARNs: {', '.join(duplicates)}")
        return value


class SampleWorkloadConfig(Section):
    """A Deployment + ClusterIP Service applied with kubectl (a Lambda-backed custom resource)."""

    enabled: bool = Field(default=False)
    image: ImageConfig = Field(
        default_factory=lambda: ImageConfig(
            uri="public.ecr.aws/nginx/nginx-unprivileged:1.29-alpine"
        ),
        description="Image listening on container_port as a non-root user.",
    )
    container_port: int = Field(
        default=defaults.CONTAINER_PORT, ge=UNPRIVILEGED_PORTS[0], le=UNPRIVILEGED_PORTS[1]
    )
    replicas: int = Field(default=defaults.SAMPLE_WORKLOAD_REPLICAS, ge=1, le=20)
    namespace: str = Field(default=defaults.SAMPLE_WORKLOAD_NAMESPACE)

    @field_validator("namespace")
    @classmethod
    def _valid_namespace(cls, value: str) -> str:
        if not _K8S_NAME.match(value):
            raise ValueError(f"'{value}' is not a Kubernetes namespace name")
        return value


# The AWS::EKS::Cluster properties whose change requires replacement are the resource schema's
# createOnlyProperties (the CloudFormation reference's "Update requires: Replacement"): Name,
# RoleArn, EncryptionConfig, KubernetesNetworkConfig IpFamily and ServiceIpv4Cidr,
# AccessConfig.BootstrapClusterCreatorAdminPermissions, BootstrapSelfManagedAddons, OutpostConfig.
# Of this section only access.bootstrap_creator_admin sets one of them; Version, endpoint access,
# logging, compute (ComputeConfig, StorageConfig, ElasticLoadBalancing) and access entries update in
# place. The cluster's subnets can change only within the zones it was created in (EKS user guide,
# network-reqs), so a change of network.availability_zones can fail on the cluster as well.
class EksConfig(Section):
    """The EKS cluster, named after the environment (cp-sandbox, cp-production). A fixed name
    cannot be replaced by an update (CloudFormation creates the new cluster before deleting the
    old one): of this section only access.bootstrap_creator_admin replaces it; the other fields
    update the cluster in place."""

    enabled: bool = Field(default=True, description="Build the EKS stack.")
    kubernetes_version: str = Field(
        default="1.36",
        description=(
            "Kubernetes minor version, one EKS still creates and the pinned aws-cdk-lib knows "
            "(1.30 to 1.36). Upgraded in place, one minor version per deploy; EKS cannot "
            "downgrade."
        ),
    )
    compute: ComputeConfig = Field(default_factory=ComputeConfig)
    endpoint: EndpointConfig = Field(default_factory=EndpointConfig)
    access: AccessConfig = Field(default_factory=AccessConfig)
    addon_versions: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Pinned add-on versions by name (e.g. coredns: v1.12.1-eksbuild.2); an add-on left "
            "out gets EKS's default version for the cluster's Kubernetes version."
        ),
    )
    control_plane_log_retention_days: int = Field(default=defaults.LOG_RETENTION_DAYS)
    sample_workload: SampleWorkloadConfig = Field(default_factory=SampleWorkloadConfig)

    @field_validator("kubernetes_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        allowed = ", ".join(CREATABLE_KUBERNETES_VERSIONS)
        if value not in KNOWN_KUBERNETES_VERSIONS:
            raise ValueError(
                f"'{value}' is not a Kubernetes version aws-cdk-lib's aws_eks_v2 knows; "
                f"allowed: {allowed}"
            )
        if value not in CREATABLE_KUBERNETES_VERSIONS:
            raise ValueError(
                f"'{value}': EKS no longer creates clusters on it (end of extended support); "
                f"allowed: {allowed}"
            )
        return value

    @field_validator("addon_versions")
    @classmethod
    def _known_addons(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(MANAGED_ADDONS))
        if unknown:
            raise ValueError(
                f"unknown add-on {', '.join(unknown)}; allowed: {', '.join(MANAGED_ADDONS)}"
            )
        return value

    @field_validator("control_plane_log_retention_days")
    @classmethod
    def _valid_retention(cls, value: int) -> int:
        return check_retention_days(value)

    @model_validator(mode="after")
    def _kubectl_layer_for_version(self) -> EksConfig:
        if self.sample_workload.enabled and self.kubernetes_version not in KUBECTL_LAYER_PACKAGES:
            minor = self.kubernetes_version.split(".")[1]
            pinned = ", ".join(
                f"{package} (Kubernetes {version})"
                for version, package in KUBECTL_LAYER_PACKAGES.items()
            )
            raise ValueError(
                f"sample_workload: needs the kubectl layer of Kubernetes {self.kubernetes_version} "
                f"(aws-cdk.lambda-layer-kubectl-v{minor}); the pinned layer is {pinned}. "
                "Pin the matching layer in requirements.txt and platform_config/eks.py, "
                "or set kubernetes_version to a pinned one (aws/aws-cdk#24580)"
            )
        if self.compute.mode == "auto_mode" and self.addon_versions:
            raise ValueError(
                "addon_versions: Auto Mode runs its own networking, DNS and pod identity; "
                "pin add-ons only with managed_nodes or fargate"
            )
        return self
