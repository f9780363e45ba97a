"""Whether a cluster's services fit its capacity: the task sizes Fargate offers, and EC2 capacity
that holds a whole deployment (awsvpc: one ENI per task; platform_config/instance_capacity.py)."""

from __future__ import annotations

from collections.abc import Sequence

from container_constructs import defaults
from platform_config.ecs_service import ServiceConfig
from platform_config.instance_capacity import INSTANCE_CAPACITY, InstanceCapacity

# The task CPU (units) -> memory (MiB) pairs Fargate offers.
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}


def check_fargate_sizes(services: Sequence[ServiceConfig]) -> None:
    """Reject a service whose CPU and memory are not a task size Fargate offers."""
    for service in services:
        allowed = FARGATE_MEMORY_BY_CPU.get(service.cpu)
        if allowed is None:
            cpus = ", ".join(str(cpu) for cpu in FARGATE_MEMORY_BY_CPU)
            raise ValueError(
                f"services.{service.name}.cpu: {service.cpu} is not a Fargate task CPU; "
                f"allowed: {cpus}"
            )
        if service.memory_mib not in allowed:
            raise ValueError(
                f"services.{service.name}.memory_mib: Fargate does not offer {service.memory_mib} "
                f"MiB with {service.cpu} CPU units; allowed: {allowed[0]}-{allowed[-1]} "
                f"in steps of {allowed[1] - allowed[0]}"
            )


def task_slots(capacity: InstanceCapacity, services: Sequence[ServiceConfig]) -> int:
    """Tasks one instance holds: its ENIs, and its CPU and memory for the largest task."""
    cpu = max(service.cpu for service in services)
    memory = max(service.ec2_memory_mib for service in services)
    return min(
        capacity.task_enis,
        capacity.cpu_units // cpu,
        capacity.task_memory_mib // memory,
    )


def check_deployments_fit(
    instance_types: Sequence[str], max_instances: int, services: Sequence[ServiceConfig]
) -> None:
    """A rolling deployment runs up to twice each service's max_tasks; the Auto Scaling group at
    `max_instances` of its smallest instance type must hold them, or the new tasks stay in
    PROVISIONING and the deployment never finishes."""
    unknown = [name for name in instance_types if name not in INSTANCE_CAPACITY]
    if unknown:
        raise ValueError(
            f"instance_types: {', '.join(unknown)} not in the capacity table "
            "(platform_config/instance_capacity.py), so whether deployments fit cannot be "
            f"checked; known: {', '.join(sorted(INSTANCE_CAPACITY))}"
        )
    if not services:
        return
    smallest_name, smallest = min(
        ((name, INSTANCE_CAPACITY[name]) for name in instance_types),
        key=lambda item: task_slots(item[1], services),
    )
    for service in services:
        if service.cpu > smallest.cpu_units or service.ec2_memory_mib > smallest.task_memory_mib:
            raise ValueError(
                f"services.{service.name}: a task of {service.cpu} CPU units and "
                f"{service.ec2_memory_mib} MiB does not fit on {smallest_name} "
                f"({smallest.cpu_units} units, about {smallest.task_memory_mib} MiB for "
                f"tasks; each sidecar adds {defaults.SIDECAR_EC2_MEMORY_MIB} MiB); choose larger "
                "instance_types or a smaller task"
            )
    needed = sum(service.deployment_tasks for service in services)
    per_instance = task_slots(smallest, services)
    have = max_instances * per_instance
    if have < needed:
        instances = -(-needed // per_instance) if per_instance else None
        advice = (
            f"set ecs.ec2.max_instances to at least {instances}"
            if instances
            else "choose larger ecs.ec2.instance_types"
        )
        raise ValueError(
            f"max_instances ({max_instances}) x {per_instance} task slots on "
            f"{smallest_name} (the smallest of instance_types; awsvpc: one ENI per task, "
            f"{smallest.max_enis} ENIs including the instance's own) = {have} slots, but "
            f"deployments need {needed} (2 x max_tasks of every service, maximum percent "
            f"{defaults.DEPLOYMENT_MAXIMUM_PERCENT}); {advice}, choose ecs.ec2.instance_types "
            "with more ENIs, or lower the services' scaling.max_tasks"
        )
