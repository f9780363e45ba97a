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


# A fenced code block from its opening fence (with its info string) to its closing one.
_FENCED = re.compile(r"```[\w-]*\n(.*?)^```$", flags=re.MULTILINE | re.DOTALL)


def _marker_lines(kind: str) -> re.Pattern[str]:
    return re.compile(rf"^<!-- {re.escape(kind)}: (?P<name>[\w.-]+) -->\n", flags=re.MULTILINE)


def marked_blocks(text: str, kind: str) -> dict[str, str]:
    """The fenced code block right below each `<!-- kind: NAME -->` line, by NAME, in order: the
    block's body, without its fences. A marker with no block right below it, or a name marked
    twice, is an error."""
    blocks: dict[str, str] = {}
    for marker in _marker_lines(kind).finditer(text):
        name = marker.group("name")
        block = _FENCED.match(text, marker.end())
        if block is None:
            raise ValueError(f"'<!-- {kind}: {name} -->' is not right above a fenced block")
        if name in blocks:
            raise ValueError(f"'<!-- {kind}: {name} -->' marks two blocks")
        blocks[name] = block.group(1)
    return blocks


def replace_marked_block(text: str, kind: str, name: str, content: str) -> str:
    """`text` with the body of the fenced block below `<!-- kind: name -->` replaced by `content`
    (which must end with a newline); the fences and their info string stay."""
    marked_blocks(text, kind)  # fail loudly on a marker without its block
    pattern = re.compile(
        rf"^(<!-- {re.escape(kind)}: {re.escape(name)} -->\n```[\w-]*\n).*?^```$",
        flags=re.MULTILINE | re.DOTALL,
    )
    if pattern.search(text) is None:
        raise ValueError(f"no '<!-- {kind}: {name} -->' block found")
    return pattern.sub(lambda match: f"{match.group(1)}{content}```", text, count=1)
