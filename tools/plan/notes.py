"""What a deploy does that no rule refuses but a reader easily misses: printed with the plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.plan.model import Impact, Note
from tools.plan.notes_workloads import workload_notes
from tools.plan.references import referenced_ids
from tools.plan.transition import Transition

ASG = "AWS::AutoScaling::AutoScalingGroup"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
# UpdatePolicy keys with which CloudFormation replaces an Auto Scaling group's instances itself
# ("UpdatePolicy attribute", AWS CloudFormation template reference; AutoScalingInstanceRefresh:
# an instance refresh on a launch template change, the EC2 cluster's policy, issue 25 item 3).
ROLLING_POLICIES = (
    "AutoScalingRollingUpdate",
    "AutoScalingReplacingUpdate",
    "AutoScalingInstanceRefresh",
)
INSTANCES_KEEP_TEMPLATE = "instances-keep-launch-template"
ECS_SERVICE = "AWS::ECS::Service"
LISTENER_RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
# The ECS deployment controller rewrites the production listener rule of a service released with
# one of these: a weighted forward over both target groups, the weights swung at every release
# (observed live: github.com/go-to-k/cdk-real-drift/issues/1730; the rule ending on a target
# group without healthy targets: github.com/aws/containers-roadmap/issues/2853). CloudFormation
# updates a rule with the template's actions, a forward to the primary target group.
TRAFFIC_SHIFTING = frozenset({"BLUE_GREEN", "CANARY", "LINEAR"})
SHIFTED_RULE_REWRITTEN = "shifted-rule-rewritten"


def check_notes(transition: Transition) -> list[Note]:
    """What a deploy does that is easy to miss: _instances_keep_template, _shifted_rules."""
    return (
        _instances_keep_template(transition)
        + _shifted_rules(transition)
        + workload_notes(transition)
    )


def _shifted_rules(transition: Transition) -> list[Note]:
    """A production listener rule ECS shifts traffic on, updated or replaced by the deploy: its
    own change, or a resource it names replaced (a target group on a new port), which
    CloudFormation updates it for though the diff engine lists only the replaced one."""
    notes = []
    for stack in transition.deployed:
        if stack not in transition.base:
            continue
        changed = {
            change.logical_id
            for change in transition.changes.get(stack, ())
            if change.resource_type == LISTENER_RULE
            and change.impact != Impact.ADD
            and not change.impact.removes
        }
        renewed = {logical_id for name, logical_id in transition.renewed if name == stack}
        base = transition.base[stack]
        kept = transition.target[stack].resources
        for rule, service in _production_rules(base.resources).items():
            if rule not in kept or service not in kept:
                continue  # a service that stays (a renamed one is new, its target groups with it)
            if rule in changed or referenced_ids(kept[rule].get("Properties")) & renewed:
                notes.append(
                    Note(
                        SHIFTED_RULE_REWRITTEN,
                        stack,
                        transition.target[stack].path(rule),
                        f"the production rule of {base.label(service)}, released by traffic "
                        "shifting, changes: ECS rewrote its forward action at the last release "
                        "(both target groups, weighted) and CloudFormation writes the template's "
                        "back, all traffic to the primary target group, which has no healthy "
                        "targets when the last release ended on the alternate one. Right after "
                        "the deploy, see which group has healthy targets (`aws elbv2 "
                        "describe-target-health`); if it is the alternate one, forward the rule "
                        "to it again (`aws elbv2 modify-rule`; docs/releasing.md, The test "
                        "route)",
                    )
                )
    return notes


def _production_rules(resources: Mapping[str, Any]) -> dict[str, str]:
    """Listener rule -> the service released by traffic shifting whose production rule it is."""
    rules = {}
    for logical_id, resource in resources.items():
        properties = resource.get("Properties", {}) or {}
        if resource.get("Type") != ECS_SERVICE:
            continue
        strategy = (properties.get("DeploymentConfiguration") or {}).get("Strategy")
        if strategy not in TRAFFIC_SHIFTING:
            continue
        for balancer in properties.get("LoadBalancers", []) or []:
            advanced = balancer.get("AdvancedConfiguration", {}) or {}
            for rule in referenced_ids(advanced.get("ProductionListenerRule")):
                rules[rule] = logical_id
    return rules


def _instances_keep_template(transition: Transition) -> list[Note]:
    """An Auto Scaling group whose launch template changes but that nothing rolls."""
    notes = []
    for stack in transition.deployed:
        changed = {
            change.logical_id
            for change in transition.changes.get(stack, ())
            if change.resource_type == LAUNCH_TEMPLATE and change.impact != Impact.ADD
        }
        if not changed:
            continue
        template = transition.target[stack]
        for logical_id, resource in template.resources.items():
            if resource["Type"] != ASG or not referenced_ids(resource.get("Properties")) & changed:
                continue
            if _rolls(resource) or transition.impact(stack, logical_id) in (
                Impact.ADD,
                Impact.REPLACE,
            ):
                continue
            notes.append(
                Note(
                    INSTANCES_KEEP_TEMPLATE,
                    stack,
                    template.path(logical_id),
                    "its launch template changes (a new version), but the group has no rolling "
                    "update policy: running instances keep the old image and settings until "
                    "they are replaced (scale-in, Spot interruption, or an instance refresh: "
                    "`aws autoscaling start-instance-refresh`)",
                )
            )
    return notes


def _rolls(resource: Mapping[str, Any]) -> bool:
    policy = resource.get("UpdatePolicy", {})
    return any(key in policy for key in ROLLING_POLICIES)
