"""The plan around the rules: which stacks a deploy touches (STACKS, a first deploy, stacks that
left the app), PLAN_ACCEPT, the report (table and JSON) and the diff engine's own answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plan.helpers.batch import NETWORK_CHANGES, Batch
from tests.plan.helpers.cases import PLANNER_APP, PLANNER_BASE
from tools.plan import engine
from tools.plan.engine import EngineError, StackPair, diff_stacks
from tools.plan.model import Impact, Plan, ResourceChange, StackStatus
from tools.plan.planner import PlanError, Request, make_plan
from tools.plan.report import as_json, render_text

BASE, APP = PLANNER_BASE, PLANNER_APP


@pytest.fixture(scope="module")
def plans(planned: dict[str, Plan]) -> dict[str, Plan]:
    return planned


def test_a_first_deploy_adds_everything(plans: dict[str, Plan]) -> None:
    plan = plans["first deploy"]
    assert [s.status for s in plan.stacks] == [StackStatus.ADD] * 3
    assert {r.impact for s in plan.stacks for r in s.resources} == {Impact.ADD}
    assert not plan.refusals


def test_every_stack_is_deployed_and_classified(plans: dict[str, Plan]) -> None:
    plan = plans["everything"]
    producer = plan.stack("producer")
    assert producer.status == StackStatus.UPDATE
    assert [(r.logical_id, r.impact) for r in producer.resources] == [("Topic2", Impact.ADD)]
    registry = plan.stack("registry")
    (repo,) = registry.resources
    assert repo.impact == Impact.REPLACE
    assert repo.why == "EncryptionConfiguration"
    assert plan.rules == ["export-in-use", "fixed-name"]
    assert plan.refused


def test_accepted_rules_are_reported_and_do_not_stop_the_deploy(plans: dict[str, Plan]) -> None:
    plan = plans["accepted"]
    assert plan.rules == ["export-in-use", "fixed-name"]
    assert all(refusal.accepted for refusal in plan.refusals)
    assert not plan.refused
    assert "Refusals accepted (PLAN_ACCEPT=export-in-use,fixed-name)" in render_text(plan)


def test_stacks_deploys_only_those_and_the_others_stay(plans: dict[str, Plan]) -> None:
    """STACKS=consumer: the consumer stops importing first; nothing is refused (the producer
    keeps its export until its own deploy)."""
    plan = plans["consumer only"]
    statuses = {s.name: s.status for s in plan.stacks}
    assert statuses == {
        "producer": StackStatus.STAYS,
        "consumer": StackStatus.UPDATE,
        "registry": StackStatus.STAYS,
    }
    assert plan.stack("producer").reason.startswith("not in STACKS")
    assert not plan.refusals


def test_the_same_assembly_plans_no_change(plans: dict[str, Plan]) -> None:
    plan = plans["unchanged"]
    assert {s.status for s in plan.stacks} == {StackStatus.UNCHANGED}
    assert render_text(plan).rstrip().endswith("0 stack(s) change (no resource). Nothing refused.")


def test_a_stack_that_left_the_app_stays_and_is_refused(plans: dict[str, Plan]) -> None:
    plan = plans["left the app"]
    assert plan.stack("consumer").status == StackStatus.STAYS
    assert "not in the app any more" in plan.stack("consumer").reason
    assert {(r.rule, r.stack) for r in plan.refusals} == {
        ("stack-left-app", "producer"),
        ("stack-left-app", "consumer"),
    }
    refusal = next(r for r in plan.refusals if r.stack == "consumer")
    assert refusal.steps[0] == 'Destroy it first: `make destroy-stacks ENV=test STACKS="consumer"`.'
    # consumer imports from producer: the producer's destroy takes it along, importer first.
    producer = next(r for r in plan.refusals if r.stack == "producer")
    assert producer.steps[0] == (
        'Destroy it first: `make destroy-stacks ENV=test STACKS="consumer producer"` (consumer, '
        "which left the app too, imports from it)."
    )


def test_the_report_has_a_table_per_stack_and_each_refusal_with_its_steps(
    plans: dict[str, Plan],
) -> None:
    text = render_text(plans["everything"])
    assert "registry: update (1 replace)" in text
    assert "  action   type                  resource  because of" in text
    assert "  replace  AWS::ECR::Repository  Repo      EncryptionConfiguration" in text
    assert "REFUSED [fixed-name] registry: Repo" in text
    assert "  Instead:\n    1. " in text
    assert "PLAN_ACCEPT=fixed-name deploys anyway: right only when" in text
    assert text.rstrip().endswith("REFUSED by export-in-use, fixed-name: follow the steps above.")


def test_the_json_has_every_stack_resource_and_refusal(plans: dict[str, Plan]) -> None:
    document = json.loads(json.dumps(as_json(plans["everything"])))
    assert document["refused"] is True
    assert document["engine"].startswith("@aws-cdk/cloudformation-diff@")
    registry = next(s for s in document["stacks"] if s["name"] == "registry")
    (repo,) = registry["resources"]
    assert repo["action"] == "replace"
    assert repo["changes"] == [
        {"name": "EncryptionConfiguration", "kind": "Property", "action": "replace"}
    ]
    assert {r["rule"] for r in document["refusals"]} == {"export-in-use", "fixed-name"}
    assert all(r["steps"] for r in document["refusals"])


def test_unknown_stacks_and_rules_are_errors() -> None:
    with pytest.raises(PlanError, match="STACKS: nope not in the app"):
        make_plan(Request("test", BASE, APP, stacks=("nope",)))
    with pytest.raises(PlanError, match="PLAN_ACCEPT: unknown rule fixed-names; the rules are"):
        make_plan(Request("test", BASE, APP, accept=("fixed-names",)))


def test_the_engine_pinned_in_package_json_is_the_one_that_runs(
    repo_root: Path, plans: dict[str, Plan]
) -> None:
    pinned = json.loads((repo_root / "package.json").read_text())["dependencies"]
    name, version = plans["everything"].engine.rsplit("@", 1)
    assert name == "@aws-cdk/cloudformation-diff"
    assert pinned[name] == version


def test_an_engine_that_cannot_run_is_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "SCRIPT", engine.SCRIPT.with_name("missing.mjs"))
    with pytest.raises(EngineError, match="the diff engine failed"):
        diff_stacks([StackPair("s", None, APP["registry"])])


@pytest.fixture(scope="module")
def network_changes(plan_batch: Batch) -> dict[str, tuple[ResourceChange, ...]]:
    """Each of NETWORK_CHANGES against the cluster with `IpFamily: ipv4` alone, diffed in one run
    of the engine (one stack per case)."""
    return plan_batch.network_changes


@pytest.mark.parametrize("case", NETWORK_CHANGES)
def test_a_replacement_is_decided_by_the_schemas_create_only_properties(
    case: str, network_changes: dict[str, tuple[ResourceChange, ...]]
) -> None:
    """The add-on naming the cluster is replaced with it (the engine's own propagation), and
    left alone when the cluster is updated in place."""
    impact = NETWORK_CHANGES[case][1]
    impacts = {change.logical_id: change.impact for change in network_changes[case]}
    assert impacts == (
        {"Cluster": impact}
        if impact == Impact.UPDATE
        else {
            "Cluster": impact,
            "Addon": Impact.REPLACE,
        }
    )


def test_a_shifted_services_route_change_notes_the_rewritten_rule(plans: dict[str, Plan]) -> None:
    """CloudFormation writes back the forward action ECS set on a traffic-shifting service's
    production rule: the plan says so (not for a rolling service), and refuses nothing."""
    shifted, rolling = plans["shifted route"], plans["rolling route"]
    assert not shifted.refused
    (note,) = shifted.notes
    assert (note.note, note.stack, note.subject) == ("shifted-rule-rewritten", "svc", "Rule")
    assert "the production rule of Service" in note.text
    assert "aws elbv2 describe-target-health" in note.text
    assert not rolling.notes
    assert not rolling.refused


def test_a_shifted_services_replaced_target_group_notes_the_rewritten_rule(
    plans: dict[str, Plan],
) -> None:
    """A port change replaces the target group the production rule forwards to: CloudFormation
    updates the rule with the template's forward (the engine lists only the group), so the plan
    notes it too, as docs/releasing.md says."""
    plan = plans["shifted port"]
    assert [(c.logical_id, c.impact.value) for s in plan.stacks for c in s.resources] == [
        ("Group", "replace")
    ]
    (note,) = plan.notes
    assert (note.note, note.subject) == ("shifted-rule-rewritten", "Rule")
