"""How the test suite is put together: read this first.

Synthesizing is what costs: a whole app with every check (cdk-nag, cdk-preflight and the
CloudFormation validation engine) takes 1-3 s, and the first one in a process a few seconds more
(jsii loads aws-cdk-lib and the engine once per process). So:

- In-process apps (tests/helpers/apps.py) are set up exactly as `cdk synth` runs app.py: with the
  context the pinned CLI hands the app, recorded from the CLI itself the first time a process
  builds an app (tests/helpers/cli_context.py, about 2 s). Nothing is copied from the CLI by hand.
- The session fixture `environments` synthesizes each shipped environment once, in this process;
  every test of an environment reads those assemblies (`sandbox`, `production`, `assemblies`, or
  `assembly`, which runs a test once per environment). A module that needs another app builds it in
  a module-scoped fixture, once.
- Work that waits on another process runs beside the rest of the suite (this machine has 2 cores
  and the in-process work uses one), each started only when a selected test needs it: the suite's
  one real-CLI synth (`cli_synth`), `cdk synth` of the sandbox as a user runs it, offline,
  started before the in-process synths (tests/test_cli_synth.py proves it writes the in-process
  `sandbox`'s assembly, file for file); cfn-lint over both environments (`lint_run`), started
  once they exist (tests/test_gate_cfn_lint.py); and the commands of tests/helpers/commands.py
  (`outcome`: a tool run as a user runs it, a fresh interpreter's imports, the plan's cases),
  started with them in a whole run. In a whole run the tests that read these run last.

Tiers, by marker. A test's tier is the marker on it or on its module (`pytestmark`), nothing
else: not its directory, not its fixtures. The selection is pytest's own `-m`: pyproject.toml's
addopts gives the default tier's expression, and each `make test-*` target passes the one of its
tier, which replaces it (pytest keeps the last -m). Chosen over a collection hook because a bare
`pytest`, `pytest -m integration` and the Makefile then select the same tests with no code of
ours, and `pytest --markers` lists the tiers.
- `make test` (no tier marker): unit tests, both shipped environments with every gate and
  snapshot, the one real-CLI synth, and the config contract's validator half over hypothesis's
  config space (tests/test_config_refusals.py). Budget: 4 full synths (`make bench`).
- `make test-integration` (`integration`): tests that synthesize another whole platform (config
  variants, the docs' apps, a sample of the config space, the day-two changes of
  tests/plan/helpers/catalogue.py) or run the account tools on moto (the `aws` fixture;
  tests/test_makefile.py fails a test on it that names no tier).
- `make test-scale` (`scale`): the 50- to 251-service apps.
- `make test-fuzz` (`fuzz`): the config-space property test with FUZZ_EXAMPLES examples (its
  module is `integration` too, where it runs a small fixed-seed sample).
- `make test-deploy` (`deploy`, tests/deploy): the emulator deploy and the deploy guide.
CI (.ci/run) runs every tier. To run some tests of another tier, name it too:
`pytest -m deploy tests/deploy/test_emulator.py` (without -m, its tests are deselected).

Helpers the tests share live in tests/helpers/ (tests/deploy/helpers/ for the emulator's);
test modules hold tests only.

Nothing here depends on the order tests run in or on state shared between processes (with
pytest-xdist, each worker would build the session fixtures it needs for itself; it is not used:
docs/performance.md has the measurement).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers import early
from tests.helpers.early import Outcome
from tests.helpers.environments import Environments

if TYPE_CHECKING:
    import boto3

    from tests.helpers.assembly import Assembly
    from tests.helpers.cdk_cli import SynthRun
    from tests.helpers.cfn_lint import LintRun

ENVIRONMENTS = ("sandbox", "production")


def _default_tier(config: pytest.Config) -> str:
    """The default tier's -m expression, as pyproject.toml's addopts gives it."""
    addopts = config.getini("addopts")
    return str(addopts[addopts.index("-m") + 1]) if "-m" in addopts else ""


def pytest_sessionstart(session: pytest.Session) -> None:
    """A run of the whole default tier (`make test`, a bare `pytest`) starts the work its
    `environments` fixture will need before collection (tests/helpers/early.py)."""
    config = session.config
    tests = Path(config.rootpath, "tests").resolve()
    whole = [Path(config.rootpath, arg).resolve() for arg in config.args] == [tests]
    if (
        whole
        and config.option.markexpr == _default_tier(config)
        and not config.option.keyword
        and not config.option.collectonly
    ):
        early.start("sandbox")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In a run `early` started, the tests that read what another process computed (the real-CLI
    synth, cfn-lint, the commands of tests/helpers/commands.py) run last, so those processes
    rarely keep a test waiting; the others keep pytest's order."""
    if early.started():
        items.sort(
            key=lambda item: bool(
                early.FROM_OTHER_PROCESSES & set(getattr(item, "fixturenames", ()))
            )
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    early.stop()


@pytest.fixture(scope="session")
def environments(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Environments]:
    """The shipped environments, each synthesized once in this process as `cdk synth` does (the
    same bytes), with the real CLI's synth of the sandbox running beside them and cfn-lint over
    both started as soon as they exist, each only when a selected test needs it (`cli_synth`,
    `lint_run`): a run of other tests keeps the second core. The commands of a whole run start
    then too (tests/helpers/early.py). Whatever a run did not wait for is stopped at the end."""
    # Imported here: aws-cdk-lib loads only when a test needs an assembly.
    from tests.helpers.apps import synth_environment
    from tests.helpers.assembly import Assembly
    from tests.helpers.cdk_cli import start_synth
    from tests.helpers.cfn_lint import start_gate_lint

    needed = {name for item in request.session.items for name in getattr(item, "fixturenames", ())}
    cli_synth = early.take_synth("sandbox")
    if cli_synth is None and "cli_synth" in needed:
        cli_synth = start_synth("sandbox", tmp_path_factory.mktemp("cli-sandbox") / "cdk.out")
    cfn_lint = None
    try:
        # Production first: the real-CLI synth, started earlier, validates the sandbox's templates
        # into the shared validation cache meanwhile, so on a clean clone the sandbox here mostly
        # reads its findings from there (the same findings, validated once instead of twice).
        synthesized = {
            name: Assembly(name, synth_environment(name, tmp_path_factory.mktemp(name)))
            for name in sorted(ENVIRONMENTS, key=lambda name: name == "sandbox")
        }
        assemblies = {name: synthesized[name] for name in ENVIRONMENTS}
        outdirs = [assembly.outdir for assembly in assemblies.values()]
        if "lint_run" in needed:
            cfn_lint = start_gate_lint(outdirs, tmp_path_factory.mktemp("cfn-lint"))
        early.start_commands()
        yield Environments(assemblies, cli_synth, cfn_lint)
    finally:
        if cli_synth is not None:
            cli_synth.stop()
        if cfn_lint is not None:
            cfn_lint.stop()


@pytest.fixture(scope="session")
def cli_synth(environments: Environments) -> SynthRun:
    """`cdk synth -c environment=sandbox` by the pinned CLI with AWS_* removed and an empty HOME
    (no ~/.aws), started before the in-process synths (tests/test_cli_synth.py)."""
    assert environments.cli_synth is not None  # started: this fixture is in `needed`
    return environments.cli_synth.finish()


@pytest.fixture(scope="session")
def lint_run(environments: Environments) -> LintRun:
    """cfn-lint once over every template of every environment (in their configured regions) and
    the known-bad fragment of tests/helpers/cfn_lint.py, started once both were synthesized
    (tests/test_gate_cfn_lint.py)."""
    assert environments.cfn_lint is not None  # started: this fixture is in `needed`
    return environments.cfn_lint.finish()


@pytest.fixture(scope="session")
def assemblies(environments: Environments) -> dict[str, Assembly]:
    return environments.assemblies


@pytest.fixture(scope="session")
def sandbox(assemblies: dict[str, Assembly]) -> Assembly:
    """The sandbox, synthesized in this process as `cdk synth` does (the same bytes)."""
    return assemblies["sandbox"]


@pytest.fixture(scope="session")
def production(assemblies: dict[str, Assembly]) -> Assembly:
    """Production, synthesized in this process as `cdk synth` does (the same bytes)."""
    return assemblies["production"]


@pytest.fixture(scope="session", params=ENVIRONMENTS)
def assembly(request: pytest.FixtureRequest, assemblies: dict[str, Assembly]) -> Assembly:
    """Each environment's assembly in turn, for tests that hold in every environment."""
    return assemblies[request.param]


@pytest.fixture(scope="session")
def outcome() -> Callable[[str], Outcome]:
    """The outcome of a command of tests/helpers/commands.py by name (a tool run as a user runs
    it, a fresh interpreter's imports, the plan's cases), run in another process beside the suite:
    `outcome("check-without-credentials").stderr`."""
    return early.outcome


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
