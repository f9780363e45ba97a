"""Names that resources outside every stack still hold: the ledger of orphaned named resources.

A resource with a retaining policy stays in the account when its stack lets it go: removed from the
template (DeletionPolicy), replaced (UpdateReplacePolicy: the old copy stays) or destroyed with its
stack (`make destroy` in production). Most have generated names and are only left behind, but one
with a fixed name (tools/plan/keys.py) keeps that name: a later deploy that creates a resource of
that name fails ("already exists"), and the deploy record no longer shows the holder, since it is
in no stack. So `make deploy` (tools/deploy/deployed_stacks.py, `record`) and `make destroy`
(`prune`) write each such name to `build/orphaned-<env>.json`, and `make plan` refuses a deploy
that takes one (fixed-name). An entry goes when a recorded deploy holds its name again: the
resource was adopted (`cdk import`) or deleted by hand and the name taken by the deploy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tools.plan.assembly import AssemblyError
from tools.plan.keys import resource_keys
from tools.plan.model import RETAINING_POLICIES, Orphan, State

LEDGER_VERSION = 1


def ledger_path(environment: str, build: Path) -> Path:
    return build / f"orphaned-{environment}.json"


def read_ledger(environment: str, build: Path) -> tuple[Orphan, ...]:
    """The ledger of `environment` (empty when there is none). AssemblyError when it cannot be
    read: a plan without it would not refuse a deploy that takes one of its names."""
    path = ledger_path(environment, build)
    if not path.exists():
        return ()
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if body.get("version") != LEDGER_VERSION:
            raise ValueError(f"version {body.get('version')!r}, this tool reads {LEDGER_VERSION}")
        return tuple(Orphan(**entry) for entry in body["orphaned"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise AssemblyError(
            f"cannot read the ledger of orphaned names {path} ({error}): it lists the fixed names "
            "that retained resources outside every stack hold; restore it from its last good copy "
            "or, once each name it listed is checked in the account, delete it"
        ) from None


def held_names(state: State) -> set[str]:
    """The fixed names the resources of `state` hold (tools/plan/keys.py)."""
    return {
        key.value
        for name, stack in state.items()
        for resource in stack.resources.values()
        for key in resource_keys(name, resource, state)
        if key.kind == "name"
    }


def orphaned(before: State, after: State, stacks: Iterable[str]) -> list[Orphan]:
    """The named resources of `stacks` in `before` that a retaining policy leaves in the account
    once the stacks are as in `after` (a stack missing from `after`: destroyed), their name held
    by no resource of `after`."""
    held = held_names(after)
    found = []
    for name in stacks:
        stack = before.get(name)
        if stack is None:
            continue
        kept = after.get(name)
        for logical_id, resource in stack.resources.items():
            if kept is None:
                why, policy = "destroyed with its stack", "DeletionPolicy"
            elif logical_id not in kept.resources:
                why, policy = "removed from its stack", "DeletionPolicy"
            else:
                why, policy = "replaced (its old copy)", "UpdateReplacePolicy"
            if resource.get(policy) not in RETAINING_POLICIES:
                continue
            for key in resource_keys(name, resource, before):
                if key.kind == "name" and key.value not in held:
                    found.append(
                        Orphan(
                            name, stack.label(logical_id), str(resource["Type"]),
                            key.describe(), key.value, why,
                        )
                    )  # fmt: skip
    return found


def update_ledger(
    environment: str, build: Path, before: State, after: State, stacks: Iterable[str]
) -> tuple[Orphan, ...]:
    """Add what `stacks` going from `before` to `after` orphans; drop the entries whose name a
    resource of `after` holds again. Returns the ledger written (the file is removed when empty)."""
    held = held_names(after)
    kept = [entry for entry in read_ledger(environment, build) if entry.key not in held]
    known = {entry.key for entry in kept}
    for entry in orphaned(before, after, stacks):
        if entry.key not in known:
            kept.append(entry)
            known.add(entry.key)
    path = ledger_path(environment, build)
    if kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        body: Mapping[str, Any] = {
            "version": LEDGER_VERSION,
            "environment": environment,
            "orphaned": [asdict(entry) for entry in kept],
        }
        path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    else:
        path.unlink(missing_ok=True)
    return tuple(kept)
