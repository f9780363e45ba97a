"""Build and push an ECS service's image to our ECR repository; set the image tag it runs.

    python -m tools.images push --environment sandbox [--overrides A.json,B.json]
                                --service fargate/sample --tag v1 [--context sample-app]
                                [--outputs build/outputs-sandbox.json] [--dry-run]
    python -m tools.images set-tag --environment sandbox --overrides overrides/sandbox.json
                                   --service fargate/sample --tag v2

`make push-image` and `make set-image-tag` run them (ENV, OVERRIDES, SERVICE, TAG, CONTEXT).

push: SERVICE (`fargate/NAME` or `ec2/NAME`, looked up in ENV's config with its overrides) must
run an image of one of our repositories (`"image": {"repository": ..., "tag": ...}`). The
repository's URI is read from the stack outputs `make deploy` wrote (build/outputs-ENV.json, the
registry stack's `<Name>RepositoryUri`); the platform from the config: a Fargate service's
`cpu_architecture`, an EC2 service's instance types (Graviton: linux/arm64, else linux/amd64).
Before anything is pushed it warns when this machine's architecture differs (buildx then emulates
it) and when the Dockerfile's USER or EXPOSE disagree with the service's `user` and
`container_port`. Then it logs Docker in to the registry (the password of ECR
GetAuthorizationToken, what `aws ecr get-login-password` prints, on `docker login`'s stdin) and runs
`docker buildx build --platform P --tag URI:TAG --push CONTEXT`.

set-tag: which tag a service runs is config. Lists replace when overrides merge, so a service's
entry is in effect from the last file of OVERRIDES that sets its cluster's `services` list;
set-tag rewrites the image tag of that entry in that file (as 2-space JSON), after checking that
the config with the new tag validates. `make deploy` with the same OVERRIDES then rolls it out
(a new task definition revision; ECS replaces the tasks).
"""

from __future__ import annotations

import argparse
import base64
import json
import platform
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platform_config import ConfigError, PlatformConfig, load_config
from platform_config.base import is_graviton
from platform_config.ecs import ServiceConfig
from platform_config.loader import (
    OverridesError,
    merge_layers,
    overrides_paths,
    read_overrides_file,
)
from tools.aws_account import (
    AccountError,
    add_environment_options,
    default_session,
    environment_config,
    one_line_errors,
)

KINDS = ("fargate", "ec2")
# Docker's rule for a tag: 1-128 of letters, digits, '_', '.', '-', not starting with '.' or '-'.
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
# `uname -m` / platform.machine() -> the Docker platform this machine builds natively.
_NATIVE_PLATFORMS = {
    "x86_64": "linux/amd64",
    "amd64": "linux/amd64",
    "aarch64": "linux/arm64",
    "arm64": "linux/arm64",
}


class ImageError(Exception):
    """A problem reported as one line: an unknown service, a missing output, a failed command."""


def parse_service(value: str) -> tuple[str, str]:
    """`fargate/NAME` or `ec2/NAME` -> (kind, name)."""
    kind, _, name = value.partition("/")
    if kind not in KINDS or not name:
        raise ImageError(
            f"--service {value!r}: give the cluster and the service name, fargate/NAME or ec2/NAME "
            "(e.g. SERVICE=fargate/sample)"
        )
    return kind, name


def validate_tag(tag: str) -> str:
    if not _TAG.match(tag):
        raise ImageError(
            f"--tag {tag!r} is not an image tag: 1-128 letters, digits, '_', '.', '-', not "
            "starting with '.' or '-' (e.g. TAG=v2)"
        )
    return tag


def find_service(config: PlatformConfig, kind: str, name: str) -> ServiceConfig:
    """The service `name` of the `kind` cluster of `config`."""
    services = config.ecs.fargate.services if kind == "fargate" else config.ecs.ec2.services
    for service in services:
        if service.name == name:
            return service
    have = ", ".join(f"{kind}/{s.name}" for s in services) or "none"
    raise ImageError(f"environment '{config.name}' has no service {kind}/{name} (it has: {have})")


def target_platform(config: PlatformConfig, kind: str, service: ServiceConfig) -> str:
    """The Docker platform the service's tasks run on: a Fargate service's `cpu_architecture`;
    an EC2 service's instances' (the config allows one architecture per cluster)."""
    if kind == "fargate":
        arm = service.cpu_architecture == "arm64"
    else:
        arm = is_graviton(config.ecs.ec2.instance_types[0])
    return "linux/arm64" if arm else "linux/amd64"


def native_platform(machine: str | None = None) -> str | None:
    """The Docker platform this machine builds without emulation (None when unknown)."""
    return _NATIVE_PLATFORMS.get((machine or platform.machine()).lower())


def repository_output_key(repository: str) -> str:
    """The registry stack's output holding the repository's URI: `<Name>RepositoryUri`, the name
    in PascalCase as stacks/registry_stack.py writes it."""
    pascal = "".join(part.capitalize() for part in re.split(r"[^a-z0-9]+", repository) if part)
    return f"{pascal}RepositoryUri"


def repository_uri(outputs_file: Path, repository: str) -> str:
    """The repository's URI from the stack outputs `make deploy` wrote."""
    key = repository_output_key(repository)
    try:
        outputs = json.loads(outputs_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImageError(
            f"{outputs_file} does not exist: `make deploy` writes it (the registry stack's "
            "outputs); deploy the environment first"
        ) from None
    except (OSError, json.JSONDecodeError) as error:
        raise ImageError(f"cannot read {outputs_file}: {error}") from None
    found = [
        str(stack_outputs[key])
        for stack_outputs in outputs.values()
        if isinstance(stack_outputs, dict) and key in stack_outputs
    ]
    if len(found) != 1:
        raise ImageError(
            f"{outputs_file} has {len(found) or 'no'} {key} output(s) (repository '{repository}'): "
            "it holds the outputs of the stacks the last `make deploy` deployed; deploy the "
            "registry stack"
        )
    return found[0]


@dataclass(frozen=True)
class DockerfileFacts:
    """What the final stage of a Dockerfile declares: its last USER (None: root) and EXPOSEd
    ports."""

    user: str | None = None
    ports: frozenset[int] = field(default_factory=frozenset)


def read_dockerfile(text: str) -> DockerfileFacts:
    """USER and EXPOSE of the final build stage (each FROM starts a stage; continuation lines
    are joined)."""
    user: str | None = None
    ports: set[int] = set()
    for line in re.sub(r"\\\n", " ", text).splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        instruction, arguments = words[0].upper(), words[1:]
        if instruction == "FROM":
            user, ports = None, set()
        elif instruction == "USER" and arguments:
            user = arguments[0]
        elif instruction == "EXPOSE":
            ports |= {int(port.split("/")[0]) for port in arguments if port.split("/")[0].isdigit()}
    return DockerfileFacts(user, frozenset(ports))


def dockerfile_warnings(facts: DockerfileFacts, service: ServiceConfig, label: str) -> list[str]:
    """Where the image disagrees with how the service runs it. The task definition sets the user
    (so the service's wins) and sends traffic to container_port."""
    warnings = []
    uid = (facts.user or "0").split(":")[0]
    if uid in ("0", "root") or not uid.isdigit():
        warnings.append(
            f"the Dockerfile's final stage runs as {facts.user or 'root (no USER)'}: declare a "
            f"numeric non-root USER (the service runs it as {service.user}; Kubernetes' "
            "runAsNonRoot needs a numeric one)"
        )
    elif facts.user != service.user:
        warnings.append(
            f"the Dockerfile's USER is {facts.user} but {label} runs it as {service.user} "
            "(`user`): files the image gives its USER are not that user's"
        )
    if service.container_port not in facts.ports:
        exposed = ", ".join(str(port) for port in sorted(facts.ports)) or "nothing"
        warnings.append(
            f"the Dockerfile EXPOSEs {exposed} but {label} sends traffic to port "
            f"{service.container_port} (`container_port`)"
        )
    return warnings


def login_command(registry_host: str) -> list[str]:
    return ["docker", "login", "--username", "AWS", "--password-stdin", registry_host]


def build_command(uri: str, tag: str, target: str, context: Path) -> list[str]:
    """`docker buildx build` for the service's platform, pushed straight to the repository.
    `--provenance=false`: a plain single-platform image, not an index with an attestation
    manifest (which ECR lists as an extra untagged artifact)."""
    return [
        "docker",
        "buildx",
        "build",
        "--platform",
        target,
        "--provenance=false",
        "--tag",
        f"{uri}:{tag}",
        "--push",
        str(context),
    ]


def ecr_password(session: Any, region: str, registry_id: str) -> str:
    """The registry's Docker password (ECR GetAuthorizationToken, as `aws ecr
    get-login-password`)."""
    with one_line_errors():
        ecr = session.client("ecr", region_name=region)
        data = ecr.get_authorization_token(registryIds=[registry_id])["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    if user != "AWS" or not password:
        raise ImageError("ECR returned an authorization token that is not AWS:PASSWORD")
    return password


def run(command: Sequence[str], stdin: str | None = None) -> None:
    """Run a docker command, its output shown; ImageError if it fails or docker is missing."""
    print(f"Running: {' '.join(command)}", flush=True)
    try:
        result = subprocess.run(list(command), input=stdin, text=True, check=False)
    except FileNotFoundError:
        raise ImageError(
            "docker is not on PATH: install Docker (with the buildx plugin) and rerun"
        ) from None
    if result.returncode != 0:
        raise ImageError(f"{' '.join(command[:3])} exited with {result.returncode}")


def require_buildx() -> None:
    """docker and its buildx plugin are there (checked before logging in)."""
    try:
        result = subprocess.run(
            ["docker", "buildx", "version"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise ImageError(
            "docker is not on PATH: install Docker (with the buildx plugin) and rerun"
        ) from None
    if result.returncode != 0:
        raise ImageError(
            "`docker buildx version` failed: install the buildx plugin (Docker Desktop has it; "
            "Debian/Ubuntu: the docker-buildx-plugin package)"
        )


def push(args: argparse.Namespace, session: Any) -> None:
    """Build the context for the service's platform and push it as the tag (see the module
    doc); with `args.dry_run` only print what would run."""
    kind, name = parse_service(args.service)
    tag = validate_tag(args.tag)
    config = environment_config(args.environment, args.overrides)
    service = find_service(config, kind, name)
    label = f"{kind}/{name}"
    repository = service.image.repository
    if repository is None:
        raise ImageError(
            f"{label} runs {service.image.uri}, not an image of our repositories: give it "
            '"image": {"repository": "NAME", "tag": "TAG"} in an overrides file first '
            "(e.g. a copy of sample-app/sandbox.json) and pass it in OVERRIDES"
        )
    outputs = Path(args.outputs or f"build/outputs-{config.name}.json")
    uri = repository_uri(outputs, repository)
    registry_host = uri.split("/", 1)[0]
    target = target_platform(config, kind, service)
    context = Path(args.context)
    dockerfile = context / "Dockerfile"
    if not dockerfile.is_file():
        raise ImageError(f"{dockerfile} does not exist: CONTEXT must be a directory with one")
    where = (
        f"cpu_architecture {service.cpu_architecture}"
        if kind == "fargate"
        else f"instance types {', '.join(config.ecs.ec2.instance_types)}"
    )
    print(f"Image of {label} (environment '{config.name}'): {target} ({where})")
    print(f"Repository {repository}: {uri} (from {outputs})")
    warnings = dockerfile_warnings(
        read_dockerfile(dockerfile.read_text(encoding="utf-8")), service, label
    )
    native = native_platform()
    if native != target:
        warnings.append(
            f"this machine builds {native or platform.machine()} natively but {label} runs "
            f"{target}: docker buildx emulates it with QEMU (slower). On Linux, install the "
            "emulators once: docker run --privileged --rm tonistiigi/binfmt --install all"
        )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    login = login_command(registry_host)
    build = build_command(uri, tag, target, context)
    if args.dry_run:
        print(f"Would run: aws ecr get-login-password --region {config.region} | {' '.join(login)}")
        print(f"Would run: {' '.join(build)}")
        return
    require_buildx()
    password = ecr_password(session, config.region, registry_host.split(".", 1)[0])
    run(login, stdin=password)
    run(build)
    print(f"Pushed {uri}:{tag}")
    overrides = f" OVERRIDES={args.overrides}" if args.overrides else ""
    if service.image.tag != tag:
        print(
            f"Roll it out: make set-image-tag ENV={config.name}{overrides} SERVICE={label} "
            f"TAG={tag}, then make deploy ENV={config.name}{overrides}"
        )
    else:
        print(f"Roll it out: make deploy ENV={config.name}{overrides}")


def _services_list(layer: dict[str, Any], kind: str) -> list[Any] | None:
    """`ecs.<kind>.services` of an overrides layer, None when it does not set it."""
    ecs = layer.get("ecs")
    cluster = ecs.get(kind) if isinstance(ecs, dict) else None
    services = cluster.get("services") if isinstance(cluster, dict) else None
    return services if isinstance(services, list) else None


@dataclass(frozen=True)
class TagChange:
    """What set-tag changed."""

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
        prog="python -m tools.images",
        description="Build and push an ECS service's image; set the image tag it runs.",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    push_parser = actions.add_parser(
        "push", help="build CONTEXT for the service's platform and push it to its repository"
    )
    tag_parser = actions.add_parser(
        "set-tag", help="set the service's image tag in the overrides file that lists it"
    )
    for sub in (push_parser, tag_parser):
        add_environment_options(sub)
        sub.add_argument("--service", required=True, help="fargate/NAME or ec2/NAME")
        sub.add_argument("--tag", required=True, help="image tag, e.g. v2")
    push_parser.add_argument(
        "--context", default="sample-app", help="build context with a Dockerfile (sample-app)"
    )
    push_parser.add_argument(
        "--outputs", help="stack outputs of `make deploy` (default: build/outputs-ENV.json)"
    )
    push_parser.add_argument(
        "--dry-run", action="store_true", help="print the docker commands, run nothing"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    """0 on success; 1 with a one-line `error: ...` on stderr otherwise. `session` is for tests."""
    args = parse_args(argv)
    try:
        if args.action == "push":
            push(args, session or default_session())
        else:
            change = set_tag(args.environment, args.overrides, args.service, args.tag)
            overrides = args.overrides
            print(
                f"{change.file}: {args.service} image {change.repository}:{change.old_tag} -> "
                f"{change.repository}:{change.new_tag}. Roll it out: "
                f"make deploy ENV={args.environment} OVERRIDES={overrides}"
            )
    except (ImageError, AccountError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
