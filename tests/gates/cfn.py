"""A read-only view of synthesized CloudFormation: resources, references between them, and the
per-environment facts a rule may depend on (read from the config, never from environment names)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Template = Mapping[str, Any]


@dataclass(frozen=True)
class EnvironmentFacts:
    """What the gates know about one environment: its templates by stack name and the config
    choices that change what is required (KMS on logs, retention of stateful resources)."""

    name: str
    templates: Mapping[str, Template]
    kms_encrypted_logs: bool = False
    retain_stateful_resources: bool = False
    template_sizes: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """One resource of one stack's template, with the template for resolving references."""

    stack: str
    logical_id: str
    body: Mapping[str, Any]
    template: Template

    @property
    def type(self) -> str:
        return str(self.body.get("Type", ""))

    @property
    def properties(self) -> Mapping[str, Any]:
        return self.body.get("Properties") or {}

    @property
    def where(self) -> str:
        return f"{self.stack}/{self.logical_id} ({self.type})"

    def sibling(self, logical_id: str | None) -> Resource | None:
        """The resource `logical_id` of the same template, if there is one."""
        if logical_id is None:
            return None
        body = self.template.get("Resources", {}).get(logical_id)
        return Resource(self.stack, logical_id, body, self.template) if body else None

    def siblings(self, resource_type: str) -> list[Resource]:
        return [r for r in resources_of(self.stack, self.template) if r.type == resource_type]


def resources_of(stack: str, template: Template) -> Iterator[Resource]:
    for logical_id, body in template.get("Resources", {}).items():
        yield Resource(stack, logical_id, body, template)


def all_resources(facts: EnvironmentFacts, types: tuple[str, ...] = ()) -> list[Resource]:
    """Every resource of every template of the environment, optionally only of `types`."""
    return [
        resource
        for stack, template in sorted(facts.templates.items())
        for resource in resources_of(stack, template)
        if not types or resource.type in types
    ]


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


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def is_true(value: Any) -> bool:
    """CloudFormation booleans arrive as true or "true"."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def fragment(resources: Mapping[str, Mapping[str, Any]], **facts: Any) -> EnvironmentFacts:
    """A hand-made one-stack environment, for proving a rule fails on a bad template."""
    return EnvironmentFacts(
        name="fragment", templates={"fragment": {"Resources": resources}}, **facts
    )
