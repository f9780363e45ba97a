"""stack-left-app: a deployed stack the app no longer has.

`cdk deploy` deploys the app's stacks and never deletes one that left it: "cdk deploy leaves stack
deployed if a stack is removed from application", intended behaviour (aws/aws-cdk#13676, open;
aws/aws-cdk-cli#787 asks for the change, open, read 2026-12-03). What the config removed that way
keeps running as deployed: a service whose stack emptied keeps serving, its
listener rule keeps its priority, and a service moved to another stack runs twice, the old copy
answering first.

Destroying it first is the way out, unless a stack that stays imports one of its exports: "You
can't delete a stack if another stack references one of its outputs" (AWS, Fn::ImportValue,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-importvalue.html,
read 2026-12-05), e.g. a worker removed together with the `send_to` of the service that sent to
its queue. Those importers are deployed alone first: their new templates no longer import it.
Importers that left the app too are destroyed with it (one `cdk destroy`, importers first).
"""

from __future__ import annotations

from tools.plan.model import RETAINING_POLICIES, Refusal, StackTemplate
from tools.plan.references import exports, imported_names, importers_of
from tools.plan.transition import Transition

RULE_ID = "stack-left-app"
TITLE = "a deployed stack the app no longer has (cdk deploy leaves it running)"
ACCEPT_WHEN = (
    "you mean to leave the stack running as deployed for now (e.g. to drain it) and will "
    "destroy it later; `make destroy` of the environment removes it too"
)


def check(transition: Transition) -> list[Refusal]:
    refusals = []
    for name, stack in transition.base.items():
        if name in transition.app:
            continue
        reason = (
            f"the app no longer has {name}: `cdk deploy` leaves it and everything in it running "
            f"as deployed ({len(stack.resources)} resources; services keep serving and their "
            "listener rules keep their priorities)"
        )
        kept = sorted(
            stack.label(logical_id)
            for logical_id, resource in stack.resources.items()
            if resource.get("DeletionPolicy") in RETAINING_POLICIES
        )
        if kept:
            reason += (
                f"; destroying it leaves what it retains in the account, outside any stack: "
                f"{', '.join(kept)}"
            )
        importing = importers_of(transition.base, stack)
        users = [user for user in importing if user in transition.app]
        # Importers that left the app too go in the same destroy, which deletes them first.
        gone = [user for user in importing if user not in transition.app]
        destroy = transition.destroy_command([*gone, name])
        if gone:
            verb = "imports" if len(gone) == 1 else "import"
            destroy += f" ({' and '.join(gone)}, which left the app too, {verb} from it)"
        if not users:
            steps: tuple[str, ...] = (f"Destroy it first: {destroy}.", "Then `make deploy`.")
        else:
            listed = " and ".join(users)
            reason += (
                f"; and CloudFormation refuses to delete it while {listed} "
                f"import{'s' if len(users) == 1 else ''} its exports"
            )
            ready = all(
                user in transition.deployed and not _imports_from(transition.target[user], stack)
                for user in users
            )
            # This refusal stands until the destroy: the first deploy accepts it.
            command = f'`make deploy STACKS="{" ".join(users)}" PLAN_ACCEPT={RULE_ID}`'
            first = (
                f"First deploy {listed} alone: {command} (the new templates no longer import "
                f"from {name})."
                if ready
                else f"First deploy {listed} with a config in which they import nothing from "
                f"{name}: {command}."
            )
            steps = (first, f"Then destroy {name}: {destroy}.", "Then `make deploy`.")
        refusals.append(Refusal(RULE_ID, name, name, reason, steps))
    return refusals


def _imports_from(template: StackTemplate, producer: StackTemplate) -> bool:
    return bool(imported_names(template.template) & set(exports(producer)))
