"""How a workload (ECS service or EKS sample) names its container image."""

from __future__ import annotations

from pydantic import Field, model_validator

from platform_config.base import Section


class ImageConfig(Section):
    """Exactly one of `uri` (any registry) or `repository` (one of our ECR repositories) + `tag`."""

    uri: str | None = Field(
        default=None, description="Full image reference, e.g. public.ecr.aws/org/image:1.2."
    )
    repository: str | None = Field(
        default=None, description="Name of one of `registry.repositories` (ECR pull is granted)."
    )
    tag: str | None = Field(
        default=None, description="Image tag in `repository` (required with it)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> ImageConfig:
        if (self.uri is None) == (self.repository is None):
            raise ValueError("set exactly one of 'uri' or 'repository' (with 'tag')")
        if self.repository is not None and not self.tag:
            raise ValueError("'tag' is required with 'repository'")
        if self.uri is not None and self.tag is not None:
            raise ValueError("'tag' goes with 'repository'; put the tag in 'uri' instead")
        return self
