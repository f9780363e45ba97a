"""tools/account/secrets.py through tools/account/check.py: every secret the ECS services read
must exist where the deployer's account can tell (moto, and fake clients for refused calls).

moto's caller is account 123456789012 (read from STS here, not assumed). moto's DescribeParameters
matches a Name filter with or without the leading '/' (`name` finds `/name` and `/a/b` finds
`a/b`), so these tests pass whichever form is asked for; the check asks for the forms a parameter
of that ARN can have (tools/account/secrets.py), which real SSM needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from platform_config import PlatformConfig, load_config
from platform_config.environments import SAMPLE_IMAGE
from tests.helpers.account import customer_managed_key
from tests.helpers.fake_session import FakeSession
from tools.account.check import check_account, main
from tools.account.secrets import (
    FOUND,
    MISSING,
    NOT_CHECKED,
    secret_name_of_arn,
    ssm_parameter_names,
)

ROOT = Path(__file__).resolve().parent.parent
TEAM_SERVICES = ["--environment", "production", "--config", str(ROOT / "examples/team-services")]
WEB_API_TOKEN = "ecs.fargate.services.web-api.secrets.API_TOKEN"
OTHER_ACCOUNT = "210987654321"


def _account(aws: boto3.Session) -> str:
    return str(aws.client("sts").get_caller_identity()["Account"])


def _config(secrets: dict[str, Any], **more: dict[str, Any]) -> PlatformConfig:
    """The sandbox without the config of record: Fargate service `web` reading `secrets`, and
    `more` services by name with theirs, EKS off."""
    services = {
        name: {
            "image": dict(SAMPLE_IMAGE),
            "route": {"priority": priority, "paths": [f"/{name}/*"]},
            "secrets": service_secrets,
        }
        for priority, (name, service_secrets) in enumerate({"web": secrets, **more}.items(), 1)
    }
    overrides = {"ecs": {"fargate": {"services": services}}, "eks": {"enabled": False}}
    return load_config("sandbox", overrides=overrides, config_dir=None)


def _statuses(report: Any) -> dict[str, tuple[str, str]]:
    return {secret.path: (secret.status, secret.reason) for secret in report.secrets}


def _problems(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("problem(s):"))
    return [line.removeprefix("  - ") for line in lines[start + 1 :]]


class _DeniedSecretsManager:
    def describe_secret(self, **_: Any) -> dict[str, Any]:
        error = {"Code": "AccessDeniedException", "Message": "not authorized"}
        raise ClientError({"Error": error}, "DescribeSecret")


class _CountingSecretsManager:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[dict[str, Any]] = []

    def describe_secret(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        described: dict[str, Any] = self.client.describe_secret(**kwargs)
        return described


def test_the_names_a_parameter_arn_stands_for() -> None:
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter"
    assert ssm_parameter_names(f"{arn}/team/web/token") == ["/team/web/token"]
    assert ssm_parameter_names(f"{arn}/token") == ["token", "/token"]
    complete = "arn:aws:secretsmanager:us-east-1:123456789012:secret:team/db-pass-AbC123"
    assert secret_name_of_arn(complete) == "team/db-pass"


@pytest.mark.integration
def test_the_team_services_example_fails_until_its_secret_exists(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(TEAM_SERVICES, session=aws) == 1
    out = capsys.readouterr().out
    account = _account(aws)
    assert f"  {WEB_API_TOKEN}: missing (Secrets Manager secret " in out
    assert _problems(out) == [
        f"{WEB_API_TOKEN}: Secrets Manager secret 'team-services/web-api/api-token' does not "
        f"exist in account {account}, region us-east-1: every task of the service would fail to "
        "start; create it first: aws secretsmanager create-secret --name "
        "team-services/web-api/api-token --secret-string ... --region us-east-1"
    ]
    secrets = aws.client("secretsmanager", region_name="us-east-1")
    secrets.create_secret(Name="team-services/web-api/api-token", SecretString="t0ken")
    assert main(TEAM_SERVICES, session=aws) == 0
    out = capsys.readouterr().out
    assert f"  {WEB_API_TOKEN}: found (Secrets Manager secret " in out
    assert "No problems found." in out


@pytest.mark.parametrize("name", ["/team/web/token", "token"])
@pytest.mark.integration
def test_an_ssm_parameter_of_this_account_must_exist(aws: boto3.Session, name: str) -> None:
    account = _account(aws)
    arn = f"arn:aws:ssm:us-east-1:{account}:parameter/{name.removeprefix('/')}"
    config = _config({"TOKEN": {"ssm_parameter_arn": arn}})
    report = check_account(config, aws)
    field = "ecs.fargate.services.web.secrets.TOKEN"
    assert _statuses(report)[field][0] == MISSING
    (problem,) = report.problems
    assert problem.startswith(f"{field}: SSM parameter '{name}'")
    assert f"({arn}) does not exist in account {account}, region us-east-1" in problem
    assert f"aws ssm put-parameter --name {name} --type SecureString" in problem
    ssm = aws.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name=name, Value="t0ken", Type="SecureString")
    assert ssm.get_parameter(Name=name)["Parameter"]["ARN"] == arn  # the ARN the config gives
    report = check_account(config, aws)
    assert _statuses(report)[field] == (FOUND, "")
    assert report.problems == []


@pytest.mark.integration
def test_a_secret_arn_of_this_account_must_exist_and_json_keys_are_explained(
    aws: boto3.Session,
) -> None:
    account = _account(aws)
    arn = f"arn:aws:secretsmanager:us-east-1:{account}:secret:team/db-AbC123"
    config = _config({"DB_PASSWORD": {"secrets_manager_arn": arn, "json_key": "password"}})
    (problem,) = check_account(config, aws).problems
    assert problem == (
        f"ecs.fargate.services.web.secrets.DB_PASSWORD: Secrets Manager secret {arn} does not "
        f"exist in account {account}, region us-east-1: every task of the service would fail to "
        "start; create it first (its value must be a JSON object holding the key 'password'): "
        'aws secretsmanager create-secret --name team/db --secret-string \'{"password": "..."}\' '
        "--region us-east-1, then put the complete ARN it prints here"
    )
    secrets = aws.client("secretsmanager", region_name="us-east-1")
    created = secrets.create_secret(Name="team/db", SecretString='{"password": "p"}')["ARN"]
    config = _config({"DB_PASSWORD": {"secrets_manager_arn": created, "json_key": "password"}})
    report = check_account(config, aws)
    assert _statuses(report) == {"ecs.fargate.services.web.secrets.DB_PASSWORD": (FOUND, "")}


@pytest.mark.integration
def test_a_secret_scheduled_for_deletion_is_missing(aws: boto3.Session) -> None:
    secrets = aws.client("secretsmanager", region_name="us-east-1")
    secrets.create_secret(Name="team/old", SecretString="x")
    secrets.delete_secret(SecretId="team/old", RecoveryWindowInDays=7)
    (problem,) = check_account(_config({"OLD": {"secrets_manager_name": "team/old"}}), aws).problems
    assert "Secrets Manager secret 'team/old' is scheduled for deletion in account" in problem
    assert problem.endswith(
        "restore it first: aws secretsmanager restore-secret --secret-id team/old "
        "--region us-east-1"
    )


@pytest.mark.integration
def test_another_accounts_secrets_are_not_checked_and_not_a_problem(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = f"arn:aws:secretsmanager:us-east-1:{OTHER_ACCOUNT}:secret:shared/key-AbC123"
    parameter = f"arn:aws:ssm:us-east-1:{OTHER_ACCOUNT}:parameter/shared/url"
    config = _config(
        {"KEY": {"secrets_manager_arn": secret}, "URL": {"ssm_parameter_arn": parameter}}
    )
    report = check_account(config, aws)
    owners = (NOT_CHECKED, f"in account {OTHER_ACCOUNT}: its owner's to check")
    assert _statuses(report) == {
        "ecs.fargate.services.web.secrets.KEY": owners,
        "ecs.fargate.services.web.secrets.URL": owners,
    }
    assert report.problems == []
    assert (
        f"  ecs.fargate.services.web.secrets.KEY: not checked (Secrets Manager secret {secret}): "
        f"in account {OTHER_ACCOUNT}: its owner's to check"
    ) in report.render()


@pytest.mark.integration
def test_a_denied_lookup_is_not_checked_and_the_rest_of_the_check_runs(
    aws: boto3.Session,
) -> None:
    account = _account(aws)
    parameter = f"arn:aws:ssm:us-east-1:{account}:parameter/team/missing"
    config = _config(
        {"TOKEN": {"secrets_manager_name": "team/token"}, "URL": {"ssm_parameter_arn": parameter}}
    )
    report = check_account(config, FakeSession(aws, secretsmanager=_DeniedSecretsManager()))
    statuses = _statuses(report)
    assert statuses["ecs.fargate.services.web.secrets.TOKEN"] == (
        NOT_CHECKED,
        "DescribeSecret failed: AccessDeniedException",
    )
    assert statuses["ecs.fargate.services.web.secrets.URL"][0] == MISSING
    assert report.zone_ids == {"us-east-1a": "use1-az6", "us-east-1b": "use1-az1"}
    assert set(report.instance_types) == {"t3.small", "t3a.medium", "t3.medium"}
    assert [problem.split(":")[0] for problem in report.problems] == [
        "ecs.fargate.services.web.secrets.URL"
    ]


@pytest.mark.integration
def test_a_secret_several_services_read_is_looked_up_once_and_reported_under_each_field(
    aws: boto3.Session,
) -> None:
    counting = _CountingSecretsManager(aws.client("secretsmanager", region_name="us-east-1"))
    shared = {"secrets_manager_name": "team/shared"}
    config = _config({"SHARED": shared}, api={"TOKEN": shared, "KEY": {**shared, "json_key": "k"}})
    report = check_account(config, FakeSession(aws, secretsmanager=counting))
    assert counting.calls == [{"SecretId": "team/shared"}]
    fields = [
        "ecs.fargate.services.api.secrets.KEY",
        "ecs.fargate.services.api.secrets.TOKEN",
        "ecs.fargate.services.web.secrets.SHARED",
    ]
    assert sorted(_statuses(report)) == fields
    assert sorted(problem.split(":")[0] for problem in report.problems) == fields
    key_problem = next(p for p in report.problems if p.startswith(fields[0]))
    assert "holding the key 'k'" in key_problem


@pytest.mark.integration
def test_a_secret_encrypted_with_a_customer_managed_key_needs_that_key_in_kms_key_arn(
    aws: boto3.Session,
) -> None:
    """The secret names its key by alias (as DescribeSecret gives it back), KMS resolves it: the
    field must name the key's ARN, or every task fails to decrypt it."""
    key = customer_managed_key(aws, "alias/team")
    other = customer_managed_key(aws, "alias/other")
    secrets = aws.client("secretsmanager", region_name="us-east-1")
    secrets.create_secret(Name="team/token", SecretString="x", KmsKeyId="alias/team")
    field = "ecs.fargate.services.web.secrets.TOKEN"
    unset = check_account(_config({"TOKEN": {"secrets_manager_name": "team/token"}}), aws)
    assert unset.problems == [
        f"{field}.kms_key_arn: Secrets Manager secret 'team/token' in us-east-1 is encrypted with "
        f"the customer managed KMS key {key}, but kms_key_arn is not set: the execution role "
        "may not decrypt it, so every task of the service would fail to start "
        f"(ResourceInitializationError); set kms_key_arn to {key}"
    ]
    wrong = {"TOKEN": {"secrets_manager_name": "team/token", "kms_key_arn": other}}
    (problem,) = check_account(_config(wrong), aws).problems
    assert f"but kms_key_arn names {other}: the execution role may not decrypt it" in problem
    right = {"TOKEN": {"secrets_manager_name": "team/token", "kms_key_arn": key}}
    report = check_account(_config(right), aws)
    assert report.problems == []
    assert (
        f"  {field}: found (Secrets Manager secret 'team/token' in us-east-1; KMS key {key})"
    ) in report.render()


@pytest.mark.integration
def test_the_service_may_decrypt_with_a_key_another_of_its_secrets_names_through_the_same_holder(
    aws: boto3.Session,
) -> None:
    """SSM's default key needs no grant; a parameter encrypted with a customer managed key is
    covered by another parameter of the same service naming that key (one grant per service),
    not by a Secrets Manager secret naming it (the grant is through SSM only), nor by another
    service's."""
    account = _account(aws)
    key = customer_managed_key(aws, "alias/params")
    ssm = aws.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/team/plain", Value="v", Type="SecureString")
    ssm.put_parameter(Name="/team/a", Value="v", Type="SecureString", KeyId=key.split("/")[-1])
    ssm.put_parameter(Name="/team/b", Value="v", Type="SecureString", KeyId="alias/params")
    aws.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="team/s", SecretString="x", KmsKeyId=key
    )
    parameter = f"arn:aws:ssm:us-east-1:{account}:parameter/team"
    config = _config(
        {
            "PLAIN": {"ssm_parameter_arn": f"{parameter}/plain"},
            "A": {"ssm_parameter_arn": f"{parameter}/a", "kms_key_arn": key},
            "B": {"ssm_parameter_arn": f"{parameter}/b"},
            "S": {"secrets_manager_name": "team/s"},
        },
        other={"B": {"ssm_parameter_arn": f"{parameter}/b"}},
    )
    report = check_account(config, aws)
    assert [problem.split(":")[0] for problem in report.problems] == [
        "ecs.fargate.services.other.secrets.B.kms_key_arn",
        "ecs.fargate.services.web.secrets.S.kms_key_arn",
    ]


class _DeniedKms:
    def describe_key(self, **_: Any) -> dict[str, Any]:
        error = {"Code": "AccessDeniedException", "Message": "not authorized"}
        raise ClientError({"Error": error}, "DescribeKey")


@pytest.mark.integration
def test_a_key_kms_will_not_describe_is_compared_as_an_arn_or_not_checked(
    aws: boto3.Session,
) -> None:
    key = customer_managed_key(aws, "alias/hidden")
    secrets = aws.client("secretsmanager", region_name="us-east-1")
    secrets.create_secret(Name="team/by-alias", SecretString="x", KmsKeyId="alias/hidden")
    secrets.create_secret(Name="team/by-arn", SecretString="x", KmsKeyId=key)
    config = _config(
        {
            "ALIAS": {"secrets_manager_name": "team/by-alias"},
            "ARN": {"secrets_manager_name": "team/by-arn"},
        }
    )
    report = check_account(config, FakeSession(aws, kms=_DeniedKms()))
    assert [problem.split(":")[0] for problem in report.problems] == [
        "ecs.fargate.services.web.secrets.ARN.kms_key_arn"
    ]
    assert (
        "  ecs.fargate.services.web.secrets.ALIAS: found (Secrets Manager secret 'team/by-alias' "
        "in us-east-1; its KMS key alias/hidden not described (DescribeKey failed: "
        "AccessDeniedException))"
    ) in report.render()
