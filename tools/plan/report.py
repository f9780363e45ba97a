"""A plan as people read it (a table per stack, then each refusal with its sequence) and as
machines do (`--json`)."""

from __future__ import annotations

import textwrap
from typing import Any

from tools.plan.model import Plan, StackChange, StackStatus, short_path
from tools.plan.rules import RULES

WIDTH = 100
ACCEPT_WHEN = {rule.RULE_ID: rule.ACCEPT_WHEN for rule in RULES}


def stack_summary(stack: StackChange) -> str:
    counts = stack.counts()
    shown = ", ".join(f"{count} {impact}" for impact, count in counts.items())
    if stack.status == StackStatus.STAYS:
        return f"{stack.name}: stays ({stack.reason})"
    if stack.status == StackStatus.UNCHANGED:
        return f"{stack.name}: no change"
    if stack.status == StackStatus.UPDATE and not counts:
        return f"{stack.name}: update (outputs, parameters or metadata only)"
    return f"{stack.name}: {stack.status.value} ({shown})"


def _table(stack: StackChange) -> list[str]:
    rows = [
        (
            change.impact.value,
            change.resource_type,
            short_path(stack.name, change.path),
            change.why if stack.status != StackStatus.ADD else "",
        )
        for change in stack.resources
    ]
    if not rows:
        return []
    header = ("action", "type", "resource", "because of")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = []
    for row in [header, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(3)]
        lines.append(("  " + "  ".join([*cells, row[3]])).rstrip())
    return lines


def render_text(plan: Plan) -> str:
    lines = [
        f"Plan for '{plan.environment}' against {plan.base}",
        f"Diff engine: {plan.engine}",
        "",
    ]
    for stack in plan.stacks:
        lines.append(stack_summary(stack))
        lines.extend(_table(stack))
    for note in plan.notes:
        lines.append("")
        subject = short_path(note.stack, note.subject)
        about = note.stack if subject == note.stack else f"{note.stack}: {subject}"
        lines.extend(_wrapped(f"NOTE [{note.note}] {about}: {note.text}", "", "  "))
    for refusal in plan.refusals:
        lines.append("")
        state = "ACCEPTED" if refusal.accepted else "REFUSED"
        subject = short_path(refusal.stack, refusal.subject)
        lines.append(f"{state} [{refusal.rule}] {refusal.stack}: {subject}")
        lines.extend(_wrapped(refusal.reason, "  "))
        lines.append("  Instead:")
        for number, step in enumerate(refusal.steps, start=1):
            lines.extend(_wrapped(step, f"    {number}. ", "       "))
        if refusal.acceptable:
            accept = (
                f"(PLAN_ACCEPT={refusal.rule} deploys anyway: right only when "
                f"{ACCEPT_WHEN[refusal.rule]}.)"
            )
        else:
            accept = (
                f"(PLAN_ACCEPT={refusal.rule} does not apply: the service refuses this change.)"
            )
        lines.extend(_wrapped(accept, "  "))
    lines.extend(_stages(plan))
    lines.append("")
    lines.append(verdict(plan))
    return "\n".join(lines) + "\n"


def _stages(plan: Plan) -> list[str]:
    if not plan.stages:
        return []
    lines = [
        "",
        f"STAGED: deploys in {len(plan.stages)} stages; `make deploy` runs them in order, each "
        "planned clean on its own:",
    ]
    for number, stage in enumerate(plan.stages, start=1):
        stacks = ", ".join(stage.stacks)
        if stage.removals:
            for removal in stage.removals:
                text = f"{stacks}: deletes {removal.label} first: {removal.why}."
                lines.extend(_wrapped(text, f"  {number}. ", "     "))
            lines.extend(
                _wrapped(
                    "Until the next stage has moved its taker there, the port has no listener "
                    "(connections to it are refused), as with two deploys by hand.",
                    "     ",
                )
            )
        else:
            text = f"the change: the app's deploy ({len(stage.stacks)} stack(s), as planned above)."
            lines.extend(_wrapped(text, f"  {number}. ", "     "))
    return lines


def verdict(plan: Plan) -> str:
    changing = [s for s in plan.stacks if s.status in (StackStatus.ADD, StackStatus.UPDATE)]
    totals: dict[str, int] = {}
    for stack in changing:
        for impact, count in stack.counts().items():
            totals[impact] = totals.get(impact, 0) + count
    shown = ", ".join(f"{count} {impact}" for impact, count in totals.items()) or "no resource"
    summary = f"{len(changing)} stack(s) change ({shown})"
    blocking = sorted({r.rule for r in plan.refusals if not r.accepted})
    if blocking:
        return f"{summary}. REFUSED by {', '.join(blocking)}: follow the steps above."
    staged = f" Deploys in {len(plan.stages)} stages (above)." if plan.stages else ""
    accepted = sorted({r.rule for r in plan.refusals})
    if accepted:
        return f"{summary}. Refusals accepted (PLAN_ACCEPT={','.join(accepted)}).{staged}"
    return f"{summary}. Nothing refused.{staged}"


def _wrapped(text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest if rest is not None else first,
        break_long_words=False,
        break_on_hyphens=False,
    )


def as_json(plan: Plan) -> dict[str, Any]:
    return {
        "environment": plan.environment,
        "base": plan.base,
        "engine": plan.engine,
        "refused": plan.refused,
        "stacks": [
            {
                "name": stack.name,
                "status": stack.status.value,
                "reason": stack.reason,
                "resources": [
                    {
                        "logical_id": change.logical_id,
                        "type": change.resource_type,
                        "action": change.impact.value,
                        "path": change.path,
                        "changes": [
                            {
                                "name": p.name,
                                "kind": p.kind,
                                "action": p.impact.value if p.impact else None,
                            }
                            for p in change.changes
                        ],
                    }
                    for change in stack.resources
                ],
            }
            for stack in plan.stacks
        ],
        "refusals": [refusal.as_json() for refusal in plan.refusals],
        "notes": [note.__dict__ for note in plan.notes],
        "stages": [
            {
                "stacks": list(stage.stacks),
                "removes": [removal.__dict__ for removal in stage.removals],
            }
            for stage in plan.stages
        ],
    }


def rules_markdown() -> str:
    """The rules as a Markdown table (docs/changing.md's `plan-rules` block)."""
    lines = [
        "| rule | refuses | `PLAN_ACCEPT=<rule>` is right when |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{rule.RULE_ID}` | {rule.TITLE} | {rule.ACCEPT_WHEN} |" for rule in RULES]
    return "\n".join(lines) + "\n"
