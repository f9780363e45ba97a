"""The EKS Argo CD capability of an `EksCluster` (a companion of `eks_cluster.py`): managed
GitOps on native CloudFormation (`AWS::EKS::Capability`), its IAM role, and IAM Identity Center
sign-in. docs/eks.md shows how to point it at a Git repository."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_constructs import defaults

__all__ = ["CAPABILITY_PRINCIPAL", "ArgoCdSpec", "add_argocd_capability"]

# "Create an IAM Capability Role ... Principal: capabilities.eks.amazonaws.com, Action:
# sts:AssumeRole, sts:TagSession ... For this basic setup, no additional IAM policies are needed"
# (Amazon EKS user guide, argocd-create-cli; read 2026-12-03).
CAPABILITY_PRINCIPAL = "capabilities.eks.amazonaws.com"

ArgoCdRole = Literal["ADMIN", "EDITOR", "VIEWER"]
IdentityType = Literal["SSO_USER", "SSO_GROUP"]


@dataclass(frozen=True, kw_only=True)
class ArgoCdSpec:
    """The Argo CD capability.

    Attributes:
        idc_instance_arn: the IAM Identity Center instance Argo CD signs users in with
            (`aws sso-admin list-instances`). Required.
        idc_region: the Identity Center instance's region. Default: None (the cluster's).
        namespace: where Argo CD keeps its Applications. Default: argocd.
        capability_name: unique in the cluster. Default: argocd.
        role_mappings: Argo CD role -> Identity Center (identity id, SSO_USER or SSO_GROUP)
            pairs. Default: none (nobody can sign in until mapped).
        managed_policy_arns: customer managed policies for the capability role (CodeConnections,
            Secrets Manager repositories). Default: none.
    """

    idc_instance_arn: str
    idc_region: str | None = None
    namespace: str = defaults.ARGOCD_NAMESPACE
    capability_name: str = "argocd"
    role_mappings: Mapping[ArgoCdRole, Sequence[tuple[str, IdentityType]]] = field(
        default_factory=dict
    )
    managed_policy_arns: Sequence[str] = ()


def add_argocd_capability(
    scope: Construct, cluster: eks.Cluster, spec: ArgoCdSpec
) -> tuple[eks.CfnCapability, iam.Role]:
    """The capability (construct id `ArgoCd`) and its role (`ArgoCdRole`). EKS gives the role an
    access entry on this cluster with no Kubernetes permissions; docs/eks.md grants them. The
    role's AWS permissions are `spec.managed_policy_arns` only (none for public repositories)."""
    role = iam.Role(
        scope,
        "ArgoCdRole",
        assumed_by=iam.SessionTagsPrincipal(iam.ServicePrincipal(CAPABILITY_PRINCIPAL)),
        description="EKS Argo CD capability",
        managed_policies=[
            iam.ManagedPolicy.from_managed_policy_arn(scope, f"ArgoCdPolicy{index}", arn)
            for index, arn in enumerate(spec.managed_policy_arns)
        ],
    )
    capability = eks.CfnCapability(
        scope,
        "ArgoCd",
        capability_name=spec.capability_name,
        cluster_name=cluster.cluster_name,
        type="ARGOCD",
        role_arn=role.role_arn,
        # The only value CloudFormation accepts: Argo CD's Applications stay when it goes.
        delete_propagation_policy="RETAIN",
        configuration=eks.CfnCapability.CapabilityConfigurationProperty(
            argo_cd=eks.CfnCapability.ArgoCdProperty(
                aws_idc=eks.CfnCapability.AwsIdcProperty(
                    idc_instance_arn=spec.idc_instance_arn, idc_region=spec.idc_region
                ),
                namespace=spec.namespace,
                rbac_role_mappings=[
                    eks.CfnCapability.ArgoCdRoleMappingProperty(
                        role=argocd_role,
                        identities=[
                            eks.CfnCapability.SsoIdentityProperty(id=identity, type=kind)
                            for identity, kind in identities
                        ],
                    )
                    for argocd_role, identities in sorted(spec.role_mappings.items())
                ]
                or None,
            )
        ),
    )
    capability.node.add_dependency(cluster)
    return capability, role
