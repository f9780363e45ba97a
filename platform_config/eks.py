"""The `eks` section: the Kubernetes cluster on `aws_eks_v2`, its compute, access and add-ons."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import UNPRIVILEGED_PORTS
from container_constructs.eks_versions import (
    ADDON_DEFAULTS,
    KUBERNETES_RELEASES,
    ami_release_problem,
    support_notice,
)
from platform_config.base import RetentionDays, Section
from platform_config.eks_access import AccessConfig, EndpointConfig, NamespaceAccessConfig
from platform_config.eks_addons import (
    K8S_NAME,
    AddonConfig,
    ArgoCdConfig,
    WorkloadIdentityConfig,
    valid_addon_name,
)
from platform_config.eks_compute import (
    ComputeConfig,
    FargateProfileConfig,
    FargateSelectorConfig,
    NodeGroupConfig,
)
from platform_config.eks_rules import ResolvedAddon, addon_problems, resolve_addons
from platform_config.image import ImageConfig

__all__ = [
    "CREATABLE_KUBERNETES_VERSIONS",
    "KNOWN_KUBERNETES_VERSIONS",
    "KUBECTL_LAYER_PACKAGES",
    "TODAY",
    "AccessConfig",
    "AddonConfig",
    "ArgoCdConfig",
    "ComputeConfig",
    "EksConfig",
    "EndpointConfig",
    "FargateProfileConfig",
    "FargateSelectorConfig",
    "NamespaceAccessConfig",
    "NodeGroupConfig",
    "SampleWorkloadConfig",
    "WorkloadIdentityConfig",
]

# The versions `aws_eks_v2.KubernetesVersion` of the pinned aws-cdk-lib (2.275) names
# (tests/test_config_eks.py checks this list against the library).
KNOWN_KUBERNETES_VERSIONS = tuple(f"1.{minor}" for minor in range(25, 37))
# The oldest version EKS still creates clusters on: older ones fail CreateCluster with
# "unsupported Kubernetes version" (cdk-preflight rule pf-eks-cluster-version-unsupported, "1.30
# was the oldest on 2026-09-25"; https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).
# Found by the config-space property test: 1.25-1.29 validated, then failed that rule at synth.
OLDEST_CREATABLE_VERSION = 30
# ...and that the release calendar table (container_constructs/eks_versions.py) has a row for.
CREATABLE_KUBERNETES_VERSIONS = tuple(
    version
    for version in KNOWN_KUBERNETES_VERSIONS
    if int(version.split(".")[1]) >= OLDEST_CREATABLE_VERSION and version in KUBERNETES_RELEASES
)
# The validation context key load_config passes the day in by (app.py reads the clock; the
# version lifecycle check is skipped without it).
TODAY = "today"

# The kubectl Lambda layer package pinned in requirements.txt, by the Kubernetes version it serves.
# kubectl supports one minor version of skew, but aws/aws-cdk#24580 shows how a mismatched layer
# fails at deploy time; so the sample workload needs the exact match.
KUBECTL_LAYER_PACKAGES = {"1.36": "aws-cdk.lambda-layer-kubectl-v36"}

_K8S_NAME = K8S_NAME


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
# Of this section access.bootstrap_creator_admin and bootstrap_self_managed_addons set them;
# Version, endpoint access, logging, compute (ComputeConfig, StorageConfig, ElasticLoadBalancing),
# UpgradePolicy, DeletionProtection, ZonalShiftConfig, ControlPlaneScalingConfig and access entries
# update in place. The cluster's subnets can change only within the zones it was created in (EKS
# user guide, network-reqs): control_plane_zones keeps it there when network.availability_zones
# grows.
class EksConfig(Section):
    """The EKS cluster, named after the environment (cp-sandbox, cp-production). A fixed name
    cannot be replaced by an update (CloudFormation creates the new cluster before deleting the
    old one): of this section access.bootstrap_creator_admin and bootstrap_self_managed_addons
    replace it; the other fields update the cluster in place."""

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
    control_plane_zones: list[str] | None = Field(
        default=None,
        description=(
            "Zones of network.availability_zones whose private subnets the control plane uses "
            "(at least 2; node groups and Fargate profiles use every zone); default: every zone. "
            "EKS accepts new cluster subnets only in the zones the cluster was created in: before "
            "adding a zone to the network, set this to the zones it has (docs/changing.md)."
        ),
    )
    endpoint: EndpointConfig = Field(default_factory=EndpointConfig)
    access: AccessConfig = Field(default_factory=AccessConfig)
    addons: dict[str, AddonConfig | None] = Field(
        default_factory=dict,
        description=(
            "Managed add-ons by EKS name, merged over the compute mode's default set (managed "
            "nodes: vpc-cni, kube-proxy, coredns, eks-pod-identity-agent, aws-ebs-csi-driver, "
            "metrics-server; fargate: vpc-cni, kube-proxy, coredns, metrics-server; auto_mode: "
            "metrics-server). A name adds or changes one ({} takes every default); null removes "
            "a default one."
        ),
    )
    bootstrap_self_managed_addons: bool = Field(
        default=defaults.BOOTSTRAP_SELF_MANAGED_ADDONS,
        description=(
            "Let EKS install self-managed vpc-cni, kube-proxy and coredns at creation, which the "
            "managed add-ons then overwrite. Create-only: changing it replaces the cluster, which "
            "its fixed name makes fail; a cluster created before this field existed has it true "
            "(set true in its overrides to keep it)."
        ),
    )
    workload_identities: list[WorkloadIdentityConfig] = Field(
        default_factory=list,
        description="AWS permissions per namespace/service account through EKS Pod Identity "
        "(not on Fargate).",
    )
    upgrade_policy: Literal["STANDARD", "EXTENDED"] = Field(
        default=defaults.EKS_UPGRADE_POLICY,
        description=(
            "STANDARD: when standard support ends EKS upgrades the control plane itself. "
            "EXTENDED: it stays on extended support, billed per cluster hour."
        ),
    )
    deletion_protection: bool = Field(
        default=defaults.EKS_DELETION_PROTECTION,
        description="EKS refuses to delete the cluster (cdk destroy fails too).",
    )
    zonal_shift: bool = Field(
        default=defaults.EKS_ZONAL_SHIFT,
        description="ARC zonal shift of the cluster's traffic away from an AZ.",
    )
    control_plane_scaling_tier: (
        Literal["standard", "tier-xl", "tier-2xl", "tier-4xl", "tier-8xl"] | None
    ) = Field(
        default=None,
        description="Provisioned control plane tier (billed per tier); default: EKS's default.",
    )
    argocd: ArgoCdConfig = Field(default_factory=ArgoCdConfig)
    control_plane_log_retention_days: RetentionDays = Field(default=defaults.LOG_RETENTION_DAYS)
    sample_workload: SampleWorkloadConfig = Field(default_factory=SampleWorkloadConfig)

    @field_validator("kubernetes_version")
    @classmethod
    def _known_version(cls, value: str, info: ValidationInfo) -> str:
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
        today = (info.context or {}).get(TODAY)
        if isinstance(today, date):
            notice = support_notice(value, today)
            if notice.level == "error":
                current = ", ".join(
                    v
                    for v in CREATABLE_KUBERNETES_VERSIONS
                    if support_notice(v, today).level != "error"
                )
                raise ValueError(f"'{value}': {notice.message}; allowed: {current}")
        return value

    @field_validator("addons")
    @classmethod
    def _valid_addon_names(
        cls, value: dict[str, AddonConfig | None]
    ) -> dict[str, AddonConfig | None]:
        bad = [name for name in value if not valid_addon_name(name)]
        if bad:
            raise ValueError(
                f"{', '.join(repr(n) for n in bad)}: not EKS add-on names such as metrics-server"
            )
        return value

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
        return self

    @field_validator("workload_identities")
    @classmethod
    def _one_per_service_account(
        cls, value: list[WorkloadIdentityConfig]
    ) -> list[WorkloadIdentityConfig]:
        keys = [f"{identity.namespace}/{identity.service_account}" for identity in value]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(
                f"{', '.join(duplicates)} listed twice; EKS allows one Pod Identity association "
                "per service account: merge their permissions into one entry"
            )
        return value

    @model_validator(mode="after")
    def _no_bootstrap_in_auto_mode(self) -> EksConfig:
        # Found by the config-space property test: aws-cdk-lib raises "bootstrapSelfManagedAddons
        # cannot be true when using EKS Auto Mode" at synth.
        if self.compute.mode == "auto_mode" and self.bootstrap_self_managed_addons:
            raise ValueError(
                "bootstrap_self_managed_addons: true is not allowed with compute mode auto_mode "
                "(Auto Mode runs networking, DNS and kube-proxy itself); allowed: false"
            )
        return self

    @model_validator(mode="after")
    def _releases_of_the_clusters_version(self) -> EksConfig:
        for index, group in enumerate(self.compute.node_groups):
            if group.release_version is None:
                continue
            problem = ami_release_problem(group.release_version, self.kubernetes_version)
            if problem:
                raise ValueError(f"compute.node_groups.{index}.release_version: {problem}")
        return self

    @model_validator(mode="after")
    def _addons_fit_the_compute_mode(self) -> EksConfig:
        problems = addon_problems(
            mode=self.compute.mode,
            kubernetes_version=self.kubernetes_version,
            addons=self.addons,
            workload_identities=len(self.workload_identities),
        )
        if problems:
            raise ValueError(problems[0])
        return self

    @model_validator(mode="after")
    def _workload_identities_beside_addons(self) -> EksConfig:
        """An add-on with a Pod Identity role makes the association of its service account
        itself (AWS::EKS::Addon PodIdentityAssociations); EKS takes one association per service
        account and refuses a second ("ResourceInUseException: Association already exists",
        eksctl-io/eksctl#7753; aws/aws-cdk#31522 with the EBS CSI driver's), after the EKS
        stack has started. The add-ons' namespaces are those the platform knows
        (ADDON_DEFAULTS)."""
        held = {
            (ADDON_DEFAULTS[addon.name].namespace, addon.service_account): addon.name
            for addon in self.resolved_addons()
            if addon.service_account is not None and addon.name in ADDON_DEFAULTS
        }
        for index, identity in enumerate(self.workload_identities):
            addon = held.get((identity.namespace, identity.service_account))
            if addon is not None:
                raise ValueError(
                    f"workload_identities.{index}: {identity.namespace}/"
                    f"{identity.service_account} is the service account of add-on {addon}, "
                    "whose Pod Identity association the add-on makes, and EKS allows one per "
                    f"service account; allowed: its permissions in eks.addons.{addon}.pod_identity "
                    "(statements, managed_policy_arns)"
                )
        return self

    def resolved_addons(self) -> list[ResolvedAddon]:
        """The add-ons to install: the mode's defaults with `addons` merged over them."""
        return resolve_addons(self.compute.mode, self.kubernetes_version, self.addons)
