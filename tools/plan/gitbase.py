"""A base synthesized from a git ref: that commit's app (its app.py, stacks, constructs, config and
cdk.json), exported with `git archive` into a temporary directory and synthesized there with the
project's pinned CLI and venv, for the same environment, config of record and overrides files."""

from __future__ import annotations

import os
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "node_modules" / ".bin" / "cdk"
# The project's toolchain, linked into the exported tree (cdk.json runs `.venv/bin/python app.py`).
LINKED = (".venv", "node_modules")


class GitBaseError(Exception):
    """The ref is unknown, or its app does not synthesize."""


def is_git_ref(ref: str, repository: Path = ROOT) -> bool:
    completed = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=repository,
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.returncode == 0


def synth_at_ref(
    ref: str,
    environment: str,
    overrides: Sequence[Path],
    workdir: Path,
    repository: Path = ROOT,
    config: str | None = None,
) -> Path:
    """Synthesize `environment` (with `overrides`, files of the working tree) as the app at `ref`
    builds it, into `workdir`/cdk.out; return that directory. `config` is the config of record
    (`-c config=`): a relative directory is the ref's own, as cdk.json's default is; None: that
    default."""
    if not is_git_ref(ref, repository):
        raise GitBaseError(f"BASE={ref}: neither a cloud assembly directory nor a git commit")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref],
        cwd=repository,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise GitBaseError(f"git archive {ref}: {archive.stderr.decode(errors='replace').strip()}")
    source = workdir / "src"
    source.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        # The "data" filter (Python 3.11.4+) refuses absolute paths and links out of the tree.
        if hasattr(tarfile, "data_filter"):
            tar.extractall(source, filter="data")
        else:  # older 3.11: git archive writes only the repository's own files
            tar.extractall(source)
    for name in LINKED:
        (source / name).symlink_to(repository / name)
    outdir = workdir / "cdk.out"
    command = [
        str(CDK),
        "synth",
        "--quiet",
        "--no-notices",
        "-o",
        str(outdir),
        "-c",
        f"environment={environment}",
    ]
    if config is not None:
        command += ["-c", f"config={config}"]
    if overrides:
        paths = ",".join(str(path.resolve()) for path in overrides)
        command += ["-c", f"config_overrides={paths}"]
    env = {**os.environ, "PATH": f"{repository / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    completed = subprocess.run(
        command, cwd=source, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        tail = " | ".join(completed.stderr.strip().splitlines()[-5:])
        raise GitBaseError(f"the app at {ref} did not synthesize '{environment}': {tail}")
    return outdir


def temporary_workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="plan-base-")
