"""IAM managed policies: every AWS managed policy the templates attach is one AWS has (moto's
bundled copy of them), and tools/account/policies.py through tools/account/check.py finds each
policy the config names missing, of another account or not attachable before a deploy."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from platform_config import PlatformConfig, load_config
from tests.helpers.assembly import Assembly
from tests.helpers.fake_session import FakeSession
from tools.account.check import check_account
from tools.account.findings import FOUND, MISSING, NOT_CHECKED

OTHER_ACCOUNT = "210987654321"
EBS = "eks.addons.aws-ebs-csi-driver.pod_identity"


def _aws_managed_names(value: Any) -> set[str]:
    """The AWS managed policy names (with their paths) that `value` attaches by ARN: CDK writes
    each as Fn::Join of "arn:", the partition and ":iam::aws:policy/<path><name>"."""
    found: set[str] = set()
    if isinstance(value, dict):
        join = value.get("Fn::Join")
        if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
            text = "".join(part for part in join[1] if isinstance(part, str))
            if text.startswith("arn:") and ":iam::aws:policy/" in text:
                found.add(text.split(":iam::aws:policy/", 1)[1])
        for item in value.values():
            found |= _aws_managed_names(item)
    elif isinstance(value, list):
        for item in value:
            found |= _aws_managed_names(item)
    return found


def test_every_aws_managed_policy_the_templates_attach_is_one_aws_has(
    sandbox: Assembly, production: Assembly
) -> None:
    """A name AWS does not have fails its role at deploy ("does not exist or is not
    attachable"); the account check looks up only the config's own, so the platform's are
    checked here against the AWS managed policies moto bundles (its copy of IAM's list)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    known = {
        f"{policy['Path'].strip('/')}/{name}".lstrip("/")
        for name, policy in json.loads(aws_managed_policies_data).items()
    }
    attached = set()
    for assembly in (sandbox, production):
        for template in assembly.all_templates().values():
            attached |= _aws_managed_names(template.get("Resources", {}))
    assert {"AmazonEKS_CNI_Policy", "service-role/AmazonEBSCSIDriverPolicy"} <= attached
    assert sorted(attached - known) == []


def _config(aws: boto3.Session, **eks: Any) -> PlatformConfig:
    """Production with `eks` merged over its EKS section."""
    return load_config("production", overrides={"eks": eks}, config_dir=None)


def _policy(aws: boto3.Session, name: str) -> str:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
    }
    created = aws.client("iam").create_policy(PolicyName=name, PolicyDocument=json.dumps(document))
    return str(created["Policy"]["Arn"])


@pytest.mark.integration
def test_each_policy_the_config_attaches_must_exist_in_this_account(
    aws: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto loads the AWS managed policies on request (as IAM has them)."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    account = aws.client("sts").get_caller_identity()["Account"]
    existing = _policy(aws, "team-read")
    absent = f"arn:aws:iam::{account}:policy/team-write"
    foreign = f"arn:aws:iam::{OTHER_ACCOUNT}:policy/shared"
    config = _config(
        aws,
        addons={
            "aws-ebs-csi-driver": {
                "pod_identity": {
                    "aws_managed_policies": ["AmazonEFSCSIDriverPolicy", "AmazonS3ReadOnlyAccess"],
                    "managed_policy_arns": [existing],
                }
            }
        },
        workload_identities=[
            {
                "namespace": "team",
                "service_account": "api",
                "managed_policy_arns": [absent, foreign],
            }
        ],
    )
    report = check_account(config, aws)
    statuses = {
        (policy.path, policy.arn.rsplit("/", 1)[1]): policy.status for policy in report.policies
    }
    assert statuses == {
        (f"{EBS}.aws_managed_policies", "AmazonEFSCSIDriverPolicy"): MISSING,
        (f"{EBS}.aws_managed_policies", "AmazonS3ReadOnlyAccess"): FOUND,
        (f"{EBS}.managed_policy_arns", "team-read"): FOUND,
        ("eks.workload_identities[0].managed_policy_arns", "team-write"): MISSING,
        ("eks.workload_identities[0].managed_policy_arns", "shared"): MISSING,
    }
    refused = (
        "IAM would refuse the role that lists it ('does not exist or is not attachable'), and "
        "the EKS stack's create or update fail and roll back"
    )
    assert report.problems == [
        f"{EBS}.aws_managed_policies: policy arn:aws:iam::aws:policy/AmazonEFSCSIDriverPolicy "
        f"does not exist: {refused}; create it first",
        f"eks.workload_identities[0].managed_policy_arns: policy {absent} does not exist: "
        f"{refused}; create it first",
        f"eks.workload_identities[0].managed_policy_arns: policy {foreign} is of account "
        f"{OTHER_ACCOUNT}: a customer managed policy attaches only in its own account, so "
        f"{refused}; create it in account {account} and name that ARN",
    ]


class _Iam:
    """IAM answering GetPolicy with `attachable`, or refusing it."""

    def __init__(self, attachable: bool | None) -> None:
        self.attachable = attachable

    def get_policy(self, *, PolicyArn: str) -> dict[str, Any]:  # noqa: N803
        if self.attachable is None:
            error = {"Code": "AccessDenied", "Message": "not authorized"}
            raise ClientError({"Error": error}, "GetPolicy")
        return {"Policy": {"Arn": PolicyArn, "IsAttachable": self.attachable}}

    def get_role(self, **_: Any) -> dict[str, Any]:
        raise AssertionError("no role is named")


@pytest.mark.integration
def test_a_policy_not_attachable_is_a_problem_and_a_refused_lookup_not_checked(
    aws: boto3.Session,
) -> None:
    account = aws.client("sts").get_caller_identity()["Account"]
    arn = f"arn:aws:iam::{account}:policy/argocd-repos"
    config = _config(
        aws,
        argocd={
            "enabled": True,
            "idc_instance_arn": "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            "managed_policy_arns": [arn],
        },
    )
    (problem,) = check_account(config, FakeSession(aws, iam=_Iam(False))).problems
    assert problem.startswith(f"eks.argocd.managed_policy_arns: policy {arn} is not attachable: ")
    refused = check_account(config, FakeSession(aws, iam=_Iam(None)))
    assert refused.problems == []
    (status,) = refused.policies
    assert (status.status, status.reason) == (NOT_CHECKED, "GetPolicy failed: AccessDenied")


@pytest.mark.integration
def test_with_eks_off_nothing_is_looked_up(aws: boto3.Session) -> None:
    report = check_account(_config(aws, enabled=False), FakeSession(aws, iam=_Iam(None)))
    assert report.policies == []
    assert "IAM managed policies the EKS stack attaches:\n  none (EKS off" in report.render()
