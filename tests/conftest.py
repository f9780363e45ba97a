"""Session-wide fixtures: every environment is synthesized once, by the real pinned CDK CLI with no
AWS credentials, and every test reads the same cloud assemblies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.assembly import Assembly
from tests.cdk_cli import SynthRun, finish_synth, start_synth

ENVIRONMENTS = ("sandbox", "production")

# CLI runs that must fail at config validation: label -> (environment, overrides file content).
BAD_CONFIG_RUNS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "unknown-environment": ("staging", None),
    "bad-cidr": ("sandbox", {"network": {"vpc_cidr": "10.0.0.0/33"}}),
}
SANDBOX_AGAIN = "sandbox-again"


@pytest.fixture(scope="session")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthRun]:
    """Every real-CLI `cdk synth` of the session, started together so they share the cores: each
    environment, the sandbox a second time (determinism), and the bad-config runs."""
    root = tmp_path_factory.mktemp("synth")
    started = {
        name: start_synth(name, root / name / "cdk.out", root / name / "empty-home")
        for name in ENVIRONMENTS
    }
    started[SANDBOX_AGAIN] = start_synth(
        "sandbox", root / SANDBOX_AGAIN / "cdk.out", root / SANDBOX_AGAIN / "empty-home"
    )
    for label, (environment, overrides) in BAD_CONFIG_RUNS.items():
        args: list[str] = []
        if overrides is not None:
            overrides_file = root / f"{label}.json"
            overrides_file.write_text(json.dumps(overrides))
            args = ["-c", f"config_overrides={overrides_file}"]
        started[label] = start_synth(
            environment, root / label / "cdk.out", root / label / "empty-home", *args
        )
    return {label: finish_synth(run) for label, run in started.items()}


@pytest.fixture(scope="session")
def synth_runs(cli_runs: dict[str, SynthRun]) -> dict[str, SynthRun]:
    """`cdk synth` of each environment."""
    return {name: cli_runs[name] for name in ENVIRONMENTS}


@pytest.fixture(scope="session")
def assemblies(synth_runs: dict[str, SynthRun]) -> dict[str, Assembly]:
    return {name: Assembly(name, run.check().outdir) for name, run in synth_runs.items()}


@pytest.fixture(scope="session")
def sandbox(assemblies: dict[str, Assembly]) -> Assembly:
    return assemblies["sandbox"]


@pytest.fixture(scope="session")
def production(assemblies: dict[str, Assembly]) -> Assembly:
    return assemblies["production"]


@pytest.fixture(scope="session", params=ENVIRONMENTS)
def assembly(request: pytest.FixtureRequest, assemblies: dict[str, Assembly]) -> Assembly:
    """Each environment's assembly in turn, for tests that hold in every environment."""
    return assemblies[request.param]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
