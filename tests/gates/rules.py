"""The machinery shared by the rule tables: a rule, what it found, and how it is applied."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.gates.cfn import EnvironmentFacts, Resource, all_resources, fragment

Check = Callable[[Resource, EnvironmentFacts], list[str]]


@dataclass(frozen=True)
class Rule:
    """One property every resource of `resource_types` must have.

    `check` returns the problems of one resource (empty when it complies). `bad` and `good` are
    hand-made template fragments (resources by logical id) that prove the rule can fail and can
    pass; `example_facts` are the environment facts both are evaluated with.
    """

    id: str
    requirement: str
    resource_types: tuple[str, ...]
    check: Check
    bad: Mapping[str, Mapping[str, Any]]
    good: Mapping[str, Mapping[str, Any]]
    example_facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    environment: str
    where: str
    rule: str
    problem: str

    def __str__(self) -> str:
        return f"[{self.environment}] {self.where}: {self.problem} (rule {self.rule})"


@dataclass(frozen=True)
class Evaluation:
    checked: int
    findings: list[Finding]


def evaluate(rule: Rule, facts: EnvironmentFacts) -> Evaluation:
    """Apply `rule` to every resource of its types in every template of `facts`."""
    resources = all_resources(facts, rule.resource_types)
    findings = [
        Finding(facts.name, resource.where, rule.id, problem)
        for resource in resources
        for problem in rule.check(resource, facts)
    ]
    return Evaluation(len(resources), findings)


def evaluate_example(rule: Rule, resources: Mapping[str, Mapping[str, Any]]) -> Evaluation:
    return evaluate(rule, fragment(resources, **rule.example_facts))
