"""The checks of `make verify` on deployed resources: every stack complete, every ECS service
steady, every target group's targets healthy, every EKS cluster, node group and add-on ACTIVE."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from platform_config import PlatformConfig
from stacks import names
from tools.verify.deployed import COMPLETE_STACK_STATES, DeployedStack, physical_ids
from tools.verify.report import FAIL, OK, SKIP, Report

ECS_SERVICE = "AWS::ECS::Service"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
EKS_CLUSTER = "AWS::EKS::Cluster"


def check_stacks(report: Report, stacks: Sequence[DeployedStack]) -> None:
    if not stacks:
        report.add("stack", f"{names.stack_prefix(report.environment)}*", FAIL, "no deployed stack")
    for stack in stacks:
        status = OK if stack.status in COMPLETE_STACK_STATES else FAIL
        report.add("stack", stack.name, status, stack.status)


def check_clusters(
    report: Report, stacks: Sequence[DeployedStack], config: PlatformConfig | None
) -> None:
    """Each ECS cluster of the config: on, with its cluster stack deployed, or off (SKIP)."""
    if config is None:
        return
    deployed = {stack.name for stack in stacks}
    for kind, cluster in config.ecs.clusters.items():
        stack = names.stack_id(report.environment, names.ecs_cluster_unit(kind))
        if not cluster.enabled:
            report.add("cluster", f"ecs.{kind}", SKIP, "off (enabled: false): no stack, no ALB")
        elif stack in deployed:
            albs = len(cluster.assign_load_balancers())
            report.add(
                "cluster",
                f"ecs.{kind}",
                OK,
                f"on: {stack} deployed, {albs} ALB(s)"
                + ("" if albs else " (no service needs a load balancer)"),
            )
        else:
            report.add("cluster", f"ecs.{kind}", FAIL, f"on, but {stack} is not deployed")


def service_problems(service: dict[str, Any], minimum: int | None = None) -> list[str]:
    """Why an ECS DescribeServices entry is not steady ([] when it is). `minimum`: the
    MinCapacity of the scalable target that sizes it (None: none found). Its template sets no
    task count (container_constructs/service_base.py), so a new service starts at one task and
    its scalable target raises it to the minimum when it registers: a count below is one that
    never was raised."""
    problems = []
    if service.get("status") != "ACTIVE":
        problems.append(f"status {service.get('status')}")
    deployments = service.get("deployments", [])
    primary = [d for d in deployments if d.get("status") == "PRIMARY"]
    if len(deployments) != 1 or len(primary) != 1:
        states = ", ".join(str(d.get("status")) for d in deployments) or "none"
        problems.append(f"{len(deployments)} deployment(s) ({states}), want one PRIMARY")
    for deployment in primary:
        rollout = deployment.get("rolloutState")
        if rollout is not None and rollout != "COMPLETED":
            reason = deployment.get("rolloutStateReason")
            problems.append(f"rolloutState {rollout}" + (f" ({reason})" if reason else ""))
    running, desired = service.get("runningCount"), service.get("desiredCount")
    if minimum is not None and isinstance(desired, int) and desired < minimum:
        problems.append(f"desiredCount {desired} below its auto scaling minimum {minimum}")
    if running != desired:
        problems.append(
            f"runningCount {running} != desiredCount {desired} "
            f"(pending {service.get('pendingCount')})"
        )
    return problems


def _cluster_of(service_arn: str) -> str | None:
    """The cluster of a long-format service ARN (arn:...:service/CLUSTER/NAME), else None."""
    resource = service_arn.rpartition(":")[2]
    parts = resource.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == "service" else None


def scaling_minimum(autoscaling: Any, cluster: str, service_name: str) -> int | None:
    """The MinCapacity of the scalable target of ECS service `service_name` on `cluster`
    (Application Auto Scaling DescribeScalableTargets), None if it has none."""
    targets = autoscaling.describe_scalable_targets(
        ServiceNamespace="ecs",
        ResourceIds=[f"service/{cluster}/{service_name}"],
        ScalableDimension="ecs:service:DesiredCount",
    )["ScalableTargets"]
    return min((int(target["MinCapacity"]) for target in targets), default=None)


def check_ecs(
    report: Report, ecs: Any, stacks: Sequence[DeployedStack], autoscaling: Any = None
) -> None:
    """Each deployed ECS service steady, and (with `autoscaling`, an Application Auto Scaling
    client) at no fewer tasks than its scalable target's minimum."""
    services = physical_ids(stacks, ECS_SERVICE)
    if not services:
        report.add("ecs", "services", SKIP, "no AWS::ECS::Service in the deployed stacks")
    for stack_name, arn in services:
        subject = f"{stack_name} {arn.rpartition('/')[2]}"
        cluster = _cluster_of(arn)
        if cluster is None:
            report.add("ecs", subject, FAIL, f"cannot tell the cluster of {arn}")
            continue
        found = ecs.describe_services(cluster=cluster, services=[arn])
        if not found.get("services"):
            failure = "; ".join(
                f"{f.get('arn')}: {f.get('reason')}" for f in found.get("failures", [])
            )
            report.add("ecs", subject, FAIL, f"not found ({failure or 'no answer'})")
            continue
        service = found["services"][0]
        minimum = (
            None
            if autoscaling is None
            else scaling_minimum(autoscaling, cluster, str(service.get("serviceName")))
        )
        problems = service_problems(service, minimum)
        if problems:
            report.add("ecs", subject, FAIL, "; ".join(problems))
        else:
            report.add(
                "ecs",
                subject,
                OK,
                f"steady: {service['runningCount']}/{service['desiredCount']} running, "
                "one PRIMARY deployment",
            )


def check_target_groups(report: Report, elbv2: Any, stacks: Sequence[DeployedStack]) -> None:
    groups = physical_ids(stacks, TARGET_GROUP)
    if not groups:
        report.add("targets", "target groups", SKIP, "no target group in the deployed stacks")
    for stack_name, arn in groups:
        subject = f"{stack_name} {arn.rpartition(':')[2]}"
        descriptions = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        if not descriptions:
            report.add("targets", subject, FAIL, "no registered targets")
            continue
        unhealthy = [
            f"{d['Target']['Id']}:{d['Target'].get('Port', '')} {d['TargetHealth'].get('State')}"
            + (f" ({d['TargetHealth']['Reason']})" if d["TargetHealth"].get("Reason") else "")
            for d in descriptions
            if d.get("TargetHealth", {}).get("State") != "healthy"
        ]
        if unhealthy:
            report.add(
                "targets",
                subject,
                FAIL,
                f"{len(unhealthy)}/{len(descriptions)} not healthy: {', '.join(unhealthy)}",
            )
        else:
            report.add("targets", subject, OK, f"{len(descriptions)} target(s) healthy")


def check_eks(
    report: Report, eks: Any, stacks: Sequence[DeployedStack], config: PlatformConfig | None
) -> None:
    clusters = physical_ids(stacks, EKS_CLUSTER)
    if not clusters:
        enabled = config is not None and config.eks.enabled
        report.add(
            "eks",
            "cluster",
            FAIL if enabled else SKIP,
            "eks.enabled, but no deployed stack has an AWS::EKS::Cluster"
            if enabled
            else "no AWS::EKS::Cluster in the deployed stacks (eks disabled)",
        )
    for stack_name, name in clusters:
        status = eks.describe_cluster(name=name)["cluster"]["status"]
        report.add(
            "eks", f"{stack_name} cluster {name}", OK if status == "ACTIVE" else FAIL, status
        )
        nodegroups = _paginate(eks, "list_nodegroups", "nodegroups", clusterName=name)
        if not nodegroups:
            report.add(
                "eks", f"{stack_name} {name} node groups", SKIP, "the cluster has no node group"
            )
        for nodegroup in nodegroups:
            group = eks.describe_nodegroup(clusterName=name, nodegroupName=nodegroup)["nodegroup"]
            detail = group["status"] + _health_issues(group.get("health", {}).get("issues", []))
            report.add(
                "eks",
                f"{name} nodegroup {nodegroup}",
                OK if group["status"] == "ACTIVE" else FAIL,
                detail,
            )
        addons = _paginate(eks, "list_addons", "addons", clusterName=name)
        if not addons:
            report.add("eks", f"{stack_name} {name} add-ons", SKIP, "the cluster has no add-on")
        for addon_name in addons:
            addon = eks.describe_addon(clusterName=name, addonName=addon_name)["addon"]
            detail = addon["status"] + _health_issues(addon.get("health", {}).get("issues", []))
            report.add(
                "eks",
                f"{name} addon {addon_name}",
                OK if addon["status"] == "ACTIVE" else FAIL,
                detail,
            )


def _health_issues(issues: Iterable[dict[str, Any]]) -> str:
    text = "; ".join(f"{i.get('code')}: {i.get('message')}" for i in issues)
    return f" ({text})" if text else ""


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[str]:
    return [
        item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]
    ]
