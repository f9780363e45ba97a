"""The network stack: the shared VPC, handed to every other stack as a typed argument."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from container_constructs.common import retention_days
from container_constructs.network import Network, NetworkProps
from platform_config.network import NetworkConfig
from stacks import names
from stacks.common import StackSettings


class NetworkStack(Stack):
    """The VPC, its flow logs and endpoints.

    Attributes:
        network: the `Network` construct.
        vpc: the VPC other stacks run in.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        section: NetworkConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.network = Network(
            self,
            names.NETWORK_CONSTRUCT,
            props=NetworkProps(
                availability_zones=section.availability_zones,
                vpc_cidr=section.vpc_cidr,
                nat_gateways=section.nat_gateways,
                vpc_endpoints=section.vpc_endpoints,
                flow_log_retention=retention_days(section.flow_log_retention_days),
                log_encryption_key=settings.log_encryption_key(self),
                removal_policy=settings.removal_policy,
            ),
        )
        self.vpc: ec2.IVpc = self.network.vpc
