"""Access entries of an `EksCluster` (a companion of `eks_cluster.py`): cluster admins,
read-only viewers and namespace-scoped teams, each an IAM role with EKS access policies (the
cluster's authentication mode is API: no aws-auth ConfigMap, no kubectl)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_eks_v2 as eks

from container_constructs.eks_props import NamespaceAccessSpec

__all__ = ["NAMESPACE_POLICIES", "grant_team_access"]

# EKS access policies (Amazon EKS user guide, access-policy-permissions; read 2026-12-03).
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "AmazonEKSViewPolicy"
NAMESPACE_POLICIES = {
    "edit": "AmazonEKSEditPolicy",
    "admin": "AmazonEKSAdminPolicy",
    "view": VIEW_POLICY,
}


def grant_team_access(
    cluster: eks.Cluster,
    *,
    admins: Sequence[str],
    viewers: Sequence[str],
    namespaced: Sequence[NamespaceAccessSpec],
) -> None:
    """One access entry per role: `ClusterAdmin<i>` (AmazonEKSClusterAdminPolicy on the
    cluster), `Viewer[<arn>]` (AmazonEKSViewPolicy on the cluster) and `NamespaceAccess[<arn>]`
    (its policy scoped to its namespaces). EKS allows one entry per principal: the config refuses
    a role named twice. Viewers and teams are keyed by their role, so reordering a list replaces
    no entry (a replacement would create the principal's second entry before deleting the
    first); admins keep their positional ids, which deployed clusters already have."""
    for index, role_arn in enumerate(admins):
        cluster.grant_access(
            f"ClusterAdmin{index}", role_arn, [_policy(CLUSTER_ADMIN_POLICY, namespaces=())]
        )
    for role_arn in viewers:
        cluster.grant_access(
            f"Viewer[{_key(role_arn)}]", role_arn, [_policy(VIEW_POLICY, namespaces=())]
        )
    for spec in namespaced:
        cluster.grant_access(
            f"NamespaceAccess[{_key(spec.role_arn)}]",
            spec.role_arn,
            [_policy(NAMESPACE_POLICIES[spec.policy], namespaces=spec.namespaces)],
        )


def _key(role_arn: str) -> str:
    """A role ARN as part of a construct id (which cannot hold '/')."""
    return role_arn.replace("/", "|")


def _policy(name: str, *, namespaces: Sequence[str]) -> eks.IAccessPolicy:
    if not namespaces:
        return eks.AccessPolicy.from_access_policy_name(
            name, access_scope_type=eks.AccessScopeType.CLUSTER
        )
    return eks.AccessPolicy.from_access_policy_name(
        name, access_scope_type=eks.AccessScopeType.NAMESPACE, namespaces=list(namespaces)
    )
