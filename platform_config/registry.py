"""The `registry` section: the platform's ECR repositories and registry-level settings."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import ECR_REPOSITORY_NAME, ECR_REPOSITORY_NAME_LENGTH
from container_constructs.value_formats import ACCOUNT_ID_FORMAT, IAM_ROLE_ARN_FORMAT, REGION_FORMAT
from platform_config.base import Section

# Upstream registries a pull-through cache rule can mirror without credentials ("Amazon ECR
# Public, Kubernetes container image registry, and Quay (doesn't require authentication)", Amazon
# ECR user guide, "Sync an upstream registry with an Amazon ECR private registry", read 2026-12-04).
PULL_THROUGH_UPSTREAMS: dict[str, str] = {
    "ecr-public": "public.ecr.aws",
    "k8s": "registry.k8s.io",
    "quay": "quay.io",
}
# First components of a config repository name that its default ECR name may not start with:
# they name the KMS namespace and the caches' prefixes (stacks/names.py).
KMS_COMPONENT = "kms"
# The registry stack's outputs per repository (URI, push commands) and legacy exports (ARN, name);
# CloudFormation allows 200 outputs per stack ("CloudFormation quotas", read 2026-12-04).
OUTPUTS_PER_REPOSITORY = 2
LEGACY_EXPORTS_PER_REPOSITORY = 2
MAX_STACK_OUTPUTS = 200
RESERVED_FIRST_COMPONENTS = frozenset({KMS_COMPONENT, *PULL_THROUGH_UPSTREAMS})


class LifecycleConfig(Section):
    """How long images stay in a repository."""

    untagged_image_expiry_days: int = Field(
        default=defaults.UNTAGGED_IMAGE_EXPIRY_DAYS,
        ge=1,
        description="Expire untagged images this many days after push.",
    )
    max_image_count: int = Field(
        default=defaults.MAX_IMAGE_COUNT,
        ge=1,
        description="Keep only the newest N images of any tag status.",
    )


class RepositoryConfig(Section):
    """One ECR repository of the platform."""

    name: str = Field(
        description=(
            "The repository's name in the config (services name it with image.repository; its "
            "stack outputs are named after it). ECR rules: 2-256 characters, lowercase letters "
            "and digits in components joined by single '.', '_' or '-' and separated by '/'. "
            "Its first component may not be 'kms' nor an upstream of the pull-through cache."
        )
    )
    physical_name: str | None = Field(
        default=None,
        description=(
            "The repository's name in ECR, where names are unique per account and region. "
            "Default: cp-<environment>/<name>, or cp-<environment>/kms/<name> with "
            "kms_encryption (a change of encryption replaces a repository, and the new one "
            "then gets a new name). Set it to keep the name of a repository that exists "
            "(production keeps `sample-app`); an encryption change then needs a new name "
            "(docs/deploying.md, Images)."
        ),
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

    @field_validator("name", "physical_name")
    @classmethod
    def _valid_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
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
    repository_prefix: str | None = Field(
        default=None,
        description=(
            "ECR prefix: `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<upstream path>` "
            "pulls through the cache. 2-30 characters, '/'-separated components. Default: "
            "cp-<environment>/<upstream> (cp-<environment>/kms/<upstream> with kms_encryption), "
            "unique per environment (a prefix is unique per account and region)."
        ),
    )

    @field_validator("repository_prefix")
    @classmethod
    def _valid_prefix(cls, value: str | None) -> str | None:
        if value is not None:
            check_cache_prefix(value)
        return value

    @property
    def upstream_url(self) -> str:
        """The upstream registry's host, as image URIs name it."""
        return PULL_THROUGH_UPSTREAMS[self.upstream]


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
        return _unique(IAM_ROLE_ARN_FORMAT.check_each(value), "role ARNs")


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
        default_factory=PullThroughCacheConfig,
        description=(
            "A pull-through cache rule for a public upstream, with a repository creation template "
            "(scan, immutable tags, lifecycle, the registry's encryption). ECS services' images "
            "on that upstream are pulled through it, pinned by image.digest: from ECR, over the "
            "VPC endpoints when they are on, not anonymously through NAT. Default: Amazon ECR "
            "Public (public.ecr.aws). null: images are pulled from their registries directly."
        ),
    )
    ci_publisher: CiPublisherConfig = Field(
        default_factory=CiPublisherConfig,
        description="The CI push/pull role. Default: created, trusting this account.",
    )
    legacy_exports: bool = Field(
        default=False,
        description=(
            "Keep the registry stack's exports of each repository's ARN and name under the names "
            "and values they had when other stacks referenced the repositories directly (before "
            "ECR names carried the environment): an environment deployed then has stacks that "
            "import them until their next deploy. Set false once every stack of the environment "
            "has been deployed since. Default: false (nothing imports them)."
        ),
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
        return _unique(ACCOUNT_ID_FORMAT.check_each(value), "account ids")

    @field_validator("replication_regions")
    @classmethod
    def _valid_regions(cls, value: list[str]) -> list[str]:
        REGION_FORMAT.check_each(value)
        if len(value) > 25:
            raise ValueError(f"at most 25 destinations are allowed, got {len(value)}")
        return _unique(value, "regions")

    @field_validator("repositories")
    @classmethod
    def _namespace_components_reserved(
        cls, value: list[RepositoryConfig]
    ) -> list[RepositoryConfig]:
        for index, repository in enumerate(value):
            first = repository.name.split("/", 1)[0]
            if repository.physical_name is None and first in RESERVED_FIRST_COMPONENTS:
                raise ValueError(
                    f"[{index}].name: '{repository.name}' starts with '{first}', which the "
                    "registry's namespace keeps for KMS-encrypted repositories and pull-through "
                    "caches; allowed: another first component, or a physical_name"
                )
        return value

    @model_validator(mode="after")
    def _outputs_fit(self) -> RegistryConfig:
        per_repository = OUTPUTS_PER_REPOSITORY + (
            LEGACY_EXPORTS_PER_REPOSITORY if self.legacy_exports else 0
        )
        fit = MAX_STACK_OUTPUTS // per_repository
        if len(self.repositories) > fit:
            raise ValueError(
                f"repositories: {len(self.repositories)} repositories need "
                f"{len(self.repositories) * per_repository} stack outputs "
                f"({per_repository} each{' with legacy_exports' if self.legacy_exports else ''}); "
                f"allowed: at most {fit} (CloudFormation's {MAX_STACK_OUTPUTS} outputs per stack)"
            )
        return self

    @property
    def repository_names(self) -> list[str]:
        return [repository.name for repository in self.repositories]

    def physical_names(self, environment: str) -> dict[str, str]:
        """Each repository's ECR name by its config name (stacks/names.py `repository_name`)."""
        from stacks import names  # names.py imports platform_config: imported when called

        return {
            repository.name: repository.physical_name
            or names.repository_name(environment, repository.name, self.kms_encryption)
            for repository in self.repositories
        }

    def cache_prefix(self, environment: str) -> str | None:
        """The pull-through cache's ECR prefix, or None without a cache."""
        from stacks import names

        cache = self.pull_through_cache
        if cache is None:
            return None
        return cache.repository_prefix or names.pull_through_cache_prefix(
            environment, self.kms_encryption, cache.upstream
        )

    def check_names(self, environment: str) -> None:
        """The ECR names the environment's registry gets fit ECR's rules and do not collide.

        Raises:
            ValueError: naming the field (registry.repositories[i].name / physical_name,
                registry.pull_through_cache.repository_prefix) and what is allowed.
        """
        seen: dict[str, str] = {}
        for index, (name, physical) in enumerate(self.physical_names(environment).items()):
            field = f"registry.repositories[{index}]." + (
                "physical_name" if self.repositories[index].physical_name else "name"
            )
            shortest, longest = ECR_REPOSITORY_NAME_LENGTH
            if not shortest <= len(physical) <= longest:
                raise ValueError(
                    f"{field}: the ECR name '{physical[:60]}...' is {len(physical)} characters; "
                    f"allowed: at most {longest} (a shorter name, or a physical_name)"
                )
            if physical in seen:
                raise ValueError(
                    f"{field}: '{name}' and '{seen[physical]}' would both be ECR repository "
                    f"'{physical}'; allowed: distinct physical names"
                )
            seen[physical] = name
        prefix = self.cache_prefix(environment)
        if prefix is None:
            return
        if (
            self.pull_through_cache is not None
            and self.pull_through_cache.repository_prefix is None
        ):
            try:
                check_cache_prefix(prefix)
            except ValueError:
                raise ValueError(
                    f"registry.pull_through_cache.repository_prefix: the default '{prefix}' is "
                    f"{len(prefix)} characters, more than ECR's 30 (environment '{environment}'); "
                    "allowed: set repository_prefix, 2-30 characters, unique in the account and "
                    "region"
                ) from None
        clash = [physical for physical in seen if physical.startswith(f"{prefix}/")]
        if clash:
            raise ValueError(
                f"registry.repositories: '{clash[0]}' is under the pull-through cache's prefix "
                f"'{prefix}'; allowed: a name outside it"
            )


def check_cache_prefix(prefix: str) -> str:
    """`prefix` if ECR takes it as a pull-through cache prefix (2-30 characters, ECR name
    components), else ValueError."""
    if not 2 <= len(prefix) <= 30 or not ECR_REPOSITORY_NAME.match(prefix):
        raise ValueError(
            f"'{prefix}' is not a pull-through cache prefix; allowed: 2-30 characters of "
            "lowercase letters and digits joined by single '.', '_' or '-', components "
            "separated by '/'"
        )
    return prefix


def _unique(values: list[str], what: str) -> list[str]:
    duplicates = sorted({value for value in values if values.count(value) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what}: {', '.join(duplicates)}")
    return values
