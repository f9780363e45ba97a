"""The `network` section: the shared VPC that every compute stack runs in."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from container_constructs import defaults
from container_constructs.checks import (
    AVAILABILITY_ZONES_RANGE,
    VPC_PREFIX_RANGE,
    ipv4_network,
)
from platform_config.base import RetentionDays, Section

_MIN_PREFIX, _MAX_PREFIX = VPC_PREFIX_RANGE


class NetworkConfig(Section):
    """VPC layout. Availability zones come from config so that synth never looks them up."""

    vpc_cidr: str = Field(
        default=defaults.VPC_CIDR,
        description=(
            "IPv4 CIDR of the VPC, prefix /16 to /20, outside reserved ranges and 172.17.0.0/16. "
            "Each AZ gets a public subnet (prefix+8, at least a /27 for load balancers) and a "
            "private one (prefix+3, at most a /20): /16 gives /24 and /20, /20 gives /27 and /23 "
            "(docs/design.md: Subnet layout)."
        ),
    )
    availability_zones: list[str] = Field(
        min_length=AVAILABILITY_ZONES_RANGE[0],
        max_length=AVAILABILITY_ZONES_RANGE[1],
        description="Explicit AZ names in the environment's region, no duplicates.",
    )
    nat_gateways: int = Field(
        description=(
            "NAT gateways, 1 to the number of AZs (sandbox: 1, production: 1 per AZ). 0 is "
            "refused: the ECS agent, public image pulls and EKS node bootstrap need egress."
        ),
    )
    vpc_endpoints: bool = Field(
        default=defaults.VPC_ENDPOINTS,
        description=(
            "Interface endpoints for ECR api/dkr, CloudWatch Logs and STS so image pulls and logs "
            "do not cross NAT. The S3 gateway endpoint (free) is always created."
        ),
    )
    flow_log_retention_days: RetentionDays = Field(
        default=defaults.LOG_RETENTION_DAYS,
        description="Retention in days of the VPC flow log group.",
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _valid_cidr(cls, value: str) -> str:
        network = ipv4_network(value, example="10.0.0.0/16")
        if not _MIN_PREFIX <= network.prefixlen <= _MAX_PREFIX:
            raise ValueError(
                f"prefix length must be /{_MIN_PREFIX} to /{_MAX_PREFIX}, got /{network.prefixlen}"
            )
        for reserved, why in _UNUSABLE_VPC_RANGES:
            if network.overlaps(reserved):
                raise ValueError(
                    f"'{value}' overlaps {reserved} ({why}); allowed: a private range such as "
                    "10.0.0.0/8, 172.16.0.0/12 (except 172.17.0.0/16) or 192.168.0.0/16"
                )
        return value

    @field_validator("availability_zones")
    @classmethod
    def _unique_zones(cls, value: list[str]) -> list[str]:
        duplicates = sorted({zone for zone in value if value.count(zone) > 1})
        if duplicates:
            raise ValueError(f"duplicate availability zones: {', '.join(duplicates)}")
        return value


# Ranges a VPC cannot (or, 172.17.0.0/16, should not) use: CreateVpc rejects the first ones, and
# the VPC user guide ("VPC CIDR blocks") says some AWS services use 172.17.0.0/16, which is also
# Docker's default bridge network on ECS container instances.
_UNUSABLE_VPC_RANGES = (
    (ipaddress.IPv4Network("0.0.0.0/8"), "'this network', not assignable"),
    (ipaddress.IPv4Network("127.0.0.0/8"), "loopback"),
    (ipaddress.IPv4Network("169.254.0.0/16"), "link-local, used by instance metadata and DNS"),
    (ipaddress.IPv4Network("224.0.0.0/3"), "multicast and reserved"),
    (ipaddress.IPv4Network("172.17.0.0/16"), "used by AWS services and Docker's bridge network"),
)
