#!/usr/bin/env python3
"""CDK entry point: read the environment name (and optional overrides file) from context, validate
the config, build the stacks. The only module that reads context or environment variables."""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aws_cdk import App

from platform_config import (
    DEFAULT_ENVIRONMENT,
    ConfigError,
    PlatformConfig,
    load_config,
)
from platform_config.loader import OverridesError, read_overrides_files

ROOT = Path(__file__).resolve().parent
# Each validation plugin's findings per template (stacks/platform.py add_validations): an
# unchanged template is not validated again. Safe to delete at any time.
VALIDATION_CACHE = ROOT / "build" / "validation-cache"

# The context keys this app reads (`-c KEY=VALUE`).
CONTEXT_KEYS = ("environment", "config_overrides")
# Keys of the CDK itself: its feature flags and libraries' (also the keys of cdk.json's "context"),
# what the CLI adds when it runs the app (aws:cdk:*, recorded by tests/apps.py project_context) and
# other keys of the CLI (cdk-*, acknowledged-issue-numbers: `cdk acknowledge`).
CDK_KEY_PREFIXES = ("@aws-cdk/", "aws:cdk:", "cdk-")
CDK_KEYS = ("acknowledged-issue-numbers",)
# Cached context lookups in cdk.context.json are named `<provider>:<query>`.
LOOKUP_PROVIDERS = (
    "ami",
    "availability-zones",
    "cc-api-provider",
    "endpoint-service-availability-zones",
    "hosted-zone",
    "key-provider",
    "load-balancer",
    "load-balancer-listener",
    "plugin",
    "security-group",
    "ssm",
    "vpc-provider",
)


def cdk_json_context_keys(cdk_json: Path = ROOT / "cdk.json") -> frozenset[str]:
    """The keys of cdk.json's "context" (feature flags and this app's defaults)."""
    try:
        context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    except (OSError, json.JSONDecodeError, AttributeError):
        return frozenset()
    return frozenset(context) if isinstance(context, dict) else frozenset()


def is_known_context_key(key: str, cdk_json_keys: Iterable[str]) -> bool:
    """Whether `key` is one of this app's context keys or one of the CDK's."""
    return (
        key in CONTEXT_KEYS
        or key in cdk_json_keys
        or key in CDK_KEYS
        or key.startswith(CDK_KEY_PREFIXES)
        or (key.partition(":")[0] in LOOKUP_PROVIDERS and ":" in key)
    )


def suggestion(key: str, candidates: Iterable[str]) -> str | None:
    """The candidate `key` most likely misspells: one it abbreviates (`env`), else the closest."""
    options = sorted(candidates)
    folded = key.lower().replace("-", "_")
    prefixed = [option for option in options if folded and option.startswith(folded)]
    if prefixed:
        return prefixed[0]
    close = difflib.get_close_matches(folded, options, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_context_keys(context: dict[str, Any], cdk_json_keys: Iterable[str]) -> list[str]:
    """One line per context key that is neither this app's nor the CDK's (a misspelt `-c` key
    would otherwise be ignored silently), with a "did you mean" for a close name."""
    known = frozenset(cdk_json_keys)
    problems = []
    for key in sorted(context):
        if is_known_context_key(key, known):
            continue
        guess = suggestion(key, CONTEXT_KEYS)
        hint = f"; did you mean '{guess}'?" if guess else ""
        problems.append(
            f"unknown context key '{key}'{hint} (this app reads {', '.join(CONTEXT_KEYS)}; "
            "the CDK's are cdk.json's feature flags, @aws-cdk/*, aws:cdk:*, cdk-*)"
        )
    return problems


def read_config(app: App) -> PlatformConfig:
    """The config selected by `-c environment=NAME`, with the JSON objects of
    `-c config_overrides=A.json,B.json` deep-merged over it in order (objects merge, lists and
    other values replace)."""
    name = str(app.node.try_get_context("environment") or DEFAULT_ENVIRONMENT)
    files = str(app.node.try_get_context("config_overrides") or "")
    try:
        overrides = read_overrides_files(files)
    except OverridesError as error:
        raise ConfigError(name, [f"config_overrides: {error}"]) from None
    return load_config(name, overrides=overrides)


def main(app: App | None = None) -> int:
    """Synthesize the environment `app`'s context selects; 1 with the problems on stderr when its
    config is invalid. `app` is for tests; the CLI runs this file, which makes its own."""
    # aws-cdk-lib's own registration of its CloudFormation validation engine is off because
    # build_platform runs that engine itself, once, with its default rules and cdk-preflight's
    # deploy-time rules, failing synth on errors (stacks/platform.py: add_validations).
    app = app or App(builtin_cloud_formation_validation=False)
    problems = unknown_context_keys(app.node.get_all_context(), cdk_json_context_keys())
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        config = read_config(app)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    # Imported once the config is valid: a config error is reported before the construct
    # libraries load (about half of a failing run's time).
    from stacks.platform import build_platform

    build_platform(app, config, validation_cache=VALIDATION_CACHE)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
