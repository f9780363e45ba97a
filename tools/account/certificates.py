"""Whether each ACM certificate the ALBs' HTTPS listeners take is issued (tools.account.check
reports it before a deploy).

Elastic Load Balancing attaches an issued certificate only: for one still pending validation (or
expired, revoked, failed, timed out) the listener's create or update fails, and with it the
stack update, which rolls back (HTTPS turned on is the usual day-two case). Sources, read
2026-12-05: aws/aws-cdk#6081 (an HTTPS listener with a certificate in "Pending Validation":
CREATE_FAILED, "Certificate '<arn>' not found", Error Code CertificateNotFound);
DataBiosphere/azul#8321 (CreateListener called before the certificate was ISSUED: ELB answers
UnsupportedCertificate). The config holds every certificate in the environment's region
(platform_config/model.py `_certificates_in_region`).

* ACM DescribeCertificate in the environment's region, for an ARN of the caller's account;
  another account's certificate is its owner's to check ("not checked").
* ResourceNotFoundException: missing. A status other than ISSUED: a problem naming it.
* A denied or failed call leaves the certificate "not checked", never issued. A certificate
  several fields name is looked up once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from platform_config import PlatformConfig
from tools.account.findings import MISSING, NOT_CHECKED, other_account
from tools.account.session import looked_up

ISSUED = "ISSUED"  # ACM's status of a usable certificate


@dataclass(frozen=True)
class CertificateStatus:
    """One config field that names a certificate, and what ACM says of it."""

    path: str  # e.g. ecs.fargate.load_balancer.certificate_arn
    arn: str
    status: str  # ACM's status (ISSUED, PENDING_VALIDATION, ...), MISSING or NOT_CHECKED
    reason: str = ""  # why not checked

    @property
    def problem(self) -> str | None:
        if self.status in (ISSUED, NOT_CHECKED):
            return None
        state = "does not exist" if self.status == MISSING else f"is {self.status}, not ISSUED"
        return (
            f"{self.path}: certificate {self.arn} {state} in ACM: ELB attaches issued "
            "certificates only, so the HTTPS listener's create or update would fail and the "
            "stack update roll back; validate or replace it first (aws acm describe-certificate "
            f"--certificate-arn {self.arn})"
        )

    def line(self) -> str:
        detail = f": {self.reason}" if self.reason else ""
        return f"{self.path}: {self.status} ({self.arn}){detail}"


def load_balancer_certificates(config: PlatformConfig) -> list[tuple[str, str]]:
    """(field path, ARN) of every certificate the enabled clusters' ALBs take."""
    return [
        (f"ecs.{kind}.{field}", arn)
        for kind, cluster in config.ecs.enabled_clusters.items()
        for field, arn in cluster.certificates()
    ]


def check_certificates(
    config: PlatformConfig, session: Any, account: str
) -> list[CertificateStatus]:
    """The status of every certificate the config's ALBs take, one per field, with `account`
    the caller's. Raises only botocore's NoCredentialsError."""
    acm = session.client("acm", region_name=config.region)
    lookups: dict[str, tuple[str, str]] = {}
    statuses = []
    for path, arn in load_balancer_certificates(config):
        foreign = other_account(arn, account)
        if foreign:
            statuses.append(CertificateStatus(path, arn, NOT_CHECKED, foreign))
            continue
        if arn not in lookups:
            lookups[arn] = _guarded(functools.partial(_status, acm, arn))
        status, reason = lookups[arn]
        statuses.append(CertificateStatus(path, arn, status, reason))
    return statuses


def _status(acm: Any, arn: str) -> tuple[str, str]:
    described = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    return str(described["Status"]), ""


def _guarded(call: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    return looked_up(
        call,
        not_checked=lambda why: (NOT_CHECKED, why),
        by_code={"ResourceNotFoundException": (MISSING, "")},
    )
