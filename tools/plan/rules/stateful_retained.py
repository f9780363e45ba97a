"""stateful-retained: a stateful resource (repository, bucket, log group, key, file system, queue)
replaced or removed in an environment that retains them (production: `retain_stateful_resources`,
which the templates carry as DeletionPolicy and UpdateReplacePolicy Retain).

With Retain, a replacement makes a new, empty resource and leaves the old one, with its data, in
the account outside the stack; a removal orphans it ("DeletionPolicy attribute",
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
and "UpdateReplacePolicy attribute", read 2026-12-03). Nothing is lost yet, but the service now
uses the empty one. The sandbox (Delete) loses the data instead; the plan shows that as a
replace or delete, it does not refuse it.
"""

from __future__ import annotations

from tools.plan.keys import name_properties
from tools.plan.model import RETAINING_POLICIES, Impact, Refusal, ResourceChange, short_path
from tools.plan.transition import Transition

RULE_ID = "stateful-retained"
TITLE = "a retained stateful resource replaced or removed"
ACCEPT_WHEN = (
    "you have decided what happens to the old resource's data (copied to the new one, or kept "
    "as an archive) and will delete the old resource by hand when done"
)
# What each stateful type holds, for the message.
STATEFUL_TYPES = {
    "AWS::ECR::Repository": "images",
    "AWS::S3::Bucket": "objects",
    "AWS::Logs::LogGroup": "log events",
    "AWS::KMS::Key": "key material (what it encrypted needs it to decrypt)",
    "AWS::EFS::FileSystem": "files",
    # A worker's queue and its dead-letter queue: a queue left behind keeps what producers sent
    # and nothing consumes any more (or the failed messages nobody looked at).
    "AWS::SQS::Queue": "messages not yet received",
}


def check(transition: Transition) -> list[Refusal]:
    refusals = []
    for stack in transition.deployed:
        before = transition.base.get(stack)
        if before is None:
            continue
        for change in transition.changes.get(stack, ()):
            if change.resource_type not in STATEFUL_TYPES:
                continue
            resource = before.resources.get(change.logical_id, {})
            if change.impact.replaces and resource.get("UpdateReplacePolicy") in RETAINING_POLICIES:
                refusals.append(_replaced(stack, change))
            elif change.impact.removes and resource.get("DeletionPolicy") in RETAINING_POLICIES:
                names = name_properties(change.resource_type)
                properties = resource.get("Properties", {})
                named = bool(names) and all(name in properties for name in names)
                refusals.append(_removed(stack, change, named))
    return refusals


def _replaced(stack: str, change: ResourceChange) -> Refusal:
    holds = STATEFUL_TYPES[change.resource_type]
    label = short_path(stack, change.path)
    verb = "may be replaced" if change.impact == Impact.MAY_REPLACE else "is replaced"
    reason = (
        f"{label} ({change.resource_type}, UpdateReplacePolicy Retain) {verb} "
        f"({change.why}): CloudFormation creates a new, empty one and leaves the old one, with its "
        f"{holds}, in the account outside the stack"
    )
    steps = (
        f"Decide what happens to its {holds}: copied into the new one after the deploy, or kept "
        "in the old one as an archive.",
        f"Then `make deploy PLAN_ACCEPT={RULE_ID}`; delete the old one by hand when it is no "
        "longer needed (`make retained-resources` lists the retained resources).",
    )
    return Refusal(RULE_ID, stack, change.path, reason, steps)


def _removed(stack: str, change: ResourceChange, named: bool) -> Refusal:
    holds = STATEFUL_TYPES[change.resource_type]
    label = short_path(stack, change.path)
    name = " and its name" if named else ""
    reason = (
        f"{label} ({change.resource_type}, DeletionPolicy Retain) leaves the template: "
        f"CloudFormation orphans it: it stays in the account, outside any stack, with its {holds}"
        f"{name}"
    )
    steps = (
        "If it must stay managed, keep it in the config; to move it to another stack, deploy "
        "this and then `cdk import` it there (docs/deploying.md, Redeploying after destroy in "
        "production).",
        f"Otherwise `make deploy PLAN_ACCEPT={RULE_ID}` and delete it by hand when it is no "
        "longer needed.",
    )
    return Refusal(RULE_ID, stack, change.path, reason, steps)
