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
            "network.availability_zones: 1 item is not allowed; allowed: 2 to 6 items",
        ),
        (
            {"network": {"nat_gateways": -1}},
            "network.nat_gateways: must be 1 to the number of availability zones (2), got -1 (",
        ),
        (
            {"network": {"nat_gateways": 3}},
            "network.nat_gateways: must be 1 to the number of availability zones (2), got 3; "
            "allowed: 1 for a sandbox, 2 (one per AZ) for production",
        ),
        (
            {"eks": {"control_plane_zones": ["us-east-1a", "us-east-1c"]}},
            "eks.control_plane_zones: ['us-east-1a', 'us-east-1c']; allowed: at least 2 distinct "
            "zones of network.availability_zones (us-east-1a, us-east-1b)",
        ),
        (
            {"eks": {"control_plane_zones": ["us-east-1a"]}},
            "eks.control_plane_zones: ['us-east-1a']; allowed: at least 2 distinct zones",
        ),
        (
            {"eks": {"control_plane_zones": ["us-east-1a", "us-east-1a"]}},
            "eks.control_plane_zones: ['us-east-1a', 'us-east-1a']; allowed: at least 2 distinct",
        ),
        (
            {"network": {"vpc_cidr": "172.17.0.0/16"}},
            "network.vpc_cidr: '172.17.0.0/16' overlaps 172.17.0.0/16 (used by AWS services and "
            "Docker's bridge network); allowed: a private range such as 10.0.0.0/8",
        ),
        (
            {"network": {"vpc_cidr": "169.254.0.0/16"}},
            "network.vpc_cidr: '169.254.0.0/16' overlaps 169.254.0.0/16 (link-local",
        ),
        ({"network": {"vpc_cidr": "224.0.0.0/16"}}, "overlaps 224.0.0.0/3 (multicast"),
        ({"network": {"vpc_cidr": "127.0.0.0/16"}}, "overlaps 127.0.0.0/8 (loopback)"),
        (
            {"network": {"nat_gateway": 1}},
            "network.nat_gateway: unknown field; did you mean 'nat_gateways'?; allowed: "
            "availability_zones, "
            "flow_log_retention_days, nat_gateways, vpc_cidr, vpc_endpoints",
        ),
        (
            {"netwrk": {}},
            "netwrk: unknown field; did you mean 'network'?; allowed: account, ecs, eks, "
            "kms_encrypted_logs",
        ),
        (
            {"ecs": {"fargate": {"services": {"sample": {"environments": {"sandbox": {}}}}}}},
            "ecs.fargate.services.sample.environments: unknown field ('environments' is a service "
            "file's, config/services/<cluster>/<name>.json; an overrides file is for one "
            "environment: give the values directly); allowed: alarms,",
        ),
        (
            {"network": {"nat_gateways": "1"}},
            "network.nat_gateways: input should be a valid integer, got str '1'",
        ),
        (
            {"ecs": {"fargate": {"services_per_stack": "10"}}},
            "ecs.fargate.services_per_stack: input should be a valid integer, got str '10'; "
            "allowed: 1 to 20",
        ),
        (
            {"network": {"vpc_endpoints": "yes"}},
            "network.vpc_endpoints: input should be a valid boolean, got str 'yes'",
        ),
        (
            {"network": {"flow_log_retention_days": 10}},
            "network.flow_log_retention_days: 10 is not a CloudWatch Logs retention; allowed: 1, 3",
        ),
        (
            {"region": "us-east"},
            "region: 'us-east' is not an AWS region name; allowed: a region name such as "
            "eu-west-1, us-gov-west-1 or cn-north-1",
        ),
        (
            {"account": "12345"},
            "account: '12345' is not a 12-digit AWS account id; allowed: 12 digits such as "
            "123456789012",
        ),
        (
            {"tags": {"team": 7}},
            "tags.team: input should be a valid string, got int 7; write it in quotes, as a JSON "
            "string",
        ),
        (
            {"eks": {"kubernetes_version": 1.35}},
            "eks.kubernetes_version: input should be a valid string, got float 1.35; write it in "
            "quotes",
        ),
        (
            {"tags": {"aws:team": "x"}},
            "tags.aws:team: key 'aws:team' starts with 'aws:', which is reserved for AWS; "
            "allowed: keys of 1 to 128 and values of 1 to 256 letters, digits, spaces and "
            "_ . : / = + - @, not starting with 'aws:'",
        ),
        ({"tags": {"AwS:Team": "x"}}, "tags.AwS:Team: key 'AwS:Team' starts with 'aws:'"),
        ({"tags": {"team": "AWS:x"}}, "tags.team: value 'AWS:x' starts with 'aws:'"),
        ({"tags": {"k" * 129: "x"}}, f"tags.{'k' * 129}: key must be 1 to 128 characters, got 129"),
        ({"tags": {"": "x"}}, "tags.: key must be 1 to 128 characters, got 0"),
        ({"tags": {"team": "v" * 257}}, "tags.team: value must be 1 to 256 characters, got 257"),
        ({"tags": {"team": ""}}, "tags.team: value must be 1 to 256 characters, got 0"),
        (
            {"tags": {"cost#center": "x"}},
            "tags.cost#center: key 'cost#center' has characters AWS does not allow in tags: '#'",
        ),
        ({"tags": {"team": "a&b!"}}, "tags.team: value 'a&b!' has characters AWS does not allow"),
        (
            {"tags": {f"key{index}": "x" for index in range(39)}},
            "tags: 41 tags; allowed: at most 40 (AWS allows 50 per resource",
        ),
    ],
)
def test_bad_input_names_environment_field_and_allowed_values(
    overrides: dict[str, Any], message: str
) -> None:
    error = _error("sandbox", overrides)
    assert str(error).startswith("Invalid configuration for environment 'sandbox':\n")
    assert message in str(error)


def test_nat_gateways_zero_is_refused_with_the_reason_and_what_to_set() -> None:
    error = _error("production", {"network": {"nat_gateways": 0}})
    assert error.problems == [
        "network.nat_gateways: must be 1 to the number of availability zones (3), got 0 (the ECS "
        "agent, image pulls from public registries such as public.ecr.aws and EKS node bootstrap "
        "need internet egress, and no interface endpoint set for isolated subnets is shipped); "
        "allowed: 1 for a sandbox, 3 (one per AZ) for production"
    ]


@pytest.mark.parametrize("nat_gateways", [1, 2])
def test_nat_gateways_one_to_the_zone_count_is_accepted(nat_gateways: int) -> None:
    config = load_config("sandbox", overrides={"network": {"nat_gateways": nat_gateways}})
    assert config.network.nat_gateways == nat_gateways


def test_tags_within_the_aws_rules_are_accepted() -> None:
    """Up to 40 tags (the sandbox's own 2 plus 38), Unicode letters, every allowed symbol,
    the longest key and value. (An empty value is refused, with the other bad tags above.)"""
    tags = {f"key{index}": "x" for index in range(35)}
    tags |= {"Kostenstelle ü": "Straße 1 _.:/=+-@", "k" * 128: "v" * 256, "short": "1"}
    config = load_config("sandbox", overrides={"tags": tags})
    assert len(config.tags) == 40


def test_every_problem_is_reported_at_once() -> None:
    error = _error("production", {"network": {"vpc_cidr": "x", "nat_gateways": "3"}})
    assert len(error.problems) == 2
    assert error.environment == "production"


def test_name_cannot_be_overridden() -> None:
    assert "name: is set from the environment key" in str(_error("sandbox", {"name": "x"}))


@pytest.mark.parametrize(
    "overrides",
    [
        {"account": "10000000000\u0660"},  # ARABIC-INDIC DIGIT ZERO: Python's \\d matches it
        {"registry": {"cross_account_pull_accounts": ["\u0661" * 12]}},
        {"eks": {"access": {"cluster_admin_role_arns": ["arn:aws:iam::123456789012:role/\u00e9"]}}},
    ],
)
def test_identifiers_accept_ascii_only(overrides: dict[str, object]) -> None:
    """Found by the config-space property test: a Unicode digit passed the account pattern and
    synth then died inside aws-cdk-lib ("Unable to parse environment specification")."""
    with pytest.raises(ConfigError):
        load_config("sandbox", overrides=overrides)
