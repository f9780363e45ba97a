"""The config from CDK context: `-c environment=NAME`, `-c config=DIR` (the config of record;
cdk.json's default `config`) and `-c config_overrides=A.json,B.json`, and the check that every
other context key is the CDK's own (a misspelt `-c` key would otherwise be ignored silently).

The CDK's keys are not listed here: they are cdk.json's "context" keys (feature flags and this
app's defaults), the namespaces the CDK reserves for itself, and cached lookups, named
`<provider>:<query>` after the lookup providers aws-cdk-lib enumerates (`cdk_lookup_providers`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from platform_config.environments import DEFAULT_ENVIRONMENT
from platform_config.errors import ConfigError, suggestion
from platform_config.loader import (
    OverridesError,
    ResolvedConfig,
    read_overrides_files,
    resolve_config,
)
from platform_config.record import DEFAULT_CONFIG_DIR

# The context keys this app reads (`-c KEY=VALUE`).
ENVIRONMENT_KEY = "environment"
CONFIG_KEY = "config"
OVERRIDES_KEY = "config_overrides"
CONTEXT_KEYS = (ENVIRONMENT_KEY, CONFIG_KEY, OVERRIDES_KEY)
# Namespaces of the CDK's own keys: its feature flags (`@aws-cdk/...`; flags of its other
# libraries, such as `@aws-cdk-containers/...`, come with cdk.json), what the CLI adds when it
# runs the app (`aws:cdk:...`, recorded by tests/helpers/cli_context.py) and its settings
# (`cdk-...`).
CDK_KEY_PREFIXES = ("@aws-cdk/", "aws:cdk:", "cdk-")
# Context the app gives itself (app.py's App, and the tests' apps that mimic it), under the CLI's
# and cdk.json's, which take precedence: no creation stack trace per construct (under jsii they
# record only jsii's and Node's frames, no user code; `cdk --debug` still records them). Not in
# cdk.json: the CLI warns on every command about a reserved `aws:` key there.
APP_CONTEXT: Mapping[str, Any] = {"aws:cdk:disable-creation-stack-traces": True}
# Where `cdk acknowledge` records the notices it silenced (cdk.context.json).
CDK_ACKNOWLEDGED_NOTICES = "acknowledged-issue-numbers"


def cdk_json_context_keys(cdk_json: Path) -> frozenset[str]:
    """The keys of cdk.json's "context" (feature flags and this app's defaults); none when the
    file is missing or is not a JSON object with an object "context"."""
    try:
        context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    except (OSError, json.JSONDecodeError, AttributeError):
        return frozenset()
    return frozenset(context) if isinstance(context, dict) else frozenset()


@functools.cache
def cdk_lookup_providers() -> frozenset[str]:
    """The names cached context lookups start with (`availability-zones`, `vpc-provider`, ...):
    every member of aws-cdk-lib's `cloud_assembly_schema.ContextProvider`. Python's binding of that
    enum names members, not values, so each value is read back through aws-cdk-lib's JavaScript
    (`Fn.to_json_string` of a value without tokens is its JSON). Loads aws-cdk-lib's core, which
    the app has loaded already for its `App`; nothing else in this package does. About 0.1 s:
    `CdkContextKeys` asks only when a key could be a cached lookup."""
    from aws_cdk import Fn
    from aws_cdk.cloud_assembly_schema import ContextProvider

    return frozenset(str(json.loads(Fn.to_json_string(member))) for member in ContextProvider)


@dataclass(frozen=True)
class CdkContextKeys:
    """The context keys that are the CDK's: cdk.json's keys, and the names of the lookup
    providers, asked for only when a key could be a cached lookup (`lookup_providers`)."""

    cdk_json: frozenset[str]
    lookup_providers: Callable[[], frozenset[str]] = field(
        default_factory=lambda: cdk_lookup_providers
    )

    def known(self, key: str) -> bool:
        """Whether `key` is one of this app's context keys or one of the CDK's."""
        provider, colon, _query = key.partition(":")
        return (
            key in CONTEXT_KEYS
            or key in self.cdk_json
            or key == CDK_ACKNOWLEDGED_NOTICES
            or key.startswith(CDK_KEY_PREFIXES)
            or (bool(colon) and provider in self.lookup_providers())
        )


def unknown_context_keys(context: Mapping[str, Any], cdk_keys: CdkContextKeys) -> list[str]:
    """One line per context key that is neither this app's nor the CDK's, with a "did you mean"
    for a close name."""
    problems = []
    for key in sorted(context):
        if cdk_keys.known(key):
            continue
        guess = suggestion(key, CONTEXT_KEYS)
        hint = f"; did you mean '{guess}'?" if guess else ""
        problems.append(
            f"unknown context key '{key}'{hint} (this app reads {', '.join(CONTEXT_KEYS)}; "
            "the CDK's are cdk.json's feature flags, @aws-cdk/*, aws:cdk:*, cdk-*)"
        )
    return problems


def config_from_context(context: Mapping[str, Any], *, today: date | None = None) -> ResolvedConfig:
    """The config `-c environment=NAME` selects (default: the sandbox), with the config of record
    of `-c config=DIR` (default `config`, relative to the working directory: the CLI runs the app
    in the project's) and the JSON objects of `-c config_overrides=A.json,B.json` merged over it
    in order (platform_config/layers.py), checked against the EKS version calendar on `today`.

    Raises:
        ConfigError: an overrides file cannot be read, or the config is invalid.
    """
    name = str(context.get(ENVIRONMENT_KEY) or DEFAULT_ENVIRONMENT)
    config_dir = Path(str(context.get(CONFIG_KEY) or DEFAULT_CONFIG_DIR))
    files = str(context.get(OVERRIDES_KEY) or "")
    try:
        layers = read_overrides_files(files)
    except OverridesError as error:
        raise ConfigError(name, [f"{OVERRIDES_KEY}: {error}"]) from None
    return resolve_config(name, layers=layers, config_dir=config_dir, today=today)
