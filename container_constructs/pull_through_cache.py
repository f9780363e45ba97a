"""A pull-through cache for a public upstream registry (part of `registry.ContainerRegistry`): the
ECR rule, a repository creation template for what it caches, and the cached repositories created
up front.

Why create the cached repositories up front (for the images a platform knows it will pull): they
are then CloudFormation's (encrypted with the registry's key, scanned, immutable, with a
lifecycle, retained or deleted with the stack like the registry's own), and a first pull needs
no ecr:CreateRepository: "This permission is required if the repository storing the cached
images doesn't already exist", and ECR caches into a repository created "manually prior to the
first image pull" (Amazon ECR user guide, "IAM permissions required to sync an upstream registry
with an Amazon ECR private registry" and the pull-through cache considerations, read
2026-12-04). The creation template gives any other image pulled through the prefix the same
settings (those repositories are ECR's, not the stack's: a stack deletion leaves them).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from aws_cdk import Acknowledgment, ArnFormat, RemovalPolicy, Stack, Validations
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from container_constructs import defaults

# What an execution role needs beyond pulling to make ECR fetch an image it has not cached yet
# into an existing cached repository (the user guide page above).
IMPORT_UPSTREAM_IMAGE = "ecr:BatchImportUpstreamImage"


@dataclass(frozen=True, kw_only=True)
class PullThroughCacheRule:
    """A pull-through cache rule for an upstream registry that needs no credentials.

    Attributes:
        repository_prefix: ECR prefix the cached repositories live under (2-30 characters).
            Required.
        upstream_registry_url: e.g. `public.ecr.aws`, `registry.k8s.io`, `quay.io`. Required.
        cached_repositories: upstream repository paths (e.g. `nginx/nginx-unprivileged`) whose
            cached repositories to create now, as `<prefix>/<path>`. Default: none.
        max_image_count: the cached repositories and the template keep the newest N images
            (images pulled by digest are untagged, so no untagged-age rule). Default: 100.
    """

    repository_prefix: str
    upstream_registry_url: str
    cached_repositories: Sequence[str] = ()
    max_image_count: int = defaults.MAX_IMAGE_COUNT


class PullThroughCacheResources(NamedTuple):
    """What `add_pull_through_cache` created.

    Attributes:
        rule: the pull-through cache rule.
        creation_template: the repository creation template of the prefix.
        creation_role: the role ECR creates KMS-encrypted repositories with (None with AES256).
        repositories: the cached repositories by upstream path.
    """

    rule: ecr.CfnPullThroughCacheRule
    creation_template: ecr.CfnRepositoryCreationTemplate
    creation_role: iam.Role | None
    repositories: dict[str, ecr.Repository]


def add_pull_through_cache(
    scope: Construct,
    *,
    rule: PullThroughCacheRule,
    encryption: ecr.RepositoryEncryption,
    encryption_key: kms.IKey | None,
    removal_policy: RemovalPolicy,
) -> PullThroughCacheResources:
    """Add to `scope` the rule (construct id `PullThroughCache`), a repository creation template
    (scan on push, immutable tags, keep the newest N images, the registry's encryption) and the
    cached repositories of `rule.cached_repositories`, with `removal_policy` like the registry's
    own (DESTROY also empties them on delete)."""
    prefix = rule.repository_prefix
    cache_rule = ecr.CfnPullThroughCacheRule(
        scope,
        "PullThroughCache",
        ecr_repository_prefix=prefix,
        upstream_registry_url=rule.upstream_registry_url,
    )
    role = None if encryption_key is None else _creation_role(scope, prefix, encryption_key)
    template = ecr.CfnRepositoryCreationTemplate(
        scope,
        "PullThroughCacheTemplate",
        prefix=prefix,
        applied_for=["PULL_THROUGH_CACHE"],
        description=f"Cached images of {rule.upstream_registry_url}",
        image_tag_mutability="IMMUTABLE",
        encryption_configuration=ecr.CfnRepositoryCreationTemplate.EncryptionConfigurationProperty(
            encryption_type=encryption.value,
            kms_key=None if encryption_key is None else encryption_key.key_arn,
        ),
        lifecycle_policy=json.dumps(_keep_newest(rule.max_image_count)),
        custom_role_arn=None if role is None else role.role_arn,
    )
    repositories = {
        path: ecr.Repository(
            scope,
            "PullThroughCache" + path.replace("/", "--"),  # "/" separates construct paths
            repository_name=f"{prefix}/{path}",
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            image_scan_on_push=True,
            encryption=encryption,
            encryption_key=encryption_key,
            removal_policy=removal_policy,
            empty_on_delete=removal_policy == RemovalPolicy.DESTROY or None,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    rule_priority=1,
                    description=f"Keep only the newest {rule.max_image_count} images",
                    tag_status=ecr.TagStatus.ANY,
                    max_image_count=rule.max_image_count,
                )
            ],
        )
        for path in rule.cached_repositories
    }
    return PullThroughCacheResources(cache_rule, template, role, repositories)


def _creation_role(scope: Construct, prefix: str, key: kms.IKey) -> iam.Role:
    """The role ECR assumes to create a KMS-encrypted repository from the template ("If you
    intend to use KMS keys, resource tags, or a combination of both in one or more templates"
    a custom role is needed; its policy: ecr:CreateRepository, ecr:ReplicateImage,
    ecr:TagResource and kms:CreateGrant, kms:RetireGrant, kms:DescribeKey; Amazon ECR user
    guide, "Create a custom policy for repository creation templates", read 2026-12-04),
    scoped here to the prefix's repositories and the registry's key."""
    role = iam.Role(
        scope,
        "PullThroughCacheCreationRole",
        assumed_by=iam.ServicePrincipal("ecr.amazonaws.com"),
        description=f"ECR creates the cached repositories under {prefix}/ with it",
    )
    stack = Stack.of(scope)
    repositories = stack.format_arn(
        service="ecr",
        resource="repository",
        resource_name=f"{prefix}/*",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"],
            resources=[repositories],
        )
    )
    key.grant(role, "kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey")
    Validations.of(role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{_nag_label(stack.resolve(repositories))}]",
            reason="ECR creates a cached repository for each image pulled through the prefix "
            "that is not cached yet, so the names under the prefix are not known in advance",
        )
    )
    return role


def grant_pull_through(repository: ecr.IRepository, grantee: iam.IGrantable) -> None:
    """Let `grantee` (an ECS task execution role) pull from a cached repository and make ECR
    fetch an image it has not cached yet (pull, and ecr:BatchImportUpstreamImage on it)."""
    repository.grant_pull(grantee)
    repository.grant(grantee, IMPORT_UPSTREAM_IMAGE)
    acknowledge_login_token(grantee)


def _keep_newest(count: int) -> dict[str, object]:
    """An ECR lifecycle policy keeping the newest `count` images of any tag status."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Keep only the newest {count} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": count,
                },
                "action": {"type": "expire"},
            }
        ]
    }


def _nag_label(resolved: object) -> str:
    """A resolved ARN as cdk-nag prints it in a finding: Fn::Join parts, pseudo parameters as
    <AWS::...>."""
    if isinstance(resolved, str):
        return resolved
    assert isinstance(resolved, dict), resolved
    assert "Fn::Join" in resolved, resolved
    parts = []
    for part in resolved["Fn::Join"][1]:
        parts.append(f"<{part['Ref']}>" if isinstance(part, dict) else str(part))
    return "".join(parts)


# The grantees acknowledged already (each acknowledgement is three jsii calls).
_LOGIN_TOKEN_ACKNOWLEDGED: weakref.WeakSet[iam.IGrantable] = weakref.WeakSet()


def acknowledge_login_token(grantee: iam.IGrantable) -> None:
    """aws-cdk-lib's ECR grants add `ecr:GetAuthorizationToken` on `*` to the grantee's policy;
    acknowledge cdk-nag's IAM5 for it on the grantee (a role holds that policy as its default
    policy; the only statement with `*`)."""
    if grantee in _LOGIN_TOKEN_ACKNOWLEDGED:  # a role granted several repositories
        return
    principal = grantee.grant_principal
    if isinstance(principal, Construct):
        _LOGIN_TOKEN_ACKNOWLEDGED.add(grantee)
        Validations.of(principal).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason=(
                    "ecr:GetAuthorizationToken, added by aws-cdk-lib's ECR grants, has no "
                    "resource-level permissions, so IAM requires Resource '*'; every image "
                    "action is scoped to the granted repository ARNs"
                ),
            )
        )
