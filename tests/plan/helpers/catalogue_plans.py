"""The catalogue's changes (tests/plan/helpers/catalogue.py) as `make plan` plans them: each
distinct config synthesized once, validation plugins off (the plan reads templates, which they do
not change), and each change's request against its before's synth. tests/plan/test_catalogue.py
plans every change and sequence; tests/plan/helpers/doc_plans.py the ones docs/changing.md shows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stacks import names
from tests.plan.helpers.catalogue import Change, Overrides
from tools.plan.assembly import assembly_description, read_assembly
from tools.plan.model import State
from tools.plan.planner import Request, state_after
from tools.plan.references import importers_of

# The day the entries are planned, as `make plan` plans them (its date-dependent rules); the
# synths date the EKS version checks the same way (tests/helpers/apps.py).
TODAY = datetime.now(UTC).date()


def base_path(change: Change) -> str:
    """Where a change's before is saved as `make plan`'s BASE (relative to the repository), as
    `python -m tests.plan.helpers.doc_plans` saves it: the base its plan names."""
    return f"build/plan/{change.id}/base"


@dataclass
class Synths:
    """Each distinct (environment, overrides) synthesized once, into a directory under `root`."""

    root: Path
    outdirs: dict[str, Path] = field(default_factory=dict)
    states: dict[str, State] = field(default_factory=dict)
    seconds: float = 0.0

    def outdir(self, environment: str, overrides: Overrides) -> Path:
        from tests.helpers.apps import synth_environment

        key = json.dumps([environment, overrides], sort_keys=True)
        if key not in self.outdirs:
            started = time.monotonic()
            outdir = synth_environment(
                environment, self.root / str(len(self.outdirs)), overrides or None
            )
            self.seconds += time.monotonic() - started
            self.outdirs[key] = outdir
            self.states[key] = read_assembly(outdir)
        return self.outdirs[key]

    def state(self, environment: str, overrides: Overrides) -> State:
        self.outdir(environment, overrides)
        return self.states[json.dumps([environment, overrides], sort_keys=True)]


@contextmanager
def validations_off() -> Iterator[None]:
    """Synths without the validation plugins: the plan reads templates, which they do not change
    (cdk-nag and the deploy-time rules are tested on every shipped environment elsewhere)."""
    import stacks.platform

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stacks.platform, "add_validations", lambda *args, **kwargs: None)
        yield


def change_request(change: Change, synths: Synths) -> Request:
    """`make plan BASE=<the before's synth> OVERRIDES=<the after>`, as it runs today."""
    env = change.environment
    return Request(
        env,
        synths.state(env, change.before),
        synths.state(env, change.after),
        assembly_description(base_path(change)),
        today=TODAY,
    )


def sequence_requests(
    change: Change, synths: Synths
) -> tuple[list[Request], list[tuple[str, list[str]]]]:
    """Each step of `change`'s sequence planned against the state the step before left, and the
    destroys CloudFormation would refuse: a stack whose exports a stack still deployed imports
    ("You can't delete a stack if another stack references one of its outputs", AWS,
    Fn::ImportValue)."""
    env = change.environment
    deployed = dict(synths.state(env, change.before))
    requests = []
    refused = []
    for number, step in enumerate(change.sequence, start=1):
        # One `cdk destroy` of the step's stacks: the CLI deletes importers before producers.
        gone = {name: deployed.pop(name) for name in (names.stack_id(env, u) for u in step.destroy)}
        for name, stack in gone.items():
            users = importers_of(deployed, stack)
            if users:
                refused.append((name, users))
        request = Request(
            env,
            deployed,
            synths.state(env, step.overrides),
            f"{change.id} step {number}",
            stacks=[names.stack_id(env, unit) for unit in step.stacks] if step.stacks else None,
            accept=step.accept,
            today=TODAY,
        )
        requests.append(request)
        deployed = state_after(request)
    return requests, refused
