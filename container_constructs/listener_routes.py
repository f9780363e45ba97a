"""The listener rules a group of services adds to one ALB listener, each made under an id of its
priority, so that a rule's CloudFormation identity is the key Elastic Load Balancing keeps unique.

Why by priority: ELB refuses a second rule at a priority of a listener ("PriorityInUse",
CreateRule, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html,
read 2026-12-03), and CloudFormation creates a resource of a new logical id before it deletes the
old one at the end of the update. A rule named after its service (the `ServiceLoadBalancer`
default, `<service>/ListenerRule`) therefore clashes with itself when the service is renamed at
the same priority. Named after its priority, the rule stays the same resource: a rename changes
only its action (forward to the new service's target group), a priority change deletes one rule
and creates another at a free priority, and two services of one `ListenerRoutes` that swap
priorities update two rules in place (conditions and actions; no priority moves). `ListenerRule`'s
only create-only property is `ListenerArn` (its resource schema, `createOnlyProperties`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from aws_cdk import CfnElement, CfnResource, Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

# The id of a service's own rule (`<service>/ListenerRule`), whose logical id `keep_ids` keeps.
SERVICE_RULE_ID = "ListenerRule"
RULE_TYPE = "AWS::ElasticLoadBalancingV2::ListenerRule"


def service_rule_logical_id(service_id: str) -> str:
    """The logical id of the rule a service of construct id `service_id` (directly in its stack)
    makes for itself, `<service_id>/ListenerRule` (an `ApplicationListenerRule`, whose resource
    is its child `Resource`): asked of aws-cdk-lib, in a throwaway stack of its own app."""
    scratch = Stack()
    rule = Construct(Construct(scratch, service_id), SERVICE_RULE_ID)
    return scratch.get_logical_id(CfnResource(rule, "Resource", type=RULE_TYPE))


def rule_conditions(
    path_patterns: Sequence[str], host_headers: Sequence[str]
) -> list[elbv2.ListenerCondition]:
    """A rule's conditions: its path patterns and/or host headers (at least one of them)."""
    if not path_patterns and not host_headers:
        raise ValueError("a listener rule needs path_patterns and/or host_headers")
    conditions = []
    if path_patterns:
        conditions.append(elbv2.ListenerCondition.path_patterns(list(path_patterns)))
    if host_headers:
        conditions.append(elbv2.ListenerCondition.host_headers(list(host_headers)))
    return conditions


@dataclass(frozen=True, kw_only=True)
class ListenerRoutesProps:
    """Props of `ListenerRoutes`.

    Attributes:
        listener: the listener the rules go on (of this stack, or imported). Required.
        keep_ids: priority -> the construct id, directly in this construct's stack, of a
            service whose own rule (`<id>/ListenerRule`, as `ServiceLoadBalancer.add_rule` makes
            it without routes) the rule at that priority keeps the logical id of
            (`service_rule_logical_id`), so that a rule deployed before rules were made by
            priority is updated in place rather than replaced (a replacement at the same priority
            fails with PriorityInUse). The rule itself is `Priority<N>` here like any other (its
            `aws:cdk:path` says so). Default: none.
    """

    listener: elbv2.IApplicationListener
    keep_ids: Mapping[int, str] = field(default_factory=dict)


class ListenerRoutes(Construct):
    """The rules of one listener that the services of one stack add (`add`), one per priority:
    rule `Priority<N>` of this construct, with a kept logical id where `keep_ids` says.

    Attributes:
        listener: the listener the rules go on.
        rules: every rule added, by priority.
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: ListenerRoutesProps) -> None:
        super().__init__(scope, construct_id)
        self.listener = props.listener
        self._keep_ids = dict(props.keep_ids)
        self.rules: dict[int, elbv2.ApplicationListenerRule] = {}

    def add(
        self,
        *,
        priority: int,
        target_group: elbv2.IApplicationTargetGroup,
        path_patterns: Sequence[str] = (),
        host_headers: Sequence[str] = (),
    ) -> elbv2.ApplicationListenerRule:
        """The rule at `priority` forwarding the requests its conditions match to `target_group`.

        Args:
            priority: unique among this listener's rules. Required.
            target_group: where matched requests go. Required.
            path_patterns: path conditions (this or host_headers). Default: none.
            host_headers: host conditions (this or path_patterns). Default: none.
        """
        if priority in self.rules:
            # Unreachable from config: route priorities are unique per cluster.
            raise ValueError(
                f"ListenerRoutes {self.node.path}: priority {priority} is already routed"
            )
        rule = elbv2.ApplicationListenerRule(
            self,
            f"Priority{priority}",
            listener=self.listener,
            priority=priority,
            conditions=rule_conditions(path_patterns, host_headers),
            target_groups=[target_group],
        )
        kept = self._keep_ids.get(priority)
        if kept is not None:
            resource = cast(CfnElement, rule.node.default_child)
            resource.override_logical_id(service_rule_logical_id(kept))
        self.rules[priority] = rule
        return rule
