"""The registry stack: the platform's ECR repositories, the pull-through cache, the CI publisher
role and registry rules.

Other stacks reach the repositories by name, never through a cross-stack reference:
`.repositories` and `.image_sources` are handles built from each repository's ECR name (which
config fixes: stacks/names.py), so renaming or replacing a repository (a new name with KMS on)
changes no export another stack imports. A stack that uses them must deploy after this one
(`add_stack_dependency`; stacks/platform.py does it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Aws, CfnOutput, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_constructs.registry import (
    ContainerRegistry,
    ContainerRegistryProps,
    PullThroughCacheRule,
    RepositorySpec,
)
from platform_config.registry import RegistryConfig
from stacks import names
from stacks.common import StackSettings
from stacks.images import ImageSources

_SCAN_FREQUENCY = {"off": None, "scan-on-push": "SCAN_ON_PUSH", "continuous": "CONTINUOUS_SCAN"}


class RegistryStack(Stack):
    """ECR repositories from the `registry` config section, the pull-through cache with the
    cached repositories of `cached_image_paths`, a CI publisher role with push/pull on all
    repositories, and one output pair (URI, push commands) per repository.

    Attributes:
        registry: the `ContainerRegistry` construct.
        repositories: handles of the repositories by config name, for other stacks (by ECR name).
        image_sources: what ECS services' images resolve against (stacks/images.py).
        ci_publisher_role: the role CI assumes to push images (None when disabled).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        section: RegistryConfig,
        cached_image_paths: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        environment = settings.environment
        self.registry = ContainerRegistry(
            self,
            names.REGISTRY_CONSTRUCT,
            props=_registry_props(section, settings, cached_image_paths),
        )
        handles = Construct(self, "Handles")  # imports by name: no resources
        self.repositories: Mapping[str, ecr.IRepository] = {
            name: _by_name(handles, f"Repository{names.repository_output_id(name)}", ecr_name)
            for name, ecr_name in section.physical_names(environment).items()
        }
        prefix = section.cache_prefix(environment)
        cache = section.pull_through_cache
        self.image_sources = ImageSources(
            repositories=self.repositories,
            cache_upstream=None if cache is None else cache.upstream_url,
            cached={
                path: _by_name(
                    handles,
                    f"Cached{names.repository_output_id(path)}",
                    names.cached_repository_name(prefix, path),
                )
                for path in cached_image_paths
                if prefix is not None
            },
        )
        self.ci_publisher_role = self._ci_publisher_role(section)
        self._outputs()
        if section.legacy_exports:
            self._legacy_exports()

    def _ci_publisher_role(self, section: RegistryConfig) -> iam.Role | None:
        settings = section.ci_publisher
        if not settings.enabled:
            return None
        trusted: list[iam.IPrincipal] = [
            iam.ArnPrincipal(arn) for arn in settings.trusted_role_arns
        ]
        role = iam.Role(
            self,
            names.CI_PUBLISHER_ROLE_CONSTRUCT,
            description="Assumed by CI to push images to and pull from the platform's repositories",
            assumed_by=iam.CompositePrincipal(*trusted) if trusted else iam.AccountRootPrincipal(),
        )
        self.registry.grant_push_pull(role)  # also acknowledges the login token's Resource '*'
        return role

    def _outputs(self) -> None:
        output_ids: dict[str, str] = {}
        registry_host = f"{self.account}.dkr.ecr.{self.region}.{self.url_suffix}"
        for name, repository in self.registry.repositories.items():
            output_id = names.repository_output_id(name)
            # RegistryConfig._unique_repository_names rejects names differing only in
            # separators first (a superset of the names that share a PascalCase id).
            if output_id in output_ids:
                raise ValueError(
                    f"RegistryStack: repositories {output_ids[output_id]} and {name} would share "
                    f"the output id {output_id}; rename one"
                )
            output_ids[output_id] = name
            CfnOutput(
                self,
                names.repository_uri_output(name),
                description=f"URI of the ECR repository {name}",
                value=repository.repository_uri,
            )
            CfnOutput(
                self,
                names.repository_push_commands_output(name),
                description=f"Log in to ECR, tag a local IMAGE and push it to {name} as TAG",
                value=push_commands(registry_host, repository.repository_name, self.region),
            )

    def _legacy_exports(self) -> None:
        """The exports CDK made when other stacks referenced the repositories directly (before
        repository names carried the environment), under the same names, with the values they
        had: the ARN and name of the repository under its config name, its ECR name then. A
        stack deployed before still imports them; its next deploy drops the import (CDK deploys
        this stack first, and an export in use may not change or go:
        docs/design.md, D2 and D21). Once no stack imports them, `legacy_exports`
        false removes them."""
        for name, repository in self.registry.repositories.items():
            legacy_arn = f"arn:{Aws.PARTITION}:ecr:{Aws.REGION}:{Aws.ACCOUNT_ID}:repository/{name}"
            for attribute, legacy in (
                (repository.repository_arn, legacy_arn),
                (repository.repository_name, name),
            ):
                export = self.resolve(self.export_value(attribute))["Fn::ImportValue"]
                (output,) = [
                    child
                    for child in self.node.find_all()
                    if isinstance(child, CfnOutput) and child.export_name == export
                ]
                output.value = legacy


def _by_name(scope: Construct, construct_id: str, ecr_name: str) -> ecr.IRepository:
    """A repository handle built from its ECR name with pseudo parameters that resolve in the
    stack using it: no export, no import."""
    arn = f"arn:{Aws.PARTITION}:ecr:{Aws.REGION}:{Aws.ACCOUNT_ID}:repository/{ecr_name}"
    return ecr.Repository.from_repository_attributes(
        scope, construct_id, repository_arn=arn, repository_name=ecr_name
    )


def _registry_props(
    section: RegistryConfig, settings: StackSettings, cached_image_paths: Sequence[str]
) -> ContainerRegistryProps:
    cache = section.pull_through_cache
    prefix = section.cache_prefix(settings.environment)
    ecr_names = section.physical_names(settings.environment)
    return ContainerRegistryProps(
        repositories=[
            RepositorySpec(
                name=repository.name,
                repository_name=ecr_names[repository.name],
                tag_immutability=repository.tag_immutability,
                scan_on_push=repository.scan_on_push,
                untagged_image_expiry_days=repository.lifecycle.untagged_image_expiry_days,
                max_image_count=repository.lifecycle.max_image_count,
            )
            for repository in section.repositories
        ],
        encryption=(
            ecr.RepositoryEncryption.KMS
            if section.kms_encryption
            else ecr.RepositoryEncryption.AES_256
        ),
        removal_policy=settings.removal_policy,
        cross_account_pull_accounts=section.cross_account_pull_accounts,
        enhanced_scan_frequency=_SCAN_FREQUENCY[section.enhanced_scanning],
        replication_regions=section.replication_regions,
        pull_through_cache=(
            None
            if cache is None or prefix is None
            else PullThroughCacheRule(
                repository_prefix=prefix,
                upstream_registry_url=cache.upstream_url,
                cached_repositories=tuple(cached_image_paths),
            )
        ),
    )


def push_commands(registry_host: str, repository_name: str, region: str) -> str:
    """The shell commands that log Docker in to the registry and push IMAGE as TAG."""
    uri = f"{registry_host}/{repository_name}"
    return (
        f"aws ecr get-login-password --region {region} | "
        f"docker login --username AWS --password-stdin {registry_host} && "
        f"docker tag IMAGE {uri}:TAG && docker push {uri}:TAG"
    )
