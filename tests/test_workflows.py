"""The GitHub Actions workflows users get: CI on pull requests, a manual OIDC deploy."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.make import help_targets, make

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name: str) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_every_action_is_pinned_to_a_commit(name: str) -> None:
    """A tag can be moved; a full commit SHA cannot."""
    for step in _steps(_load(name)):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_ci_runs_lint_the_tests_synth_and_the_emulator_deploy_on_pull_requests() -> None:
    """What a pull request must pass, each a target `make help` lists (tests/test_makefile.py
    dry-runs them); a deploy guide command that no longer runs fails `make test-deploy`."""
    workflow = _load("ci.yml")
    assert "pull_request" in workflow["on"]
    targets = [
        target
        for step in _steps(workflow)
        if step.get("run", "").startswith("make ")
        for target in step["run"].split()[1:]
    ]
    assert {"lint", "test", "test-integration", "synth", "test-deploy"} <= set(targets)
    assert set(targets) <= set(help_targets()), set(targets) - set(help_targets())


def test_ci_caches_the_environment_keyed_on_requirement_and_lock_files() -> None:
    (cache,) = [s for s in _steps(_load("ci.yml")) if s.get("uses", "").startswith("actions/cache")]
    assert {".venv", "node_modules"} <= set(cache["with"]["path"].split())
    for lock_file in ("requirements.txt", "requirements-dev.txt", "package-lock.json"):
        assert lock_file in cache["with"]["key"]


def test_deploy_is_manual_with_an_environment_choice() -> None:
    workflow = _load("deploy.yml")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    environment = workflow["on"]["workflow_dispatch"]["inputs"]["environment"]
    assert environment["options"] == ["sandbox", "production"]


def test_deploy_assumes_a_role_by_oidc_and_stores_no_keys() -> None:
    workflow = _load("deploy.yml")
    assert workflow["permissions"]["id-token"] == "write"
    (credentials,) = [
        s for s in _steps(workflow) if "configure-aws-credentials" in s.get("uses", "")
    ]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    text = (WORKFLOWS / "deploy.yml").read_text(encoding="utf-8")
    assert "aws-access-key-id" not in text
    assert "secrets." not in text


def test_deploy_runs_make_deploy_for_the_chosen_environment() -> None:
    (deploy,) = [s for s in _steps(_load("deploy.yml")) if "make deploy" in s.get("run", "")]
    assert deploy["env"]["TARGET_ENV"] == "${{ inputs.environment }}"
    assert 'ENV="$TARGET_ENV"' in deploy["run"]


def test_deploy_names_the_role_it_assumed_as_the_deployer() -> None:
    """The role's ARN (with its path) reaches `make deploy` as DEPLOYER_ADMIN_ARN, so the deploy
    role needs no iam:GetRole on itself for the sandbox's cluster-admin access entry; make hands
    it to the caller check."""
    workflow = _load("deploy.yml")
    (assume,) = [
        s for s in _steps(workflow) if s.get("uses", "").startswith("aws-actions/configure")
    ]
    (deploy,) = [s for s in _steps(workflow) if "make deploy" in s.get("run", "")]
    assert deploy["env"]["DEPLOYER_ADMIN_ARN"] == assume["with"]["role-to-assume"]
    role = "arn:aws:iam::111122223333:role/ci/deploy"
    expanded = make("-n", "deploy", "ENV=sandbox", env={**os.environ, "DEPLOYER_ADMIN_ARN": role})
    assert f'--principal-arn "{role}"' in expanded


def test_deploy_deploys_the_committed_config_of_record_without_overrides() -> None:
    """The workflow checks the commit out and runs `make deploy` with neither OVERRIDES nor CONFIG
    anywhere in its environment: make then synthesizes `-c config=config`, the committed
    directory (tracked by git), and passes no overrides, as `make deploy` from a clone does."""
    workflow = _load("deploy.yml")
    steps = _steps(workflow)
    assert any(step.get("uses", "").startswith("actions/checkout@") for step in steps)
    (deploy,) = [s for s in steps if "make deploy" in s.get("run", "")]
    text = (WORKFLOWS / "deploy.yml").read_text(encoding="utf-8")
    for variable in ("OVERRIDES", "CONFIG"):
        assert variable not in json.dumps(workflow.get("env", {})), variable
        assert variable not in json.dumps(deploy.get("env", {})), variable
        assert f"{variable}=" not in deploy["run"], variable
        assert f"{variable}=" not in text, variable
    run = deploy["run"].replace('"$TARGET_ENV"', "sandbox")
    environment = {k: v for k, v in os.environ.items() if k not in {"OVERRIDES", "CONFIG"}}
    expanded = make("-n", *shlex.split(run)[1:], env=environment)
    synth = [
        line for line in expanded.splitlines() if line.startswith("cdk ") and " synth " in line
    ]
    assert [line.split() for line in synth] == [
        [
            "cdk",
            "--no-notices",
            "synth",
            "-c",
            "environment=sandbox",
            "-c",
            "config=config",
            "--quiet",
        ]
    ], expanded
    assert "config_overrides" not in expanded
    assert "--overrides" not in expanded
    tracked = subprocess.run(
        ["git", "ls-files", "config/services"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert "config/services/fargate/sample.json" in tracked
