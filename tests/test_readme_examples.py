"""Every JSON config example in the README and docs/ validates and synthesizes clean
(tests/helpers/contract.py), as the user would use it: an overrides object merged over the
sandbox and the repository's config of record with `make synth OVERRIDES=example.json`, or,
below a marker line `<!-- example: config/<path> -->`, a file of the config of record written at
that path (in a copy of `config/`) with `make synth`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from platform_config import load_config
from tests.helpers.apps import RECORD, ROOT, synth_environment
from tests.helpers.contract import contract_problems

_JSON_BLOCK = re.compile(
    r"^(?: *<!-- example: (?P<path>config/[\w./-]+) -->\n)?"
    r"(?P<indent> *)```json\n(?P<body>.*?)^(?P=indent)```",
    re.M | re.S,
)


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


# A block right after this marker is a file of the Copilot guide's own config of record, whose
# services call each other: its test synthesizes them together (tests/test_copilot_guide.py).
_GUIDE_FILE = re.compile(r"<!-- copilot-example: [^ ]+ -->\n$")


def readme_examples() -> list[tuple[str, str | None, str]]:
    """(file:line, the config-of-record path it is a file of or None, text) of every ```json
    block of the README and docs/ (but the Copilot guide's files, see _GUIDE_FILE)."""
    examples = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        examples += [
            (
                f"{document.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}",
                match.group("path"),
                match.group("body"),
            )
            for match in _JSON_BLOCK.finditer(text)
            if not _GUIDE_FILE.search(text[: match.start()])
        ]
    return examples


def as_overrides(body: str) -> dict[str, Any]:
    """The block as an overrides object. A block that is a service's `"secrets": {...}` entry (the
    deploy guide shows only that part) goes into the sandbox's Fargate sample service."""
    try:
        value = json.loads(body)
    except json.JSONDecodeError:
        fragment = json.loads("{" + body + "}")
        return {"ecs": {"fargate": {"services": {"sample": fragment}}}}
    assert isinstance(value, dict)
    return value


def test_the_readme_has_config_examples() -> None:
    examples = readme_examples()
    assert len(examples) >= 3
    assert any(path for _, path, _ in examples)


def test_a_documented_service_file_is_the_shipped_one() -> None:
    """The sample shown as the service-file format is config/'s, value for value."""
    shown = {path: json.loads(body) for _, path, body in readme_examples() if path}
    shipped = "config/services/fargate/sample.json"
    assert shown[shipped] == json.loads((ROOT / shipped).read_text(encoding="utf-8"))


@pytest.mark.integration
@pytest.mark.parametrize(
    ("line", "path", "body"), readme_examples(), ids=[line for line, _, _ in readme_examples()]
)
def test_readme_example_synthesizes_clean(
    line: str, path: str | None, body: str, tmp_path: Path
) -> None:
    record = RECORD
    overrides: dict[str, Any] | None = None
    if path is None:
        overrides = as_overrides(body)
    else:
        record = tmp_path / "config"
        shutil.copytree(RECORD, record)
        target = record / Path(path).relative_to("config")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    config = load_config("sandbox", overrides=overrides, config_dir=record)
    outdir = synth_environment("sandbox", tmp_path / "cdk.out", overrides, record)
    problems = contract_problems(
        outdir,
        name=line,
        kms_logs=config.kms_encrypted_logs,
        retain=config.retain_stateful_resources,
    )
    assert not problems, "\n".join(problems)
