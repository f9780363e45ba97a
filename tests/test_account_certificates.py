"""tools/account/certificates.py through tools/account/check.py: every ACM certificate the ALBs'
HTTPS listeners take must be ISSUED (moto's ACM, and a fake client for a refused call)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from platform_config import PlatformConfig, load_config
from tests.helpers.apps import RECORD
from tests.helpers.fake_session import FakeSession
from tools.account.certificates import (
    ISSUED,
    MISSING,
    NOT_CHECKED,
    check_certificates,
    load_balancer_certificates,
)
from tools.account.check import check_account

OTHER_ACCOUNT = "210987654321"


def _config(record: Any = RECORD, **clusters: dict[str, Any]) -> PlatformConfig:
    return load_config("sandbox", overrides={"ecs": clusters}, config_dir=record)


def _requested(aws: boto3.Session, domain: str) -> str:
    acm = aws.client("acm", region_name="us-east-1")
    return str(acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"])


class _DeniedAcm:
    def describe_certificate(self, **_: Any) -> dict[str, Any]:
        error = {"Code": "AccessDeniedException", "Message": "not authorized"}
        raise ClientError({"Error": error}, "DescribeCertificate")


def test_every_group_of_every_enabled_cluster_names_its_certificates() -> None:
    arn = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-1111-2222-3333-44445555666"
    config = _config(
        None,
        fargate={
            "load_balancer": {
                "certificate_arn": arn + "1",
                "additional_certificate_arns": [arn + "2"],
            },
            "load_balancers": {"internal": {"internal": True, "certificate_arn": arn + "3"}},
        },
        ec2={"enabled": False, "load_balancer": {"certificate_arn": arn + "4"}},
    )
    assert load_balancer_certificates(config) == [
        ("ecs.fargate.load_balancer.certificate_arn", arn + "1"),
        ("ecs.fargate.load_balancer.additional_certificate_arns[0]", arn + "2"),
        ("ecs.fargate.load_balancers.internal.certificate_arn", arn + "3"),
    ]


@pytest.mark.integration
def test_a_certificate_pending_validation_fails_the_check_until_it_is_issued(
    aws: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = _requested(aws, "app.example.com")
    config = _config(fargate={"load_balancer": {"certificate_arn": arn}})
    report = check_account(config, aws)
    assert report.problems == [
        f"ecs.fargate.load_balancer.certificate_arn: certificate {arn} is PENDING_VALIDATION, "
        "not ISSUED in ACM: ELB attaches issued certificates only, so the HTTPS listener's "
        "create or update would fail and the stack update roll back; validate or replace it "
        f"first (aws acm describe-certificate --certificate-arn {arn})"
    ]
    monkeypatch.setattr("moto.settings.ACM_VALIDATION_WAIT", 0)
    report = check_account(config, aws)
    assert report.problems == []
    (status,) = report.certificates
    assert status.line() == f"ecs.fargate.load_balancer.certificate_arn: {ISSUED} ({arn})"


@pytest.mark.integration
def test_a_missing_certificate_is_a_problem_and_another_accounts_is_not_checked(
    aws: boto3.Session,
) -> None:
    account = aws.client("sts").get_caller_identity()["Account"]
    base = "arn:aws:acm:us-east-1:{}:certificate/0f0e0d0c-1111-2222-3333-444455556666"
    missing, foreign = base.format(account), base.format(OTHER_ACCOUNT)
    config = _config(
        fargate={"load_balancer": {"certificate_arn": missing}},
        ec2={"load_balancer": {"certificate_arn": foreign}},
    )
    statuses = {s.path: (s.status, s.reason) for s in check_certificates(config, aws, account)}
    assert statuses == {
        "ecs.ec2.load_balancer.certificate_arn": (
            NOT_CHECKED,
            f"in account {OTHER_ACCOUNT}: its owner's to check",
        ),
        "ecs.fargate.load_balancer.certificate_arn": (MISSING, ""),
    }
    (problem,) = check_account(config, aws).problems
    assert problem.startswith(
        f"ecs.fargate.load_balancer.certificate_arn: certificate {missing} does not exist in ACM"
    )


@pytest.mark.integration
def test_a_refused_lookup_is_not_checked_and_no_problem(aws: boto3.Session) -> None:
    arn = _requested(aws, "api.example.com")
    config = _config(fargate={"load_balancer": {"certificate_arn": arn}})
    report = check_account(config, FakeSession(aws, acm=_DeniedAcm()))
    (status,) = report.certificates
    assert (status.status, status.reason) == (
        NOT_CHECKED,
        "DescribeCertificate failed: AccessDeniedException",
    )
    assert report.problems == []
