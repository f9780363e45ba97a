"""The shared VPC that every compute construct of the platform runs in."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import RemovalPolicy, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from container_constructs.common import secure_log_group

# Interface endpoints that keep image pulls, logs and credential calls off the NAT gateways.
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
}


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    """Props of `Network`.

    Attributes:
        availability_zones: explicit AZ names (2+); no lookup is made at synth time. Required.
        vpc_cidr: IPv4 CIDR of the VPC, /16 to /20. Default: 10.0.0.0/16. Public subnets get
            prefix+8 (a /24 in a /16), private subnets prefix+4 (a /20 in a /16), one each per AZ.
        nat_gateways: 0 to len(availability_zones). Default: one per AZ (highly available).
            With 0 the private subnets have no internet egress: enable `vpc_endpoints`.
        vpc_endpoints: create ECR api/dkr, CloudWatch Logs and STS interface endpoints.
            Default: False. The S3 gateway endpoint (no hourly cost) is always created.
        flow_log_retention: retention of the flow log group. Default: one month.
        log_encryption_key: KMS key for the flow log group. Default: none (CloudWatch-managed).
        removal_policy: applied to the flow log group. Default: RETAIN.
    """

    availability_zones: Sequence[str]
    vpc_cidr: str = "10.0.0.0/16"
    nat_gateways: int | None = None
    vpc_endpoints: bool = False
    flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
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
        prefix = ipaddress.IPv4Network(props.vpc_cidr).prefixlen
        if not 16 <= prefix <= 20:
            raise ValueError(f"Network: vpc_cidr must be /16 to /20, got /{prefix}")

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
                    name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=prefix + 8
                ),
                ec2.SubnetConfiguration(
                    name="Private", subnet_type=private_type, cidr_mask=prefix + 4
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
