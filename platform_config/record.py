"""The config of record: the directory, committed with the code, that says what each environment
runs, so that every path (`make synth/diff/deploy`, a teammate's `cdk deploy`, CI) deploys the
same thing. Default `config/` at the repository root; `-c config=DIR`, `make ... CONFIG=DIR`,
`--config DIR` for the tools.

    config/
      services/<cluster>/<name>.json   one file per ECS service (cluster: ec2, fargate, ...)
      environments/<environment>.json  optional: values merged over a built-in environment

A service file holds the values the service has in every environment, and `"environments":
{"<environment>": {...}}`: the service runs in exactly the environments named there, with that
environment's values deep-merged over the shared ones (`{}`: the shared values only). Its name is
the file's name. Besides these, a config directory may hold README.md files and hidden files.

Reading is strict, so that a typo cannot drop a service silently: an unknown environment key, a
file or directory that is not one of the above, JSON that is not an object, each is a problem
naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platform_config.layers import Layer, deep_merge

DEFAULT_CONFIG_DIR = "config"
SERVICES_DIR = "services"
ENVIRONMENTS_DIR = "environments"
SERVICE_ENVIRONMENTS_KEY = "environments"
_DOCUMENTATION = "README.md"


class RecordError(ValueError):
    """A config directory that cannot be read as a config of record; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def service_file(directory: Path, kind: str, name: str) -> Path:
    """Where the config of record in `directory` keeps service `name` of cluster `kind`."""
    return directory / SERVICES_DIR / kind / f"{name}.json"


def environment_file(directory: Path, environment: str) -> Path:
    """Where the config of record in `directory` keeps its layer over `environment`."""
    return directory / ENVIRONMENTS_DIR / f"{environment}.json"


@dataclass(frozen=True)
class ServiceFile:
    """One service file as read: its cluster, its name, its shared values and its values per
    environment (each an object)."""

    path: Path
    kind: str
    name: str
    shared: dict[str, Any]
    environments: dict[str, dict[str, Any]]

    def values_in(self, environment: str) -> dict[str, Any]:
        """The service's values in `environment` (which the file must name)."""
        return deep_merge(self.shared, self.environments[environment])


def record_layers(
    directory: Path,
    environment: str,
    *,
    environments: Collection[str],
    cluster_kinds: Sequence[str],
) -> list[Layer]:
    """What the config of record in `directory` adds to `environment`, in merge order: its
    environment file, then one layer per service file that names `environment`, by cluster and
    name. Every file is checked, whichever environment is selected.

    Raises:
        RecordError: the directory or one of its files is not a config of record.
    """
    problems: list[str] = []
    if not directory.is_dir():
        raise RecordError(
            [
                f"config: '{directory}' is not a directory; allowed: a config of record "
                f"({SERVICES_DIR}/<cluster>/<name>.json, {ENVIRONMENTS_DIR}/<environment>.json; "
                f"default '{DEFAULT_CONFIG_DIR}')"
            ]
        )
    for entry in _entries(directory):
        if entry.name not in (SERVICES_DIR, ENVIRONMENTS_DIR) or not entry.is_dir():
            problems.append(
                f"config: {entry} is not part of a config of record; allowed in {directory}: "
                f"{SERVICES_DIR}/, {ENVIRONMENTS_DIR}/, {_DOCUMENTATION}"
            )
    layers = _environment_layer(directory, environment, environments, problems)
    files = read_service_files(directory, cluster_kinds, environments, problems)
    if problems:
        raise RecordError(problems)
    for service in files:
        if environment in service.environments:
            layer = {
                "ecs": {service.kind: {"services": {service.name: service.values_in(environment)}}}
            }
            layers.append(Layer(str(service.path), layer, service=(service.kind, service.name)))
    return layers


def _entries(directory: Path) -> list[Path]:
    """The entries of `directory` that are not documentation or hidden, by name."""
    return sorted(
        entry
        for entry in directory.iterdir()
        if not entry.name.startswith(".") and entry.name != _DOCUMENTATION
    )


def _environment_layer(
    directory: Path, environment: str, environments: Collection[str], problems: list[str]
) -> list[Layer]:
    folder = directory / ENVIRONMENTS_DIR
    if not folder.is_dir():
        return []
    allowed = ", ".join(sorted(environments))
    for entry in _entries(folder):
        if entry.suffix != ".json" or not entry.is_file() or entry.stem not in environments:
            problems.append(
                f"environment: {entry} is not the file of an environment; allowed in {folder}: "
                f"<environment>.json of {allowed}"
            )
    path = environment_file(directory, environment)
    if not path.is_file():
        return []
    values = _read_object(path, "environment", problems)
    return [] if values is None else [Layer(str(path), values)]


def read_service_files(
    directory: Path,
    cluster_kinds: Sequence[str],
    environments: Collection[str],
    problems: list[str],
) -> list[ServiceFile]:
    """Every service file of the config of record in `directory`, by cluster and name; what is
    wrong with them is added to `problems`."""
    folder = directory / SERVICES_DIR
    if not folder.is_dir():
        return []
    clusters = ", ".join(f"{SERVICES_DIR}/{kind}" for kind in cluster_kinds)
    files = []
    for cluster in _entries(folder):
        if cluster.name not in cluster_kinds or not cluster.is_dir():
            problems.append(
                f"ecs: {cluster} is not the directory of a cluster; allowed in {directory}: "
                f"{clusters}"
            )
            continue
        for path in _entries(cluster):
            field = f"ecs.{cluster.name}.services"
            if path.suffix != ".json" or not path.is_file():
                problems.append(f"{field}: {path} is not a service file (<name>.json)")
                continue
            service = _service_file(path, cluster.name, environments, problems)
            if service is not None:
                files.append(service)
    return files


def _service_file(
    path: Path, kind: str, environments: Collection[str], problems: list[str]
) -> ServiceFile | None:
    name = path.stem
    field = f"ecs.{kind}.services.{name}"
    values = _read_object(path, field, problems)
    if values is None:
        return None
    allowed = ", ".join(sorted(environments))
    if "name" in values:
        problems.append(
            f"{field}.name: in {path}: a service's name is its file's name ('{name}'); "
            "allowed: leave 'name' out"
        )
        return None
    per_environment = values.pop(SERVICE_ENVIRONMENTS_KEY, None)
    if not isinstance(per_environment, dict):
        problems.append(
            f"{field}.{SERVICE_ENVIRONMENTS_KEY}: {path} must name the environments the service "
            f'runs in, each with its own values, e.g. "{SERVICE_ENVIRONMENTS_KEY}": '
            f'{{"sandbox": {{}}}}; allowed environments: {allowed}'
        )
        return None
    found = True
    for environment, own in per_environment.items():
        where = f"{field}.{SERVICE_ENVIRONMENTS_KEY}.{environment}"
        if environment not in environments:
            problems.append(f"{where}: unknown environment in {path}; allowed: {allowed}")
            found = False
        elif not isinstance(own, dict):
            problems.append(
                f"{where}: in {path}: must be an object of the service's values in that "
                f"environment ({{}} for the shared values only), got {type(own).__name__}"
            )
            found = False
    return ServiceFile(path, kind, name, values, per_environment) if found else None


def _read_object(path: Path, field: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problems.append(f"{field}: cannot read {path}: {error}")
        return None
    if not isinstance(value, dict):
        problems.append(f"{field}: {path} must hold a JSON object, got {type(value).__name__}")
        return None
    return value
