"""An ECR container registry: hardened repositories, grants, and registry-level replication,
enhanced scanning and pull-through caching."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from container_constructs import defaults
from container_constructs.checks import is_repository_name
from container_constructs.pull_through_cache import (
    PullThroughCacheResources,
    PullThroughCacheRule,
    acknowledge_login_token,
    add_pull_through_cache,
    grant_pull_through,
)
from container_constructs.value_formats import ACCOUNT_ID_FORMAT

__all__ = [
    "ENCRYPTIONS",
    "ContainerRegistry",
    "ContainerRegistryProps",
    "PullThroughCacheRule",
    "RepositorySpec",
    "grant_pull_through",
]

_SCAN_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
# By ECR's EncryptionType; aws-cdk-lib compares the instances, so these members, not copies.
ENCRYPTIONS = {
    "AES256": ecr.RepositoryEncryption.AES_256,
    "KMS": ecr.RepositoryEncryption.KMS,
}


@dataclass(frozen=True, kw_only=True)
class RepositorySpec:
    """One repository of a `ContainerRegistry`.

    Attributes:
        name: the repository's key: `ContainerRegistry.repositories` and its construct id use it
            (ECR name rules: 2-256 chars, lowercase, `.`/`_`/`-` separators, `/` paths).
            Required.
        repository_name: its name in ECR (same rules; unique per account and region). A change
            replaces the repository. Default: `name`.
        tag_immutability: reject pushes that move an existing tag. Default: True.
        scan_on_push: basic vulnerability scan of each pushed image. Default: True.
        untagged_image_expiry_days: expire untagged images this many days after push (>= 1).
            Default: 14.
        max_image_count: keep only the newest N images of any tag status (>= 1). Default: 100.
    """

    name: str
    repository_name: str | None = None
    tag_immutability: bool = defaults.TAG_IMMUTABILITY
    scan_on_push: bool = defaults.SCAN_ON_PUSH
    untagged_image_expiry_days: int = defaults.UNTAGGED_IMAGE_EXPIRY_DAYS
    max_image_count: int = defaults.MAX_IMAGE_COUNT


@dataclass(frozen=True, kw_only=True)
class ContainerRegistryProps:
    """Props of `ContainerRegistry`.

    Attributes:
        repositories: the repositories to create, unique names, at least one. Required.
        encryption: AES256 or KMS. Default: AES256. With KMS and no `encryption_key`, the construct
            creates a customer-managed key rotated yearly, shared by its repositories.
        encryption_key: the KMS key for `encryption=KMS`. Default: none (created as above).
        removal_policy: applied to the repositories and a created key. Default: RETAIN.
            DESTROY also empties repositories on delete (CloudFormation's native EmptyOnDelete).
        cross_account_pull_accounts: account ids whose principals may pull every image (added to
            each repository's resource policy). Default: none.
        enhanced_scan_frequency: Default: None (basic scanning only); or `SCAN_ON_PUSH` or
            `CONTINUOUS_SCAN`; registry-level Amazon Inspector scanning of these repositories.
            The registry has ONE scanning configuration per account and region.
        replication_regions: regions every repository is replicated to (same account). Default:
            none. The registry has ONE replication configuration per account and region; this
            construct owns it when set.
        pull_through_cache: a pull-through cache rule, with a repository creation template and
            the cached repositories it names, encrypted like the repositories. Default: none.
    """

    repositories: Sequence[RepositorySpec]
    encryption: ecr.RepositoryEncryption = field(
        default_factory=lambda: ENCRYPTIONS[defaults.REPOSITORY_ENCRYPTION]
    )
    encryption_key: kms.IKey | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    cross_account_pull_accounts: Sequence[str] = ()
    enhanced_scan_frequency: str | None = None
    replication_regions: Sequence[str] = ()
    pull_through_cache: PullThroughCacheRule | None = None


class ContainerRegistry(Construct):
    """ECR repositories with immutable tags, scan on push, encryption, lifecycle rules and a
    removal policy, plus grant methods and the optional registry-level rules.

    Attributes:
        repositories: the repositories keyed by their name.
        ecr_names: each repository's ECR name, keyed by its name.
        encryption_key: the KMS key of the repositories (None with AES256).
        scanning_configuration / replication_configuration / pull_through_cache_rule: the
            registry-level resources, None unless requested.
        pull_through_cache: the cache's rule, creation template (and role) and cached
            repositories (`grant_pull_through` gives a task execution role what a first pull
            through it needs), None without a cache.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: ContainerRegistryProps
    ) -> None:
        super().__init__(scope, construct_id)
        _validate(props)
        self.encryption_key = self._encryption_key(props)
        self.ecr_names = {
            spec.name: spec.repository_name or spec.name for spec in props.repositories
        }
        self.repositories: dict[str, ecr.Repository] = {
            spec.name: self._repository(spec, props) for spec in props.repositories
        }
        for account in props.cross_account_pull_accounts:
            self.grant_pull(iam.AccountPrincipal(account))
        self.scanning_configuration = self._enhanced_scanning(props)
        self.replication_configuration = self._replication(props)
        self.pull_through_cache: PullThroughCacheResources | None = (
            None
            if props.pull_through_cache is None
            else add_pull_through_cache(
                self,
                rule=props.pull_through_cache,
                encryption=props.encryption,
                encryption_key=self.encryption_key,
                removal_policy=props.removal_policy,
            )
        )
        self.pull_through_cache_rule = (
            None if self.pull_through_cache is None else self.pull_through_cache.rule
        )

    def grant_pull(self, grantee: iam.IGrantable, *repository_names: str) -> list[iam.Grant]:
        """Let `grantee` pull images (e.g. an ECS task execution role or an EKS node role) from
        the named repositories, or from all of them when none are named."""
        grants = [repo.grant_pull(grantee) for repo in self._select(repository_names)]
        acknowledge_login_token(grantee)
        return grants

    def grant_push_pull(self, grantee: iam.IGrantable, *repository_names: str) -> list[iam.Grant]:
        """Let `grantee` (e.g. a CI role) push and pull images of the named repositories, or of
        all of them when none are named."""
        grants = [repo.grant_pull_push(grantee) for repo in self._select(repository_names)]
        acknowledge_login_token(grantee)
        return grants

    def _select(self, names: Sequence[str]) -> list[ecr.Repository]:
        unknown = [name for name in names if name not in self.repositories]
        # Unreachable from config: the platform's stacks grant on all repositories (no names).
        if unknown:
            raise ValueError(
                f"ContainerRegistry: unknown repositories {', '.join(unknown)}; "
                f"known: {', '.join(self.repositories)}"
            )
        return [self.repositories[name] for name in (names or self.repositories)]

    def _encryption_key(self, props: ContainerRegistryProps) -> kms.IKey | None:
        if props.encryption.value != "KMS":
            return None
        if props.encryption_key is not None:
            return props.encryption_key
        return kms.Key(
            self,
            "EncryptionKey",
            description=f"Encrypts the ECR repositories of stack {Stack.of(self).stack_name}",
            enable_key_rotation=True,
            removal_policy=props.removal_policy,
            pending_window=Duration.days(7),
        )

    def _repository(self, spec: RepositorySpec, props: ContainerRegistryProps) -> ecr.Repository:
        destroy = props.removal_policy == RemovalPolicy.DESTROY
        return ecr.Repository(
            self,
            spec.name.replace("/", "--"),  # "/" separates construct paths
            repository_name=spec.repository_name or spec.name,
            image_tag_mutability=(
                ecr.TagMutability.IMMUTABLE if spec.tag_immutability else ecr.TagMutability.MUTABLE
            ),
            image_scan_on_push=spec.scan_on_push,
            encryption=props.encryption,
            encryption_key=self.encryption_key,
            removal_policy=props.removal_policy,
            empty_on_delete=destroy or None,
            lifecycle_rules=[
                # The ANY rule must carry the highest priority number: ECR evaluates low first.
                ecr.LifecycleRule(
                    rule_priority=1,
                    description=(
                        f"Expire untagged images after {spec.untagged_image_expiry_days} days"
                    ),
                    tag_status=ecr.TagStatus.UNTAGGED,
                    max_image_age=Duration.days(spec.untagged_image_expiry_days),
                ),
                ecr.LifecycleRule(
                    rule_priority=2,
                    description=f"Keep only the newest {spec.max_image_count} images",
                    tag_status=ecr.TagStatus.ANY,
                    max_image_count=spec.max_image_count,
                ),
            ],
        )

    def _enhanced_scanning(
        self, props: ContainerRegistryProps
    ) -> ecr.CfnRegistryScanningConfiguration | None:
        if props.enhanced_scan_frequency is None:
            return None
        return ecr.CfnRegistryScanningConfiguration(
            self,
            "EnhancedScanning",
            scan_type="ENHANCED",
            rules=[
                ecr.CfnRegistryScanningConfiguration.ScanningRuleProperty(
                    scan_frequency=props.enhanced_scan_frequency,
                    repository_filters=[
                        ecr.CfnRegistryScanningConfiguration.RepositoryFilterProperty(
                            filter=name, filter_type="WILDCARD"
                        )
                        for name in self.ecr_names.values()
                    ],
                )
            ],
        )

    def _replication(self, props: ContainerRegistryProps) -> ecr.CfnReplicationConfiguration | None:
        if not props.replication_regions:
            return None
        stack = Stack.of(self)
        # PlatformConfig._cross_section_rules rejects registry.replication_regions with the
        # environment's own region first.
        if stack.region in props.replication_regions:
            raise ValueError(
                f"ContainerRegistry: replication_regions includes the stack's own region "
                f"{stack.region}"
            )
        account = stack.account
        rule = ecr.CfnReplicationConfiguration.ReplicationRuleProperty(
            destinations=[
                ecr.CfnReplicationConfiguration.ReplicationDestinationProperty(
                    region=region, registry_id=account
                )
                for region in props.replication_regions
            ],
            repository_filters=[
                ecr.CfnReplicationConfiguration.RepositoryFilterProperty(
                    filter=name, filter_type="PREFIX_MATCH"
                )
                for name in self.ecr_names.values()
            ],
        )
        configuration = ecr.CfnReplicationConfiguration(
            self,
            "Replication",
            replication_configuration=ecr.CfnReplicationConfiguration.ReplicationConfigurationProperty(
                rules=[rule]
            ),
        )
        for repository in self.repositories.values():
            configuration.node.add_dependency(repository)
        return configuration


def _validate(props: ContainerRegistryProps) -> None:
    # Each raise here guards direct use of the construct; a validated platform config never
    # reaches one: platform_config rejects the same input first, naming the field (the config
    # space property test, tests/test_config_space.py, synthesizes what it accepts; the last
    # two: see there).
    names = [spec.name for spec in props.repositories]
    if not names:
        raise ValueError("ContainerRegistry: repositories needs at least one repository")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"ContainerRegistry: duplicate repository names {', '.join(duplicates)}")
    physical = [spec.repository_name or spec.name for spec in props.repositories]
    if len(set(physical)) != len(physical):
        raise ValueError("ContainerRegistry: two repositories share an ECR name")
    for spec in props.repositories:
        for name in (spec.name, spec.repository_name or spec.name):
            if not is_repository_name(name):
                raise ValueError(f"ContainerRegistry: '{name}' is not an ECR repository name")
        if spec.untagged_image_expiry_days < 1 or spec.max_image_count < 1:
            raise ValueError(
                f"ContainerRegistry: '{spec.name}' lifecycle days and counts must be at least 1"
            )
    bad_accounts = ACCOUNT_ID_FORMAT.problem_of_each(props.cross_account_pull_accounts)
    if bad_accounts:
        raise ValueError(f"ContainerRegistry: cross_account_pull_accounts {bad_accounts}")
    # Unreachable from config: RegistryStack never passes an encryption_key (kms_encryption
    # selects KMS with the construct's own key).
    if props.encryption_key is not None and props.encryption.value != "KMS":
        raise ValueError("ContainerRegistry: encryption_key needs encryption=KMS")
    frequency = props.enhanced_scan_frequency
    # Unreachable from config: registry.enhanced_scanning is a Literal that RegistryStack maps
    # onto these values (_SCAN_FREQUENCY).
    if frequency is not None and frequency not in _SCAN_FREQUENCIES:
        raise ValueError(
            f"ContainerRegistry: enhanced_scan_frequency must be one of "
            f"{', '.join(_SCAN_FREQUENCIES)}, got {frequency}"
        )
