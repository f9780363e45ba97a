"""Deploy smoke test fixtures: a `moto_server` on loopback and the sandbox deployed into it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.deploy.helpers.checkers import EMULATOR_UNDEPLOYABLE_UNITS
from tests.deploy.helpers.cli import (
    CliRun,
    bootstrap_args,
    deploy_args,
    destroy_args,
    emulator_environment,
    run_cdk,
)
from tests.deploy.helpers.emulator import CustomResourceResponder, MotoServer, free_loopback_port
from tests.helpers.assembly import Assembly


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """`moto_server` on 127.0.0.1 and a free port; stopped at the end whatever happened."""
    server = MotoServer(free_loopback_port(), tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        server.start(ready_timeout=60)
        yield server
    finally:
        server.stop()


@dataclass
class Deployment:
    """The sandbox assembly deployed to the emulator, and every CLI run made so far."""

    server: MotoServer
    assembly: Assembly
    env: dict[str, str]
    responder: CustomResourceResponder
    stacks: tuple[str, ...]
    runs: dict[str, CliRun] = field(default_factory=dict)

    def cdk(self, phase: str, *args: str) -> CliRun:
        self.runs[phase] = run_cdk(*args, env=self.env)
        return self.runs[phase]

    def deploy(self, phase: str) -> CliRun:
        return self.cdk(phase, *deploy_args(self.assembly.outdir, self.stacks))

    def destroy(self, phase: str) -> CliRun:
        return self.cdk(phase, *destroy_args(self.assembly.outdir, self.stacks))


def deployable_stacks(assembly: Assembly) -> tuple[str, ...]:
    """The assembly's stacks but those of the recorded units the emulator cannot take."""
    left_out = {assembly.stack_name(unit) for unit in EMULATOR_UNDEPLOYABLE_UNITS}
    return tuple(name for name in assembly.all_templates() if name not in left_out)


@pytest.fixture(scope="module")
def deployment(
    moto_server: MotoServer, sandbox: Assembly, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """`cdk bootstrap` then `cdk deploy` of the session's sandbox assembly (the same files every
    other test reads): every stack the emulator can take (`deployable_stacks`). The sandbox is
    account-agnostic, so the CLI resolves the account from the emulator's STS (123456789012), as
    it would from a user's credentials."""
    moto_server.reset()
    env = emulator_environment(moto_server, tmp_path_factory.mktemp("cdk-home"))
    with CustomResourceResponder(moto_server) as responder:
        deployment = Deployment(moto_server, sandbox, env, responder, deployable_stacks(sandbox))
        deployment.cdk("bootstrap", *bootstrap_args(sandbox.outdir)).check()
        deployment.deploy("deploy").check()
        yield deployment
