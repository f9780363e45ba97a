"""`python -m tools.plan.cli` (what `make plan` and `make deploy` run) on small hand-made
assemblies: where the base comes from, what stops a deploy, the outputs; and the make targets that
run it (expanded with `make -n`). The diff engine is replaced by one that reports no resource
change: these tests are about the plumbing (the rules on real engine answers: test_rules.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stacks import names
from tests.helpers.make import make
from tests.plan.helpers.cases import PLANNER_APP, PLANNER_BASE
from tools.deploy.deployed_stacks import record
from tools.plan import cli, planner
from tools.plan.model import FOUND_IN_ACCOUNT, StackTemplate

ENV = "test"


def write_assembly(outdir: Path, stacks: dict[str, StackTemplate]) -> Path:
    """A cloud assembly of `stacks`: a manifest with their dependencies and a template each."""
    outdir.mkdir(parents=True)
    artifacts: dict[str, Any] = {}
    for name, stack in stacks.items():
        (outdir / f"{name}.template.json").write_text(json.dumps(stack.template))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/us-east-1",
            "properties": {"templateFile": f"{name}.template.json"},
            "dependencies": [*stack.dependencies, f"{name}.assets"],
        }
        artifacts[f"{name}.assets"] = {"type": "cdk:asset-manifest"}
    (outdir / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return outdir


@pytest.fixture(autouse=True)
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    def unchanged(pairs: Sequence[Any]) -> tuple[str, dict[str, tuple[()]]]:
        return "no-change-engine@0", {pair.name: () for pair in pairs}

    monkeypatch.setattr(planner, "diff_stacks", unchanged)


@pytest.fixture
def assemblies(tmp_path: Path) -> dict[str, Path]:
    return {
        "base": write_assembly(tmp_path / "base", dict(PLANNER_BASE)),
        "app": write_assembly(tmp_path / "app", dict(PLANNER_APP)),
        "build": tmp_path / "build",
    }


def run(
    capsys: pytest.CaptureFixture[str], assemblies: dict[str, Path], *args: str
) -> tuple[int, str, str]:
    assemblies["build"].mkdir(exist_ok=True)
    code = cli.main(
        [
            "--environment",
            ENV,
            "--assembly",
            str(assemblies["app"]),
            "--build",
            str(assemblies["build"]),
            *args,
        ]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_recorded_deploy_is_the_base_and_a_refusal_exits_2(
    capsys: pytest.CaptureFixture[str], assemblies: dict[str, Path]
) -> None:
    """After `make deploy` recorded the base, the plan compares with it: the producer drops an
    export the consumer imports, so exit 2 with the refusal; the JSON file says the same."""
    assemblies["build"].mkdir()
    record(ENV, assemblies["base"], assemblies["build"])
    output = assemblies["build"] / "plan.json"
    code, out, _ = run(capsys, assemblies, "--output", str(output))
    assert code == cli.REFUSED_EXIT
    assert f"Plan for '{ENV}' against the last deploy of '{ENV}'" in out
    assert "REFUSED [export-in-use] producer:" in out
    document = json.loads(output.read_text())
    assert document["refused"] is True
    assert [r["rule"] for r in document["refusals"]] == ["export-in-use"]


def test_accepting_the_rule_lets_the_deploy_go_on(
    capsys: pytest.CaptureFixture[str], assemblies: dict[str, Path]
) -> None:
    assemblies["build"].mkdir()
    record(ENV, assemblies["base"], assemblies["build"])
    code, out, _ = run(capsys, assemblies, "--accept", "export-in-use")
    assert code == 0
    assert "ACCEPTED [export-in-use]" in out


def test_a_first_deploy_has_no_base_and_adds_everything(
    capsys: pytest.CaptureFixture[str], assemblies: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, assemblies)
    assert code == 0
    assert "nothing recorded for 'test' (a first deploy: every stack is added)" in out
    assert "producer: add" in out


def test_a_directory_base_and_json_output(
    capsys: pytest.CaptureFixture[str], assemblies: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, assemblies, "--base", str(assemblies["base"]), "--json")
    assert code == cli.REFUSED_EXIT
    document = json.loads(out)
    assert document["base"] == f"the assembly in {assemblies['base']}"
    assert {s["name"]: s["status"] for s in document["stacks"]} == {
        "producer": "update",
        "consumer": "update",
        "registry": "update",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--base", "no-such-ref-or-dir"), "neither a cloud assembly directory nor a git commit"),
        (("--stacks", "nope"), "STACKS: nope not in the app"),
        (("--accept", "nope"), "PLAN_ACCEPT: unknown rule nope"),
    ],
)
def test_errors_are_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str],
    assemblies: dict[str, Path],
    args: tuple[str, ...],
    message: str,
) -> None:
    code, _, err = run(capsys, assemblies, *args)
    assert code == 1
    assert err.startswith("error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_assembly_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = cli.main(["--environment", ENV, "--assembly", str(tmp_path / "none")])
    assert code == 1
    assert "is not a cloud assembly" in capsys.readouterr().err


def _make(*args: str) -> list[str]:
    return make("-n", *args).splitlines()


def test_make_deploy_plans_before_it_deploys_and_passes_stacks_and_accept() -> None:
    """`make deploy`: the plan (against the record, else the account's templates; its JSON in
    build/) runs after the synth and before `cdk deploy`, with STACKS and PLAN_ACCEPT; a refusal
    (exit 2) stops the recipe."""
    eks = names.stack_id("production", names.EKS_UNIT)
    lines = _make("deploy", "ENV=production", f"STACKS={eks}", "PLAN_ACCEPT=fixed-name")
    (plan,) = [i for i, line in enumerate(lines) if " -m tools.plan.cli " in line]
    (deploy,) = [i for i, line in enumerate(lines) if line.startswith("cdk --no-notices deploy")]
    (synth,) = [i for i, line in enumerate(lines) if line.startswith("cdk --no-notices synth")]
    assert synth < plan < deploy
    assert lines[plan].split() == [
        ".venv/bin/python",
        "-m",
        "tools.plan.cli",
        "--environment",
        "production",
        "--config",
        "config",
        "--assembly",
        "cdk.out",
        "--output",
        "build/plan-production.json",
        "--stacks",
        f'"{eks}"',
        "--accept",
        "fixed-name",
        "--if-unrecorded",
        "deployed",
        "--stages",
        "build/stages-production",
    ]
    assert "--base" not in lines[plan]
    # A staged change's first stages (written by the plan) deploy and are recorded, in order,
    # before the app's deploy; a failed stage stops the recipe.
    (stage,) = [
        i for i, line in enumerate(lines) if "deploy --app build/stages-production/" in line
    ]
    (recorded,) = [
        i for i, line in enumerate(lines) if "--assembly build/stages-production/" in line
    ]
    assert plan < stage < recorded < deploy
    assert "--exclusively $stacks" in lines[stage]
    assert lines[stage].rstrip().endswith("|| exit 1; \\")


def test_make_plan_takes_base_config_overrides_and_flags() -> None:
    """The plan gets the synth's ENV, CONFIG and OVERRIDES (a git-ref base is synthesized with
    them)."""
    lines = _make(
        "plan",
        "ENV=sandbox",
        "BASE=main",
        "CONFIG=examples/team-services",
        "OVERRIDES=a.json",
        "PLAN_FLAGS=--json",
    )
    (plan,) = [line for line in lines if " -m tools.plan.cli " in line]
    assert plan.split()[3:] == [
        "--environment",
        "sandbox",
        "--config",
        "examples/team-services",
        "--assembly",
        "cdk.out",
        "--output",
        "build/plan-sandbox.json",
        "--overrides",
        "a.json",
        "--base",
        "main",
        "--json",
    ]
    synth = "cdk --no-notices synth -c environment=sandbox -c config=examples/team-services"
    assert any(line.startswith(synth) for line in lines)


@pytest.mark.integration
def test_deployed_reads_the_accounts_templates_and_is_the_fallback_of_make_deploy(
    capsys: pytest.CaptureFixture[str], assemblies: dict[str, Path], aws: Any
) -> None:
    """`--base deployed` reads each app stack's template from CloudFormation (on moto here); a
    stack it does not hold is added. `make deploy`'s `--if-unrecorded deployed` does the same
    when there is no deploy record (a CI runner), so the refusal is not lost there."""
    cloudformation = aws.client("cloudformation", region_name="us-east-1")
    for name in ("producer", "consumer"):
        cloudformation.create_stack(
            StackName=name, TemplateBody=json.dumps(PLANNER_BASE[name].template)
        )
    code, out, _ = run(capsys, assemblies, "--base", "deployed", "--json")
    assert code == cli.REFUSED_EXIT
    document = json.loads(out)
    assert document["base"] == "the stacks deployed in the account (2 of 3 found)"
    assert {s["name"]: s["status"] for s in document["stacks"]}["registry"] == "add"
    assert [r["rule"] for r in document["refusals"]] == ["export-in-use"]
    code, out, _ = run(capsys, assemblies, "--if-unrecorded", "deployed")
    assert code == cli.REFUSED_EXIT
    assert "no deploy record of 'test' here" in out
    assert "REFUSED [export-in-use]" in out


def test_the_plan_reads_the_environments_ledger_of_orphaned_names(
    capsys: pytest.CaptureFixture[str],
    assemblies: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What `make deploy` and `make destroy` left behind (build/orphaned-<env>.json) reaches the
    rules (fixed-name refuses to create those names again)."""
    from tests.plan.helpers.templates import repository, stack, state
    from tools.plan.orphans import update_ledger

    named = state(stack("registry", {"Repo": repository("env/app", retain=True)}))
    ledger = update_ledger(ENV, assemblies["build"], named, {}, ["registry"])
    assert ledger
    requests: list[planner.Request] = []
    plan = cli.make_plan
    monkeypatch.setattr(cli, "make_plan", lambda request: requests.append(request) or plan(request))
    run(capsys, assemblies)
    assert [request.orphaned for request in requests] == [ledger]


def test_the_plan_is_made_for_the_day_it_runs(
    capsys: pytest.CaptureFixture[str],
    assemblies: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rules that depend on the date (eks-upgrade-policy) get today's, in UTC as app.py
    dates the EKS version checks: a plan never leaves them without one."""
    made = []
    make_plan = cli.make_plan
    monkeypatch.setattr(
        cli, "make_plan", lambda request: made.append(request) or make_plan(request)
    )
    run(capsys, assemblies)
    assert [request.today for request in made] == [datetime.now(UTC).date()]


@pytest.mark.integration
def test_a_fixed_name_the_account_holds_outside_every_stack_reaches_the_rules(
    capsys: pytest.CaptureFixture[str],
    assemblies: dict[str, Path],
    aws: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no ledger here (a CI runner), the plan reading the account also looks up the fixed
    names the deploy creates: a repository the account holds outside every stack (retained by a
    destroy) reaches the rules as an orphan (fixed-name refuses it: tests/plan/test_rules.py);
    once its stack holds it, it is not one."""
    aws.client("ecr", region_name="us-east-1").create_repository(repositoryName="app")
    requests: list[planner.Request] = []
    plan = cli.make_plan
    monkeypatch.setattr(cli, "make_plan", lambda request: requests.append(request) or plan(request))
    _, out, _ = run(capsys, assemblies, "--base", "deployed", "--json")
    assert json.loads(out)["base"].endswith(
        "; 1 fixed name(s) the deploy creates held in the account"
    )
    run(capsys, assemblies, "--if-unrecorded", "deployed")
    for request in requests:
        (orphan,) = request.orphaned
        assert (orphan.stack, orphan.resource_type, orphan.why) == (
            "registry",
            "AWS::ECR::Repository",
            FOUND_IN_ACCOUNT,
        )
    # Adopted by its stack (here: deleted, then created by the stack).
    aws.client("ecr", region_name="us-east-1").delete_repository(repositoryName="app")
    aws.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="registry", TemplateBody=json.dumps(PLANNER_APP["registry"].template)
    )
    run(capsys, assemblies, "--base", "deployed")
    assert requests[-1].orphaned == ()
    assert len(requests) == 3
