"""Set the image tag an ECS service runs, in the overrides file that lists it.

    python -m tools.images.set_tag --environment sandbox --overrides overrides/sandbox.json
                                   --service fargate/sample --tag v2

`make set-image-tag` runs it (ENV, OVERRIDES, SERVICE, TAG). Which tag a service runs is config.
Lists replace when overrides merge, so a service's entry is in effect from the last file of
OVERRIDES that sets its cluster's `services` list; this rewrites the image tag of that entry in
that file (as 2-space JSON), after checking that the config with the new tag validates. `make
deploy` with the same OVERRIDES then rolls it out (a new task definition revision; ECS replaces
the tasks).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platform_config import ConfigError, load_config
from platform_config.loader import (
    OverridesError,
    merge_layers,
    overrides_paths,
    read_overrides_file,
)
from tools.account.session import add_environment_options
from tools.images.service import ImageError, parse_service, validate_tag


def _services_list(layer: dict[str, Any], kind: str) -> list[Any] | None:
    """`ecs.<kind>.services` of an overrides layer, None when it does not set it."""
    ecs = layer.get("ecs")
    cluster = ecs.get(kind) if isinstance(ecs, dict) else None
    services = cluster.get("services") if isinstance(cluster, dict) else None
    return services if isinstance(services, list) else None


@dataclass(frozen=True)
class TagChange:
    """What set_tag changed."""

    file: Path
    repository: str
    old_tag: str | None
    new_tag: str


def set_tag(environment: str, overrides: str | None, service: str, tag: str) -> TagChange:
    """Set the image tag of `service` in the overrides file its entry is in effect from, and
    write that file (see the module doc)."""
    kind, name = parse_service(service)
    validate_tag(tag)
    files = overrides_paths(overrides or "")
    try:
        layers = [read_overrides_file(path) for path in files]
    except OverridesError as error:
        raise ImageError(str(error)) from None
    for index in reversed(range(len(layers))):
        services = _services_list(layers[index], kind)
        if services is None:
            continue
        path = files[index]
        entries = [entry for entry in services if isinstance(entry, dict)]
        entry = next((e for e in entries if e.get("name") == name), None)
        if entry is None:
            raise ImageError(
                f"{path} sets ecs.{kind}.services without {name} (that list replaces the "
                f"environment's): add {kind}/{name} to it"
            )
        image = entry.get("image")
        if not isinstance(image, dict) or not image.get("repository"):
            raise ImageError(
                f"{kind}/{name} in {path} does not run an image of our repositories: set its "
                '"image" to {"repository": "NAME", "tag": "TAG"}'
            )
        old_tag = image.get("tag")
        entry["image"] = {**image, "tag": tag}
        try:
            load_config(environment, overrides=merge_layers(layers))
        except ConfigError as error:
            raise ImageError(f"with tag {tag} in {path}: {error}") from None
        path.write_text(json.dumps(layers[index], indent=2) + "\n", encoding="utf-8")
        return TagChange(path, str(image["repository"]), old_tag, tag)
    given = ", ".join(str(path) for path in files) or "none given"
    raise ImageError(
        f"no overrides file sets ecs.{kind}.services ({given}): {kind}/{name} comes from "
        f"environment '{environment}' itself. Put its entry in an overrides file (e.g. "
        "cp sample-app/sandbox.json overrides/sandbox.json) and pass it in OVERRIDES"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.images.set_tag",
        description="Set an ECS service's image tag in the overrides file that lists it.",
    )
    add_environment_options(parser)
    parser.add_argument("--service", required=True, help="fargate/NAME or ec2/NAME")
    parser.add_argument("--tag", required=True, help="image tag, e.g. v2")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """0 on success; 1 with a one-line `error: ...` on stderr otherwise."""
    args = parse_args(argv)
    try:
        change = set_tag(args.environment, args.overrides, args.service, args.tag)
    except ImageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"{change.file}: {args.service} image {change.repository}:{change.old_tag} -> "
        f"{change.repository}:{change.new_tag}. Roll it out: "
        f"make deploy ENV={args.environment} OVERRIDES={args.overrides}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
