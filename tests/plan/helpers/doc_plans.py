"""Regenerate the plans docs/changing.md shows: `python -m tests.plan.helpers.doc_plans`.

Each ```text block below a `<!-- plan-output: CHANGE -->` line is `make plan`'s text for the
catalogue's change CHANGE (tests/plan/helpers/catalogue.py). The command plans those changes, writes
each block, and saves each change's before synthesized where the plan's header says
(build/plan/CHANGE/base) with its after as overrides (build/plan/CHANGE/after.json), so that

    make plan ENV=sandbox BASE=build/plan/CHANGE/base OVERRIDES=build/plan/CHANGE/after.json

prints the block again. tests/plan/test_catalogue.py (integration) checks the blocks against the
catalogue's own plans; tests/plan/test_docs.py that each marker names a change."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from tests.plan.helpers.catalogue import CATALOGUE, ROOT, Change
from tests.plan.helpers.catalogue_plans import Synths, base_path, change_request, validations_off
from tests.plan.helpers.doc_tables import DOC
from tools.docs.markers import marked_blocks, replace_marked_block
from tools.plan.model import Plan
from tools.plan.planner import make_plans
from tools.plan.report import render_text

MARKER = "plan-output"
COMMAND = "python -m tests.plan.helpers.doc_plans"
BY_ID = {change.id: change for change in CATALOGUE}


def shown(text: str) -> dict[str, str]:
    """The page's plan outputs: change id -> the block's text."""
    return marked_blocks(text, MARKER)


def block(plan: Plan) -> str:
    """A change's block: its plan as `make plan` prints it."""
    return render_text(plan)


def _save(change: Change, synths: Synths) -> None:
    base = ROOT / base_path(change)
    if base.parent.exists():
        shutil.rmtree(base.parent)
    shutil.copytree(synths.outdir(change.environment, change.before), base)
    after = json.dumps(change.after, indent=2, sort_keys=True) + "\n"
    (base.parent / "after.json").write_text(after, encoding="utf-8")


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    changes = [BY_ID[name] for name in shown(text)]
    with tempfile.TemporaryDirectory() as work, validations_off():
        synths = Synths(Path(work))
        plans = make_plans([change_request(change, synths) for change in changes])
        for change in changes:
            _save(change, synths)
    for change, plan in zip(changes, plans, strict=True):
        text = replace_marked_block(text, MARKER, change.id, block(plan))
    DOC.write_text(text, encoding="utf-8")
    ids = ", ".join(change.id for change in changes)
    print(f"wrote the plans of {ids} to {DOC}, their bases and afters under {ROOT / 'build/plan'}")


if __name__ == "__main__":
    main()
