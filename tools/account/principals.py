"""Whether each IAM role the config names as a principal exists, under the exact ARN given
(tools.account.check reports it before a deploy).

* EKS access entries (`eks.access.cluster_admin_role_arns`, `viewer_role_arns`,
  `namespace_access[].role_arn`, with EKS on): "An access entry includes the ARN of one, and only
  one, existing IAM principal ... If the ARN is for an IAM role, it can include a path" (Amazon
  EKS User Guide, "Create access entries",
  https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html, read
  2026-12-04). A role that does not exist, or an ARN without the role's path (IAM Identity Center
  roles live under /aws-reserved/sso.amazonaws.com/...), fails CreateAccessEntry with
  "InvalidParameterException: The specified principalArn is invalid: invalid principal"
  (terraform-aws-modules/terraform-aws-eks#2969, awslabs/minimum-viable-dataspace-on-aws#5): the
  EKS stack fails after its cluster was created, many minutes in, and a first deploy's rollback
  deletes the cluster. So the role must exist and its ARN must be the one given, path included.
* The registry's CI publisher role trusts `registry.ci_publisher.trusted_role_arns`: IAM refuses
  a trust policy naming a principal that does not exist ("MalformedPolicyDocument: Invalid
  principal in policy"), failing the registry stack. The role must exist (its path is not
  compared: a trust policy's principal is matched by the role, not by how its ARN is written).

IAM GetRole by the role's name (the ARN's last segment), for ARNs of the caller's account;
another account's roles are their owner's to check ("not checked"). NoSuchEntity: missing. A
denied or failed call leaves the role "not checked", never found. A role several fields name is
looked up once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from platform_config import PlatformConfig
from tools.account.findings import FOUND, MISSING, NOT_CHECKED, Finding, other_account
from tools.account.session import looked_up


@dataclass(frozen=True, kw_only=True)
class PrincipalStatus(Finding):
    """One config field that names an IAM role (e.g. eks.access.cluster_admin_role_arns[0]),
    and what IAM says of it."""

    arn: str  # as the config gives it

    def line(self) -> str:
        return f"{self.path}: {self.status} ({self.arn}){self.detail()}"


def role_principals(config: PlatformConfig) -> list[tuple[str, str, bool]]:
    """(field path, role ARN, whether the exact ARN matters) of every role the config names as a
    principal: the EKS access entries' (path included) and the CI publisher's trusted roles."""
    found: list[tuple[str, str, bool]] = []
    if config.eks.enabled:
        access = config.eks.access
        for field in ("cluster_admin_role_arns", "viewer_role_arns"):
            arns = getattr(access, field)
            found.extend((f"eks.access.{field}[{i}]", arn, True) for i, arn in enumerate(arns))
        found.extend(
            (f"eks.access.namespace_access[{i}].role_arn", entry.role_arn, True)
            for i, entry in enumerate(access.namespace_access)
        )
    publisher = config.registry.ci_publisher
    if publisher.enabled:
        found.extend(
            (f"registry.ci_publisher.trusted_role_arns[{i}]", arn, False)
            for i, arn in enumerate(publisher.trusted_role_arns)
        )
    return found


def check_principals(config: PlatformConfig, session: Any, account: str) -> list[PrincipalStatus]:
    """The status of every role the config names as a principal, one per field, with `account`
    the caller's. Raises only botocore's NoCredentialsError."""
    iam = session.client("iam")
    lookups: dict[str, tuple[str | None, str]] = {}
    statuses = []
    for path, arn, exact in role_principals(config):
        foreign = other_account(arn, account)
        if foreign:
            statuses.append(PrincipalStatus(path=path, arn=arn, status=NOT_CHECKED, reason=foreign))
            continue
        name = arn.rsplit("/", 1)[1]
        if name not in lookups:
            lookups[name] = _guarded(functools.partial(_role_arn, iam, name))
        actual, why = lookups[name]
        statuses.append(_status(path, arn, exact, actual, why))
    return statuses


def _status(path: str, arn: str, exact: bool, actual: str | None, why: str) -> PrincipalStatus:
    if why:
        return PrincipalStatus(path=path, arn=arn, status=NOT_CHECKED, reason=why)
    if actual is None:
        return PrincipalStatus(
            path=path,
            arn=arn,
            status=MISSING,
            reason=f"role {arn} does not exist: the stack that names it would fail (EKS: 'The "
            "specified principalArn is invalid: invalid principal'; IAM: 'Invalid principal in "
            "policy'); create the role first or remove it from the config",
        )
    if exact and actual != arn:
        return PrincipalStatus(
            path=path,
            arn=arn,
            status=MISSING,
            reason=f"the role's ARN is {actual} (with its path), not {arn}: EKS takes the "
            "exact ARN and answers 'The specified principalArn is invalid: invalid principal' "
            f"to any other; write {actual}",
        )
    return PrincipalStatus(path=path, arn=arn, status=FOUND)


def _role_arn(iam: Any, name: str) -> tuple[str | None, str]:
    return str(iam.get_role(RoleName=name)["Role"]["Arn"]), ""


def _guarded(call: Callable[[], tuple[str | None, str]]) -> tuple[str | None, str]:
    """`call()`; (None, "") when IAM has no such role; (None, why) when AWS refused the call or
    could not be reached."""
    missing: tuple[str | None, str] = (None, "")
    return looked_up(call, not_checked=lambda why: (None, why), by_code={"NoSuchEntity": missing})
