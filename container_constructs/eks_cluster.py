"""An Amazon EKS cluster on aws-cdk-lib's `aws_eks_v2` (native AWS::EKS::Cluster, access entries),
hardened by default: all control-plane logs, KMS envelope encryption of secrets, private nodes with
IMDSv2, managed add-ons, and an optional sample workload applied with kubectl."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from aws_cdk import (
    Acknowledgment,
    CfnCondition,
    CfnElement,
    Duration,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from container_constructs.common import default_policy, secure_log_group

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
AUTO_MODE_CLUSTER_POLICIES = (
    "AmazonEKSComputePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
)
AUTO_MODE_NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly")
ComputeMode = Literal["managed_nodes", "fargate", "auto_mode"]


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
    graviton: bool = False
    spot: bool = False
    min_size: int = 1
    max_size: int = 3
    desired_size: int = 2
    disk_size_gib: int = 20
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
class SampleWorkloadSpec:
    """A Deployment + ClusterIP Service (no cloud load balancer, so deletion stays clean).

    Attributes:
        image: image reference; must run as a non-root user. Required.
        container_port: port the container listens on (>= 1024, non-root). Default: 8080.
        replicas: Deployment replicas. Default: 2.
        namespace: namespace created for it. Default: sample.
    """

    image: str
    container_port: int = 8080
    replicas: int = 2
    namespace: str = "sample"


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
    compute_mode: ComputeMode = "managed_nodes"
    node_groups: Sequence[NodeGroupSpec] = ()
    fargate_profiles: Sequence[FargateProfileSpec] = ()
    public_access_cidrs: Sequence[str] | None = None
    cluster_admin_role_arns: Sequence[str] = ()
    bootstrap_creator_admin: bool = False
    addon_versions: Mapping[str, str] = field(default_factory=dict)
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
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
        auto_mode_node_role = self.cluster.node.try_find_child("ClusternodePoolRole")
        if isinstance(auto_mode_node_role, iam.Role):
            _acknowledge_service_policies(auto_mode_node_role, AUTO_MODE_NODE_POLICIES)
        _acknowledge_service_policies(
            self.cluster.role,
            ["AmazonEKSClusterPolicy", *(AUTO_MODE_CLUSTER_POLICIES if auto_mode else ())],
        )

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
            _acknowledge_service_policies(
                created.pod_execution_role, ["AmazonEKSFargatePodExecutionRolePolicy"]
            )
            self.fargate_profiles[profile.name] = created
        compute.extend(self.fargate_profiles.values())

        self.addons = self._addons(props, compute)

        if self.cluster.kubectl_provider is not None:
            _acknowledge_kubectl_provider(self.cluster.kubectl_provider)
            if props.log_encryption_key is not None:
                _encrypt_log_groups(self.cluster.kubectl_provider, props.log_encryption_key)

        self.sample_manifest: eks.KubernetesManifest | None = None
        if props.sample_workload is not None:
            self.sample_manifest = self.cluster.add_manifest(
                "SampleWorkload", *sample_workload_manifests(props.sample_workload)
            )
            for dependency in [*compute, *self.addons.values()]:
                self.sample_manifest.node.add_dependency(dependency)

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
        _acknowledge_service_policies(role, NODE_MANAGED_POLICIES)
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

    def _addons(self, props: EksClusterProps, compute: Sequence[Construct]) -> dict[str, eks.Addon]:
        if props.compute_mode == "auto_mode":
            return {}  # Auto Mode runs networking, DNS, kube-proxy and pod identity itself
        wanted: dict[str, Mapping[str, Any] | None] = {
            "vpc-cni": None,
            "kube-proxy": None,
            "coredns": {"computeType": "Fargate"} if props.compute_mode == "fargate" else None,
        }
        if props.compute_mode == "managed_nodes":
            wanted["eks-pod-identity-agent"] = None  # Pod Identity is not supported on Fargate
        addons: dict[str, eks.Addon] = {}
        for name, configuration in wanted.items():
            addon = eks.Addon(
                self,
                _pascal(name),
                cluster=cast(eks.ICluster, self.cluster),
                addon_name=name,
                addon_version=props.addon_versions.get(name),
                configuration_values=configuration,
                preserve_on_delete=False,
            )
            # EKS installs self-managed vpc-cni, kube-proxy and coredns at cluster creation; the
            # managed add-on takes them over with EKS's defaults instead of failing on a conflict.
            cfn_addon = addon.node.default_child
            if isinstance(cfn_addon, eks.CfnAddon):
                cfn_addon.resolve_conflicts = "OVERWRITE"
            if name in {"coredns", "eks-pod-identity-agent"}:
                # Their pods need somewhere to run before the add-on can become ACTIVE.
                for dependency in compute:
                    addon.node.add_dependency(dependency)
            addons[name] = addon
        return addons


def sample_workload_manifests(spec: SampleWorkloadSpec) -> list[dict[str, Any]]:
    """Namespace, Deployment (non-root, read-only root filesystem, probes, resources) and a
    ClusterIP Service of the sample workload."""
    labels = {"app.kubernetes.io/name": "sample", "app.kubernetes.io/part-of": "container-platform"}
    probe = {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 10}
    container = {
        "name": "app",
        "image": spec.image,
        "ports": [{"name": "http", "containerPort": spec.container_port}],
        "resources": {
            "requests": {"cpu": "100m", "memory": "64Mi"},
            "limits": {"memory": "128Mi"},
        },
        "readinessProbe": {**probe, "initialDelaySeconds": 2},
        "livenessProbe": {**probe, "initialDelaySeconds": 10, "failureThreshold": 3},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        # nginx writes its pid and caches under /tmp; a writable emptyDir keeps the root read-only.
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": spec.namespace, "labels": labels},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "sample", "namespace": spec.namespace, "labels": labels},
            "spec": {
                "replicas": spec.replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": 101,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [container],
                        "volumes": [{"name": "tmp", "emptyDir": {}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "sample", "namespace": spec.namespace, "labels": labels},
            "spec": {
                "type": "ClusterIP",
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            },
        },
    ]


def _validate(props: EksClusterProps) -> None:
    # Each raise here guards direct use of the construct; a validated platform config never
    # reaches one: platform_config rejects the same input first, naming the field
    # (tests/test_config_guards.py pairs every raise with its config message).
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
        Validations.of(default_policy(role)).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="ecr:GetAuthorizationToken supports no resource-level permissions; image "
                "pulls themselves are scoped to the granted repositories",
            )
        )


def _acknowledge_service_policies(role: iam.IRole, names: Sequence[str]) -> None:
    """Acknowledge cdk-nag's IAM4 for the AWS managed policies EKS requires on `role`: they are
    the documented, AWS-maintained permission sets of the cluster, node and pod execution roles
    (a hand-written copy would drift as EKS adds features)."""
    for name in names:
        Validations.of(role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]",
                reason=f"{name} is the AWS-maintained policy EKS documents for this role",
            )
        )


# What cdk-nag reports on aws-cdk-lib's own kubectl provider (Lambda handler + provider framework),
# which we cannot change short of forking it.
_KUBECTL_PROVIDER_FINDINGS = {
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaBasicExecutionRole]": "aws-cdk-lib's kubectl provider Lambdas log with this policy",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaVPCAccessExecutionRole]": "the kubectl handler runs in the VPC to reach the "
    "private API endpoint",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
    "AmazonEC2ContainerRegistryReadOnly]": "aws-cdk-lib's kubectl handler pulls Helm charts "
    "from ECR with it",
    "AwsSolutions-L1": "aws-cdk-lib pins the kubectl handler's Python runtime to match its layers",
}


def _encrypt_log_groups(scope: IConstruct, key: kms.IKey) -> None:
    """Encrypt the log groups aws-cdk-lib creates for the kubectl provider's functions with `key`
    (they take no key prop). Found by the config-space test: with KMS-encrypted logs and the
    sample workload on, these two log groups were the only unencrypted ones."""
    for child in scope.node.find_all():
        if isinstance(child, logs.CfnLogGroup) and child.kms_key_id is None:
            child.kms_key_id = key.key_arn


def _acknowledge_kubectl_provider(provider: eks.IKubectlProvider) -> None:
    for finding, reason in _KUBECTL_PROVIDER_FINDINGS.items():
        Validations.of(provider).acknowledge(
            Acknowledgment(id=f"AwsSolutions::{finding}", reason=reason)
        )
    stack = Stack.of(provider)
    handler = provider.node.find_child("Handler")
    handler_id = stack.get_logical_id(cast(CfnElement, handler.node.default_child))
    Validations.of(provider).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM5[Resource::<{handler_id}.Arn>:*]",
            reason="the provider framework invokes versions of its own kubectl handler only",
        )
    )
    # The handler's role adds ECR Public read-only under a condition (regions with ECR Public).
    condition = next(child for child in handler.node.children if isinstance(child, CfnCondition))
    condition_id = stack.get_logical_id(condition)
    public_ecr = json.dumps(
        {
            "Fn::If": [
                condition_id,
                {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly",
                        ],
                    ]
                },
                {"Ref": "AWS::NoValue"},
            ]
        },
        separators=(",", ":"),
    )
    Validations.of(provider).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM4[Policy::{public_ecr}]",
            reason="aws-cdk-lib's kubectl handler may pull public Helm charts from ECR Public",
        )
    )


def _private_subnets(vpc: ec2.IVpc) -> list[ec2.ISubnet]:
    subnets = list(vpc.private_subnets) or list(vpc.isolated_subnets)
    if not subnets:  # unreachable from config: the Network construct always has a private tier
        raise ValueError("EksCluster: the VPC has no private subnets for the cluster and nodes")
    return subnets


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
