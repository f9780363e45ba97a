"""Every environment synthesizes offline (no credentials, calls or lookups): the sandbox through the
real CDK CLI, production in-process with the CLI's exact context, which writes the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

import app
from tests.apps import project_app, project_context, synth_environment
from tests.assembly import Assembly
from tests.cdk_cli import ROOT, SynthRun

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
    """The CLI synthesizes with AWS_* removed and HOME empty (no ~/.aws)."""
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
    """The same input gives byte-identical templates: a second synth of the sandbox, in this
    process (another Python hash seed, other temp paths), writes exactly the CLI's bytes."""
    again = synth_environment("sandbox", tmp_path / "cdk.out")
    for name, template_file in sandbox.stack_templates.items():
        first = (sandbox.outdir / template_file).read_bytes()
        second = (again / template_file).read_bytes()
        assert first == second, f"{name} differs between two synths"


def test_bad_config_fails_cli_synth_with_a_clear_message(cli_runs: dict[str, SynthRun]) -> None:
    """`cdk synth` with a bad overrides file exits non-zero, prints the environment, the field
    and what is allowed, and writes no assembly."""
    run = cli_runs["bad-cidr"]
    assert run.returncode != 0
    assert "Invalid configuration for environment 'sandbox'" in run.stderr
    assert "network.vpc_cidr: '10.0.0.0/33' is not an IPv4 network" in run.stderr
    assert not (run.outdir / "manifest.json").exists()


def test_unknown_context_key_fails_cli_synth_with_one_line(
    cli_runs: dict[str, SynthRun],
) -> None:
    """`cdk synth -c env=production` (a misspelt `environment`) exits non-zero with one error line
    naming the key and the likely meant one, no traceback, and writes no assembly."""
    run = cli_runs["unknown-context-key"]
    assert run.returncode != 0
    assert "error: unknown context key 'env'; did you mean 'environment'?" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (run.outdir / "manifest.json").exists()


@pytest.mark.parametrize(
    ("context", "line"),
    [
        ({"env": "production"}, "unknown context key 'env'; did you mean 'environment'?"),
        (
            {"ENVIRONMENT": "sandbox"},
            "unknown context key 'ENVIRONMENT'; did you mean 'environment'?",
        ),
        (
            {"enviroment": "sandbox"},
            "unknown context key 'enviroment'; did you mean 'environment'?",
        ),
        (
            {"overrides": "a.json"},
            "unknown context key 'overrides'; did you mean 'config_overrides'?",
        ),
        (
            {"config-overrides": "a.json"},
            "unknown context key 'config-overrides'; did you mean 'config_overrides'?",
        ),
        ({"region": "eu-west-1"}, "unknown context key 'region' (this app reads"),
    ],
    ids=["abbreviation", "case", "typo", "suffix", "dash", "no-close-name"],
)
def test_app_rejects_unknown_context_keys(
    context: dict[str, str],
    line: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A `-c` key that is neither this app's nor the CDK's: exit 1 with one line saying which
    keys the app reads, before any config is loaded, and no assembly."""
    monkeypatch.chdir(tmp_path)
    assert app.main(project_app(tmp_path / "cdk.out", **context)) == 1
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"error: {line}")
    assert stderr.count("\n") == 1
    assert "this app reads environment, config_overrides" in stderr
    assert "Invalid configuration" not in stderr
    assert not (tmp_path / "cdk.out" / "manifest.json").exists()


def test_each_unknown_context_key_gets_its_line() -> None:
    problems = app.unknown_context_keys({"env": "x", "stage": "y", "environment": "z"}, ())
    assert [problem.split(" (")[0] for problem in problems] == [
        "unknown context key 'env'; did you mean 'environment'?",
        "unknown context key 'stage'",
    ]


@pytest.mark.parametrize(
    "key",
    [
        "environment",
        "config_overrides",
        "@aws-cdk/core:failSynthOnValidationErrors",
        "@aws-cdk/aws-ecs:someFutureFlag",
        "@aws-cdk-containers/ecs-service-extensions:enableDefaultLogDriver",
        "cli-telemetry",
        "aws:cdk:enable-path-metadata",
        "aws:cdk:bundling-stacks",
        "cdk-some-cli-key",
        "acknowledged-issue-numbers",
        "availability-zones:account=123456789012:region=us-east-1",
        "ssm:account=123456789012:parameterName=/x:region=us-east-1",
    ],
)
def test_cdk_and_app_context_keys_are_accepted(key: str) -> None:
    """cdk.json's keys, the CLI's (tests/apps.py CLI_SYNTH_CONTEXT), the CDK's feature flags
    and cached lookups (cdk.context.json) are not unknown."""
    assert app.unknown_context_keys({key: "x"}, app.cdk_json_context_keys()) == []


def test_project_context_has_no_unknown_keys() -> None:
    """What `cdk synth` hands app.py (cdk.json's context and the CLI's keys) passes the check."""
    assert app.unknown_context_keys(project_context(), app.cdk_json_context_keys()) == []


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (
            {"environment": "staging"},
            "environment: unknown environment 'staging'; allowed: production, sandbox",
        ),
        (
            {"config_overrides": "missing.json"},
            "config_overrides: cannot read missing.json",
        ),
        (
            {"config_overrides": "list.json"},
            "config_overrides: list.json must hold a JSON object",
        ),
    ],
    ids=["unknown-environment", "unreadable-overrides", "overrides-not-an-object"],
)
def test_app_exits_non_zero_on_bad_config(
    context: dict[str, str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """app.py's own error path (what the CLI runs): exit 1, the message on stderr, no assembly.
    The CLI's handling of it is shown once above, on the overrides-file run."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.json").write_text("[]")
    assert app.main(project_app(tmp_path / "cdk.out", **context)) == 1
    environment = context.get("environment", "sandbox")
    stderr = capsys.readouterr().err
    assert f"Invalid configuration for environment '{environment}'" in stderr
    assert message in stderr
    assert not (tmp_path / "cdk.out" / "manifest.json").exists()
