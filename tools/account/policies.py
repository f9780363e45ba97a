"""Whether each IAM managed policy the EKS stack attaches to a role it creates exists and can be
attached (tools.account.check reports it before a deploy).

The EKS stack's Pod Identity roles (add-ons, `eks.workload_identities`) and the Argo CD
capability's role list managed policies by ARN: customer managed ones from the config
(`managed_policy_arns`) and AWS managed ones by name (an add-on's `aws_managed_policies`, beside
the platform's defaults for the add-ons it knows). CloudFormation fails the role whose list holds an
ARN that does not exist or is not attachable: "CREATE_FAILED AWS::IAM::Role ... Policy
arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole does not exist or is not attachable. (Service:
AmazonIdentityManagement; Status Code: 404; Error Code: NoSuchEntity ...)" (aws/aws-cdk#19830, a
name without its `service-role/` path; aws/aws-cdk#17278, read 2026-12-05), and the EKS stack's
create or update fails and rolls back, a first deploy's deleting the cluster it was creating.
A customer managed policy is attachable only in its own account, so one of another account is
refused the same way (and not looked up).

IAM GetPolicy for each ARN (an AWS managed policy's is `arn:<partition>:iam::aws:policy/<name>`):
NoSuchEntity is missing, `IsAttachable` false is a problem. A denied or failed call leaves the
policy "not checked", never found. A policy several fields name is looked up once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from platform_config import PlatformConfig
from tools.account.findings import FOUND, MISSING, NOT_CHECKED, Finding
from tools.account.session import looked_up

NOT_ATTACHABLE = "not attachable"


@dataclass(frozen=True, kw_only=True)
class PolicyStatus(Finding):
    """One config field that attaches a managed policy, and what IAM says of it."""

    arn: str

    @property
    def problem(self) -> str | None:
        if self.status not in (MISSING, NOT_ATTACHABLE):
            return None
        return f"{self.path}: {self.reason}"

    def line(self) -> str:
        return f"{self.path}: {self.status} ({self.arn}){self.detail()}"


def attached_policies(config: PlatformConfig, partition: str) -> list[tuple[str, str]]:
    """(field path, policy ARN) of every managed policy the config has the EKS stack attach
    (none with EKS off). The platform's own AWS managed policies for the add-ons it knows are
    not listed: tests/test_account_policies.py finds each in the AWS managed policies moto
    bundles."""
    if not config.eks.enabled:
        return []
    eks = config.eks
    with_roles = {addon.name for addon in eks.resolved_addons() if addon.service_account}
    found: list[tuple[str, str]] = []
    for name, addon in eks.addons.items():
        identity = addon.pod_identity if addon is not None else None
        if identity is None or not identity.enabled or name not in with_roles:
            continue
        field = f"eks.addons.{name}.pod_identity"
        found.extend(
            (f"{field}.aws_managed_policies", f"arn:{partition}:iam::aws:policy/{policy}")
            for policy in identity.aws_managed_policies
        )
        found.extend((f"{field}.managed_policy_arns", arn) for arn in identity.managed_policy_arns)
    for index, workload in enumerate(eks.workload_identities):
        field = f"eks.workload_identities[{index}].managed_policy_arns"
        found.extend((field, arn) for arn in workload.managed_policy_arns)
    if eks.argocd.enabled:
        found.extend(
            ("eks.argocd.managed_policy_arns", arn) for arn in eks.argocd.managed_policy_arns
        )
    return found


def check_policies(config: PlatformConfig, session: Any, account: str) -> list[PolicyStatus]:
    """The status of every managed policy the EKS stack attaches, with `account` the caller's.
    Raises only botocore's NoCredentialsError."""
    iam = session.client("iam")
    partition = getattr(getattr(iam, "meta", None), "partition", "aws")
    lookups: dict[str, tuple[str, str]] = {}
    statuses = []
    for path, arn in attached_policies(config, partition):
        if arn not in lookups:
            lookups[arn] = _looked_up(iam, arn, account)
        status, reason = lookups[arn]
        statuses.append(PolicyStatus(path=path, arn=arn, status=status, reason=reason))
    return statuses


# What follows from a policy IAM will not attach.
_REFUSED = (
    "IAM would refuse the role that lists it ('does not exist or is not attachable'), and the "
    "EKS stack's create or update fail and roll back"
)


def _looked_up(iam: Any, arn: str, account: str) -> tuple[str, str]:
    """(status, the problem or why not checked) of policy `arn`."""
    owner = arn.split(":")[4]
    if owner not in ("aws", account):
        return MISSING, (
            f"policy {arn} is of account {owner}: a customer managed policy attaches only in its "
            f"own account, so {_REFUSED}; create it in account {account} and name that ARN"
        )

    def described() -> tuple[str, str]:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        if policy.get("IsAttachable", True):
            return FOUND, ""
        return NOT_ATTACHABLE, f"policy {arn} is not attachable: {_REFUSED}"

    missing = (MISSING, f"policy {arn} does not exist: {_REFUSED}; create it first")
    return looked_up(
        described, not_checked=lambda why: (NOT_CHECKED, why), by_code={"NoSuchEntity": missing}
    )
