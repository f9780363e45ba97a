"""EKS Pod Identity for an `EksCluster` (a companion of `eks_cluster.py`): IAM roles that pods
assume through the Pod Identity agent, for add-ons (`eks_addons.py`) and for workloads (a
namespace and service account each, `CfnPodIdentityAssociation`). Native CloudFormation only:
no IRSA OIDC provider, no kubectl."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_constructs.eks_acknowledgements import acknowledge_service_policies

__all__ = [
    "POD_IDENTITY_PRINCIPAL",
    "PodIdentityRoleSpec",
    "WorkloadIdentitySpec",
    "add_workload_identity",
    "pod_identity_role",
]

# "EKS Pod Identity ... the role's trust policy allows pods.eks.amazonaws.com to sts:AssumeRole
# and sts:TagSession" (Amazon EKS user guide, pod-id-role; read 2026-12-03).
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


@dataclass(frozen=True, kw_only=True)
class PodIdentityRoleSpec:
    """The permissions of one Pod Identity role.

    Attributes:
        aws_managed_policies: AWS managed policy names (e.g. `AmazonEKS_CNI_Policy`), acknowledged
            for cdk-nag as the policy AWS documents for this service account. Default: none.
        managed_policy_arns: customer managed policy ARNs. Default: none.
        statements: inline policy statements. Default: none.
    """

    aws_managed_policies: Sequence[str] = ()
    managed_policy_arns: Sequence[str] = ()
    statements: Sequence[iam.PolicyStatement] = ()


@dataclass(frozen=True, kw_only=True)
class WorkloadIdentitySpec:
    """AWS permissions for the pods of one service account.

    Attributes:
        namespace: Kubernetes namespace. Required.
        service_account: service account name in it. Required.
        permissions: the role's policies. Required.
    """

    namespace: str
    service_account: str
    permissions: PodIdentityRoleSpec


def pod_identity_role(
    scope: Construct, construct_id: str, *, description: str, spec: PodIdentityRoleSpec
) -> iam.Role:
    """A role that EKS Pod Identity can hand to pods, with `spec`'s policies."""
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=iam.SessionTagsPrincipal(iam.ServicePrincipal(POD_IDENTITY_PRINCIPAL)),
        description=description,
        managed_policies=[
            *(iam.ManagedPolicy.from_aws_managed_policy_name(n) for n in spec.aws_managed_policies),
            *(
                iam.ManagedPolicy.from_managed_policy_arn(scope, f"{construct_id}Policy{i}", arn)
                for i, arn in enumerate(spec.managed_policy_arns)
            ),
        ],
    )
    for statement in spec.statements:
        role.add_to_policy(statement)
    if spec.aws_managed_policies:
        acknowledge_service_policies(role, spec.aws_managed_policies, holder=description)
    return role


def add_workload_identity(
    scope: Construct, construct_id: str, *, cluster: eks.ICluster, spec: WorkloadIdentitySpec
) -> tuple[iam.Role, eks.CfnPodIdentityAssociation]:
    """The role of `spec` (construct id `<construct_id>Role`) and its Pod Identity association
    (`<construct_id>`) with `spec.namespace`/`spec.service_account` on `cluster`."""
    role = pod_identity_role(
        scope,
        f"{construct_id}Role",
        description=f"Pods of service account {spec.namespace}/{spec.service_account}",
        spec=spec.permissions,
    )
    association = eks.CfnPodIdentityAssociation(
        scope,
        construct_id,
        cluster_name=cluster.cluster_name,
        namespace=spec.namespace,
        service_account=spec.service_account,
        role_arn=role.role_arn,
    )
    return role, association
