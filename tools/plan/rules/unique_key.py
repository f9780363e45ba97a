"""unique-key: an ALB listener rule taking a priority (or a listener taking a port) that another
rule (listener) still holds when it is created or updated.

ELB refuses a second rule at a priority of the same listener ("PriorityInUse: The specified priority
is in use", CreateRule/SetRulePriorities errors in the Elastic Load Balancing API reference,
https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html, read
2026-12-03) and a second listener on a port of the same load balancer ("DuplicateListener").
CloudFormation creates new rules before it deletes removed ones and updates rules one by one, so a
renamed service's new rule clashes with its old one, and two rules that swap priorities in one
deploy clash with each other. EC2 answers Resource.AlreadyAssociated for an internet gateway
attached to another VPC and for a NAT gateway on an Elastic IP another NAT gateway holds (sources
in tools/plan/keys.py): a VPC replaced (its CIDR changed) replaces its gateway attachment on the
same internet gateway, and a public subnet replaced (its zone swapped) replaces its NAT gateway on
the same Elastic IP, each while the old copy still holds it. EKS creates one capability of each type
per cluster (CreateCapability): an Argo CD capability replaced (renamed, or a create-only property
of its configuration changed) is created while the old one still exists. When keys clash:
tools/plan/keys.py.
"""

from __future__ import annotations

from typing import Any

from tools.plan.keys import Clash, clashes, holder_label
from tools.plan.model import Impact, Refusal
from tools.plan.references import canonical
from tools.plan.rules.subnet_cidr import REBUILD_NETWORK
from tools.plan.transition import Transition

RULE_ID = "unique-key"
TITLE = (
    "a listener-rule priority, listener port, internet gateway, NAT gateway's Elastic IP or EKS "
    "capability type taken while another resource still holds it"
)
ACCEPT_WHEN = (
    "the resource holding the key no longer exists in the account (deleted by hand after the "
    "last recorded deploy), so the record is out of date"
)
# What the service answers a second holder of each kind of key.
ERRORS = {
    "priority": "ELB answers PriorityInUse",
    "port": "ELB answers DuplicateListener",
    "attachment": "EC2 answers Resource.AlreadyAssociated",
    "address": "EC2 answers Resource.AlreadyAssociated",
    "capability type": "EKS creates one capability of each type per cluster",
}
KINDS = frozenset(ERRORS)
# The network keys, by their property: what EC2 lets go of only once its holder is deleted.
NETWORK_KEYS = {
    "InternetGatewayId": "the internet gateway",
    "VpnGatewayId": "the VPN gateway",
    "AllocationId": "the Elastic IP",
}
RULE_TYPE = "AWS::ElasticLoadBalancingV2::ListenerRule"
MAX_PRIORITY = 50000


def check(transition: Transition) -> list[Refusal]:
    return [_refusal(transition, clash) for clash in clashes(transition, KINDS)]


def free_priority(transition: Transition, stack: str, listener: Any) -> int:
    """A priority no rule of the listener holds before or after the deploy: one above the highest
    (ELB allows 1 to 50000)."""
    wanted = canonical(listener, stack, transition.target)
    used = [0]
    for state in (transition.base, transition.target):
        for name, holder in state.items():
            for resource in holder.resources.values():
                properties = resource.get("Properties", {})
                if resource.get("Type") != RULE_TYPE or "ListenerArn" not in properties:
                    continue
                if canonical(properties["ListenerArn"], name, state) == wanted:
                    priority = properties.get("Priority")
                    if isinstance(priority, int):
                        used.append(priority)
    return min(max(used) + 1, MAX_PRIORITY)


def _refusal(transition: Transition, clash: Clash) -> Refusal:
    stack, logical_id = clash.taker
    holder_stack, holder_id = clash.holder
    path = transition.target[stack].label(logical_id)
    subject = transition.target[stack].path(logical_id)
    holder_path = holder_label(transition, stack, clash.holder)
    key = clash.key.describe()
    reason = (
        f"{path} ({clash.taker_impact.value}) takes {key}, which {holder_path} holds: "
        f"{clash.holder_fate}; {ERRORS[clash.key.kind]} and the update fails"
    )
    if clash.key.properties[0] in NETWORK_KEYS:
        held = NETWORK_KEYS[clash.key.properties[0]]
        holder, taker = (
            (f"the old copy of {path}", "the new one")
            if clash.same_resource
            else (holder_path, path)
        )
        steps = (
            f"Keep the network as it was deployed: EC2 lets go of {held} only once {holder} is "
            f"deleted, which CloudFormation does after it creates {taker}, so no deploy moves "
            "it (for the platform's network: keep network.vpc_cidr, and the zones of "
            "network.availability_zones, added at the end only; docs/changing.md).",
            REBUILD_NETWORK,
        )
        return Refusal(RULE_ID, stack, subject, reason, steps)
    if holder_stack != stack and holder_stack not in transition.deployed:
        steps = (
            f"Free it first: `make deploy STACKS={holder_stack}` if the app still has that stack "
            f"(its new template drops or moves {holder_path}), else destroy it "
            f"({transition.destroy_command([holder_stack])}).",
            "Then `make deploy`.",
        )
        return Refusal(RULE_ID, stack, subject, reason, steps)
    if clash.key.kind == "priority":
        free = free_priority(transition, stack, clash.key.literal[0])
        holder_impact = transition.impact(holder_stack, holder_id)
        if holder_impact is not None and holder_impact.removes:
            steps = (
                f"Remove the old one first and `make deploy` (for a service: take it out of the "
                "config; its requests go to the next matching rule until the next step). Where "
                "both may serve side by side (different routes), the new one can go first "
                f"instead, at a free priority ({free}), and take {clash.key.literal[1]} later.",
                f"Then add the new one at {clash.key.literal[1]} and `make deploy`.",
            )
        else:
            steps = (
                f"Move {holder_path} off {clash.key.literal[1]} first, to a free priority "
                f"({free}), and `make deploy`.",
                "Then deploy the change: no rule gives up a priority another takes in the "
                "same deploy.",
            )
        return Refusal(RULE_ID, stack, subject, reason, steps)
    steps = (
        f"Remove or move {holder_path} in a deploy of its own first (`make deploy`).",
        "Then deploy the change.",
    )
    if clash.same_resource:
        steps = (
            f"Deploy once without {path} (take what creates it out of the config; for the Argo CD "
            "capability: eks.argocd.enabled false), `make deploy`.",
            "Then deploy the change: the new one is created once the old one is gone.",
        )
    elif clash.taker_impact == Impact.ADD:
        steps = (f"Deploy without {path} first, with {holder_path} removed.", steps[1])
    return Refusal(RULE_ID, stack, subject, reason, steps)
