"""The `registry` section: the platform's ECR repositories."""

from __future__ import annotations

from pydantic import Field

from platform_config.base import Section


class RepositoryConfig(Section):
    """One ECR repository of the platform."""

    name: str = Field(description="Repository name (ECR rules: lowercase, 2-256 characters).")


class RegistryConfig(Section):
    """The image registry."""

    repositories: list[RepositoryConfig] = Field(
        default_factory=lambda: [RepositoryConfig(name="sample-app")],
        description="Repositories to create. Default: one, `sample-app`, for the sample service.",
    )

    @property
    def repository_names(self) -> list[str]:
        return [repository.name for repository in self.repositories]
