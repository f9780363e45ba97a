"""Replace the generated block between two HTML comment markers in a Markdown file."""

from __future__ import annotations

import re
from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of the generated block `name`."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def read_block(text: str, name: str) -> str:
    """The text between the markers of block `name` (without the markers)."""
    start, end = markers(name)
    match = re.search(re.escape(start) + r"\n(.*?)" + re.escape(end), text, flags=re.DOTALL)
    if match is None:
        raise ValueError(f"no '{start}' ... '{end}' block found")
    return match.group(1)


def replace_block(text: str, name: str, content: str) -> str:
    """`text` with the block `name` replaced by `content` (which must end with a newline)."""
    start, end = markers(name)
    read_block(text, name)  # fail loudly if the markers are missing
    pattern = re.escape(start) + r"\n.*?" + re.escape(end)
    return re.sub(pattern, lambda _: f"{start}\n{content}{end}", text, count=1, flags=re.DOTALL)


def write_generated(
    output: Path, document: str, readme: Path | None, name: str, block: str, what: str
) -> None:
    """Write a generated `document` to `output` and, when `readme` is given, its block `name`;
    say what was written."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document, encoding="utf-8")
    if readme is not None:
        readme.write_text(
            replace_block(readme.read_text(encoding="utf-8"), name, block), encoding="utf-8"
        )
    print(f"wrote {output}" + (f" and the {what} block of {readme}" if readme else ""))
