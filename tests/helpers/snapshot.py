"""Normalise templates for snapshots, so a CDK upgrade does not rewrite every snapshot."""

from __future__ import annotations

import re
from typing import Any

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
_BOOTSTRAP_ONLY = {"BootstrapVersion"}


def normalise(template: dict[str, Any]) -> dict[str, Any]:
    """Drop what changes with every CDK release (bootstrap version parameter and rule, CDK metadata)
    and replace asset hashes, keeping everything that describes our infrastructure."""
    resources = {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") != "AWS::CDK::Metadata"
    }
    result = {**template, "Resources": resources}
    parameters = {
        name: value
        for name, value in template.get("Parameters", {}).items()
        if name not in _BOOTSTRAP_ONLY
    }
    result.pop("Parameters", None)
    if parameters:
        result["Parameters"] = parameters
    rules = {k: v for k, v in template.get("Rules", {}).items() if k != "CheckBootstrapVersion"}
    result.pop("Rules", None)
    if rules:
        result["Rules"] = rules
    return _replace_hashes(result)


def _replace_hashes(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _replace_hashes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_hashes(item) for item in value]
    if isinstance(value, str):
        return _ASSET_HASH.sub("<asset-hash>", value)
    return value
