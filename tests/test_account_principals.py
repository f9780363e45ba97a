"""tools/account/principals.py through tools/account/check.py: every IAM role the config names as
a principal must exist, an EKS access entry's under its exact ARN (moto's IAM, and a fake client
for a refused call)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from platform_config import PlatformConfig, load_config
from tests.helpers.apps import RECORD
from tests.helpers.fake_session import FakeSession
from tools.account.check import check_account
from tools.account.principals import (
    FOUND,
    MISSING,
    NOT_CHECKED,
    check_principals,
    role_principals,
)

TRUST = '{"Version": "2012-10-17", "Statement": []}'
SSO_PATH = "/aws-reserved/sso.amazonaws.com/eu-west-1/"
OTHER_ACCOUNT = "210987654321"


def _config(access: dict[str, Any], trusted: list[str] | None = None, **eks: Any) -> PlatformConfig:
    overrides: dict[str, Any] = {"eks": {"access": access, **eks}}
    if trusted is not None:
        overrides["registry"] = {"ci_publisher": {"trusted_role_arns": trusted}}
    return load_config("sandbox", overrides=overrides, config_dir=RECORD)


def _role(aws: boto3.Session, name: str, path: str = "/") -> str:
    iam = aws.client("iam")
    return str(
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    )


class _Iam:
    """moto's IAM, counting GetRole calls, or refusing them."""

    def __init__(self, client: Any, *, refuse: bool = False) -> None:
        self.client = client
        self.refuse = refuse
        self.calls: list[str] = []

    def get_role(self, *, RoleName: str) -> Any:  # noqa: N803
        if self.refuse:
            error = {"Code": "AccessDenied", "Message": "not authorized"}
            raise ClientError({"Error": error}, "GetRole")
        self.calls.append(RoleName)
        return self.client.get_role(RoleName=RoleName)


def test_the_principals_are_the_access_entries_and_the_trusted_roles() -> None:
    arn = "arn:aws:iam::111122223333:role/"
    config = _config(
        {
            "cluster_admin_role_arns": [arn + "admin"],
            "viewer_role_arns": [arn + "viewer"],
            "namespace_access": [{"role_arn": arn + "team", "namespaces": ["team"]}],
        },
        trusted=[arn + "ci"],
    )
    assert role_principals(config) == [
        ("eks.access.cluster_admin_role_arns[0]", arn + "admin", True),
        ("eks.access.viewer_role_arns[0]", arn + "viewer", True),
        ("eks.access.namespace_access[0].role_arn", arn + "team", True),
        ("registry.ci_publisher.trusted_role_arns[0]", arn + "ci", False),
    ]
    without_eks = _config({"cluster_admin_role_arns": [arn + "admin"]}, enabled=False)
    assert role_principals(without_eks) == []


@pytest.mark.integration
def test_an_access_entry_needs_the_role_under_its_exact_arn(aws: boto3.Session) -> None:
    """An Identity Center role written without its path, and a role that does not exist, are
    problems; a trusted CI role is found by its name whatever its path; another account's role
    is not checked."""
    account = aws.client("sts").get_caller_identity()["Account"]
    sso = _role(aws, "AWSReservedSSO_Admin_0123456789abcdef", SSO_PATH)
    ci = _role(aws, "ci-runner", "/ci/")
    bare = f"arn:aws:iam::{account}:role/AWSReservedSSO_Admin_0123456789abcdef"
    gone = f"arn:aws:iam::{account}:role/gone"
    foreign = f"arn:aws:iam::{OTHER_ACCOUNT}:role/admin"
    config = _config(
        {"cluster_admin_role_arns": [bare, gone], "viewer_role_arns": [foreign]},
        trusted=[f"arn:aws:iam::{account}:role/ci-runner"],
    )
    statuses = {s.path: s for s in check_principals(config, aws, account)}
    assert statuses["eks.access.cluster_admin_role_arns[0]"].reason == (
        f"the role's ARN is {sso} (with its path), not {bare}: EKS takes the exact ARN and "
        "answers 'The specified principalArn is invalid: invalid principal' to any other; "
        f"write {sso}"
    )
    assert statuses["eks.access.cluster_admin_role_arns[1]"].status == MISSING
    assert statuses["eks.access.viewer_role_arns[0]"].status == NOT_CHECKED
    assert statuses["registry.ci_publisher.trusted_role_arns[0]"].status == FOUND
    assert ci.endswith("/ci/ci-runner")
    problems = check_account(config, aws).problems
    assert [problem.split(":")[0] for problem in problems] == [
        "eks.access.cluster_admin_role_arns[0]",
        "eks.access.cluster_admin_role_arns[1]",
    ]
    fixed = _config({"cluster_admin_role_arns": [sso]})
    assert [s.status for s in check_principals(fixed, aws, account)] == [FOUND]


@pytest.mark.integration
def test_a_refused_lookup_is_not_checked_and_a_role_is_looked_up_once(aws: boto3.Session) -> None:
    account = aws.client("sts").get_caller_identity()["Account"]
    admin = _role(aws, "platform-admin")
    config = _config(
        {"cluster_admin_role_arns": [admin]}, trusted=[admin.replace("platform-admin", "x")]
    )
    counting = _Iam(aws.client("iam"))
    check_principals(config, FakeSession(aws, iam=counting), account)
    assert counting.calls == ["platform-admin", "x"]
    shared = _config({"cluster_admin_role_arns": [admin]}, trusted=[admin])
    counting.calls.clear()
    statuses = check_principals(shared, FakeSession(aws, iam=counting), account)
    assert counting.calls == ["platform-admin"]
    assert [s.status for s in statuses] == [FOUND, FOUND]
    refused = FakeSession(aws, iam=_Iam(aws.client("iam"), refuse=True))
    report = check_account(config, refused)
    assert {(p.status, p.reason) for p in report.principals} == {
        (NOT_CHECKED, "GetRole failed: AccessDenied")
    }
    assert report.problems == []
