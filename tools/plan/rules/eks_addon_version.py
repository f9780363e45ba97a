"""eks-addon-version: an EKS add-on that EKS updates one minor version at a time moved by more.

Amazon EKS user guide, "Update information" of the Amazon VPC CNI and of the EKS Pod Identity
Agent add-ons (https://docs.aws.amazon.com/eks/latest/userguide/add-ons-vpc-cni.html,
https://docs.aws.amazon.com/eks/latest/userguide/add-ons-pod-id.html, read 2026-12-05): "You can
only update one minor version at a time. For example, if your current version is
1.28.x-eksbuild.y and you want to update to 1.30.x-eksbuild.y, then you must update your current
version to 1.29.x-eksbuild.y and then update it again". EKS's UpdateAddon refuses the VPC CNI's
with "InvalidParameterException: Updating VPC-CNI can only go up or down 1 minor version at a
time" (terraform-aws-modules/terraform-aws-eks#2749, v1.13.4 to v1.15.0), which CloudFormation
reports as the add-on's update failing, and the stack rolls back. An `AddonVersion` change
updates the add-on in place (AWS::EKS::Addon), so the deploy is where it fails. The platform's
version table moving such an add-on by two minors (docs/eks.md) is refused the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from container_constructs.eks_versions import addon_version_minor
from tools.plan.model import Refusal, StackTemplate
from tools.plan.transition import Transition

RULE_ID = "eks-addon-version"
TITLE = "an EKS add-on that EKS updates one minor version at a time moved by more"
ACCEPT_WHEN = (
    "the add-on already runs a version within one minor of the new one (updated outside "
    "CloudFormation after the last recorded deploy, `aws eks describe-addon`), so the record is "
    "out of date"
)
ADDON = "AWS::EKS::Addon"
CLUSTER = "AWS::EKS::Cluster"
# The add-ons whose EKS documentation says "You can only update one minor version at a time".
ONE_MINOR_AT_A_TIME = ("vpc-cni", "eks-pod-identity-agent")


def check(transition: Transition) -> list[Refusal]:
    refusals = []
    for stack, logical_id, old_properties, new_properties in transition.kept_resources(ADDON):
        name = new_properties.get("AddonName")
        if name not in ONE_MINOR_AT_A_TIME or old_properties.get("AddonName") != name:
            continue
        was = addon_version_minor(old_properties.get("AddonVersion"))
        now = addon_version_minor(new_properties.get("AddonVersion"))
        if was is None or now is None:
            continue
        if was[0] == now[0] and abs(now[1] - was[1]) <= 1:
            continue
        refusals.append(
            _refusal(transition, stack, logical_id, str(name), old_properties, new_properties)
        )
    return refusals


def _kubernetes_version(stack: StackTemplate, properties: Mapping[str, Any]) -> str:
    """The Kubernetes version of the add-on's cluster, where the add-on names it by Ref."""
    ref = properties.get("ClusterName")
    cluster = stack.resources.get(ref["Ref"], {}) if isinstance(ref, dict) and "Ref" in ref else {}
    version = cluster.get("Properties", {}).get("Version")
    if cluster.get("Type") == CLUSTER and isinstance(version, str):
        return version
    return "<the cluster's version>"


def _refusal(
    transition: Transition,
    stack: str,
    addon: str,
    name: str,
    old_properties: Mapping[str, Any],
    new_properties: Mapping[str, Any],
) -> Refusal:
    after = transition.target[stack]
    old, new = str(old_properties["AddonVersion"]), str(new_properties["AddonVersion"])
    was, now = addon_version_minor(old), addon_version_minor(new)
    assert was is not None
    assert now is not None
    direction = 1 if now > was else -1
    step = f"v{was[0]}.{was[1] + direction}" if was[0] == now[0] else None
    kubernetes = _kubernetes_version(after, new_properties)
    reason = (
        f"{after.label(addon)} ({name}) goes from {old} to {new}: EKS updates {name} one minor "
        "version at a time and refuses this update, and the stack rolls back"
    )
    listing = (
        f"`aws eks describe-addon-versions --addon-name {name} --kubernetes-version {kubernetes}`"
    )
    first = (
        f"Set eks.addons.{name}.version to the latest {step}.x build {listing} lists, "
        "`make plan`, `make deploy`."
        if step
        else f"Choose the versions between {old} and {new} from {listing}, one minor apart, "
        f"and set eks.addons.{name}.version to the first, `make plan`, `make deploy`."
    )
    steps = (
        first,
        f"Repeat one minor per deploy until {new}, each deploy planned clean (the last sets the "
        "version wanted, or removes the pin where the platform's table gives it).",
    )
    return Refusal(RULE_ID, stack, after.path(addon), reason, steps)
