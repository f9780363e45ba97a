"""Select an environment, merge overrides, validate, and turn any problem into one `ConfigError`."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from platform_config.environments import ENVIRONMENTS
from platform_config.errors import ConfigError
from platform_config.model import PlatformConfig


def load_config(
    name: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    environments: Mapping[str, Mapping[str, Any]] = ENVIRONMENTS,
    today: date | None = None,
) -> PlatformConfig:
    """Return the validated config of environment `name`, with `overrides` deep-merged over it.
    With `today` (app.py passes the date), a Kubernetes version past the end of EKS extended
    support is refused too (container_constructs/eks_versions.py).

    Raises:
        ConfigError: unknown environment, or any field invalid; the message lists every problem.
    """
    if name not in environments:
        allowed = ", ".join(sorted(environments))
        raise ConfigError(name, [f"environment: unknown environment '{name}'; allowed: {allowed}"])
    raw = deep_merge(environments[name], overrides or {})
    if "name" in raw:
        raise ConfigError(name, ["name: is set from the environment key and cannot be overridden"])
    try:
        return PlatformConfig.model_validate({"name": name, **raw}, context={"today": today})
    except ValidationError as error:
        raise ConfigError(name, [_describe(detail) for detail in error.errors()]) from None


class OverridesError(ValueError):
    """An overrides file that cannot be read or does not hold a JSON object."""


def read_overrides_files(files: str) -> dict[str, Any]:
    """The JSON objects of the comma-separated `files` ("A.json,B.json"), deep-merged in order
    (objects merge, lists and other values replace); {} for none.

    Raises:
        OverridesError: a file cannot be read, is not JSON, or does not hold an object.
    """
    return merge_layers([read_overrides_file(path) for path in overrides_paths(files)])


def overrides_paths(files: str) -> list[Path]:
    """The files of a comma-separated list ("A.json,B.json"), in order, blanks dropped."""
    return [Path(part) for part in filter(None, (part.strip() for part in files.split(",")))]


def read_overrides_file(path: Path) -> dict[str, Any]:
    """The JSON object one overrides file holds.

    Raises:
        OverridesError: the file cannot be read, is not JSON, or does not hold an object.
    """
    try:
        layer = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise OverridesError(f"cannot read {path}: {error}") from None
    if not isinstance(layer, dict):
        raise OverridesError(f"{path} must hold a JSON object")
    return layer


def merge_layers(layers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Overrides layers deep-merged in order (`deep_merge` of each over the ones before)."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer)
    return merged


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `overrides` into a copy of `base`: mappings merge per key, other values replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _describe(detail: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in detail["loc"])
    kind = detail["type"]
    message = str(detail["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = ", ".join(_fields_at(detail["loc"][:-1]))
        return f"{location}: unknown field; allowed: {allowed}"
    if kind == "missing":
        return f"{location}: required field is missing"
    if not location:
        return message  # model-level rules already name their fields
    given = detail.get("input")
    if kind.endswith("_type") or kind in {"int_from_float", "bool_parsing", "int_parsing"}:
        return f"{location}: {message.lower()}, got {type(given).__name__} {given!r}"
    return f"{location}: {message}"


def _fields_at(location: tuple[Any, ...]) -> list[str]:
    """The field names of the model found at `location`, for an 'unknown field' message."""
    model: type[BaseModel] = PlatformConfig
    for part in location:
        if not isinstance(part, str) or part not in model.model_fields:
            continue  # a list index or a dict key: the model is the item's
        nested = _model_in(model.model_fields[part].annotation)
        if nested is None:
            break
        model = nested
    return sorted(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
