"""fixed-name: a resource with a fixed physical name replaced, or a new logical id (a rename, a move
to another stack) taking a name the old resource still holds.

CloudFormation replaces a resource by creating the new one first and deleting the old one at the
end of the update ("Update behaviors of stack resources",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html,
read 2026-12-03: "Replacement ... CloudFormation creates a new resource, switches to it, and then
deletes the old one"), and deletes a removed logical id in the same final cleanup. With a fixed name
(an ECR RepositoryName, a LogGroupName, an EKS cluster's Name) the create fails: "<name> already
exists". What names a resource: tools/plan/keys.py. The same holds for a name that a retained
resource outside every stack keeps, orphaned by an earlier deploy or destroy: the ledger of
tools/plan/orphans.py.
"""

from __future__ import annotations

from tools.plan.keys import Clash, base_keys_of, clashes, holder_label, resource_keys
from tools.plan.model import FOUND_IN_ACCOUNT, RETAINING_POLICIES, Impact, Orphan, Refusal
from tools.plan.references import importers_of
from tools.plan.transition import Transition

RULE_ID = "fixed-name"
TITLE = "a fixed physical name taken while the old resource still holds it"
ACCEPT_WHEN = (
    "the old resource no longer exists in the account under that name (deleted or renamed by "
    "hand after the last recorded deploy, or adopted into its new stack with `cdk import`), so "
    "the record is out of date"
)
KINDS = frozenset({"name"})


def check(transition: Transition) -> list[Refusal]:
    refusals = [_refusal(transition, clash) for clash in clashes(transition, KINDS)]
    return refusals + _orphan_refusals(transition)


def _orphan_refusals(transition: Transition) -> list[Refusal]:
    """A resource the deploy creates (or renames) under a name an orphaned resource holds."""
    by_key = {orphan.key: orphan for orphan in transition.orphaned}
    refusals = []
    for stack in transition.deployed:
        for change in transition.changes.get(stack, ()):
            if change.impact.removes:
                continue
            resource = transition.target[stack].resources[change.logical_id]
            # Names it held before: in its stack, not an orphan's (a replacement under one is its
            # clash with itself).
            kept = {key.value for key in base_keys_of(transition, stack, change.logical_id)}
            for key in resource_keys(stack, resource, transition.target):
                orphan = by_key.get(key.value)
                if key.kind == "name" and orphan is not None and key.value not in kept:
                    refusals.append(_orphan_refusal(transition, stack, change.logical_id, orphan))
    return refusals


def _orphan_refusal(transition: Transition, stack: str, logical_id: str, orphan: Orphan) -> Refusal:
    target = transition.target[stack]
    path = target.label(logical_id)
    if orphan.why == FOUND_IN_ACCOUNT:
        return _account_refusal(transition, stack, logical_id, orphan)
    reason = (
        f"{path} ({orphan.resource_type}) takes the {orphan.name} that {orphan.stack}/"
        f"{orphan.path} holds: {orphan.why} by an earlier deploy or destroy with a retaining "
        "policy, it stays in the account outside any stack (build/orphaned-<env>.json); the "
        "create fails: already exists"
    )
    steps = (
        f"Adopt it as {path} instead: `make retained-resources ENV=...` writes the `cdk import` "
        "mapping of the stack's retained named resources; import it (docs/deploying.md, "
        "Redeploying after destroy in production). Or, when what it holds is no longer needed, "
        "delete it by hand.",
        "Then `make deploy PLAN_ACCEPT=fixed-name`: the name leaves the ledger once a deploy "
        "holds it.",
    )
    return Refusal(RULE_ID, stack, target.path(logical_id), reason, steps)


def _account_refusal(
    transition: Transition, stack: str, logical_id: str, orphan: Orphan
) -> Refusal:
    """A name the plan found held in the account, in no deployed stack of the environment
    (tools/plan/account_orphans.py)."""
    target = transition.target[stack]
    path = target.label(logical_id)
    reason = (
        f"{path} ({orphan.resource_type}) takes the {orphan.name}, which a resource in the "
        "account already holds outside every stack of this environment (retained by an earlier "
        "destroy, or made by hand); the create fails: already exists"
    )
    steps = (
        f"Adopt it as {path}: `make retained-resources ENV=...` writes the `cdk import` mapping "
        "of the stack's retained named resources; import it (docs/deploying.md, Redeploying "
        "after destroy in production). Or, when what it holds is no longer needed, delete it by "
        "hand.",
        "Then `make deploy`: the plan finds the name held by its stack (imported), or free "
        "(deleted).",
    )
    return Refusal(RULE_ID, stack, target.path(logical_id), reason, steps)


def _refusal(transition: Transition, clash: Clash) -> Refusal:
    stack, logical_id = clash.taker
    holder_stack = clash.holder[0]
    target = transition.target[stack]
    resource_type = target.resources[logical_id]["Type"]
    path = target.label(logical_id)
    name = clash.key.describe()
    if clash.same_resource:
        change = next(c for c in transition.changes[stack] if c.logical_id == logical_id)
        verb = "may be replaced" if change.impact == Impact.MAY_REPLACE else "is replaced"
        reason = (
            f"{path} ({resource_type}) {verb} ({change.why}) and keeps its {name}: CloudFormation "
            "creates the new one first and the create fails (already exists): the old one holds "
            f"the name ({clash.holder_fate})"
        )
        users = importers_of(transition.base, transition.base[stack])
        steps = (
            f"Free the name first. Either deploy once without it (take what creates {path}, and "
            f"what uses it, out of the config; importers first: `make deploy STACKS=...`), or, "
            "where the config cannot do without it, destroy its stack and the stacks importing "
            f"from it: {transition.destroy_command([*users, stack])}. With "
            "DeletionPolicy Retain the old one stays in the account: save what it holds, then "
            "delete it by hand.",
            "Then deploy the change (`make deploy`): the new one is created under the free name.",
        )
        return Refusal(RULE_ID, stack, target.path(logical_id), reason, steps)
    holder_path = holder_label(transition, stack, clash.holder)
    reason = (
        f"{path} ({resource_type}, {clash.taker_impact.value}) takes the {name} that "
        f"{holder_path} holds: {clash.holder_fate}; the create fails: already exists"
    )
    holder = transition.base[holder_stack].resources.get(clash.holder[1], {})
    free: tuple[str, ...]
    if holder.get("DeletionPolicy") in RETAINING_POLICIES:
        # Leaving the template does not free the name: the retained resource keeps it, outside
        # any stack, and a later plan no longer sees it.
        free = (
            f"{holder_path} is retained (DeletionPolicy Retain): that deploy leaves it in the "
            f"account with its {name} (`make deploy PLAN_ACCEPT=stateful-retained`). Save what it "
            "holds, then delete it by hand; or, to keep it as the new one instead, `cdk import` it "
            f"as {path} (docs/deploying.md, Redeploying after destroy in production).",
            f"Then `make deploy PLAN_ACCEPT=fixed-name` with {path}, once the old one is gone: "
            "the ledger of orphaned names (build/orphaned-<env>.json, tools/plan/orphans.py) keeps "
            "the name the first deploy leaves behind until a deploy holds it again.",
        )
    else:
        free = ("Then `make deploy`: the name is free.",)
    if holder_stack != stack:
        first = (
            f"Free the name first: `make deploy STACKS={holder_stack}` (its new template drops "
            f"{holder_path}; if {holder_stack} is not in the app any more, destroy it: "
            f"{transition.destroy_command([holder_stack])})."
        )
    else:
        first = (
            f"Deploy the removal first: a config without {holder_path}'s item and without the "
            f"new one yet (where the config needs one, a stand-in under another name); "
            "`make deploy`."
        )
    return Refusal(RULE_ID, stack, target.path(logical_id), reason, (first, *free))
