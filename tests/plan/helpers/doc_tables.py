"""Regenerate the two generated tables of docs/changing.md (the plan's rules and the catalogue of
day-two changes): `python -m tests.plan.helpers.doc_tables`. tests/plan/test_docs.py checks them.
(The plans the page shows: tests/plan/helpers/doc_plans.py.)"""

from __future__ import annotations

from pathlib import Path

from tests.plan.helpers.catalogue import catalogue_markdown
from tools.docs.markers import replace_block
from tools.plan.report import rules_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "changing.md"
BLOCKS = {"plan-rules": rules_markdown, "plan-catalogue": catalogue_markdown}


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, render in BLOCKS.items():
        text = replace_block(text, name, render())
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote the {', '.join(BLOCKS)} blocks of {DOC}")


if __name__ == "__main__":
    main()
