"""The optional `ecs.managed_instances` cluster kind: its config errors name the field and what is
allowed; enabled with a web service, the whole sandbox synthesizes with every gate (integration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platform_config import ConfigError, load_config
from platform_config.environments import SAMPLE_IMAGE
from stacks import names
from tests.helpers.apps import RECORD, synth_environment, validation_violations
from tests.helpers.assembly import Assembly

WEB = {
    "image": dict(SAMPLE_IMAGE),
    "user": "101",
    "writable_paths": ["/tmp", "/var/cache/nginx"],
    "route": {"priority": 1, "paths": ["/*"]},
}


def _cluster(**section: Any) -> dict[str, Any]:
    return {"ecs": {"managed_instances": {"enabled": True, **section}}}


def test_off_in_the_shipped_environments() -> None:
    for environment in ("sandbox", "production"):
        config = load_config(environment, config_dir=RECORD)
        assert not config.ecs.managed_instances.enabled
        assert "managed_instances" not in config.ecs.enabled_clusters


@pytest.mark.parametrize(
    ("section", "field", "allowed"),
    [
        (
            {"min_vcpus": 4, "max_vcpus": 2},
            "ecs.managed_instances",
            "min_vcpus (4) must not exceed max_vcpus (2); allowed: min_vcpus up to 2",
        ),
        ({"max_vcpus": 0}, "ecs.managed_instances.max_vcpus", "0 is not allowed; allowed: 1 to"),
        (
            {"max_vcpus": 2, "services": {"web": {**WEB, "cpu": 4096, "memory_mib": 1024}}},
            "ecs.managed_instances",
            "allowed: up to 2048",
        ),
        (
            {"min_memory_gib": 2, "services": {"web": {**WEB, "memory_mib": 2048}}},
            "ecs.managed_instances",
            "allowed: up to 1536, or raise min_memory_gib",
        ),
        (
            {"services": {"web": {**WEB, "writable_paths": ["/var/log/amazon/ssm"]}}},
            "ecs.managed_instances",
            "allowed: other paths, or enable_execute_command false",
        ),
        ({"cpu_architecture": "riscv"}, "ecs.managed_instances.cpu_architecture", "'x86_64'"),
        (
            {"enabled": False, "services": {"web": WEB}},
            "ecs.managed_instances",
            "allowed: take them out of the environment",
        ),
    ],
)
def test_bad_managed_instances_settings_name_field_and_allowed(
    section: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=_cluster(**section))
    message = str(caught.value)
    assert "environment 'sandbox'" in message
    assert field in message
    assert allowed in message


@pytest.fixture(scope="module")
def managed(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    outdir = tmp_path_factory.mktemp("managed-instances") / "cdk.out"
    overrides = _cluster(cpu_architecture="arm64", services={"web": WEB})
    synth_environment("sandbox", Path(outdir), overrides=overrides)
    return Assembly("sandbox", Path(outdir))


@pytest.mark.integration
def test_a_web_service_on_managed_instances_synthesizes_with_every_gate(
    managed: Assembly,
) -> None:
    assert validation_violations(managed.outdir) == []
    cluster = managed.template(names.ecs_cluster_unit("managed_instances"))
    cluster.resource_count_is("AWS::ECS::CapacityProvider", 1)
    cluster.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    services = managed.template(names.ecs_services_unit("managed_instances", 1))
    services.has_resource_properties(
        "AWS::ECS::TaskDefinition", {"RequiresCompatibilities": ["MANAGED_INSTANCES"]}
    )
    services.resource_count_is("AWS::CloudWatch::Alarm", 6)
