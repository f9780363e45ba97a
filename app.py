#!/usr/bin/env python3
"""CDK entry point: check the context keys, load the config the context selects
(`-c environment=NAME`, the config of record `-c config=DIR`, `-c config_overrides=A.json,B.json`),
build the stacks. The only module that reads context or environment variables."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

from aws_cdk import App

from platform_config import ConfigError
from platform_config.context import (
    APP_CONTEXT,
    CdkContextKeys,
    cdk_json_context_keys,
    config_from_context,
    unknown_context_keys,
)

ROOT = Path(__file__).resolve().parent
# Each validation plugin's findings per template (stacks/platform.py add_validations): an
# unchanged template is not validated again. Safe to delete at any time.
VALIDATION_CACHE = ROOT / "build" / "validation-cache"


def main(app: App | None = None, today: date | None = None) -> int:
    """Synthesize the environment `app`'s context selects; 1 with the problems on stderr when a
    context key is unknown or the config is invalid. `app` and `today` are for tests; the CLI runs
    this file, which makes its own app and takes today's date (UTC) for the Kubernetes version
    support checks."""
    # aws-cdk-lib's own registration of its CloudFormation validation engine is off because
    # build_platform runs that engine itself, once, with its default rules and cdk-preflight's
    # deploy-time rules, failing synth on errors (stacks/platform.py: add_validations).
    app = app or App(context=dict(APP_CONTEXT), builtin_cloud_formation_validation=False)
    context = app.node.get_all_context()
    cdk_keys = CdkContextKeys(cdk_json=cdk_json_context_keys(ROOT / "cdk.json"))
    problems = unknown_context_keys(context, cdk_keys)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    today = today or datetime.now(UTC).date()
    try:
        resolved = config_from_context(context, today=today)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for removal in resolved.removals:  # explicit ("<name>": null), and said so on every synth
        print(f"note: {removal}", file=sys.stderr)
    # Imported once the config is valid: a config error is reported before the construct
    # libraries load (about half of a failing run's time).
    from stacks.platform import build_platform

    build_platform(app, resolved.config, today=today, validation_cache=VALIDATION_CACHE)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
