"""stack-left-app: a deployed stack the app no longer has.

`cdk deploy` deploys the app's stacks and never deletes one that left it: "cdk deploy leaves stack
deployed if a stack is removed from application", intended behaviour (aws/aws-cdk#13676, open;
aws/aws-cdk-cli#787 asks for the change, open, read 2026-12-03). What the config removed that way
keeps running as deployed: a service whose stack emptied keeps serving, its
listener rule keeps its priority, and a service moved to another stack runs twice, the old copy
answering first.
"""

from __future__ import annotations

from tools.plan.model import Refusal
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
        assembly = transition.recorded_app([name])
        reason = (
            f"the app no longer has {name}: `cdk deploy` leaves it and everything in it running "
            f"as deployed ({len(stack.resources)} resources; services keep serving and their "
            "listener rules keep their priorities)"
        )
        steps = (
            f"Destroy it first: `node_modules/.bin/cdk destroy --app {assembly} {name}` (what "
            "`make destroy` runs for each recorded stack the app lacks).",
            "Then `make deploy`.",
        )
        refusals.append(Refusal(RULE_ID, name, name, reason, steps))
    return refusals
