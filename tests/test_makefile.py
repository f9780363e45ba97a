"""The commands users run: every `make` target `make help` lists exists and dry-runs, and each one
runs what it says (`make -n`, which runs nothing): ENV, CONFIG and OVERRIDES reach every target
that synthesizes, diffs, deploys or destroys, and the account tools (without them, the committed
config of record and no overrides); the test targets select the tiers (tests/conftest.py) and CI
runs them all."""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

# pytest's own evaluator of -m expressions (private, so an upgrade that moves it fails here loudly).
from _pytest.mark.expression import Expression

from tests.helpers.cdk_cli import ROOT
from tests.helpers.make import help_targets, make, phony_targets, run_make

HELP_TARGETS = help_targets()
# What push-image and set-image-tag need to expand.
IMAGE_VARIABLES = ("SERVICE=fargate/sample", "TAG=v1")


def test_help_lists_every_command_once_with_what_it_does() -> None:
    assert sorted(HELP_TARGETS) == sorted(set(HELP_TARGETS))
    assert set(HELP_TARGETS) == phony_targets()
    for line in make("help").splitlines():
        if line.startswith("  make "):
            assert len(line.split(None, 2)) == 3, f"no description: {line}"


def test_every_listed_target_dry_runs() -> None:
    """`make -n` of every target at once: each exists and expands (an unknown target, a missing
    prerequisite or a broken variable fails it)."""
    result = run_make("-n", "-k", *HELP_TARGETS, *IMAGE_VARIABLES)
    assert result.returncode == 0, result.stderr


def test_an_unknown_target_fails_the_dry_run() -> None:
    """The failing case of the check above."""
    result = run_make("-n", "synth", "no-such-target")
    assert result.returncode != 0
    assert "no-such-target" in result.stderr


@pytest.mark.parametrize(
    "target", ["synth", "diff", "destroy", "nag-report", "retained-resources", "deploy"]
)
def test_env_config_and_overrides_reach_every_cdk_command(target: str) -> None:
    commands = make(
        "-n", target, "ENV=production", "CONFIG=team", "OVERRIDES=a.json,b.json"
    ).splitlines()
    cdk = [line for line in commands if line.startswith("cdk ")]
    assert cdk
    for line in cdk:
        if " --app cdk.out " in line:  # deploy: exactly the assembly `make synth` wrote
            assert line.split()[2] == "deploy"
            continue
        assert (
            "-c environment=production -c config=team -c config_overrides=a.json,b.json" in line
        ), line


@pytest.mark.parametrize(
    "target",
    ["bootstrap", "preflight-account", "deploy", "verify", "push-image", "set-image-tag"],
)
def test_env_config_and_overrides_reach_the_tools(target: str) -> None:
    commands = make("-n", target, "ENV=production", "CONFIG=team", "OVERRIDES=a.json,b.json")
    tools = [
        line
        for line in commands.splitlines()
        if " -m tools.account.bootstrap" in line
        or " -m tools.account.check" in line
        or " -m tools.verify.deployment" in line
        or " -m tools.images" in line
    ]
    assert tools
    for line in tools:
        assert line.endswith("--environment production --config team --overrides a.json,b.json"), (
            line
        )


def test_by_default_the_committed_config_of_record_without_overrides() -> None:
    """`make synth/deploy` of a clone with no variables: cdk.json's config of record (config/),
    passed explicitly, and no overrides flag at all."""
    commands = make("-n", "synth", "preflight-account", "deploy", "ENV=sandbox")
    assert "config_overrides" not in commands
    assert "--overrides" not in commands
    cdk = [line for line in commands.splitlines() if line.startswith("cdk ") and " -c " in line]
    assert cdk
    for line in cdk:
        assert "-c environment=sandbox -c config=config " in line, line
    assert "--environment sandbox --config config" in commands


def test_retained_resources_lists_the_synthesized_environment() -> None:
    commands = make("-n", "retained-resources", "ENV=production").splitlines()
    (synth,) = [i for i, line in enumerate(commands) if line.startswith("cdk --no-notices synth")]
    (tool,) = [i for i, line in enumerate(commands) if "-m tools.deploy.retained_resources" in line]
    assert synth < tool
    assert commands[tool].endswith("--environment production --assembly cdk.out")


def test_deploy_synthesizes_checks_the_account_then_deploys_that_assembly() -> None:
    """`make deploy`: synth (cfn-linted), the account check, the deployer's ARN as the EKS stack's
    parameter, then `cdk deploy` of the assembly just written; synth alone runs no account tool."""
    deploy = make("-n", "deploy", "ENV=production").splitlines()

    def position(text: str) -> int:
        (found,) = [i for i, line in enumerate(deploy) if text in line]
        return found

    synth = position("cdk --no-notices synth -c environment=production")
    lint = position("-m tools.gates.lint_templates cdk.out")
    check = position("-m tools.account.check --environment production")
    caller = position("-m tools.account.caller_arn --parameters cdk.out")
    cdk_deploy = position("cdk --no-notices deploy --app cdk.out")
    assert synth < lint < check < caller < cdk_deploy
    assert "$parameters" in deploy[cdk_deploy]
    for target in ("synth", "diff"):
        assert "tools.account" not in make("-n", target)


# The app's record after its deploy (a staged change's stages are recorded inside the deploy loop,
# tests/plan/test_cli.py).
APP_RECORD = ".venv/bin/python -m tools.deploy.deployed_stacks record"


def test_deploy_records_its_stacks_and_destroy_adds_the_recorded_ones() -> None:
    """`make deploy` records the deployed assembly after `cdk deploy`; `make destroy` first
    destroys the recorded stacks the current config lacks (from their recorded assembly), then
    every stack of the config, then forgets the record."""
    deploy = make("-n", "deploy", "ENV=production").splitlines()
    (cdk_deploy,) = [
        i for i, line in enumerate(deploy) if line.startswith("cdk --no-notices deploy")
    ]
    (record,) = [i for i, line in enumerate(deploy) if line.startswith(APP_RECORD)]
    assert cdk_deploy < record
    assert deploy[record].endswith("--environment production --assembly cdk.out")
    destroy = make("-n", "destroy", "ENV=production", "CDK_DESTROY_FLAGS=--force")
    extra = destroy.index("-m tools.deploy.deployed_stacks extra --environment production")
    recorded = destroy.index('destroy --app "$assembly" $stacks --force')
    everything = destroy.index(" --all --force")
    assert "destroy -c environment=production " in destroy[recorded:everything]
    forget = destroy.index("-m tools.deploy.deployed_stacks prune --environment production")
    assert extra < recorded < everything < forget


def test_destroy_stacks_destroys_exactly_those_importers_first_then_prunes_the_record() -> None:
    """`make destroy-stacks` (what a plan's refusal names for stacks the app no longer has): the
    recorded groups of STACKS (importers first), `cdk destroy --exclusively` of each from its
    recorded assembly, then the record keeps what still exists; without STACKS, one line."""
    destroy = make(
        "-n", "destroy-stacks", "ENV=production", "STACKS=a b", "CDK_DESTROY_FLAGS=--force"
    )
    groups = destroy.index('deployed_stacks groups --environment production --stacks "a b"')
    each = destroy.index('destroy --app "$assembly" --exclusively $stacks --force')
    prune = destroy.index("-m tools.deploy.deployed_stacks prune --environment production")
    assert groups < each < prune
    refused = run_make("destroy-stacks", "ENV=production")
    assert refused.returncode == 2
    assert 'error: name the stacks: make destroy-stacks STACKS="..."' in refused.stderr


def test_stacks_selects_what_deploy_and_diff_touch_and_deploy_records() -> None:
    """Without STACKS: `cdk deploy --all`, `cdk diff` of every stack (it has no --all), every
    stack recorded. With STACKS="a b": exactly those deployed, diffed and recorded."""
    every = make("-n", "deploy", "diff", "ENV=sandbox").splitlines()
    (deploy,) = [line for line in every if line.startswith("cdk --no-notices deploy")]
    assert " --all " in deploy
    (diff,) = [line for line in every if line.startswith("cdk --no-notices diff")]
    assert diff.split() == [
        "cdk",
        "--no-notices",
        "diff",
        "-c",
        "environment=sandbox",
        "-c",
        "config=config",
    ]
    (record,) = [line for line in every if line.startswith(APP_RECORD)]
    assert "--stacks" not in record
    some = make("-n", "deploy", "diff", "ENV=sandbox", "STACKS=cp-sandbox-a cp-sandbox-b")
    (deploy,) = [line for line in some.splitlines() if line.startswith("cdk --no-notices deploy")]
    assert " --exclusively cp-sandbox-a cp-sandbox-b " in deploy
    assert " --all" not in deploy
    (diff,) = [line for line in some.splitlines() if line.startswith("cdk --no-notices diff")]
    assert diff.endswith("--exclusively cp-sandbox-a cp-sandbox-b")
    (record,) = [line for line in some.splitlines() if line.startswith(APP_RECORD)]
    assert 'record --stacks "cp-sandbox-a cp-sandbox-b" --environment sandbox' in record


def test_the_image_targets_pass_service_tag_and_context() -> None:
    push = make("-n", "push-image", "SERVICE=fargate/web", "TAG=v9", "CONTEXT=app")
    assert '-m tools.images.push --service "fargate/web" --tag "v9" --context "app"' in push
    default = make("-n", "push-image", "SERVICE=fargate/web", "TAG=v9")
    assert '--context "sample-app"' in default
    tag = make("-n", "set-image-tag", "SERVICE=ec2/web", "TAG=v9")
    assert (
        '-m tools.images.set_tag --service "ec2/web" --tag "v9" --environment sandbox --config '
        "config" in tag
    )


# --- the test tiers -------------------------------------------------------------------------------

PYTEST_CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
TIER_MARKERS = [line.split(":")[0] for line in PYTEST_CONFIG["ini_options"]["markers"]]
TIER_TARGETS = [name for name in HELP_TARGETS if name.startswith("test")]


def _option(args: list[str], option: str) -> str | None:
    return args[args.index(option) + 1] if option in args else None


def _selections() -> dict[str, Expression]:
    """Each `make test*` target -> the -m expression its pytest runs with: its own, else the
    default tier's from pyproject.toml's addopts (pytest keeps the last -m)."""
    default = _option(shlex.split(PYTEST_CONFIG["ini_options"]["addopts"]), "-m")
    assert default is not None
    selections = {}
    for target in TIER_TARGETS:
        (line,) = [line for line in make("-n", target).splitlines() if " -m pytest" in line]
        args = shlex.split(line.split(" -m pytest", 1)[1])
        selections[target] = Expression.compile(_option(args, "-m") or default)
    return selections


def _tiers_running(selections: dict[str, Expression], markers: set[str]) -> set[str]:
    return {
        target
        for target, expression in selections.items()
        if expression.evaluate(lambda name, **_: name in markers)
    }


def test_each_test_runs_in_exactly_the_tier_of_its_marker() -> None:
    """An unmarked test runs in `make test` only; a test of one tier marker only in that tier's
    target; the config-space test (integration and fuzz) in both of theirs."""
    selections = _selections()
    assert _tiers_running(selections, set()) == {"test"}
    for marker in TIER_MARKERS:
        assert _tiers_running(selections, {marker}) == {f"test-{marker}"}, marker
    both = _tiers_running(selections, {"integration", "fuzz"})
    assert both == {"test-integration", "test-fuzz"}


def moto_tests_without_a_tier(items: list[pytest.Item]) -> list[str]:
    """Tests on in-process moto (the `aws` fixture) that carry no tier marker: they would run in
    `make test`, whose budget they do not fit (the tier of such tests is `integration`)."""
    return [
        item.nodeid
        for item in items
        if "aws" in getattr(item, "fixturenames", ())
        and not any(item.get_closest_marker(marker) for marker in TIER_MARKERS)
    ]


def test_every_test_on_moto_names_its_tier(request: pytest.FixtureRequest) -> None:
    assert moto_tests_without_a_tier(request.session.items) == []


@dataclass(frozen=True)
class _Item:
    """What moto_tests_without_a_tier reads of a collected test."""

    nodeid: str
    fixturenames: tuple[str, ...]
    markers: tuple[str, ...] = ()

    def get_closest_marker(self, name: str) -> str | None:
        return name if name in self.markers else None


def test_an_unmarked_test_on_moto_is_found() -> None:
    items = [
        _Item("t.py::test_unmarked", ("aws", "tmp_path")),
        _Item("t.py::test_marked", ("aws",), ("integration",)),
        _Item("t.py::test_offline", ("tmp_path",)),
    ]
    assert moto_tests_without_a_tier(items) == ["t.py::test_unmarked"]  # type: ignore[arg-type]


def test_ci_runs_every_test_tier() -> None:
    """A tier CI skipped would go unnoticed: .ci/run runs each `make test*` target."""
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    run = {target for line in ci if line.startswith("make ") for target in line.split()[1:]}
    assert len(TIER_TARGETS) == len(TIER_MARKERS) + 1
    assert set(TIER_TARGETS) <= run, set(TIER_TARGETS) - run


def test_setup_is_redone_when_an_input_changes_not_when_it_is_touched(tmp_path: Path) -> None:
    """The setup stamp is named after the requirement and lock files' contents: a checkout or a
    copy with newer file times keeps its setup (a rerun there once emptied a shared, linked
    node_modules); a changed requirement redoes it."""
    inputs = ("requirements.txt", "requirements-dev.txt", "package.json", "package-lock.json")
    for name in ("Makefile", *inputs):
        shutil.copy(ROOT / name, tmp_path / name)
    digest = hashlib.sha256(b"".join((tmp_path / name).read_bytes() for name in inputs))
    stamp = tmp_path / ".venv" / f".setup-{digest.hexdigest()[:16]}"
    stamp.parent.mkdir()
    stamp.touch()
    os.utime(stamp, (1, 1))  # older than every input

    def dry_run() -> str:
        return subprocess.run(
            ["make", "--no-print-directory", "-n", "setup"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout

    assert "pip install" not in dry_run()
    with (tmp_path / "requirements.txt").open("a") as requirements:
        requirements.write("# changed\n")
    assert "pip install" in dry_run()
