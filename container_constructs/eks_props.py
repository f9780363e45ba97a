"""The props of `EksCluster` (`eks_cluster.py`): the cluster, its compute, access, add-ons,
workload identities, version lifecycle and the optional Argo CD capability."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from container_constructs import defaults
from container_constructs.checks import MIN_CLUSTER_ZONES, distinct_cluster_zones
from container_constructs.common import DEFAULT_LOG_RETENTION
from container_constructs.eks_addons import AddonSpec, ComputeMode
from container_constructs.eks_argocd import ArgoCdSpec
from container_constructs.eks_identity import WorkloadIdentitySpec
from container_constructs.eks_sample_workload import SampleWorkloadSpec
from container_constructs.eks_versions import ami_release_problem

__all__ = [
    "EksClusterProps",
    "FargateProfileSpec",
    "NamespaceAccessSpec",
    "NodeGroupSpec",
    "SupportType",
    "validate_props",
]

SupportType = Literal["STANDARD", "EXTENDED"]


@dataclass(frozen=True, kw_only=True)
class NodeGroupSpec:
    """One managed node group, AL2023 AMI, in the cluster's private subnets, at the control
    plane's Kubernetes version (its `Version`), so a version bump rolls its nodes too.

    Attributes:
        name: construct id and node group name suffix. Required.
        instance_types: EC2 instance types of one architecture. Required.
        graviton: arm64 instance types (AL2023 ARM AMI). Default: False (x86_64).
        spot: Spot instead of on-demand capacity. Default: False.
        min_size: fewest nodes. Default: 1.
        max_size: most nodes. Default: 3.
        desired_size: nodes at creation. Default: 2.
        disk_size_gib: encrypted gp3 root volume. Default: 20.
        labels: Kubernetes node labels. Default: none.
        release_version: the AMI release (e.g. 1.36.4-20260923) of the cluster's version.
            Default: None (EKS's latest for the version when the group is created or upgraded).
    """

    name: str
    instance_types: Sequence[str]
    graviton: bool = defaults.NODE_GRAVITON
    spot: bool = defaults.NODE_CAPACITY_TYPE == "spot"
    min_size: int = defaults.NODE_MIN_SIZE
    max_size: int = defaults.NODE_MAX_SIZE
    desired_size: int = defaults.NODE_DESIRED_SIZE
    disk_size_gib: int = defaults.NODE_DISK_SIZE_GIB
    labels: Mapping[str, str] = field(default_factory=dict)
    release_version: str | None = None


@dataclass(frozen=True, kw_only=True)
class FargateProfileSpec:
    """One Fargate profile; its pods run in the cluster's private subnets.

    Attributes:
        name: construct id. Required.
        selectors: 1 to 5 namespace (+ labels) selectors. Required.
    """

    name: str
    selectors: Sequence[eks.Selector]


@dataclass(frozen=True, kw_only=True)
class NamespaceAccessSpec:
    """An IAM role given an EKS access policy in some namespaces only.

    Attributes:
        role_arn: the IAM role. Required.
        namespaces: the namespaces it applies in. Required (at least one).
        policy: AmazonEKSEditPolicy (edit), AmazonEKSAdminPolicy (admin) or AmazonEKSViewPolicy
            (view). Default: edit.
    """

    role_arn: str
    namespaces: Sequence[str]
    policy: Literal["edit", "admin", "view"] = defaults.NAMESPACE_ACCESS_POLICY


@dataclass(frozen=True, kw_only=True)
class EksClusterProps:
    """Props of `EksCluster`.

    Attributes:
        vpc: VPC with private subnets (with egress, or isolated with endpoints). Required.
        cluster_name: EKS cluster name (also names the control-plane log group). Required.
        version: Kubernetes version; node groups and the default add-on versions follow it.
            Required.
        compute_mode: "managed_nodes" (node_groups), "fargate" (fargate_profiles) or
            "auto_mode" (EKS Auto Mode, its system and general-purpose node pools).
            Default: "managed_nodes".
        node_groups: managed node groups. Default: none (required with managed_nodes).
        fargate_profiles: Fargate profiles. Default: none (with fargate, one must select
            kube-system for CoreDNS).
        control_plane_zones: the zones whose private subnets the control plane's network
            interfaces use; node groups, Fargate profiles and the kubectl provider use every
            zone's. EKS accepts new cluster subnets only in the zones the cluster was created
            in: set these to them before the VPC gains a zone. Default: None (every zone).
        public_access_cidrs: when given, the API endpoint is public-and-private, the public side
            limited to these CIDRs. Default: None (private endpoint only).
        cluster_admin_role_arns: IAM roles given AmazonEKSClusterAdminPolicy. Default: none.
        viewer_role_arns: IAM roles given AmazonEKSViewPolicy on the whole cluster. Default:
            none.
        namespace_access: IAM roles given a policy in some namespaces. Default: none.
        bootstrap_creator_admin: make the deploying principal a cluster admin. Changing it
            replaces the cluster. Default: False.
        bootstrap_self_managed_addons: let EKS install self-managed vpc-cni, kube-proxy and
            coredns at creation (the managed add-ons then overwrite them). Changing it replaces
            the cluster. Default: False (the managed add-ons are the only copy).
        addons: the managed add-ons. Default: None (`default_addon_specs` for compute_mode and
            version).
        workload_identities: Pod Identity roles for service accounts (not on Fargate).
            Default: none.
        upgrade_support_type: STANDARD (EKS upgrades the control plane when standard support
            ends) or EXTENDED (stays, billed per cluster hour for extended support).
            Default: STANDARD.
        deletion_protection: EKS refuses to delete the cluster (also `cdk destroy`). Default:
            False.
        zonal_shift: ARC zonal shift for the control plane's traffic. Default: False.
        control_plane_scaling_tier: provisioned control plane tier (standard, tier-xl, ...).
            Default: None (EKS's default).
        argocd: the EKS Argo CD capability. Default: None.
        log_retention: control-plane log retention. Default: one month.
        log_encryption_key: KMS key for the control-plane log group. Default: none.
        removal_policy: of the secrets key and the log groups (the control plane's and the
            kubectl provider's). Default: RETAIN.
        kubectl_layer: the kubectl/helm Lambda layer matching `version`; needed only for
            `sample_workload` (creates the kubectl provider). Default: None.
        sample_workload: a sample Deployment + Service to apply. Default: None.
        image_pull_repositories: ECR repositories the nodes (or Fargate pods) may pull from.
            Default: none.
    """

    vpc: ec2.IVpc
    cluster_name: str
    version: eks.KubernetesVersion
    compute_mode: ComputeMode = defaults.EKS_COMPUTE_MODE
    node_groups: Sequence[NodeGroupSpec] = ()
    fargate_profiles: Sequence[FargateProfileSpec] = ()
    control_plane_zones: Sequence[str] | None = None
    public_access_cidrs: Sequence[str] | None = None
    cluster_admin_role_arns: Sequence[str] = ()
    viewer_role_arns: Sequence[str] = ()
    namespace_access: Sequence[NamespaceAccessSpec] = ()
    bootstrap_creator_admin: bool = defaults.BOOTSTRAP_CREATOR_ADMIN
    bootstrap_self_managed_addons: bool = defaults.BOOTSTRAP_SELF_MANAGED_ADDONS
    addons: Sequence[AddonSpec] | None = None
    workload_identities: Sequence[WorkloadIdentitySpec] = ()
    upgrade_support_type: SupportType = defaults.EKS_UPGRADE_POLICY
    deletion_protection: bool = defaults.EKS_DELETION_PROTECTION
    zonal_shift: bool = defaults.EKS_ZONAL_SHIFT
    control_plane_scaling_tier: str | None = None
    argocd: ArgoCdSpec | None = None
    log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION
    log_encryption_key: kms.IKey | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    kubectl_layer: lambda_.ILayerVersion | None = None
    sample_workload: SampleWorkloadSpec | None = None
    image_pull_repositories: Sequence[ecr.IRepository] = ()


def validate_props(props: EksClusterProps) -> None:
    """Refuse props `EksCluster` cannot build, each naming the prop."""
    # Each raise here guards direct use of the construct; a validated platform config never
    # reaches one: platform_config rejects the same input first, naming the field (the config
    # space property test, tests/test_config_space.py, synthesizes what it accepts).
    mode = props.compute_mode
    if mode == "managed_nodes" and not props.node_groups:
        raise ValueError("EksCluster: compute_mode managed_nodes needs node_groups")
    if mode != "managed_nodes" and props.node_groups:
        raise ValueError(f"EksCluster: node_groups need compute_mode managed_nodes, not {mode}")
    if mode == "auto_mode" and props.fargate_profiles:
        raise ValueError("EksCluster: fargate_profiles cannot be combined with auto_mode")
    for spec in props.node_groups:
        release = spec.release_version
        problem = release and ami_release_problem(release, props.version.version)
        if problem:
            raise ValueError(f"EksCluster: node group {spec.name}: release_version {problem}")
        if not spec.min_size <= spec.desired_size <= spec.max_size:
            raise ValueError(
                f"EksCluster: node group {spec.name}: need min_size <= desired_size <= max_size, "
                f"got {spec.min_size} <= {spec.desired_size} <= {spec.max_size}"
            )
    for profile in props.fargate_profiles:
        if not profile.selectors:
            raise ValueError(f"EksCluster: Fargate profile {profile.name} has no selectors")
    if props.sample_workload is not None and props.kubectl_layer is None:
        raise ValueError("EksCluster: sample_workload needs kubectl_layer (matching `version`)")
    if mode == "auto_mode" and props.bootstrap_self_managed_addons:
        raise ValueError(
            "EksCluster: bootstrap_self_managed_addons cannot be combined with auto_mode"
        )
    if mode == "fargate" and props.workload_identities:
        raise ValueError("EksCluster: workload_identities need Pod Identity, not on Fargate")
    zones = props.control_plane_zones
    if zones is not None and not distinct_cluster_zones(zones):
        raise ValueError(
            f"EksCluster: control_plane_zones {list(zones)}: at least {MIN_CLUSTER_ZONES} "
            "distinct zones (EKS needs subnets in two)"
        )
