"""The service an image tool acts on: `--service fargate/NAME` (a cluster kind and a service name)
in an environment's config, and the image tag it is given; what both `push` and `set_tag` check
first."""

from __future__ import annotations

import re

from platform_config import PlatformConfig
from platform_config.ecs import CLUSTER_KINDS, ServiceConfig

KINDS = tuple(sorted(CLUSTER_KINDS, reverse=True))  # as SERVICE names a cluster
# How SERVICE names a service: "managed_instances/NAME, fargate/NAME or ec2/NAME".
SERVICE_FORMS = ", ".join(f"{kind}/NAME" for kind in KINDS[:-1]) + f" or {KINDS[-1]}/NAME"
# Docker's rule for a tag: 1-128 of letters, digits, '_', '.', '-', not starting with '.' or '-'.
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


# A CPU architecture as the config names it -> the Docker platform built and pulled for it.
DOCKER_PLATFORMS = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}


def docker_platform(cpu_architecture: str) -> str:
    """The Docker platform (`linux/arm64`) of a config CPU architecture (`arm64`)."""
    return DOCKER_PLATFORMS[cpu_architecture]


class ImageError(Exception):
    """A problem reported as one line: an unknown service, a missing output, a failed command."""


def parse_service(value: str) -> tuple[str, str]:
    """`fargate/NAME` (any of SERVICE_FORMS) -> (kind, name)."""
    kind, _, name = value.partition("/")
    if kind not in KINDS or not name:
        raise ImageError(
            f"--service {value!r}: give the cluster and the service name, {SERVICE_FORMS} "
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
    services = config.ecs.clusters[kind].services
    if name in services:
        return services[name]
    have = ", ".join(f"{kind}/{other}" for other in services) or "none"
    raise ImageError(f"environment '{config.name}' has no service {kind}/{name} (it has: {have})")
