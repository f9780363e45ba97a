"""Run the pinned CDK CLI against the emulator: the user's real bootstrap/deploy/destroy path."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.helpers.emulator import ACCOUNT, LOOPBACK, REGION, MotoServer
from tests.helpers.cdk_cli import CDK_BIN, ROOT, offline_environment

# Variables that could send a request anywhere but loopback, or pick up the user's real identity.
_DROPPED_PREFIXES = ("AWS_", "CDK_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def emulator_environment(server: MotoServer, home: Path) -> dict[str, str]:
    """Environment for the CLI: only the emulator's endpoint, dummy credentials, an empty HOME."""
    home.mkdir(parents=True, exist_ok=True)
    env = offline_environment(home, _DROPPED_PREFIXES)
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL=server.endpoint,
        # The CLI hands CloudFormation a virtual-host S3 template URL moto cannot resolve; this
        # makes it path-style on the emulator.
        AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION=f"http://localhost:{server.port}",
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY=f"{LOOPBACK},localhost",
    )
    return env


@dataclass(frozen=True)
class CliRun:
    """One finished CLI command."""

    args: tuple[str, ...]
    returncode: int
    output: str
    seconds: float

    def check(self) -> CliRun:
        if self.returncode != 0:
            raise AssertionError(
                f"cdk {' '.join(self.args)} exited {self.returncode}:\n{self.output[-8000:]}"
            )
        return self


def run_cdk(*args: str, env: dict[str, str], timeout: float = 900) -> CliRun:
    """`cdk ARGS --no-notices` from the repository root; stdout and stderr interleaved."""
    started = time.monotonic()
    completed = subprocess.run(
        [str(CDK_BIN), *args, "--no-notices"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliRun(args, completed.returncode, completed.stdout, time.monotonic() - started)


def bootstrap_args(assembly_dir: Path) -> tuple[str, ...]:
    """`cdk bootstrap` of the emulator's account and region; `--app` names the session's assembly
    so the CLI neither synthesizes nor locks the repository's own cdk.out."""
    return ("bootstrap", f"aws://{ACCOUNT}/{REGION}", "--app", str(assembly_dir))


def deploy_args(assembly_dir: Path, stacks: Sequence[str]) -> tuple[str, ...]:
    """`cdk deploy` of the named stacks of a synthesized assembly (`--exclusively`: only those,
    the emulator cannot take the rest); `--method=direct` because moto's change-set path drops
    exports; the CLI deploys them in dependency order."""
    return (
        "deploy",
        "--app",
        str(assembly_dir),
        *stacks,
        "--exclusively",
        "--require-approval",
        "never",
        "--method=direct",
        "--progress",
        "events",
    )


def destroy_args(assembly_dir: Path, stacks: Sequence[str]) -> tuple[str, ...]:
    return ("destroy", "--app", str(assembly_dir), *stacks, "--exclusively", "--force")
