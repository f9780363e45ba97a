"""Shared base model and field types for every configuration section."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from container_constructs.checks import LOG_RETENTION_DAYS, check_retention_days
from platform_config.fields import Allowed

# Days a CloudWatch Logs group keeps its events: one of the values CloudWatch Logs accepts.
RetentionDays = Annotated[
    int,
    AfterValidator(check_retention_days),
    Allowed("one of " + ", ".join(str(days) for days in LOG_RETENTION_DAYS)),
]

# An EC2 instance type: family with a generation digit, then a size (t3.small, m7g.2xlarge,
# c6i.metal-24xl). Shared by every section that names instance types.
EC2_INSTANCE_TYPE = re.compile(
    r"^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]*xlarge|metal-[0-9]+xl)$"
)

# How aws-cdk-lib's `ec2.InstanceType.architecture` reads a name: family letters, a one or two
# digit generation, capability letters, size. It raises on a name of another shape.
_CDK_INSTANCE_TYPE = re.compile(r"^([a-z]+)(\d{1,2})([a-z-]*)\.([a-z0-9-]+)$")


def cdk_can_read_architecture(instance_type: str) -> bool:
    """Whether aws-cdk-lib can tell the CPU architecture of `instance_type` (see is_graviton)."""
    return bool(_CDK_INSTANCE_TYPE.match(instance_type))


def is_graviton(instance_type: str) -> bool:
    """Whether an EC2 instance type is an arm64 (AWS Graviton) type, by aws-cdk-lib's rule: family
    `a` (a1) or a `g` among the capability letters after the generation (t4g, m7gd, c7gn, x2gd).
    GPU families without it (g5, g4dn) are x86_64."""
    parts = _CDK_INSTANCE_TYPE.match(instance_type)
    if parts is None:
        return False
    family, _generation, capabilities, _size = parts.groups()
    return family == "a" or "g" in capabilities


class Section(BaseModel):
    """Base of every config section: immutable, strict types, unknown keys rejected (typos fail)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
