"""The listeners of a shared ALB and the rules services put on them, as constructs: the listener
services attach to is one resource with and without a certificate (HTTPS on and off update it in
place), the redirect listener is made after it, and `ListenerRoutes` names each rule after its
priority (or keeps a service's former rule id). What the whole platform's templates do across a
switch is tests/test_day_two_ecs.py."""

from __future__ import annotations

from typing import Any, cast

import pytest
from aws_cdk import CfnElement, Environment, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from container_constructs import defaults
from container_constructs.ecs_service_cluster import ServiceLoadBalancer
from container_constructs.listener_routes import (
    ListenerRoutes,
    ListenerRoutesProps,
    service_rule_logical_id,
)
from container_constructs.load_balancer import (
    HTTPS_FIRST_LISTENER_IDS,
    LISTENER_IDS,
    SharedLoadBalancer,
    SharedLoadBalancerProps,
    additional_certificate_id,
)
from tests.helpers.apps import project_app

CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-1111-2222-3333-444455556666"
# Two more certificates (A, B) for SNI.
MORE = tuple(CERTIFICATE.replace("0f0e0d0c", prefix) for prefix in ("0a0a0a0a", "0b0b0b0b"))
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
LISTENER_CERTIFICATE = "AWS::ElasticLoadBalancingV2::ListenerCertificate"
RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
TEST_PORTS = {
    "http": defaults.TEST_LISTENER_PORT_HTTP,
    "https": defaults.TEST_LISTENER_PORT_HTTPS,
}


def _balancer(**props: Any) -> tuple[dict[str, Any], SharedLoadBalancer]:
    app = project_app()
    stack = Stack(app, "Alb", env=Environment(account="111122223333", region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=1)
    balancer = SharedLoadBalancer(stack, "Shared", props=SharedLoadBalancerProps(vpc=vpc, **props))
    template: dict[str, Any] = app.synth().get_stack_by_name("Alb").template
    return template, balancer


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _ingress_ports(template: dict[str, Any], balancer: SharedLoadBalancer) -> list[int]:
    """The ALB's ingress ports but its test listener's (from the VPC only)."""
    group = Stack.of(balancer).get_logical_id(balancer.security_group.node.default_child)  # type: ignore[arg-type]
    rules = template["Resources"][group]["Properties"]["SecurityGroupIngress"]
    return [rule["FromPort"] for rule in rules if rule["FromPort"] not in TEST_PORTS.values()]


def _listeners(template: dict[str, Any], balancer: SharedLoadBalancer) -> dict[str, Any]:
    """The ALB's listeners but its test listener (whose port says HTTP or HTTPS), checked here."""
    listeners = _of_type(template, LISTENER)
    assert balancer.test_listener is not None
    test = listeners.pop(_listener_id(balancer, balancer.test_listener))
    assert test["Properties"]["Port"] == TEST_PORTS[balancer.scheme]
    return listeners


@pytest.fixture(scope="module")
def http() -> tuple[dict[str, Any], SharedLoadBalancer]:
    return _balancer()


@pytest.fixture(scope="module")
def https() -> tuple[dict[str, Any], SharedLoadBalancer]:
    return _balancer(certificate_arn=CERTIFICATE)


def _listener_id(balancer: SharedLoadBalancer, listener: elbv2.ApplicationListener) -> str:
    return Stack.of(balancer).get_logical_id(listener.node.default_child)  # type: ignore[arg-type]


def test_the_listener_services_attach_to_is_one_resource_with_and_without_https(
    http: tuple[dict[str, Any], SharedLoadBalancer],
    https: tuple[dict[str, Any], SharedLoadBalancer],
) -> None:
    (plain, plain_balancer), (secure, secure_balancer) = http, https
    serving = _listener_id(plain_balancer, plain_balancer.listener)
    assert serving == _listener_id(secure_balancer, secure_balancer.listener)
    assert plain_balancer.listener.node.id == LISTENER_IDS[0] == "Http"
    assert {k: v["Properties"]["Port"] for k, v in _listeners(plain, plain_balancer).items()} == {
        serving: 80
    }
    listeners = _listeners(secure, secure_balancer)
    assert secure_balancer.redirect_listener is not None
    redirect = _listener_id(secure_balancer, secure_balancer.redirect_listener)
    assert {k: v["Properties"]["Protocol"] for k, v in listeners.items()} == {
        serving: "HTTPS",
        redirect: "HTTP",
    }
    assert listeners[serving]["Properties"]["Port"] == 443
    assert listeners[redirect]["Properties"]["DefaultActions"][0]["Type"] == "redirect"
    # Made after the serving listener leaves port 80 in the same update.
    assert listeners[redirect]["DependsOn"] == [serving]
    assert _ingress_ports(plain, plain_balancer) == [80]
    assert _ingress_ports(secure, secure_balancer) == [80, 443]
    assert (plain_balancer.scheme, secure_balancer.scheme) == ("http", "https")


def test_https_without_the_redirect_listener() -> None:
    template, balancer = _balancer(certificate_arn=CERTIFICATE, http_redirect=False)
    assert balancer.redirect_listener is None
    assert [v["Properties"]["Port"] for v in _listeners(template, balancer).values()] == [443]
    assert _ingress_ports(template, balancer) == [443]


def test_an_alb_deployed_with_https_first_keeps_its_listener_ids() -> None:
    _template, balancer = _balancer(
        certificate_arn=CERTIFICATE, listener_ids=HTTPS_FIRST_LISTENER_IDS
    )
    assert balancer.redirect_listener is not None
    assert (balancer.listener.node.id, balancer.redirect_listener.node.id) == ("Https", "Http")


def _attached(*arns: str) -> dict[str, str]:
    """Logical id -> certificate of each ListenerCertificate of an HTTPS ALB with `arns` more
    certificates, each checked to be one certificate on the services' listener."""
    template, balancer = _balancer(certificate_arn=CERTIFICATE, additional_certificate_arns=arns)
    found = {}
    for logical_id, resource in _of_type(template, LISTENER_CERTIFICATE).items():
        properties = resource["Properties"]
        assert properties["ListenerArn"] == {"Ref": _listener_id(balancer, balancer.listener)}
        (certificate,) = [c["CertificateArn"] for c in properties["Certificates"]]
        found[logical_id] = certificate
    return found


def test_additional_certificates_are_keyed_by_the_certificate_not_its_place() -> None:
    """Dropping the first of two certificates or reordering them leaves the other's resource as
    it was (not updated to another certificate): each resource is named after its certificate."""
    a, b = MORE
    both = _attached(a, b)
    assert sorted(both.values()) == sorted(MORE)
    assert _attached(b, a) == both
    assert _attached(b) == {k: v for k, v in both.items() if v == b}
    assert additional_certificate_id(a) == "Certificate-0a0a0a0a-1111-2222-3333-444455556666"
    (b_id,) = (k for k, v in both.items() if v == b)
    assert b_id.startswith("SharedLoadBalancerHttpCertificate0b0b0b0b111122223333444455556666")
    # The redirect listener follows the listener's resource only: certificates leave it as is.
    template, balancer = _balancer(certificate_arn=CERTIFICATE, additional_certificate_arns=MORE)
    assert balancer.redirect_listener is not None
    redirect = template["Resources"][_listener_id(balancer, balancer.redirect_listener)]
    assert redirect["DependsOn"] == [_listener_id(balancer, balancer.listener)]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"http_redirect": False}, "http_redirect off needs certificate_arn"),
        ({"listener_ids": ("Http", "Http")}, "listener_ids must differ"),
        (
            {"certificate_arn": CERTIFICATE, "additional_certificate_arns": [MORE[0], MORE[0]]},
            f"lists certificate {MORE[0]} twice; allowed: each certificate once",
        ),
        (
            {
                "certificate_arn": CERTIFICATE,
                "additional_certificate_arns": [MORE[0], MORE[0].replace("us-east-1", "eu-west-1")],
            },
            "of the same id; allowed: each certificate once",
        ),
        (
            {
                "certificate_arn": CERTIFICATE,
                "additional_certificate_arns": [Token.as_string({"Ref": "Certificate"})],
            },
            "must be literal ARNs",
        ),
    ],
)
def test_load_balancer_rejects_bad_listener_props(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _balancer(**props)


def _routed(
    service: str, priority: int, *, keep: dict[int, str] | None, routes_id: str = "Routes"
) -> str:
    """The logical id of the rule that service construct `service` gets at `priority`: through a
    `ListenerRoutes` (keeping `keep`), or (keep None) on a handle without routes."""
    app = project_app()
    stack = Stack(app, "Services", env=Environment(account="111122223333", region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=0)
    handle = ServiceLoadBalancer.from_attributes(
        stack,
        "Alb",
        listener_arn="arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/a/1/2",
        security_group_id="sg-0123456789abcdef0",
        scheme="http",
        dns_name="a.example.com",
    )
    if keep is not None:
        routes = ListenerRoutes(
            stack, routes_id, props=ListenerRoutesProps(listener=handle.listener, keep_ids=keep)
        )
        handle = handle.with_routes(routes)
    owner = Construct(stack, service)
    target_group = elbv2.ApplicationTargetGroup(
        owner, "TargetGroup", vpc=vpc, port=8080, target_type=elbv2.TargetType.IP
    )
    rule = handle.add_rule(
        owner, priority=priority, path_patterns=["/x/*"], target_group=target_group
    )
    # The logical id the template gets (an overridden one included).
    resolved: str = stack.resolve(cast(CfnElement, rule.node.default_child).logical_id)
    return resolved


def test_a_rule_is_named_after_its_priority_not_its_service() -> None:
    assert _routed("ServiceApi", 5, keep={}) == _routed("ServiceOrders", 5, keep={})
    assert _routed("ServiceApi", 5, keep={}).startswith("RoutesPriority5")
    assert _routed("ServiceApi", 5, keep={}) != _routed("ServiceApi", 6, keep={})
    assert _routed("ServiceApi", 5, keep={}, routes_id="RoutesInternalAlb1").startswith(
        "RoutesInternalAlb1Priority5"
    )


def test_a_kept_rule_has_the_id_of_the_services_own_rule_after_a_rename() -> None:
    own = _routed("ServiceSample", 1, keep=None)  # before rules were keyed by priority
    assert own.startswith("ServiceSampleListenerRule")
    assert service_rule_logical_id("ServiceSample") == own
    assert _routed("ServiceSample", 1, keep={1: "ServiceSample"}) == own
    assert _routed("ServiceOrders", 1, keep={1: "ServiceSample"}) == own
    assert _routed("ServiceOrders", 2, keep={1: "ServiceSample"}).startswith("RoutesPriority2")


def test_routes_refuse_a_priority_twice_and_a_rule_without_conditions() -> None:
    app = project_app()
    stack = Stack(app, "Twice", env=Environment(account="111122223333", region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=0)
    listener = elbv2.ApplicationListener.from_application_listener_attributes(
        stack,
        "Listener",
        listener_arn="arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/a/1/2",
        security_group=ec2.SecurityGroup.from_security_group_id(stack, "Sg", "sg-0123"),
    )
    routes = ListenerRoutes(stack, "Routes", props=ListenerRoutesProps(listener=listener))
    groups = [elbv2.ApplicationTargetGroup(stack, f"Tg{n}", vpc=vpc, port=8080) for n in range(3)]
    routes.add(priority=3, target_group=groups[0], path_patterns=["/a/*"])
    with pytest.raises(ValueError, match="priority 3 is already routed"):
        routes.add(priority=3, target_group=groups[1], path_patterns=["/b/*"])
    with pytest.raises(ValueError, match="needs path_patterns and/or host_headers"):
        routes.add(priority=4, target_group=groups[2])
    assert list(routes.rules) == [3]
