"""How many awsvpc tasks an EC2 container instance can hold: ENIs, vCPUs and memory per type.

With awsvpc networking every task gets its own elastic network interface, and the instance's
primary ENI is the instance's own, so an instance holds at most (maximum ENIs - 1) tasks
(ENI trunking, which raises this, is not enabled on this platform's clusters).

ENI limits as of 2026-08-20: EC2 DescribeInstanceTypes NetworkInfo.MaximumNetworkInterfaces, the
"Maximum network interfaces" column of the EC2 instance-type network specifications
(https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html#gp_network and the co/mo pages),
as generated into aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go (ENILimit) at commit
b52188387f2e2f10bf289ace929d6a63b176a4fa. vCPUs and memory are the instance types' published
sizes (same pages, "Instance specifications").
"""

from __future__ import annotations

from typing import NamedTuple


class InstanceCapacity(NamedTuple):
    """What one instance type offers to ECS tasks."""

    max_enis: int
    vcpus: int
    memory_mib: int

    @property
    def task_enis(self) -> int:
        """awsvpc tasks the instance can hold by ENIs (the primary ENI is the instance's)."""
        return self.max_enis - 1

    @property
    def cpu_units(self) -> int:
        return self.vcpus * 1024

    @property
    def task_memory_mib(self) -> int:
        """Memory ECS can place tasks in: the agent registers MemTotal minus
        ECS_RESERVED_MEMORY (amazon-ecs-agent ecs-agent/api/ecs/client/ecs_client.go), and
        MemTotal is below the nominal size; 10 % is held back for both (an estimate)."""
        return self.memory_mib * 9 // 10


# Sizes per family group: (max ENIs, vCPUs, GiB).
_Sizes = dict[str, tuple[int, int, float]]
_BURSTABLE: _Sizes = {  # t3, t4g
    "nano": (2, 2, 0.5),
    "micro": (2, 2, 1),
    "small": (3, 2, 2),
    "medium": (3, 2, 4),
    "large": (3, 2, 8),
    "xlarge": (4, 4, 16),
    "2xlarge": (4, 8, 32),
}
_T3A: _Sizes = {**_BURSTABLE, "small": (2, 2, 2)}  # t3a.small has one ENI fewer than t3.small
_GENERAL: _Sizes = {
    "large": (3, 2, 8),
    "xlarge": (4, 4, 16),
    "2xlarge": (4, 8, 32),
    "4xlarge": (8, 16, 64),
}
_GENERAL_GRAVITON: _Sizes = {"medium": (2, 1, 4), **_GENERAL}
_COMPUTE: _Sizes = {
    "large": (3, 2, 4),
    "xlarge": (4, 4, 8),
    "2xlarge": (4, 8, 16),
    "4xlarge": (8, 16, 32),
}
_COMPUTE_GRAVITON: _Sizes = {"medium": (2, 1, 2), **_COMPUTE}
_MEMORY: _Sizes = {
    "large": (3, 2, 16),
    "xlarge": (4, 4, 32),
    "2xlarge": (4, 8, 64),
    "4xlarge": (8, 16, 128),
}

_FAMILIES: dict[str, _Sizes] = {
    "t3": _BURSTABLE,
    "t3a": _T3A,
    "t4g": _BURSTABLE,
    "m5": _GENERAL,
    "m6i": _GENERAL,
    "m7i": _GENERAL,
    "m6g": _GENERAL_GRAVITON,
    "m7g": _GENERAL_GRAVITON,
    "c5": _COMPUTE,
    "c6i": _COMPUTE,
    "c7i": _COMPUTE,
    "c6g": _COMPUTE_GRAVITON,
    "c7g": _COMPUTE_GRAVITON,
    "r6i": _MEMORY,
    "r7i": _MEMORY,
}

INSTANCE_CAPACITY: dict[str, InstanceCapacity] = {
    f"{family}.{size}": InstanceCapacity(enis, vcpus, int(gib * 1024))
    for family, sizes in _FAMILIES.items()
    for size, (enis, vcpus, gib) in sizes.items()
}
