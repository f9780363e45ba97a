"""CloudFormation quotas (container_constructs/rules/limits.py) for every stack of every
environment; the plugin reports a breach as fatal, naming the stack."""

from __future__ import annotations

from container_constructs.rules.limits import MAX_RESOURCES, quota_problems
from tests.helpers.assembly import Assembly


def test_every_template_is_within_cloudformation_limits(assembly: Assembly) -> None:
    problems = [
        f"{name}: {problem}"
        for name, file in assembly.stack_templates.items()
        for problem in quota_problems(
            assembly.template_json(name), (assembly.outdir / file).stat().st_size
        )
    ]
    assert assembly.stack_templates
    assert not problems, f"[{assembly.environment}] " + "; ".join(problems)


def test_too_many_resources_names_the_count_and_the_quota() -> None:
    template = {"Resources": {f"R{i}": {"Type": "AWS::SNS::Topic"} for i in range(MAX_RESOURCES)}}
    assert quota_problems(template, 10) == ["500 resources, must stay under 500"]


def test_oversized_template_and_too_many_parameters_and_outputs_fail() -> None:
    template = {
        "Resources": {},
        "Parameters": {f"P{i}": {"Type": "String"} for i in range(201)},
        "Outputs": {f"O{i}": {"Value": "v"} for i in range(201)},
    }
    assert quota_problems(template, 1_048_576) == [
        "template is 1048576 bytes, must be under 1 MB",
        "201 parameters, at most 200 allowed",
        "201 outputs, at most 200 allowed",
    ]


def test_a_template_at_the_limits_passes() -> None:
    template = {
        "Resources": {f"R{i}": {} for i in range(499)},
        "Parameters": {f"P{i}": {} for i in range(200)},
        "Outputs": {f"O{i}": {} for i in range(200)},
    }
    assert quota_problems(template, 1_048_575) == []
