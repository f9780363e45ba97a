"""cdk-nag audit from the validation report each synth writes: no unacknowledged finding of any
validation plugin, and every acknowledgement specific, narrow and still needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from container_constructs.rules.report import render
from tests.helpers.acknowledgements import (
    Acknowledgement,
    acknowledgement_problems,
    collect_acknowledgements,
    narrowest_scopes,
    unacknowledged_violations,
)
from tests.helpers.assembly import Assembly
from tests.helpers.make import make


def acknowledgements_of(assembly: Assembly) -> list[Acknowledgement]:
    return collect_acknowledgements(
        assembly.environment, assembly.outdir, assembly.manifest, assembly.validation_report
    )


def test_no_unacknowledged_findings(assembly: Assembly) -> None:
    """0 unacknowledged AwsSolutions errors and warnings, and none from CloudFormation Validate or
    aws-cdk-lib's annotations; only the app's own `platform:` warnings to its user may remain."""
    findings = unacknowledged_violations(assembly.validation_report, include_app_warnings=False)
    assert not findings, f"[{assembly.environment}]\n" + "\n".join(findings)


def test_every_acknowledgement_is_specific_narrow_and_needed(assembly: Assembly) -> None:
    problems = [
        f"{ack.label}: {problem}"
        for ack in acknowledgements_of(assembly)
        for problem in acknowledgement_problems(ack)
    ]
    assert not problems, "\n".join(problems)


def test_acknowledgements_are_found_in_the_assembly(assembly: Assembly) -> None:
    """The reader sees aws-cdk-lib's own acknowledgement of W3010 on the network stack, so an
    app acknowledgement anywhere would be seen too."""
    rules = {ack.rule for ack in acknowledgements_of(assembly)}
    assert "CloudFormation-Validate::W3010" in rules


def test_nag_report_prints_rule_resource_and_reason(sandbox: Assembly) -> None:
    table = render(sandbox.outdir)
    assert table.splitlines()[0].split() == ["RULE", "RESOURCE", "REASON", "BY"]
    assert "CloudFormation-Validate::W3010" in table
    assert "0 unacknowledged" in table


def test_make_nag_report_runs_the_report_of_the_rule_pack_only() -> None:
    """`make nag-report` is a user command: after the CLI's synth it runs the rule pack's report
    module on the assembly, and nothing of tests/."""
    commands = make("-n", "-o", "setup", "nag-report").splitlines()
    modules = [line.split(" -m ")[1].split()[0] for line in commands if " -m " in line]
    assert modules == ["container_constructs.rules.report"]
    assert not [line for line in commands if "tests" in line]


# ---- The checkers fail on hand-made bad input -------------------------------------------------

SPECIFIC = "The flow log role writes only to its own log group; the wildcard is the stream suffix"


def _ack(
    rule: str, scope: str, reason: str = SPECIFIC, suppressed: tuple[str, ...] = ()
) -> Acknowledgement:
    return Acknowledgement("sandbox", rule, scope, reason, suppressed)


def test_an_unacknowledged_violation_is_reported() -> None:
    report = {
        "pluginReports": [
            {
                "pluginName": "AwsSolutions",
                "violations": [
                    {
                        "ruleName": "AwsSolutions-S10",
                        "severity": "error",
                        "description": "no SSL",
                        "violatingConstructs": [{"constructPath": "s/B/Resource"}],
                    }
                ],
            }
        ]
    }
    assert unacknowledged_violations(report) == [
        "AwsSolutions: AwsSolutions-S10 (error) on s/B/Resource: no SSL"
    ]


@pytest.mark.parametrize(
    "reason", ["", "needed", "TODO: revisit this later when we have time ok", "false positive"]
)
def test_a_vague_reason_fails(reason: str) -> None:
    ack = _ack(
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]", "s/R/Resource", reason, ("s/R/Resource",)
    )
    assert any("reason" in p for p in acknowledgement_problems(ack))


def test_a_stack_wide_acknowledgement_of_one_resource_fails() -> None:
    ack = _ack(
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]", "s", suppressed=("s/Role/Policy/Resource",)
    )
    (problem,) = acknowledgement_problems(ack)
    assert "wider than its findings" in problem
    assert "s/Role/Policy/Resource or s/Role/Policy" in problem


def test_an_acknowledgement_on_the_resource_or_its_l2_passes() -> None:
    for scope in ("s/Role/Policy/Resource", "s/Role/Policy"):
        ack = _ack(
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            scope,
            suppressed=("s/Role/Policy/Resource",),
        )
        assert acknowledgement_problems(ack) == []


def test_a_role_may_acknowledge_its_default_policy_but_not_its_siblings() -> None:
    """Grants write a role's `DefaultPolicy`; constructs acknowledge on the role (public) instead
    of looking the policy up by aws-cdk-lib's child id. The role is no scope for anything else."""
    on_policy = ("s/Svc/TaskRole/DefaultPolicy/Resource",)
    assert narrowest_scopes(on_policy)[-1] == "s/Svc/TaskRole"
    ack = _ack(
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]", "s/Svc/TaskRole", suppressed=on_policy
    )
    assert acknowledgement_problems(ack) == []
    other = ("s/Svc/TaskRole/Resource",)
    assert "s/Svc" not in narrowest_scopes(other)
    wide = _ack("AwsSolutions::AwsSolutions-IAM5[Resource::*]", "s/Svc", suppressed=on_policy)
    assert acknowledgement_problems(wide)


def test_a_stale_acknowledgement_fails() -> None:
    ack = _ack("AwsSolutions::AwsSolutions-S1", "s/B")
    assert acknowledgement_problems(ack) == ["suppresses no finding in sandbox; remove it"]


def test_a_nag_acknowledgement_without_its_prefix_fails() -> None:
    ack = _ack("Annotation::AwsSolutions-S1", "s/B")
    (problem,) = acknowledgement_problems(ack)
    assert "use id='AwsSolutions::AwsSolutions-S1'" in problem


def test_scope_for_findings_on_several_resources_is_their_common_ancestor() -> None:
    assert narrowest_scopes(["s/Svc/A/Resource", "s/Svc/B/Resource"]) == ["s/Svc"]


def test_reader_collects_acknowledgement_with_what_it_suppressed(tmp_path: Path) -> None:
    """The on-disk format verified with a throwaway app (metadata file + report)."""
    import json

    (tmp_path / "s.metadata.json").write_text(
        json.dumps(
            {
                "/s/B": [
                    {
                        "type": "aws:cdk:acknowledged-rules",
                        "data": {"AwsSolutions::AwsSolutions-S1": SPECIFIC},
                    }
                ]
            }
        )
    )
    manifest = {
        "artifacts": {
            "s": {"type": "aws:cloudformation:stack", "additionalMetadataFile": "s.metadata.json"}
        }
    }
    report = {
        "pluginReports": [
            {
                "pluginName": "AwsSolutions",
                "violations": [],
                "suppressedViolations": [
                    {
                        "ruleName": "AwsSolutions-S1",
                        "acknowledgedId": "AwsSolutions::AwsSolutions-S1",
                        "acknowledgedAt": "s/B",
                        "reason": SPECIFIC,
                        "violatingConstructs": [{"constructPath": "s/B/Resource"}],
                    }
                ],
            }
        ]
    }
    (ack,) = collect_acknowledgements("sandbox", tmp_path, manifest, report)
    assert ack == _ack("AwsSolutions::AwsSolutions-S1", "s/B", suppressed=("s/B/Resource",))
    assert acknowledgement_problems(ack) == []
