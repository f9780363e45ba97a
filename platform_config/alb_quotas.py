"""The Application Load Balancer quotas the config checks, and what one service adds to an ALB."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlbQuota:
    """One Application Load Balancer quota: AWS's name, its default value, adjustable or not."""

    name: str
    limit: int
    adjustable: bool


# Elastic Load Balancing User Guide for Application Load Balancers, "Quotas for your Application
# Load Balancers" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/
# load-balancer-limits.html), default values as read on 2026-11-29. docs/design.md "Scaling"
# shows them. The adjustable ones are checked against their defaults: change the value here with
# the account's quota.
ALB_QUOTAS_SOURCE = (
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html"
)
ALB_QUOTAS_READ = "2026-11-29"
TARGET_GROUPS_PER_ALB = AlbQuota("Target Groups per Application Load Balancer", 100, False)
RULES_PER_ALB = AlbQuota("Rules per Application Load Balancer (excluding default rules)", 100, True)
CERTIFICATES_PER_ALB = AlbQuota(
    "Certificates per Application Load Balancer (excluding default certificates)", 25, True
)
TARGETS_PER_ALB = AlbQuota("Targets per Application Load Balancer", 1000, True)
ALBS_PER_REGION = AlbQuota("Application Load Balancers per Region", 50, True)
TARGET_GROUPS_PER_REGION = AlbQuota("Target Groups per Region", 3000, True)  # shared with NLBs
CONDITION_VALUES_PER_RULE = AlbQuota("Condition values per rule", 5, False)
# Read on 2026-12-03 (platform_config/listener_rules.py, where the rule values are checked).
CONDITION_WILDCARDS_PER_RULE = AlbQuota("Condition wildcards per rule", 5, False)
ALB_QUOTAS = (
    TARGET_GROUPS_PER_ALB,
    RULES_PER_ALB,
    CERTIFICATES_PER_ALB,
    TARGETS_PER_ALB,
    ALBS_PER_REGION,
    TARGET_GROUPS_PER_REGION,
    CONDITION_VALUES_PER_RULE,
    CONDITION_WILDCARDS_PER_RULE,
)

# Target groups one service adds to its ALB (1 today; 2 with blue/green deployments).
TARGET_GROUPS_PER_SERVICE = 1


def listener_rules_per_service(https: bool) -> dict[str, int]:
    """Listener rules one service adds, per listener of its ALB: with HTTPS one rule on the HTTPS
    listener and none on HTTP (its default action redirects); HTTP only: one rule on HTTP."""
    return {"HTTPS:443": 1, "HTTP:80": 0} if https else {"HTTP:80": 1}


def max_services_per_load_balancer() -> int:
    """The most services one ALB holds within its target-group and rule quotas."""
    rules = max(sum(listener_rules_per_service(https).values()) for https in (False, True))
    return min(
        TARGET_GROUPS_PER_ALB.limit // TARGET_GROUPS_PER_SERVICE, RULES_PER_ALB.limit // rules
    )
