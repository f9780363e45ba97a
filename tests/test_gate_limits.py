"""CloudFormation quotas for every stack of every environment."""

from __future__ import annotations

from tests.gates.limits import MAX_RESOURCES, limit_problems
from tests.helpers.assembly import Assembly


def test_every_template_is_within_cloudformation_limits(assembly: Assembly) -> None:
    problems = [
        problem
        for name, file in assembly.stack_templates.items()
        for problem in limit_problems(
            name, assembly.template_json(name), (assembly.outdir / file).stat().st_size
        )
    ]
    assert assembly.stack_templates
    assert not problems, f"[{assembly.environment}] " + "; ".join(problems)


def test_too_many_resources_names_the_stack_and_count() -> None:
    template = {"Resources": {f"R{i}": {"Type": "AWS::SNS::Topic"} for i in range(MAX_RESOURCES)}}
    assert limit_problems("cp-x-big", template, 10) == [
        "cp-x-big: 500 resources, must stay under 500"
    ]


def test_oversized_template_and_too_many_parameters_and_outputs_fail() -> None:
    template = {
        "Resources": {},
        "Parameters": {f"P{i}": {"Type": "String"} for i in range(201)},
        "Outputs": {f"O{i}": {"Value": "v"} for i in range(201)},
    }
    assert limit_problems("cp-x-wide", template, 1_048_576) == [
        "cp-x-wide: template is 1048576 bytes, must be under 1 MB",
        "cp-x-wide: 201 parameters, at most 200 allowed",
        "cp-x-wide: 201 outputs, at most 200 allowed",
    ]


def test_a_template_at_the_limits_passes() -> None:
    template = {
        "Resources": {f"R{i}": {} for i in range(499)},
        "Parameters": {f"P{i}": {} for i in range(200)},
        "Outputs": {f"O{i}": {} for i in range(200)},
    }
    assert limit_problems("cp-x-ok", template, 1_048_575) == []
