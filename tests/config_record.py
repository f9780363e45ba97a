"""A config of record (a directory such as examples/team-services/) as the overrides the current
loader takes: `services/<cluster>/<name>.json` (the service's shared values and, under
`environments`, what each environment it runs in deep-merges over them) becomes
`ecs.<cluster>.services` of that environment, by name (each cluster's list replaces the
environment's own, so a cluster without files runs no service), and `environments/<env>.json`
layers go under it.

A stand-in for the config-of-record loader of issue 24 (the lead replaces it with that loader at
merge): it reads the same layout and gives the same services.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from platform_config.loader import deep_merge

CLUSTERS = ("ec2", "fargate")


def record_overrides(directory: Path, environment: str) -> dict[str, Any]:
    """The overrides of `environment` from the config of record in `directory`."""
    layer_file = directory / "environments" / f"{environment}.json"
    layer = json.loads(layer_file.read_text()) if layer_file.exists() else {}
    clusters: dict[str, Any] = {}
    for cluster in CLUSTERS:
        services = []
        for path in sorted((directory / "services" / cluster).glob("*.json")):
            values = json.loads(path.read_text())
            per_environment = values.pop("environments", {})
            if environment not in per_environment:
                continue  # the service does not run in this environment
            services.append({"name": path.stem, **deep_merge(values, per_environment[environment])})
        clusters[cluster] = {"services": services}
    return deep_merge(layer, {"ecs": clusters})
