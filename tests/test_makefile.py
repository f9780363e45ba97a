"""The Makefile: `make help` lists every target, aligned; ENV, CONFIG and OVERRIDES reach every
target that synthesizes, diffs, deploys or destroys, and the tools (expanded with `make -n`, which
runs nothing); without them, the committed config of record and no overrides."""

from __future__ import annotations

import re
import subprocess
import tomllib

import pytest

from tests.cdk_cli import ROOT

MAKEFILE = (ROOT / "Makefile").read_text()
DOCUMENTED = re.findall(r"^([a-z-]+):.*## ", MAKEFILE, re.MULTILINE)


def _make(*args: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def test_help_lists_every_target_aligned() -> None:
    lines = [line for line in _make("help").splitlines() if line.startswith("  make ")]
    names = [line.split()[1] for line in lines]
    assert names == DOCUMENTED
    phony = re.search(r"^\.PHONY: ((?:.*\\\n)*.*)$", MAKEFILE, re.MULTILINE)
    assert phony is not None
    assert set(phony.group(1).replace("\\\n", " ").split()) == set(DOCUMENTED)
    # Every description starts in the same column, two spaces after the longest name.
    width = max(len(name) for name in names)
    for line in lines:
        name = line.split()[1]
        assert line[len("  make ") + width :].startswith("  ")
        assert line[len("  make ") + width + 2] != " ", line
        assert line.startswith(f"  make {name}")
    assert "OVERRIDES=a.json,b.json" in _make("help")
    assert "CONFIG=dir" in _make("help")


def test_no_target_sounds_like_a_real_deploy_to_the_emulator() -> None:
    """The emulator run is `emulator-deploy` (or `test-deploy`), never `deploy-<something>`."""
    assert "emulator-deploy" in DOCUMENTED
    assert not [name for name in DOCUMENTED if name.startswith("deploy-")]
    assert "deploy-local" not in (ROOT / "README.md").read_text()


@pytest.mark.parametrize(
    "target", ["synth", "diff", "destroy", "nag-report", "retained-resources", "deploy"]
)
def test_env_config_and_overrides_reach_every_cdk_command(target: str) -> None:
    commands = _make(
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
    commands = _make("-n", target, "ENV=production", "CONFIG=team", "OVERRIDES=a.json,b.json")
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
    commands = _make("-n", "synth", "preflight-account", "deploy", "ENV=sandbox")
    assert "config_overrides" not in commands
    assert "--overrides" not in commands
    cdk = [line for line in commands.splitlines() if line.startswith("cdk ") and " -c " in line]
    assert cdk
    for line in cdk:
        assert "-c environment=sandbox -c config=config " in line, line
    assert "--environment sandbox --config config" in commands


def test_deploy_records_its_stacks_and_destroy_adds_the_recorded_ones() -> None:
    """`make deploy` records the deployed assembly after `cdk deploy`; `make destroy` first
    destroys the recorded stacks the current config lacks (from their recorded assembly), then
    every stack of the config, then forgets the record."""
    deploy = _make("-n", "deploy", "ENV=production").splitlines()
    (cdk_deploy,) = [
        i for i, line in enumerate(deploy) if line.startswith("cdk --no-notices deploy")
    ]
    (record,) = [
        i for i, line in enumerate(deploy) if "-m tools.deploy.deployed_stacks record" in line
    ]
    assert cdk_deploy < record
    assert deploy[record].endswith("--environment production --assembly cdk.out")
    destroy = _make("-n", "destroy", "ENV=production", "CDK_DESTROY_FLAGS=--force")
    extra = destroy.index("-m tools.deploy.deployed_stacks extra --environment production")
    recorded = destroy.index('destroy --app "$assembly" $stacks --force')
    everything = destroy.index(" --all --force")
    assert "destroy -c environment=production " in destroy[recorded:everything]
    forget = destroy.index("-m tools.deploy.deployed_stacks prune --environment production")
    assert extra < recorded < everything < forget


def test_stacks_selects_what_deploy_and_diff_touch_and_deploy_records() -> None:
    """Without STACKS: `cdk deploy --all`, `cdk diff` of every stack (it has no --all), every
    stack recorded. With STACKS="a b": exactly those deployed, diffed and recorded."""
    every = _make("-n", "deploy", "diff", "ENV=sandbox").splitlines()
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
    (record,) = [line for line in every if "tools.deploy.deployed_stacks record" in line]
    assert "--stacks" not in record
    some = _make("-n", "deploy", "diff", "ENV=sandbox", "STACKS=cp-sandbox-a cp-sandbox-b")
    (deploy,) = [line for line in some.splitlines() if line.startswith("cdk --no-notices deploy")]
    assert " --exclusively cp-sandbox-a cp-sandbox-b " in deploy
    assert " --all" not in deploy
    (diff,) = [line for line in some.splitlines() if line.startswith("cdk --no-notices diff")]
    assert diff.endswith("--exclusively cp-sandbox-a cp-sandbox-b")
    (record,) = [
        line for line in some.splitlines() if "tools.deploy.deployed_stacks record" in line
    ]
    assert 'record --stacks "cp-sandbox-a cp-sandbox-b" --environment sandbox' in record


def test_the_image_targets_pass_service_tag_and_context() -> None:
    push = _make("-n", "push-image", "SERVICE=fargate/web", "TAG=v9", "CONTEXT=app")
    assert '-m tools.images.push --service "fargate/web" --tag "v9" --context "app"' in push
    default = _make("-n", "push-image", "SERVICE=fargate/web", "TAG=v9")
    assert '--context "sample-app"' in default
    tag = _make("-n", "set-image-tag", "SERVICE=ec2/web", "TAG=v9")
    assert (
        '-m tools.images.set_tag --service "ec2/web" --tag "v9" --environment sandbox --config '
        "config" in tag
    )


def test_ci_runs_every_test_target() -> None:
    """A test tier CI skipped would go unnoticed: .ci/run runs each documented `make test*`."""
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    run = {line.removeprefix("make ").strip() for line in ci if line.startswith("make ")}
    tiers = {name for name in DOCUMENTED if name.startswith("test")}
    assert tiers >= {"test", "test-integration", "test-scale", "test-fuzz", "test-deploy"}
    assert tiers <= run, tiers - run


def test_each_opt_in_marker_has_the_target_its_description_names() -> None:
    """pyproject.toml describes each marker a run must name with -m (tests/conftest.py deselects
    the rest) and the target that names it; that target's pytest selects it."""
    markers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    opt_in = {}
    for line in markers["markers"]:
        found = re.search(r"only when -m names it \(make ([a-z-]+)\)", line)
        if found:
            opt_in[line.split(":")[0]] = found.group(1)
    assert set(opt_in) == {"integration", "scale"}
    for marker, target in opt_in.items():
        (pytest_line,) = [line for line in _make("-n", target).splitlines() if "pytest" in line]
        assert f"-m {marker}" in pytest_line, pytest_line
    (default,) = [line for line in _make("-n", "test").splitlines() if "pytest" in line]
    assert default.endswith("/python -m pytest --ignore=tests/deploy"), default
