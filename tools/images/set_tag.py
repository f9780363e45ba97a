"""Set the image tag an ECS service runs in one environment, in its service file.

    python -m tools.images.set_tag --environment sandbox [--config config]
                                   [--overrides A.json,B.json] --service fargate/sample --tag v2

`make set-image-tag` runs it (ENV, CONFIG, OVERRIDES, SERVICE, TAG). Which tag a service runs is
part of the config of record (platform_config/record.py): this writes TAG into the service file
`CONFIG/services/<cluster>/<name>.json` as that environment's value (`"environments": {"sandbox":
{"image": {"tag": "v2"}}}`, merged over the service's shared values; other environments keep
theirs), as 2-space JSON, once the environment's config with it validates. The service must run an
image of our repositories there. An overrides file that sets the service's image would win over
the service file, so it is refused, naming the file. Commit the service file; `make deploy` then
rolls it out (a new task definition revision; ECS replaces the tasks).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platform_config import DEFAULT_CONFIG_DIR, ConfigError, load_config
from platform_config.errors import suggestion
from platform_config.layers import Layer
from platform_config.loader import OverridesError, read_overrides_files
from platform_config.record import SERVICE_ENVIRONMENTS_KEY, service_file
from tools.account.session import add_environment_options
from tools.images.service import SERVICE_FORMS, ImageError, parse_service, validate_tag


@dataclass(frozen=True)
class TagChange:
    """What set_tag changed."""

    file: Path
    repository: str
    old_tag: str | None
    new_tag: str


def _sets_image(layer: Layer, kind: str, name: str) -> bool:
    """Whether overrides `layer` gives service `name` of cluster `kind` an image."""
    node: Any = layer.values
    for key in ("ecs", kind, "services", name):
        node = node.get(key) if isinstance(node, Mapping) else None
    return isinstance(node, Mapping) and "image" in node


def _read_service_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        have = sorted(
            f"{sibling.parent.name}/{sibling.stem}"
            for sibling in path.parent.parent.glob("*/*.json")
        )
        guess = suggestion(f"{path.parent.name}/{path.stem}", have)
        raise ImageError(
            f"{path} does not exist: the service is not in this config of record "
            "(services/<cluster>/<name>.json)"
            + (f"; did you mean '{guess}'?" if guess else "")
            + f"; have: {', '.join(have) or 'none'}"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImageError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict):
        raise ImageError(f"{path} must hold a JSON object")
    return data


def set_tag(
    environment: str, config_dir: str | Path, overrides: str | None, service: str, tag: str
) -> TagChange:
    """Set the image tag of `service` in `environment`, in its service file under `config_dir`,
    and write that file (see the module doc)."""
    kind, name = parse_service(service)
    validate_tag(tag)
    directory = Path(config_dir)
    path = service_file(directory, kind, name)
    data = _read_service_file(path)
    try:
        layers = read_overrides_files(overrides or "")
    except OverridesError as error:
        raise ImageError(str(error)) from None
    winning = [layer.source for layer in layers if _sets_image(layer, kind, name)]
    if winning:
        raise ImageError(
            f"{', '.join(winning)} sets the image of {kind}/{name}, which wins over {path}: "
            "change the tag there, or take the image out of it and rerun"
        )
    # First, so that a misspelt environment is refused as every command refuses it (not answered
    # with advice to add it to the service file).
    try:
        config = load_config(environment, overrides=layers, config_dir=directory)
    except ConfigError as error:
        raise ImageError(f"the config is invalid before the change: {error}") from None
    per_environment = data.get(SERVICE_ENVIRONMENTS_KEY)
    if not isinstance(per_environment, dict) or not isinstance(
        per_environment.get(environment), dict
    ):
        names = ", ".join(per_environment) if isinstance(per_environment, dict) else "none"
        raise ImageError(
            f"{path} does not run {kind}/{name} in environment '{environment}' (its "
            f'{SERVICE_ENVIRONMENTS_KEY}: {names}); add "{environment}": {{}} to them first'
        )
    image = config.ecs.clusters[kind].services[name].image
    if image.repository is None:
        raise ImageError(
            f"{kind}/{name} runs {image.uri} in '{environment}', not an image of our "
            f'repositories: give it "image": {{"repository": "NAME", "tag": "TAG"}} '
            f"in {path} (the environment's values) first"
        )
    own = per_environment[environment]
    own_image = own.get("image")
    own["image"] = {**(own_image if isinstance(own_image, dict) else {}), "tag": tag}
    before = path.read_text(encoding="utf-8")
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    try:
        load_config(environment, overrides=layers, config_dir=directory)
    except ConfigError as error:
        path.write_text(before, encoding="utf-8")
        raise ImageError(f"with tag {tag} in {path}: {error}") from None
    return TagChange(path, image.repository, image.tag, tag)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.images.set_tag",
        description="Set an ECS service's image tag in one environment, in its service file.",
    )
    add_environment_options(parser)
    parser.add_argument("--service", required=True, help=SERVICE_FORMS)
    parser.add_argument("--tag", required=True, help="image tag, e.g. v2")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """0 on success; 1 with a one-line `error: ...` on stderr otherwise."""
    args = parse_args(argv)
    try:
        change = set_tag(args.environment, args.config, args.overrides, args.service, args.tag)
    except ImageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    flags = f" CONFIG={args.config}" if Path(args.config) != Path(DEFAULT_CONFIG_DIR) else ""
    flags += f" OVERRIDES={args.overrides}" if args.overrides else ""
    print(
        f"{change.file}: {args.service} in '{args.environment}' runs "
        f"{change.repository}:{change.old_tag} -> {change.repository}:{change.new_tag}. Commit "
        f"it, then roll it out: make deploy ENV={args.environment}{flags}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
