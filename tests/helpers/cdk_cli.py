"""Run the project's pinned CDK CLI the way a user's `make synth` does, without any AWS access."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CDK_BIN = ROOT / "node_modules" / ".bin" / "cdk"
VENV_BIN = ROOT / ".venv" / "bin"
CONTEXT_RECORDER = Path(__file__).resolve().parent / "cli_context.py"


def jsii_package_cache() -> str:
    """The user's jsii package cache, where aws-cdk-lib is unpacked once. A run with an empty HOME
    would otherwise unpack its 200 MB again (measured: 16 s instead of 7 s per synth)."""
    configured = os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT")
    if configured:
        return configured
    if sys.platform == "darwin":
        return str(Path.home() / "Library" / "Caches" / "com.amazonaws.jsii" / "package-cache")
    return str(Path.home() / ".cache" / "aws" / "jsii" / "package-cache")


def offline_environment(
    home: Path, dropped_prefixes: tuple[str, ...] = ("AWS_",)
) -> dict[str, str]:
    """The current environment minus every variable starting with one of `dropped_prefixes` (any
    case), with HOME pointed at an empty folder (no ~/.aws), the user's jsii package cache, the
    venv's Node first on PATH, and the CLI's notices, telemetry and version check off."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(dropped_prefixes)
    }
    env.update(
        HOME=str(home),
        JSII_RUNTIME_PACKAGE_CACHE_ROOT=jsii_package_cache(),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        CDK_DISABLE_CLI_TELEMETRY="1",
        CDK_DISABLE_VERSION_CHECK="1",
    )
    return env


def _synth_command(outdir: Path, *extra_args: str) -> list[str]:
    return [str(CDK_BIN), "synth", "--quiet", "--no-notices", "-o", str(outdir), *extra_args]


@dataclass(frozen=True)
class SynthRun:
    """The outcome of one `cdk synth`."""

    environment: str
    outdir: Path
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> SynthRun:
        if self.returncode != 0:
            raise AssertionError(
                f"cdk synth of '{self.environment}' exited {self.returncode}:\n"
                f"{self.stderr[-6000:]}"
            )
        return self


@dataclass(frozen=True)
class StartedSynth:
    """A `cdk synth` running in the background. Its output goes to files beside `outdir`, so
    nothing has to read it while it runs."""

    process: subprocess.Popen[bytes]
    environment: str
    outdir: Path

    def finish(self, timeout: float = 600) -> SynthRun:
        """Wait for the synth and return its outcome."""
        self.process.wait(timeout=timeout)
        return SynthRun(
            self.environment,
            self.outdir,
            self.process.returncode,
            (self.outdir.parent / "stdout.txt").read_text(),
            (self.outdir.parent / "stderr.txt").read_text(),
        )

    def stop(self) -> None:
        """Kill the synth if it still runs: the CLI and the `python app.py` it started."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start_synth(environment: str, outdir: Path, *extra_args: str) -> StartedSynth:
    """Start `cdk synth -c environment=ENVIRONMENT` into `outdir` (its stdout.txt, stderr.txt and
    empty HOME go beside it), offline."""
    work = outdir.parent
    (work / "empty-home").mkdir(parents=True, exist_ok=True)
    with (work / "stdout.txt").open("wb") as stdout, (work / "stderr.txt").open("wb") as stderr:
        process = subprocess.Popen(
            _synth_command(outdir, "-c", f"environment={environment}", *extra_args),
            cwd=ROOT,
            env=offline_environment(work / "empty-home"),
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            # Its own process group, so that stop() ends the CLI and the app it runs together.
            start_new_session=True,
        )
    return StartedSynth(process, environment, outdir)


def cli_context(work: Path, project: Path = ROOT) -> dict[str, Any]:
    """Everything the pinned CLI hands the app it runs for `cdk synth` in `project` (its cdk.json's
    context and the CLI's own keys), as tests/helpers/cli_context.py records it when the CLI runs it
    as the app. The CLI then reports that the app synthesized nothing and exits non-zero:
    expected."""
    record = work / "context.json"
    (work / "empty-home").mkdir(parents=True, exist_ok=True)
    recorder = shlex.join([sys.executable, str(CONTEXT_RECORDER), str(record)])
    result = subprocess.run(
        _synth_command(work / "cdk.out", "--app", recorder),
        cwd=project,
        env=offline_environment(work / "empty-home"),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=300,
        check=False,
    )
    if not record.exists():
        raise RuntimeError(
            f"`cdk synth --app {CONTEXT_RECORDER.name}` recorded no context (exit "
            f"{result.returncode}; is the CLI installed? `make setup`):\n{result.stderr[-4000:]}"
        )
    context: dict[str, Any] = json.loads(record.read_text())
    return context
