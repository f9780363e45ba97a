"""An Amazon EKS cluster on aws-cdk-lib's `aws_eks_v2` (native AWS::EKS::Cluster, access entries),
hardened by default: all control-plane logs, KMS envelope encryption of secrets, private nodes with
IMDSv2, managed add-ons, and an optional sample workload applied with kubectl.

This module holds the cluster and its compute; its companions hold the add-ons
(`eks_addons.py`), the sample workload (`eks_sample_workload.py`) and the cdk-nag
acknowledgements (`eks_acknowledgements.py`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from container_constructs import defaults
from container_constructs.common import DEFAULT_LOG_RETENTION, secure_log_group
from container_constructs.eks_acknowledgements import (
    FARGATE_POD_EXECUTION_POLICIES,
    acknowledge_cluster_roles,
    acknowledge_kubectl_provider,
    acknowledge_pull_grant,
    acknowledge_service_policies,
)
from container_constructs.eks_addons import ComputeMode, add_managed_addons
from container_constructs.eks_sample_workload import SampleWorkloadSpec, add_sample_workload

__all__ = [
    "ComputeMode",
    "EksCluster",
    "EksClusterProps",
    "FargateProfileSpec",
    "NodeGroupSpec",
    "SampleWorkloadSpec",
]

ALL_CONTROL_PLANE_LOGS = (
    eks.ClusterLoggingTypes.API,
    eks.ClusterLoggingTypes.AUDIT,
    eks.ClusterLoggingTypes.AUTHENTICATOR,
    eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
    eks.ClusterLoggingTypes.SCHEDULER,
)
# Managed node roles: pull-only ECR access (EKS's own add-on images live in EKS-owned registries).
NODE_MANAGED_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
)


@dataclass(frozen=True, kw_only=True)
class NodeGroupSpec:
    """One managed node group, AL2023 AMI, in the cluster's private subnets.

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
class EksClusterProps:
    """Props of `EksCluster`.

    Attributes:
        vpc: VPC with private subnets (with egress, or isolated with endpoints). Required.
        cluster_name: EKS cluster name (also names the control-plane log group). Required.
        version: Kubernetes version. Required.
        compute_mode: "managed_nodes" (node_groups), "fargate" (fargate_profiles) or
            "auto_mode" (EKS Auto Mode, its system and general-purpose node pools).
            Default: "managed_nodes".
        node_groups: managed node groups. Default: none (required with managed_nodes).
        fargate_profiles: Fargate profiles. Default: none (with fargate, one must select
            kube-system for CoreDNS).
        public_access_cidrs: when given, the API endpoint is public-and-private, the public side
            limited to these CIDRs. Default: None (private endpoint only).
        cluster_admin_role_arns: IAM roles given AmazonEKSClusterAdminPolicy through access
            entries. Default: none.
        bootstrap_creator_admin: make the deploying principal a cluster admin. Changing it
            replaces the cluster. Default: False.
        addon_versions: pinned add-on versions by add-on name. Default: EKS's default version
            of each add-on for `version`.
        log_retention: control-plane log retention. Default: one month.
        log_encryption_key: KMS key for the control-plane log group. Default: none.
        removal_policy: of the secrets key and log group. Default: RETAIN.
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
    public_access_cidrs: Sequence[str] | None = None
    cluster_admin_role_arns: Sequence[str] = ()
    bootstrap_creator_admin: bool = defaults.BOOTSTRAP_CREATOR_ADMIN
    addon_versions: Mapping[str, str] = field(default_factory=dict)
    log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION
    log_encryption_key: kms.IKey | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    kubectl_layer: lambda_.ILayerVersion | None = None
    sample_workload: SampleWorkloadSpec | None = None
    image_pull_repositories: Sequence[ecr.IRepository] = ()


class EksCluster(Construct):
    """An EKS cluster with API-mode authentication (access entries), all five control-plane log
    types, Kubernetes secrets encrypted with a rotating customer KMS key, control plane and nodes
    in private subnets, IMDSv2-only nodes, and the vpc-cni, coredns, kube-proxy and
    eks-pod-identity-agent managed add-ons (Auto Mode has these built in).

    Attributes:
        cluster: the `aws_eks_v2.Cluster`.
        secrets_key: the KMS key encrypting Kubernetes secrets.
        control_plane_log_group: `/aws/eks/<name>/cluster`, created before the cluster so it has
            a retention and goes away with the stack.
        node_role: the role of the managed nodes (None unless managed_nodes).
        node_groups: managed node groups by name.
        fargate_profiles: Fargate profiles by name.
        addons: managed add-ons by name.
        sample_manifest: the sample workload's manifest (None unless requested).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: EksClusterProps) -> None:
        super().__init__(scope, construct_id)
        _validate(props)
        private_subnets = ec2.SubnetSelection(subnets=_private_subnets(props.vpc))

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
        self.cluster = eks.Cluster(
            self,
            "Cluster",
            cluster_name=props.cluster_name,
            version=props.version,
            vpc=props.vpc,
            vpc_subnets=[private_subnets],
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
        )
        self.cluster.node.add_dependency(self.control_plane_log_group)
        acknowledge_cluster_roles(self.cluster, auto_mode=auto_mode)

        for index, role_arn in enumerate(props.cluster_admin_role_arns):
            self.cluster.grant_access(
                f"ClusterAdmin{index}",
                role_arn,
                [
                    eks.AccessPolicy.from_access_policy_name(
                        "AmazonEKSClusterAdminPolicy", access_scope_type=eks.AccessScopeType.CLUSTER
                    )
                ],
            )

        compute: list[Construct] = []
        self.node_role: iam.Role | None = None
        self.node_groups: dict[str, eks.Nodegroup] = {}
        if props.node_groups:
            self.node_role = self._node_role(props.image_pull_repositories)
            for spec in props.node_groups:
                self.node_groups[spec.name] = self._node_group(
                    spec, self.node_role, private_subnets
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

        self.addons = add_managed_addons(
            self,
            self.cluster,
            compute_mode=props.compute_mode,
            versions=props.addon_versions,
            compute=compute,
        )

        if self.cluster.kubectl_provider is not None:
            acknowledge_kubectl_provider(self.cluster.kubectl_provider)
            if props.log_encryption_key is not None:
                _encrypt_log_groups(self.cluster.kubectl_provider, props.log_encryption_key)

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

    def _node_role(self, repositories: Sequence[ecr.IRepository]) -> iam.Role:
        role = iam.Role(
            self,
            "NodeRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="EKS managed nodes: join the cluster, run the VPC CNI, pull images",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(name)
                for name in NODE_MANAGED_POLICIES
            ],
        )
        _grant_pull(repositories, role)
        acknowledge_service_policies(role, NODE_MANAGED_POLICIES)
        return role

    def _node_group(
        self, spec: NodeGroupSpec, role: iam.IRole, subnets: ec2.SubnetSelection
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
        return self.cluster.add_nodegroup_capacity(
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
        )


def _validate(props: EksClusterProps) -> None:
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


def _grant_pull(repositories: Sequence[ecr.IRepository], role: iam.IRole) -> None:
    for repository in repositories:
        repository.grant_pull(role)
    if repositories:
        acknowledge_pull_grant(role)


def _encrypt_log_groups(scope: IConstruct, key: kms.IKey) -> None:
    """Encrypt the log groups aws-cdk-lib creates for the kubectl provider's functions with `key`
    (they take no key prop). Found by the config-space test: with KMS-encrypted logs and the
    sample workload on, these two log groups were the only unencrypted ones."""
    for child in scope.node.find_all():
        if isinstance(child, logs.CfnLogGroup) and child.kms_key_id is None:
            child.kms_key_id = key.key_arn


def _private_subnets(vpc: ec2.IVpc) -> list[ec2.ISubnet]:
    subnets = list(vpc.private_subnets) or list(vpc.isolated_subnets)
    if not subnets:  # unreachable from config: the Network construct always has a private tier
        raise ValueError("EksCluster: the VPC has no private subnets for the cluster and nodes")
    return subnets
