"""Network exposure: compute and tasks stay in private subnets without public IPs, and nothing is
open to the internet but an Application Load Balancer's own listener ports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .compute import GOOD_LAUNCH_CONFIGURATION, GOOD_LAUNCH_TEMPLATE, LAUNCH_TEMPLATE
from .rule import EnvironmentFacts, Rule
from .template import Resource, get, is_true, mappings, referenced_id

WORLD = ("0.0.0.0/0", "::/0")
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"


def private_subnet_no_public_ip(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Only subnets tagged as the public tier map public IPs on launch."""
    tags = {t.get("Key"): t.get("Value") for t in mappings(resource.properties.get("Tags"))}
    if tags.get("aws-cdk:subnet-type") == "Public":
        return []
    if is_true(resource.properties.get("MapPublicIpOnLaunch")):
        return ["a non-public subnet maps public IPs on launch"]
    return []


def ecs_service_no_public_ip(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """An ECS service assigns no public IP to its tasks."""
    assign = get(
        resource.properties, "NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp"
    )
    return (
        ["AssignPublicIp is ENABLED (tasks run in private subnets)"] if assign == "ENABLED" else []
    )


def compute_no_public_ip(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """A launch template's interfaces, or a launch configuration, associate no public IP."""
    props = resource.properties
    if resource.type == LAUNCH_TEMPLATE:
        interfaces = mappings(get(props, "LaunchTemplateData", "NetworkInterfaces"))
        if any(is_true(i.get("AssociatePublicIpAddress")) for i in interfaces):
            return ["a network interface associates a public IP (compute is private)"]
        return []
    if is_true(props.get("AssociatePublicIpAddress")):
        return ["AssociatePublicIpAddress is true (compute is private)"]
    return []


def _alb_listener_ports(group: Resource) -> set[int]:
    """Ports of the listeners of the application load balancers `group` is attached to."""
    ports: set[int] = set()
    for balancer in group.siblings(LOAD_BALANCER):
        if balancer.properties.get("Type", "application") != "application":
            continue
        attached = {referenced_id(g) for g in mappings(balancer.properties.get("SecurityGroups"))}
        if group.logical_id not in attached:
            continue
        for listener in group.siblings(LISTENER):
            if referenced_id(listener.properties.get("LoadBalancerArn")) == balancer.logical_id:
                port = listener.properties.get("Port", -1)
                ports.add(port if isinstance(port, int) else -1)
    return ports


def _world_rule_problem(rule: Mapping[str, Any], group: Resource | None) -> str | None:
    source = rule.get("CidrIp") or rule.get("CidrIpv6")
    if source not in WORLD:
        return None
    from_port, to_port = rule.get("FromPort"), rule.get("ToPort")
    protocol = str(rule.get("IpProtocol", ""))
    allowed = _alb_listener_ports(group) if group else set()
    if protocol == "tcp" and from_port == to_port and from_port in allowed:
        return None
    ports = "all ports" if protocol == "-1" else f"{protocol} {from_port}-{to_port}"
    where = f"ALB listener ports {sorted(allowed)}" if allowed else "no ALB listener"
    return f"ingress from {source} on {ports} ({where}; only an ALB's listener ports may be open)"


def security_group_not_open_to_world(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Ingress from anywhere only on a listener port of an ALB that uses the group."""
    if resource.type == "AWS::EC2::SecurityGroup":
        rules = mappings(resource.properties.get("SecurityGroupIngress"))
        group: Resource | None = resource
    else:
        rules = [resource.properties]
        group = resource.sibling(referenced_id(resource.properties.get("GroupId")))
    return [p for r in rules if (p := _world_rule_problem(r, group))]


ALB_GROUP = {
    "Type": "AWS::EC2::SecurityGroup",
    "Properties": {
        "GroupDescription": "alb",
        "SecurityGroupIngress": [
            {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
        ],
    },
}
ALB = {
    "Type": LOAD_BALANCER,
    "Properties": {
        "Type": "application",
        "SecurityGroups": [{"Fn::GetAtt": ["AlbGroup", "GroupId"]}],
        "LoadBalancerAttributes": [
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": {"Ref": "Logs"}},
        ],
    },
}
HTTPS_LISTENER = {
    "Type": LISTENER,
    "Properties": {
        "LoadBalancerArn": {"Ref": "Alb"},
        "Port": 443,
        "Protocol": "HTTPS",
        "Certificates": [{"CertificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/x"}],
        "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}],
    },
}


def _tagged_subnet(tier: str) -> dict[str, Any]:
    return {
        "Type": "AWS::EC2::Subnet",
        "Properties": {
            "MapPublicIpOnLaunch": True,
            "Tags": [{"Key": "aws-cdk:subnet-type", "Value": tier}],
        },
    }


def _service(assign: str) -> dict[str, Any]:
    return {
        "Type": "AWS::ECS::Service",
        "Properties": {"NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": assign}}},
    }


RULES: tuple[Rule, ...] = (
    Rule(
        id="subnet-private-no-public-ip",
        requirement="only subnets of the public tier map public IPs on launch",
        resource_types=("AWS::EC2::Subnet",),
        check=private_subnet_no_public_ip,
        bad={"S": _tagged_subnet("Private")},
        good={"S": _tagged_subnet("Public")},
    ),
    Rule(
        id="ecs-service-no-public-ip",
        requirement="ECS services never assign public IPs to tasks",
        resource_types=("AWS::ECS::Service",),
        check=ecs_service_no_public_ip,
        bad={"Svc": _service("ENABLED")},
        good={"Svc": _service("DISABLED")},
    ),
    Rule(
        id="compute-no-public-ip",
        requirement="launch templates and configurations associate no public IP",
        resource_types=(LAUNCH_TEMPLATE, "AWS::AutoScaling::LaunchConfiguration"),
        check=compute_no_public_ip,
        bad={
            "Lt": {
                "Type": LAUNCH_TEMPLATE,
                "Properties": {
                    "LaunchTemplateData": {
                        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True}]
                    }
                },
            }
        },
        good={"Lt": GOOD_LAUNCH_TEMPLATE, "Lc": GOOD_LAUNCH_CONFIGURATION},
    ),
    Rule(
        id="security-group-not-open-to-world",
        requirement="no ingress from 0.0.0.0/0 or ::/0 except an ALB's own listener ports",
        resource_types=("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"),
        check=security_group_not_open_to_world,
        bad={
            "Ssh": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Fn::GetAtt": ["AlbGroup", "GroupId"]},
                    "CidrIp": "0.0.0.0/0",
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                },
            },
            "AlbGroup": ALB_GROUP,
            "Alb": ALB,
            "Https": HTTPS_LISTENER,
        },
        good={"AlbGroup": ALB_GROUP, "Alb": ALB, "Https": HTTPS_LISTENER},
    ),
)
