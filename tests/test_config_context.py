"""The context-key check and the config the context selects (platform_config/context.py); app.py's
use of them, exit code and stderr, is tests/test_cli_synth.py."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import ContextProvider as CdkContextProvider
from aws_cdk.cloud_assembly_schema import ContextProvider

from platform_config import DEFAULT_CONFIG_DIR, ConfigError
from platform_config.context import (
    CONTEXT_KEYS,
    CdkContextKeys,
    cdk_json_context_keys,
    cdk_lookup_providers,
    config_from_context,
    unknown_context_keys,
)
from tests.helpers.apps import ROOT, project_context


@functools.cache
def _project_keys() -> CdkContextKeys:
    return CdkContextKeys(cdk_json=cdk_json_context_keys(ROOT / "cdk.json"))


def test_each_unknown_context_key_gets_its_line() -> None:
    keys = CdkContextKeys(cdk_json=frozenset(), lookup_providers=frozenset)
    problems = unknown_context_keys({"env": "x", "stage": "y", "environment": "z"}, keys)
    assert [problem.split(" (")[0] for problem in problems] == [
        "unknown context key 'env'; did you mean 'environment'?",
        "unknown context key 'stage'",
    ]
    assert problems[0].endswith(
        "(this app reads environment, config, config_overrides; the CDK's are cdk.json's feature "
        "flags, "
        "@aws-cdk/*, aws:cdk:*, cdk-*)"
    )


@pytest.mark.parametrize(
    "key",
    [
        "environment",
        "config",
        "config_overrides",
        "@aws-cdk/core:failSynthOnValidationErrors",
        "@aws-cdk/aws-ecs:someFutureFlag",
        "@aws-cdk-containers/ecs-service-extensions:enableDefaultLogDriver",
        "cli-telemetry",
        "aws:cdk:enable-path-metadata",
        "aws:cdk:bundling-stacks",
        "cdk-some-cli-key",
        "acknowledged-issue-numbers",
        "availability-zones:account=123456789012:region=us-east-1",
        "ssm:account=123456789012:parameterName=/x:region=us-east-1",
    ],
)
def test_cdk_and_app_context_keys_are_accepted(key: str) -> None:
    """cdk.json's keys, the CLI's (aws:cdk:*), the CDK's feature flags and cached lookups
    (cdk.context.json) are not unknown."""
    assert unknown_context_keys({key: "x"}, _project_keys()) == []


def test_project_context_has_no_unknown_keys() -> None:
    """What `cdk synth` hands app.py (cdk.json's context and the CLI's keys, recorded from the
    pinned CLI) passes the check, without asking aws-cdk-lib for its lookup providers (about
    0.1 s of every synth)."""

    def not_needed() -> frozenset[str]:
        raise AssertionError("no key of the project's context could be a cached lookup")

    keys = CdkContextKeys(
        cdk_json=cdk_json_context_keys(ROOT / "cdk.json"), lookup_providers=not_needed
    )
    assert unknown_context_keys(project_context(), keys) == []


def test_a_cached_lookup_of_every_provider_is_accepted() -> None:
    """The key aws-cdk-lib itself caches each lookup provider's answer under (what a fork that
    looks something up finds in cdk.context.json) is one of the CDK's; a key that only looks
    like one is not."""
    stack = Stack(App(), "Lookups", env=Environment(account="123456789012", region="eu-west-1"))
    keys = {
        CdkContextProvider.get_key(stack, provider=provider, props={"name": "x"}).key
        for provider in cdk_lookup_providers()
    }
    assert len(keys) == len(ContextProvider) >= 12
    assert unknown_context_keys(dict.fromkeys(keys, "x"), _project_keys()) == []
    assert unknown_context_keys({"regions:account=1": "x"}, _project_keys()) != []
    assert unknown_context_keys({"availability-zones": "x"}, _project_keys()) != []


def test_lookup_providers_come_from_aws_cdk_lib() -> None:
    providers = cdk_lookup_providers()
    assert {"availability-zones", "vpc-provider", "ssm", "hosted-zone", "ami"} <= providers
    assert len(providers) == len(ContextProvider)


def test_cdk_json_keys_are_its_context_keys(tmp_path: Path) -> None:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    assert cdk_json_context_keys(ROOT / "cdk.json") == frozenset(context)
    assert cdk_json_context_keys(tmp_path / "missing.json") == frozenset()
    (tmp_path / "list.json").write_text("[]")
    assert cdk_json_context_keys(tmp_path / "list.json") == frozenset()


def test_config_from_context_selects_and_merges(tmp_path: Path) -> None:
    assert CONTEXT_KEYS == ("environment", "config", "config_overrides")
    record = {"config": str(ROOT / "config")}
    assert config_from_context(record).config.name == "sandbox"
    production = config_from_context({**record, "environment": "production"}).config
    assert production.name == "production"
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text('{"network": {"nat_gateways": 2, "vpc_endpoints": true}}')
    second.write_text('{"network": {"nat_gateways": 1}}')
    config = config_from_context({**record, "config_overrides": f"{first},{second}"}).config
    assert (config.network.nat_gateways, config.network.vpc_endpoints) == (1, True)
    with pytest.raises(ConfigError) as caught:
        config_from_context({"environment": "production", "config_overrides": "missing.json"})
    assert caught.value.problems == [
        "config_overrides: cannot read missing.json: [Errno 2] No such file or directory: "
        "'missing.json'"
    ]
    assert caught.value.environment == "production"


def test_the_config_of_record_is_cdk_jsons_default_relative_to_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A teammate's plain `cdk synth` (no -c config) reads `config/` of the directory the CLI runs
    the app in, the project's: cdk.json says so, and the app falls back to the same name."""
    assert json.loads((ROOT / "cdk.json").read_text())["context"]["config"] == DEFAULT_CONFIG_DIR
    monkeypatch.chdir(ROOT)
    assert list(config_from_context({}).config.ecs.fargate.services) == ["sample"]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        config_from_context({})
    assert caught.value.problems[0].startswith("config: 'config' is not a directory")
