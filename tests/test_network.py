"""The network stack in both environments: subnets, NAT, flow logs, endpoints, default SG."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from platform_config import load_config
from tests.assembly import Assembly


@pytest.fixture(scope="module")
def sandbox_network(sandbox: Assembly) -> Template:
    return sandbox.template("network")


@pytest.fixture(scope="module")
def production_network(production: Assembly) -> Template:
    return production.template("network")


def test_vpc_uses_the_configured_cidr(
    sandbox_network: Template, production_network: Template
) -> None:
    sandbox_network.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.10.0.0/16"})
    production_network.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.20.0.0/16"})


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_public_and_private_subnet_in_every_configured_zone(
    assemblies: dict[str, Assembly], environment: str
) -> None:
    template = assemblies[environment].template("network")
    zones = load_config(environment).network.availability_zones
    subnets = template.find_resources("AWS::EC2::Subnet")
    assert len(subnets) == 2 * len(zones)
    for zone in zones:
        in_zone = [s for s in subnets.values() if s["Properties"]["AvailabilityZone"] == zone]
        public = [s for s in in_zone if s["Properties"]["MapPublicIpOnLaunch"]]
        assert len(in_zone) == 2
        assert len(public) == 1


def test_private_subnets_never_assign_public_ips(assembly: Assembly) -> None:
    template = assembly.template("network")
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
    assembly.template("network").has_resource_properties(
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
    assembly.template("network").has_resource_properties(
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
    assembly.template("network").resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_subnets_are_tagged_for_load_balancer_discovery(assembly: Assembly) -> None:
    template = assembly.template("network")
    for tag in ("kubernetes.io/role/elb", "kubernetes.io/role/internal-elb"):
        tagged = template.find_resources(
            "AWS::EC2::Subnet",
            {"Properties": {"Tags": Match.array_with([{"Key": tag, "Value": "1"}])}},
        )
        assert len(tagged) == len(load_config(assembly.environment).network.availability_zones)


def test_vpc_is_exported_for_other_stacks_only_through_references(assembly: Assembly) -> None:
    """Stack outputs stay under CloudFormation's limit even as stacks are added."""
    outputs = assembly.template_json(assembly.stack_name("network")).get("Outputs", {})
    assert len(outputs) <= 200
