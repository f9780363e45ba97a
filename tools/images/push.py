"""Build an ECS service's image for its CPU architecture and push it to its ECR repository.

    python -m tools.images.push --environment sandbox [--config config] [--overrides A.json,B.json]
                                --service fargate/sample --tag v1 [--context sample-app]
                                [--outputs build/outputs-sandbox.json] [--dry-run]

`make push-image` runs it (ENV, CONFIG, OVERRIDES, SERVICE, TAG, CONTEXT). SERVICE (`fargate/NAME`,
`ec2/NAME` or `managed_instances/NAME`, looked up in ENV's config with its overrides) must run an
image of one of our repositories (`"image": {"repository": ..., "tag": ...}`). The repository's
URI is read from the stack outputs `make deploy` wrote (build/outputs-ENV.json, the registry
stack's output `stacks.names.repository_uri_output`); the platform from the config, as the
service's tasks run (`ClusterConfig.task_cpu_architecture`: a Fargate service's
`cpu_architecture`, the EC2 cluster's instance types, the Managed Instances cluster's
`cpu_architecture`).
Before anything is pushed it warns when this machine's architecture differs (buildx then emulates
it) and when the Dockerfile's USER or EXPOSE disagree with the service's `user` and
`container_port`. Then it logs Docker in to the registry (the password of ECR
GetAuthorizationToken, what `aws ecr get-login-password` prints, on `docker login`'s stdin) and runs
`docker buildx build --platform P --tag URI:TAG --push CONTEXT`. To run the new tag, set it with
`tools.images.set_tag` (`make set-image-tag`) and deploy.
"""

from __future__ import annotations

import argparse
import base64
import json
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from platform_config import DEFAULT_CONFIG_DIR, ConfigError, PlatformConfig
from platform_config.ecs import ServiceConfig
from platform_config.record import service_file
from stacks import names
from tools.account.session import (
    AccountError,
    add_environment_options,
    default_session,
    environment_config,
    one_line_errors,
)
from tools.images.dockerfile import dockerfile_warnings, read_dockerfile
from tools.images.service import (
    SERVICE_FORMS,
    ImageError,
    docker_platform,
    find_service,
    parse_service,
    validate_tag,
)

# `uname -m` / platform.machine() -> the Docker platform this machine builds natively.
_NATIVE_PLATFORMS = {
    "x86_64": "linux/amd64",
    "amd64": "linux/amd64",
    "aarch64": "linux/arm64",
    "arm64": "linux/arm64",
}


def target_platform(config: PlatformConfig, kind: str, service: ServiceConfig) -> str:
    """The Docker platform the service's tasks run on (`ClusterConfig.task_cpu_architecture`)."""
    return docker_platform(config.ecs.clusters[kind].task_cpu_architecture(service))


def native_platform(machine: str | None = None) -> str | None:
    """The Docker platform this machine builds without emulation (None when unknown)."""
    return _NATIVE_PLATFORMS.get((machine or platform.machine()).lower())


def repository_uri(outputs_file: Path, repository: str) -> str:
    """The repository's URI from the stack outputs `make deploy` wrote."""
    key = names.repository_uri_output(repository)
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
    config = environment_config(args.environment, args.overrides, args.config)
    service = find_service(config, kind, name)
    label = f"{kind}/{name}"
    repository = service.image.repository
    if repository is None:
        raise ImageError(
            f"{label} runs {service.image.uri}, not an image of our repositories: give it "
            '"image": {"repository": "NAME", "tag": "TAG"} in its service file first '
            f"({service_file(Path(args.config), kind, name)}, the environment's values; "
            "sample-app/service.json is such a file for fargate/sample)"
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
        f"its cpu_architecture {service.cpu_architecture}"
        if kind == "fargate"
        else f"the instances of the {kind} cluster"
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
    overrides = f" CONFIG={args.config}" if args.config != DEFAULT_CONFIG_DIR else ""
    overrides += f" OVERRIDES={args.overrides}" if args.overrides else ""
    if service.image.tag != tag:
        print(
            f"Roll it out: make set-image-tag ENV={config.name}{overrides} SERVICE={label} "
            f"TAG={tag}, then make deploy ENV={config.name}{overrides}"
        )
    else:
        print(f"Roll it out: make deploy ENV={config.name}{overrides}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.images.push",
        description="Build an ECS service's image for its platform and push it to its repository.",
    )
    add_environment_options(parser)
    parser.add_argument("--service", required=True, help=SERVICE_FORMS)
    parser.add_argument("--tag", required=True, help="image tag, e.g. v2")
    parser.add_argument(
        "--context", default="sample-app", help="build context with a Dockerfile (sample-app)"
    )
    parser.add_argument(
        "--outputs", help="stack outputs of `make deploy` (default: build/outputs-ENV.json)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the docker commands, run nothing"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    """0 on success; 1 with a one-line `error: ...` on stderr otherwise. `session` is for tests."""
    args = parse_args(argv)
    try:
        push(args, session or default_session())
    except (ImageError, AccountError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
