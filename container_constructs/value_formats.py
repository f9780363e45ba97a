"""The formats of the AWS identifiers a config or a construct takes (the ARNs of each service,
region names, account ids), each written once: its pattern, what a message calls it and what it
allows (`ValueFormat`), so every field and construct that checks one refuses it in the same words.

Standard library only, as `checks`: loading a config never loads aws-cdk-lib.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, overload

# The AWS partitions, as botocore's data/partitions.json lists them (botocore 1.44.8, read
# 2026-12-04; tests/test_config_checks.py compares the two).
PARTITIONS: Final = (
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
)
_ARN = "^arn:(?P<partition>" + "|".join(re.escape(partition) for partition in PARTITIONS) + ")"
_REGION_PART = r"(?P<region>[a-z0-9-]+)"
_ACCOUNT_PART = "[0-9]{12}"

# A region name of any partition: us-east-1, us-gov-west-1, cn-north-1, us-isob-east-1,
# eusc-de-east-1 (the regionRegex of each partition in botocore's partitions.json).
REGION: Final = re.compile(r"^(?:[a-z]{2}(?:-gov|-iso[a-z]?)?|eusc-[a-z]{2})-[a-z]+-[0-9]+$")
ACCOUNT_ID: Final = re.compile(rf"^{_ACCOUNT_PART}$")
# A complete secret ARN ends in the 6 characters Secrets Manager appends to the name.
SECRETS_MANAGER_SECRET_COMPLETE_ARN: Final = re.compile(
    rf"{_ARN}:secretsmanager:{_REGION_PART}:{_ACCOUNT_PART}:secret:"
    r"[A-Za-z0-9_/+=.@-]+-[A-Za-z0-9]{6}$"
)
# The parameter's name without its leading '/' (an ARN of /app/key ends parameter/app/key).
SSM_PARAMETER_ARN: Final = re.compile(
    rf"{_ARN}:ssm:{_REGION_PART}:{_ACCOUNT_PART}:parameter/(?!/)[A-Za-z0-9_./-]{{1,1011}}$"
)
# A key, not an alias: IAM cannot grant on an alias.
KMS_KEY_ARN: Final = re.compile(rf"{_ARN}:kms:{_REGION_PART}:{_ACCOUNT_PART}:key/[A-Za-z0-9-]+$")
ACM_CERTIFICATE_ARN: Final = re.compile(
    rf"{_ARN}:acm:{_REGION_PART}:{_ACCOUNT_PART}:certificate/.+$"
)
IAM_ROLE_ARN: Final = re.compile(
    rf"{_ARN}:iam::{_ACCOUNT_PART}:role/[\w+=,.@/-]{{1,512}}$", re.ASCII
)
IAM_USER_ARN: Final = re.compile(
    rf"{_ARN}:iam::{_ACCOUNT_PART}:user/[\w+=,.@/-]{{1,512}}$", re.ASCII
)
# A customer managed policy: its account id where an AWS managed policy has `aws`.
IAM_CUSTOMER_POLICY_ARN: Final = re.compile(
    rf"{_ARN}:iam::{_ACCOUNT_PART}:policy/[\w+=,.@/-]{{1,512}}$", re.ASCII
)
# Any resource ARN (an IAM statement's resource): region and account may be empty (S3, IAM).
RESOURCE_ARN: Final = re.compile(rf"{_ARN}:[a-z0-9-]+:[a-z0-9-]*:(?:{_ACCOUNT_PART})?:\S+$")
# An IAM Identity Center instance (`aws sso-admin list-instances`): global, no region or account.
IDENTITY_CENTER_INSTANCE_ARN: Final = re.compile(
    rf"{_ARN}:sso:::instance/(?:sso)?ins-[a-zA-Z0-9-.]{{16}}$"
)
# What `sts get-caller-identity` answers for a role session (SSO, `aws sts assume-role`).
STS_ASSUMED_ROLE_ARN: Final = re.compile(
    rf"{_ARN}:sts::(?P<account>{_ACCOUNT_PART}):assumed-role/(?P<role>[^/]+)/[^/]+$"
)

# A queue name of up to 80 letters, digits, hyphens and underscores (Amazon SQS API reference).
SQS_QUEUE_ARN: Final = re.compile(
    rf"{_ARN}:sqs:{_REGION_PART}:{_ACCOUNT_PART}:(?P<name>[A-Za-z0-9_-]{{1,80}})$"
)


@dataclass(frozen=True)
class ValueFormat:
    """A kind of value (an ARN of a service, a region, an account id): its pattern, what a
    message calls it and what it allows, the same in every message that refuses one.

    Attributes:
        pattern: what a value of the format matches. Required.
        what: the format with its article, e.g. "an IAM role ARN". Required.
        allowed: what is allowed, the shape and an example, after "allowed: ". Required.
    """

    pattern: re.Pattern[str]
    what: str
    allowed: str

    def problem(self, value: str, *, note: str = "") -> str | None:
        """None if `value` has the format, else what it is not and what is allowed (then `note`,
        what the field adds)."""
        if self.pattern.match(value):
            return None
        return f"'{value}' is not {self.what}; allowed: {self.allowed}" + (note and f"; {note}")

    def problem_of_each(self, values: Iterable[str], *, note: str = "") -> str | None:
        """None if every value has the format, else the ones that do not, what is allowed and
        `note`."""
        bad = [value for value in values if not self.pattern.match(value)]
        if not bad:
            return None
        listed = ", ".join(repr(value) for value in bad)
        return f"{listed}: not {self.what}; allowed: {self.allowed}" + (note and f"; {note}")

    @overload
    def check(self, value: str, *, note: str = "") -> str: ...
    @overload
    def check(self, value: None, *, note: str = "") -> None: ...
    def check(self, value: str | None, *, note: str = "") -> str | None:
        """`value` (None passes), or ValueError with its `problem`."""
        problem = None if value is None else self.problem(value, note=note)
        if problem:
            raise ValueError(problem)
        return value

    def check_each(self, values: list[str], *, note: str = "") -> list[str]:
        """`values`, or ValueError with their `problem_of_each`."""
        problem = self.problem_of_each(values, note=note)
        if problem:
            raise ValueError(problem)
        return values


REGION_FORMAT: Final = ValueFormat(
    REGION, "an AWS region name", "a region name such as eu-west-1, us-gov-west-1 or cn-north-1"
)
ACCOUNT_ID_FORMAT: Final = ValueFormat(
    ACCOUNT_ID, "a 12-digit AWS account id", "12 digits such as 123456789012"
)
SECRETS_MANAGER_SECRET_ARN_FORMAT: Final = ValueFormat(
    SECRETS_MANAGER_SECRET_COMPLETE_ARN,
    "a complete Secrets Manager secret ARN",
    "arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf (with the 6-character "
    "suffix Secrets Manager appends to the name)",
)
SSM_PARAMETER_ARN_FORMAT: Final = ValueFormat(
    SSM_PARAMETER_ARN,
    "an SSM parameter ARN",
    "arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME (NAME without its leading '/')",
)
KMS_KEY_ARN_FORMAT: Final = ValueFormat(
    KMS_KEY_ARN,
    "a KMS key ARN",
    "arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID (IAM cannot grant on an alias)",
)
ACM_CERTIFICATE_ARN_FORMAT: Final = ValueFormat(
    ACM_CERTIFICATE_ARN,
    "an ACM certificate ARN",
    "arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID",
)
IAM_ROLE_ARN_FORMAT: Final = ValueFormat(
    IAM_ROLE_ARN,
    "an IAM role ARN",
    "arn:PARTITION:iam::ACCOUNT:role/NAME such as arn:aws:iam::123456789012:role/platform-admin",
)
IAM_CUSTOMER_POLICY_ARN_FORMAT: Final = ValueFormat(
    IAM_CUSTOMER_POLICY_ARN,
    "a customer managed policy ARN",
    "arn:PARTITION:iam::ACCOUNT:policy/NAME such as "
    "arn:aws:iam::123456789012:policy/reports-reader",
)
RESOURCE_ARN_FORMAT: Final = ValueFormat(
    RESOURCE_ARN,
    "an ARN",
    "arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE such as arn:aws:s3:::my-bucket/reports/a.csv",
)
IDENTITY_CENTER_INSTANCE_ARN_FORMAT: Final = ValueFormat(
    IDENTITY_CENTER_INSTANCE_ARN,
    "an IAM Identity Center instance ARN",
    "arn:PARTITION:sso:::instance/ssoins-ID such as arn:aws:sso:::instance/ssoins-1234567890abcdef "
    "(aws sso-admin list-instances)",
)
SQS_QUEUE_ARN_FORMAT: Final = ValueFormat(
    SQS_QUEUE_ARN, "an SQS queue ARN", "arn:PARTITION:sqs:REGION:ACCOUNT:NAME"
)


def arn_region(arn: str) -> str:
    """The region field of an ARN (empty for a global service's, such as IAM's)."""
    return arn.split(":")[3]
