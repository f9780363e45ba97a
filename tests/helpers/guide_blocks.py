"""The deploy guide's shell blocks (docs/deploying.md) and how each is checked.

Every ```bash block of the guide follows a marker line, an HTML comment (not rendered):

    <!-- guide: emulator -->               run as written, in guide order, on the local emulator
    <!-- guide: emulator docker-stub -->   the same, with `docker` on PATH a recorder (no daemon or
                                           registry in CI; tests/deploy/test_deploy_guide.py)
    <!-- guide: account-only -->           needs a real account (kubectl, a real load balancer):
                                           only syntax-checked (`bash -n`)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploying.md"

EMULATOR = "emulator"
ACCOUNT_ONLY = "account-only"
DOCKER_STUB = "docker-stub"
KINDS = frozenset({EMULATOR, ACCOUNT_ONLY})
OPTIONS = frozenset({DOCKER_STUB})

_FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.M | re.S
)
_MARKER = re.compile(r"^[ ]*<!-- guide: (?P<words>[a-z -]+?) -->[ ]*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown document."""

    line: int  # of the opening fence, 1-based
    info: str  # the fence's info string, e.g. "bash"
    body: str  # dedented by the fence's indent
    marker: tuple[str, ...] | None  # the words of the guide marker on the line before, if any

    @property
    def label(self) -> str:
        return f"{GUIDE.relative_to(ROOT)}:{self.line}"

    @property
    def kind(self) -> str | None:
        return self.marker[0] if self.marker else None

    @property
    def options(self) -> frozenset[str]:
        return frozenset(self.marker[1:]) if self.marker else frozenset()

    @property
    def commands(self) -> list[str]:
        """The block's command lines (no blanks or comment lines), trailing comments kept."""
        return [
            line.strip()
            for line in self.body.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced code block of `text`, in order, with the guide marker just above it."""
    lines = text.splitlines()
    blocks = []
    for match in _FENCE.finditer(text):
        line = text[: match.start()].count("\n") + 1
        indent = len(match.group("indent"))
        body = "".join(
            row[indent:] if row[:indent].strip() == "" else row
            for row in match.group("body").splitlines(keepends=True)
        )
        above = _MARKER.match(lines[line - 2]) if line >= 2 else None
        marker = tuple(above.group("words").split()) if above else None
        blocks.append(Block(line, match.group("info").strip(), body, marker))
    return blocks


def guide_blocks(path: Path = GUIDE) -> list[Block]:
    """The guide's ```bash blocks, in order."""
    return [
        block for block in fenced_blocks(path.read_text(encoding="utf-8")) if block.info == "bash"
    ]


def emulator_blocks(path: Path = GUIDE) -> list[Block]:
    return [block for block in guide_blocks(path) if block.kind == EMULATOR]
