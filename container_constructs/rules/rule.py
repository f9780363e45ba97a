"""A rule of the pack, what it found, and how it is applied to one template.

Two kinds: `Rule` checks each resource of some types (most rules), `TemplateRule` checks the
template as a whole (CloudFormation quotas). Both carry a hand-made `bad` fragment they must flag
and a `good` one they must pass, so that no rule can hold vacuously (the tests apply both).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .template import Resource, TemplateBody, resources_of

# Template fragments for examples: resources by logical id.
Fragment = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, kw_only=True)
class EnvironmentFacts:
    """What an environment decides that some rules check against.

    Attributes:
        retain_stateful_resources: the environment keeps repositories, buckets, log groups and
            keys when their stack is deleted (production) instead of deleting them. Required.
        kms_encrypted_logs: the environment encrypts its log groups with customer-managed KMS
            keys. Required.
    """

    retain_stateful_resources: bool
    kms_encrypted_logs: bool


# The facts a rule's examples are evaluated with unless the rule names others.
EXAMPLE_FACTS = EnvironmentFacts(retain_stateful_resources=False, kms_encrypted_logs=False)

ResourceCheck = Callable[[Resource, EnvironmentFacts], list[str]]
TemplateCheck = Callable[[TemplateBody, int], list[str]]


@dataclass(frozen=True)
class Finding:
    """One problem of one resource (or, without a logical id, of the template).

    Attributes:
        rule_id: the rule that found it. Required.
        logical_id: the resource's logical id; None for the template as a whole. Required.
        problem: what is wrong, in one line. Required.
    """

    rule_id: str
    logical_id: str | None
    problem: str


@dataclass(frozen=True)
class Evaluation:
    """What a rule found in one template.

    Attributes:
        checked: how many resources (for a template rule: templates) it checked. Required.
        findings: what it found. Required.
    """

    checked: int
    findings: list[Finding]


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A property every resource of `resource_types` must have.

    Attributes:
        id: the rule id; findings are acknowledged as `ContainerPlatform::<id>`. Required.
        requirement: what the rule requires, in one line. Required.
        resource_types: the CloudFormation types it checks. Required.
        check: the problems of one resource (empty when it complies). Required.
        bad: a fragment the rule must flag. Required.
        good: a compliant fragment (with the allowed exceptions) it must pass. Required.
        example_facts: the facts `bad` and `good` are evaluated with. Default: EXAMPLE_FACTS.
        severity: "error" (fails synth unless acknowledged). Default: "error".
    """

    id: str
    requirement: str
    resource_types: tuple[str, ...]
    check: ResourceCheck
    bad: Fragment
    good: Fragment
    example_facts: EnvironmentFacts = EXAMPLE_FACTS
    severity: str = "error"

    def evaluate(
        self, template: TemplateBody, facts: EnvironmentFacts, size: int = 0
    ) -> Evaluation:
        """Apply the rule to every resource of its types in `template`."""
        resources = list(resources_of(template, self.resource_types))
        findings = [
            Finding(self.id, resource.logical_id, problem)
            for resource in resources
            for problem in self.check(resource, facts)
        ]
        return Evaluation(len(resources), findings)


@dataclass(frozen=True, kw_only=True)
class TemplateRule:
    """A property of a whole template (its findings name no resource, only the stack).

    Attributes:
        id: the rule id. Required.
        requirement: what the rule requires, in one line. Required.
        check: the problems of a template, given its body and its size in bytes. Required.
        bad: a fragment the rule must flag (with `bad_size`). Required.
        good: a fragment it must pass. Required.
        bad_size: the size the bad fragment is evaluated at. Default: 0 (its JSON size).
        example_facts: unused by template rules; kept for a uniform interface.
            Default: EXAMPLE_FACTS.
        severity: "fatal": CloudFormation refuses such a template, so no acknowledgement can
            help (aws-cdk-lib does not let one suppress a fatal finding). Default: "fatal".
    """

    id: str
    requirement: str
    check: TemplateCheck
    bad: Fragment
    good: Fragment
    bad_size: int = 0
    example_facts: EnvironmentFacts = EXAMPLE_FACTS
    severity: str = "fatal"

    def evaluate(
        self, template: TemplateBody, facts: EnvironmentFacts, size: int = 0
    ) -> Evaluation:
        return Evaluation(1, [Finding(self.id, None, p) for p in self.check(template, size)])


AnyRule = Rule | TemplateRule


def evaluate_fragment(rule: AnyRule, resources: Fragment, size: int = 0) -> Evaluation:
    """Apply `rule` to a hand-made template of `resources` with the rule's example facts, at
    `size` bytes (default: the fragment's JSON size)."""
    template = {"Resources": dict(resources)}
    measured = size or len(json.dumps(template).encode())
    return rule.evaluate(template, rule.example_facts, measured)
