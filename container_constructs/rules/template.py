"""A read-only view of one synthesized CloudFormation template: its resources and the references
between them. Rules see one template at a time, so a finding depends on that template alone (which
is what lets `container_constructs.rules.cache` reuse it while the template is unchanged)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

TemplateBody = Mapping[str, Any]


@dataclass(frozen=True)
class Resource:
    """One resource of a template, with the template for resolving references.

    Attributes:
        logical_id: its logical id. Required.
        body: its entry in Resources (Type, Properties, policies). Required.
        template: the whole template. Required.
    """

    logical_id: str
    body: Mapping[str, Any]
    template: TemplateBody

    @property
    def type(self) -> str:
        return str(self.body.get("Type", ""))

    @property
    def properties(self) -> Mapping[str, Any]:
        properties = self.body.get("Properties")
        return properties if isinstance(properties, Mapping) else {}

    def sibling(self, logical_id: str | None) -> Resource | None:
        """The resource `logical_id` of the same template, if there is one."""
        if logical_id is None:
            return None
        body = resources_section(self.template).get(logical_id)
        return Resource(logical_id, body, self.template) if isinstance(body, Mapping) else None

    def siblings(self, resource_type: str) -> list[Resource]:
        return [r for r in resources_of(self.template) if r.type == resource_type]


def resources_section(template: TemplateBody) -> Mapping[str, Any]:
    """The template's Resources (empty if absent or malformed)."""
    resources = template.get("Resources")
    return resources if isinstance(resources, Mapping) else {}


def resources_of(template: TemplateBody, types: tuple[str, ...] = ()) -> Iterator[Resource]:
    """Every resource of `template` (with a mapping body), optionally only of `types`."""
    for logical_id, body in resources_section(template).items():
        if isinstance(body, Mapping) and (not types or body.get("Type") in types):
            yield Resource(str(logical_id), body, template)


def referenced_id(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` points at, else None."""
    if not isinstance(value, Mapping):
        return None
    if "Ref" in value:
        return str(value["Ref"])
    attribute = value.get("Fn::GetAtt")
    if isinstance(attribute, list) and attribute:
        return str(attribute[0])
    if isinstance(attribute, str):
        return attribute.split(".", 1)[0]
    return None


def references_within(value: Any) -> set[str]:
    """Every logical id a `Ref` or `Fn::GetAtt` anywhere inside `value` points at (e.g. in an
    `Fn::Join`)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        target = referenced_id(value)
        if target is not None:
            found.add(target)
        for item in value.values():
            found |= references_within(item)
    elif isinstance(value, list):
        for item in value:
            found |= references_within(item)
    return found


def as_list(value: Any) -> list[Any]:
    """A list as is, None as [], anything else as a one-item list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def mappings(value: Any) -> list[Mapping[str, Any]]:
    """The mapping items of a list (or a single mapping); intrinsics in the list are skipped."""
    return [item for item in as_list(value) if isinstance(item, Mapping)]


def is_true(value: Any) -> bool:
    """CloudFormation booleans arrive as true or "true"."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def get(mapping: Any, *path: str) -> Any:
    """`mapping[path[0]][path[1]]...`, or None where a step is missing or not a mapping."""
    for key in path:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping
