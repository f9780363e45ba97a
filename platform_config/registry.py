"""The `registry` section: the platform's ECR repositories and registry-level settings."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from container_constructs import defaults
from container_constructs.checks import (
    ACCOUNT_ID,
    ECR_REPOSITORY_NAME,
    ECR_REPOSITORY_NAME_LENGTH,
    IAM_ROLE_ARN,
    REGION,
)
from platform_config.base import Section

_CACHE_PREFIX = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")

# Upstream registries a pull-through cache rule can mirror without credentials.
PULL_THROUGH_UPSTREAMS: dict[str, str] = {
    "ecr-public": "public.ecr.aws",
    "k8s": "registry.k8s.io",
    "quay": "quay.io",
}


class LifecycleConfig(Section):
    """How long images stay in a repository."""

    untagged_image_expiry_days: int = Field(
        default=defaults.UNTAGGED_IMAGE_EXPIRY_DAYS,
        description="Expire untagged images this many days after push (>= 1).",
    )
    max_image_count: int = Field(
        default=defaults.MAX_IMAGE_COUNT,
        description="Keep only the newest N images of any tag status (>= 1).",
    )

    @field_validator("untagged_image_expiry_days", "max_image_count")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"must be at least 1, got {value}")
        return value


class RepositoryConfig(Section):
    """One ECR repository of the platform."""

    name: str = Field(
        description=(
            "Repository name (ECR rules: 2-256 characters, lowercase letters and digits in "
            "components joined by single '.', '_' or '-' and separated by '/')."
        )
    )
    tag_immutability: bool = Field(
        default=defaults.TAG_IMMUTABILITY,
        description="Reject pushes that would move an existing tag.",
    )
    scan_on_push: bool = Field(
        default=defaults.SCAN_ON_PUSH,
        description="Basic vulnerability scan of every pushed image.",
    )
    lifecycle: LifecycleConfig = Field(
        default_factory=LifecycleConfig,
        description="Image expiry rules (see its fields for the defaults).",
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        shortest, longest = ECR_REPOSITORY_NAME_LENGTH
        if not shortest <= len(value) <= longest:
            raise ValueError(
                f"'{value}' must be {shortest} to {longest} characters long, got {len(value)}"
            )
        if not ECR_REPOSITORY_NAME.match(value):
            raise ValueError(
                f"'{value}' is not an ECR repository name; allowed: lowercase letters and digits, "
                "components joined by single '.', '_' or '-', separated by '/', e.g. team/web-app"
            )
        return value


class PullThroughCacheConfig(Section):
    """A registry-level pull-through cache rule for a public upstream registry."""

    upstream: Literal["ecr-public", "k8s", "quay"] = Field(
        default="ecr-public",
        description=(
            "Upstream registry: ecr-public (public.ecr.aws), k8s (registry.k8s.io) or quay "
            "(quay.io); all need no credentials. Default: ecr-public."
        ),
    )
    repository_prefix: str = Field(
        default="ecr-public",
        description=(
            "Local prefix: `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<upstream path>` "
            "pulls through the cache. 2-30 characters. Default: ecr-public."
        ),
    )

    @field_validator("repository_prefix")
    @classmethod
    def _valid_prefix(cls, value: str) -> str:
        if not 2 <= len(value) <= 30 or not _CACHE_PREFIX.match(value):
            raise ValueError(
                f"'{value}' is not a pull-through cache prefix; allowed: 2-30 lowercase letters "
                "and digits joined by single '.', '_' or '-'"
            )
        return value


class CiPublisherConfig(Section):
    """The IAM role a CI pipeline assumes to push images to (and pull from) every repository."""

    enabled: bool = Field(default=True, description="Create the role. Default: True.")
    trusted_role_arns: list[str] = Field(
        default_factory=list,
        description=(
            "IAM role ARNs (e.g. a CI runner's role, possibly in another account) allowed to "
            "assume the publisher role. Default: none; the role then trusts principals of this "
            "account that IAM policies allow to assume it."
        ),
    )

    @field_validator("trusted_role_arns")
    @classmethod
    def _valid_role_arns(cls, value: list[str]) -> list[str]:
        bad = [arn for arn in value if not IAM_ROLE_ARN.match(arn)]
        if bad:
            raise ValueError(
                f"{', '.join(repr(arn) for arn in bad)} not an IAM role ARN such as "
                "arn:aws:iam::123456789012:role/ci-runner"
            )
        return _unique(value, "role ARNs")


class RegistryConfig(Section):
    """The image registry: repositories plus the registry-wide settings of this account/region."""

    repositories: list[RepositoryConfig] = Field(
        default_factory=lambda: [RepositoryConfig(name="sample-app")],
        min_length=1,
        description="Repositories to create. Default: one, `sample-app`, for the sample service.",
    )
    kms_encryption: bool = Field(
        default=defaults.REPOSITORY_ENCRYPTION == "KMS",
        description=(
            "Encrypt repositories with a customer-managed KMS key rotated yearly (production). "
            "False uses AES256 (S3-managed keys, no KMS cost)."
        ),
    )
    enhanced_scanning: Literal["off", "scan-on-push", "continuous"] = Field(
        default="off",
        description=(
            "Registry-level Amazon Inspector enhanced scanning of the platform's repositories "
            "(replaces basic scan on push; Inspector charges per image). Default: off."
        ),
    )
    cross_account_pull_accounts: list[str] = Field(
        default_factory=list,
        description="12-digit account ids whose principals may pull every image. Default: none.",
    )
    replication_regions: list[str] = Field(
        default_factory=list,
        description=(
            "Regions (not the stack's own) that every repository is replicated to by the "
            "registry's replication configuration, same account. Default: none."
        ),
    )
    pull_through_cache: PullThroughCacheConfig | None = Field(
        default=None,
        description="A pull-through cache rule for a public upstream. Default: none.",
    )
    ci_publisher: CiPublisherConfig = Field(
        default_factory=CiPublisherConfig,
        description="The CI push/pull role. Default: created, trusting this account.",
    )

    @field_validator("repositories")
    @classmethod
    def _unique_repository_names(cls, value: list[RepositoryConfig]) -> list[RepositoryConfig]:
        names = [repository.name for repository in value]
        _unique(names, "repository names")
        by_output_name: dict[str, str] = {}
        for name in names:
            clash = by_output_name.setdefault(re.sub(r"[^a-z0-9]", "", name), name)
            if clash != name:
                raise ValueError(
                    f"'{clash}' and '{name}' differ only in separators; their stack outputs "
                    "would share a name: rename one"
                )
        return value

    @field_validator("cross_account_pull_accounts")
    @classmethod
    def _valid_accounts(cls, value: list[str]) -> list[str]:
        bad = [account for account in value if not ACCOUNT_ID.match(account)]
        if bad:
            raise ValueError(
                f"{', '.join(repr(account) for account in bad)} not a 12-digit AWS account id"
            )
        return _unique(value, "account ids")

    @field_validator("replication_regions")
    @classmethod
    def _valid_regions(cls, value: list[str]) -> list[str]:
        bad = [region for region in value if not REGION.match(region)]
        if bad:
            raise ValueError(
                f"{', '.join(repr(region) for region in bad)} not an AWS region name such as "
                "eu-west-1"
            )
        if len(value) > 25:
            raise ValueError(f"at most 25 destinations are allowed, got {len(value)}")
        return _unique(value, "regions")

    @property
    def repository_names(self) -> list[str]:
        return [repository.name for repository in self.repositories]


def _unique(values: list[str], what: str) -> list[str]:
    duplicates = sorted({value for value in values if values.count(value) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what}: {', '.join(duplicates)}")
    return values
