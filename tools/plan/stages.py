"""Staged deploys: a listener the deploy deletes still holds the port another listener takes, so
the deletion is deployed first, on its own, and the change after it.

Inside one stack update CloudFormation creates and updates resources first and deletes removed
ones only at the end (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS), so no template order lets a listener
take a port a removed listener holds: ELB answers DuplicateListener ("A listener already exists on
this port for this load balancer", CreateListener and ModifyListener in the Elastic Load Balancing
API reference, read 2026-12-03). Turning HTTPS off is the everyday case: the listener the services
attach to moves from 443 back to 80 (in place, so its ARN and export survive) while the HTTP->HTTPS
redirect listener, removed by the same template, still has 80.

The plan makes the first stage from the deployed state: each holder's stack as deployed, without
the holder (and without what references it), and plans both stages with every rule. Only when both
are clean is the change staged (the unique-key refusals become stages); otherwise the refusals
stand. Between the stages the port has no listener: connections to it are refused for the time the
second stage takes to update the listener, as with two deploys by hand. Priorities are not staged:
deleting a rule first leaves its route unserved, where the refusal's sequence (the new rule at a
free priority first) keeps it served.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from tools.plan.keys import clashes
from tools.plan.model import Impact, Refusal, Removal, StackTemplate, State
from tools.plan.references import referenced_ids
from tools.plan.rules import unique_key
from tools.plan.transition import Transition

STAGED_KINDS = frozenset({"port"})
STACKS_FILE = "STACKS"


def staged_removals(transition: Transition, refusals: Iterable[Refusal]) -> tuple[Removal, ...]:
    """The listeners a first stage would delete: each one the deploy deletes that holds a port
    another listener takes. Empty when a blocking refusal is anything else (staging would not
    make the deploy work)."""
    found: list[Removal] = []
    takers: set[str] = set()
    for clash in clashes(transition, STAGED_KINDS):
        stack, logical_id = clash.holder
        if transition.impact(stack, logical_id) != Impact.DELETE:
            continue
        taker_stack, taker_id = clash.taker
        takers.add(transition.target[taker_stack].path(taker_id))
        taker = transition.target[taker_stack].label(taker_id)
        removal = Removal(
            stack,
            logical_id,
            transition.base[stack].label(logical_id),
            f"it holds {clash.key.describe()}, which {taker} takes "
            f"({clash.taker_impact.value}): in one deploy ELB answers DuplicateListener",
        )
        if removal not in found:
            found.append(removal)
    blocking = [refusal for refusal in refusals if not refusal.accepted]
    if not blocking or any(
        refusal.rule != unique_key.RULE_ID or refusal.subject not in takers for refusal in blocking
    ):
        return ()
    return tuple(found)


def first_stage(base: State, removals: Iterable[Removal]) -> dict[str, StackTemplate]:
    """The templates of the first stage: each holder's stack as deployed, without its holders."""
    ids: dict[str, list[str]] = {}
    for removal in removals:
        ids.setdefault(removal.stack, []).append(removal.logical_id)
    return {stack: without(base[stack], logical_ids) for stack, logical_ids in ids.items()}


def without(stack: StackTemplate, logical_ids: Iterable[str]) -> StackTemplate:
    """`stack` without `logical_ids` and every resource and output that references one of them,
    directly or not (a `DependsOn` on a removed resource is dropped, the dependent kept)."""
    template = copy.deepcopy(dict(stack.template))
    resources: dict[str, Any] = template.get("Resources", {})
    gone = set(logical_ids)
    pending = set(gone)
    while pending:
        pending = {
            name
            for name, resource in resources.items()
            if name not in gone and referenced_ids(resource) & gone
        }
        gone |= pending
    for name in gone:
        resources.pop(name, None)
    for resource in resources.values():
        after = resource.get("DependsOn")
        if after is None:
            continue
        kept = [d for d in ([after] if isinstance(after, str) else after) if d not in gone]
        if kept:
            resource["DependsOn"] = kept
        else:
            del resource["DependsOn"]
    outputs: dict[str, Any] = template.get("Outputs", {})
    for name in [name for name, output in outputs.items() if referenced_ids(output) & gone]:
        del outputs[name]
    return replace(stack, template=template)


def write_assembly(source: Path, destination: Path, templates: Mapping[str, StackTemplate]) -> None:
    """A copy of the cloud assembly in `source` at `destination` whose stacks in `templates` have
    those templates, deployable with `cdk deploy --app destination --exclusively STACK...`.

    Each template is published under the hash of its bytes (its asset manifest's file asset and
    the manifest's `stackTemplateAssetObjectUrl`): an unchanged object key would let the CLI
    skip the upload and deploy the object stored under it. Asset directories are linked, not
    copied. `STACKS` lists the stacks to deploy."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.is_dir():
            (destination / entry.name).symlink_to(entry.resolve(), target_is_directory=True)
        else:
            shutil.copy2(entry, destination / entry.name)
    manifest_path = destination / "manifest.json"
    manifest = manifest_path.read_text(encoding="utf-8")
    artifacts = json.loads(manifest)["artifacts"]
    for name, stack in templates.items():
        artifact = next(
            a
            for artifact_id, a in artifacts.items()
            if a.get("type") == "aws:cloudformation:stack"
            and a.get("properties", {}).get("stackName", artifact_id) == name
        )
        template_file = artifact["properties"]["templateFile"]
        body = json.dumps(stack.template, indent=1).encode()
        (destination / template_file).write_bytes(body)
        old = artifact["properties"]["stackTemplateAssetObjectUrl"].rsplit("/", 1)[1]
        old = old.removesuffix(".json")
        new = hashlib.sha256(body).hexdigest()
        for path in destination.glob("*.assets.json"):
            text = path.read_text(encoding="utf-8")
            if old in text:
                path.write_text(text.replace(old, new), encoding="utf-8")
        manifest = manifest.replace(old, new)
    manifest_path.write_text(manifest, encoding="utf-8")
    (destination / STACKS_FILE).write_text(" ".join(templates) + "\n", encoding="utf-8")
