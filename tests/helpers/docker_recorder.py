"""A `docker` executable that records its calls, for tests of what `make push-image` runs.

There is no Docker daemon (nor a registry) where the tests run, so the commands tools/images/push.py
derives are checked, not what Docker would do with them: each call is appended to the file named
by DOCKER_RECORDER_LOG as a JSON line {"argv": [...], "stdin": ...} (stdin is read only for
`--password-stdin`). DOCKER_RECORDER_FAIL="buildx build" makes calls starting with those words exit
1; `buildx version` prints a version line like the real plugin's.

With DOCKER_RECORDER_PUSH_TO_ECR=1 (the deploy guide on the emulator), `buildx build --platform P
--tag HOST/REPOSITORY:TAG --push` also does to the registry what the push does: ECR (the
AWS_ENDPOINT_URL of the environment, the region of HOST) gets under TAG a single image's manifest
whose configuration names platform P, so the account check that follows finds it.
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
if args[:2] == ["buildx", "build"] and "--push" in args and os.environ.get(
    "DOCKER_RECORDER_PUSH_TO_ECR"
):
    import hashlib
    import boto3
    platform = args[args.index("--platform") + 1]
    reference = args[args.index("--tag") + 1]
    host, _, name = reference.partition("/")
    repository, _, tag = name.rpartition(":")
    os_name, _, architecture = platform.partition("/")
    config = json.dumps({{"architecture": architecture, "os": os_name}}).encode()
    media_type = "application/vnd.oci.image.manifest.v1+json"
    manifest = {{
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {{
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
            "size": len(config),
        }},
        "layers": [],
    }}
    ecr = boto3.client("ecr", region_name=host.split(".")[3])
    ecr.put_image(
        repositoryName=repository,
        imageManifest=json.dumps(manifest),
        imageManifestMediaType=media_type,
        imageTag=tag,
    )
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
