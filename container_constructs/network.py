"""The shared VPC that every compute construct of the platform runs in."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from aws_cdk import RemovalPolicy, Stack, Tags, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from container_constructs import defaults
from container_constructs.checks import AVAILABILITY_ZONES_RANGE, VPC_PREFIX_RANGE, foreign_zones
from container_constructs.common import DEFAULT_LOG_RETENTION, secure_log_group

# Interface endpoints that keep image pulls, logs and credential calls off the NAT gateways.
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
}

# The VPC sizes and AZ counts the subnet layout is computed (and exhaustively tested) for.
MIN_VPC_PREFIX, MAX_VPC_PREFIX = VPC_PREFIX_RANGE
MIN_ZONES, MAX_ZONES = AVAILABILITY_ZONES_RANGE
# A load balancer subnet needs "a CIDR block with at least a /27 bitmask" and at least 8 free IPs
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html
# #subnets-load-balancer): CreateLoadBalancer fails in a /28.
MAX_PUBLIC_MASK = 27
# The layout the platform has always shipped for a /16 (public /24, private /20): deployed VPCs
# keep their subnets (a subnet whose CIDR changes is replaced, which fails while it is in use).
MIN_PRIVATE_MASK = 20


class SubnetPair(NamedTuple):
    """The public and the private subnet of one AZ."""

    public: ipaddress.IPv4Network
    private: ipaddress.IPv4Network


def subnet_masks(vpc_prefix: int, az_count: int) -> tuple[int, int]:
    """The (public, private) subnet prefix lengths for a VPC of prefix `vpc_prefix` in `az_count`
    AZs. Pure; used by `Network` and tested over every accepted input.

    Public subnets hold NAT gateways and load balancers: prefix+8, but never smaller than a /27
    (the load balancer minimum). Private subnets hold instances, tasks and pods (the EKS VPC CNI
    gives every pod a VPC address): one eighth of the VPC each (prefix+3), at most a /20 (which
    keeps the shipped /16 layout). The masks depend on the VPC size only, never on the AZ count,
    so adding an AZ later adds subnets without renumbering the existing ones: the public subnets of
    up to 6 AZs fit in the first private-subnet-sized block, the private subnets of up to 6 AZs in
    the next six blocks.

    Raises:
        ValueError: `vpc_prefix` not 16 to 20, `az_count` not 2 to 6, or the subnets do not fit.
    """
    if not MIN_VPC_PREFIX <= vpc_prefix <= MAX_VPC_PREFIX:
        raise ValueError(
            f"vpc_cidr must be /{MIN_VPC_PREFIX} to /{MAX_VPC_PREFIX}, got /{vpc_prefix}"
        )
    if not MIN_ZONES <= az_count <= MAX_ZONES:
        raise ValueError(
            f"availability zones must number {MIN_ZONES} to {MAX_ZONES}, got {az_count}"
        )
    masks = (min(vpc_prefix + 8, MAX_PUBLIC_MASK), max(vpc_prefix + 3, MIN_PRIVATE_MASK))
    vpc = ipaddress.IPv4Network(f"10.0.0.0/{vpc_prefix}")
    if _allocate(vpc, [masks[0]] * az_count + [masks[1]] * az_count) is None:
        raise ValueError(
            f"{az_count} public /{masks[0]} and {az_count} private /{masks[1]} subnets do not "
            f"fit in a /{vpc_prefix}"
        )
    return masks


def subnet_layout(vpc_cidr: str, az_count: int) -> list[SubnetPair]:
    """The subnets `Network` creates, per AZ in order, computed the way aws-cdk-lib's `Vpc`
    allocates them: in subnet_configuration order (all public, then all private), each at the next
    free address aligned to its own size."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    public_mask, private_mask = subnet_masks(vpc.prefixlen, az_count)
    subnets = _allocate(vpc, [public_mask] * az_count + [private_mask] * az_count)
    if subnets is None:  # subnet_masks checked the fit; an address does not change it
        raise AssertionError(f"subnets of {vpc_cidr} do not fit")
    return [SubnetPair(subnets[i], subnets[az_count + i]) for i in range(az_count)]


def _allocate(vpc: ipaddress.IPv4Network, masks: list[int]) -> list[ipaddress.IPv4Network] | None:
    """Subnets of `masks` allocated in order at the next aligned free address; None if the VPC
    runs out of space."""
    subnets: list[ipaddress.IPv4Network] = []
    following = int(vpc.network_address)
    end = int(vpc.broadcast_address) + 1
    for mask in masks:
        size = 2 ** (32 - mask)
        start = -(-following // size) * size  # round up to the subnet's alignment
        if start + size > end:
            return None
        subnets.append(ipaddress.IPv4Network((start, mask)))
        following = start + size
    return subnets


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    """Props of `Network`.

    Attributes:
        availability_zones: explicit AZ names (2 to 6); no lookup is made at synth time. Required.
        vpc_cidr: IPv4 CIDR of the VPC, /16 to /20. Default: 10.0.0.0/16. One public and one
            private subnet per AZ, sized by `subnet_masks` (a /16 gets public /24 and private /20;
            a /20 gets public /27 and private /23).
        nat_gateways: 0 to len(availability_zones). Default: one per AZ (highly available).
            With 0 the private subnets are PRIVATE_ISOLATED (no internet egress), for forks that
            bring their own interface endpoints and workloads. The compute constructs of this
            package (EcsEc2Cluster, WebService, EksCluster) need PRIVATE_WITH_EGRESS subnets (the
            ECS agent, public image pulls and EKS node bootstrap reach the internet), so the
            platform's config requires at least 1.
        vpc_endpoints: create ECR api/dkr, CloudWatch Logs and STS interface endpoints.
            Default: False. The S3 gateway endpoint (no hourly cost) is always created.
        flow_log_retention: retention of the flow log group. Default: one month.
        log_encryption_key: KMS key for the flow log group. Default: none (CloudWatch-managed).
        removal_policy: applied to the flow log group. Default: RETAIN.
    """

    availability_zones: Sequence[str]
    vpc_cidr: str = defaults.VPC_CIDR
    nat_gateways: int | None = None
    vpc_endpoints: bool = defaults.VPC_ENDPOINTS
    flow_log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION
    log_encryption_key: kms.IKey | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN


class Network(Construct):
    """A VPC with public and private-with-egress subnets in each configured AZ, VPC flow logs to
    CloudWatch Logs, an S3 gateway endpoint, optional interface endpoints and a default security
    group with no rules.

    Attributes:
        vpc: the VPC.
        flow_log_group: the log group that receives the VPC flow logs.
        interface_endpoints: the interface endpoints by name (empty unless enabled).
        endpoint_security_group: the interface endpoints' security group (None unless enabled).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: NetworkProps) -> None:
        super().__init__(scope, construct_id)
        zones = list(props.availability_zones)
        nat_gateways = len(zones) if props.nat_gateways is None else props.nat_gateways
        # Config: NetworkConfig (min_length=2, the /16-/20 prefix) and PlatformConfig's
        # nat_gateways rule reject these first.
        if len(zones) < 2:
            raise ValueError("Network: availability_zones needs at least two zones")
        if not 0 <= nat_gateways <= len(zones):
            raise ValueError(f"Network: nat_gateways must be 0 to {len(zones)}, got {nat_gateways}")
        region = Stack.of(self).region
        if not Token.is_unresolved(region) and (foreign := foreign_zones(zones, region)):
            raise ValueError(
                f"Network: availability_zones {', '.join(foreign)} are not zones of the stack's "
                f"region {region}; allowed: {region}a, {region}b, ..."
            )
        try:
            public_mask, private_mask = subnet_masks(
                ipaddress.IPv4Network(props.vpc_cidr).prefixlen, len(zones)
            )
        except ValueError as error:
            raise ValueError(f"Network: {error}") from None

        self.flow_log_group = secure_log_group(
            self,
            "FlowLogGroup",
            retention=props.flow_log_retention,
            removal_policy=props.removal_policy,
            encryption_key=props.log_encryption_key,
        )
        private_type = (
            ec2.SubnetType.PRIVATE_WITH_EGRESS if nat_gateways else ec2.SubnetType.PRIVATE_ISOLATED
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(props.vpc_cidr),
            availability_zones=zones,
            nat_gateways=nat_gateways,
            restrict_default_security_group=True,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=public_mask
                ),
                ec2.SubnetConfiguration(
                    name="Private", subnet_type=private_type, cidr_mask=private_mask
                ),
            ],
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        # Load balancer controllers (ECS needs none; EKS's does) discover subnets by these tags.
        for subnet in self.vpc.public_subnets:
            Tags.of(subnet).add("kubernetes.io/role/elb", "1")
        for subnet in self.vpc.private_subnets or self.vpc.isolated_subnets:
            Tags.of(subnet).add("kubernetes.io/role/internal-elb", "1")

        private_subnets = ec2.SubnetSelection(subnet_type=private_type)
        self.vpc.add_gateway_endpoint(
            "S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[private_subnets]
        )
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        self.endpoint_security_group: ec2.SecurityGroup | None = None
        if props.vpc_endpoints:
            # One group for all endpoints: HTTPS from inside the VPC only (the literal CIDR, so the
            # rule is readable in the template and checkable by cdk-nag), no egress.
            self.endpoint_security_group = ec2.SecurityGroup(
                self,
                "EndpointSecurityGroup",
                vpc=self.vpc,
                description="Interface VPC endpoints: HTTPS from inside the VPC",
                allow_all_outbound=False,
            )
            self.endpoint_security_group.add_ingress_rule(
                ec2.Peer.ipv4(props.vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC"
            )
            for name, service in INTERFACE_ENDPOINTS.items():
                self.interface_endpoints[name] = self.vpc.add_interface_endpoint(
                    name,
                    service=service,
                    subnets=private_subnets,
                    private_dns_enabled=True,
                    open=False,
                    security_groups=[self.endpoint_security_group],
                )
