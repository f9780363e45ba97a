"""export-in-use: an export removed or changed while another deployed stack imports it.

CloudFormation refuses to delete or change an export another stack imports: "Export <name> cannot
be deleted as it is in use by <stack>" (the producer's update fails and rolls back). The CDK
deploys a producer before the stacks that import from it, so a change that moves an importer to a
new export (e.g. services moving from the HTTP to the HTTPS listener) removes the old export while
the importer, not deployed yet, still uses it. When the importers' new templates no longer import
it and import nothing the deployed stacks do not export yet, the way out needs no code: deploy
the importers alone first (`make deploy STACKS=...`, the CLI's `--exclusively`), then the rest.
AWS, Fn::ImportValue restrictions
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-importvalue.html,
read 2026-12-03): "You can't modify or remove an output value that is referenced by another
stack." The CDK's two-deployment way out is `Stack.export_value` (its docstring in aws-cdk-lib
2.275: it "will temporarily ensure that the CloudFormation Export still exists while you remove
the reference from the consuming stack", under the automatic reference's export name).
"""

from __future__ import annotations

from tools.plan.model import Refusal, StackTemplate
from tools.plan.references import (
    Export,
    canonical,
    exports,
    imported_names,
    importers,
    referenced_ids,
)
from tools.plan.transition import Transition

RULE_ID = "export-in-use"
TITLE = "an export removed or changed while another stack imports it"
ACCEPT_WHEN = (
    "the importing stacks named are gone or no longer import it in the account (e.g. deleted by "
    "hand after the last recorded deploy), so the record is out of date"
)


def check(transition: Transition) -> list[Refusal]:
    refusals = []
    for producer in transition.deployed:
        before = transition.base.get(producer)
        after = transition.target[producer]
        if before is None:
            continue
        new_exports = exports(after)
        for name, export in exports(before).items():
            users = importers(transition.base, name, producer)
            if not users:
                continue
            successor = new_exports.get(name)
            if successor is None:
                what = "removes"
            elif canonical(export.value, producer, transition.base) != canonical(
                successor.value, producer, transition.target, transition.renewed
            ):
                what = "changes"
            else:
                continue
            refusals.append(_refusal(transition, export, what, users, before, after))
    return refusals


def _refusal(
    transition: Transition,
    export: Export,
    what: str,
    users: list[str],
    before: StackTemplate,
    after: StackTemplate,
) -> Refusal:
    producer = export.stack
    importing = " and ".join(users)
    named = sorted(referenced_ids(export.value) & set(before.resources))
    resource = named[0] if named else None
    shown = before.label(resource) if resource else f"output {export.output}"
    renewed = resource is not None and (producer, resource) in transition.renewed
    which = f"{shown}, which is replaced" if renewed and what == "changes" else shown
    reason = (
        f"{producer} {what} export {export.name} (the value of {which}) while {importing} "
        f"import{'s' if len(users) == 1 else ''} it; the CDK deploys {producer} first and "
        f'CloudFormation refuses: "Export {export.name} cannot be deleted as it is in use by '
        f'{importing}"'
    )
    survives = (
        resource is not None
        and what == "removes"
        and resource in after.resources
        and (producer, resource) not in transition.renewed
    )
    # Importers that left the app are never deployed again: only their destroy frees the export.
    left = [user for user in users if user not in transition.app]
    staying = [user for user in users if user in transition.app]
    destroy: tuple[str, ...] = ()
    if left:
        them = "it" if len(left) == 1 else "them"
        destroy = (
            f"{' and '.join(left)} left the app (the config no longer makes {them}): destroy "
            f"{them} first: {transition.destroy_command(left)}.",
        )
    moving = " and ".join(staying)
    if not staying:
        steps: tuple[str, ...] = (f"Then `make deploy`: nothing imports {export.name} any more.",)
    elif _deployable_first(transition, export.name, staying):
        stacks = " ".join(staying)
        steps = (
            f"{'Then' if destroy else 'First'} deploy the importers alone: "
            f'`make deploy STACKS="{stacks}"` (their new '
            f"templates no longer import {export.name}, and everything they do import is "
            "exported already).",
            f"Then `make deploy`: nothing imports {export.name} any more.",
        )
    elif survives:
        steps = (
            f"Keep the export for one deploy: in the code that builds {producer}, add "
            f"`stack.export_value(...)` of the value of {shown} (the CDK then keeps the same "
            f"export name), and run `make deploy`: {producer} keeps {export.name} while the "
            f"importers ({moving}) move to the new references.",
            f"Remove that `export_value` and run `make deploy` again: nothing imports "
            f"{export.name} any more and CloudFormation deletes it.",
        )
    elif what == "removes":
        steps = (
            f"First move {moving} off {export.name} while {shown} is still as "
            "deployed: deploy the change in a form that keeps that resource (and, with "
            "`stack.export_value(...)`, its export) and lets the importers use its successor.",
            "Then deploy the change itself: nothing imports the old export any more.",
        )
    else:
        stacks = " ".join(staying)
        steps = (
            f'First deploy the importers without the reference: `make deploy STACKS="{stacks}"` '
            f"with a config in which they do not use {shown}, or destroy them "
            f"({transition.destroy_command(staying)}).",
            f"Then deploy the change ({producer} exports the new value), then the importers with "
            "their reference back.",
        )
    return Refusal(RULE_ID, producer, export.name, reason, (*destroy, *steps))


def _deployable_first(transition: Transition, export_name: str, staying: list[str]) -> bool:
    """Whether each of `staying` is deployed by this change to a template that no longer imports
    `export_name` and imports only what the deployed stacks export now, so that deploying them
    before their producer frees the export."""
    exported = {name for stack in transition.base.values() for name in exports(stack)}
    for user in staying:
        if user not in transition.deployed:
            return False
        imported = imported_names(transition.target[user].template)
        if export_name in imported or not imported <= exported:
            return False
    return True
