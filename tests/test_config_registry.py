"""The `registry` config section: defaults, per-environment values, and every bad input failing
with one message that names the environment, the dotted field and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from platform_config import ENVIRONMENTS, ConfigError, load_config
from platform_config.image import split_image_uri
from platform_config.registry import (
    LifecycleConfig,
    PullThroughCacheConfig,
    RegistryConfig,
    RepositoryConfig,
)
from tests.helpers.apps import RECORD


def _error(overrides: dict[str, Any], environment: str = "sandbox") -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(environment, overrides=overrides)
    message = str(caught.value)
    assert message.startswith(f"Invalid configuration for environment '{environment}':\n")
    return message


def _repositories(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"registry": {"repositories": list(entries)}}


def test_defaults_are_secure_and_cost_nothing_extra() -> None:
    """One immutable, scanned repository; AES256; no scanning or replication rule (one per
    account and region); a pull-through cache of ECR Public (free: ECR storage only); a CI role."""
    registry = RegistryConfig()
    assert registry.repository_names == ["sample-app"]
    repository = registry.repositories[0]
    assert repository.tag_immutability
    assert repository.scan_on_push
    assert repository.lifecycle == LifecycleConfig(
        untagged_image_expiry_days=14, max_image_count=100
    )
    assert not registry.kms_encryption
    assert registry.enhanced_scanning == "off"
    assert registry.replication_regions == []
    assert registry.cross_account_pull_accounts == []
    assert registry.pull_through_cache == PullThroughCacheConfig(upstream="ecr-public")
    assert not registry.legacy_exports
    assert registry.ci_publisher.enabled
    assert registry.ci_publisher.trusted_role_arns == []


def test_sandbox_uses_aes256_and_production_a_kms_key() -> None:
    assert not load_config("sandbox").registry.kms_encryption
    assert load_config("production").registry.kms_encryption


def test_sandbox_keeps_fewer_images_than_production() -> None:
    sandbox = load_config("sandbox").registry.repositories[0].lifecycle
    production = load_config("production").registry.repositories[0].lifecycle
    assert sandbox.max_image_count < production.max_image_count
    assert sandbox.untagged_image_expiry_days < production.untagged_image_expiry_days


@pytest.mark.parametrize("name", ["ab", "team/web-app", "a.b_c-d/e1", "x" * 256, "0x"])
def test_valid_repository_names(name: str) -> None:
    assert RepositoryConfig(name=name).name == name


def test_overrides_replace_the_repository_list() -> None:
    config = load_config("sandbox", overrides=_repositories({"name": "api"}, {"name": "team/web"}))
    assert config.registry.repository_names == ["api", "team/web"]


NAME_RULES = "allowed: lowercase letters and digits, components joined by single '.', '_' or '-'"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            _repositories({"name": "Sample-App"}),
            "registry.repositories.0.name: 'Sample-App' is not an ECR repository name; "
            + NAME_RULES,
        ),
        (
            _repositories({"name": "a"}),
            "registry.repositories.0.name: 'a' must be 2 to 256 characters long, got 1",
        ),
        (
            _repositories({"name": "x" * 257}),
            "registry.repositories.0.name: '" + "x" * 257 + "' must be 2 to 256 characters long",
        ),
        (_repositories({"name": "web--app"}), "'web--app' is not an ECR repository name"),
        (_repositories({"name": "-web"}), "'-web' is not an ECR repository name"),
        (_repositories({"name": "web/"}), "'web/' is not an ECR repository name"),
        (_repositories({"name": "web app"}), "'web app' is not an ECR repository name"),
        (
            _repositories({"name": "api"}, {"name": "web"}, {"name": "api"}),
            "registry.repositories: duplicate repository names: api",
        ),
        (
            _repositories({"name": "web-app"}, {"name": "web_app"}),
            "registry.repositories: 'web-app' and 'web_app' differ only in separators",
        ),
        (
            _repositories(),
            "registry.repositories: 0 items is not allowed; allowed: at least 1 item",
        ),
        (
            _repositories({"name": "api", "lifecycle": {"max_image_count": 0}}),
            "registry.repositories.0.lifecycle.max_image_count: 0 is not allowed; "
            "allowed: 1 or more",
        ),
        (
            _repositories({"name": "api", "lifecycle": {"untagged_image_expiry_days": -3}}),
            "registry.repositories.0.lifecycle.untagged_image_expiry_days: -3 is not allowed; "
            "allowed: 1 or more",
        ),
        (
            _repositories({"name": "api", "scan": True}),
            "registry.repositories.0.scan: unknown field; did you mean 'scan_on_push'?; allowed: "
            "lifecycle, name, physical_name, "
            "scan_on_push, tag_immutability",
        ),
        (
            {"registry": {"cross_account_pull_accounts": ["123456789012", "1234"]}},
            "registry.cross_account_pull_accounts: '1234': not a 12-digit AWS account id; "
            "allowed: 12 digits",
        ),
        (
            {"registry": {"cross_account_pull_accounts": ["123456789012", "123456789012"]}},
            "registry.cross_account_pull_accounts: duplicate account ids: 123456789012",
        ),
        (
            {"registry": {"replication_regions": ["us-east-1"]}},
            "registry.replication_regions: us-east-1 is the stack's own region; "
            "allowed: other regions only",
        ),
        (
            {"registry": {"replication_regions": ["eu-west"]}},
            "registry.replication_regions: 'eu-west': not an AWS region name; allowed: a region "
            "name such as eu-west-1",
        ),
        (
            {"registry": {"replication_regions": ["eu-west-1", "eu-west-1"]}},
            "registry.replication_regions: duplicate regions: eu-west-1",
        ),
        (
            {"registry": {"enhanced_scanning": "always"}},
            "registry.enhanced_scanning: 'always' is not allowed; allowed: 'off', 'scan-on-push', "
            "'continuous'",
        ),
        (
            {"registry": {"pull_through_cache": {"upstream": "docker-hub"}}},
            "registry.pull_through_cache.upstream: 'docker-hub' is not allowed; allowed: "
            "'ecr-public', 'k8s', 'quay'",
        ),
        (
            {"registry": {"pull_through_cache": {"repository_prefix": "Public"}}},
            "registry.pull_through_cache.repository_prefix: 'Public' is not a pull-through cache "
            "prefix; allowed: 2-30 characters of lowercase letters",
        ),
        (
            {"registry": {"ci_publisher": {"trusted_role_arns": ["arn:aws:iam::1:user/x"]}}},
            "registry.ci_publisher.trusted_role_arns: 'arn:aws:iam::1:user/x': not an IAM role "
            "ARN; allowed: arn:PARTITION:iam::ACCOUNT:role/NAME",
        ),
        (
            {"registry": {"kms_encryption": "yes"}},
            "registry.kms_encryption: input should be a valid boolean, got str 'yes'",
        ),
    ],
)
def test_bad_registry_input_names_the_field(overrides: dict[str, Any], message: str) -> None:
    assert message in _error(overrides)


def test_replication_to_the_production_region_is_refused_too() -> None:
    message = _error({"registry": {"replication_regions": ["us-east-1"]}}, "production")
    assert "registry.replication_regions: us-east-1 is the stack's own region" in message


def test_replication_to_another_region_is_accepted() -> None:
    config = load_config("sandbox", overrides={"registry": {"replication_regions": ["eu-west-1"]}})
    assert config.registry.replication_regions == ["eu-west-1"]


def test_mutable_tags_are_refused() -> None:
    """The security rules require immutable tags, so the config refuses the opt-out."""
    with pytest.raises(ConfigError) as error:
        load_config(
            "sandbox",
            overrides={"registry": {"repositories": [{"name": "a1", "tag_immutability": False}]}},
        )
    assert "registry.repositories[0].tag_immutability: false is not allowed" in str(error.value)


def test_scan_on_push_off_needs_enhanced_scanning() -> None:
    with pytest.raises(ConfigError) as error:
        load_config(
            "sandbox",
            overrides={"registry": {"repositories": [{"name": "a1", "scan_on_push": False}]}},
        )
    assert "registry.repositories[0].scan_on_push: false needs registry.enhanced_scanning" in str(
        error.value
    )
    config = load_config(
        "sandbox",
        overrides={
            "registry": {
                "enhanced_scanning": "continuous",
                "repositories": [{"name": "a1", "scan_on_push": False}],
            }
        },
    )
    assert not config.registry.repositories[0].scan_on_push


# --- ECR names: unique per account and region, so they carry the environment ------------------

CACHED = "cp-sandbox/ecr-public/x"
FIFTY_ONE = [{"name": f"r{i}"} for i in range(51)]


def test_ecr_names_carry_the_environment_and_production_keeps_its_own() -> None:
    """Two environments in one account no longer both create `sample-app`; production's live
    repository keeps its name (a new one would replace it: a new, empty repository)."""
    sandbox = load_config("sandbox").registry
    production = load_config("production").registry
    assert sandbox.physical_names("sandbox") == {"sample-app": "cp-sandbox/sample-app"}
    assert production.physical_names("production") == {"sample-app": "sample-app"}
    assert sandbox.cache_prefix("sandbox") == "cp-sandbox/ecr-public"
    assert production.cache_prefix("production") == "cp-production/kms/ecr-public"
    staging = load_config("sandbox", overrides={"registry": {"kms_encryption": True}}).registry
    assert staging.physical_names("staging") == {"sample-app": "cp-staging/kms/sample-app"}


def test_kms_on_gives_every_default_name_a_new_one() -> None:
    """EncryptionConfiguration is create-only: KMS on replaces each repository and cached
    repository, and under a new name the new one is created beside the old one (no clash)."""
    off = load_config("sandbox").registry
    on = load_config("sandbox", overrides={"registry": {"kms_encryption": True}}).registry
    before, after = off.physical_names("sandbox"), on.physical_names("sandbox")
    assert before.keys() == after.keys()
    assert not set(before.values()) & set(after.values())
    assert off.cache_prefix("sandbox") != on.cache_prefix("sandbox")


@pytest.mark.parametrize(
    ("overrides", "environment", "message"),
    [
        (
            {"registry": {"repositories": [{"name": "kms/web"}]}},
            "sandbox",
            "registry.repositories: [0].name: 'kms/web' starts with 'kms', which the registry's "
            "namespace keeps",
        ),
        (
            {"registry": {"repositories": [{"name": "ecr-public/nginx"}]}},
            "sandbox",
            "starts with 'ecr-public'",
        ),
        (
            {"registry": {"repositories": [{"name": "web", "physical_name": "Web"}]}},
            "sandbox",
            "registry.repositories.0.physical_name: 'Web' is not an ECR repository name",
        ),
        (
            {
                "registry": {
                    "repositories": [
                        {"name": "web", "physical_name": "shared"},
                        {"name": "api", "physical_name": "shared"},
                    ]
                }
            },
            "sandbox",
            "registry.repositories[1].physical_name: 'api' and 'web' would both be ECR "
            "repository 'shared'",
        ),
        (
            {
                "registry": {
                    "repositories": [{"name": "web", "physical_name": "cp-sandbox/ecr-public/x"}]
                }
            },
            "sandbox",
            "registry.repositories: 'cp-sandbox/ecr-public/x' is under the pull-through cache's "
            "prefix 'cp-sandbox/ecr-public'",
        ),
        (
            {"registry": {"kms_encryption": True}},
            "a-very-long-environment",
            "registry.pull_through_cache.repository_prefix: the default "
            "'cp-a-very-long-environment/kms/ecr-public' is 41 characters, more than ECR's 30",
        ),
        (
            {
                "registry": {
                    "repositories": [{"name": f"r{i}"} for i in range(51)],
                    "legacy_exports": True,
                }
            },
            "sandbox",
            "registry: repositories: 51 repositories need 204 stack outputs (4 each with "
            "legacy_exports); allowed: at most 50",
        ),
    ],
)
def test_bad_ecr_names_name_the_field(
    overrides: dict[str, Any], environment: str, message: str
) -> None:
    environments = {environment: ENVIRONMENTS["sandbox"]}
    with pytest.raises(ConfigError) as caught:
        load_config(environment, overrides=overrides, environments=environments)
    assert message in str(caught.value)


def test_a_long_environment_name_can_set_its_cache_prefix() -> None:
    config = load_config(
        "a-very-long-environment",
        overrides={"registry": {"pull_through_cache": {"repository_prefix": "long-env/public"}}},
        environments={"a-very-long-environment": ENVIRONMENTS["sandbox"]},
    )
    assert config.registry.cache_prefix(config.name) == "long-env/public"


# --- Images through the pull-through cache: pinned by digest -----------------------------------

DIGEST = "sha256:" + "ab" * 32


def _web(image: dict[str, Any]) -> dict[str, Any]:
    """A web service `web` running `image` (the sandbox has no service without the record)."""
    return {"image": image, "route": {"priority": 1, "paths": ["/*"]}}


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (
            {"uri": "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine"},
            "ecs.fargate.services.web.image.digest: required: "
            "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine is pulled through the "
            "registry's pull-through cache of public.ecr.aws",
        ),
        (
            {"uri": "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine@" + DIGEST},
            "carries a digest; allowed: the reference without it, the digest in image.digest",
        ),
        ({"uri": "public.ecr.aws/x/y:1", "digest": "sha256:abc"}, "is not an image digest"),
        ({"repository": "sample-app", "tag": "v1", "digest": DIGEST}, "'digest' goes with 'uri'"),
    ],
)
def test_images_through_the_cache_are_pinned(image: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides={"ecs": {"fargate": {"services": {"web": _web(image)}}}})
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("image", "cache"),
    [
        ({"uri": "ghcr.io/example/app:1.0.0"}, {"upstream": "ecr-public"}),
        ({"uri": "public.ecr.aws/x/y:1"}, None),
        ({"uri": "quay.io/x/y:1", "digest": DIGEST}, {"upstream": "quay"}),
    ],
    ids=["other-registry", "no-cache", "quay-cache"],
)
def test_images_elsewhere_need_no_digest(image: dict[str, Any], cache: Any) -> None:
    overrides = {
        "registry": {"pull_through_cache": cache},
        "ecs": {"fargate": {"services": {"web": _web(image)}}},
    }
    config = load_config("sandbox", overrides=overrides)
    assert config.ecs.fargate.services["web"].image.uri == image["uri"]


def test_cached_paths_are_the_ecs_images_on_the_upstream_and_the_init_image() -> None:
    assert load_config("sandbox", config_dir=RECORD).cached_image_paths() == [
        "docker/library/busybox",
        "nginx/nginx-unprivileged",
    ]
    assert (
        load_config(
            "sandbox", overrides={"registry": {"pull_through_cache": None}}, config_dir=RECORD
        ).cached_image_paths()
        == []
    )


def _with_sidecar(image: dict[str, Any]) -> dict[str, Any]:
    web = _web({"uri": "ghcr.io/example/app:1.0.0"})
    return {
        "ecs": {
            "fargate": {
                "services": {"web": {**web, "sidecars": [{"name": "agent", "image": image}]}}
            }
        }
    }


def test_a_sidecar_image_through_the_cache_is_pinned_and_cached() -> None:
    """Sidecars' images are the services' images too: on the cache's upstream they need their
    digest (the field names the sidecar), and the registry creates their cached repositories."""
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=_with_sidecar({"uri": "public.ecr.aws/team/agent:2"}))
    assert "ecs.fargate.services.web.sidecars[0].image.digest: required" in str(caught.value)
    config = load_config(
        "sandbox", overrides=_with_sidecar({"uri": "public.ecr.aws/team/agent:2", "digest": DIGEST})
    )
    assert "team/agent" in config.cached_image_paths()


@pytest.mark.parametrize(
    ("uri", "registry", "path", "tag"),
    [
        ("public.ecr.aws/team/agent:2", "public.ecr.aws", "team/agent", "2"),
        ("busybox:137", "docker.io", "library/busybox", "137"),
        ("busybox:1.37", "docker.io", "library/busybox", "1.37"),
        ("localhost:5000/x:1", "localhost:5000", "x", "1"),
        ("ghcr.io/a/b", "ghcr.io", "a/b", None),
    ],
)
def test_image_references_split_as_registries_read_them(
    uri: str, registry: str, path: str, tag: str | None
) -> None:
    """A numeric tag is a tag, a port only a colon in the registry component (before a '/')."""
    assert split_image_uri(uri) == (registry, path, tag)
