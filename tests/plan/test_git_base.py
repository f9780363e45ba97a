"""`make plan BASE=<git ref>`: the ref's app, exported with `git archive` and synthesized with the
project's CLI (a whole-platform synth, so `integration`). Against HEAD, the working tree's sandbox
plans no change wherever the app's files do not differ from HEAD's."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers.cdk_cli import ROOT

pytestmark = pytest.mark.integration

APP_FILES = ("app.py", "cdk.json", "stacks", "container_constructs", "platform_config")


@pytest.mark.parametrize("config", ["config", "examples/team-services"])
def test_a_git_ref_base_is_that_commits_app_synthesized(
    config: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """For the config of record given (CONFIG=, a relative directory: the ref's own)."""
    import stacks.platform
    from tests.helpers.apps import synth_environment

    with pytest.MonkeyPatch.context() as patch:
        # The templates are the same without the validation plugins (and the plan reads those).
        patch.setattr(stacks.platform, "add_validations", lambda *args, **kwargs: None)
        outdir = synth_environment(
            "sandbox", tmp_path_factory.mktemp("git-base") / "cdk.out", config_dir=ROOT / config
        )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.plan.cli",
            "--environment",
            "sandbox",
            "--assembly",
            str(outdir),
            "--base",
            "HEAD",
            "--config",
            config,
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode in (0, 2), run.stderr
    document = json.loads(run.stdout)
    assert document["base"] == "git ref HEAD (its app synthesized for 'sandbox')"
    app_stacks = sorted(
        p.name.removesuffix(".template.json") for p in outdir.glob("*.template.json")
    )
    assert sorted(s["name"] for s in document["stacks"]) == app_stacks
    unchanged_app = (
        subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--", *APP_FILES, config], cwd=ROOT, check=False
        ).returncode
        == 0
    )
    if unchanged_app:
        assert {s["status"] for s in document["stacks"]} == {"unchanged"}
        assert run.returncode == 0
