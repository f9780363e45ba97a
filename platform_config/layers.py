"""How the layers of an environment's config merge: the built-in environment, the config of
record's environment file and service files (platform_config/record.py), then the overrides
files, in that order.

Objects merge per key and other values replace (`deep_merge`), except a cluster's services
(`ecs.<kind>.services`), a map by name: each layer adds a service or merges into the one of that
name, and removes one only when it says so, with `"<name>": null`, which is reported. A list of
services is refused (by position, a later list used to drop the services of an earlier one). A
service file's service must not exist yet: one service, one place.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Shown where a list of services is refused (platform_config/ecs_cluster.py says the same).
SERVICES_SHAPE = (
    '{"ecs": {"fargate": {"services": {"web": {...}, "api": {...}}}}} (the key is the '
    'service\'s name; "web": null removes web)'
)


@dataclass(frozen=True)
class Layer:
    """A JSON object merged over an environment, and where it comes from (messages name it).
    `service` is (cluster, name) for a service file's layer, which defines that one service."""

    source: str
    values: Mapping[str, Any]
    service: tuple[str, str] | None = None


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `overrides` into a copy of `base`: mappings merge per key, other values replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass
class Merged:
    """The raw config so far, what is wrong with the layers, the removals they made, and which
    layers defined or changed each service, by (cluster, name)."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)
    sources: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def apply(self, layer: Layer) -> None:
        """Merge `layer` over the values so far (see the module doc)."""
        rest, services = _split_services(layer.values)
        self.values = deep_merge(self.values, rest)
        for kind, given in services.items():
            self._merge_services(layer, kind, given)

    def _merge_services(self, layer: Layer, kind: str, given: Any) -> None:
        where = f"ecs.{kind}.services"
        if not isinstance(given, Mapping):
            what = "a list" if isinstance(given, list) else type(given).__name__
            self.problems.append(
                f"{where}: {layer.source} gives {what}; services are a map by name, e.g. "
                f"{SERVICES_SHAPE}"
            )
            return
        cluster = self.values.setdefault("ecs", {}).setdefault(kind, {})
        if not isinstance(cluster, dict):
            return  # the model refuses the cluster's value itself
        services = cluster.setdefault("services", {})
        for name, value in given.items():
            sources = self.sources.setdefault((kind, name), [])
            if layer.service is not None and name in services:
                self.problems.append(
                    f"{where}.{name}: defined by {layer.source} and already by "
                    f"{', '.join(sources)}; allowed: one place per service"
                )
            elif value is None:
                if name in services:
                    del services[name]
                    self.removals.append(f"{where}.{name} removed by {layer.source}")
                    sources.clear()
                else:
                    have = ", ".join(services) or "none"
                    self.problems.append(
                        f"{where}.{name}: {layer.source} removes it (null), but no layer before "
                        f"defines it (have: {have}); allowed: the name of a service to remove"
                    )
                continue
            elif isinstance(value, Mapping) and isinstance(services.get(name), Mapping):
                services[name] = deep_merge(services[name], value)
            else:
                services[name] = copy.deepcopy(value)
            sources.append(layer.source)

    def source_note(self, problem: str) -> str:
        """`problem` with the layers that made the service it is about, if it is about one, and
        those of each other service of its cluster it names (`service 'NAME'`): a clash between
        two services names the file each came from, not only the first's."""
        for (kind, name), sources in self.sources.items():
            prefix = f"ecs.{kind}.services.{name}"
            if sources and problem.startswith((f"{prefix}.", f"{prefix}:")):
                notes = [", ".join(sources)]
                notes += [
                    f"service '{other}' from {', '.join(others)}"
                    for (other_kind, other), others in self.sources.items()
                    if other_kind == kind and other != name and others
                    if f"service '{other}'" in problem
                ]
                return f"{problem} (from {'; '.join(notes)})"
        return problem


def _split_services(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`values` without `ecs.<kind>.services`, and those services by cluster kind."""
    rest = dict(values)
    ecs = rest.get("ecs")
    if not isinstance(ecs, Mapping):
        return rest, {}
    services = {}
    clusters = {}
    for kind, cluster in ecs.items():
        if isinstance(cluster, Mapping) and "services" in cluster:
            services[kind] = cluster["services"]
            cluster = {key: value for key, value in cluster.items() if key != "services"}
        clusters[kind] = cluster
    rest["ecs"] = clusters
    return rest, services
