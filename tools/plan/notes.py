"""What a deploy does that no rule refuses but a reader easily misses: printed with the plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.plan.model import Impact, Note
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


def check_notes(transition: Transition) -> list[Note]:
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
