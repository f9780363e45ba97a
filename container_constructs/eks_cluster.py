"""An Amazon EKS cluster on aws-cdk-lib's `aws_eks_v2` (native AWS::EKS::Cluster, access entries),
hardened by default: all control-plane logs, KMS envelope encryption of secrets, private nodes with
IMDSv2, managed add-ons at pinned versions (Pod Identity roles where they call AWS), upgrade policy
STANDARD, and an optional sample workload applied with kubectl.

This module holds the cluster and its compute; its companions hold the props (`eks_props.py`),
the add-ons (`eks_addons.py`), Pod Identity (`eks_identity.py`), team access (`eks_access.py`),
the Argo CD capability (`eks_argocd.py`), the version tables (`eks_versions.py`), the sample
workload (`eks_sample_workload.py`) and the cdk-nag acknowledgements (`eks_acknowledgements.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from container_constructs.common import secure_log_group
from container_constructs.eks_access import grant_team_access
from container_constructs.eks_acknowledgements import (
    FARGATE_POD_EXECUTION_POLICIES,
    acknowledge_cluster_roles,
    acknowledge_kubectl_provider,
    acknowledge_pull_grant,
    acknowledge_service_policies,
)
from container_constructs.eks_addons import (
    AddonPodIdentity,
    AddonSpec,
    ComputeMode,
    add_addons,
    default_addon_specs,
)
from container_constructs.eks_argocd import ArgoCdSpec, add_argocd_capability
from container_constructs.eks_identity import (
    PodIdentityRoleSpec,
    WorkloadIdentitySpec,
    add_workload_identity,
)
from container_constructs.eks_props import (
    EksClusterProps,
    FargateProfileSpec,
    NamespaceAccessSpec,
    NodeGroupSpec,
    validate_props,
)
from container_constructs.eks_sample_workload import SampleWorkloadSpec, add_sample_workload

__all__ = [
    "AddonPodIdentity",
    "AddonSpec",
    "ArgoCdSpec",
    "ComputeMode",
    "EksCluster",
    "EksClusterProps",
    "FargateProfileSpec",
    "NamespaceAccessSpec",
    "NodeGroupSpec",
    "PodIdentityRoleSpec",
    "SampleWorkloadSpec",
    "WorkloadIdentitySpec",
]

ALL_CONTROL_PLANE_LOGS = (
    eks.ClusterLoggingTypes.API,
    eks.ClusterLoggingTypes.AUDIT,
    eks.ClusterLoggingTypes.AUTHENTICATOR,
    eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
    eks.ClusterLoggingTypes.SCHEDULER,
)
# Managed node roles: pull-only ECR access (EKS's own add-on images live in EKS-owned registries).
# The VPC CNI's policy goes on its own Pod Identity role instead, unless vpc-cni has none.
NODE_MANAGED_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
CNI_POLICY = "AmazonEKS_CNI_Policy"


class EksCluster(Construct):
    """An EKS cluster with API-mode authentication (access entries), all five control-plane log
    types, Kubernetes secrets encrypted with a rotating customer KMS key, control plane and nodes
    in private subnets, IMDSv2-only nodes at the control plane's version, managed add-ons at
    pinned versions (`default_addon_specs`: Auto Mode has the networking, DNS, Pod Identity and
    block storage ones built in), upgrade policy STANDARD, and no kubectl unless a sample
    workload asks for it.

    Attributes:
        cluster: the `aws_eks_v2.Cluster`.
        secrets_key: the KMS key encrypting Kubernetes secrets.
        control_plane_log_group: `/aws/eks/<name>/cluster`, created before the cluster so it has
            a retention and goes away with the stack.
        node_role: the role of the managed nodes (None unless managed_nodes).
        node_groups: managed node groups by name.
        fargate_profiles: Fargate profiles by name.
        addons: managed add-ons by name.
        addon_roles: the add-ons' Pod Identity roles by add-on name.
        workload_roles: the workload identities' roles by "namespace/service-account".
        argocd: the Argo CD capability (None unless requested).
        sample_manifest: the sample workload's manifest (None unless requested).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: EksClusterProps) -> None:
        super().__init__(scope, construct_id)
        validate_props(props)
        private = _private_subnets(props.vpc)
        private_subnets = ec2.SubnetSelection(subnets=private)

        self.secrets_key = kms.Key(
            self,
            "SecretsKey",
            description=f"Encrypts Kubernetes secrets of EKS cluster {props.cluster_name}",
            enable_key_rotation=True,
            removal_policy=props.removal_policy,
            pending_window=Duration.days(7),
        )
        self.control_plane_log_group = secure_log_group(
            self,
            "ControlPlaneLogs",
            retention=props.log_retention,
            removal_policy=props.removal_policy,
            encryption_key=props.log_encryption_key,
        )
        log_group_resource = self.control_plane_log_group.node.default_child
        assert isinstance(log_group_resource, logs.CfnLogGroup)
        log_group_resource.log_group_name = f"/aws/eks/{props.cluster_name}/cluster"

        endpoint = (
            eks.EndpointAccess.PRIVATE
            if props.public_access_cidrs is None
            else eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*props.public_access_cidrs)
        )
        kubectl_options = (
            None
            if props.kubectl_layer is None
            else eks.KubectlProviderOptions(
                kubectl_layer=props.kubectl_layer, private_subnets=private_subnets.subnets
            )
        )
        auto_mode = props.compute_mode == "auto_mode"
        addons = (
            list(props.addons)
            if props.addons is not None
            else default_addon_specs(props.compute_mode, props.version.version)
        )
        self.cluster = eks.Cluster(
            self,
            "Cluster",
            cluster_name=props.cluster_name,
            version=props.version,
            vpc=props.vpc,
            vpc_subnets=[_control_plane_subnets(private, props.control_plane_zones)],
            endpoint_access=endpoint,
            cluster_logging=list(ALL_CONTROL_PLANE_LOGS),
            secrets_encryption_key=self.secrets_key,
            bootstrap_cluster_creator_admin_permissions=props.bootstrap_creator_admin,
            default_capacity_type=(
                eks.DefaultCapacityType.AUTOMODE if auto_mode else eks.DefaultCapacityType.NODEGROUP
            ),
            default_capacity=None if auto_mode else 0,
            compute=(
                eks.ComputeConfig(node_pools=["system", "general-purpose"]) if auto_mode else None
            ),
            kubectl_provider_options=kubectl_options,
            output_config_command=False,
            bootstrap_self_managed_addons=props.bootstrap_self_managed_addons,
            control_plane_scaling_tier=(
                None
                if props.control_plane_scaling_tier is None
                else eks.ControlPlaneScalingTier.of(props.control_plane_scaling_tier)
            ),
        )
        self.cluster.node.add_dependency(self.control_plane_log_group)
        _set_lifecycle(self.cluster, props)
        acknowledge_cluster_roles(self.cluster, auto_mode=auto_mode)
        grant_team_access(
            self.cluster,
            admins=props.cluster_admin_role_arns,
            viewers=props.viewer_role_arns,
            namespaced=props.namespace_access,
        )

        compute: list[Construct] = []
        self.node_role: iam.Role | None = None
        self.node_groups: dict[str, eks.Nodegroup] = {}
        if props.node_groups:
            cni_on_pod_identity = any(
                spec.name == "vpc-cni" and spec.pod_identity is not None for spec in addons
            )
            self.node_role = self._node_role(
                props.image_pull_repositories, cni_policy=not cni_on_pod_identity
            )
            for spec in props.node_groups:
                self.node_groups[spec.name] = self._node_group(
                    spec, self.node_role, private_subnets, version=props.version.version
                )
            compute.extend(self.node_groups.values())
        self.fargate_profiles: dict[str, eks.FargateProfile] = {}
        for profile in props.fargate_profiles:
            created = self.cluster.add_fargate_profile(
                profile.name,
                selectors=list(profile.selectors),
                subnet_selection=private_subnets,
                vpc=props.vpc,
            )
            _grant_pull(props.image_pull_repositories, created.pod_execution_role)
            acknowledge_service_policies(created.pod_execution_role, FARGATE_POD_EXECUTION_POLICIES)
            self.fargate_profiles[profile.name] = created
        compute.extend(self.fargate_profiles.values())

        self.addons, self.addon_roles = add_addons(
            self,
            self.cluster,
            addons=addons,
            compute=compute,
            take_over_self_managed=props.bootstrap_self_managed_addons,
        )
        if self.node_role is not None and "vpc-cni" in self.addon_roles:
            # An update that moves the CNI onto Pod Identity takes its policy off the node role
            # only once the add-on runs with its own role.
            self.node_role.node.add_dependency(self.addons["vpc-cni"])
        self.workload_roles: dict[str, iam.Role] = {}
        for identity in props.workload_identities:
            # Keyed by what the association is for, not its position: reordering the list must
            # not replace associations (EKS allows one per service account).
            role, association = add_workload_identity(
                self,
                f"WorkloadIdentity[{identity.namespace}|{identity.service_account}]",
                cluster=cast(eks.ICluster, self.cluster),
                spec=identity,
            )
            if "eks-pod-identity-agent" in self.addons:
                association.node.add_dependency(self.addons["eks-pod-identity-agent"])
            self.workload_roles[f"{identity.namespace}/{identity.service_account}"] = role
        self.argocd: eks.CfnCapability | None = None
        if props.argocd is not None:
            self.argocd, _ = add_argocd_capability(self, self.cluster, props.argocd)

        if self.cluster.kubectl_provider is not None:
            acknowledge_kubectl_provider(self.cluster.kubectl_provider)
            _provider_log_groups(self.cluster.kubectl_provider, props)

        self.sample_manifest: eks.KubernetesManifest | None = None
        if props.sample_workload is not None:
            self.sample_manifest = add_sample_workload(
                self.cluster, props.sample_workload, after=[*compute, *self.addons.values()]
            )

    def add_pod_identity(
        self, construct_id: str, *, namespace: str, service_account: str, role: iam.IRole
    ) -> eks.CfnPodIdentityAssociation:
        """Let pods of `service_account` in `namespace` assume `role` through EKS Pod Identity
        (the role must trust `pods.eks.amazonaws.com`; not available on Fargate)."""
        return eks.CfnPodIdentityAssociation(
            self,
            construct_id,
            cluster_name=self.cluster.cluster_name,
            namespace=namespace,
            service_account=service_account,
            role_arn=role.role_arn,
        )

    def _node_role(self, repositories: Sequence[ecr.IRepository], *, cni_policy: bool) -> iam.Role:
        names = (*NODE_MANAGED_POLICIES, *((CNI_POLICY,) if cni_policy else ()))
        role = iam.Role(
            self,
            "NodeRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="EKS managed nodes: join the cluster, pull images"
            + (", run the VPC CNI" if cni_policy else ""),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(name) for name in names
            ],
        )
        _grant_pull(repositories, role)
        acknowledge_service_policies(role, names)
        return role

    def _node_group(
        self, spec: NodeGroupSpec, role: iam.IRole, subnets: ec2.SubnetSelection, *, version: str
    ) -> eks.Nodegroup:
        # Our own launch template: IMDSv2 only, hop limit 1 so pods cannot reach the node role's
        # credentials (they use Pod Identity), and an encrypted gp3 root volume.
        template = ec2.LaunchTemplate(
            self,
            f"{spec.name}LaunchTemplate",
            http_endpoint=True,
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_put_response_hop_limit=1,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        spec.disk_size_gib,
                        encrypted=True,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        )
        group = self.cluster.add_nodegroup_capacity(
            spec.name,
            ami_type=(
                eks.NodegroupAmiType.AL2023_ARM_64_STANDARD
                if spec.graviton
                else eks.NodegroupAmiType.AL2023_X86_64_STANDARD
            ),
            capacity_type=eks.CapacityType.SPOT if spec.spot else eks.CapacityType.ON_DEMAND,
            instance_types=[ec2.InstanceType(name) for name in spec.instance_types],
            min_size=spec.min_size,
            max_size=spec.max_size,
            desired_size=spec.desired_size,
            labels=dict(spec.labels) or None,
            node_role=role,
            subnets=subnets,
            launch_template_spec=eks.LaunchTemplateSpec(
                id=template.launch_template_id or "",
                version=template.latest_version_number,
            ),
            release_version=spec.release_version,
        )
        # The control plane's version: a Kubernetes upgrade rolls the nodes in the same deploy
        # (after the control plane, which the group references), one minor at a time.
        resource = group.node.default_child
        assert isinstance(resource, eks.CfnNodegroup)
        resource.version = version
        return group


def _set_lifecycle(cluster: eks.Cluster, props: EksClusterProps) -> None:
    """Upgrade policy, deletion protection and zonal shift: AWS::EKS::Cluster properties that
    aws_eks_v2 has no props for (CloudFormation resource schema of AWS::EKS::Cluster, as cfn-lint
    ships it; each updates in place)."""
    resource = cluster.node.default_child
    assert isinstance(resource, eks.CfnCluster)
    resource.upgrade_policy = eks.CfnCluster.UpgradePolicyProperty(
        support_type=props.upgrade_support_type
    )
    if props.deletion_protection:
        resource.deletion_protection = True
    if props.zonal_shift:
        resource.zonal_shift_config = eks.CfnCluster.ZonalShiftConfigProperty(enabled=True)


def _grant_pull(repositories: Sequence[ecr.IRepository], role: iam.IRole) -> None:
    for repository in repositories:
        repository.grant_pull(role)
    if repositories:
        acknowledge_pull_grant(role)


def _provider_log_groups(scope: IConstruct, props: EksClusterProps) -> None:
    """The kubectl provider's log groups (they take no key or removal prop) get the log key and
    removal policy of the cluster's. Found by the config-space test: with the sample workload on,
    they were the only unencrypted (KMS logs) or retained (sandbox) log groups."""
    for child in scope.node.find_all():
        if isinstance(child, logs.CfnLogGroup):
            if props.log_encryption_key is not None and child.kms_key_id is None:
                child.kms_key_id = props.log_encryption_key.key_arn
            child.apply_removal_policy(props.removal_policy)


def _private_subnets(vpc: ec2.IVpc) -> list[ec2.ISubnet]:
    subnets = list(vpc.private_subnets) or list(vpc.isolated_subnets)
    if not subnets:  # unreachable from config: the Network construct always has a private tier
        raise ValueError("EksCluster: the VPC has no private subnets for the cluster and nodes")
    return subnets


def _control_plane_subnets(
    private: list[ec2.ISubnet], zones: Sequence[str] | None
) -> ec2.SubnetSelection:
    """The private subnets of `zones` (None: all): EKS keeps a cluster in the zones it was created
    in (EksClusterProps.control_plane_zones)."""
    if zones is None:
        return ec2.SubnetSelection(subnets=private)
    unknown = sorted(set(zones) - {subnet.availability_zone for subnet in private})
    if unknown:  # unreachable from config: eks.control_plane_zones within network's zones
        raise ValueError(f"EksCluster: control_plane_zones {unknown} have no private subnet")
    return ec2.SubnetSelection(subnets=[s for s in private if s.availability_zone in zones])
