"""Destroy-cleanliness (container_constructs/rules/stateful.py): where the environment does not
retain stateful resources, `cdk destroy` deletes (and empties) them; where it does, they stay.
The rule reads the plugin's `retain_stateful_resources`, which stacks/platform.py takes from the
environment's config."""

from __future__ import annotations

import pytest

from container_constructs.rules.rule import EnvironmentFacts
from container_constructs.rules.stateful import RULES, STATEFUL_TYPES, deleted_and_emptied
from platform_config import load_config
from tests.helpers.assembly import Assembly

(RULE,) = RULES


def _facts(*, retain: bool) -> EnvironmentFacts:
    return EnvironmentFacts(retain_stateful_resources=retain, kms_encrypted_logs=False)


def _problems(resources: dict, *, retain: bool) -> list[str]:
    return [
        f.problem for f in RULE.evaluate({"Resources": resources}, _facts(retain=retain)).findings
    ]


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_stateful_resources_follow_the_environment(
    assemblies: dict[str, Assembly], environment: str
) -> None:
    facts = _facts(retain=load_config(environment).retain_stateful_resources)
    checked, findings = 0, []
    for stack, template in assemblies[environment].all_templates().items():
        evaluation = RULE.evaluate(template, facts)
        checked += evaluation.checked
        findings += [f"{stack}/{f.logical_id}: {f.problem}" for f in evaluation.findings]
    assert checked, f"no {', '.join(STATEFUL_TYPES)} in {environment}"
    assert not findings, "\n".join(findings)


def test_sandbox_really_deletes_and_production_really_retains() -> None:
    """The config the rule is given says what each environment asks for."""
    assert not load_config("sandbox").retain_stateful_resources
    assert load_config("production").retain_stateful_resources


def test_rule_fails_on_a_repository_not_emptied_on_delete() -> None:
    assert _problems(dict(RULE.bad), retain=False) == ["EmptyOnDelete is False, want True"]


def test_rule_passes_deleted_and_emptied_resources() -> None:
    assert _problems(deleted_and_emptied(), retain=False) == []


def test_rule_fails_on_a_bucket_without_auto_delete_where_nothing_is_retained() -> None:
    resources = {k: v for k, v in deleted_and_emptied().items() if k != "BucketAutoDelete"}
    assert _problems(resources, retain=False) == [
        "has no Custom::S3AutoDeleteObjects (want auto-delete)"
    ]


def test_rule_fails_on_deleted_resources_where_the_environment_retains() -> None:
    problems = set(_problems(deleted_and_emptied(), retain=True))
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
    assert _problems(retained, retain=True) == []
