"""The two states a plan compares, read from cloud assemblies: the synthesized one about to be
deployed, and the base (what is deployed): the copies `make deploy` recorded, a directory, or a git
ref synthesized on the spot (tools/plan/gitbase.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.deploy.deployed_stacks import BUILD, read_record, record_path
from tools.plan.model import StackTemplate, State

STACK_ARTIFACT = "aws:cloudformation:stack"


class AssemblyError(Exception):
    """A one-line problem: no assembly there, an unreadable template."""


def read_assembly(outdir: Path) -> dict[str, StackTemplate]:
    """Every CloudFormation stack of the cloud assembly in `outdir`, in manifest order, with the
    stacks it depends on (asset manifests left out)."""
    manifest = _read_json(outdir / "manifest.json", f"{outdir} is not a cloud assembly")
    artifacts: dict[str, Any] = manifest.get("artifacts", {})
    names = {
        artifact_id: artifact.get("properties", {}).get("stackName", artifact_id)
        for artifact_id, artifact in artifacts.items()
        if artifact.get("type") == STACK_ARTIFACT
    }
    stacks: dict[str, StackTemplate] = {}
    for artifact_id, name in names.items():
        artifact = artifacts[artifact_id]
        template_file = outdir / artifact["properties"]["templateFile"]
        stacks[name] = StackTemplate(
            name=name,
            template=_read_json(template_file, f"cannot read the template of {name}"),
            dependencies=tuple(
                names[dependency]
                for dependency in artifact.get("dependencies", [])
                if dependency in names
            ),
        )
    return stacks


def assembly_description(path: Path | str) -> str:
    """A base read from the assembly directory `path` (`--base DIR`), as the plan names it."""
    return f"the assembly in {path}"


def recorded_base(environment: str, build: Path = BUILD) -> tuple[State, str]:
    """What the last successful `make deploy`s of `environment` deployed: each recorded stack from
    the copy of the assembly it was deployed from (tools/deploy/deployed_stacks.py). Empty on a
    first deploy (no record)."""
    recorded = read_record(environment, build)
    stacks: dict[str, StackTemplate] = {}
    copies: dict[str, dict[str, StackTemplate]] = {}
    for name, where in recorded.get("stacks", {}).items():
        if where not in copies:
            copies[where] = read_assembly(Path(where))
        if name not in copies[where]:
            raise AssemblyError(f"{record_path(environment, build)}: {where} has no stack {name}")
        stacks[name] = copies[where][name]
    if not stacks:
        return {}, f"nothing recorded for '{environment}' (a first deploy: every stack is added)"
    return stacks, f"the last deploy of '{environment}' ({record_path(environment, build)})"


def _read_json(path: Path, problem: str) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise AssemblyError(f"{problem} ({error})") from None
    if not isinstance(value, dict):
        raise AssemblyError(f"{problem} ({path} is not a JSON object)")
    return value
