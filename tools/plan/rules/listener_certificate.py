"""listener-certificate-detached: a deploy that takes off an HTTPS listener a certificate its
template still attaches to it.

An AWS::ElasticLoadBalancingV2::ListenerCertificate adds its certificates to a listener's
certificate list and, deleted, removes them, by ARN: ELB's RemoveListenerCertificates names a
listener and certificates, and the listener keeps no record of which resource added one. So a
deploy that deletes or replaces a ListenerCertificate while something else attaches the same
certificate to the same listener after it (another ListenerCertificate, the new copy of the
replaced one, or the listener as its default certificate) can leave the listener without it:
CloudFormation deletes the old resources last, after the new ones are created and the others
updated, the stack's update succeeds, and clients asking for that certificate's host names (SNI)
get the listener's default certificate, a TLS hostname mismatch. Updating a ListenerCertificate
off a certificate is refused the same way when the certificate stays attached elsewhere:
CloudFormation's update of the resource removes certificates it should keep
("AWS::ElasticLoadBalancingV2::ListenerCertificate updates remove existing listener
certificates", aws-cloudformation/cloudformation-coverage-roadmap#865, open; aws/aws-cdk#13150,
a certificate added to a listener with one more: "The old extra certificate (`bar.com`) is
gone"). This is what certificates named by their place in a list (aws-cdk-lib's
`add_certificates`: `Additional1`, `Additional2`) did when one was dropped from the front or the
list reordered, and what the one-time move of such resources to ids keyed by certificate does
(container_constructs/load_balancer.py `additional_certificate_id`): the keyed resources are
created, then the positional ones deleted. aws/aws-cdk#13437 reports certificates lost when
aws-cdk v1.92.0 moved them to one resource per certificate ("it adds the resource (with
certificates) and then remove the old one (with same certificate), which results to removing the
existing certificates"), while its maintainer saw a later move made only of creates and deletes
keep them: whether a delete spares a certificate another resource has added again is not
settled. The rule refuses, and the step after the accepted deploy adds each certificate again,
which changes nothing where it stayed (AddListenerCertificates: "If the certificate in already in
the certificate list, the call is successful but the certificate is not added again"; one
certificate per call).

What the rule reads: listeners compared by reference (tools/plan/references.py `canonical`: a
services stack's import and the cluster stack's `Ref` are one listener; a replaced listener is
another one), certificates by their literal ARN (a reference or token is skipped). A certificate
added again by a resource of a stack that deploys after the detaching stack has finished (it
depends on it) is attached after the delete and is not refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tools.plan.model import RETAINING_POLICIES, Impact, Refusal
from tools.plan.references import canonical, referenced_resource
from tools.plan.transition import Transition

RULE_ID = "listener-certificate-detached"
TITLE = (
    "an HTTPS listener's certificate removed by a ListenerCertificate deleted, replaced or "
    "updated while the template still attaches it (its host names get the default certificate)"
)
ACCEPT_WHEN = (
    "the certificates named are added again by hand right after the deploy (the refusal's "
    "command) and their host names may get the listener's default certificate until then, e.g. "
    "the one-time move of an ALB's additional certificates to resources keyed by certificate"
)
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
LISTENER_CERTIFICATE = "AWS::ElasticLoadBalancingV2::ListenerCertificate"
# How a ListenerCertificate lets go of a certificate.
DELETED, REPLACED, UPDATED = "deleted", "replaced", "updated off it"


@dataclass(frozen=True)
class Detach:
    """A certificate the deploy takes off a listener: `resource` ((stack, logical id), a
    ListenerCertificate) is deleted, replaced or updated off it, while `holders` still attach it
    after the deploy."""

    resource: tuple[str, str]
    how: str  # DELETED, REPLACED or UPDATED
    listener: Any  # the ListenerArn value of the deployed resource
    certificate: str
    holders: tuple[str, ...]  # labels of what attaches it after the deploy


def certificate_arns(properties: Mapping[str, Any]) -> list[str]:
    """The literal certificate ARNs of a Listener's or ListenerCertificate's `Certificates`."""
    certificates = properties.get("Certificates")
    if not isinstance(certificates, list):
        return []
    return [
        arn
        for item in certificates
        if isinstance(item, Mapping) and isinstance(arn := item.get("CertificateArn"), str)
    ]


def check(transition: Transition) -> list[Refusal]:
    grouped: dict[tuple[str, str], list[Detach]] = defaultdict(list)
    for detach in detaches(transition):
        stack = detach.resource[0]
        grouped[(stack, canonical(detach.listener, stack, transition.base))].append(detach)
    return [_refusal(transition, found) for found in grouped.values()]


def detaches(transition: Transition) -> list[Detach]:
    """Each certificate a deployed ListenerCertificate lets go of while the template keeps it
    attached to the same listener."""
    holders = _holders(transition)
    found = []
    for stack, logical_id, how, listener, certificates in _letting_go(transition):
        key = canonical(listener, stack, transition.base)
        for certificate in certificates:
            kept = [
                _holder_label(transition, holder, stack)
                for holder in holders.get((key, certificate), [])
                if not _attaches_after(transition, holder, certificate, stack)
            ]
            if kept:
                found.append(Detach((stack, logical_id), how, listener, certificate, tuple(kept)))
    return found


def _letting_go(
    transition: Transition,
) -> Iterator[tuple[str, str, str, Any, list[str]]]:
    """(stack, logical id, how, ListenerArn before, certificates) of each deployed
    ListenerCertificate the deploy deletes or replaces (all its certificates) or updates off some
    certificates (those)."""
    for stack, changes in transition.changes.items():
        before = transition.base.get(stack)
        if before is None:
            continue
        for change in changes:
            resource = before.resources.get(change.logical_id)
            if change.resource_type != LISTENER_CERTIFICATE or resource is None:
                continue
            properties = resource.get("Properties", {})
            old = certificate_arns(properties)
            listener = properties.get("ListenerArn")
            if change.impact == Impact.DELETE:
                yield stack, change.logical_id, DELETED, listener, old
            elif change.impact.replaces:
                if resource.get("UpdateReplacePolicy") not in RETAINING_POLICIES:
                    yield stack, change.logical_id, REPLACED, listener, old
            elif change.impact == Impact.UPDATE:
                after = transition.target[stack].resources.get(change.logical_id, {})
                new = set(certificate_arns(after.get("Properties", {})))
                gone = [arn for arn in old if arn not in new]
                if gone:
                    yield stack, change.logical_id, UPDATED, listener, gone


def _holders(transition: Transition) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(listener, certificate) -> (stack, logical id) of each resource attaching that certificate
    to that listener after the deploy (a Listener: as its default); a replaced listener is a new
    one."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for name, stack in transition.target.items():
        for logical_id, resource in stack.resources.items():
            properties = resource.get("Properties", {})
            if resource.get("Type") == LISTENER_CERTIFICATE:
                listener = properties.get("ListenerArn")
            elif resource.get("Type") == LISTENER:
                listener = {"Ref": logical_id}
            else:
                continue
            key = canonical(listener, name, transition.target, transition.renewed)
            for certificate in certificate_arns(properties):
                found[(key, certificate)].append((name, logical_id))
    return found


def _holder_label(transition: Transition, holder: tuple[str, str], stack: str) -> str:
    """The holder as a reader knows it, from the point of view of `stack`."""
    name, logical_id = holder
    target = transition.target[name]
    label = target.label(logical_id)
    if target.resources[logical_id].get("Type") == LISTENER:
        label += " (as its default certificate)"
    return label if name == stack else f"{label} in {name}"


def _attaches_after(
    transition: Transition, holder: tuple[str, str], certificate: str, detaching_stack: str
) -> bool:
    """Whether `holder` (a resource attaching `certificate` after the deploy) adds it during the
    deploy only after `detaching_stack` has finished: a ListenerCertificate created, replaced or
    updated onto it in a stack that depends on that one."""
    stack, logical_id = holder
    resource = transition.target[stack].resources[logical_id]
    if resource.get("Type") != LISTENER_CERTIFICATE:
        return False
    if stack == detaching_stack or not transition.finishes_before(detaching_stack, stack):
        return False
    impact = transition.impact(stack, logical_id)
    if impact is None:
        return False
    if impact == Impact.UPDATE:
        before = transition.base[stack].resources.get(logical_id, {})
        return certificate not in certificate_arns(before.get("Properties", {}))
    return impact == Impact.ADD or impact.replaces


def _listener_arn(transition: Transition, stack: str, listener: Any) -> tuple[str, str, str]:
    """(the listener as a reader knows it, a command that sets $LISTENER to its ARN, or "", and
    the ARN as the re-attach command gives it)."""
    if isinstance(listener, str):
        return listener, "", listener
    resolved = referenced_resource(listener, stack, transition.target) or referenced_resource(
        listener, stack, transition.base
    )
    if resolved is None:
        lookup = (
            "`LISTENER=<its ARN>` (`aws elbv2 describe-listeners --load-balancer-arn "
            "<the load balancer's ARN>` lists them)"
        )
        return canonical(listener, stack, transition.base), lookup, '"$LISTENER"'
    holder, logical_id = resolved
    state = transition.target if holder in transition.target else transition.base
    lookup = (
        f"`LISTENER=$(aws cloudformation describe-stack-resource --stack-name {holder} "
        f"--logical-resource-id {logical_id} --query StackResourceDetail.PhysicalResourceId "
        "--output text)` (a listener's physical id is its ARN)"
    )
    return f"{state[holder].label(logical_id)} in {holder}", lookup, '"$LISTENER"'


def _refusal(transition: Transition, found: list[Detach]) -> Refusal:
    stack, _ = found[0].resource
    name, lookup, arn = _listener_arn(transition, stack, found[0].listener)
    before = transition.base[stack]
    lost = [
        f"{detach.certificate} ({before.label(detach.resource[1])} is {detach.how}; "
        f"{' and '.join(detach.holders)} still attach{'es' if len(detach.holders) == 1 else ''} "
        "it)"
        for detach in found
    ]
    updated = any(detach.how == UPDATED for detach in found)
    reason = (
        f"listener {name} loses certificates its template still attaches to it: "
        f"{'; '.join(lost)}. CloudFormation deletes an old ListenerCertificate after it has "
        "created and updated the others, and the delete can remove its certificates from the "
        "listener by ARN (RemoveListenerCertificates; the listener does not record which "
        "resource added one), whatever else attaches them"
        + (
            "; and its update of a ListenerCertificate removes certificates it should keep "
            "(aws-cloudformation/cloudformation-coverage-roadmap#865)"
            if updated
            else ""
        )
        + ". The stack's update succeeds, and clients asking for those certificates' host "
        "names (SNI) get the listener's default certificate: a TLS hostname mismatch"
    )
    certificates = sorted({detach.certificate for detach in found})
    add = " and ".join(
        f"`aws elbv2 add-listener-certificates --listener-arn {arn} "
        f"--certificates CertificateArn={certificate}`"
        for certificate in certificates
    )
    steps = (
        "Where the change allows, keep one ListenerCertificate per certificate, named after "
        "it (as the platform's load balancers do), so that a deploy only creates or deletes "
        "the resources of the certificates that come or go.",
        "Otherwise (e.g. the one-time move of an ALB's additional certificates to resources "
        f"keyed by certificate, docs/changing.md): `make deploy PLAN_ACCEPT={RULE_ID}`.",
        "Right after it, attach them again: "
        + (f"{lookup}, then " if lookup else "")
        + f"{add} (one certificate per call; one still attached stays as it is). From the "
        "end of the stack's update until then, clients asking for their host names get the "
        "listener's default certificate.",
        f"Check: `aws elbv2 describe-listener-certificates --listener-arn {arn}` lists "
        f"{', '.join(certificates)}.",
    )
    subject = before.path(found[0].resource[1])
    resolved = referenced_resource(found[0].listener, stack, transition.base)
    if resolved is not None:
        subject = transition.base[resolved[0]].path(resolved[1])
    return Refusal(RULE_ID, stack, subject, reason, steps)
