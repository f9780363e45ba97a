#!/usr/bin/env python3
"""CDK entry point: read the environment name (and optional overrides file) from context, validate
the config, build the stacks. The only module that reads context or environment variables."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App

from platform_config import (
    DEFAULT_ENVIRONMENT,
    ConfigError,
    PlatformConfig,
    deep_merge,
    load_config,
)


def read_config(app: App) -> PlatformConfig:
    """The config selected by `-c environment=NAME`, with the JSON objects of
    `-c config_overrides=A.json,B.json` deep-merged over it in order (objects merge, lists and
    other values replace)."""
    name = str(app.node.try_get_context("environment") or DEFAULT_ENVIRONMENT)
    overrides: dict[str, Any] = {}
    files = str(app.node.try_get_context("config_overrides") or "")
    for file in filter(None, (part.strip() for part in files.split(","))):
        path = Path(file)
        try:
            layer = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ConfigError(name, [f"config_overrides: cannot read {path}: {error}"]) from None
        if not isinstance(layer, dict):
            raise ConfigError(name, [f"config_overrides: {path} must hold a JSON object"])
        overrides = deep_merge(overrides, layer)
    return load_config(name, overrides=overrides)


def main(app: App | None = None) -> int:
    """Synthesize the environment `app`'s context selects; 1 with the problems on stderr when its
    config is invalid. `app` is for tests; the CLI runs this file, which makes its own."""
    # aws-cdk-lib's own registration of its CloudFormation validation engine is off because
    # build_platform runs that engine itself, once, with its default rules and cdk-preflight's
    # deploy-time rules, failing synth on errors (stacks/platform.py: add_validations).
    app = app or App(builtin_cloud_formation_validation=False)
    try:
        config = read_config(app)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    # Imported once the config is valid: a config error is reported before the construct
    # libraries load (about half of a failing run's time).
    from stacks.platform import build_platform

    build_platform(app, config)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
