"""What a deployed environment runs now against each vCPU quota, so that the quota check counts
only the rest of the account's usage as other workloads' (tools/account/quotas.py).

A quota's usage metric counts everything the account runs; on a redeploy that includes the
environment's own tasks and instances, which the deploy's need already counts. Subtracting what
the environment runs now leaves what other workloads run. Where the environment's share cannot
be enumerated exactly it is "not known", and the usage is reported only: the check never counts
the environment's capacity twice, so it never refuses a deploy for it.

* Fargate On-Demand and Spot: the tasks of the environment's ECS Fargate cluster (its name from
  the cluster stack's `ClusterName` output; ECS ListTasks and DescribeTasks), each its `cpu` / 1024
  vCPUs on its `capacityProviderName`. Not known when the EKS cluster has Fargate profiles (its
  pods count against the same quota).
* EC2 Standard On-Demand and Spot: the running and pending instances of the ECS EC2 cluster's
  Auto Scaling group (from the cluster stack's resources) and of the EKS cluster's managed node
  groups (EKS DescribeNodegroup's `resources.autoScalingGroups`), found by the
  `aws:autoscaling:groupName` tag EC2 Auto Scaling puts on the instances it launches, each its
  type's default vCPUs (DescribeInstanceTypes, as the need is
  counted), Spot when its `InstanceLifecycle` says so. Not known with the Managed Instances
  cluster or EKS Auto Mode (their instances are not in those groups).
* Application Load Balancers: those of the environment's ECS cluster stacks
  (DescribeStackResources), which hold every ALB the platform makes.
* Other quotas (target groups: spread over service stacks, some of which the app may no longer
  have but the account still runs): not known.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from platform_config import PlatformConfig
from stacks import names
from tools.account.elb_quotas import APPLICATION_LOAD_BALANCERS
from tools.account.instance_types import instance_vcpus, is_standard
from tools.account.quotas import (
    EC2_ON_DEMAND,
    EC2_SPOT,
    FARGATE_QUOTAS,
    OwnUsage,
    Quota,
    nothing_deployed,
)
from tools.account.session import described_stack, value_or_why

NOT_TOLD_APART = "what of it is this environment's is not told apart"
DESCRIBE_TASKS_BATCH = 100  # ECS DescribeTasks takes at most 100 tasks


def environment_usage(session: Any, config: PlatformConfig, not_deployed: bool | str) -> OwnUsage:
    """The environment's share of each quota's usage: nothing when it is not deployed, what it
    runs now when it is, not known when that cannot be told (`not_deployed` is then why)."""
    if not_deployed is True:
        return nothing_deployed
    if isinstance(not_deployed, str):
        reason = not_deployed
        return lambda _quota: reason
    # Looked up when a quota asks (one whose value was read), once for each kind of capacity.
    fargate = functools.cache(lambda: value_or_why(lambda: _fargate(session, config)))
    ec2 = functools.cache(lambda: value_or_why(lambda: _ec2(session, config)))
    albs = functools.cache(lambda: value_or_why(lambda: _load_balancers(session, config)))
    providers = {quota: provider for provider, quota in FARGATE_QUOTAS.items()}

    def own(quota: Quota) -> float | str:
        if quota in providers:
            tasks = fargate()
            return tasks if isinstance(tasks, str) else tasks.get(providers[quota], 0.0)
        if quota in (EC2_ON_DEMAND, EC2_SPOT):
            instances = ec2()
            spot = quota == EC2_SPOT
            return instances if isinstance(instances, str) else instances.get(spot, 0.0)
        if quota == APPLICATION_LOAD_BALANCERS:
            found: float | str = albs()
            return found
        return NOT_TOLD_APART

    return own


def _fargate(session: Any, config: PlatformConfig) -> dict[str, float] | str:
    """vCPUs by capacity provider (FARGATE, FARGATE_SPOT) of the Fargate cluster's tasks."""
    if config.eks.enabled and config.eks.compute.fargate_profiles:
        return "the EKS cluster's Fargate pods are not counted"
    if not config.ecs.fargate.enabled:
        return {}
    cluster = _output(session, config, names.ecs_cluster_unit("fargate"))
    if cluster is None:
        return {}
    ecs = session.client("ecs", region_name=config.region)
    arns = [
        arn
        for page in ecs.get_paginator("list_tasks").paginate(
            cluster=cluster, desiredStatus="RUNNING"
        )
        for arn in page["taskArns"]
    ]
    found: dict[str, float] = {}
    for start in range(0, len(arns), DESCRIBE_TASKS_BATCH):
        batch = arns[start : start + DESCRIBE_TASKS_BATCH]
        for task in ecs.describe_tasks(cluster=cluster, tasks=batch)["tasks"]:
            provider = task.get("capacityProviderName") or task.get("launchType")
            if provider in FARGATE_QUOTAS:
                found[provider] = found.get(provider, 0.0) + int(task["cpu"]) / 1024
    return found


def _ec2(session: Any, config: PlatformConfig) -> dict[bool, float] | str:
    """vCPUs of Standard instances by whether they are Spot, of the environment's groups."""
    if config.ecs.managed_instances.enabled:
        return "the Managed Instances cluster's instances are not counted"
    if config.eks.enabled and config.eks.compute.mode == "auto_mode":
        return "EKS Auto Mode's instances are not counted"
    ec2 = session.client("ec2", region_name=config.region)
    states = {"Name": "instance-state-name", "Values": ["pending", "running"]}
    running: list[tuple[str, bool]] = []  # (instance type, Spot) of each instance
    groups = sorted(set(_auto_scaling_groups(session, config)))
    # EC2 Auto Scaling tags each instance it launches with its group's name.
    group_filter = {"Name": "tag:aws:autoscaling:groupName", "Values": groups}
    if groups:
        pages = ec2.get_paginator("describe_instances").paginate(Filters=[group_filter, states])
        running.extend(
            (instance["InstanceType"], instance.get("InstanceLifecycle") == "spot")
            for page in pages
            for reservation in page["Reservations"]
            for instance in reservation["Instances"]
            if is_standard(instance["InstanceType"])
        )
    vcpus = instance_vcpus(ec2, {name for name, _ in running})
    unknown = sorted({name for name, _ in running} - set(vcpus))
    if unknown:
        return f"the vCPUs of {', '.join(unknown)} not read"
    found: dict[bool, float] = {}
    for name, spot in running:
        found[spot] = found.get(spot, 0.0) + vcpus[name]
    return found


def _auto_scaling_groups(session: Any, config: PlatformConfig) -> Iterator[str]:
    """The Auto Scaling groups the environment's instances run in: the ECS EC2 cluster's (a
    resource of its stack) and those of the EKS cluster's managed node groups (EKS
    DescribeNodegroup's `resources.autoScalingGroups`)."""
    if config.ecs.ec2.enabled:
        stack = names.stack_id(config.name, names.ecs_cluster_unit("ec2"))
        cloudformation = session.client("cloudformation", region_name=config.region)
        if described_stack(cloudformation, stack) is not None:
            resources = cloudformation.describe_stack_resources(StackName=stack)
            yield from (
                str(resource["PhysicalResourceId"])
                for resource in resources["StackResources"]
                if resource.get("ResourceType") == "AWS::AutoScaling::AutoScalingGroup"
                and resource.get("PhysicalResourceId")
            )
    if config.eks.enabled and config.eks.compute.node_groups:
        cluster = _output(session, config, names.EKS_UNIT)
        if cluster is not None:
            eks = session.client("eks", region_name=config.region)
            for page in eks.get_paginator("list_nodegroups").paginate(clusterName=cluster):
                for nodegroup in page["nodegroups"]:
                    described = eks.describe_nodegroup(clusterName=cluster, nodegroupName=nodegroup)
                    resources = described["nodegroup"].get("resources", {})
                    yield from (group["name"] for group in resources.get("autoScalingGroups", []))


def _load_balancers(session: Any, config: PlatformConfig) -> float:
    """The ALBs of the environment's ECS cluster stacks, which hold every ALB the platform makes:
    of every cluster kind, on or off in the config (a stack the app no longer has may still be
    deployed)."""
    cloudformation = session.client("cloudformation", region_name=config.region)
    count = 0
    for kind in config.ecs.clusters:
        stack = names.stack_id(config.name, names.ecs_cluster_unit(kind))
        if described_stack(cloudformation, stack) is None:
            continue
        resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
        count += sum(
            1
            for resource in resources
            if resource.get("ResourceType") == "AWS::ElasticLoadBalancingV2::LoadBalancer"
        )
    return float(count)


def _output(session: Any, config: PlatformConfig, unit: str) -> str | None:
    """The `ClusterName` output of the environment's stack of `unit` (None: no such stack)."""
    cloudformation = session.client("cloudformation", region_name=config.region)
    described: Mapping[str, Any] | None = described_stack(
        cloudformation, names.stack_id(config.name, unit)
    )
    if described is None:
        return None
    for output in described.get("Outputs", []):
        if output["OutputKey"] == names.CLUSTER_NAME_OUTPUT:
            return str(output["OutputValue"])
    return None
