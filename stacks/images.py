"""Where an ECS service's images come from: one of the registry's repositories, the registry's
pull-through cache (an image on the cache's upstream, pinned by digest), or its own registry.

The handles are the registry stack's, built from ECR names (stacks/registry_stack.py): using them
in a services stack adds no cross-stack reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam

from container_constructs.pull_through_cache import grant_pull_through
from platform_config.image import ImageConfig


@dataclass(frozen=True)
class ResolvedImage:
    """A service's image as its task definition names it, and what its execution role needs.

    Attributes:
        container_image: the image reference (a repository URI with a tag, a cached repository's
            URI with the digest, or the config's reference pinned by its digest when it has one).
        repository: one of the registry's repositories the image is in (WebService grants the
            pull), else None.
        cached: the pull-through cache's repository the image is pulled through, else None.
    """

    container_image: ecs.ContainerImage
    repository: ecr.IRepository | None = None
    cached: ecr.IRepository | None = None

    def grant_pull_through(self, role: iam.IGrantable) -> None:
        """Let `role` pull the image through the cache: pull and ecr:BatchImportUpstreamImage on
        its cached repository only (nothing for other images)."""
        if self.cached is not None:
            grant_pull_through(self.cached, role)


@dataclass(frozen=True)
class ImageSources:
    """The registry's repositories by config name and the pull-through cache's repositories by
    upstream path.

    Attributes:
        repositories: the registry's repositories by config name.
        cache_upstream: the host of the cache's upstream registry (public.ecr.aws), or None.
        cached: the cached repositories by upstream repository path.
    """

    repositories: Mapping[str, ecr.IRepository]
    cache_upstream: str | None = None
    cached: Mapping[str, ecr.IRepository] = field(default_factory=dict)

    def resolve(self, image: ImageConfig) -> ResolvedImage:
        """`image` as a task definition names it.

        Raises:
            ValueError: a repository or cached image the registry does not have (the config
                refuses the first; the platform passes every cached path: unreachable).
        """
        if image.repository is not None:
            assert image.tag is not None  # ImageConfig: 'tag' is required with 'repository'
            if image.repository not in self.repositories:
                raise ValueError(
                    f"repository '{image.repository}' is not one of the registry's "
                    f"({', '.join(sorted(self.repositories)) or 'none'})"
                )
            repository = self.repositories[image.repository]
            return ResolvedImage(
                ecs.ContainerImage.from_registry(repository.repository_uri_for_tag(image.tag)),
                repository=repository,
            )
        name = image.name
        if self.cache_upstream is not None and name.registry == self.cache_upstream:
            if name.path not in self.cached or image.digest is None:
                raise ValueError(
                    f"{image.uri} is on the cache's upstream but the registry has no cached "
                    "repository for it (or it has no digest)"
                )
            cached = self.cached[name.path]
            uri = cached.repository_uri_for_digest(image.digest)
            return ResolvedImage(ecs.ContainerImage.from_registry(uri), cached=cached)
        return ResolvedImage(ecs.ContainerImage.from_registry(image.reference))
