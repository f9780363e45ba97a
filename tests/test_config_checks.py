"""The field checks, value formats and defaults the constructs and the config share
(container_constructs/checks.py, value_formats.py, defaults.py): each rule against its
source, a passing and a failing case, and loading a config without loading aws-cdk-lib."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import botocore
import pytest
from aws_cdk import aws_logs as logs

from container_constructs import checks, value_formats
from container_constructs.common import _RETENTION_BY_DAYS, retention_days
from tests.helpers.commands import loaded_packages
from tests.helpers.early import Outcome

PARTITIONS_JSON = json.loads(
    (Path(botocore.__file__).parent / "data" / "partitions.json").read_text()
)


FORMATS = {
    name: value
    for name, value in vars(value_formats).items()
    if isinstance(value, value_formats.ValueFormat)
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_value_format_refuses_with_what_is_allowed_and_its_examples_pass(name: str) -> None:
    """One message per format, whatever field or construct checks it: what the value is not and
    what is allowed; each example the message gives ("such as X") has the format."""
    value_format = FORMATS[name]
    assert value_format.problem("x y") == (
        f"'x y' is not {value_format.what}; allowed: {value_format.allowed}"
    )
    examples = re.findall(r"(?:such as |, | or )([a-z0-9][^\s,()]*[a-z0-9/])", value_format.allowed)
    for example in examples:
        assert value_format.problem(example) is None, example
    assert value_format.check(None) is None
    assert value_format.problem("x y", note="what the field adds") == (
        f"{value_format.problem('x y')}; what the field adds"
    )
    with pytest.raises(ValueError, match=re.escape(f"'x y', '': not {value_format.what};")):
        value_format.check_each([*examples[:1], "x y", ""])


def test_partitions_are_botocores() -> None:
    assert set(value_formats.PARTITIONS) == {p["id"] for p in PARTITIONS_JSON["partitions"]}


def test_every_region_botocore_knows_is_a_region() -> None:
    """Each region botocore lists that its partition's regionRegex matches (not the pseudo-regions
    such as aws-global)."""
    regions = [
        region
        for partition in PARTITIONS_JSON["partitions"]
        for region in partition["regions"]
        if re.match(partition["regionRegex"], region)
    ]
    assert len(regions) > 40
    assert [region for region in regions if not value_formats.REGION.match(region)] == []


@pytest.mark.parametrize(
    "region", ["us-east", "useast-1", "US-EAST-1", "us-east-1a", "eu-west-\uff11"]
)
def test_not_a_region(region: str) -> None:
    assert not value_formats.REGION.match(region)


@pytest.mark.parametrize(
    ("pattern", "arn", "valid"),
    [
        (value_formats.KMS_KEY_ARN, "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab", True),
        (value_formats.KMS_KEY_ARN, "arn:aws-cn:kms:cn-north-1:111122223333:key/mrk-1234", True),
        (value_formats.KMS_KEY_ARN, "arn:aws-eusc:kms:eusc-de-east-1:111122223333:key/k", True),
        (value_formats.KMS_KEY_ARN, "arn:aws:kms:eu-west-1:111122223333:alias/db", False),
        (value_formats.KMS_KEY_ARN, "arn:aws-foo:kms:eu-west-1:111122223333:key/k", False),
        (value_formats.KMS_KEY_ARN, "arn:aws:kms:eu-west-1:1111222233:key/k", False),
        (
            value_formats.SECRETS_MANAGER_SECRET_COMPLETE_ARN,
            "arn:aws-us-gov:secretsmanager:us-gov-west-1:111122223333:secret:db/main-AbC123",
            True,
        ),
        (
            value_formats.SECRETS_MANAGER_SECRET_COMPLETE_ARN,
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:db",
            False,
        ),
        (
            value_formats.SSM_PARAMETER_ARN,
            "arn:aws:ssm:us-east-1:111122223333:parameter/app/key",
            True,
        ),
        (
            value_formats.SSM_PARAMETER_ARN,
            "arn:aws:ssm:us-east-1:111122223333:parameter//app",
            False,
        ),
        (
            value_formats.ACM_CERTIFICATE_ARN,
            "arn:aws-iso-b:acm:us-isob-east-1:111122223333:certificate/0f0e0d0c-1111",
            True,
        ),
        (
            value_formats.ACM_CERTIFICATE_ARN,
            "arn:aws:acm:us-east-1:111122223333:certificate/",
            False,
        ),
        (value_formats.IAM_ROLE_ARN, "arn:aws:iam::111122223333:role/path/ci-runner", True),
        (value_formats.IAM_ROLE_ARN, "arn:aws-iso-f:iam::111122223333:role/admin", True),
        (value_formats.IAM_ROLE_ARN, "arn:aws:iam::111122223333:user/ci", False),
        (value_formats.IAM_ROLE_ARN, "arn:aws:iam::111122223333:role/ädmin", False),
        (value_formats.IAM_USER_ARN, "arn:aws:iam::111122223333:user/ci", True),
        (value_formats.IAM_USER_ARN, "arn:aws:iam::111122223333:role/ci", False),
        (value_formats.IAM_CUSTOMER_POLICY_ARN, "arn:aws:iam::111122223333:policy/reports", True),
        (value_formats.IAM_CUSTOMER_POLICY_ARN, "arn:aws-eusc:iam::111122223333:policy/p/q", True),
        (
            value_formats.IAM_CUSTOMER_POLICY_ARN,
            "arn:aws:iam::aws:policy/AmazonS3FullAccess",
            False,
        ),
        (value_formats.IAM_CUSTOMER_POLICY_ARN, "arn:aws:iam::111122223333:role/reports", False),
        (value_formats.RESOURCE_ARN, "arn:aws:s3:::reports-bucket/daily.csv", True),
        (value_formats.RESOURCE_ARN, "arn:aws-iso:sqs:us-iso-east-1:111122223333:jobs", True),
        (value_formats.RESOURCE_ARN, "arn:aws:sqs:us-east-1:1111:jobs", False),
        (value_formats.RESOURCE_ARN, "reports-bucket", False),
        (
            value_formats.IDENTITY_CENTER_INSTANCE_ARN,
            "arn:aws-us-gov:sso:::instance/ssoins-1234567890abcdef",
            True,
        ),
        (value_formats.IDENTITY_CENTER_INSTANCE_ARN, "arn:aws:sso:::instance/ssoins-12345", False),
        (checks.SECRETS_MANAGER_SECRET_NAME, "app/db_main+1=x.y@z-w", True),
        (checks.SECRETS_MANAGER_SECRET_NAME, "app/d\u00e9j\u00e0", False),
        (value_formats.ACCOUNT_ID, "111122223333", True),
        (value_formats.ACCOUNT_ID, "11112222333\uff13", False),
    ],
)
def test_arn_and_account_patterns(pattern: object, arn: str, valid: bool) -> None:
    assert isinstance(pattern, type(value_formats.REGION))
    assert bool(pattern.match(arn)) is valid


def test_assumed_role_session() -> None:
    arn = "arn:aws-us-gov:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/jane@example.com"
    parts = value_formats.STS_ASSUMED_ROLE_ARN.match(arn)
    assert parts is not None
    assert (parts["partition"], parts["account"]) == ("aws-us-gov", "111122223333")
    assert parts["role"] == "AWSReservedSSO_Admin_0123"
    assert not value_formats.STS_ASSUMED_ROLE_ARN.match("arn:aws:iam::111122223333:role/admin")


def test_arn_region() -> None:
    assert value_formats.arn_region("arn:aws:kms:eu-west-1:111122223333:key/k") == "eu-west-1"
    assert value_formats.arn_region("arn:aws:iam::111122223333:role/r") == ""


def test_retention_days_are_the_constructs_retentions() -> None:
    """The construct's table maps every retention the check accepts, each to its own member
    (every member of aws-cdk-lib's RetentionDays but never-expire)."""
    assert tuple(_RETENTION_BY_DAYS) == checks.LOG_RETENTION_DAYS
    members = set(_RETENTION_BY_DAYS.values())
    assert members == set(logs.RetentionDays) - {logs.RetentionDays.INFINITE}
    assert retention_days(365) is logs.RetentionDays.ONE_YEAR
    with pytest.raises(ValueError, match="8 is not a CloudWatch Logs retention; allowed: 1, 3, 5"):
        retention_days(8)
    assert checks.check_retention_days(3653) == 3653


def test_ipv4_network() -> None:
    assert str(checks.ipv4_network("10.0.0.0/16", example="x")) == "10.0.0.0/16"
    with pytest.raises(
        ValueError, match=r"'203\.0\.113\.7' is not .* \(one address is 203\.0\.113\.7/32\)"
    ):
        checks.ipv4_network("203.0.113.7", example="203.0.113.0/24")
    with pytest.raises(ValueError, match=r"^'10.0.0.1/16' is not an IPv4 network in CIDR "):
        checks.ipv4_network("10.0.0.1/16", example="10.0.0.0/16")


@pytest.mark.parametrize(
    ("user", "root"), [("0", True), ("root", True), (":1000", True), ("0:0", True), ("101", False)]
)
def test_runs_as_root(user: str, root: bool) -> None:
    assert checks.runs_as_root(user) is root


def test_numeric_user_is_ascii_digits() -> None:
    assert checks.NUMERIC_USER.match("1000:1000")
    assert not checks.NUMERIC_USER.match("nginx")
    assert not checks.NUMERIC_USER.match("\u0661\u0660\u0661")


def test_exec_bind_mount_clashes_only_on_ec2_with_ecs_exec() -> None:
    paths = ["/tmp", "/var/log/amazon/ssm"]
    kwargs = {"writable_paths": paths, "enable_execute_command": True}
    assert checks.exec_bind_mount_clashes(launch_type="ec2", **kwargs) == ["/var/log/amazon/ssm"]
    assert checks.exec_bind_mount_clashes(launch_type="fargate", **kwargs) == []
    assert (
        checks.exec_bind_mount_clashes(
            launch_type="ec2", writable_paths=paths, enable_execute_command=False
        )
        == []
    )


@pytest.mark.parametrize(
    ("name", "valid"),
    [("ab", True), ("team/web-app", True), ("a", False), ("Web", False), ("a--b", False)],
)
def test_repository_names(name: str, valid: bool) -> None:
    assert checks.is_repository_name(name) is valid


# Integration: importing cfn-lint's validator costs about 2 s, more than the rest of this module.
@pytest.mark.integration
@pytest.mark.parametrize(
    ("definition", "field"),
    [("LinearConfiguration", "StepPercent"), ("CanaryConfiguration", "CanaryPercent")],
)
def test_tenths_are_what_cfn_lint_accepts(definition: str, field: str) -> None:
    """Every tenth from 0 to 120: tenths_problem refuses exactly what cfn-lint's validator
    refuses under the AWS::ECS::Service schema it ships (range, multipleOf 0.1 as it divides)."""
    from cfnlint.jsonschema import StandardValidator
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::ECS::Service")
    prop = schema.schema["definitions"][definition]["properties"][field]
    validator = StandardValidator(prop)
    refused = [t for t in range(1200) if list(validator.iter_errors(t / 10))]
    mine = [t for t in range(1200) if checks.tenths_problem(t / 10, low=float(prop["minimum"]))]
    assert mine == refused
    assert 333 in mine  # 33.3 is one of them
    assert 330 not in mine  # no whole number is


def test_loading_a_config_loads_no_aws_cdk_lib(outcome: Callable[[str], Outcome]) -> None:
    """platform_config reads the constructs' defaults and checks without aws-cdk-lib or jsii,
    so a config is loaded (and refused) in well under a second (a fresh interpreter loads
    production's config: tests/helpers/commands.py)."""
    result = outcome("config-load-imports")
    assert result.returncode == 0, result.stderr
    assert loaded_packages(result.stdout) == []
