"""Staged deploys (tools/plan/stages.py): which changes are staged, what the first stage removes,
how the plan reports it, and the assembly `make deploy` deploys it from."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from tests.helpers.early import Outcome
from tests.plan.helpers.assemblies import lb_assembly
from tests.plan.helpers.templates import export, listener, load_balancer, ref, stack, topic
from tools.plan.assembly import read_assembly
from tools.plan.model import Plan
from tools.plan.report import as_json, render_text
from tools.plan.stages import STACKS_FILE, without, write_assembly

HTTPS_OFF = "HTTPS off: the listener moves back to the redirect listener's port"


def test_the_first_stage_deletes_the_holder_and_the_change_follows(
    planned: dict[str, Plan],
) -> None:
    plan = planned[HTTPS_OFF]
    assert not plan.refused
    first, second = plan.stages
    assert first.stacks == ("lb",)
    assert [(r.stack, r.logical_id) for r in first.removals] == [("lb", "Redirect")]
    assert "port (LoadBalancerArn Ref Alb, Port 80)" in first.removals[0].why
    assert "Http takes (update)" in first.removals[0].why
    assert set(first.state["lb"].resources) == {"Alb", "Http", "Rule"}
    assert first.state["lb"].resources["Http"]["Properties"]["Port"] == 443
    assert [(c.logical_id, c.impact.value) for c in first.plan.stack("lb").resources] == [
        ("Redirect", "delete")
    ]
    assert not second.removals
    assert second.state["lb"].resources["Http"]["Properties"]["Port"] == 80
    assert [(c.logical_id, c.impact.value) for c in second.plan.stack("lb").resources] == [
        ("Http", "update")
    ]


def test_the_report_says_the_stages_in_order(planned: dict[str, Plan]) -> None:
    plan = planned[HTTPS_OFF]
    text = render_text(plan)
    assert "STAGED: deploys in 2 stages; `make deploy` runs them in order" in text
    assert "1. lb: deletes Redirect first: it holds port" in text
    assert "2. the change: the app's deploy (1 stack(s), as planned above)." in text
    assert text.rstrip().endswith("Nothing refused. Deploys in 2 stages (above).")
    document = as_json(plan)
    assert document["refused"] is False
    assert [stage["stacks"] for stage in document["stages"]] == [["lb"], ["lb"]]
    assert document["stages"][0]["removes"][0]["logical_id"] == "Redirect"


def test_a_refused_first_stage_leaves_the_refusals(planned: dict[str, Plan]) -> None:
    plan = planned["not staged when the first stage would be refused (an export in use)"]
    assert plan.stages == ()
    assert plan.rules == ["export-in-use", "unique-key"]


def test_without_removes_what_references_the_holder() -> None:
    """Ref, Fn::GetAtt and Fn::Sub references go with it, transitively; a DependsOn on it is
    dropped and its dependent kept; outputs that name it go."""
    template = stack(
        "lb",
        {
            "Alb": load_balancer(),
            "Redirect": listener(),
            "ByRef": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": ref("Redirect")}},
            "BySub": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"DisplayName": {"Fn::Sub": "${ByRef.TopicName}-x"}},
            },
            "ByAtt": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"DisplayName": {"Fn::GetAtt": ["Redirect", "ListenerArn"]}},
            },
            "After": {**topic(), "DependsOn": ["Redirect", "Alb"]},
            "OnlyAfter": {**topic(), "DependsOn": "Redirect"},
        },
        outputs={"Arn": export("lb:Redirect", ref("Redirect")), "Lb": {"Value": ref("Alb")}},
    )
    left = without(template, ["Redirect"])
    assert set(left.resources) == {"Alb", "After", "OnlyAfter"}
    assert left.resources["After"]["DependsOn"] == ["Alb"]
    assert "DependsOn" not in left.resources["OnlyAfter"]
    assert set(left.template["Outputs"]) == {"Lb"}
    assert "Redirect" in template.resources  # the original is untouched


def test_a_stage_assembly_publishes_its_template_under_its_own_hash(tmp_path: Path) -> None:
    source = lb_assembly(tmp_path / "cdk.out")
    old = json.loads((source / "manifest.json").read_text())
    changed = without(read_assembly(source)["lb"], ["Redirect"])
    write_assembly(source, tmp_path / "stage", {"lb": changed})
    stage = tmp_path / "stage"
    body = (stage / "lb.template.json").read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    assert json.loads(body) == changed.template
    url = json.loads((stage / "manifest.json").read_text())["artifacts"]["lb"]["properties"]
    assert url["stackTemplateAssetObjectUrl"].endswith(f"/{digest}.json")
    assert url != old["artifacts"]["lb"]["properties"]
    files = json.loads((stage / "lb.assets.json").read_text())["files"]
    assert list(files) == [digest]
    assert files[digest]["destinations"]["d"]["objectKey"] == f"{digest}.json"
    assert (stage / "asset.abc").is_symlink()
    assert (stage / "asset.abc" / "index.js").read_text() == "code"
    assert (stage / STACKS_FILE).read_text().split() == ["lb"]
    assert read_assembly(stage)["lb"].template == changed.template
    # The source is untouched.
    assert json.loads((source / "manifest.json").read_text()) == old


def test_cli_writes_the_first_stages_and_clears_old_ones(
    outcome: Callable[[str], Outcome],
) -> None:
    """`--stages DIR`: a staged plan writes DIR/1 (its stacks in STACKS) and nothing else is left
    in DIR, so `make deploy` never deploys a stale stage (a plan that is not staged leaves no DIR:
    tests/deploy/test_deploy_changes.py). The CLI runs as `make plan` runs it, on an HTTPS-off
    change with a stale stage 7 in DIR (tests/plan/helpers/assemblies.py)."""
    result = outcome("plan-stages")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    stages = result.work / "stages"
    assert sorted(p.name for p in stages.iterdir()) == ["1"]
    assert set(read_assembly(stages / "1")["lb"].resources) == {"Alb"}
    assert len(document["stages"]) == 2


def test_sub_strings_name_resources_but_not_their_variables_or_pseudo_parameters() -> None:
    from tools.plan.references import referenced_ids

    text = "${A.Arn}/${AWS::Region}/${!Literal}/${B}/${X}"
    assert referenced_ids({"Fn::Sub": text}) == {"A", "B", "X"}
    assert referenced_ids({"Fn::Sub": [text, {"X": ref("C")}]}) == {"A", "B", "C"}
