"""Keys that one resource at a time may hold (a fixed name, an ALB listener rule's priority on its
listener, an internet gateway's attachment, a NAT gateway's Elastic IP), and the clashes a deploy
makes by taking one before its old holder lets it go.

CloudFormation's order inside one stack update: resources are created and updated (in dependency
order, independent ones in any order, at the same time), and removed resources, and the old
copies of replaced ones, are deleted at the end (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS). Across
stacks the CDK CLI deploys a stack after the stacks it depends on and never deletes a stack that
left the app. So a resource that takes a key (created, replaced, or updated to a new key) clashes
with a holder of the same key in the deployed state unless the holder is in another stack whose
deploy finishes first and gives the key up.

Which properties name a resource comes from the resource schemas cfn-lint ships
(cfnlint/data/schemas, the CloudFormation registry's): a `primaryIdentifier` made only of
properties the template sets (not read-only ones) is a fixed name, e.g. ECR's RepositoryName,
Logs' LogGroupName, EKS Addon's (ClusterName, AddonName). A few names are not primary identifiers
and are listed in EXTRA_NAMES.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.plan.model import RETAINING_POLICIES, Impact, StackTemplate
from tools.plan.references import canonical, referenced_ids
from tools.plan.transition import Transition

SCHEMA_REGION = "us-east-1"

# Names outside the primary identifier, unique in their scope (the properties named): AWS answers
# "already exists" for a second one while the first lives.
EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "AWS::EKS::Nodegroup": ("ClusterName", "NodegroupName"),
    "AWS::ECS::Service": ("Cluster", "ServiceName"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("Name",),
    "AWS::ElasticLoadBalancingV2::TargetGroup": ("Name",),
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateName",),
    "AWS::SecretsManager::Secret": ("Name",),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName",),
    # "A unique name for the capability. The name must be unique within your cluster"; "You can
    # only create one Capability of each type on a given Amazon EKS cluster" (EKS API reference,
    # CreateCapability, https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCapability.html,
    # read 2026-12-05). Its primary identifier is the read-only Arn.
    "AWS::EKS::Capability": ("ClusterName", "CapabilityName"),
}

# Unique keys that are not names, each (kind, properties). ELB: "PriorityInUse" for a rule
# priority another rule of the listener holds, "DuplicateListener" for a port another listener of
# the load balancer holds. EC2 (Error codes for the Amazon EC2 API, Resource.AlreadyAssociated:
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html, read 2026-12-04):
# a gateway attached to one VPC cannot be attached to another, and an Elastic IP associated with
# one NAT gateway fails the creation of a second (the NatGateway data type's failureCode
# Resource.AlreadyAssociated, "Elastic IP address eipalloc-... is already associated").
UNIQUE_KEYS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "AWS::ElasticLoadBalancingV2::ListenerRule": (("priority", ("ListenerArn", "Priority")),),
    "AWS::ElasticLoadBalancingV2::Listener": (("port", ("LoadBalancerArn", "Port")),),
    "AWS::EC2::VPCGatewayAttachment": (
        ("attachment", ("InternetGatewayId",)),
        ("attachment", ("VpnGatewayId",)),
    ),
    "AWS::EC2::NatGateway": (("address", ("AllocationId",)),),
    # One capability of each type per cluster (CreateCapability, EXTRA_NAMES above).
    "AWS::EKS::Capability": (("capability type", ("ClusterName", "Type")),),
}


@functools.cache
def schemas_dir() -> Path:
    """cfn-lint's copy of the CloudFormation registry schemas, found without importing cfn-lint
    (its import alone takes about 1.5 s)."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or spec.origin is None:
        raise RuntimeError("cfn-lint is not installed: run `make setup`")
    return Path(spec.origin).parent / "data" / "schemas"


@functools.cache
def _schema_files() -> dict[str, str]:
    """Resource type -> its schema file's name, for SCHEMA_REGION."""
    index = schemas_dir() / "providers" / f"{SCHEMA_REGION}.json"
    files: dict[str, str] = json.loads(index.read_text(encoding="utf-8"))
    return files


@functools.cache
def name_properties(resource_type: str) -> tuple[str, ...]:
    """The properties that make up a fixed name of `resource_type` (empty: none known)."""
    if resource_type in EXTRA_NAMES:
        return EXTRA_NAMES[resource_type]
    schema = _schema(resource_type)
    identifier = schema.get("primaryIdentifier", [])
    read_only = set(schema.get("readOnlyProperties", []))
    if not identifier or any(pointer in read_only for pointer in identifier):
        return ()
    return tuple(pointer.removeprefix("/properties/") for pointer in identifier)


@functools.cache
def _schema(resource_type: str) -> Mapping[str, Any]:
    schema_file = _schema_files().get(resource_type)
    if schema_file is None:
        return {}
    path = schemas_dir() / "resources" / f"{schema_file}.json"
    schema: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def replaced_only_below(resource_type: str, name: str) -> bool:
    """Whether the schema of `resource_type` makes top-level property `name` replace the resource
    only through create-only properties below it, each a plain path (`nested_create_only`), not
    `name` as a whole. The diff engine's specification marks such a property as replacing on
    any change (e.g. AWS::EKS::Cluster's KubernetesNetworkConfig, where only IpFamily and
    ServiceIpv4Cidr are create-only and Auto Mode's ElasticLoadBalancing updates in place)."""
    pointers = _schema(resource_type).get("createOnlyProperties", [])
    below = [p for p in pointers if p.startswith(f"/properties/{name}/")]
    whole = f"/properties/{name}" in pointers
    return bool(below) and not whole and not any("*" in p for p in below)


@functools.cache
def nested_create_only(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """The create-only properties of `resource_type` below a top-level property, as paths (e.g.
    ("Configuration", "ArgoCd", "Namespace")): a change to one replaces the resource, though the
    diff engine, which classifies top-level properties, may call it an update."""
    pointers = _schema(resource_type).get("createOnlyProperties", [])
    paths = (tuple(p.removeprefix("/properties/").split("/")) for p in pointers)
    return tuple(path for path in paths if len(path) > 1 and "*" not in path)


@dataclass(frozen=True)
class Key:
    kind: str  # "name", or a kind of UNIQUE_KEYS ("priority", "port", "attachment", "address")
    properties: tuple[str, ...]
    literal: tuple[Any, ...]  # the template's values, for messages
    value: str  # comparable: references resolved (tools/plan/references.py)

    def describe(self) -> str:
        shown = ", ".join(
            f"{p} {_show(v)}" for p, v in zip(self.properties, self.literal, strict=True)
        )
        return f"{self.kind} ({shown})"


def _show(value: Any) -> str:
    if isinstance(value, (str, int)):
        return repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        return f"import {value['Fn::ImportValue']}"
    if isinstance(value, dict) and "Ref" in value:
        return f"Ref {value['Ref']}"
    return "(computed)"


def resource_keys(
    stack: str,
    resource: Mapping[str, Any],
    state: Mapping[str, Any],
    renewed: frozenset[tuple[str, str]] = frozenset(),
) -> list[Key]:
    """The keys `resource` (in `stack` of `state`) holds: its fixed name and its unique keys, for
    the properties the template sets."""
    resource_type = str(resource.get("Type", ""))
    properties = resource.get("Properties", {}) or {}
    wanted: list[tuple[str, tuple[str, ...]]] = []
    names = name_properties(resource_type)
    if names:
        wanted.append(("name", names))
    wanted.extend(UNIQUE_KEYS.get(resource_type, ()))
    keys = []
    for kind, props in wanted:
        if not all(p in properties for p in props):
            continue  # a generated name: CloudFormation makes a new one for each copy
        literal = tuple(properties[p] for p in props)
        value = canonical([resource_type, kind, list(literal)], stack, state, renewed)
        keys.append(Key(kind, props, literal, value))
    return keys


@dataclass(frozen=True)
class Clash:
    """`taker` (stack, logical id) takes `key` while `holder` (stack, logical id) in the deployed
    state holds it."""

    key: Key
    taker: tuple[str, str]
    taker_impact: Impact
    holder: tuple[str, str]
    holder_fate: str  # what happens to the holder, in words

    @property
    def same_resource(self) -> bool:
        return self.taker == self.holder


def clashes(transition: Transition, kinds: frozenset[str]) -> list[Clash]:
    """Every key of `kinds` a deployed resource takes while its holder in the base still has it."""
    base_keys: dict[str, list[tuple[tuple[str, str], Key]]] = {}
    for stack_name, stack in transition.base.items():
        for logical_id, resource in stack.resources.items():
            for key in resource_keys(stack_name, resource, transition.base):
                if key.kind in kinds:
                    base_keys.setdefault(key.value, []).append(((stack_name, logical_id), key))
    found = []
    for stack_name in transition.deployed:
        for change in transition.changes.get(stack_name, ()):
            if change.impact.removes:
                continue
            resource = transition.target[stack_name].resources[change.logical_id]
            taken = resource_keys(stack_name, resource, transition.target, transition.renewed)
            held = {key.value for key in base_keys_of(transition, stack_name, change.logical_id)}
            for key in taken:
                if key.kind not in kinds:
                    continue
                if change.impact == Impact.UPDATE and key.value in held:
                    continue  # keeps its own key
                for holder, _ in base_keys.get(key.value, []):
                    fate = _holder_fate(transition, holder, key, (stack_name, change.logical_id))
                    if fate is not None:
                        found.append(
                            Clash(key, (stack_name, change.logical_id), change.impact, holder, fate)
                        )
    return found


def base_keys_of(transition: Transition, stack: str, logical_id: str) -> list[Key]:
    """The keys resource `logical_id` of `stack` held before the deploy (none if it is new)."""
    base_stack = transition.base.get(stack)
    if base_stack is None or logical_id not in base_stack.resources:
        return []
    return resource_keys(stack, base_stack.resources[logical_id], transition.base)


def _retained_on_replace(transition: Transition, stack: str, logical_id: str) -> bool:
    resource = transition.base[stack].resources.get(logical_id, {})
    return resource.get("UpdateReplacePolicy") in RETAINING_POLICIES


def _holder_fate(
    transition: Transition, holder: tuple[str, str], key: Key, taker: tuple[str, str]
) -> str | None:
    """Why `holder` still has `key` when `taker` takes it, or None when it has let it go."""
    stack, logical_id = holder
    impact = transition.impact(stack, logical_id)
    if impact == Impact.ORPHAN:
        return "orphaned (DeletionPolicy Retain): it stays, outside the stack, and keeps it"
    if (
        impact is not None
        and impact.replaces
        and _retained_on_replace(transition, stack, logical_id)
    ):
        return "replaced, and its old copy stays (UpdateReplacePolicy Retain) and keeps it"
    if holder == taker:
        return "its old copy, deleted only after the new one is created"
    if stack not in transition.deployed:
        where = "is not in the app any more" if stack not in transition.app else "is not deployed"
        return f"keeps it: its stack {where}, and `cdk deploy` leaves it as it is"
    target_resource = transition.target[stack].resources.get(logical_id)
    kept = target_resource is not None and key.value in {
        k.value
        for k in resource_keys(stack, target_resource, transition.target, transition.renewed)
    }
    if impact is None or kept:
        return "keeps it"
    if transition.finishes_before(stack, taker[0]):
        return None
    if impact == Impact.DELETE:
        return "deleted only at the end of its stack's update"
    if impact.replaces:
        return "replaced: its old copy is deleted only at the end of its stack's update"
    if stack == taker[0] and _depends_on(transition.target[stack], taker[1], logical_id):
        return None  # CloudFormation updates the holder off the key before it makes the taker
    return "updated off it in the same deploy, in no guaranteed order"


def _depends_on(stack: StackTemplate, logical_id: str, other: str) -> bool:
    """Whether resource `logical_id` of `stack` depends on `other`, through DependsOn or a
    reference, directly or not: CloudFormation creates or updates it only after `other`."""
    seen: set[str] = set()
    pending = [logical_id]
    while pending:
        resource = stack.resources.get(pending.pop(), {})
        after = resource.get("DependsOn", [])
        direct = {after} if isinstance(after, str) else set(after)
        direct |= referenced_ids(resource.get("Properties", {}))
        if other in direct:
            return True
        pending.extend(direct - seen)
        seen |= direct
    return False


def holder_label(transition: Transition, stack: str, holder: tuple[str, str]) -> str:
    """The holder's construct path, with its stack when it is not `stack`."""
    holder_stack, holder_id = holder
    label = transition.base[holder_stack].label(holder_id)
    return label if holder_stack == stack else f"{holder_stack}/{label}"
