"""Session-wide fixtures: every environment is synthesized once and every test reads the same
cloud assemblies. The real pinned CDK CLI synthesizes the sandbox without AWS credentials;
production is synthesized in this process with the CLI's exact context (the same bytes:
test_cli_synth.py).

The CLI synths (and then cfn-lint) start in the background before collection (tests/background.py);
tests that need none of them run first, so the machine's cores work on both at once.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.background import CLI_ENVIRONMENTS, ENVIRONMENTS, BackgroundWork
from tests.cdk_cli import SynthRun

if TYPE_CHECKING:
    from tests.assembly import Assembly
    from tests.gates.cfn_lint import LintMatch

BACKGROUND = pytest.StashKey[BackgroundWork]()
# Environments synthesized in this process: their assembly directory, or why the synth failed.
IN_PROCESS = pytest.StashKey[dict[str, Path | Exception]]()
# Fixtures served by the background work, in the order their results arrive.
BACKGROUND_FIXTURES = ("cli_runs", "lint_matches")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Start the background work now when the whole suite (or a folder of it) runs. A run of a
    few tests starts it on first use instead: it would compete with their collection for nothing."""
    config = session.config
    whole_folders = all(Path(arg.split("::")[0]).is_dir() for arg in config.args)
    if config.option.collectonly or config.option.keyword or not whole_folders:
        return
    config.stash[BACKGROUND] = BackgroundWork.start(_tmp_path_factory(config).mktemp("synth"))


def _tmp_path_factory(config: pytest.Config) -> pytest.TempPathFactory:
    """The factory the tmp_path_factory fixture returns, for hooks (pytest sets it at configure):
    outputs land in the session's basetemp, which pytest keeps for the last three sessions."""
    factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
    return factory


def _background_stage(item: pytest.Item) -> int:
    """0 for a test that needs no background result, else 1 + the latest one it needs."""
    names = getattr(item, "fixturenames", ())
    return max((1 + i for i, name in enumerate(BACKGROUND_FIXTURES) if name in names), default=0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run whole modules in the order their background results arrive (a module stays together, so
    its module-scoped fixtures are built once); stop the background work nobody needs. Tests
    marked `scale` run only when the -m expression names that marker (make test-scale)."""
    if "scale" not in (config.option.markexpr or ""):
        slow = [item for item in items if item.get_closest_marker("scale") is not None]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if item.get_closest_marker("scale") is None]
    stage_of_module: dict[Path, int] = {}
    for item in items:
        stage_of_module[item.path] = max(stage_of_module.get(item.path, 0), _background_stage(item))
    items.sort(key=lambda item: stage_of_module[item.path])
    work = config.stash.get(BACKGROUND, None)
    if work is not None and not set(stage_of_module.values()) - {0}:
        work.cancel()


def pytest_collection_finish(session: pytest.Session) -> None:
    """In a whole-suite run, synthesize production now, before the first test: the one cfn-lint
    run then starts as soon as the CLI's sandbox synth ends, in the background."""
    work = session.config.stash.get(BACKGROUND, None)
    if work is None or not any(
        "production" in getattr(i, "fixturenames", ()) for i in session.items
    ):
        return
    with contextlib.suppress(Exception):  # the production fixture reports it
        _in_process_assembly(session.config, _tmp_path_factory(session.config), "production")


def _in_process_assembly(
    config: pytest.Config, factory: pytest.TempPathFactory, environment: str
) -> Path:
    """`environment`'s assembly, synthesized in this process once per session and handed to the
    background cfn-lint run (now, or when the background work starts)."""
    from tests.apps import synth_environment

    outcomes = config.stash.setdefault(IN_PROCESS, {})
    if environment not in outcomes:
        try:
            outcomes[environment] = synth_environment(
                environment, factory.mktemp(environment) / "cdk.out"
            )
        except Exception as error:
            outcomes[environment] = error
        work = config.stash.get(BACKGROUND, None)
        if work is not None:
            _provide(work, environment, outcomes[environment])
    outcome = outcomes[environment]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def pytest_sessionfinish(session: pytest.Session) -> None:
    work = session.config.stash.get(BACKGROUND, None)
    if work is not None:
        work.cancel()


@pytest.fixture(scope="session")
def background(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> BackgroundWork:
    """The session's background work: started by pytest_sessionstart, or here on first use."""
    work = request.config.stash.get(BACKGROUND, None)
    if work is None:
        work = BackgroundWork.start(tmp_path_factory.mktemp("synth"))
        request.config.stash[BACKGROUND] = work
        for environment, outcome in request.config.stash.get(IN_PROCESS, {}).items():
            _provide(work, environment, outcome)
    return work


def _provide(work: BackgroundWork, environment: str, outcome: Path | Exception) -> None:
    work.provide_assembly(environment, outcome if isinstance(outcome, Path) else None)


@pytest.fixture(scope="session")
def cli_runs(background: BackgroundWork) -> dict[str, SynthRun]:
    """Every real-CLI `cdk synth` of the session: the CLI environments and the bad-config run."""
    return background.synth_runs()


@pytest.fixture(scope="session")
def synth_runs(cli_runs: dict[str, SynthRun]) -> dict[str, SynthRun]:
    """The real CLI's `cdk synth` of each CLI environment."""
    return {name: cli_runs[name] for name in CLI_ENVIRONMENTS}


@pytest.fixture(scope="session")
def sandbox(synth_runs: dict[str, SynthRun]) -> Assembly:
    """The sandbox as the real CLI synthesizes it, offline."""
    from tests.assembly import Assembly  # imports aws-cdk-lib: after the background work starts

    return Assembly("sandbox", synth_runs["sandbox"].check().outdir)


@pytest.fixture(scope="session")
def production(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Assembly:
    """Production, synthesized in this process with the CLI's exact context."""
    from tests.assembly import Assembly

    outdir = _in_process_assembly(request.config, tmp_path_factory, "production")
    return Assembly("production", outdir)


@pytest.fixture(scope="session")
def assemblies(sandbox: Assembly, production: Assembly) -> dict[str, Assembly]:
    return {"sandbox": sandbox, "production": production}


@pytest.fixture(scope="session")
def lint_matches(background: BackgroundWork, assemblies: dict[str, Assembly]) -> list[LintMatch]:
    """cfn-lint's matches for every template of every environment (in their configured regions)
    and for the known-bad fragment of tests/gates/cfn_lint.py."""
    # `assemblies` is what hands production to the run, which waits for it: keep the dependency.
    return background.lint_run().matches


@pytest.fixture(scope="session", params=ENVIRONMENTS)
def assembly(request: pytest.FixtureRequest, assemblies: dict[str, Assembly]) -> Assembly:
    """Each environment's assembly in turn, for tests that hold in every environment."""
    return assemblies[request.param]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
