"""The GitHub Actions workflows users get: CI on pull requests, a manual OIDC deploy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"


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


def test_ci_runs_lint_test_synth_on_pull_requests() -> None:
    workflow = _load("ci.yml")
    assert "pull_request" in workflow["on"]
    assert any(
        step.get("run") == "make lint test test-integration synth" for step in _steps(workflow)
    )


def test_ci_runs_the_emulator_deploy_and_the_deploy_guide() -> None:
    """A deploy guide command that no longer runs fails CI (tests/deploy/test_deploy_guide.py)."""
    runs = [step.get("run") for step in _steps(_load("ci.yml"))]
    assert "make test-deploy" in runs
    assert runs.index("make test-deploy") > runs.index("make lint test test-integration synth")


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
