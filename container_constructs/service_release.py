"""How ECS releases a new revision of a web service: rolling, blue/green, canary or linear, with
the ECS deployment controller (no CodeDeploy). The blue/green family needs an alternate target
group and, on an ALB, a test listener rule beside the production rule; `route_to_service` adds
them with the production route.

AWS's rules (read 2026-12-03):
- https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html:
  two target groups (type ip for awsvpc tasks); ECS registers the new revision's tasks in the
  alternate one and rewrites the production listener rule's weights itself, with an
  infrastructure role that has AmazonECSInfrastructureRolePolicyForLoadBalancers.
- The ECS troubleshooting page for blue/green deployments: "For Application LoadBalancer,
  testListenerRule is required when productionListenerRule is not associated with both
  targetGroup and alternateTargetGroup": the production rule forwards to the primary group only,
  so the test rule forwards to the alternate one.
- https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-failure-detection.html:
  the circuit breaker and deployment alarms both work with rolling and blue/green deployments
  (the web service keeps its circuit breaker with rollback on every strategy).
- The resource schema of AWS::ECS::Service (cfn-lint's copy): Strategy, BakeTimeInMinutes,
  Canary/LinearConfiguration and LoadBalancers update in place; switching strategy does not
  replace the service.
Because ECS rewrites the production rule at every release, a later change of that rule's own
properties (its paths, hosts or priority) puts CloudFormation's forward action back; `make plan`
notes it (tools/plan/notes.py, docs/releasing.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_constructs import checks, defaults
from container_constructs.ecs_service_cluster import ServiceLoadBalancer
from container_constructs.listener_routes import ListenerRoutes, ListenerRoutesProps

Strategy = Literal["rolling", "blue_green", "canary", "linear"]
STRATEGIES: dict[str, ecs.DeploymentStrategy] = {
    "rolling": ecs.DeploymentStrategy.ROLLING,
    "blue_green": ecs.DeploymentStrategy.BLUE_GREEN,
    "canary": ecs.DeploymentStrategy.CANARY,
    "linear": ecs.DeploymentStrategy.LINEAR,
}


@dataclass(frozen=True, kw_only=True)
class ServiceReleaseProps:
    """How a service is released.

    Attributes:
        strategy: "rolling" (replace tasks; circuit breaker with rollback), "blue_green" (all
            traffic at once after the new revision is up), "canary" (`step_percent` first, then
            the rest) or "linear" (`step_percent` per step). Default: "rolling".
        bake_time: how long both revisions run after the last shift before ECS ends the
            release; ECS rolls back on a deployment alarm until then. Default: none (rolling).
        step_percent: canary share (0.1-100) or linear step (3-100), in tenths. Default: ECS's
            (canary 5, linear 10).
        step_bake_time: canary/linear: time between shifts, whole minutes 0-1440.
            Default: ECS's (canary 10 minutes, linear 6).
    """

    strategy: Strategy = defaults.RELEASE_STRATEGY
    bake_time: Duration | None = None
    step_percent: float | None = None
    step_bake_time: Duration | None = None

    @property
    def shifts_traffic(self) -> bool:
        """Whether the release needs an alternate target group (the blue/green family)."""
        return self.strategy != "rolling"

    def service_props(self) -> dict[str, Any]:
        """The ECS service props of this release (for `ecs.FargateService`/`Ec2Service`)."""
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"ServiceRelease: strategy '{self.strategy}'; allowed: {', '.join(STRATEGIES)}"
            )
        if self.strategy not in ("canary", "linear") and (
            self.step_percent is not None or self.step_bake_time is not None
        ):
            raise ValueError("ServiceRelease: step_percent/step_bake_time are canary/linear only")
        if self.step_percent is not None:
            low = 0.1 if self.strategy == "canary" else 3.0
            problem = checks.tenths_problem(self.step_percent, low=low)
            if problem:
                raise ValueError(f"ServiceRelease: step_percent {self.step_percent}; {problem}")
        props: dict[str, Any] = {"deployment_strategy": STRATEGIES[self.strategy]}
        if self.bake_time is not None:
            props["bake_time"] = self.bake_time
        shift = ecs.TrafficShiftConfig(
            step_percent=self.step_percent, step_bake_time=self.step_bake_time
        )
        if self.strategy == "canary":
            props["canary_configuration"] = shift
        elif self.strategy == "linear":
            props["linear_configuration"] = shift
        return props


@dataclass(frozen=True, kw_only=True)
class AlternateTargetSet:
    """What a traffic-shifting release adds beside the production route.

    Attributes:
        target_group: the alternate target group. Required.
        test_rule: the rule on the test listener that forwards to it. Required.
        role: the role ECS shifts traffic with. Required.
    """

    target_group: elbv2.ApplicationTargetGroup
    test_rule: elbv2.ApplicationListenerRule
    role: iam.Role


@dataclass(frozen=True, kw_only=True)
class ServiceRoutes:
    """How the ALB reaches a service (`route_to_service`).

    Attributes:
        target_group: the production target group. Required.
        listener_rule: the production listener rule, forwarding to `target_group`. Required.
        alternate: the alternate target group, test rule and role. Required (None: rolling).
    """

    target_group: elbv2.ApplicationTargetGroup
    listener_rule: elbv2.ApplicationListenerRule
    alternate: AlternateTargetSet | None


def with_test_routes(
    load_balancer: ServiceLoadBalancer, scope: Construct, construct_id: str
) -> ServiceLoadBalancer:
    """`load_balancer`, with services making their test rules by priority like their production
    rules, in a new `ListenerRoutes` `construct_id` of `scope` on its test listener (unchanged
    without one): a service renamed at its priority then updates its test rule in place."""
    if load_balancer.test_listener is None:
        return load_balancer
    routes = ListenerRoutes(
        scope, construct_id, props=ListenerRoutesProps(listener=load_balancer.test_listener)
    )
    return replace(load_balancer, test_routes=routes)


def route_to_service(
    scope: Construct,
    *,
    service: ecs.BaseService,
    release: ServiceReleaseProps,
    load_balancer: ServiceLoadBalancer,
    priority: int,
    path_patterns: Sequence[str],
    host_headers: Sequence[str],
    container_port: int,
    new_target_group: Callable[[str], elbv2.ApplicationTargetGroup],
    container_name: str = "app",
) -> ServiceRoutes:
    """Route the production listener's requests matching `path_patterns` and `host_headers` (at
    `priority`) to
    `service`'s container through a target group made by `new_target_group` (id: the handle's
    `target_group_id`; rule: the handle's `add_rule`), and for the blue/green family also the
    test listener's: an `Alternate<target_group_id>` with the same
    settings and a test rule with the same priority and conditions (priorities are per listener,
    so the test listener's rules are in the production ones' order). ECS starts each new
    revision behind the test rule, then shifts production traffic by the strategy."""
    target_group = new_target_group(load_balancer.target_group_id)
    rule = load_balancer.add_rule(
        scope,
        priority=priority,
        path_patterns=path_patterns,
        host_headers=host_headers,
        target_group=target_group,
    )
    if not release.shifts_traffic:
        service.load_balancer_target(
            container_name=container_name, container_port=container_port
        ).attach_to_application_target_group(target_group)
        return ServiceRoutes(target_group=target_group, listener_rule=rule, alternate=None)
    if load_balancer.test_listener is None:
        raise ValueError(
            f"release strategy '{release.strategy}' needs the ALB's test listener "
            "(ServiceLoadBalancer.test_listener)"
        )
    # One alternate group per ALB too, like the production one (a target group serves one ALB).
    alternate = new_target_group(f"Alternate{load_balancer.target_group_id}")
    test_rule = load_balancer.add_rule(
        scope,
        priority=priority,
        path_patterns=path_patterns,
        host_headers=host_headers,
        target_group=alternate,
        test=True,
    )
    role = iam.Role(
        scope,
        "ReleaseRole",
        assumed_by=iam.ServicePrincipal("ecs.amazonaws.com"),
        description="ECS shifts the service's listener rules between its target groups",
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name(
                "AmazonECSInfrastructureRolePolicyForLoadBalancers"
            )
        ],
    )
    Validations.of(role).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
            "AmazonECSInfrastructureRolePolicyForLoadBalancers]",
            reason="The policy AWS documents for ECS blue/green, linear and canary releases "
            "(alb-resources-for-blue-green); AWS keeps it current with what ECS calls",
        )
    )
    service.load_balancer_target(
        container_name=container_name,
        container_port=container_port,
        alternate_target=ecs.AlternateTarget(
            "AlternateTarget",
            alternate_target_group=alternate,
            production_listener=ecs.ListenerRuleConfiguration.application_listener_rule(rule),
            test_listener=ecs.ListenerRuleConfiguration.application_listener_rule(test_rule),
            role=role,
        ),
    ).attach_to_application_target_group(target_group)
    return ServiceRoutes(
        target_group=target_group,
        listener_rule=rule,
        alternate=AlternateTargetSet(target_group=alternate, test_rule=test_rule, role=role),
    )
