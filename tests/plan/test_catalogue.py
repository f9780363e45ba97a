"""The catalogue of day-two changes (tests/plan/helpers/catalogue.py) through `make plan`'s
planner: each change plans clean or is refused by exactly the rules it records, each refusal with
its steps; the sequences recorded for refused changes plan clean deploy after deploy; and the
plans docs/changing.md shows are these plans as `make plan` prints them (regenerate with
`python -m tests.plan.helpers.doc_plans`).

The plan's subject is the template diff, so the configs are synthesized in this process with the
validation plugins off (cdk-nag and the deploy-time rules are tested on every shipped environment
elsewhere: tests/test_gate_*.py): about 0.5 s a synth here, each distinct config once (the
changes share their befores). Every plan, sequences included, takes one run of the diff engine.
Marked `integration` (make test-integration, CI).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from tests.plan.helpers.catalogue import CATALOGUE, Change
from tests.plan.helpers.catalogue_plans import (
    Synths,
    change_request,
    sequence_requests,
    validations_off,
)
from tests.plan.helpers.doc_plans import COMMAND, block, shown
from tests.plan.helpers.doc_tables import DOC
from tools.plan.model import Plan, StackStatus
from tools.plan.planner import make_plans

pytestmark = pytest.mark.integration

# What issue 25 asks the catalogue to hold, by entry id.
REQUIRED = (
    "https-on",
    "https-off",
    "service-add",
    "service-remove",
    "service-rename",
    "service-priority",
    "service-port",
    "service-cpu-architecture",
    "service-size",
    "service-load-balancer-group",
    "services-new-alb",
    "services-new-stack",
    "kubernetes-upgrade",
    "kubernetes-upgrade-again",
    "ec2-instance-types",
    "ec2-machine-image",
    "eks-node-group-instance-types",
    "availability-zone-added",
    "ecs-exec-on",
    "vpc-endpoints-on",
    "kms-encrypted-logs-on",
    "registry-kms-on",
    "repository-added",
)


@dataclass(frozen=True)
class Planned:
    plans: dict[str, Plan]  # change id -> its plan
    sequences: dict[str, list[Plan]]  # change id -> the plans of its sequence's steps
    # change id -> each destroy of its sequence that CloudFormation would refuse: (the stack, the
    # deployed stacks that import its exports)
    refused_destroys: dict[str, list[tuple[str, list[str]]]]
    synths: int
    synth_seconds: float
    plan_seconds: float


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Planned:
    synths = Synths(tmp_path_factory.mktemp("catalogue"))
    with validations_off():
        requests = {change.id: change_request(change, synths) for change in CATALOGUE}
        sequenced = {change.id: sequence_requests(change, synths) for change in CATALOGUE}
    steps = {key: requests for key, (requests, _) in sequenced.items()}
    everything = list(requests.values()) + [r for rs in steps.values() for r in rs]
    started = time.monotonic()
    plans = make_plans(everything)
    plan_seconds = time.monotonic() - started
    by_change = dict(zip(requests, plans, strict=False))
    rest = iter(plans[len(requests) :])
    sequences = {key: [next(rest) for _ in rs] for key, rs in steps.items()}
    refused_destroys = {key: refused for key, (_, refused) in sequenced.items()}
    result = Planned(
        by_change, sequences, refused_destroys, len(synths.states), synths.seconds, plan_seconds
    )
    print(
        f"catalogue: {len(CATALOGUE)} changes, {len(everything)} plans, {result.synths} synths "
        f"in {result.synth_seconds:.1f} s, plans in {plan_seconds:.1f} s"
    )
    return result


def test_the_catalogue_holds_at_least_20_changes_and_every_required_one() -> None:
    ids = [change.id for change in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 20
    assert set(REQUIRED) <= set(ids)


@pytest.mark.parametrize("change", CATALOGUE, ids=lambda change: change.id)
def test_each_change_plans_as_recorded(change: Change, planned: Planned) -> None:
    """Clean, or refused by exactly the recorded rules, each refusal with a reason and steps;
    the recorded notes; and the pair is a real change (a stack is added, updated, or left)."""
    plan = planned.plans[change.id]
    assert plan.rules == sorted(change.refused), _explain(plan)
    assert sorted({note.note for note in plan.notes}) == sorted(change.notes)
    assert len(plan.stages) == change.stages, _explain(plan)
    for stage in plan.stages:
        assert not stage.plan.refused, _explain(stage.plan)
    for refusal in plan.refusals:
        assert refusal.reason
        assert refusal.steps
    statuses = {stack.status for stack in plan.stacks}
    assert statuses & {StackStatus.ADD, StackStatus.UPDATE, StackStatus.STAYS}


@pytest.mark.parametrize(
    "change", [c for c in CATALOGUE if c.sequence], ids=lambda change: change.id
)
def test_each_recorded_sequence_deploys_clean_step_by_step(
    change: Change, planned: Planned
) -> None:
    """The deploys that work today for a refused change: each plans clean (refused only by what
    its step accepts) against what the step before left, and they end at the change's config."""
    for step, plan in zip(change.sequence, planned.sequences[change.id], strict=True):
        assert not plan.refused, _explain(plan)
        assert set(plan.rules) <= set(step.accept)
    assert planned.refused_destroys[change.id] == []
    assert change.sequence[-1].overrides == change.after


@pytest.mark.parametrize("change_id", list(shown(DOC.read_text(encoding="utf-8"))))
def test_the_plans_docs_changing_shows_are_current(change_id: str, planned: Planned) -> None:
    """Each plan docs/changing.md shows is the change's plan today, as `make plan` prints it."""
    text = shown(DOC.read_text(encoding="utf-8"))[change_id]
    assert text == block(planned.plans[change_id]), (
        f"docs/changing.md's plan of {change_id} is stale: run `{COMMAND}`"
    )


def test_every_refused_change_has_a_way_out() -> None:
    """A refused change records the steps that work today (a sequence), or the fix that will make
    it plan clean, or both."""
    for change in CATALOGUE:
        if change.refused:
            assert change.sequence or change.fixed_by, change.id


def _explain(plan: Plan) -> str:
    from tools.plan.report import render_text

    return render_text(plan)
