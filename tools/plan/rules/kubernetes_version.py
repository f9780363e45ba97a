"""kubernetes-version: an EKS cluster's Kubernetes version changed in a way EKS refuses, or that
leaves its managed node groups (`Version`) or add-ons (`AddonVersion`) behind.

EKS ("Update existing cluster to new Kubernetes version",
https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html, read 2026-12-03): a cluster
cannot be downgraded; the control plane moves one minor version per update; before the next
update, the managed and Fargate nodes must run the control plane's current minor. A node group
without `Version` and an add-on without `AddonVersion` are not moved by CloudFormation when the
cluster's `Version` changes (aws_eks_v2 sets neither; terraform-provider-aws#19478 has EKS's
refusal of the next upgrade while node groups lag).
"""

from __future__ import annotations

from typing import Any

from container_constructs.eks_versions import kubernetes_minor
from tools.plan.model import Refusal, StackTemplate
from tools.plan.references import canonical
from tools.plan.transition import Transition

RULE_ID = "kubernetes-version"
TITLE = "a Kubernetes version change that EKS refuses or that leaves node groups or add-ons behind"
ACCEPT_WHEN = (
    "node groups or add-ons are left behind and you update them by hand right after the deploy "
    "(`aws eks update-nodegroup-version`, `aws eks update-addon`), before the next version change"
)
CLUSTER = "AWS::EKS::Cluster"
NODE_GROUP = "AWS::EKS::Nodegroup"
ADDON = "AWS::EKS::Addon"


def check(transition: Transition) -> list[Refusal]:
    refusals = []
    for stack, logical_id, old_properties, new_properties in transition.kept_resources(CLUSTER):
        old_version, new_version = old_properties.get("Version"), new_properties.get("Version")
        was, now = kubernetes_minor(old_version), kubernetes_minor(new_version)
        if was is None or now is None or was == now:
            continue
        refusals.extend(
            _version_change(transition, stack, logical_id, str(old_version), str(new_version))
        )
    return refusals


def _members(stack: StackTemplate, state: Any, cluster: str, resource_type: str) -> dict[str, Any]:
    """The resources of `resource_type` in `stack` whose ClusterName is `cluster`'s Ref."""
    wanted = canonical({"Ref": cluster}, stack.name, state)
    return {
        logical_id: resource
        for logical_id, resource in stack.resources.items()
        if resource["Type"] == resource_type
        and canonical(resource.get("Properties", {}).get("ClusterName"), stack.name, state)
        == wanted
    }


def _version_change(
    transition: Transition, stack: str, cluster: str, old: str, new: str
) -> list[Refusal]:
    after = transition.target[stack]
    before = transition.base[stack]
    path = after.label(cluster)
    was, now = kubernetes_minor(old), kubernetes_minor(new)
    assert was is not None
    assert now is not None
    if now < was:
        reason = f"{path} goes from Kubernetes {old} to {new}: EKS cannot downgrade a cluster"
        steps: tuple[str, ...] = (
            f"Keep eks.kubernetes_version at {old} (or newer, one minor at a time).",
        )
        return [Refusal(RULE_ID, stack, after.path(cluster), reason, steps, acceptable=False)]
    if now[0] != was[0] or now[1] - was[1] > 1:
        step = f"{was[0]}.{was[1] + 1}"
        reason = (
            f"{path} goes from Kubernetes {old} to {new}: EKS moves the control plane one minor "
            "version per update and refuses this one"
        )
        steps = (
            f"Set eks.kubernetes_version to {step}, `make plan`, `make deploy`.",
            f"Repeat one minor at a time up to {new}, each deploy planned clean (node groups "
            "and add-ons at the control plane's version before the next).",
        )
        return [Refusal(RULE_ID, stack, after.path(cluster), reason, steps, acceptable=False)]
    behind = []
    old_groups = _members(before, transition.base, cluster, NODE_GROUP)
    for logical_id, group in _members(after, transition.target, cluster, NODE_GROUP).items():
        version = group.get("Properties", {}).get("Version")
        if version != new:
            behind.append(f"node group {after.label(logical_id)} (Version {version or 'unset'})")
        elif logical_id in old_groups and "Version" not in old_groups[logical_id].get(
            "Properties", {}
        ):
            behind.append(
                f"node group {after.label(logical_id)} (Version unset until now: its nodes may "
                f"be older than {old})"
            )
    for logical_id, addon in _members(after, transition.target, cluster, ADDON).items():
        if "AddonVersion" not in addon.get("Properties", {}):
            name = addon.get("Properties", {}).get("AddonName", logical_id)
            behind.append(f"add-on {name} (AddonVersion unset: EKS keeps its current version)")
    if not behind:
        return []
    reason = (
        f"{path} goes from Kubernetes {old} to {new}, but CloudFormation leaves "
        + "; ".join(behind)
        + f" behind; EKS then refuses the next upgrade until the nodes run {new}"
    )
    cluster_name = after.resources[cluster].get("Properties", {}).get("Name", "<cluster>")
    steps = (
        f"`make deploy PLAN_ACCEPT={RULE_ID}`: the control plane moves to {new}.",
        f"Right after, move what stays behind by hand: `aws eks update-nodegroup-version "
        f"--cluster-name {cluster_name} --nodegroup-name <name>` per node group, and `aws eks "
        f"update-addon --cluster-name {cluster_name} --addon-name <name> --addon-version "
        f"<version>` per add-on (`aws eks describe-addon-versions --kubernetes-version {new}`).",
        "Only then the next minor version. (Once node groups carry `Version` and add-ons "
        "`AddonVersion` following the cluster, the same change plans clean.)",
    )
    return [Refusal(RULE_ID, stack, after.path(cluster), reason, steps)]
