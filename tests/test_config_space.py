"""Property: every configuration the validator accepts synthesizes clean
(tests/helpers/contract.py).

Hypothesis draws whole environments from tests/helpers/config_space.py. Each one that
`load_config` accepts is synthesized in this process, exactly as `cdk synth` does, and must break
no part of the contract; each one it refuses is counted by the field refused. A failing example is
written as an overrides file that reproduces it with
`make synth CONFIG=<empty dir> OVERRIDES=<file>`.

Profiles (HYPOTHESIS_PROFILE): `sample` (the default, `make test-integration`): a few examples
from a fixed seed; `fuzz` (`make test-fuzz`): FUZZ_EXAMPLES (default 200) examples, with counts
and time printed at the end; random on a workstation, a fixed set under CI=true (reproducible
landings). make test checks the validator over the same space, without synth
(tests/test_config_refusals.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings

from platform_config import ConfigError, load_config
from tests.helpers.apps import ROOT, project_app
from tests.helpers.config_space import platform_configs
from tests.helpers.contract import contract_problems, lint_problems, start_lint
from tools.gates.lint_templates import stack_templates

settings.register_profile(
    "sample",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "4")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    # CI (CI=true) draws the same 200 examples every run, so whether a commit lands never depends
    # on luck; elsewhere every run draws new ones.
    derandomize=os.environ.get("CI") == "true",
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "sample")
# Every example is a whole platform synthesized with every check: a sample in the integration
# tier, FUZZ_EXAMPLES of them in the fuzz tier.
pytestmark = [pytest.mark.integration, pytest.mark.fuzz]
FAILURES = ROOT / "build" / "config-space"
# The last run's counts (make test-fuzz prints them too).
SUMMARY = FAILURES / f"summary-{PROFILE}.txt"


class Run:
    """What one session's examples did: counts, the refusals by field, pending cfn-lint work."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.counts: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.lint_failures: list[str] = []
        self.linted: set[str] = set()
        self.pending: tuple[subprocess.Popen[str], Path, dict[str, Any]] | None = None
        self.started = time.monotonic()

    def lint(self, outdir: Path, raw: dict[str, Any]) -> None:
        """cfn-lint the templates of `outdir` not linted before (same bytes, same region) while the
        next example synthesizes; one run at a time. The assembly is deleted once linted."""
        self.finish_lint()
        fresh = {}
        for template, region in stack_templates(outdir).items():
            digest = hashlib.sha256(template.read_bytes() + region.encode()).hexdigest()
            if digest not in self.linted:
                self.linted.add(digest)
                fresh[template] = region
        self.counts["templates linted"] += len(fresh)
        if fresh:
            self.pending = (start_lint(fresh), outdir, raw)
        else:
            shutil.rmtree(outdir)

    def finish_lint(self) -> None:
        if self.pending is None:
            return
        process, outdir, raw = self.pending
        self.pending = None
        problems = lint_problems(process)
        if problems:
            path = write_overrides(raw)
            self.lint_failures.append(f"{reproduce(path)}:\n  " + "\n  ".join(problems))
        else:
            shutil.rmtree(outdir)

    def summary(self) -> str:
        """The counts, the time and the refusals by field (`make test-fuzz` prints them)."""
        elapsed = time.monotonic() - self.started
        counts = ", ".join(f"{value} {key}" for key, value in sorted(self.counts.items()))
        lines = [f"config space ({PROFILE}): {counts} in {elapsed:.0f} s"]
        lines += [f"  refused {count:3d} x {field}" for field, count in self.refusals.most_common()]
        return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    state = Run(tmp_path_factory.mktemp("config-space"))
    yield state
    state.finish_lint()


def write_overrides(raw: dict[str, Any]) -> Path:
    """The example as an overrides file under build/config-space/ (named by its content)."""
    text = json.dumps(raw, indent=2, sort_keys=True) + "\n"
    path = FAILURES / f"config-{hashlib.sha256(text.encode()).hexdigest()[:12]}.json"
    FAILURES.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# An empty config of record: the examples are whole environments, services included.
NO_RECORD = FAILURES / "no-record"


def reproduce(path: Path) -> str:
    NO_RECORD.mkdir(parents=True, exist_ok=True)
    return (
        f"reproduce with: make synth CONFIG={NO_RECORD.relative_to(ROOT)} "
        f"OVERRIDES={path.relative_to(ROOT)}"
    )


@settings(settings.get_profile(PROFILE))
@given(raw=platform_configs())
def test_every_valid_config_synthesizes_clean(raw: dict[str, Any], run: Run) -> None:
    """Validated -> no exception, no unacknowledged finding, no deploy-time rule error, no
    security-rule finding, ALB subnets >= /27, stacks within quotas (cfn-lint: the next test)."""
    run.counts["examples"] += 1
    try:
        config = load_config("sandbox", overrides=raw)
    except ConfigError as error:
        run.counts["refused"] += 1
        for problem in error.problems:
            run.refusals[problem.split(":", 1)[0]] += 1
        reject()
    outdir = run.work / f"example-{run.counts['examples']}"
    try:
        from stacks.platform import build_platform

        app = project_app(outdir)
        build_platform(app, config)
        app.synth()
    except Exception as error:
        path = write_overrides(raw)
        raise AssertionError(f"synth raised {error!r}; {reproduce(path)}") from error
    problems = contract_problems(
        outdir,
        name=f"example-{run.counts['examples']}",
        kms_logs=config.kms_encrypted_logs,
        retain=config.retain_stateful_resources,
    )
    if problems:
        path = write_overrides(raw)
        raise AssertionError("\n".join([*problems, reproduce(path)]))
    run.counts["synthesized clean"] += 1
    run.lint(outdir, raw)


def test_every_synthesized_example_is_cfn_lint_clean(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    """cfn-lint, run beside the synths above, found nothing in any example's templates."""
    run.finish_lint()
    summary = run.summary()
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(summary)
    with capsys.disabled():
        print("\n" + summary, end="")
    assert run.counts["synthesized clean"], "no example synthesized: the strategies are too narrow"
    assert not run.lint_failures, "\n".join(run.lint_failures)
