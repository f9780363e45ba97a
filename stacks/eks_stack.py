"""The EKS stack: one `EksCluster` built from the `eks` section of the environment config."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, cast

from aws_cdk import Annotations, CfnCondition, CfnOutput, CfnParameter, Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from container_constructs.common import retention_days
from container_constructs.eks_cluster import (
    AddonPodIdentity,
    AddonSpec,
    ArgoCdSpec,
    EksCluster,
    EksClusterProps,
    FargateProfileSpec,
    NamespaceAccessSpec,
    NodeGroupSpec,
    PodIdentityRoleSpec,
    SampleWorkloadSpec,
    WorkloadIdentitySpec,
)
from container_constructs.eks_versions import support_notice
from platform_config.eks import KUBECTL_LAYER_PACKAGES, EksConfig
from platform_config.eks_addons import ArgoCdConfig, PolicyStatementConfig
from platform_config.image import ImageConfig
from stacks import names
from stacks.common import StackSettings

DEPLOYER_ADMIN_ARN_PATTERN = r"^$|^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[\w+=,.@/-]+$"


class EksStack(Stack):
    """The EKS cluster of one environment, from its `eks` config `section`, the environment-wide
    `settings`, the shared `vpc` and the registry's `repositories` (by name: the nodes may pull
    from all of them, and the sample workload's image may name one). With `today` (app.py passes
    the date), synth warns when the Kubernetes version nears or passes the end of standard
    support (container_constructs/eks_versions.py); the config refused it already if extended
    support has ended.

    Attributes:
        eks_cluster: the `EksCluster` construct.
        cluster: its `aws_eks_v2.Cluster`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        section: EksConfig,
        vpc: ec2.IVpc,
        repositories: Mapping[str, ecr.IRepository],
        today: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # A fixed name (kubeconfig commands and the control-plane log group use it): a change that
        # replaces the cluster fails on update, see EksConfig in platform_config/eks.py.
        cluster_name = names.eks_cluster_name(settings.environment)
        sample = section.sample_workload
        self.eks_cluster = EksCluster(
            self,
            names.EKS_CONSTRUCT,
            props=EksClusterProps(
                vpc=vpc,
                cluster_name=cluster_name,
                version=kubernetes_version(section.kubernetes_version),
                compute_mode=section.compute.mode,
                node_groups=[
                    NodeGroupSpec(
                        name=group.name,
                        instance_types=group.instance_types,
                        graviton=group.graviton,
                        spot=group.capacity_type == "spot",
                        min_size=group.min_size,
                        max_size=group.max_size,
                        desired_size=group.desired_size,
                        disk_size_gib=group.disk_size_gib,
                        labels=group.labels,
                        release_version=group.release_version,
                    )
                    for group in section.compute.node_groups
                ],
                fargate_profiles=[
                    FargateProfileSpec(
                        name=profile.name,
                        selectors=[
                            eks.Selector(namespace=s.namespace, labels=s.labels or None)
                            for s in profile.selectors
                        ],
                    )
                    for profile in section.compute.fargate_profiles
                ],
                control_plane_zones=section.control_plane_zones,
                public_access_cidrs=(
                    section.endpoint.public_access_cidrs
                    if section.endpoint.access == "public_and_private"
                    else None
                ),
                cluster_admin_role_arns=section.access.cluster_admin_role_arns,
                viewer_role_arns=section.access.viewer_role_arns,
                namespace_access=[
                    NamespaceAccessSpec(
                        role_arn=entry.role_arn, namespaces=entry.namespaces, policy=entry.policy
                    )
                    for entry in section.access.namespace_access
                ],
                bootstrap_creator_admin=section.access.bootstrap_creator_admin,
                bootstrap_self_managed_addons=section.bootstrap_self_managed_addons,
                addons=addon_specs(section),
                workload_identities=[
                    WorkloadIdentitySpec(
                        namespace=identity.namespace,
                        service_account=identity.service_account,
                        permissions=PodIdentityRoleSpec(
                            managed_policy_arns=identity.managed_policy_arns,
                            statements=policy_statements(identity.statements),
                        ),
                    )
                    for identity in section.workload_identities
                ],
                upgrade_support_type=section.upgrade_policy,
                deletion_protection=section.deletion_protection,
                zonal_shift=section.zonal_shift,
                control_plane_scaling_tier=section.control_plane_scaling_tier,
                argocd=argocd_spec(section.argocd),
                log_retention=retention_days(section.control_plane_log_retention_days),
                log_encryption_key=settings.log_encryption_key(self),
                removal_policy=settings.removal_policy,
                kubectl_layer=kubectl_layer(self, section) if sample.enabled else None,
                sample_workload=(
                    SampleWorkloadSpec(
                        image=image_reference(sample.image, repositories),
                        container_port=sample.container_port,
                        replicas=sample.replicas,
                        namespace=sample.namespace,
                    )
                    if sample.enabled
                    else None
                ),
                image_pull_repositories=[repositories[name] for name in sorted(repositories)],
            ),
        )
        self.cluster = self.eks_cluster.cluster
        self.deployer_admin: eks.AccessEntry | None = (
            self._deployer_admin_entry() if section.access.deployer_admin else None
        )
        self._warn_about_access(section)
        if today is not None:
            notice = support_notice(section.kubernetes_version, today)
            # An "error" notice is refused by the config loaded with the same day; warn anyway.
            if notice.level != "ok":
                Annotations.of(self).add_warning_v2("platform:eks-version-support", notice.message)

        CfnOutput(
            self, names.CLUSTER_NAME_OUTPUT, value=cluster_name, description="EKS cluster name"
        )
        CfnOutput(
            self,
            names.UPDATE_KUBECONFIG_OUTPUT,
            value=f"aws eks update-kubeconfig --region {settings.region} --name {cluster_name}",
            description="Adds the cluster to ~/.kube/config (needs a cluster-admin access entry)",
        )
        if self.eks_cluster.argocd is not None:
            CfnOutput(
                self,
                names.ARGOCD_ROLE_OUTPUT,
                value=self.eks_cluster.argocd.role_arn,
                description="The Argo CD capability's role: grant it Kubernetes access "
                "(docs/eks.md, Argo CD)",
            )

    def _deployer_admin_entry(self) -> eks.AccessEntry:
        """A cluster-admin access entry for the IAM principal given at deploy time in the
        DeployerAdminArn parameter (`make deploy` passes the caller's, see
        tools/account/caller_arn.py), created only when it is set: synth looks nothing up."""
        arn = CfnParameter(
            self,
            names.DEPLOYER_ADMIN_PARAMETER,
            type="String",
            default="",
            allowed_pattern=DEPLOYER_ADMIN_ARN_PATTERN,
            constraint_description=(
                "an IAM role or user ARN such as arn:aws:iam::123456789012:role/admin, or empty"
            ),
            description=(
                "IAM role or user ARN given a cluster-admin access entry (make deploy passes the "
                "deployer's); empty: none"
            ),
        )
        is_set = CfnCondition(
            self,
            names.DEPLOYER_ADMIN_CONDITION,
            expression=Fn.condition_not(Fn.condition_equals(arn.value_as_string, "")),
        )
        entry = eks.AccessEntry(
            self,
            names.DEPLOYER_ADMIN_CONSTRUCT,
            # aws_eks_v2.Cluster implements ICluster; its jsii typing misses one member.
            cluster=cast(eks.ICluster, self.cluster),
            principal=arn.value_as_string,
            access_policies=[
                eks.AccessPolicy.from_access_policy_name(
                    "AmazonEKSClusterAdminPolicy", access_scope_type=eks.AccessScopeType.CLUSTER
                )
            ],
        )
        resource = entry.node.default_child
        assert isinstance(resource, eks.CfnAccessEntry)
        resource.cfn_options.condition = is_set
        return entry

    def _warn_about_access(self, section: EksConfig) -> None:
        if (
            not section.access.cluster_admin_role_arns
            and not section.access.bootstrap_creator_admin
            and not section.access.deployer_admin
        ):
            Annotations.of(self).add_warning_v2(
                "platform:eks-no-admin",
                "No cluster admin: set eks.access.cluster_admin_role_arns (or "
                "deployer_admin, bootstrap_creator_admin) or nobody can use kubectl on this "
                "cluster.",
            )


def addon_specs(section: EksConfig) -> list[AddonSpec]:
    """The add-ons of `section` (its mode's defaults with `eks.addons` merged) as construct
    specs."""
    return [
        AddonSpec(
            name=addon.name,
            version=addon.version,
            configuration=addon.configuration,
            pod_identity=(
                None
                if addon.service_account is None
                else AddonPodIdentity(
                    service_account=addon.service_account,
                    permissions=PodIdentityRoleSpec(
                        aws_managed_policies=addon.aws_managed_policies,
                        managed_policy_arns=addon.managed_policy_arns,
                        statements=policy_statements(addon.statements),
                    ),
                )
            ),
            before_compute=addon.before_compute,
        )
        for addon in section.resolved_addons()
    ]


def policy_statements(statements: Sequence[PolicyStatementConfig]) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            effect=iam.Effect.ALLOW if statement.effect == "Allow" else iam.Effect.DENY,
            actions=statement.actions,
            resources=statement.resources,
        )
        for statement in statements
    ]


def argocd_spec(section: ArgoCdConfig) -> ArgoCdSpec | None:
    if not section.enabled:
        return None
    assert section.idc_instance_arn is not None  # ArgoCdConfig._usable
    return ArgoCdSpec(
        idc_instance_arn=section.idc_instance_arn,
        idc_region=section.idc_region,
        namespace=section.namespace,
        role_mappings={
            mapping.role: [(identity.id, identity.type) for identity in mapping.identities]
            for mapping in section.role_mappings
        },
        managed_policy_arns=section.managed_policy_arns,
    )


def kubernetes_version(version: str) -> eks.KubernetesVersion:
    """The `KubernetesVersion` member for '1.NN' (config has checked the library knows it)."""
    member = "V" + version.replace(".", "_")
    found: eks.KubernetesVersion = getattr(eks.KubernetesVersion, member)
    return found


def kubectl_layer(scope: Construct, section: EksConfig) -> lambda_.ILayerVersion:
    """The pinned kubectl layer of the cluster's Kubernetes version, or a clear error."""
    version = section.kubernetes_version
    if version not in KUBECTL_LAYER_PACKAGES:  # EksConfig._kubectl_layer_for_version: first
        raise ValueError(
            f"eks.kubernetes_version {version}: no kubectl layer is pinned for it "
            f"(pinned: {', '.join(KUBECTL_LAYER_PACKAGES)})"
        )
    minor = version.split(".")[1]
    module = importlib.import_module(f"aws_cdk.lambda_layer_kubectl_v{minor}")
    layer_class = getattr(module, f"KubectlV{minor}Layer")
    layer: lambda_.ILayerVersion = layer_class(scope, names.KUBECTL_LAYER_CONSTRUCT)
    return layer


def image_reference(image: ImageConfig, repositories: Mapping[str, ecr.IRepository]) -> str:
    """The image URI of a workload: `uri` (pinned by its digest when it has one), or our
    repository's URI with `tag`. (Nodes pull it directly: EKS images do not go through the
    registry's pull-through cache.)"""
    if image.uri is not None:
        return image.reference
    assert image.repository is not None
    assert image.tag is not None
    if image.repository not in repositories:  # PlatformConfig._eks_image_in_registry: first
        raise ValueError(
            f"eks.sample_workload.image.repository: '{image.repository}' was not handed to the "
            f"EKS stack (got: {', '.join(sorted(repositories)) or 'none'})"
        )
    return repositories[image.repository].repository_uri_for_tag(image.tag)
