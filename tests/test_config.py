"""Config validation: every bad input fails before any construct is built, with one clear message
naming the environment, the field and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from platform_config import ENVIRONMENTS, ConfigError, deep_merge, load_config


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_builtin_environments_are_valid(name: str) -> None:
    config = load_config(name)
    assert config.name == name


def test_sandbox_is_cheap_and_production_is_highly_available() -> None:
    sandbox, production = load_config("sandbox"), load_config("production")
    assert sandbox.network.nat_gateways == 1
    assert production.network.nat_gateways == len(production.network.availability_zones) == 3
    assert not sandbox.retain_stateful_resources
    assert production.retain_stateful_resources
    assert production.kms_encrypted_logs
    assert production.network.vpc_endpoints


def test_config_is_immutable() -> None:
    config = load_config("sandbox")
    with pytest.raises(ValueError, match="frozen"):
        config.region = "eu-west-1"  # type: ignore[misc]


def test_overrides_merge_deeply() -> None:
    config = load_config("sandbox", overrides={"network": {"nat_gateways": 2}})
    assert config.network.nat_gateways == 2
    assert config.network.vpc_cidr == ENVIRONMENTS["sandbox"]["network"]["vpc_cidr"]


def test_deep_merge_does_not_mutate_its_inputs() -> None:
    base = {"a": {"b": 1}}
    merged = deep_merge(base, {"a": {"c": 2}})
    assert merged == {"a": {"b": 1, "c": 2}}
    assert base == {"a": {"b": 1}}


def _error(name: str, overrides: dict[str, Any] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(name, overrides=overrides)
    return caught.value


def test_unknown_environment() -> None:
    error = _error("staging")
    assert str(error) == (
        "Invalid configuration for environment 'staging':\n"
        "  - environment: unknown environment 'staging'; allowed: production, sandbox"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"network": {"vpc_cidr": "10.0.0/16"}},
            "network.vpc_cidr: '10.0.0/16' is not an IPv4 network in CIDR notation",
        ),
        (
            {"network": {"vpc_cidr": "10.0.0.1/16"}},
            "network.vpc_cidr: '10.0.0.1/16' is not an IPv4 network in CIDR notation",
        ),
        ({"network": {"vpc_cidr": "10.0.0.0/24"}}, "prefix length must be /16 to /20, got /24"),
        (
            {"network": {"availability_zones": ["us-east-1a", "eu-west-1b"]}},
            "network.availability_zones: eu-west-1b not in region us-east-1; allowed: zones named "
            "us-east-1a, us-east-1b, ...",
        ),
        (
            {"network": {"availability_zones": ["us-east-1a", "us-east-1a"]}},
            "network.availability_zones: duplicate availability zones: us-east-1a",
        ),
        (
            {"network": {"availability_zones": ["us-east-1a"]}},
            "network.availability_zones: List should have at least 2 items",
        ),
        (
            {"network": {"nat_gateways": -1}},
            "network.nat_gateways: must be 0 to the number of availability zones (2), got -1",
        ),
        (
            {"network": {"nat_gateways": 3}},
            "network.nat_gateways: must be 0 to the number of availability zones (2), got 3",
        ),
        (
            {"network": {"nat_gateway": 1}},
            "network.nat_gateway: unknown field; allowed: availability_zones, "
            "flow_log_retention_days, nat_gateways, vpc_cidr, vpc_endpoints",
        ),
        ({"netwrk": {}}, "netwrk: unknown field; allowed: account, ecs, eks, kms_encrypted_logs"),
        (
            {"network": {"nat_gateways": "1"}},
            "network.nat_gateways: input should be a valid integer, got str '1'",
        ),
        (
            {"network": {"vpc_endpoints": "yes"}},
            "network.vpc_endpoints: input should be a valid boolean, got str 'yes'",
        ),
        (
            {"network": {"flow_log_retention_days": 10}},
            "network.flow_log_retention_days: 10 is not a CloudWatch Logs retention; allowed: 1, 3",
        ),
        ({"region": "us-east"}, "region: 'us-east' is not an AWS region name such as eu-west-1"),
        ({"account": "12345"}, "account: '12345' is not a 12-digit AWS account id"),
        ({"tags": {"team": 7}}, "tags.team: input should be a valid string, got int 7"),
    ],
)
def test_bad_input_names_environment_field_and_allowed_values(
    overrides: dict[str, Any], message: str
) -> None:
    error = _error("sandbox", overrides)
    assert str(error).startswith("Invalid configuration for environment 'sandbox':\n")
    assert message in str(error)


def test_every_problem_is_reported_at_once() -> None:
    error = _error("production", {"network": {"vpc_cidr": "x", "nat_gateways": "3"}})
    assert len(error.problems) == 2
    assert error.environment == "production"


def test_name_cannot_be_overridden() -> None:
    assert "name: is set from the environment key" in str(_error("sandbox", {"name": "x"}))
