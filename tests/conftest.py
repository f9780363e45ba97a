"""Session-wide fixtures: every environment is synthesized once, by the real pinned CDK CLI with no
AWS credentials, and every test reads the same cloud assemblies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.assembly import Assembly
from tests.cdk_cli import SynthRun, finish_synth, start_synth

ENVIRONMENTS = ("sandbox", "production")


@pytest.fixture(scope="session")
def synth_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthRun]:
    """`cdk synth` of each environment, started together so the two share the machine's cores."""
    root = tmp_path_factory.mktemp("synth")
    started = [
        start_synth(name, root / name / "cdk.out", root / name / "empty-home")
        for name in ENVIRONMENTS
    ]
    return {run.environment: run for run in map(finish_synth, started)}


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
