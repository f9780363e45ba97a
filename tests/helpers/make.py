"""The project's `make`, as a user runs it from the repository root."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping

from tests.helpers.cdk_cli import ROOT


def run_make(
    *args: str, check: bool = False, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`make ARGS` in the repository, as run (its exit code, stdout and stderr), in `env`
    (default: this process's environment)."""
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
    )


def make(*args: str, check: bool = True, env: Mapping[str, str] | None = None) -> str:
    """stdout of `make ARGS` in the repository (`-n` to see the commands without running them),
    in `env` (default: this process's environment)."""
    return run_make(*args, check=check, env=env).stdout


def help_targets() -> list[str]:
    """The targets `make help` lists, in its order."""
    return [line.split()[1] for line in make("help").splitlines() if line.startswith("  make ")]


def phony_targets() -> set[str]:
    """The targets make's own database declares commands (.PHONY), read with `make -p`."""
    database = make("-pRrq", check=False)
    (phony,) = [line for line in database.splitlines() if line.startswith(".PHONY:")]
    return set(phony.removeprefix(".PHONY:").split())
