"""Work a whole `make test` run is certain to need, started before collection (which takes about
10 s on one core while the other idles): the CLI's context for in-process apps and the suite's
one real-CLI synth of the sandbox. Started only for a run of the whole default tier (a bare
`pytest` or `make test`); any other run starts each one when a test first needs it."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.helpers.cdk_cli import StartedSynth, cli_context, start_synth

_started: dict[str, Any] = {}


def start(environment: str) -> None:
    """Start recording the CLI's context (in a thread: a subprocess it waits for) and the real-CLI
    synth of `environment`."""
    work = Path(tempfile.mkdtemp(prefix="early-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    (work / "context").mkdir()
    pool = ThreadPoolExecutor(max_workers=1)
    _started["context"] = pool.submit(cli_context, work / "context")
    pool.shutdown(wait=False)
    _started["synth"] = start_synth(environment, work / "cli" / "cdk.out")


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
