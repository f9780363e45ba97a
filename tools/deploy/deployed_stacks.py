"""What `make deploy` deployed, so `make destroy` removes it all, overrides or not.

    python -m tools.deploy.deployed_stacks record --environment sandbox --assembly cdk.out
    python -m tools.deploy.deployed_stacks extra --environment sandbox --assembly cdk.out
    python -m tools.deploy.deployed_stacks groups --environment sandbox --stacks "A B"
    python -m tools.deploy.deployed_stacks prune --environment sandbox

`cdk destroy --all` only knows the stacks of the config it synthesizes now. A stack that only an
override produced (e.g. a service with `stack: 2` lands in `cp-<env>-ecs-fargate-services-2`)
is not among them when `make destroy` runs without that override, and would be left running.

* `record` (run by `make deploy` after a successful `cdk deploy`) copies the deployed cloud
  assembly to `build/deployed-<env>/<hash>/` and writes `build/deployed-<env>.json`: every stack
  name -> the copy of the assembly that holds it (with `--stacks "A B"`, as `make deploy STACKS=`
  passes it, only those stacks were deployed and are recorded). Stacks of the previous record that
  this deploy did not deploy stay listed with their old copy: `cdk deploy` does not delete a stack
  that left the app, so it is still deployed.
* `extra` prints the recorded stacks the current config (its synthesized assembly) does not have,
  as `ASSEMBLY STACK...` lines, one per recorded assembly, newest first: `make destroy` runs
  `cdk destroy --app ASSEMBLY STACK...` for each line, then `cdk destroy --all` of the current
  config, so together they remove the union of both.
* `groups` prints the named recorded stacks as `ASSEMBLY STACK...` lines in the order that
  deletes importers before what they import: `make destroy-stacks` (the way out a plan's
  refusal names for a stack the app no longer has) runs `cdk destroy --app ASSEMBLY
  --exclusively STACK...` for each line, then `prune`.
* `record` and `prune` also keep the ledger of names that retained resources outside every stack
  hold (`build/orphaned-<env>.json`, tools/plan/orphans.py), for `make plan`.
* `prune` (run by `make destroy` after both destroys, and by `make destroy-stacks`) keeps in
  the record only the stacks that still exist (DescribeStacks; a declined confirmation destroys
  nothing yet exits 0) and removes the record and its copies when none is left. `forget` removes
  them unconditionally.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tools.account.session import (
    AccountError,
    default_session,
    described_stack,
    one_line_errors,
)

BUILD = Path("build")
RECORD_VERSION = 1


class RecordError(Exception):
    """A problem reported as one line: no assembly, an unreadable record."""


def assembly_stacks(assembly: Path) -> list[str]:
    """The stack names of a synthesized cloud assembly (its manifest's CloudFormation stacks), in
    manifest order."""
    return list(assembly_regions(assembly))


def assembly_regions(assembly: Path) -> dict[str, str | None]:
    """Stack name -> region (None when region-agnostic) of the assembly's stacks, in order."""
    manifest_file = assembly / "manifest.json"
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise RecordError(
            f"{assembly} is not a cloud assembly ({error}): run `make synth`"
        ) from None
    regions: dict[str, str | None] = {}
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        region = str(artifact.get("environment", "")).rpartition("/")[2]
        name = artifact.get("properties", {}).get("stackName", artifact_id)
        regions[name] = None if region in ("", "unknown-region") else region
    return regions


def record_path(environment: str, build: Path = BUILD) -> Path:
    return build / f"deployed-{environment}.json"


def copies_dir(environment: str, build: Path = BUILD) -> Path:
    return build / f"deployed-{environment}"


def read_record(environment: str, build: Path = BUILD) -> dict[str, Any]:
    """The record of `environment` ({} when there is none): {"environment", "stacks": {name:
    assembly dir}, "assemblies": [dirs, newest first]}."""
    path = record_path(environment, build)
    if not path.exists():
        return {}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise RecordError(f"cannot read {path}: {error}") from None
    if not isinstance(record, dict) or not isinstance(record.get("stacks"), dict):
        raise RecordError(f"{path} is not a deploy record (no 'stacks' object)")
    return record


def _digest(assembly: Path) -> str:
    """A short hash of the assembly's manifest and templates: the name of its copy."""
    digest = hashlib.sha256()
    for path in sorted(assembly.glob("*.json")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def record(
    environment: str,
    assembly: Path,
    build: Path = BUILD,
    deployed: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Record that `assembly` was just deployed for `environment` (see the module doc): all its
    stacks, or only `deployed` (`make deploy STACKS=...`); returns the record written. Copies no
    longer referenced are removed.

    Raises:
        RecordError: a name of `deployed` is not a stack of the assembly.
    """
    regions = assembly_regions(assembly)
    if deployed is not None:
        unknown = sorted(set(deployed) - set(regions))
        if unknown:
            raise RecordError(
                f"{', '.join(unknown)}: not a stack of {assembly} (it has {', '.join(regions)})"
            )
        regions = {name: region for name, region in regions.items() if name in deployed}
    stacks = list(regions)
    previous = read_record(environment, build)
    _update_ledger(environment, build, stacks, assembly)
    copy = copies_dir(environment, build) / _digest(assembly)
    if not copy.exists():
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(assembly, copy)
    mapping: dict[str, str] = {
        name: where for name, where in previous.get("stacks", {}).items() if name not in stacks
    }
    mapping.update(dict.fromkeys(stacks, str(copy)))
    order = [str(copy)] + [a for a in previous.get("assemblies", []) if a != str(copy)]
    used = set(mapping.values())
    assemblies = [a for a in order if a in used]
    for stale in copies_dir(environment, build).iterdir():
        if str(stale) not in used and stale.is_dir():
            shutil.rmtree(stale)
    known_regions = {
        name: region
        for name, region in previous.get("regions", {}).items()
        if name in mapping and name not in stacks
    }
    known_regions.update(regions)
    written = {
        "version": RECORD_VERSION,
        "environment": environment,
        "stacks": mapping,
        "regions": known_regions,
        "assemblies": assemblies,
    }
    _write(environment, build, written)
    return written


def _update_ledger(
    environment: str, build: Path, stacks: Sequence[str], assembly: Path | None
) -> None:
    """Write to the ledger of orphaned names what the deploy of `stacks` from `assembly` (None:
    their destroy) leaves behind in the account (tools/plan/orphans.py)."""
    from tools.plan.assembly import AssemblyError, read_assembly, recorded_base
    from tools.plan.orphans import update_ledger

    try:
        before, _ = recorded_base(environment, build)
        after = dict(before)
        if assembly is None:
            for name in stacks:
                after.pop(name, None)
        else:
            deployed = read_assembly(assembly)
            after.update({name: deployed[name] for name in stacks if name in deployed})
        update_ledger(environment, build, before, after, stacks)
    except AssemblyError as error:
        print(f"warning: the ledger of orphaned names is not updated: {error}", file=sys.stderr)


def _write(environment: str, build: Path, written: Mapping[str, Any]) -> None:
    path = record_path(environment, build)
    path.write_text(json.dumps(written, indent=2) + "\n", encoding="utf-8")


def extra_stacks(
    recorded: Mapping[str, Any], current: Sequence[str]
) -> list[tuple[str, list[str]]]:
    """The recorded stacks the current assembly lacks, grouped by the recorded assembly that holds
    them, newest assembly first (each group one `cdk destroy --app ASSEMBLY STACK...`)."""
    stacks: Mapping[str, str] = recorded.get("stacks", {})
    order = list(recorded.get("assemblies", [])) + sorted(set(stacks.values()))
    groups: dict[str, list[str]] = {}
    for where in dict.fromkeys(order):
        names = [name for name, at in stacks.items() if at == where and name not in current]
        if names:
            groups[where] = sorted(names)
    return list(groups.items())


def destroy_groups(
    recorded: Mapping[str, Any], stacks: Sequence[str]
) -> list[tuple[str, list[str]]]:
    """The recorded `stacks` as `cdk destroy --app ASSEMBLY --exclusively STACK...` groups (`make
    destroy-stacks`), each stack before the stacks it depends on, as the CLI orders one group:
    CloudFormation refuses to delete a stack whose exports another imports. A group is a run of
    stacks recorded from the same assembly.

    Raises:
        RecordError: a stack is not recorded as deployed, or its recorded copy is unreadable.
    """
    from tools.plan.assembly import AssemblyError, read_assembly
    from tools.plan.transition import deploy_order

    where: Mapping[str, str] = recorded.get("stacks", {})
    unknown = sorted(set(stacks) - set(where))
    if not stacks:
        raise RecordError('no stack named: STACKS="..."')
    if unknown and not where:
        raise RecordError(
            f"{', '.join(unknown)}: no deploy is recorded here (e.g. a CI runner's checkout): "
            "destroy them from an assembly that has them, `node_modules/.bin/cdk destroy --app "
            f"DIR --exclusively {' '.join(stacks)}`"
        )
    if unknown:
        raise RecordError(
            f"{', '.join(unknown)}: not recorded as deployed (recorded: {', '.join(sorted(where))})"
        )
    # Each recorded copy read once; stacks of one copy next to each other, so that a copy's
    # stacks stay in one group where their dependencies allow it.
    by_copy: dict[str, list[str]] = {}
    for name in dict.fromkeys(stacks):
        by_copy.setdefault(where[name], []).append(name)
    state = {}
    for copy, names in by_copy.items():
        try:
            read = read_assembly(Path(copy))
        except AssemblyError as error:
            raise RecordError(str(error)) from None
        state.update({name: read[name] for name in names})
    # Destroyed in the reverse of the order they deploy in: each before what it depends on.
    order = reversed(deploy_order(state, set(state)))
    groups: list[tuple[str, list[str]]] = []
    for name in order:
        if groups and groups[-1][0] == where[name]:
            groups[-1][1].append(name)
        else:
            groups.append((where[name], [name]))
    return groups


def destroy_list(recorded: Mapping[str, Any], current: Sequence[str]) -> list[str]:
    """Every stack `make destroy` removes: the current config's and the recorded ones."""
    return sorted(set(current) | set(recorded.get("stacks", {})))


def forget(environment: str, build: Path = BUILD) -> None:
    record_path(environment, build).unlink(missing_ok=True)
    shutil.rmtree(copies_dir(environment, build), ignore_errors=True)


def stack_exists(session: Any, name: str, region: str | None) -> bool:
    """Whether CloudFormation still has stack `name` (in any state but DELETE_COMPLETE)."""
    described = described_stack(session.client("cloudformation", region_name=region), name)
    return described is not None and described["StackStatus"] != "DELETE_COMPLETE"


def prune(environment: str, session: Any, build: Path = BUILD) -> list[str]:
    """After `make destroy`: keep in the record only the stacks that still exist (a declined
    confirmation destroys nothing, and the CLI still exits 0); forget it when none is left.
    Returns the names still recorded."""
    recorded = read_record(environment, build)
    if not recorded:
        return []
    regions: Mapping[str, str | None] = recorded.get("regions", {})
    left = [name for name in recorded["stacks"] if stack_exists(session, name, regions.get(name))]
    _update_ledger(environment, build, [n for n in recorded["stacks"] if n not in left], None)
    if not left:
        forget(environment, build)
        return []
    stacks = {name: recorded["stacks"][name] for name in left}
    used = set(stacks.values())
    _write(
        environment,
        build,
        {
            **recorded,
            "stacks": stacks,
            "regions": {name: regions.get(name) for name in left},
            "assemblies": [a for a in recorded.get("assemblies", []) if a in used],
        },
    )
    return left


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.deploy.deployed_stacks",
        description="Record what make deploy deployed; list what make destroy must add.",
    )
    parser.add_argument("action", choices=("record", "extra", "groups", "prune", "forget"))
    parser.add_argument("--environment", required=True, help="environment name, e.g. sandbox")
    parser.add_argument("--assembly", type=Path, default=Path("cdk.out"), help="cloud assembly")
    parser.add_argument(
        "--stacks",
        help="record: only these space-separated stacks were deployed (default: every stack); "
        "groups: the stacks to destroy",
    )
    parser.add_argument("--build", type=Path, default=BUILD, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    """0 on success; 1 with a one-line error. `session` is for tests."""
    args = parse_args(argv)
    try:
        if args.action == "record":
            deployed = args.stacks.split() if args.stacks is not None else None
            written = record(args.environment, args.assembly, args.build, deployed)
            print(
                f"Recorded {len(written['stacks'])} deployed stack(s) of '{args.environment}' "
                f"in {record_path(args.environment, args.build)}",
                file=sys.stderr,
            )
        elif args.action == "extra":
            recorded = read_record(args.environment, args.build)
            for where, names in extra_stacks(recorded, assembly_stacks(args.assembly)):
                print(where, *names)
        elif args.action == "groups":
            recorded = read_record(args.environment, args.build)
            for where, names in destroy_groups(recorded, (args.stacks or "").split()):
                print(where, *names)
        elif args.action == "prune":
            with one_line_errors():
                left = prune(args.environment, session or default_session(), args.build)
            if left:
                print(
                    f"Still deployed, kept in {record_path(args.environment, args.build)}: "
                    + " ".join(left),
                    file=sys.stderr,
                )
        else:
            forget(args.environment, args.build)
    except (RecordError, AccountError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
