"""The network stack in both environments: subnets, NAT, flow logs, endpoints, default SG."""

from __future__ import annotations

import ipaddress
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Environment, Stack
from aws_cdk.assertions import Match, Template
from hypothesis import given
from hypothesis import strategies as st

from container_constructs.network import (
    MAX_VPC_PREFIX,
    MAX_ZONES,
    MIN_VPC_PREFIX,
    MIN_ZONES,
    Network,
    NetworkProps,
    subnet_layout,
    subnet_masks,
)
from platform_config import ConfigError, load_config
from stacks import names
from tests.helpers.apps import project_app, synth_environment
from tests.helpers.assembly import Assembly

PREFIXES = range(MIN_VPC_PREFIX, MAX_VPC_PREFIX + 1)
ZONE_COUNTS = range(MIN_ZONES, MAX_ZONES + 1)
EVERY_LAYOUT = list(itertools.product(PREFIXES, ZONE_COUNTS))
ZONES = [f"us-east-1{letter}" for letter in "abcdef"]

# The subnets the shipped environments have always had: a changed CIDR replaces a subnet, which
# fails while anything runs in it.
SHIPPED_SUBNETS = {
    "sandbox": {
        "us-east-1a": ("10.10.0.0/24", "10.10.16.0/20"),
        "us-east-1b": ("10.10.1.0/24", "10.10.32.0/20"),
    },
    "production": {
        "us-east-1a": ("10.20.0.0/24", "10.20.16.0/20"),
        "us-east-1b": ("10.20.1.0/24", "10.20.32.0/20"),
        "us-east-1c": ("10.20.2.0/24", "10.20.48.0/20"),
    },
}


@pytest.fixture(scope="module")
def sandbox_network(sandbox: Assembly) -> Template:
    return sandbox.template(names.NETWORK_UNIT)


@pytest.fixture(scope="module")
def production_network(production: Assembly) -> Template:
    return production.template(names.NETWORK_UNIT)


def test_vpc_uses_the_configured_cidr(
    sandbox_network: Template, production_network: Template
) -> None:
    sandbox_network.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.10.0.0/16"})
    production_network.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.20.0.0/16"})


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_public_and_private_subnet_in_every_configured_zone(
    assemblies: dict[str, Assembly], environment: str
) -> None:
    template = assemblies[environment].template(names.NETWORK_UNIT)
    zones = load_config(environment).network.availability_zones
    subnets = template.find_resources("AWS::EC2::Subnet")
    assert len(subnets) == 2 * len(zones)
    for zone in zones:
        in_zone = [s for s in subnets.values() if s["Properties"]["AvailabilityZone"] == zone]
        public = [s for s in in_zone if s["Properties"]["MapPublicIpOnLaunch"]]
        assert len(in_zone) == 2
        assert len(public) == 1


def test_private_subnets_never_assign_public_ips(assembly: Assembly) -> None:
    template = assembly.template(names.NETWORK_UNIT)
    private = template.find_resources(
        "AWS::EC2::Subnet",
        {
            "Properties": {
                "Tags": Match.array_with([{"Key": "aws-cdk:subnet-type", "Value": "Private"}])
            }
        },
    )
    assert private
    assert all(not s["Properties"]["MapPublicIpOnLaunch"] for s in private.values())


def test_nat_gateways_sandbox_one_production_one_per_zone(
    sandbox_network: Template, production_network: Template
) -> None:
    sandbox_network.resource_count_is("AWS::EC2::NatGateway", 1)
    production_network.resource_count_is("AWS::EC2::NatGateway", 3)


def test_flow_logs_capture_all_traffic_to_cloudwatch(assembly: Assembly) -> None:
    assembly.template(names.NETWORK_UNIT).has_resource_properties(
        "AWS::EC2::FlowLog",
        {"ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"},
    )


def test_flow_log_retention_and_removal_per_environment(
    sandbox_network: Template, production_network: Template
) -> None:
    sandbox_network.has_resource(
        "AWS::Logs::LogGroup",
        {"Properties": {"RetentionInDays": 7}, "DeletionPolicy": "Delete"},
    )
    production_network.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {"RetentionInDays": 365, "KmsKeyId": Match.any_value()},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_production_log_key_rotates_and_is_retained(production_network: Template) -> None:
    production_network.has_resource(
        "AWS::KMS::Key",
        {"Properties": {"EnableKeyRotation": True}, "DeletionPolicy": "Retain"},
    )


def test_sandbox_has_no_kms_key(sandbox_network: Template) -> None:
    sandbox_network.resource_count_is("AWS::KMS::Key", 0)


def test_s3_gateway_endpoint_always(assembly: Assembly) -> None:
    assembly.template(names.NETWORK_UNIT).has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Gateway",
            "ServiceName": Match.object_like({"Fn::Join": Match.any_value()}),
        },
    )


def test_interface_endpoints_only_where_enabled(
    sandbox_network: Template, production_network: Template
) -> None:
    interface = {"VpcEndpointType": "Interface"}
    assert not sandbox_network.find_resources("AWS::EC2::VPCEndpoint", {"Properties": interface})
    found = production_network.find_resources("AWS::EC2::VPCEndpoint", {"Properties": interface})
    services = sorted(str(r["Properties"]["ServiceName"]) for r in found.values())
    assert services == [
        "com.amazonaws.us-east-1.ecr.api",
        "com.amazonaws.us-east-1.ecr.dkr",
        "com.amazonaws.us-east-1.logs",
        "com.amazonaws.us-east-1.sts",
    ]
    assert all(r["Properties"]["PrivateDnsEnabled"] for r in found.values())


def test_default_security_group_is_stripped(assembly: Assembly) -> None:
    assembly.template(names.NETWORK_UNIT).resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_subnets_are_tagged_for_load_balancer_discovery(assembly: Assembly) -> None:
    template = assembly.template(names.NETWORK_UNIT)
    for tag in ("kubernetes.io/role/elb", "kubernetes.io/role/internal-elb"):
        tagged = template.find_resources(
            "AWS::EC2::Subnet",
            {"Properties": {"Tags": Match.array_with([{"Key": tag, "Value": "1"}])}},
        )
        assert len(tagged) == len(load_config(assembly.environment).network.availability_zones)


def test_vpc_is_exported_for_other_stacks_only_through_references(assembly: Assembly) -> None:
    """Stack outputs stay under CloudFormation's limit even as stacks are added."""
    outputs = assembly.template_json(assembly.stack_name(names.NETWORK_UNIT)).get("Outputs", {})
    assert len(outputs) <= 200


def _subnets(template: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """AZ -> (public CIDR, private CIDR) of a network template."""
    found: dict[str, dict[bool, str]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::EC2::Subnet":
            properties = resource["Properties"]
            zone = found.setdefault(properties["AvailabilityZone"], {})
            zone[properties["MapPublicIpOnLaunch"]] = properties["CidrBlock"]
    return {zone: (cidrs[True], cidrs[False]) for zone, cidrs in found.items()}


@pytest.mark.parametrize("environment", sorted(SHIPPED_SUBNETS))
def test_shipped_environments_keep_their_subnets(
    assemblies: dict[str, Assembly], environment: str
) -> None:
    template = assemblies[environment].template_json(
        names.stack_id(environment, names.NETWORK_UNIT)
    )
    assert _subnets(template) == SHIPPED_SUBNETS[environment]


# The layout table of docs/design.md ("Subnet layout"): VPC prefix -> (public mask, private mask).
LAYOUT_TABLE = {16: (24, 20), 17: (25, 20), 18: (26, 21), 19: (27, 22), 20: (27, 23)}


@pytest.mark.parametrize(("prefix", "zones"), EVERY_LAYOUT)
def test_subnet_masks_over_the_whole_accepted_range(prefix: int, zones: int) -> None:
    public, private = subnet_masks(prefix, zones)
    assert (public, private) == LAYOUT_TABLE[prefix]  # the AZ count never changes a mask
    assert public <= 27, "load balancers need /27 or larger subnets"
    assert public > private, "private subnets (instances, tasks, pods) are the larger ones"
    if prefix > 16:  # /16 keeps the shipped /20; elsewhere a larger private subnet cannot fit:
        # the public subnets' block and 6 private subnets twice the size exceed the VPC
        assert (1 + MAX_ZONES) * 2 ** (32 - (private - 1)) > 2 ** (32 - prefix)


@pytest.mark.parametrize(("prefix", "zones"), EVERY_LAYOUT)
def test_subnet_layout_fits_without_overlap(prefix: int, zones: int) -> None:
    vpc = ipaddress.IPv4Network(f"10.0.0.0/{prefix}")
    layout = subnet_layout(str(vpc), zones)
    subnets = [subnet for pair in layout for subnet in pair]
    assert len(layout) == zones
    assert all(subnet.subnet_of(vpc) for subnet in subnets)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(subnets, 2))
    if zones < MAX_ZONES:  # adding an AZ adds subnets and moves none
        assert subnet_layout(str(vpc), zones + 1)[:zones] == layout


@given(
    network=st.sampled_from(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]),
    prefix=st.integers(MIN_VPC_PREFIX, MAX_VPC_PREFIX),
    index=st.integers(0, 2**16),
    zones=st.integers(MIN_ZONES, MAX_ZONES),
)
def test_subnet_layout_fits_anywhere_in_the_address_space(
    network: str, prefix: int, index: int, zones: int
) -> None:
    candidates = list(ipaddress.IPv4Network(network).subnets(new_prefix=prefix))
    vpc = candidates[index % len(candidates)]
    subnets = [subnet for pair in subnet_layout(str(vpc), zones) for subnet in pair]
    assert all(subnet.subnet_of(vpc) for subnet in subnets)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(subnets, 2))


@pytest.mark.parametrize(
    ("prefix", "zones", "message"),
    [
        (15, 2, "vpc_cidr must be /16 to /20, got /15"),
        (21, 2, "vpc_cidr must be /16 to /20, got /21"),
        (16, 1, "availability zones must number 2 to 6, got 1"),
        (20, 7, "availability zones must number 2 to 6, got 7"),
    ],
)
def test_subnet_masks_outside_the_range(prefix: int, zones: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        subnet_masks(prefix, zones)


@pytest.mark.parametrize(
    ("vpc_cidr", "zones"),
    [("10.0.0.0/16", 6), ("10.0.0.0/17", 3), ("172.16.16.0/20", 6), ("192.168.0.0/19", 2)],
)
def test_cdk_allocates_the_subnets_subnet_layout_computes(vpc_cidr: str, zones: int) -> None:
    """The layout function matches what aws-cdk-lib's Vpc really does (no 'not enough IP
    space', same CIDRs in the same AZs)."""
    stack = Stack(project_app(), "Net")
    Network(
        stack,
        "Network",
        props=NetworkProps(availability_zones=ZONES[:zones], vpc_cidr=vpc_cidr, nat_gateways=1),
    )
    synthesized = _subnets(Template.from_stack(stack).to_json())
    expected = {
        zone: (str(pair.public), str(pair.private))
        for zone, pair in zip(ZONES, subnet_layout(vpc_cidr, zones), strict=False)
    }
    assert synthesized == expected


def test_network_refuses_zones_of_another_region_than_its_stacks() -> None:
    """Used outside the platform (the config refuses the same first), the construct checks its
    zones against a stack with a region; an environment-agnostic stack has none to check."""
    zones = ["us-east-1a", "us-east-1b"]
    stack = Stack(project_app(), "Net", env=Environment(region="eu-west-1"))
    with pytest.raises(ValueError, match="us-east-1a, us-east-1b are not zones of the stack's"):
        Network(stack, "Network", props=NetworkProps(availability_zones=zones))
    Network(
        Stack(project_app(), "Net", env=Environment(region="us-east-1")),
        "Network",
        props=NetworkProps(availability_zones=zones),
    )


@pytest.fixture(scope="module")
def small_vpcs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """The whole platform with a /20 VPC in 2 and in 6 AZs."""
    root = tmp_path_factory.mktemp("small-vpc")
    return {
        zones: synth_environment(
            "sandbox",
            root / str(zones),
            {"network": {"vpc_cidr": "10.30.0.0/20", "availability_zones": ZONES[:zones]}},
        )
        for zones in (MIN_ZONES, MAX_ZONES)
    }


@pytest.mark.integration
@pytest.mark.parametrize("zones", [MIN_ZONES, MAX_ZONES])
def test_a_20_vpc_synthesizes_with_load_balancer_sized_public_subnets(
    small_vpcs: dict[int, Path], zones: int
) -> None:
    assembly = Assembly("sandbox", small_vpcs[zones])
    subnets = _subnets(assembly.template_json(assembly.stack_name(names.NETWORK_UNIT)))
    assert sorted(subnets) == ZONES[:zones]
    for public, private in subnets.values():
        assert ipaddress.IPv4Network(public).prefixlen == 27
        assert ipaddress.IPv4Network(private).prefixlen == 23
    # The ALBs of both ECS clusters are placed in those public subnets.
    templates = [json.dumps(t) for t in assembly.all_templates().values()]
    assert sum(t.count("AWS::ElasticLoadBalancingV2::LoadBalancer") for t in templates) >= 1


def test_nat_gateways_zero_is_refused_before_any_construct() -> None:
    """0 NAT gateways used to reach the ECS constructs and die in jsii ('no Private subnet
    groups'); the config now refuses it with the reason."""
    with pytest.raises(ConfigError, match="need internet egress"):
        load_config("sandbox", overrides={"network": {"nat_gateways": 0}})


def test_network_construct_still_builds_isolated_subnets_for_forks() -> None:
    stack = Stack(project_app(), "Net")
    network = Network(
        stack, "Network", props=NetworkProps(availability_zones=ZONES[:2], nat_gateways=0)
    )
    assert not network.vpc.private_subnets
    assert len(network.vpc.isolated_subnets) == 2


def test_design_doc_layout_table_matches_subnet_masks(repo_root: Path) -> None:
    readme = (repo_root / "docs" / "design.md").read_text()
    for prefix in PREFIXES:
        public, private = subnet_masks(prefix, MAX_ZONES)
        usable = 2 ** (32 - private) - 5  # AWS reserves 5 addresses per subnet
        assert f"| /{prefix} | /{public} | /{private} | {usable:,} | fit |" in readme


@pytest.mark.parametrize(("prefix", "zones"), EVERY_LAYOUT)
def test_config_accepts_exactly_the_layouts_subnet_masks_supports(prefix: int, zones: int) -> None:
    """Whatever the config accepts, the Network construct can lay out (and vice versa)."""
    network = {"vpc_cidr": f"10.40.0.0/{prefix}", "availability_zones": ZONES[:zones]}
    config = load_config("sandbox", overrides={"network": network})
    assert ipaddress.IPv4Network(config.network.vpc_cidr).prefixlen == prefix


@pytest.mark.parametrize(
    "network",
    [
        {"vpc_cidr": f"10.40.0.0/{MIN_VPC_PREFIX - 1}"},
        {"vpc_cidr": f"10.40.0.0/{MAX_VPC_PREFIX + 1}"},
        {"availability_zones": [*ZONES, "us-east-1g"]},
    ],
)
def test_config_refuses_what_subnet_masks_does_not_support(network: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        load_config("sandbox", overrides={"network": network})
