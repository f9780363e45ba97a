"""Shared base model and field types for every configuration section."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

# An EC2 instance type: family with a generation digit, then a size (t3.small, m7g.2xlarge,
# c6i.metal-24xl). Shared by every section that names instance types.
EC2_INSTANCE_TYPE = re.compile(
    r"^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]*xlarge|metal-[0-9]+xl)$"
)


class Section(BaseModel):
    """Base of every config section: immutable, strict types, unknown keys rejected (typos fail)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
