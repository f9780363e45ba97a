"""Work a whole `make test` run is certain to need, started in other processes while this one
works: the CLI's context for in-process apps and the suite's one real-CLI synth of the sandbox
before collection (which takes a few seconds on one core while the other idles), and the commands
tests only read the outcome of (tests/helpers/commands.py) once the environments are synthesized
(started earlier, they compete with those synths and the real-CLI synth for the second core).
Started only for a run of the whole default tier (a bare `pytest` or `make test`); any other run
starts each one when a test first needs it."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers.cdk_cli import StartedSynth, cli_context, start_synth
from tests.helpers.commands import COMMANDS, ROOT, below_the_tests

_started: dict[str, Any] = {}
# The fixtures (tests/conftest.py) whose value another process computes beside the suite.
FROM_OTHER_PROCESSES = frozenset({"outcome", "cli_synth", "lint_run"})


@dataclass(frozen=True)
class Outcome:
    """How a command of tests/helpers/commands.py ended, and its own directory (what it wrote)."""

    returncode: int
    stdout: str
    stderr: str
    work: Path


_commands: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
_outcomes: dict[str, Outcome] = {}


def _work(prefix: str) -> Path:
    work = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    return work


def _launch(name: str) -> None:
    work = _work(f"{name}-")
    command = COMMANDS[name](work)
    with (work / "stdout.txt").open("wb") as stdout, (work / "stderr.txt").open("wb") as stderr:
        process = subprocess.Popen(
            command.argv,
            cwd=ROOT,
            env=command.env,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
        )
    below_the_tests(process)
    _commands[name] = (process, work)


def outcome(name: str, timeout: float = 300) -> Outcome:
    """The outcome of the command `name`, started now unless it was started early."""
    if name not in _outcomes:
        if name not in _commands:
            _launch(name)
        process, work = _commands.pop(name)
        process.wait(timeout=timeout)
        _outcomes[name] = Outcome(
            process.returncode,
            (work / "stdout.txt").read_text(),
            (work / "stderr.txt").read_text(),
            work,
        )
    return _outcomes[name]


def start(environment: str) -> None:
    """Start recording the CLI's context (in a thread: a subprocess it waits for) and the real-CLI
    synth of `environment`; the commands follow later (`start_commands`)."""
    work = _work("early-")
    (work / "context").mkdir()
    pool = ThreadPoolExecutor(max_workers=1)
    _started["context"] = pool.submit(cli_context, work / "context")
    pool.shutdown(wait=False)
    _started["synth"] = start_synth(environment, work / "cli" / "cdk.out")


def started() -> bool:
    """Whether `start` began this run."""
    return "context" in _started


def start_commands() -> None:
    """In a run `start` began, start every command no test has asked for yet."""
    if started():
        for name in COMMANDS:
            if name not in _commands and name not in _outcomes:  # not asked for yet
                _launch(name)


def cli_context_future() -> Future[dict[str, Any]] | None:
    future: Future[dict[str, Any]] | None = _started.get("context")
    return future


def take_synth(environment: str) -> StartedSynth | None:
    """The real-CLI synth started early for `environment`, once (None if none was)."""
    synth: StartedSynth | None = _started.get("synth")
    if synth is None or synth.environment != environment:
        return None
    del _started["synth"]
    return synth


def stop() -> None:
    synth = _started.pop("synth", None)
    if synth is not None:
        synth.stop()
    while _commands:
        process, _ = _commands.popitem()[1]
        if process.poll() is None:
            process.kill()
        process.wait()
