"""Make a plan: which stacks a deploy touches, what the diff engine says CloudFormation does to
each resource, and what the platform rules refuse."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date

from tools.plan.engine import StackPair, diff_stacks
from tools.plan.model import (
    Orphan,
    Plan,
    Removal,
    StackChange,
    StackStatus,
    StackTemplate,
    Stage,
    State,
)
from tools.plan.notes import check_notes
from tools.plan.rules import RULE_IDS, check_all
from tools.plan.stages import first_stage, staged_removals
from tools.plan.transition import Transition, deploy_order


class PlanError(Exception):
    """A request the plan cannot answer: an unknown stack or rule id."""


@dataclass(frozen=True)
class Request:
    """One plan to make.

    Attributes:
        environment: the environment's name, for the report.
        base: what is deployed (empty: a first deploy).
        app: the synthesized assembly about to be deployed.
        base_description: where `base` came from, for the report.
        stacks: deploy only these stacks of `app` (`make deploy STACKS=...`); None: all.
        accept: rule ids whose refusals are reported but do not stop the deploy.
        orphaned: the environment's ledger of orphaned names (tools/plan/orphans.py).
        today: the day the deploy runs (UTC; Transition.today).
    """

    environment: str
    base: State
    app: State
    base_description: str = ""
    stacks: Sequence[str] | None = None
    accept: Collection[str] = ()
    orphaned: tuple[Orphan, ...] = ()
    today: date | None = None


def make_plan(request: Request) -> Plan:
    return make_plans([request])[0]


def make_plans(requests: Sequence[Request], *, staging: bool = True) -> list[Plan]:
    """Every request's plan, with one run of the diff engine for all of them (and one more for
    the stages of those that a staged deploy makes work: tools/plan/stages.py)."""
    plans, transitions = _plans(requests)
    if not staging:
        return plans
    staged: dict[int, tuple[tuple[Removal, ...], Request, Request]] = {}
    for index, (request, plan, transition) in enumerate(
        zip(requests, plans, transitions, strict=True)
    ):
        removals = staged_removals(transition, plan.refusals)
        if not removals:
            continue
        first = replace(
            request,
            app={**request.base, **first_stage(request.base, removals)},
            stacks=tuple(dict.fromkeys(removal.stack for removal in removals)),
        )
        second = replace(request, base=state_after(first))
        staged[index] = (removals, first, second)
    if not staged:
        return plans
    stage_plans = iter(make_plans([r for _, *pair in staged.values() for r in pair], staging=False))
    for index, (removals, first, second) in staged.items():
        one, two = next(stage_plans), next(stage_plans)
        if one.refused or two.refused:
            continue
        plans[index] = replace(
            plans[index],
            refusals=one.refusals + two.refusals,
            stages=(
                Stage(_deployed(one), state_after(first), one, removals),
                Stage(_deployed(two), state_after(second), two),
            ),
        )
    return plans


def _deployed(plan: Plan) -> tuple[str, ...]:
    return tuple(s.name for s in plan.stacks if s.status != StackStatus.STAYS)


def _plans(requests: Sequence[Request]) -> tuple[list[Plan], list[Transition]]:
    prepared = [_prepare(request) for request in requests]
    pairs = [
        StackPair(f"{index}:{name}", request.base.get(name), request.app[name])
        for index, (request, (_, deployed)) in enumerate(zip(requests, prepared, strict=True))
        for name in deployed
    ]
    engine, found = diff_stacks(pairs) if pairs else ("(nothing to diff)", {})
    plans, transitions = [], []
    for index, (request, (target, deployed)) in enumerate(zip(requests, prepared, strict=True)):
        changes = {name: found[f"{index}:{name}"] for name in deployed}
        transition = Transition(
            base=request.base,
            target=target,
            deployed=deployed,
            changes=changes,
            app=frozenset(request.app),
            orphaned=request.orphaned,
            today=request.today,
            environment=request.environment,
        )
        plans.append(_plan(request, transition, engine))
        transitions.append(transition)
    return plans, transitions


def state_after(request: Request) -> dict[str, StackTemplate]:
    """What is deployed once `request`'s deploy has succeeded (the base of the next plan)."""
    return _prepare(request)[0]


def _prepare(request: Request) -> tuple[dict[str, StackTemplate], tuple[str, ...]]:
    """The state after the deploy and the stacks it deploys, in order."""
    unknown_rules = sorted(set(request.accept) - set(RULE_IDS))
    if unknown_rules:
        raise PlanError(
            f"PLAN_ACCEPT: unknown rule {', '.join(unknown_rules)}; the rules are "
            f"{', '.join(RULE_IDS)}"
        )
    selected = set(request.app) if request.stacks is None else set(request.stacks)
    unknown = sorted(selected - set(request.app))
    if unknown:
        raise PlanError(
            f"STACKS: {', '.join(unknown)} not in the app (it has {', '.join(request.app)})"
        )
    target: dict[str, StackTemplate] = {}
    for name, stack in request.app.items():
        if name in selected:
            target[name] = stack
        elif name in request.base:
            target[name] = request.base[name]
    for name, stack in request.base.items():
        target.setdefault(name, stack)
    return target, deploy_order(target, selected)


def _plan(request: Request, transition: Transition, engine: str) -> Plan:
    stacks = []
    for name in transition.target:
        if name in transition.deployed:
            changes = transition.changes[name]
            if name not in request.base:
                status = StackStatus.ADD
            elif changes or request.base[name].template != request.app[name].template:
                status = StackStatus.UPDATE
            else:
                status = StackStatus.UNCHANGED
            stacks.append(StackChange(name, status, changes))
        else:
            reason = (
                "not in STACKS: not deployed this time"
                if name in request.app
                else "not in the app any more: `cdk deploy` leaves it as it is, "
                "`make destroy` removes it"
            )
            stacks.append(StackChange(name, StackStatus.STAYS, reason=reason))
    accepted = set(request.accept)
    refusals = tuple(
        replace(refusal, accepted=refusal.acceptable and refusal.rule in accepted)
        for refusal in check_all(transition)
    )
    return Plan(
        environment=request.environment,
        base=request.base_description,
        engine=engine,
        stacks=tuple(stacks),
        refusals=refusals,
        notes=tuple(check_notes(transition)),
    )
