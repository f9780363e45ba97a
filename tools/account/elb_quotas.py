"""Whether the account's Elastic Load Balancing quotas hold the load balancers and target groups
the environment creates (tools.account.check reports it beside the vCPU quotas).

"Application Load Balancers per Region" (default 50) and "Target Groups per Region" (default
3,000, shared by Application and Network Load Balancers) are per account and region ("Quotas
for your Application Load Balancers",
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html,
read 2026-12-05). Past them ELB refuses the create (TooManyLoadBalancers, TooManyTargetGroups,
the CreateLoadBalancer and CreateTargetGroup errors of the ELB API reference), and the cluster
or service stack fails and rolls back after the stacks before it were deployed.

What the environment needs comes from the config by the placement rules the stacks build with
(`ClusterConfig.assign_load_balancers`, `alb_usage`): every ALB of every enabled ECS cluster,
and the target groups its web services add (a traffic-shifting release's second one included).
What the account has now is counted with ELB's own API (DescribeLoadBalancers of type
application, DescribeTargetGroups): before the environment's first deploy all of it is other
workloads' and counts against the quota beside the environment; once deployed, the ALBs of the
environment's cluster stacks are its own and the rest counts, while target groups (spread over
service stacks) are reported only (tools/account/own_usage.py). Load
balancers that Kubernetes controllers create in the EKS cluster are not in the config and not
counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from platform_config import PlatformConfig
from tools.account.quotas import (
    NOT_READ,
    Need,
    OwnUsage,
    Quota,
    QuotaStatus,
    quota_value,
    usage,
)
from tools.account.session import value_or_why

_REFUSED = (
    "ELB refuses the {what} past it ({error}), so the stack that creates it would fail and roll "
    "back"
)
APPLICATION_LOAD_BALANCERS = Quota(
    "elasticloadbalancing",
    "L-53DA6B97",
    "Application Load Balancers per Region",
    unit="load balancers",
    past=_REFUSED.format(what="load balancer", error="TooManyLoadBalancers"),
)
TARGET_GROUPS = Quota(
    "elasticloadbalancing",
    "L-B22855CB",
    "Target Groups per Region",
    unit="target groups",
    past=_REFUSED.format(what="target group", error="TooManyTargetGroups"),
)


def elb_needs(config: PlatformConfig) -> dict[Quota, Need]:
    """The ALBs and target groups the environment's ECS clusters create."""
    found: dict[Quota, Need] = {}
    for kind, cluster in config.ecs.enabled_clusters.items():
        albs = cluster.assign_load_balancers()
        if not albs:
            continue
        groups = sum(
            cluster.alb_usage(key, services).target_groups for key, services in albs.items()
        )
        use = f"ecs.{kind}"
        found.setdefault(APPLICATION_LOAD_BALANCERS, Need()).add(len(albs), len(albs), use)
        found.setdefault(TARGET_GROUPS, Need()).add(groups, groups, use)
    return found


def check_elb_quotas(config: PlatformConfig, session: Any, own: OwnUsage) -> list[QuotaStatus]:
    """Each ELB quota the environment needs, its value and what the account has now (`own`: the
    environment's share). Raises only botocore's NoCredentialsError."""
    needed = elb_needs(config)
    if not needed:
        return []
    quotas = session.client("service-quotas", region_name=config.region)
    elb = session.client("elbv2", region_name=config.region)
    counters: dict[Quota, Callable[[], float]] = {
        APPLICATION_LOAD_BALANCERS: lambda: _count(
            elb, "describe_load_balancers", "LoadBalancers", "application"
        ),
        TARGET_GROUPS: lambda: _count(elb, "describe_target_groups", "TargetGroups", None),
    }
    statuses = []
    for quota, need in needed.items():
        value, _, reason = quota_value(quotas, quota)
        used = usage(value_or_why(counters[quota]), quota, own) if value is not None else NOT_READ
        statuses.append(QuotaStatus(quota, need, value, reason, used))
    return statuses


def _count(elb: Any, operation: str, key: str, of_type: str | None) -> float:
    pages = elb.get_paginator(operation).paginate()
    return float(
        sum(
            1
            for page in pages
            for item in page[key]
            if of_type is None or item.get("Type") == of_type
        )
    )
