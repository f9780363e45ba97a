"""The base of a validation plugin whose findings for a template are computed once.

aws-cdk-lib calls a plugin's `validate` with every stack template of the app; `PerTemplatePlugin`
looks each template up in a `ValidationCache` under a key made of the template's bytes, its stack's
region and account, and the plugin's fingerprint (its name, versions, rule pack and props: what
else decides the findings), validates only the templates it misses (nothing at all when every one
is known), stores their findings, and returns the findings of all templates in the order the
plugin itself would give them. aws-cdk-lib then maps them to construct paths and applies
acknowledgements exactly as it does for any plugin: the cache holds findings from before
acknowledgements, so acknowledging, or no longer acknowledging, one never needs a new entry.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
)

from .cache import ValidationCache, Violation, digest

# Stand-ins for the template's own path and its stack's construct path in stored findings: the
# same template may be validated again in another assembly directory or under another stack.
THIS_TEMPLATE = "<template>"
THIS_STACK = "<stack>"
BLOCKING_SEVERITIES = frozenset({"error", "fatal"})


@dataclass(frozen=True)
class StackTemplate:
    """One stack of the validation context, with its template's bytes.

    Attributes:
        construct_path: the stack's construct path. Required.
        template_path: where its template is in the assembly. Required.
        region: the stack's region, if it has a concrete one. Required.
        account: the stack's account, if it has a concrete one. Required.
        content: the template's bytes. Required.
    """

    construct_path: str
    template_path: str
    region: str | None
    account: str | None
    content: bytes

    @property
    def file_name(self) -> str:
        return Path(self.template_path).name


def versions(*distributions: str) -> str:
    """`name==version` of each installed distribution (`name==?` when it is not installed)."""
    found = []
    for name in distributions:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}==?")
    return ",".join(found)


def stack_templates(context: IPolicyValidationContext) -> list[StackTemplate]:
    """The stacks aws-cdk-lib hands the plugin, each with its template read once."""
    return [
        StackTemplate(
            construct_path=stack.stack_construct_path,
            template_path=stack.template_path,
            region=stack.region,
            account=stack.account_id,
            content=Path(stack.template_path).read_bytes(),
        )
        for stack in context.stack_templates
    ]


def _replace(violations: list[Violation], paths: Mapping[str, str]) -> list[Violation]:
    """The violations with each construct or template path found in `paths` replaced."""

    def resource(item: Mapping[str, Any]) -> dict[str, Any]:
        return {
            key: paths.get(value, value)
            if key in ("constructPath", "templatePath") and isinstance(value, str)
            else value
            for key, value in item.items()
        }

    return [
        {
            **violation,
            "violatingResources": [resource(r) for r in violation.get("violatingResources", [])],
        }
        for violation in violations
    ]


def to_jsii(violation: Mapping[str, Any]) -> PolicyViolation:
    """A JSON violation as aws-cdk-lib's `PolicyViolation`."""
    return PolicyViolation(
        rule_name=violation["ruleName"],
        description=violation["description"],
        severity=violation.get("severity"),
        fix=violation.get("fix"),
        rule_metadata=violation.get("ruleMetadata"),
        violating_resources=[
            PolicyViolatingResource(
                locations=list(r.get("locations") or []),
                construct_path=r.get("constructPath"),
                resource_logical_id=r.get("resourceLogicalId"),
                template_path=r.get("templatePath"),
            )
            for r in violation.get("violatingResources", [])
        ],
    )


def from_jsii(violation: PolicyViolation) -> Violation:
    """A violation a jsii plugin returned, as JSON (absent fields left out)."""
    resources = [
        {
            key: value
            for key, value in (
                ("resourceLogicalId", r.resource_logical_id),
                ("constructPath", r.construct_path),
                ("templatePath", r.template_path),
                ("locations", list(r.locations or [])),
            )
            if value is not None
        }
        for r in violation.violating_resources
    ]
    fields = (
        ("ruleName", violation.rule_name),
        ("description", violation.description),
        ("severity", violation.severity),
        ("fix", violation.fix),
        ("ruleMetadata", dict(violation.rule_metadata) if violation.rule_metadata else None),
        ("violatingResources", resources),
    )
    return {key: value for key, value in fields if value is not None}


@jsii.implements(IPolicyValidationPlugin)
class PerTemplatePlugin(abc.ABC):
    """A validation plugin that validates each distinct template once per cache.

    Subclasses say what decides their findings (`fingerprint`, `stack_fingerprint`), validate
    the templates the cache misses (`validate_templates`) and, where the plugin they stand for
    orders or judges findings in its own way, `merge` and `succeeded`.
    """

    def __init__(self, *, cache: ValidationCache | None) -> None:
        self._cache = cache
        # The stacks (construct paths) the last `validate` found no cached findings for.
        self.last_validated: tuple[str, ...] = ()

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """The plugin name: acknowledgement ids are `<name with '-' for ' '>::<rule>`."""

    @property
    def version(self) -> str | None:
        return None

    @property
    def rule_ids(self) -> list[str] | None:
        return None

    def prepare(self, context: IPolicyValidationContext) -> None:  # noqa: B027 - optional hook
        """Called first in each `validate` (default: nothing)."""

    @abc.abstractmethod
    def fingerprint(self, context: IPolicyValidationContext) -> str:
        """Everything but the template that decides the findings: versions, rule pack, props."""

    def stack_fingerprint(self, stack: StackTemplate, context: IPolicyValidationContext) -> str:
        """What else decides the findings of one stack (default: nothing)."""
        return ""

    @abc.abstractmethod
    def validate_templates(
        self, stacks: Sequence[StackTemplate], context: IPolicyValidationContext
    ) -> dict[str, list[Violation]]:
        """The findings of each of `stacks`, by construct path."""

    def merge(
        self, results: Sequence[tuple[StackTemplate, list[Violation]]], context: Any
    ) -> list[Violation]:
        """The findings of all stacks as the plugin reports them (default: in context order)."""
        return [violation for _, violations in results for violation in violations]

    def succeeded(self, violations: Sequence[Violation]) -> bool:
        """Whether the report passes (default: no error or fatal finding)."""
        return not any(v.get("severity", "error") in BLOCKING_SEVERITIES for v in violations)

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        self.prepare(context)
        stacks = stack_templates(context)
        base = self.fingerprint(context)
        keys = {
            stack.construct_path: digest(
                base,
                stack.region or "",
                stack.account or "",
                self.stack_fingerprint(stack, context),
                stack.content,
            )
            for stack in stacks
        }
        known: dict[str, list[Violation]] = {}
        for stack in stacks:
            stored = (
                self._cache.get(keys[stack.construct_path]) if self._cache is not None else None
            )
            if stored is not None:
                paths = {THIS_TEMPLATE: stack.template_path, THIS_STACK: stack.construct_path}
                known[stack.construct_path] = _replace(stored, paths)
        missing = [stack for stack in stacks if stack.construct_path not in known]
        self.last_validated = tuple(stack.construct_path for stack in missing)
        if missing:
            found = self.validate_templates(missing, context)
            for stack in missing:
                known[stack.construct_path] = found[stack.construct_path]
                if self._cache is not None:
                    paths = {stack.template_path: THIS_TEMPLATE, stack.construct_path: THIS_STACK}
                    stored = _replace(known[stack.construct_path], paths)
                    self._cache.put(keys[stack.construct_path], stored)
        violations = self.merge([(s, known[s.construct_path]) for s in stacks], context)
        return PolicyValidationPluginReport(
            success=self.succeeded(violations),
            violations=[to_jsii(violation) for violation in violations],
        )
