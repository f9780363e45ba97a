"""The registry stack: the platform's ECR repositories, the CI publisher role and registry rules.

Compute stacks receive `.repositories` as a keyword argument and call
`repository.grant_pull(role)` for their task execution or node roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_constructs.registry import (
    ContainerRegistry,
    ContainerRegistryProps,
    PullThroughCacheRule,
    RepositorySpec,
)
from platform_config.registry import PULL_THROUGH_UPSTREAMS, RegistryConfig
from stacks import names
from stacks.common import StackSettings

_SCAN_FREQUENCY = {"off": None, "scan-on-push": "SCAN_ON_PUSH", "continuous": "CONTINUOUS_SCAN"}


class RegistryStack(Stack):
    """ECR repositories from the `registry` config section, a CI publisher role with push/pull on
    all of them, and one output pair (URI, push commands) per repository.

    Attributes:
        registry: the `ContainerRegistry` construct.
        repositories: the repositories keyed by their config name.
        ci_publisher_role: the role CI assumes to push images (None when disabled).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        section: RegistryConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.registry = ContainerRegistry(
            self, names.REGISTRY_CONSTRUCT, props=_registry_props(section, settings)
        )
        self.repositories: Mapping[str, ecr.IRepository] = dict(self.registry.repositories)
        self.ci_publisher_role = self._ci_publisher_role(section)
        self._outputs()

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


def _registry_props(section: RegistryConfig, settings: StackSettings) -> ContainerRegistryProps:
    cache = section.pull_through_cache
    return ContainerRegistryProps(
        repositories=[
            RepositorySpec(
                name=repository.name,
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
            if cache is None
            else PullThroughCacheRule(
                repository_prefix=cache.repository_prefix,
                upstream_registry_url=PULL_THROUGH_UPSTREAMS[cache.upstream],
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
