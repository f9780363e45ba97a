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

from aws_cdk import Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

# The id of a service's own rule (`<service>/ListenerRule`), which `keep_ids` reproduces.
SERVICE_RULE_ID = "ListenerRule"


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
        keep_ids: priority -> the construct id, directly in this construct's stack, of a service
            whose own rule (`<id>/ListenerRule`, as `ServiceLoadBalancer.add_rule` makes it
            without routes) the rule at that priority keeps: its logical id, so that a rule
            deployed before rules were made by priority is updated in place rather than replaced
            (a replacement at the same priority fails with PriorityInUse). Default: none.
    """

    listener: elbv2.IApplicationListener
    keep_ids: Mapping[int, str] = field(default_factory=dict)


class ListenerRoutes(Construct):
    """The rules of one listener that the services of one stack add (`add`), one per priority:
    rule `Priority<N>` of this construct, or a kept id (`ListenerRoutesProps.keep_ids`).

    Attributes:
        listener: the listener the rules go on.
        rules: every rule added, by priority.
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: ListenerRoutesProps) -> None:
        super().__init__(scope, construct_id)
        self.listener = props.listener
        self._keep_ids = dict(props.keep_ids)
        self.rules: dict[int, elbv2.ApplicationListenerRule] = {}
        self._hosts: dict[str, Construct] = {}

    def add(
        self,
        *,
        priority: int,
        target_group: elbv2.IApplicationTargetGroup,
        path_patterns: Sequence[str] = (),
        host_headers: Sequence[str] = (),
        service: Construct | None = None,
    ) -> elbv2.ApplicationListenerRule:
        """The rule at `priority` forwarding the requests its conditions match to `target_group`.

        Args:
            priority: unique among this listener's rules. Required.
            target_group: where matched requests go. Required.
            path_patterns: path conditions (this or host_headers). Default: none.
            host_headers: host conditions (this or path_patterns). Default: none.
            service: the construct of the service that routes here, if it may be the one whose
                rule `keep_ids` keeps (its id in the stack): the kept rule is then made in it.
                Default: None.
        """
        if priority in self.rules:
            # Unreachable from config: route priorities are unique per cluster.
            raise ValueError(
                f"ListenerRoutes {self.node.path}: priority {priority} is already routed"
            )
        self.rules[priority] = elbv2.ApplicationListenerRule(
            *self._place(priority, service),
            listener=self.listener,
            priority=priority,
            conditions=rule_conditions(path_patterns, host_headers),
            target_groups=[target_group],
        )
        return self.rules[priority]

    def _place(self, priority: int, service: Construct | None) -> tuple[Construct, str]:
        """Where the rule at `priority` is made: `<kept id>/ListenerRule` in the stack, else
        `Priority<N>` here."""
        kept = self._keep_ids.get(priority)
        if kept is None:
            return self, f"Priority{priority}"
        stack = Stack.of(self)
        if service is not None and service.node.path == f"{stack.node.path}/{kept}":
            return service, SERVICE_RULE_ID
        if kept not in self._hosts:
            # The service this id belonged to is gone (renamed): a construct in its place holds
            # only the rule.
            self._hosts[kept] = Construct(stack, kept)
        return self._hosts[kept], SERVICE_RULE_ID
