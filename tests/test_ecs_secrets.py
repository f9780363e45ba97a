"""Secrets with an explicit kind: the execution role's policy names exactly each secret (the
account and region of an ARN kept), kms:Decrypt appears only for a given key, and each malformed
secret is rejected with a message naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from container_constructs.checks import MANAGED_POLICIES_PER_ROLE, MAX_SECRETS
from platform_config import ConfigError, load_config
from platform_config.environments import SAMPLE_IMAGE
from stacks import names
from tests.helpers.apps import synth_environment, validation_violations

COMPLETE = "arn:aws:secretsmanager:eu-west-1:444455556666:secret:db-master-AbC123"
PARAMETER = "arn:aws:ssm:us-east-1:444455556666:parameter/app/api-key"
KEY = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOCAL_KEY = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"

SECRETS: dict[str, dict[str, str]] = {
    "DB_PASSWORD": {"secrets_manager_arn": COMPLETE, "json_key": "password", "kms_key_arn": KEY},
    "DB_USER": {"secrets_manager_name": "db-master", "json_key": "username"},
    "API_KEY": {"ssm_parameter_arn": PARAMETER, "kms_key_arn": LOCAL_KEY},
    "TOKEN": {"secrets_manager_name": "app/token", "kms_key_arn": LOCAL_KEY},
}


def _service(secrets: dict[str, Any]) -> dict[str, Any]:
    return {
        "image": dict(SAMPLE_IMAGE),
        "route": {"priority": 1, "paths": ["/*"]},
        "secrets": secrets,
    }


def _overrides(secrets: dict[str, Any]) -> dict[str, Any]:
    """Service `web` with `secrets` on Fargate, alone (synthesized without the config of record),
    EKS off."""
    return {"ecs": {"fargate": {"services": {"web": _service(secrets)}}}, "eks": {"enabled": False}}


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_environment(
        "sandbox", tmp_path_factory.mktemp("secrets") / "cdk.out", _overrides(SECRETS), None
    )


def _resources(outdir: Path) -> dict[str, Any]:
    stack = names.stack_id("sandbox", names.ecs_services_unit("fargate", 1))
    template = json.loads((outdir / f"{stack}.template.json").read_text())
    resources: dict[str, Any] = template["Resources"]
    return resources


def _statements(outdir: Path) -> list[dict[str, Any]]:
    policy = next(
        r
        for k, r in _resources(outdir).items()
        if k.startswith(f"{names.service_construct_id('web')}ExecutionRoleDefaultPolicy")
    )
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _resolve(value: Any) -> str:
    """A resource ARN with pseudo parameters shown as ${AWS::...} (Fn::Join flattened)."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(_resolve(part) for part in value["Fn::Join"][1])
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    return json.dumps(value)


def _resources_of(outdir: Path, action: str) -> list[str]:
    found: list[str] = []
    for statement in _statements(outdir):
        actions = statement["Action"]
        if action in (actions if isinstance(actions, list) else [actions]):
            resource = statement["Resource"]
            found += [_resolve(r) for r in (resource if isinstance(resource, list) else [resource])]
    return sorted(found)


@pytest.mark.integration
def test_secrets_manager_grants_name_exactly_the_secrets(outdir: Path) -> None:
    assert _resources_of(outdir, "secretsmanager:GetSecretValue") == sorted(
        [
            COMPLETE,
            "arn:aws:secretsmanager:us-east-1:${AWS::AccountId}:secret:db-master-??????",
            "arn:aws:secretsmanager:us-east-1:${AWS::AccountId}:secret:app/token-??????",
        ]
    )


@pytest.mark.integration
def test_ssm_grant_keeps_the_parameters_account_and_region(outdir: Path) -> None:
    assert _resources_of(outdir, "ssm:GetParameters") == [PARAMETER]


@pytest.mark.integration
def test_kms_decrypt_only_on_the_given_keys_via_their_service(outdir: Path) -> None:
    decrypt = [s for s in _statements(outdir) if s["Action"] == "kms:Decrypt"]
    assert {_resolve(s["Resource"]): s["Condition"] for s in decrypt} == {
        KEY: {"StringEquals": {"kms:ViaService": ["secretsmanager.eu-west-1.amazonaws.com"]}},
        LOCAL_KEY: {
            "StringEquals": {
                "kms:ViaService": [
                    "secretsmanager.us-east-1.amazonaws.com",
                    "ssm.us-east-1.amazonaws.com",
                ]
            }
        },
    }


@pytest.mark.integration
def test_container_secrets_value_from(outdir: Path) -> None:
    definition = next(
        r for r in _resources(outdir).values() if r["Type"] == "AWS::ECS::TaskDefinition"
    )
    value_from = {
        s["Name"]: _resolve(s["ValueFrom"])
        for s in definition["Properties"]["ContainerDefinitions"][0]["Secrets"]
    }
    assert value_from["DB_PASSWORD"] == f"{COMPLETE}:password::"
    assert value_from["API_KEY"] == PARAMETER
    assert value_from["DB_USER"].endswith(":secret:db-master:username::")


@pytest.mark.integration
def test_secrets_are_nag_clean(outdir: Path) -> None:
    assert validation_violations(outdir) == []


@pytest.mark.integration
@pytest.mark.integration
def test_the_most_secrets_a_config_allows_fit_the_roles_managed_policy_quota(
    tmp_path: Path,
) -> None:
    """MAX_SECRETS distinct parameters of the longest name SSM takes (1,011 characters), each with
    a key of its own: aws-cdk-lib moves what exceeds the inline quota into managed policies, and
    they stay within IAM's default quota per role, so the rule iam-role-managed-policy-quota is
    unreachable from a validated config (and the template is clean)."""
    prefix = "arn:aws:ssm:us-east-1:444455556666:parameter/"
    key = "arn:aws:kms:us-east-1:444455556666:key/"
    secrets = {
        f"S{i}": {
            "ssm_parameter_arn": prefix + f"{i:04d}".ljust(1011, "p"),
            "kms_key_arn": key + f"{i:08d}-1234-5678-9abc-1234567890ab",
        }
        for i in range(MAX_SECRETS)
    }
    outdir = synth_environment("sandbox", tmp_path / "cdk.out", _overrides(secrets), None)
    role = next(k for k in _resources(outdir) if k.startswith("ServiceWebExecutionRole"))
    attached = [
        k
        for k, r in _resources(outdir).items()
        if r["Type"] == "AWS::IAM::ManagedPolicy" and {"Ref": role} in r["Properties"]["Roles"]
    ]
    assert 0 < len(attached) <= MANAGED_POLICIES_PER_ROLE  # 8 today
    assert validation_violations(outdir) == []


def test_no_kms_statement_without_a_key(tmp_path: Path) -> None:
    secrets = {"DB_USER": {"secrets_manager_name": "db-master"}}
    outdir = synth_environment("sandbox", tmp_path / "cdk.out", _overrides(secrets), None)
    assert not [s for s in _statements(outdir) if "kms:" in json.dumps(s["Action"])]


_FIELD = "ecs.fargate.services.web.secrets"


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (
            {"secrets_manager_arn": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db"},
            f"{_FIELD}.X.secrets_manager_arn: 'arn:aws:secretsmanager:us-east-1:111122223333:"
            "secret:db' is not a complete Secrets Manager secret ARN; allowed: "
            "arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf (with the 6-character "
            "suffix Secrets Manager appends to the name); for a secret of this account/region by "
            "name use secrets_manager_name",
        ),
        (
            {"secrets_manager_name": "arn:aws:secretsmanager:us-east-1:1:secret:x"},
            f"{_FIELD}.X.secrets_manager_name: 'arn:aws:secretsmanager:us-east-1:1:secret:x' is "
            "not a Secrets Manager secret name; allowed: 1-512 letters",
        ),
        (
            {"secrets_manager_name": "db master"},
            f"{_FIELD}.X.secrets_manager_name: 'db master' is not a Secrets Manager secret name",
        ),
        (
            {"ssm_parameter_arn": "arn:aws:ssm:us-east-1:111122223333:parameter//app/key"},
            f"{_FIELD}.X.ssm_parameter_arn: 'arn:aws:ssm:us-east-1:111122223333:parameter//app/"
            "key' is not an SSM parameter ARN; allowed: "
            "arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME",
        ),
        (
            {"ssm_parameter_arn": "/app/key"},
            f"{_FIELD}.X.ssm_parameter_arn: '/app/key' is not an SSM parameter ARN",
        ),
        (
            {"secrets_manager_name": "db", "kms_key_arn": "alias/db"},
            f"{_FIELD}.X.kms_key_arn: 'alias/db' is not a KMS key ARN; allowed: "
            "arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID (IAM cannot grant on an alias)",
        ),
        (
            {},
            f"{_FIELD}.X: give exactly one of secrets_manager_arn, secrets_manager_name, "
            "ssm_parameter_arn; got none",
        ),
        (
            {"secrets_manager_name": "db", "ssm_parameter_arn": PARAMETER},
            f"{_FIELD}.X: give exactly one of secrets_manager_arn, secrets_manager_name, "
            "ssm_parameter_arn; got secrets_manager_name, ssm_parameter_arn",
        ),
        (
            {"ssm_parameter_arn": PARAMETER, "json_key": "password"},
            f"{_FIELD}.X.json_key: only with secrets_manager_arn or secrets_manager_name",
        ),
        (
            {"secrets_manager_name": "db", "json_key": "a:b"},
            f"{_FIELD}.X.json_key: 'a:b' is not a JSON key",
        ),
        (
            {"secrets_manager_arn": COMPLETE, "kms_key_arn": LOCAL_KEY},
            f"{_FIELD}.X.kms_key_arn: the key is in us-east-1 but the secret in eu-west-1; "
            "allowed: a key in the secret's region",
        ),
        (
            {"secrets_manager_name": "db", "kms_key_arn": KEY},
            f"{_FIELD}.X.kms_key_arn: the key is in eu-west-1 but a secret named by "
            "secrets_manager_name is in the environment's region us-east-1; allowed: a key in "
            "us-east-1",
        ),
        (
            {"ssm_parameter_arn": "arn:aws:ssm:eu-west-1:111122223333:parameter/app/key"},
            f"{_FIELD}.X.ssm_parameter_arn: the parameter is in eu-west-1; allowed: a parameter "
            "in the environment's region us-east-1",
        ),
        (
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
            f"{_FIELD}.X: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf': give "
            'the secret as an object naming its kind, e.g. {"secrets_manager_arn": '
            '"arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"}; kinds: '
            "secrets_manager_arn, secrets_manager_name, ssm_parameter_arn",
        ),
        (
            PARAMETER,
            f"{_FIELD}.X: '{PARAMETER}': give the secret as an object naming its kind, e.g. "
            f'{{"ssm_parameter_arn": "{PARAMETER}"}}',
        ),
        (
            {"secret_arn": COMPLETE},
            f"{_FIELD}.X.secret_arn: unknown field; did you mean 'secrets_manager_arn'?; "
            "allowed: json_key, kms_key_arn, "
            "secrets_manager_arn, secrets_manager_name, ssm_parameter_arn",
        ),
    ],
)
def test_bad_secret_names_the_field(secret: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=_overrides({"X": secret}))
    assert message in str(caught.value), str(caught.value)


def test_bad_variable_name_names_the_field() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=_overrides({"1X": {"secrets_manager_name": "db"}}))
    assert (
        f"{_FIELD}: '1X' is not an environment variable name; allowed: letters, digits and '_'"
    ) in str(caught.value)
