"""In-process CDK apps for tests, set up the way `cdk synth` runs app.py: the context the pinned CLI
hands the app (asked from the CLI itself, once per process) and aws-cdk-lib's built-in template
validation off (cfn-lint is the template gate, as in app.py; loading that validator costs about
3 s once per process). With both, an in-process template is byte-identical to the CLI's
(tests/test_cli_synth.py)."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations

# In-process synths share app.py's validation cache with `cdk synth`, so a rerun validates only
# the templates that changed; what a hit must give (the same findings, acknowledgements and
# failures as a miss) is tested with a cache of its own in tests/test_validation_cache.py.
from app import VALIDATION_CACHE
from container_constructs.rules import ValidationCache
from platform_config import DEFAULT_CONFIG_DIR, load_config
from platform_config.context import APP_CONTEXT
from stacks.platform import aws_solutions_pack, build_platform
from tests.helpers import early
from tests.helpers.cdk_cli import cli_context

ROOT = Path(__file__).resolve().parents[2]
# Names a file holding the recorded context, for a process the suite starts (helpers/commands.py).
RECORDED_CONTEXT = "TESTS_RECORDED_CLI_CONTEXT"


def project_context() -> dict[str, Any]:
    """What `cdk synth` hands app.py: cdk.json's context (feature flags, this app's defaults) plus
    the CLI's own keys (path and asset metadata on, version reporting off, every stack bundled,
    validation findings reported rather than raised)."""
    return dict(_recorded_cli_context())


@functools.cache
def _recorded_cli_context() -> dict[str, Any]:
    """Recorded from the pinned CLI, in a throwaway directory, the first time this process builds
    an app (about 2 s): a CLI upgrade that changes the context changes the tests' apps too."""
    started = early.cli_context_future()
    if started is not None:
        return started.result()
    handed = os.environ.get(RECORDED_CONTEXT)
    if handed:  # recorded by the process that started this one
        recorded: dict[str, Any] = json.loads(Path(handed).read_text())
        return recorded
    with tempfile.TemporaryDirectory(prefix="cli-context-") as work:
        return cli_context(Path(work))


def project_app(outdir: Path | None = None, *, nag: bool = False, **context: Any) -> App:
    """An App like the one `cdk synth` runs: the app's own context under the project context
    (plus `context`), no built-in validation, and cdk-nag's AwsSolutions checks when `nag`
    (build_platform adds them itself), their findings kept in the shared validation cache."""
    app = App(
        context={**APP_CONTEXT, **project_context(), **context},
        outdir=str(outdir) if outdir is not None else None,
        builtin_cloud_formation_validation=False,
    )
    if nag:
        pack = aws_solutions_pack(app, ValidationCache(VALIDATION_CACHE))
        Validations.of(app).add_plugins(pack)
    return app


def unit_app() -> App:
    """An App for a construct's unit test that reads the template: aws-cdk-lib's built-in template
    validation off, as in app.py (loading that engine costs about 1.2 s the first time a process
    synthesizes with it; the whole platforms are validated by every check they run)."""
    return App(builtin_cloud_formation_validation=False)


def validation_violations(outdir: Path) -> list[dict[str, Any]]:
    """Every unacknowledged finding in an assembly's validation-report.json, with its plugin."""
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    return [
        {**violation, "plugin": plugin["pluginName"]}
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
    ]


# The repository's config of record, what `cdk synth` reads by default (cdk.json's `config`).
RECORD = ROOT / DEFAULT_CONFIG_DIR


def synth_environment(
    environment: str,
    outdir: Path,
    overrides: Mapping[str, Any] | None = None,
    config_dir: Path | None = RECORD,
) -> Path:
    """Synthesize `environment` with the config of record in `config_dir` (the repository's by
    default; None: none) and `overrides` merged (like `-c config_overrides=FILE`) in this process
    exactly as `cdk synth -c environment=...` does (byte-identical templates:
    tests/test_cli_synth.py), with the process's validation cache, into `outdir`, and return it.
    Like app.py, it dates the EKS version checks with today's date (UTC), so both write the same
    version warnings."""
    today = datetime.now(UTC).date()
    app = project_app(outdir)
    config = load_config(environment, overrides=overrides, config_dir=config_dir, today=today)
    build_platform(app, config, today=today, validation_cache=VALIDATION_CACHE)
    app.synth()
    return outdir
