"""The platform's plan rules: each module refuses one kind of change CloudFormation (or EKS) would
fail or lose data on, and says the sequence that works instead.

A rule module has `RULE_ID`, `TITLE` (one line), `ACCEPT_WHEN` (the documented cases where
`PLAN_ACCEPT=<rule id>` is right) and `check(transition) -> list[Refusal]`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from tools.plan.model import Refusal
from tools.plan.rules import (
    efs_owner,
    eks_addon_version,
    eks_auto_mode,
    eks_cluster_zones,
    eks_upgrade_policy,
    export_in_use,
    fixed_name,
    image_source,
    kubernetes_version,
    listener_certificate,
    node_group_version,
    stack_left_app,
    stateful_retained,
    subnet_cidr,
    unique_key,
)
from tools.plan.transition import Transition

RULES: tuple[ModuleType, ...] = (
    export_in_use,
    fixed_name,
    unique_key,
    listener_certificate,
    stateful_retained,
    efs_owner,
    image_source,
    subnet_cidr,
    kubernetes_version,
    node_group_version,
    eks_addon_version,
    eks_cluster_zones,
    eks_upgrade_policy,
    eks_auto_mode,
    stack_left_app,
)
RULE_IDS: tuple[str, ...] = tuple(rule.RULE_ID for rule in RULES)


def check_all(transition: Transition) -> list[Refusal]:
    """Every rule's refusals, in rule order."""
    refusals: list[Refusal] = []
    for rule in RULES:
        check: Callable[[Transition], list[Refusal]] = rule.check
        refusals.extend(check(transition))
    return refusals
