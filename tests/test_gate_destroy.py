"""Destroy-cleanliness: sandbox stacks delete (and empty) every stateful resource; production keeps
them. The rule reads `retain_stateful_resources` from each environment's config."""

from __future__ import annotations

import pytest

from tests.gates.cfn import fragment
from tests.gates.rules import evaluate, evaluate_example
from tests.gates.stateful import STATEFUL_RULE, STATEFUL_TYPES
from tests.helpers.assembly import Assembly
from tests.helpers.gate_facts import environment_facts


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_stateful_resources_follow_the_environment(
    assemblies: dict[str, Assembly], environment: str
) -> None:
    facts = environment_facts(assemblies[environment])
    evaluation = evaluate(STATEFUL_RULE, facts)
    assert evaluation.checked, f"no {', '.join(STATEFUL_TYPES)} in {environment}"
    assert not evaluation.findings, "\n".join(map(str, evaluation.findings))


def test_sandbox_really_deletes_and_production_really_retains(
    sandbox: Assembly, production: Assembly
) -> None:
    """The config the rule reads says what the issue asks of each environment."""
    assert not environment_facts(sandbox).retain_stateful_resources
    assert environment_facts(production).retain_stateful_resources


def test_rule_fails_on_a_repository_not_emptied_on_delete() -> None:
    assert evaluate_example(STATEFUL_RULE, STATEFUL_RULE.bad).findings


def test_rule_passes_deleted_and_emptied_resources() -> None:
    assert not evaluate_example(STATEFUL_RULE, STATEFUL_RULE.good).findings


def test_rule_fails_on_a_bucket_without_auto_delete_in_sandbox() -> None:
    resources = {k: v for k, v in STATEFUL_RULE.good.items() if k != "BucketAutoDelete"}
    assert evaluate(STATEFUL_RULE, fragment(resources, retain_stateful_resources=False)).findings


def test_rule_fails_on_deleted_resources_where_the_environment_retains() -> None:
    facts = fragment(STATEFUL_RULE.good, retain_stateful_resources=True)
    problems = {f.problem for f in evaluate(STATEFUL_RULE, facts).findings}
    assert "DeletionPolicy is Delete, want Retain" in problems
    assert "EmptyOnDelete is True, want False" in problems


def test_rule_passes_retained_resources_where_the_environment_retains() -> None:
    retained = {
        "Key": {
            "Type": "AWS::KMS::Key",
            "Properties": {},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        }
    }
    assert not evaluate(STATEFUL_RULE, fragment(retained, retain_stateful_resources=True)).findings
