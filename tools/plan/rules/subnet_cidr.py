"""subnet-cidr-in-use: a subnet the deploy creates (added, or a replacement) whose CIDR overlaps a
subnet that is still in the same VPC when it is created.

"A subnet CIDR block must not overlap the CIDR block of an existing subnet in the VPC" (AWS CLI
reference, `aws ec2 create-subnet`, read 2026-12-04), and CloudFormation creates a replacement
before it deletes the old resource, deleting replaced and removed ones only in the update's
final cleanup ("Update behaviors of stack resources"). So a subnet replaced with its CIDR kept
(its zone changed: a zone swapped in `network.availability_zones`) fails to create, and so does a
new subnet on an address an old one keeps until the cleanup. Subnets of a VPC the deploy
replaces are in a new VPC and are left out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from tools.plan.model import Impact, Refusal, State, resources_of_type
from tools.plan.references import canonical
from tools.plan.transition import Transition

RULE_ID = "subnet-cidr-in-use"
TITLE = "a new subnet on an address an existing subnet of its VPC still holds"
ACCEPT_WHEN = (
    "the subnet holding the address was deleted by hand after the last recorded deploy, so the "
    "record is out of date"
)
SUBNET = "AWS::EC2::Subnet"
REBUILD_NETWORK = (
    "To change them anyway, rebuild the network: `make destroy ENV=...` and deploy again "
    "(production retains stateful resources: docs/deploying.md, Redeploying after destroy "
    "in production)."
)


def _subnets(
    state: State, renewed: frozenset[tuple[str, str]]
) -> Iterator[tuple[str, str, str, Any]]:
    """(stack, logical id, its VPC as a comparable string, its IPv4 network) of each subnet."""
    for stack, logical_id, resource in resources_of_type(state, SUBNET):
        properties = resource.get("Properties", {})
        cidr = properties.get("CidrBlock")
        if isinstance(cidr, str):
            vpc = canonical(properties.get("VpcId"), stack, state, renewed)
            yield stack, logical_id, vpc, ipaddress.ip_network(cidr, strict=False)


def check(transition: Transition) -> list[Refusal]:
    renewed = frozenset(
        (stack, change.logical_id)
        for stack, changes in transition.changes.items()
        for change in changes
        if change.impact.replaces
    )
    existing = list(_subnets(transition.base, frozenset()))
    refusals = []
    for stack, logical_id, vpc, network in _subnets(transition.target, renewed):
        impact = transition.impact(stack, logical_id)
        if impact is None or not (impact.replaces or impact == Impact.ADD):
            continue
        for old_stack, old_id, old_vpc, old_network in existing:
            if old_vpc == vpc and network.overlaps(old_network):
                refusals.append(
                    _refusal(transition, (stack, logical_id), (old_stack, old_id), network)
                )
                break
    return refusals


def _refusal(
    transition: Transition, new: tuple[str, str], old: tuple[str, str], network: Any
) -> Refusal:
    target = transition.target[new[0]]
    path = target.label(new[1])
    holder = transition.base[old[0]].label(old[1])
    same = " (its own old version, until the cleanup)" if new == old else ""
    reason = (
        f"{path} is created on {network}, which {holder}{same} still holds in the VPC when it is: "
        "EC2 refuses a subnet that overlaps an existing one, and the update fails"
    )
    steps = (
        "Keep the zones the network was deployed with (network.availability_zones: add zones at "
        "the end, never swap or remove one; docs/changing.md).",
        REBUILD_NETWORK,
    )
    return Refusal(RULE_ID, new[0], target.path(new[1]), reason, steps)
