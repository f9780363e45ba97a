"""eks-upgrade-policy: an EKS cluster whose Kubernetes version is in extended support, switched
from the EXTENDED upgrade policy to STANDARD.

"You cannot disable extended support once your cluster has entered it. You can only disable
extended support for clusters on standard support" (Amazon EKS user guide, "Prevent increased
cluster costs by disabling EKS extended support",
https://docs.aws.amazon.com/eks/latest/userguide/disable-extended-support.html, read 2026-12-05).
STANDARD is what disables it ("Use STANDARD to disable extended support", AWS::EKS::Cluster
UpgradePolicy), and EXTENDED is the default when a template sets no UpgradePolicy. So the EKS
stack's update fails at the cluster (UpdateClusterConfig) once the deployed version is past the
end of its standard support (container_constructs/eks_versions.py, on the day the plan runs).
When the same deploy also moves the version, the order in which CloudFormation applies the
version and the policy is not documented: the version goes first, in a deploy of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from container_constructs.eks_versions import KUBERNETES_RELEASES
from tools.plan.model import Refusal
from tools.plan.transition import Transition

RULE_ID = "eks-upgrade-policy"
TITLE = "an EKS cluster in extended support switched to the STANDARD upgrade policy"
ACCEPT_WHEN = (
    "the cluster no longer runs the recorded version: it was upgraded outside CloudFormation "
    "to a version on standard support"
)
CLUSTER = "AWS::EKS::Cluster"
STANDARD = "STANDARD"
# What EKS applies when UpgradePolicy is not set (AWS::EKS::Cluster UpgradePolicy: "The default
# value is EXTENDED").
DEFAULT_SUPPORT_TYPE = "EXTENDED"


def support_type(properties: Mapping[str, Any]) -> Any:
    return properties.get("UpgradePolicy", {}).get("SupportType", DEFAULT_SUPPORT_TYPE)


def in_extended_support(version: Any, today: date) -> date | None:
    """The day `version` entered extended support if it has by `today`, else None (also for a
    version the release table does not know)."""
    release = KUBERNETES_RELEASES.get(version) if isinstance(version, str) else None
    if release is None or today < release.end_of_standard_support:
        return None
    return release.end_of_standard_support


def check(transition: Transition) -> list[Refusal]:
    if transition.today is None:
        return []
    refusals = []
    for stack, logical_id, old_properties, new_properties in transition.kept_resources(CLUSTER):
        if support_type(new_properties) != STANDARD or support_type(old_properties) == STANDARD:
            continue
        version = old_properties.get("Version")
        since = in_extended_support(version, transition.today)
        if since is None:
            continue
        refusals.append(
            _refusal(
                transition, stack, logical_id, str(version), new_properties.get("Version"), since
            )
        )
    return refusals


def _refusal(
    transition: Transition, stack: str, cluster: str, version: str, new_version: Any, since: date
) -> Refusal:
    assert transition.today is not None
    after = transition.target[stack]
    standard = [
        minor
        for minor, release in KUBERNETES_RELEASES.items()
        if release.end_of_standard_support > transition.today
    ]
    reason = (
        f"{after.label(cluster)} runs Kubernetes {version}, in extended support since "
        f"{since.isoformat()}, and its upgrade policy goes from EXTENDED to STANDARD: EKS disables "
        "extended support only for a cluster on standard support"
    )
    moving = (
        f" (this deploy also moves it to {new_version}: deploy that first, the policy unchanged)"
        if new_version != version
        else ""
    )
    steps = (
        f"Keep eks.upgrade_policy EXTENDED{moving}.",
        "Upgrade eks.kubernetes_version one minor at a time to a version on standard support "
        f"({', '.join(standard) or 'none in the release table'}), each deploy planned clean.",
        "Then set eks.upgrade_policy to STANDARD, `make plan`, `make deploy`.",
    )
    return Refusal(RULE_ID, stack, after.path(cluster), reason, steps)
