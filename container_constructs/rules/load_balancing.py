"""Application Load Balancers: drop invalid header fields, write access logs, and serve HTTPS on
TLS 1.2+ wherever they have a certificate (plain HTTP beside it only redirects)."""

from __future__ import annotations

from typing import Any

from .network import ALB, HTTPS_LISTENER, LISTENER, LOAD_BALANCER
from .rule import EnvironmentFacts, Rule
from .template import Resource, get, is_true, mappings, referenced_id

STRONG_TLS_POLICY_MARKERS = ("TLS13", "TLS-1-2")


def _attributes(resource: Resource) -> dict[Any, Any]:
    return {
        a.get("Key"): a.get("Value")
        for a in mappings(resource.properties.get("LoadBalancerAttributes"))
    }


def _application(resource: Resource) -> bool:
    return bool(resource.properties.get("Type", "application") == "application")


def alb_drops_invalid_headers(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """An application load balancer drops invalid header fields."""
    flag = _attributes(resource).get("routing.http.drop_invalid_header_fields.enabled")
    if not _application(resource) or is_true(flag):
        return []
    return ["routing.http.drop_invalid_header_fields.enabled is not true"]


def alb_access_logs(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """An application load balancer writes access logs to a named bucket."""
    if not _application(resource):
        return []
    attributes = _attributes(resource)
    if not is_true(attributes.get("access_logs.s3.enabled")):
        return ["access_logs.s3.enabled is not true"]
    if not attributes.get("access_logs.s3.bucket"):
        return ["access logs are enabled without access_logs.s3.bucket"]
    return []


def listener_uses_https_with_certificate(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """A listener with a certificate is HTTPS with a TLS 1.2+ policy; a plain HTTP listener
    of a load balancer that has one redirects to HTTPS."""
    props = resource.properties
    if props.get("Certificates"):
        if props.get("Protocol") != "HTTPS":
            return [f"has a certificate but protocol {props.get('Protocol')}"]
        policy = str(props.get("SslPolicy", ""))
        if not any(marker in policy for marker in STRONG_TLS_POLICY_MARKERS):
            return [f"SslPolicy {policy or '(default)'} allows TLS below 1.2"]
        return []
    if props.get("Protocol") != "HTTP":
        return []
    balancer = referenced_id(props.get("LoadBalancerArn"))
    https_siblings = [
        listener
        for listener in resource.siblings(LISTENER)
        if listener.properties.get("Certificates")
        and referenced_id(listener.properties.get("LoadBalancerArn")) == balancer
    ]
    redirects = all(
        action.get("Type") == "redirect" and get(action, "RedirectConfig", "Protocol") == "HTTPS"
        for action in mappings(props.get("DefaultActions"))
    )
    if https_siblings and not redirects:
        return ["serves plain HTTP although the load balancer has a certificate; redirect to HTTPS"]
    return []


def _http_listener(action: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": LISTENER,
        "Properties": {
            "LoadBalancerArn": {"Ref": "Alb"},
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [action],
        },
    }


_BARE_ALB = {"Type": LOAD_BALANCER, "Properties": {"Scheme": "internet-facing"}}

RULES: tuple[Rule, ...] = (
    Rule(
        id="alb-drops-invalid-headers",
        requirement="every ALB drops HTTP header fields that are not valid",
        resource_types=(LOAD_BALANCER,),
        check=alb_drops_invalid_headers,
        bad={"Alb": _BARE_ALB},
        good={"Alb": ALB},
    ),
    Rule(
        id="alb-access-logs",
        requirement="every ALB writes access logs to an S3 bucket",
        resource_types=(LOAD_BALANCER,),
        check=alb_access_logs,
        bad={"Alb": _BARE_ALB},
        good={"Alb": ALB},
    ),
    Rule(
        id="listener-https-with-certificate",
        requirement="a listener with a certificate is HTTPS on TLS 1.2+; HTTP beside it redirects",
        resource_types=(LISTENER,),
        check=listener_uses_https_with_certificate,
        bad={
            "Https": HTTPS_LISTENER,
            "Http": _http_listener({"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}),
        },
        good={
            "Https": HTTPS_LISTENER,
            "Http": _http_listener(
                {
                    "Type": "redirect",
                    "RedirectConfig": {"Protocol": "HTTPS", "StatusCode": "HTTP_301"},
                }
            ),
        },
    ),
)
