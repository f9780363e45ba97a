"""A `docker` executable that records its calls, for tests of what `make push-image` runs.

There is no Docker daemon (nor a registry) where the tests run, so the commands tools/images/push.py
derives are checked, not what Docker would do with them: each call is appended to the file named
by DOCKER_RECORDER_LOG as a JSON line {"argv": [...], "stdin": ...} (stdin is read only for
`--password-stdin`). DOCKER_RECORDER_FAIL="buildx build" makes calls starting with those words exit
1; `buildx version` prints a version line like the real plugin's.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

_SCRIPT = """#!{python}
import json, os, sys
args = sys.argv[1:]
stdin = sys.stdin.read() if "--password-stdin" in args else None
with open(os.environ["DOCKER_RECORDER_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"argv": args, "stdin": stdin}}) + "\\n")
print("docker " + " ".join(args), file=sys.stderr, flush=True)
failing = os.environ.get("DOCKER_RECORDER_FAIL", "").split()
if failing and args[: len(failing)] == failing:
    sys.exit(1)
if args[:2] == ["buildx", "version"]:
    print("github.com/docker/buildx v0.0.0 (recorded)")
"""


def install(directory: Path) -> Path:
    """Write the recording `docker` into `directory` (to put first on PATH); returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "docker"
    script.write_text(_SCRIPT.format(python=sys.executable), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return directory


def calls(log: Path) -> list[dict[str, Any]]:
    """The recorded calls, oldest first ([] when there was none)."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
