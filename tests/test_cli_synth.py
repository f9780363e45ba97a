"""The real CDK CLI synthesizes every environment offline: no credentials, calls or lookups."""

from __future__ import annotations

import pytest

from tests.assembly import Assembly
from tests.cdk_cli import ROOT, SynthRun
from tests.conftest import BAD_CONFIG_RUNS, SANDBOX_AGAIN

EXPECTED_UNITS = (
    "network",
    "registry",
    "ecs-ec2",
    "ecs-ec2-services-1",
    "ecs-fargate",
    "ecs-fargate-services-1",
    "eks",
)


def test_synth_succeeds_without_credentials(synth_runs: dict[str, SynthRun]) -> None:
    """Every environment synthesizes with AWS_* removed and HOME empty (no ~/.aws)."""
    for run in synth_runs.values():
        run.check()


def test_assembly_has_the_expected_stacks(assembly: Assembly) -> None:
    expected = {assembly.stack_name(unit) for unit in EXPECTED_UNITS}
    assert expected <= set(assembly.stack_templates)


def test_no_context_lookups_were_needed(assembly: Assembly) -> None:
    """A lookup would leave missing context in the manifest (and need credentials to resolve)."""
    assert not assembly.manifest.get("missing")
    assert not (ROOT / "cdk.context.json").exists()


def test_stacks_target_the_configured_region(assembly: Assembly) -> None:
    for name in assembly.stack_templates:
        environment = assembly.manifest["artifacts"][name]["environment"]
        assert environment == "aws://unknown-account/us-east-1"


def test_synth_is_deterministic(sandbox: Assembly, cli_runs: dict[str, SynthRun]) -> None:
    """The same input gives byte-identical templates (a second, independent CLI synth)."""
    again = cli_runs[SANDBOX_AGAIN].check()
    for name, template_file in sandbox.stack_templates.items():
        first = (sandbox.outdir / template_file).read_bytes()
        second = (again.outdir / template_file).read_bytes()
        assert first == second, f"{name} differs between two synths"


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("unknown-environment", "unknown environment 'staging'; allowed: production, sandbox"),
        ("bad-cidr", "network.vpc_cidr: '10.0.0.0/33' is not an IPv4 network"),
    ],
)
def test_bad_config_fails_synth_with_a_clear_message(
    cli_runs: dict[str, SynthRun], label: str, message: str
) -> None:
    """The CLI exits non-zero, prints the environment, field and what is allowed, writes nothing."""
    run = cli_runs[label]
    environment = BAD_CONFIG_RUNS[label][0]
    assert run.returncode != 0
    assert f"Invalid configuration for environment '{environment}'" in run.stderr
    assert message in run.stderr
    assert not (run.outdir / "manifest.json").exists()
