"""How a workload (ECS service or EKS sample) names its container image."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import IMAGE_DIGEST
from platform_config.base import Section


class ImageName(NamedTuple):
    """An image reference split the way registries read it."""

    registry: str  # host[:port], e.g. public.ecr.aws
    path: str  # repository path in that registry, e.g. nginx/nginx-unprivileged
    tag: str | None


# docker/distribution's reference grammar, simplified: the first component is the registry when it
# has a dot, a colon or is localhost (otherwise Docker Hub, docker.io). A port is a colon in the
# first component before a '/': public.ecr.aws/org/image:2 has tag 2, localhost:5000/x a port.
_REFERENCE = re.compile(
    r"^(?P<name>[^:@/]+(?::[0-9]+(?=/))?(?:/[^:@/]+)*)(?::(?P<tag>[\w][\w.-]{0,127}))?$"
)


def split_image_uri(uri: str) -> ImageName:
    """`uri` (registry/path[:tag], no digest) as registry, path and tag."""
    match = _REFERENCE.match(uri)
    if match is None:
        raise ValueError(f"'{uri}' is not an image reference such as public.ecr.aws/org/image:1.2")
    name = match["name"]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return ImageName(first, rest, match["tag"])
    return ImageName("docker.io", name if rest else f"library/{name}", match["tag"])


class ImageConfig(Section):
    """Exactly one of `uri` (any registry, pinned with `digest`) or `repository` (one of our ECR
    repositories) + `tag`."""

    uri: str | None = Field(
        default=None,
        description=(
            "Image reference, e.g. public.ecr.aws/org/image:1.2 (the tag is for people: with "
            "`digest` the digest is what runs)."
        ),
    )
    digest: str | None = Field(
        default=None,
        description=(
            "The image's digest (sha256:<64 hex>), pinning `uri`: the task definition names the "
            "image by digest, so a tag moved upstream changes nothing that runs. Required for an "
            "image pulled through the registry's pull-through cache; "
            "`make image-digests ENV=...` prints the digest each tag has now."
        ),
    )
    repository: str | None = Field(
        default=None, description="Name of one of `registry.repositories` (ECR pull is granted)."
    )
    tag: str | None = Field(
        default=None, description="Image tag in `repository` (required with it)."
    )

    @field_validator("uri")
    @classmethod
    def _valid_uri(cls, value: str | None) -> str | None:
        if value is not None:
            if "@" in value:
                raise ValueError(
                    f"'{value}' carries a digest; allowed: the reference without it, the digest "
                    "in image.digest"
                )
            split_image_uri(value)
        return value

    @field_validator("digest")
    @classmethod
    def _valid_digest(cls, value: str | None) -> str | None:
        if value is not None and not IMAGE_DIGEST.match(value):
            raise ValueError(f"'{value}' is not an image digest; allowed: sha256:<64 hex digits>")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ImageConfig:
        if (self.uri is None) == (self.repository is None):
            raise ValueError("set exactly one of 'uri' or 'repository' (with 'tag')")
        if self.repository is not None and not self.tag:
            raise ValueError("'tag' is required with 'repository'")
        if self.uri is not None and self.tag is not None:
            raise ValueError("'tag' goes with 'repository'; put the tag in 'uri' instead")
        if self.digest is not None and self.uri is None:
            raise ValueError("'digest' goes with 'uri'; a repository image is named by 'tag'")
        return self

    @property
    def name(self) -> ImageName:
        """`uri` split into registry, path and tag."""
        assert self.uri is not None, "a repository image has no uri"
        return split_image_uri(self.uri)

    @property
    def reference(self) -> str:
        """What a task definition names for `uri`: registry/path@digest when pinned, else `uri`."""
        assert self.uri is not None, "a repository image has no uri"
        if self.digest is None:
            return self.uri
        name = self.name
        return f"{name.registry}/{name.path}@{self.digest}"


# The volume-permissions init container's image (container_constructs/task_volumes.py), pinned.
VOLUME_PERMISSIONS_IMAGE = ImageConfig(
    uri=defaults.VOLUME_PERMISSIONS_IMAGE_URI, digest=defaults.VOLUME_PERMISSIONS_IMAGE_DIGEST
)


def check_pinned_through_cache(
    field: str, image: ImageConfig, upstream: str, environment: str
) -> None:
    """An image pulled through the pull-through cache of `upstream` must name its digest.

    Raises:
        ValueError: naming `field`.digest and how to find the digest.
    """
    if image.uri is None or image.digest is not None or image.name.registry != upstream:
        return
    raise ValueError(
        f"{field}.digest: required: {image.uri} is pulled through the registry's pull-through "
        f"cache of {upstream}, which this platform pins by digest; allowed: its digest "
        f"(sha256:<64 hex>, `make image-digests ENV={environment}` prints the one its tag has "
        "now), or registry.pull_through_cache null to pull it from the registry directly"
    )


def cached_paths(upstream: str, images: Iterable[ImageConfig]) -> list[str]:
    """The upstream repository paths of `images` on `upstream`, sorted, each once: the cached
    repositories the registry creates."""
    return sorted(
        {image.name.path for image in images if image.uri and image.name.registry == upstream}
    )
