"""The test session's subprocesses, started before pytest collects the tests so they run while it
imports modules and runs the tests that do not need them (tests/conftest.py orders those first):

1. real-CLI `cdk synth` runs: the sandbox (what a user runs first), a run that must fail at
   config validation and one that must fail on an unknown context key;
2. as soon as every environment's assembly exists (production is synthesized in the test process,
   see conftest.py), one cfn-lint run over all their templates and a known-bad fragment.

Threads wait on the subprocesses, so step 2 starts without waiting for the tests. This module
imports neither aws-cdk-lib nor cfn-lint: starting costs nothing measurable.
"""

from __future__ import annotations

import json
import subprocess
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.cdk_cli import SynthRun, finish_synth, start_synth, stop_synth
from tests.gates.cfn_lint import BAD_FRAGMENT, LintMatch, finish_cfn_lint, start_cfn_lint
from tools.lint_templates import stack_templates

ENVIRONMENTS = ("sandbox", "production")
# Environments the real CLI synthesizes; the others are synthesized in-process with the CLI's
# exact context (tests/apps.py), which writes the same bytes (tests/test_cli_synth.py).
CLI_ENVIRONMENTS = ("sandbox",)

# CLI runs that must fail at config validation: label -> (environment, overrides file content).
# app.py's other error paths are tested in-process (tests/test_cli_synth.py): a CLI run costs 3 s.
BAD_CONFIG_RUNS: dict[str, tuple[str, dict[str, Any]]] = {
    "bad-cidr": ("sandbox", {"network": {"vpc_cidr": "10.0.0.0/33"}}),
}

# CLI runs that app.py must refuse before loading any config: label -> extra `cdk synth` arguments.
BAD_CONTEXT_RUNS: dict[str, tuple[str, ...]] = {
    "unknown-context-key": ("-c", "env=production"),
}

BAD_FRAGMENT_FILE = "bad-fragment.template.json"
FRAGMENT_REGION = "us-east-1"


@dataclass(frozen=True)
class LintRun:
    """The cfn-lint run: the files it was given and what it reported."""

    files: list[Path]
    matches: list[LintMatch]


class BackgroundWork:
    """The session's CLI synths and cfn-lint run; results are waited for on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._cancelled = False
        self._synth_processes: list[tuple[subprocess.Popen[str], str, Path]] = []
        self._lint_process: subprocess.Popen[str] | None = None
        runs = len(CLI_ENVIRONMENTS) + len(BAD_CONFIG_RUNS) + len(BAD_CONTEXT_RUNS)
        self._pool = ThreadPoolExecutor(max_workers=runs + 1)
        self._synths: dict[str, Future[SynthRun]] = {}
        # The in-process environments' assembly directories (None: the synth failed).
        self._provided: dict[str, Future[Path | None]] = {
            name: Future() for name in ENVIRONMENTS if name not in CLI_ENVIRONMENTS
        }
        self._lint: Future[LintRun] | None = None

    @classmethod
    def start(cls, root: Path) -> BackgroundWork:
        work = cls(root)
        for name in CLI_ENVIRONMENTS:
            work._start_synth(name, name)
        for label, (environment, overrides) in BAD_CONFIG_RUNS.items():
            overrides_file = root / f"{label}.json"
            overrides_file.write_text(json.dumps(overrides))
            work._start_synth(label, environment, "-c", f"config_overrides={overrides_file}")
        for label, args in BAD_CONTEXT_RUNS.items():
            work._start_synth(label, "sandbox", *args)
        work._lint = work._pool.submit(work._run_lint)
        return work

    def synth_runs(self) -> dict[str, SynthRun]:
        """Every CLI synth, by label (an environment's name, or a BAD_CONFIG_RUNS label)."""
        return {label: future.result() for label, future in self._synths.items()}

    def provide_assembly(self, environment: str, outdir: Path | None) -> None:
        """Hand over an environment synthesized in the test process (None: its synth failed)."""
        future = self._provided[environment]
        if not future.done():  # cancel() settles what nobody provided
            future.set_result(outdir)

    def lint_run(self) -> LintRun:
        """cfn-lint over every environment's templates and the bad fragment."""
        assert self._lint is not None
        return self._lint.result()

    def cancel(self) -> None:
        """Stop whatever still runs (a session that does not need it, or was interrupted)."""
        with self._lock:
            self._cancelled = True
            for started in self._synth_processes:
                stop_synth(started)
            if self._lint_process is not None and self._lint_process.poll() is None:
                self._lint_process.kill()
        for future in self._provided.values():
            if not future.done():
                future.set_result(None)
        self._pool.shutdown(wait=True)

    def _start_synth(self, label: str, environment: str, *args: str) -> None:
        out = self.root / label
        started = start_synth(environment, out / "cdk.out", out / "empty-home", *args)
        self._synth_processes.append(started)
        self._synths[label] = self._pool.submit(finish_synth, started)

    def _run_lint(self) -> LintRun:
        templates: dict[Path, str] = {}
        for name in ENVIRONMENTS:
            if name in CLI_ENVIRONMENTS:
                run = self._synths[name].result()
                outdir = run.outdir if run.returncode == 0 else None
            else:
                outdir = self._provided[name].result()
            if outdir is not None:
                templates.update(stack_templates(outdir))
        fragment = self.root / BAD_FRAGMENT_FILE
        fragment.write_text(json.dumps(BAD_FRAGMENT))
        files = [*sorted(templates), fragment]
        regions = sorted({*templates.values(), FRAGMENT_REGION})
        with self._lock:
            if self._cancelled:
                return LintRun([], [])
            self._lint_process = start_cfn_lint(files, regions)
        return LintRun(files, finish_cfn_lint(self._lint_process))
