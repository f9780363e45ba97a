"""The real CDK CLI synthesizes every environment offline: no credentials, calls or lookups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.assembly import Assembly
from tests.cdk_cli import ROOT, SynthRun, run_synth

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


def test_synth_is_deterministic(sandbox: Assembly, tmp_path: Path) -> None:
    """The same input gives byte-identical templates."""
    again = run_synth("sandbox", tmp_path / "cdk.out", tmp_path / "home").check()
    for name, template_file in sandbox.stack_templates.items():
        first = (sandbox.outdir / template_file).read_bytes()
        second = (again.outdir / template_file).read_bytes()
        assert first == second, f"{name} differs between two synths"


@pytest.mark.parametrize(
    ("environment", "overrides", "message"),
    [
        ("staging", None, "unknown environment 'staging'; allowed: production, sandbox"),
        (
            "sandbox",
            {"network": {"vpc_cidr": "10.0.0.0/33"}},
            "network.vpc_cidr: '10.0.0.0/33' is not an IPv4 network",
        ),
    ],
)
def test_bad_config_fails_synth_with_a_clear_message(
    tmp_path: Path, environment: str, overrides: dict[str, object] | None, message: str
) -> None:
    """The CLI exits non-zero, prints the environment, field and what is allowed, writes nothing."""
    args: list[str] = []
    if overrides is not None:
        overrides_file = tmp_path / "overrides.json"
        overrides_file.write_text(json.dumps(overrides))
        args = ["-c", f"config_overrides={overrides_file}"]
    run = run_synth(environment, tmp_path / "cdk.out", tmp_path / "home", *args)
    assert run.returncode != 0
    assert f"Invalid configuration for environment '{environment}'" in run.stderr
    assert message in run.stderr
    assert not (tmp_path / "cdk.out" / "manifest.json").exists()
