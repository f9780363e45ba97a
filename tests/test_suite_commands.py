"""The commands tests read the outcome of (tests/helpers/commands.py): each one is read by a test
and each one a test reads exists; in a whole run the tests that read another process's work run
after all the others (tests/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import early
from tests.helpers.commands import COMMANDS

TESTS = Path(__file__).resolve().parent
READ = re.compile(r"""\boutcome\(\s*"([^"]+)"\s*\)""")


def test_every_command_is_read_and_every_command_read_exists() -> None:
    read = {
        name
        for path in TESTS.rglob("*.py")
        if path.parent.name != "helpers" or path.name != "commands.py"
        for name in READ.findall(path.read_text(encoding="utf-8"))
    }
    assert read == set(COMMANDS)


def test_a_whole_run_reads_other_processes_work_last(request: pytest.FixtureRequest) -> None:
    if not early.started():
        pytest.skip("only a whole `make test` run orders its tests (tests/conftest.py)")
    reads = [
        bool(early.FROM_OTHER_PROCESSES & set(getattr(item, "fixturenames", ())))
        for item in request.session.items
    ]
    first = reads.index(True)
    assert all(reads[first:]), "a test that reads no other process's work runs among them"
    assert first > len(reads) // 2
