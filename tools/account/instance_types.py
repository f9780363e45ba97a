"""EC2 instance types as the vCPU quotas count them: which families the Standard quotas count,
and each type's default vCPUs (tools/account/quotas.py, tools/account/own_usage.py)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from tools.account.session import looked_up

# The families the two EC2 quotas count: one letter of A, C, D, H, I, M, R, T, Z (and the storage
# families im, is), not the families with quotas of their own that start with those letters.
_FAMILY = re.compile(r"^([a-z]+)\d")
_STANDARD_LETTERS = frozenset("acdhimrtz")
_OWN_QUOTA_FAMILIES = frozenset({"dl", "hpc", "inf", "mac", "trn"})


def is_standard(instance_type: str) -> bool:
    """Whether `instance_type` counts against the Standard instance quotas."""
    match = _FAMILY.match(instance_type)
    family = match.group(1) if match else ""
    return family[:1] in _STANDARD_LETTERS and family not in _OWN_QUOTA_FAMILIES


def instance_vcpus(ec2: Any, instance_types: Iterable[str]) -> dict[str, int]:
    """Each instance type's default vCPUs (EC2 DescribeInstanceTypes), one call per type so that
    a name EC2 does not know (the offerings check reports it) leaves out only that type."""

    def described(name: str) -> int | None:
        (item,) = ec2.describe_instance_types(InstanceTypes=[name])["InstanceTypes"]
        return int(item["VCpuInfo"]["DefaultVCpus"])

    found = {
        name: looked_up(
            functools.partial(described, name), not_checked=lambda _why: None, by_code={}
        )
        for name in sorted(set(instance_types))
    }
    return {name: count for name, count in found.items() if count is not None}
