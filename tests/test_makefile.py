"""The Makefile: `make help` lists every target, aligned; ENV and OVERRIDES reach every target that
synthesizes, diffs, deploys or destroys, and the account tools (expanded with `make -n`, which
runs nothing)."""

from __future__ import annotations

import re
import subprocess

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


def test_no_target_sounds_like_a_real_deploy_to_the_emulator() -> None:
    """The emulator run is `emulator-deploy` (or `test-deploy`), never `deploy-<something>`."""
    assert "emulator-deploy" in DOCUMENTED
    assert not [name for name in DOCUMENTED if name.startswith("deploy-")]
    assert "deploy-local" not in (ROOT / "README.md").read_text()


@pytest.mark.parametrize(
    "target", ["synth", "diff", "destroy", "nag-report", "retained-resources", "deploy"]
)
def test_env_and_overrides_reach_every_cdk_command(target: str) -> None:
    commands = _make("-n", target, "ENV=production", "OVERRIDES=a.json,b.json").splitlines()
    cdk = [line for line in commands if line.startswith("cdk ")]
    assert cdk
    for line in cdk:
        if " --app cdk.out " in line:  # deploy: exactly the assembly `make synth` wrote
            assert line.split()[2] == "deploy"
            continue
        assert "-c environment=production -c config_overrides=a.json,b.json" in line, line


@pytest.mark.parametrize("target", ["bootstrap", "preflight-account", "deploy", "verify"])
def test_env_and_overrides_reach_the_account_tools(target: str) -> None:
    commands = _make("-n", target, "ENV=production", "OVERRIDES=a.json,b.json")
    tools = [
        line
        for line in commands.splitlines()
        if " -m tools.bootstrap_account" in line
        or " -m tools.account_check" in line
        or " -m tools.verify_deployment" in line
    ]
    assert tools
    for line in tools:
        assert line.endswith("--environment production --overrides a.json,b.json"), line


def test_without_overrides_no_overrides_flag_is_passed() -> None:
    commands = _make("-n", "synth", "preflight-account", "ENV=sandbox")
    assert "config_overrides" not in commands
    assert "--overrides" not in commands


def test_deploy_records_its_stacks_and_destroy_adds_the_recorded_ones() -> None:
    """`make deploy` records the deployed assembly after `cdk deploy`; `make destroy` first
    destroys the recorded stacks the current config lacks (from their recorded assembly), then
    every stack of the config, then forgets the record."""
    deploy = _make("-n", "deploy", "ENV=production").splitlines()
    (cdk_deploy,) = [
        i for i, line in enumerate(deploy) if line.startswith("cdk --no-notices deploy")
    ]
    (record,) = [i for i, line in enumerate(deploy) if "-m tools.deployed_stacks record" in line]
    assert cdk_deploy < record
    assert deploy[record].endswith("--environment production --assembly cdk.out")
    destroy = _make("-n", "destroy", "ENV=production", "CDK_DESTROY_FLAGS=--force")
    extra = destroy.index("-m tools.deployed_stacks extra --environment production")
    recorded = destroy.index('destroy --app "$assembly" $stacks --force')
    everything = destroy.index(" --all --force")
    assert "destroy -c environment=production " in destroy[recorded:everything]
    forget = destroy.index("-m tools.deployed_stacks prune --environment production")
    assert extra < recorded < everything < forget
