"""docs/changing.md: its generated tables match the rules and the catalogue (regenerate with
`python -m tests.plan.helpers.doc_tables`), each plan it shows is of a catalogue change (whether
the plan is current: tests/plan/test_catalogue.py, where the catalogue is planned), it names every
rule and catalogue change, and the README links it and lists `make plan`."""

from __future__ import annotations

import pytest

from tests.helpers.cdk_cli import ROOT
from tests.plan.helpers.catalogue import CATALOGUE
from tests.plan.helpers.doc_plans import MARKER, shown
from tests.plan.helpers.doc_tables import BLOCKS, DOC
from tools.docs.markers import read_block
from tools.plan.rules import RULE_IDS

TEXT = DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("block", list(BLOCKS))
def test_the_generated_tables_are_current(block: str) -> None:
    assert read_block(TEXT, block) == BLOCKS[block](), (
        f"docs/changing.md's {block} block is stale: run `python -m tests.plan.helpers.doc_tables`"
    )


def test_each_plan_shown_is_of_a_catalogue_change() -> None:
    """`<!-- plan-output: CHANGE -->` right above each ```text block of a plan, CHANGE an id of
    the catalogue, once."""
    plans = shown(TEXT)
    assert set(plans) <= {change.id for change in CATALOGUE}
    assert TEXT.count(f"<!-- {MARKER}: ") == len(plans) >= 7
    headers = [line for line in TEXT.splitlines() if line.startswith("Plan for '")]
    assert len(headers) == len(plans)


def test_every_rule_and_change_is_in_the_page() -> None:
    for rule in RULE_IDS:
        assert f"`{rule}`" in TEXT
    for change in CATALOGUE:
        assert f"`{change.id}`" in TEXT


def test_the_readme_links_the_page_and_lists_make_plan() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "[docs/changing.md](docs/changing.md)" in readme
    assert "| `make plan" in readme
