"""Every JSON config example in the README and docs/ validates and synthesizes clean
(tests/contract.py), as the user would pass it: merged over the sandbox with
`make synth OVERRIDES=example.json`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from platform_config import ENVIRONMENTS, load_config
from tests.apps import ROOT, synth_environment
from tests.contract import contract_problems

_JSON_BLOCK = re.compile(r"^(?P<indent> *)```json\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


# A block right after this marker is a file of a config of record, not overrides: the guide's own
# test synthesizes those (tests/test_copilot_guide.py).
_RECORD_FILE = re.compile(r"<!-- copilot-example: [^ ]+ -->\n$")


def readme_examples() -> list[tuple[str, str]]:
    """(file:line, text) of every ```json block of the README and docs/ (but config-of-record
    files, see _RECORD_FILE)."""
    examples = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        examples += [
            (
                f"{document.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}",
                match.group("body"),
            )
            for match in _JSON_BLOCK.finditer(text)
            if not _RECORD_FILE.search(text[: match.start()])
        ]
    return examples


def as_overrides(body: str) -> dict[str, Any]:
    """The block as an overrides object. A block that is a service's `"secrets": {...}` entry (the
    deploy guide shows only that part) goes into a copy of the sandbox's Fargate sample service."""
    try:
        value = json.loads(body)
    except json.JSONDecodeError:
        fragment = json.loads("{" + body + "}")
        service = dict(ENVIRONMENTS["sandbox"]["ecs"]["fargate"]["services"][0], **fragment)
        return {"ecs": {"fargate": {"services": [service]}}}
    assert isinstance(value, dict)
    return value


def test_the_readme_has_config_examples() -> None:
    assert len(readme_examples()) >= 3


@pytest.mark.integration
@pytest.mark.parametrize(
    ("line", "body"), readme_examples(), ids=[line for line, _ in readme_examples()]
)
def test_readme_example_synthesizes_clean(line: str, body: str, tmp_path: Path) -> None:
    overrides = as_overrides(body)
    config = load_config("sandbox", overrides=overrides)
    outdir = synth_environment("sandbox", tmp_path / "cdk.out", overrides)
    problems = contract_problems(
        outdir,
        name=line,
        kms_logs=config.kms_encrypted_logs,
        retain=config.retain_stateful_resources,
    )
    assert not problems, "\n".join(problems)
