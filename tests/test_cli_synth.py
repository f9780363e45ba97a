"""Every environment synthesizes offline (no credentials, calls or lookups), and the suite's
in-process synths write exactly what the real CDK CLI writes.

The one real-CLI synth of the suite (the sandbox, as `make synth` runs it) starts before the
in-process synths of the shipped environments and runs beside them and the tests after them
(tests/conftest.py: `environments`). app.py's error paths are tested in-process (`app.main`).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import app
from stacks import names
from tests.helpers.apps import RECORD, project_app
from tests.helpers.assembly import Assembly
from tests.helpers.cdk_cli import ROOT, SynthRun

EXPECTED_UNITS = (
    names.NETWORK_UNIT,
    names.REGISTRY_UNIT,
    names.ecs_cluster_unit("ec2"),
    names.ecs_services_unit("ec2", 1),
    names.ecs_cluster_unit("fargate"),
    names.ecs_services_unit("fargate", 1),
    names.EKS_UNIT,
)
JSII_KERNEL_DIR = re.compile(rb"jsii-kernel-\w+")


def test_assembly_has_the_expected_stacks(assembly: Assembly) -> None:
    expected = {assembly.stack_name(unit) for unit in EXPECTED_UNITS}
    assert expected <= set(assembly.stack_templates)


def test_no_context_lookups_were_needed(assembly: Assembly) -> None:
    """A lookup would leave missing context in the manifest (and need credentials to resolve)."""
    assert not assembly.manifest.get("missing")


def test_stacks_target_the_configured_region(assembly: Assembly) -> None:
    for name in assembly.stack_templates:
        environment = assembly.manifest["artifacts"][name]["environment"]
        assert environment == "aws://unknown-account/us-east-1"


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
        ({"config-dir": "config"}, "unknown context key 'config-dir'; did you mean 'config'?"),
    ],
    ids=["abbreviation", "case", "typo", "suffix", "dash", "no-close-name", "config"],
)
def test_app_rejects_unknown_context_keys(
    context: dict[str, str],
    line: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A `-c` key that is neither this app's nor the CDK's (`cdk synth -c env=production`, a
    misspelt `environment`): exit 1 with one line (no traceback) naming the likely meant key and
    saying which keys the app reads, before any config is loaded, and no assembly."""
    monkeypatch.chdir(tmp_path)
    assert app.main(project_app(tmp_path / "cdk.out", **context)) == 1
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"error: {line}")
    assert stderr.count("\n") == 1
    assert "this app reads environment, config, config_overrides" in stderr
    assert "Invalid configuration" not in stderr
    assert not (tmp_path / "cdk.out" / "manifest.json").exists()


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
        (
            {"config_overrides": "bad-cidr.json"},
            "network.vpc_cidr: '10.0.0.0/33' is not an IPv4 network",
        ),
        (
            {"config": "missing"},
            "config: 'missing' is not a directory; allowed: a config of record",
        ),
        (
            {"config_overrides": "services-list.json"},
            "ecs.fargate.services: services-list.json gives a list; services are a map by name",
        ),
    ],
    ids=[
        "unknown-environment",
        "unreadable-overrides",
        "overrides-not-an-object",
        "invalid-field",
        "no-config-of-record",
        "services-as-a-list",
    ],
)
def test_app_exits_non_zero_on_bad_config(
    context: dict[str, str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """app.py's own error path (what the CLI runs): exit 1, the environment, the field and what
    is allowed on stderr, no assembly."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(RECORD, tmp_path / "config")  # cdk.json's default, relative to the project
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "bad-cidr.json").write_text('{"network": {"vpc_cidr": "10.0.0.0/33"}}')
    (tmp_path / "services-list.json").write_text('{"ecs": {"fargate": {"services": []}}}')
    assert app.main(project_app(tmp_path / "cdk.out", **context)) == 1
    environment = context.get("environment", "sandbox")
    stderr = capsys.readouterr().err
    assert f"Invalid configuration for environment '{environment}'" in stderr
    assert message in stderr
    assert not (tmp_path / "cdk.out" / "manifest.json").exists()


def test_cli_synth_succeeds_without_credentials(cli_synth: SynthRun) -> None:
    """The CLI synthesizes with AWS_* removed and HOME empty, and looks nothing up (a lookup would
    need credentials and be cached in cdk.context.json)."""
    cli_synth.check()
    assert not (ROOT / "cdk.context.json").exists()


def test_cli_synth_prints_nothing_but_its_success(cli_synth: SynthRun) -> None:
    """A user's `cdk synth` of a shipped environment says that it succeeded and nothing else: no
    warning of the CLI's (such as the one it prints on every command while cdk.json holds a
    reserved `aws:` key) and none of the app's."""
    run = cli_synth.check()
    said = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    success = ("Successfully synthesized to ", "Supply a stack id (")
    assert [line for line in said if not line.startswith(success)] == []


def _without_jsii_kernel_dir(data: bytes) -> bytes:
    """Construct creation stacks (in *.metadata.json) name the temp folder jsii unpacks
    aws-cdk-lib into, which differs in every process."""
    return JSII_KERNEL_DIR.sub(b"jsii-kernel-*", data)


def test_cli_and_in_process_synths_write_the_same_assembly(
    cli_synth: SynthRun, sandbox: Assembly
) -> None:
    """The in-process sandbox every other test reads (and tests/deploy deploys) is, file for
    file and byte for byte, the assembly the CLI writes: the context the CLI hands app.py is the
    one tests/helpers/apps.py records from it, and the output is deterministic (another process,
    another Python hash seed, other temp paths)."""
    cli = cli_synth.check().outdir
    # aws-cdk-lib adds its performance counters for the CLI when a synth is slow (per stack over
    # a threshold), as on a loaded machine: not part of the app's output.
    files = sorted(
        path.relative_to(cli)
        for path in cli.rglob("*")
        if path.is_file() and path.name != "performance-counters.json"
    )
    assert files == sorted(
        path.relative_to(sandbox.outdir) for path in sandbox.outdir.rglob("*") if path.is_file()
    )
    assert set(sandbox.stack_templates.values()) <= {str(file) for file in files}
    for file in files:
        first = _without_jsii_kernel_dir((cli / file).read_bytes())
        second = _without_jsii_kernel_dir((sandbox.outdir / file).read_bytes())
        assert first == second, f"{file} differs between the CLI's and the in-process synth"


def test_app_reports_each_explicit_removal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`"<name>": null` in an overrides file removes a service of the config of record, and
    every synth says so on stderr (the platform itself is not built here: build_platform is
    replaced by a recorder)."""
    built = []
    monkeypatch.setattr(
        "stacks.platform.build_platform", lambda _app, config, **_: built.append(config)
    )
    remove = tmp_path / "remove.json"
    remove.write_text('{"ecs": {"fargate": {"services": {"sample": null}}}}')
    context = {"config": str(RECORD), "config_overrides": str(remove)}
    assert app.main(project_app(tmp_path / "cdk.out", **context)) == 0
    (config,) = built
    assert list(config.ecs.fargate.services) == []
    assert list(config.ecs.ec2.services) == ["sample"]
    assert capsys.readouterr().err == (f"note: ecs.fargate.services.sample removed by {remove}\n")
