"""eks-cluster-zones: an EKS cluster updated onto a subnet in an Availability Zone it was not
created in.

"All subnets that you add must be in the same set of AZs as originally provided when you created
the cluster" (Amazon EKS user guide, "View Amazon EKS networking requirements for VPC and
subnets", https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html, read 2026-12-05;
aws/containers-roadmap#2330 asks for it: "not supported by the AWS service and you have to
recreate the entire EKS control plane"). The platform puts the cluster in the private subnets of
every zone of network.availability_zones unless eks.control_plane_zones names some, so a zone
added makes the EKS stack's update fail at the cluster (UpdateClusterConfig) after the network
stack has added the zone. Zones are read from the subnets' AvailabilityZone in the stack that
exports them.
"""

from __future__ import annotations

from typing import Any

from tools.plan.model import Impact, Refusal, State
from tools.plan.references import referenced_resource
from tools.plan.transition import Transition

RULE_ID = "eks-cluster-zones"
TITLE = "an EKS cluster updated onto subnets of an Availability Zone it was not created in"
ACCEPT_WHEN = (
    "the cluster was created with subnets in that zone (its subnets were changed by hand or "
    "outside this record since), so EKS accepts it"
)
CLUSTER = "AWS::EKS::Cluster"


def check(transition: Transition) -> list[Refusal]:
    refusals = []
    for stack in transition.deployed:
        base = transition.base.get(stack)
        if base is None:
            continue
        for change in transition.changes.get(stack, ()):
            if change.resource_type != CLUSTER or change.impact != Impact.UPDATE:
                continue
            old = base.resources.get(change.logical_id, {})
            new = transition.target[stack].resources[change.logical_id]
            was = _zones(old, stack, transition.base)
            now = _zones(new, stack, transition.target)
            if was is None or now is None or now <= was:
                continue
            refusals.append(_refusal(transition, stack, change.logical_id, was, now - was))
    return refusals


def _zones(cluster: Any, stack: str, state: State) -> set[str] | None:
    """The zones of the cluster's subnets; None when one cannot be told from the templates."""
    subnets = cluster.get("Properties", {}).get("ResourcesVpcConfig", {}).get("SubnetIds")
    if not isinstance(subnets, list):
        return None
    zones = set()
    for subnet in subnets:
        zone = _zone(subnet, stack, state)
        if zone is None:
            return None
        zones.add(zone)
    return zones


def _zone(value: Any, stack: str, state: State) -> str | None:
    found = referenced_resource(value, stack, state)
    if found is None:
        return None
    subnet = state[found[0]].resources[found[1]]
    zone = subnet.get("Properties", {}).get("AvailabilityZone")
    return zone if subnet.get("Type") == "AWS::EC2::Subnet" and isinstance(zone, str) else None


def _refusal(
    transition: Transition, stack: str, logical_id: str, was: set[str], added: set[str]
) -> Refusal:
    target = transition.target[stack]
    path = target.label(logical_id)
    reason = (
        f"{path} is updated onto subnets in {', '.join(sorted(added))}, but it was created in "
        f"{', '.join(sorted(was))}: EKS accepts new cluster subnets only in the zones the cluster "
        "was created in, so its stack's update fails at the cluster (the network keeps the zone)"
    )
    steps = (
        "Keep the control plane in the zones it was created in: set eks.control_plane_zones to "
        f"{sorted(was)} in the same change (its node groups and Fargate profiles use every "
        "zone), then `make deploy`.",
        f"Or recreate the cluster in every zone: {transition.destroy_command([stack])} (its "
        "workloads, add-ons and access entries "
        "go with it; production retains what it retains: docs/deploying.md), then `make deploy`.",
    )
    return Refusal(RULE_ID, stack, target.path(logical_id), reason, steps)
