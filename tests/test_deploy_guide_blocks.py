"""The deploy guide's shell blocks are all marked and valid bash; the ones that need a real account
are exactly those that cannot run on the emulator. (The emulator blocks run in order in
tests/deploy/test_deploy_guide.py, `make test-deploy`, which checks each step of the journey.)"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.helpers.guide_blocks import (
    ACCOUNT_ONLY,
    DOCKER_STUB,
    EMULATOR,
    GUIDE,
    KINDS,
    OPTIONS,
    Block,
    emulator_blocks,
    fenced_blocks,
    guide_blocks,
)

BLOCKS = guide_blocks()


def test_the_guide_has_only_bash_and_json_blocks() -> None:
    """A shell block under another info string (sh, console, none) would escape the checks."""
    infos = {block.info for block in fenced_blocks(GUIDE.read_text(encoding="utf-8"))}
    assert infos == {"bash", "json"}


@pytest.mark.parametrize("block", BLOCKS, ids=[block.label for block in BLOCKS])
def test_every_bash_block_is_marked(block: Block) -> None:
    assert block.marker is not None, (
        f"{block.label}: put `<!-- guide: emulator -->` or `<!-- guide: account-only -->` on the "
        "line before the block (see tests/helpers/guide_blocks.py)"
    )
    assert block.kind in KINDS, block.marker
    assert block.options <= OPTIONS, block.marker
    assert not (block.kind == ACCOUNT_ONLY and block.options), block.marker


@pytest.mark.parametrize("block", BLOCKS, ids=[block.label for block in BLOCKS])
def test_every_bash_block_is_valid_bash(block: Block) -> None:
    result = subprocess.run(
        ["bash", "-n"], input=block.body, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{block.label}:\n{block.body}\n{result.stderr}"


def _uses(block: Block, program: str) -> bool:
    return any(re.search(rf"(^|[|;&(]\s*){program}\b", line) for line in block.commands)


@pytest.mark.parametrize("block", BLOCKS, ids=[block.label for block in BLOCKS])
def test_what_only_an_account_can_do_is_marked_account_only(block: Block) -> None:
    """kubectl needs a real cluster and curl a real load balancer; docker has no daemon or
    registry in CI, so an emulator block that runs it must say that docker is recorded."""
    if _uses(block, "kubectl") or _uses(block, "curl"):
        assert block.kind == ACCOUNT_ONLY, block.label
    if block.kind == EMULATOR and (_uses(block, "docker") or "make push-image" in block.body):
        assert DOCKER_STUB in block.options, block.label
    if DOCKER_STUB in block.options:
        assert "make push-image" in block.body or _uses(block, "docker"), block.label


def test_the_guide_deploys_the_config_of_record_without_overrides() -> None:
    """Every make command of the guide's journey deploys what is committed in config/: none
    passes OVERRIDES or another CONFIG, so a later deploy from CI or a teammate's clone deploys
    the same."""
    commands = [line for block in emulator_blocks() for line in block.commands]
    makes = [line for line in commands if line.startswith("make ")]
    assert len(makes) >= 8
    assert not [line for line in makes if "OVERRIDES=" in line or "CONFIG=" in line]


def test_markers_are_found_only_right_above_a_block() -> None:
    text = "<!-- guide: emulator -->\n\n```bash\nmake deploy\n```\n"
    (block,) = fenced_blocks(text)
    assert block.marker is None
    text = "1. step\n\n   <!-- guide: emulator docker-stub -->\n   ```bash\n   make x\n   ```\n"
    (block,) = fenced_blocks(text)
    assert (block.kind, block.options, block.body) == (
        EMULATOR,
        frozenset({DOCKER_STUB}),
        "make x\n",
    )
