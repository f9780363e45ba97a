"""Select an environment, merge its layers, validate, and turn any problem into one `ConfigError`.

An environment's config is its built-in values (platform_config/environments.py), then what the
config of record adds to it (platform_config/record.py: its environment file and the service
files that name it), then the overrides files of `-c config_overrides=A.json,B.json`, merged in
that order as platform_config/layers.py says (services by name; `null` removes one, reported).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from platform_config.ecs import CLUSTER_KINDS
from platform_config.environments import ENVIRONMENTS
from platform_config.errors import ConfigError, suggestion
from platform_config.fields import BOUND_ERRORS, bound_problem, field_at, model_at
from platform_config.fields import allowed as field_allows
from platform_config.layers import Layer, Merged, deep_merge
from platform_config.model import PlatformConfig
from platform_config.record import SERVICE_ENVIRONMENTS_KEY, RecordError, record_layers

__all__ = [
    "Layer",
    "OverridesError",
    "ResolvedConfig",
    "deep_merge",
    "load_config",
    "overrides_paths",
    "read_overrides_file",
    "read_overrides_files",
    "resolve_config",
]

# A message that starts with a field path relative to where the error was raised ("services.web.
# cpu: ..." raised by the ecs.fargate model) is shown as one path (ecs.fargate.services.web.cpu).
_RELATIVE_FIELD = re.compile(r"^(?P<path>[a-z_][\w-]*(?:\.[\w-]+)*): (?P<rest>.*)$", re.S)
# The sections whose messages are joined so (the others still read "section: field: ...").
_JOINED_SECTIONS = ("ecs",)


@dataclass(frozen=True)
class ResolvedConfig:
    """A validated config and what its layers removed explicitly (`"<name>": null`), one line
    each, for the synth output."""

    config: PlatformConfig
    removals: tuple[str, ...]


def resolve_config(
    name: str,
    *,
    layers: Sequence[Layer] = (),
    config_dir: Path | None = None,
    environments: Mapping[str, Mapping[str, Any]] = ENVIRONMENTS,
    today: date | None = None,
) -> ResolvedConfig:
    """The validated config of environment `name`: its built-in values, then the config of record
    in `config_dir` (none when None), then `layers` (the overrides), merged in order. With `today`
    (app.py passes the date), a Kubernetes version past the end of EKS extended support is
    refused too (container_constructs/eks_versions.py).

    Raises:
        ConfigError: unknown environment, a layer or the config of record unreadable, or any
            field invalid; the message lists every problem.
    """
    if name not in environments:
        allowed = ", ".join(sorted(environments))
        raise ConfigError(name, [f"environment: unknown environment '{name}'; allowed: {allowed}"])
    merged = Merged()
    merged.apply(Layer(f"built-in environment '{name}'", environments[name]))
    if config_dir is not None:
        try:
            record = record_layers(
                config_dir, name, environments=list(environments), cluster_kinds=CLUSTER_KINDS
            )
        except RecordError as error:
            raise ConfigError(name, error.problems) from None
        for layer in record:
            merged.apply(layer)
    for layer in layers:
        merged.apply(layer)
    if merged.problems:
        raise ConfigError(name, merged.problems)
    raw = merged.values
    if "name" in raw:
        raise ConfigError(name, ["name: is set from the environment key and cannot be overridden"])
    try:
        config = PlatformConfig.model_validate({"name": name, **raw}, context={"today": today})
    except ValidationError as error:
        problems = [merged.source_note(_describe(detail)) for detail in error.errors()]
        raise ConfigError(name, problems) from None
    return ResolvedConfig(config, tuple(merged.removals))


def load_config(
    name: str,
    *,
    overrides: Mapping[str, Any] | Sequence[Layer] | None = None,
    config_dir: Path | None = None,
    environments: Mapping[str, Mapping[str, Any]] = ENVIRONMENTS,
    today: date | None = None,
) -> PlatformConfig:
    """The validated config of environment `name` (see `resolve_config`): `overrides` is one
    object merged last, or the layers of overrides files (`read_overrides_files`); `today` dates
    the EKS version checks.

    Raises:
        ConfigError: as `resolve_config`.
    """
    if isinstance(overrides, Mapping):
        layers: Sequence[Layer] = [Layer("overrides", overrides)]
    else:
        layers = overrides or ()
    return resolve_config(
        name, layers=layers, config_dir=config_dir, environments=environments, today=today
    ).config


class OverridesError(ValueError):
    """An overrides file that cannot be read or does not hold a JSON object."""


def read_overrides_files(files: str) -> list[Layer]:
    """The JSON objects of the comma-separated `files` ("A.json,B.json"), in order, as layers
    named by their paths; [] for none.

    Raises:
        OverridesError: a file cannot be read, is not JSON, or does not hold an object.
    """
    return [Layer(str(path), read_overrides_file(path)) for path in overrides_paths(files)]


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
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise OverridesError(f"cannot read {path}: {error}") from None
    if not isinstance(layer, dict):
        raise OverridesError(f"{path} must hold a JSON object")
    return layer


def _describe(detail: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in detail["loc"])
    kind = detail["type"]
    message = str(detail["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        model = model_at(PlatformConfig, detail["loc"][:-1])
        allowed = ", ".join(sorted(model.model_fields))
        also = ""
        if detail["loc"][-1] == SERVICE_ENVIRONMENTS_KEY and "services" in detail["loc"]:
            also = (
                f" ('{SERVICE_ENVIRONMENTS_KEY}' is a service file's, config/services/<cluster>/"
                "<name>.json; an overrides file is for one environment: give the values "
                "directly)"
            )
        guess = suggestion(str(detail["loc"][-1]), model.model_fields)
        if guess and not also:
            also = f"; did you mean '{guess}'?"
        return f"{location}: unknown field{also}; allowed: {allowed}"
    if kind == "missing":
        return f"{location}: required field is missing"
    if not location:
        return message  # model-level rules already name their fields
    given = detail.get("input")
    if kind.endswith("_type") or kind in {"int_from_float", "bool_parsing", "int_parsing"}:
        field = field_at(PlatformConfig, detail["loc"])
        bounds = field_allows(field) if field is not None else None
        also = f"; allowed: {bounds}" if bounds else ""
        if kind == "string_type" and isinstance(given, int | float) and not isinstance(given, bool):
            # JSON reads 1.30 as the number 1.3: the text the user meant is lost by now.
            also += "; write it in quotes, as a JSON string"
        return f"{location}: {message.lower()}, got {type(given).__name__} {given!r}{also}"
    if kind in {"literal_error", "enum"}:
        expected = str(detail.get("ctx", {}).get("expected", "")).replace(" or ", ", ")
        return f"{location}: {given!r} is not allowed; allowed: {expected}"
    if kind in BOUND_ERRORS:
        field = field_at(PlatformConfig, detail["loc"])
        problem = bound_problem(field, given) if field is not None else None
        if problem is not None:
            return f"{location}: {problem}"
    relative = _RELATIVE_FIELD.match(message)
    if relative and location.split(".")[0] in _JOINED_SECTIONS:
        return f"{location}.{relative['path']}: {relative['rest']}"
    return f"{location}: {message}"
