"""eks-node-group-version-alone: an EKS managed node group's version updated together with
another of its settings.

EKS updates a node group's version (UpdateNodegroupVersion) apart from its other settings
(UpdateNodegroupConfig, tags), and the AWS::EKS::Nodegroup handler fails the update that asks for
both: "Version and ReleaseVersion updates cannot be combined with other updates" (UPDATE_FAILED
on a Kubernetes upgrade with a node group change, eksctl-io/eksctl#2565; with a launch template
change, aws/containers-roadmap#1258, open since 2021; with a tag change, aws/aws-cdk#16644; the
AWS::EKS::Nodegroup reference says tag updates cannot be combined with an update of
ReleaseVersion, Version or LaunchTemplate, awsdocs/aws-cloudformation-user-guide#1181). A new
version of the group's launch template is such a change though the group's own template text
does not change: its LaunchTemplate.Version is the template's LatestVersionNumber, which the
deploy moves. The cluster's control plane has been upgraded by then, so the rollback cannot
return the stack to where it was.
"""

from __future__ import annotations

from tools.plan.model import Impact, Refusal
from tools.plan.references import referenced_ids
from tools.plan.transition import Transition

RULE_ID = "eks-node-group-version-alone"
TITLE = "an EKS node group's Kubernetes version or AMI release updated with another of its settings"
ACCEPT_WHEN = (
    "the other settings of the node group are in fact unchanged in the account (the record is "
    "out of date: they were changed by hand to the new values after the last recorded deploy)"
)
NODE_GROUP = "AWS::EKS::Nodegroup"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
VERSION_SETTINGS = frozenset({"Version", "ReleaseVersion"})


def check(transition: Transition) -> list[Refusal]:
    refusals = []
    for stack, changes in transition.changes.items():
        templates = {
            change.logical_id
            for change in changes
            if change.resource_type == LAUNCH_TEMPLATE and change.impact == Impact.UPDATE
        }
        for change in changes:
            # Updated in place only: a node group created anew (replaced) takes every setting.
            if change.resource_type != NODE_GROUP or change.impact != Impact.UPDATE:
                continue
            changed = {c.name for c in change.changes if c.kind == "Property"}
            versions = changed & VERSION_SETTINGS
            if not versions:
                continue
            others = sorted(changed - VERSION_SETTINGS)
            resource = transition.target[stack].resources[change.logical_id]
            launch_template = (resource.get("Properties") or {}).get("LaunchTemplate")
            if referenced_ids(launch_template) & templates and "LaunchTemplate" not in others:
                others.append("LaunchTemplate (a new version of its launch template)")
            if others:
                refusals.append(
                    _refusal(transition, stack, change.logical_id, sorted(versions), others)
                )
    return refusals


def _refusal(
    transition: Transition, stack: str, group: str, versions: list[str], others: list[str]
) -> Refusal:
    after = transition.target[stack]
    reason = (
        f"{after.label(group)} changes {' and '.join(versions)} together with "
        f"{', '.join(others)}: EKS updates a node group's version apart from its other settings, "
        "and CloudFormation fails the update ('Version and ReleaseVersion updates cannot be "
        "combined with other updates') after the cluster's control plane has moved on"
    )
    steps = (
        "Deploy the version change alone first: keep the node group's other settings (its "
        "sizes, labels, instance types, disk size, capacity type, and the environment's tags) "
        "as deployed, `make plan`, `make deploy`.",
        "Then change the other settings in a deploy of their own.",
    )
    return Refusal(RULE_ID, stack, after.path(group), reason, steps)
