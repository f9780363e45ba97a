"""How the test suite is put together: read this first.

Synthesizing is what costs: a whole app with every check (cdk-nag, cdk-preflight and the
CloudFormation validation engine) takes 1-3 s, and the first one in a process a few seconds more
(jsii loads aws-cdk-lib and the engine once per process). So:

- In-process apps (tests/apps.py) are set up exactly as `cdk synth` runs app.py: with the context
  the pinned CLI hands the app, recorded from the CLI itself the first time a process builds an app
  (tests/cli_context.py, about 2 s). Nothing is copied from the CLI by hand.
- The session fixtures below synthesize each shipped environment once, in this process; every test
  of an environment reads those assemblies (`sandbox`, `production`, `assemblies`, or `assembly`,
  which runs a test once per environment). A module that needs another app synthesizes it in a
  module-scoped fixture, once.
- One real-CLI synth: tests/test_cli_synth.py runs `cdk synth` of the sandbox as a user does,
  offline, and proves it writes the in-process `sandbox`'s assembly, file for file.
- cfn-lint runs once over both environments (tests/test_gate_cfn_lint.py); the config-space sample
  (tests/test_config_space.py) lints its own examples while it synthesizes the next one.
- Tests marked `scale` (the 50- and 250-service apps) run only when the -m expression names that
  marker (`make test-scale`).
- Account tools are tested on moto in this process (the `aws` fixture).

Nothing here depends on the order tests run in or on state shared between processes (with
pytest-xdist, each worker would build the session fixtures it needs for itself; it is not used:
docs/performance.md has the measurement).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import boto3

    from tests.assembly import Assembly

ENVIRONMENTS = ("sandbox", "production")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests marked `scale` unless the -m expression names that marker."""
    if "scale" in (config.getoption("markexpr") or ""):
        return
    slow = [item for item in items if item.get_closest_marker("scale") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("scale") is None]


def _synthesized(environment: str, factory: pytest.TempPathFactory) -> Assembly:
    # Imported here: aws-cdk-lib loads only when a test needs an assembly.
    from tests.apps import synth_environment
    from tests.assembly import Assembly

    return Assembly(environment, synth_environment(environment, factory.mktemp(environment)))


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    """The sandbox, synthesized in this process as `cdk synth` does (the same bytes)."""
    return _synthesized("sandbox", tmp_path_factory)


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    """Production, synthesized in this process as `cdk synth` does (the same bytes)."""
    return _synthesized("production", tmp_path_factory)


@pytest.fixture(scope="session")
def assemblies(sandbox: Assembly, production: Assembly) -> dict[str, Assembly]:
    return {"sandbox": sandbox, "production": production}


@pytest.fixture(scope="session", params=ENVIRONMENTS)
def assembly(request: pytest.FixtureRequest, assemblies: dict[str, Assembly]) -> Assembly:
    """Each environment's assembly in turn, for tests that hold in every environment."""
    return assemblies[request.param]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """A boto3 session on moto's in-process account (fake credentials, no network). moto's
    default AMIs stay unloaded: no test uses them, and loading them costs about 0.3 s per region
    a test touches."""
    import boto3
    from moto import mock_aws

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")
