"""`make plan` and the first step of `make deploy`:

    python -m tools.plan.cli --environment sandbox --assembly cdk.out
        [--base DIR|GIT-REF|deployed] [--if-unrecorded deployed] [--overrides a.json,b.json]
        [--stacks "A B"] [--accept RULE[,RULE]] [--json] [--output FILE] [--stages DIR]

The base: what the last `make deploy` of the environment recorded
(tools/deploy/deployed_stacks.py); with no record, nothing (a first deploy) or, with
`--if-unrecorded deployed` (`make deploy`: a CI runner has no record), the templates the account
holds; or `--base` a cloud assembly directory, a git ref, or `deployed` (the account's
templates; credentials needed).

With `--stages DIR` (`make deploy`), a staged change (tools/plan/stages.py) writes the assembly of
each stage before the last to DIR/1, DIR/2, ... (DIR emptied first), each with a `STACKS` file:
`make deploy` runs `cdk deploy --app DIR/N --exclusively $(cat DIR/N/STACKS)` for each, then the
app's deploy.

Exit 0: nothing refused (or every refusal accepted); 2: refused (`make deploy` stops); 1: an error.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from tools.account.session import AccountError, default_session, one_line_errors
from tools.deploy.deployed_stacks import BUILD, RecordError, assembly_regions
from tools.plan.account_orphans import account_orphans
from tools.plan.assembly import AssemblyError, assembly_description, read_assembly, recorded_base
from tools.plan.deployed import DEPLOYED, deployed_base
from tools.plan.engine import EngineError
from tools.plan.gitbase import GitBaseError, synth_at_ref, temporary_workdir
from tools.plan.model import Orphan, Plan, State
from tools.plan.orphans import read_ledger
from tools.plan.planner import PlanError, Request, make_plan
from tools.plan.report import as_json, render_text
from tools.plan.rules import RULE_IDS
from tools.plan.stages import write_assembly

REFUSED_EXIT = 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.plan.cli",
        description="What a deploy of the synthesized assembly does to each stack and resource, "
        "and the changes the platform refuses (with the sequence to follow instead).",
    )
    parser.add_argument("--environment", required=True, help="environment name, e.g. sandbox")
    parser.add_argument("--assembly", type=Path, default=Path("cdk.out"), help="synthesized app")
    parser.add_argument(
        "--base",
        help="compare with this cloud assembly directory, git ref, or `deployed` (the stacks' "
        "templates in the account) (default: what the last `make deploy` recorded)",
    )
    parser.add_argument(
        "--if-unrecorded",
        choices=("empty", DEPLOYED),
        default="empty",
        help="without a deploy record: plan a first deploy (empty), or read the account's "
        "templates (deployed)",
    )
    parser.add_argument(
        "--config",
        help="the config of record (CONFIG=), for a base synthesized at a git ref: a relative "
        "directory is the ref's own (default: cdk.json's)",
    )
    parser.add_argument(
        "--overrides", default="", help="the overrides files, for a base synthesized at a git ref"
    )
    parser.add_argument("--stacks", help="deploy only these space-separated stacks (STACKS=)")
    parser.add_argument(
        "--accept",
        default="",
        help="comma-separated rule ids whose refusals do not stop the deploy: "
        + ", ".join(RULE_IDS),
    )
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.add_argument("--output", type=Path, help="also write the plan as JSON to this file")
    parser.add_argument(
        "--stages",
        type=Path,
        help="write the assemblies of a staged change's first stages here (make deploy)",
    )
    parser.add_argument("--build", type=Path, default=BUILD, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _plan(args: argparse.Namespace) -> Plan:
    app = read_assembly(args.assembly)
    accept = [rule for rule in args.accept.split(",") if rule.strip()]
    stacks = args.stacks.split() if args.stacks else None
    base: State
    found: list[Orphan] = []
    if args.base is None:
        base, described = recorded_base(args.environment, args.build)
        if not base and args.if_unrecorded == DEPLOYED:
            base, described, found = _deployed(app, args.assembly)
            described += f", no deploy record of '{args.environment}' here"
    elif args.base == DEPLOYED:
        base, described, found = _deployed(app, args.assembly)
    elif (Path(args.base) / "manifest.json").exists():
        base, described = read_assembly(Path(args.base)), assembly_description(args.base)
    else:
        overrides = [Path(name) for name in args.overrides.split(",") if name]
        with temporary_workdir() as work:
            outdir = synth_at_ref(
                args.base, args.environment, overrides, Path(work), config=args.config
            )
            base = read_assembly(outdir)
        described = f"git ref {args.base} (its app synthesized for '{args.environment}')"
    ledger = read_ledger(args.environment, args.build)
    listed = {orphan.key for orphan in ledger}
    orphaned = (*ledger, *(orphan for orphan in found if orphan.key not in listed))
    today = datetime.now(UTC).date()
    request = Request(args.environment, base, app, described, stacks, accept, orphaned, today)
    return make_plan(request)


def _deployed(app: State, assembly: Path) -> tuple[State, str, list[Orphan]]:
    """The account's templates, and the fixed names the account holds outside them."""
    with one_line_errors():
        session = default_session()
        base, described = deployed_base(app, assembly, session)
        found, unknown = account_orphans(app, base, assembly_regions(assembly), session)
    if found:
        described += f"; {len(found)} fixed name(s) the deploy creates held in the account"
    if unknown:
        described += f"; fixed names not looked up: {'; '.join(unknown)}"
    return base, described, found


def _write_stages(plan: Plan, assembly: Path, directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    if plan.refused:
        return
    for number, stage in enumerate(plan.stages[:-1], start=1):
        templates = {name: stage.state[name] for name in stage.stacks}
        write_assembly(assembly, directory / str(number), templates)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        plan = _plan(args)
    except (
        AccountError,
        AssemblyError,
        EngineError,
        GitBaseError,
        PlanError,
        RecordError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    document = as_json(plan)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if args.stages is not None:
        _write_stages(plan, args.assembly, args.stages)
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(render_text(plan), end="")
    return REFUSED_EXIT if plan.refused else 0


if __name__ == "__main__":
    sys.exit(main())
