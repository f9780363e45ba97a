"""In-process CDK apps for tests, set up the way `cdk synth` runs app.py: cdk.json's feature flags,
the context the CLI adds, and aws-cdk-lib's built-in template validation off (cfn-lint is the
template gate, as in app.py; loading that validator costs about 3 s once per process)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from platform_config import load_config
from stacks.platform import build_platform

ROOT = Path(__file__).resolve().parent.parent

# What the pinned CLI adds to cdk.json's context when it runs the app (read from CDK_CONTEXT_JSON
# of `cdk synth` 2.1148.1). With it, an in-process template is byte-identical to the CLI's.
CLI_SYNTH_CONTEXT: dict[str, Any] = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:disable-version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
    # Findings go to validation-report.json for the tests to read instead of raising.
    "@aws-cdk/core:failSynthOnValidationErrors": False,
}


def project_context() -> dict[str, Any]:
    """cdk.json's context (feature flags) plus what the CLI adds when it synthesizes."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return {**context, **CLI_SYNTH_CONTEXT}


def project_app(outdir: Path | None = None, *, nag: bool = False, **context: Any) -> App:
    """An App like the one `cdk synth` runs: project context (plus `context`), no built-in
    validation, and cdk-nag's AwsSolutions checks when `nag` (build_platform adds them itself)."""
    app = App(
        context={**project_context(), **context},
        outdir=str(outdir) if outdir is not None else None,
        builtin_cloud_formation_validation=False,
    )
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def validation_violations(outdir: Path) -> list[dict[str, Any]]:
    """Every unacknowledged finding in an assembly's validation-report.json, with its plugin."""
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    return [
        {**violation, "plugin": plugin["pluginName"]}
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
    ]


def synth_environment(
    environment: str, outdir: Path, overrides: Mapping[str, Any] | None = None
) -> Path:
    """Synthesize `environment` (with `overrides` merged, like `-c config_overrides=FILE`) in this
    process exactly as `cdk synth -c environment=...` does (byte-identical templates:
    tests/test_cli_synth.py) into `outdir`, and return it."""
    app = project_app(outdir)
    build_platform(app, load_config(environment, overrides=overrides))
    app.synth()
    return outdir
