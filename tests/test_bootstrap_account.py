"""tools/account/bootstrap.py: service-linked roles before the first deploy (moto in-process)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from platform_config import load_config
from tests.helpers.early import Outcome
from tools.account import bootstrap
from tools.account.bootstrap import (
    SERVICE_LINKED_ROLES,
    cdk_bootstrap_command,
    ensure_service_linked_role,
    main,
)

ROOT = Path(__file__).resolve().parent.parent
MOTO_ACCOUNT = "123456789012"


def test_the_platforms_service_linked_roles_are_all_there() -> None:
    assert set(SERVICE_LINKED_ROLES) == {
        "ecs.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
        "autoscaling.amazonaws.com",
        "eks.amazonaws.com",
        "eks-nodegroup.amazonaws.com",
        "spot.amazonaws.com",
    }


@pytest.mark.integration
def test_first_run_creates_every_role_second_run_reports_exists(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--environment", "sandbox", "--skip-cdk-bootstrap"]
    assert main(argv, session=aws) == 0
    first = capsys.readouterr().out
    assert f"Account {MOTO_ACCOUNT}, region us-east-1" in first
    for service in SERVICE_LINKED_ROLES:
        assert _state(first, service) == "created"
    roles = aws.client("iam").list_roles(PathPrefix="/aws-service-role/")["Roles"]
    assert len(roles) == len(SERVICE_LINKED_ROLES)

    assert main(argv, session=aws) == 0
    second = capsys.readouterr().out
    for service in SERVICE_LINKED_ROLES:
        assert _state(second, service) == "exists"


def test_iams_taken_in_this_account_answer_counts_as_exists() -> None:
    """Real IAM words an existing service-linked role as InvalidInput, not EntityAlreadyExists."""
    iam = boto3.client(
        "iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(iam) as stubber:
        stubber.add_client_error(
            "create_service_linked_role",
            service_error_code="InvalidInput",
            service_message=(
                "Service role name AWSServiceRoleForECS has been taken in this account, "
                "please try a different suffix."
            ),
            http_status_code=400,
        )
        assert ensure_service_linked_role(iam, "ecs.amazonaws.com") == "exists"
        stubber.add_client_error(
            "create_service_linked_role",
            service_error_code="InvalidInput",
            service_message="Unknown service principal",
            http_status_code=400,
        )
        with pytest.raises(Exception, match="Unknown service principal"):
            ensure_service_linked_role(iam, "nope.amazonaws.com")


@pytest.mark.integration
def test_a_denied_call_is_one_line(aws: boto3.Session, capsys: pytest.CaptureFixture[str]) -> None:
    iam = aws.client("iam")
    with Stubber(iam) as stubber:
        stubber.add_client_error(
            "create_service_linked_role",
            service_error_code="AccessDenied",
            service_message="not allowed: iam:CreateServiceLinkedRole",
            http_status_code=403,
        )
        session = _SessionWith(aws, iam=iam)
        assert main(["--environment", "sandbox", "--skip-cdk-bootstrap"], session=session) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "error: CreateServiceLinkedRole failed: AccessDenied: not allowed: "
        "iam:CreateServiceLinkedRole"
    ]


@pytest.mark.integration
def test_a_configured_account_must_match_the_credentials(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    overrides = tmp_path / "account.json"
    overrides.write_text('{"account": "111111111111"}')
    argv = ["--environment", "sandbox", "--overrides", str(overrides), "--skip-cdk-bootstrap"]
    assert main(argv, session=aws) == 1
    assert "credentials are of account 123456789012" in capsys.readouterr().err


@pytest.mark.integration
def test_cdk_bootstrap_runs_for_the_environments_account_and_region(
    aws: boto3.Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[list[str]] = []

    def fake_run(command: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(bootstrap.subprocess, "run", fake_run)
    assert main(["--environment", "production"], session=aws) == 0
    assert calls == [
        [
            "cdk",
            "--no-notices",
            "bootstrap",
            f"aws://{MOTO_ACCOUNT}/us-east-1",
            "-c",
            "environment=production",
        ]
    ]
    assert calls[0] == cdk_bootstrap_command(load_config("production"), MOTO_ACCOUNT)

    monkeypatch.setattr(
        bootstrap.subprocess,
        "run",
        lambda command, check: subprocess.CompletedProcess(command, 3),
    )
    assert main(["--environment", "production"], session=aws) == 1
    assert "error: cdk bootstrap exited with 3" in capsys.readouterr().err


def test_missing_credentials_fail_with_one_line_and_no_traceback(
    outcome: Callable[[str], Outcome],
) -> None:
    result = outcome("bootstrap-without-credentials")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: no AWS credentials found: configure a profile (AWS_PROFILE) or export "
        "credentials, then rerun"
    ]


def test_an_unknown_environment_is_a_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--environment", "nope", "--skip-cdk-bootstrap"], session=object()) == 1
    assert "unknown environment 'nope'" in capsys.readouterr().err


def _state(output: str, service: str) -> str:
    line = next(line for line in output.splitlines() if f" {service} " in line)
    return line.split()[3]


class _SessionWith:
    """A session whose clients are `aws`'s, except the ones given."""

    def __init__(self, aws: boto3.Session, **clients: Any) -> None:
        self._aws = aws
        self._clients = clients

    def client(self, name: str, **kwargs: Any) -> Any:
        return self._clients.get(name) or self._aws.client(name, **kwargs)  # type: ignore[call-overload]
