"""The diff engine's impacts decided as CloudFormation decides them: by the resource schema's
createOnlyProperties (the registry schemas cfn-lint ships, tools/plan/keys.py). CloudFormation
replaces a resource when a create-only property changes ("Update requires: Replacement" in the
CloudFormation reference's property tables, which the schema generates). The engine classifies
top-level properties from its own specification (@aws-cdk/aws-service-spec), which differs in two
ways, both corrected here:

- an update can replace through a create-only property below a top-level one, which the engine
  does not compare (e.g. the Argo CD capability's Configuration/ArgoCd/Namespace);
- a whole top-level property can be marked as replacing where the schema makes only some of its
  sub-properties create-only (e.g. AWS::EKS::Cluster's KubernetesNetworkConfig: only IpFamily
  and ServiceIpv4Cidr; EKS Auto Mode's ElasticLoadBalancing updates in place). Such a change is
  an update, and so are the changes the engine derived from that replacement in the resources
  referring to it (their values are unchanged in the templates).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from tools.plan.keys import nested_create_only, replaced_only_below
from tools.plan.model import Impact, PropertyChange, ResourceChange
from tools.plan.references import referenced_ids

Resources = Mapping[str, Any]


def corrected(
    found: Sequence[ResourceChange], before: Resources, after: Resources
) -> list[ResourceChange]:
    """`found` (one stack's changes by the engine) with each impact decided by the schema."""
    changes = {change.logical_id: change for change in found}
    downgraded: set[str] = set()
    for logical_id, change in changes.items():
        if logical_id in before and logical_id in after:
            fixed = _schema_impact(
                change, _properties(before, logical_id), _properties(after, logical_id)
            )
            if change.impact.replaces and not fixed.impact.replaces:
                downgraded.add(logical_id)
            changes[logical_id] = fixed
    # Changes the engine derived from a replacement that does not happen: a property whose value
    # is the same in both templates, naming only such resources. Repeated: a resource updated
    # instead of replaced no longer replaces those that refer to it either.
    while downgraded:
        newly: set[str] = set()
        for logical_id, change in list(changes.items()):
            kept = _without_derived(change, before, after, downgraded)
            if kept is change:
                continue
            if kept is None:
                del changes[logical_id]
            else:
                changes[logical_id] = kept
            if change.impact.replaces and (kept is None or not kept.impact.replaces):
                newly.add(logical_id)
        downgraded = newly
    return list(changes.values())


def _properties(resources: Resources, logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = resources.get(logical_id, {}).get("Properties", {}) or {}
    return properties


def _without_derived(
    change: ResourceChange, before: Resources, after: Resources, downgraded: set[str]
) -> ResourceChange | None:
    """`change` without the property changes derived from a replacement of `downgraded`
    resources (None when nothing else changes; `change` itself when none is)."""
    logical_id = change.logical_id
    if logical_id not in before or logical_id not in after:
        return change
    old, new = _properties(before, logical_id), _properties(after, logical_id)
    derived = [
        c
        for c in change.changes
        if c.kind == "Property"
        and c.name in old
        and old.get(c.name) == new.get(c.name)
        and bool(named := referenced_ids(old[c.name]))
        and named <= downgraded
    ]
    if not derived:
        return change
    rest = tuple(c for c in change.changes if c not in derived)
    if not rest:
        return None
    replacing = any(c.impact is not None and c.impact.replaces for c in rest)
    impact = change.impact if replacing else Impact.UPDATE
    return dataclasses.replace(change, impact=impact, changes=rest)


def _schema_impact(
    change: ResourceChange, before: dict[str, Any], after: dict[str, Any]
) -> ResourceChange:
    """One resource's impact by the schema: an update that changes a nested create-only property
    replaces; a replacement only through whole properties the schema makes create-only below
    (`replaced_only_below`) is an update unless one of those changed."""
    impact, changes = change.impact, change.changes
    if impact == Impact.UPDATE:
        impact, changes = _nested_replacement(change.resource_type, before, after, changes)
    elif impact.replaces:
        replacing = [c for c in changes if c.impact is not None and c.impact.replaces]
        if replacing and all(replaced_only_below(change.resource_type, c.name) for c in replacing):
            updated = tuple(
                PropertyChange(c.name, Impact.UPDATE, c.kind) if c in replacing else c
                for c in changes
            )
            impact, changes = _nested_replacement(change.resource_type, before, after, updated)
    return dataclasses.replace(change, impact=impact, changes=changes)


_ABSENT = object()


def _at(properties: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if not isinstance(properties, dict) or step not in properties:
            return _ABSENT
        properties = properties[step]
    return properties


def _nested_replacement(
    resource_type: str,
    before: dict[str, Any],
    after: dict[str, Any],
    changes: tuple[PropertyChange, ...],
) -> tuple[Impact, tuple[PropertyChange, ...]]:
    """The impact of an update the engine reports, with the create-only properties it does not
    see: those below a top-level property (the resource schema's createOnlyProperties, e.g. the
    Argo CD capability's Configuration/ArgoCd/Namespace). CloudFormation replaces a resource when
    any create-only property changes ("Update requires: Replacement" in the CloudFormation
    reference's property tables, which the schema's createOnlyProperties generate)."""
    replacing = [
        path for path in nested_create_only(resource_type) if _at(before, path) != _at(after, path)
    ]
    if not replacing:
        return Impact.UPDATE, changes
    computed = any(_intrinsic(_at(side, path)) for path in replacing for side in (before, after))
    impact = Impact.MAY_REPLACE if computed else Impact.REPLACE
    named = {"/".join(path) for path in replacing}
    return impact, (
        *(PropertyChange(name, impact) for name in sorted(named)),
        *changes,
    )


def _intrinsic(value: Any) -> bool:
    """Whether `value` holds a CloudFormation function (resolved only at deploy time)."""
    if isinstance(value, dict):
        return any(key == "Ref" or key.startswith("Fn::") for key in value) or any(
            _intrinsic(item) for item in value.values()
        )
    if isinstance(value, list):
        return any(_intrinsic(item) for item in value)
    return False
