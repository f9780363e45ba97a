"""tools/account/caller_arn.py: the deployer's IAM principal for the EKS stack's deployer-admin
parameter, read at deploy time only (`make deploy`), never at synth."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stacks import names
from stacks.eks_stack import DEPLOYER_ADMIN_ARN_PATTERN
from tests.helpers.assembly import Assembly
from tools.account.caller_arn import (
    caller_principal_arn,
    deploy_parameters,
    likely_role_arn,
    main,
    principal_arn,
    stacks_with_parameter,
)
from tools.account.session import AccountError

ROOT = Path(__file__).resolve().parent.parent
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
PARAMETER = names.DEPLOYER_ADMIN_PARAMETER
EKS_STACK = names.stack_id("x", names.EKS_UNIT)


@pytest.mark.parametrize(
    ("caller", "path", "expected"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com",
            None,
            "arn:aws:iam::123456789012:role/Admin",
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0a1b2c3d/alice",
            SSO_PATH,
            f"arn:aws:iam::123456789012:role{SSO_PATH}AWSReservedSSO_Admin_0a1b2c3d",
        ),
        (
            "arn:aws-cn:sts::123456789012:assumed-role/deployer/ci-run-42",
            "/ci/",
            "arn:aws-cn:iam::123456789012:role/ci/deployer",
        ),
        ("arn:aws:iam::123456789012:user/alice", None, "arn:aws:iam::123456789012:user/alice"),
        (
            "arn:aws:iam::123456789012:user/team/alice",
            None,
            "arn:aws:iam::123456789012:user/team/alice",
        ),
        ("arn:aws:iam::123456789012:role/admin", None, "arn:aws:iam::123456789012:role/admin"),
    ],
    ids=[
        "assumed-role",
        "sso-role-with-path",
        "other-partition-and-path",
        "user",
        "user-path",
        "role",
    ],
)
def test_principal_arn(caller: str, path: str | None, expected: str) -> None:
    """An assumed-role session becomes its role's ARN (with the role's path when known): the
    principal an access entry takes, and one the EKS stack's parameter pattern allows."""
    assert principal_arn(caller, path) == expected
    assert re.fullmatch(DEPLOYER_ADMIN_ARN_PATTERN, expected)


@pytest.mark.parametrize(
    "caller",
    ["arn:aws:iam::123456789012:root", "arn:aws:sts::123456789012:federated-user/bob"],
)
def test_principals_eks_cannot_take_are_refused(caller: str) -> None:
    with pytest.raises(AccountError, match="is not an IAM user or role"):
        principal_arn(caller)


class FakeSession:
    """sts:GetCallerIdentity answers `caller`; iam:GetRole the role's `path`, or AccessDenied."""

    def __init__(
        self, caller: str, path: str | None = None, deployed_admin: str | None = None
    ) -> None:
        self.caller = caller
        self.path = path
        # The EKS stack's deployed parameter value; None: the stack does not exist.
        self.deployed_admin = deployed_admin
        self.calls: list[str] = []

    def client(self, service: str, region_name: str | None = None) -> Any:
        self.calls.append(f"{service}:{region_name}")
        return self

    def get_caller_identity(self) -> dict[str, str]:
        return {"Arn": self.caller, "Account": "123456789012"}

    def get_role(self, RoleName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if self.path is None:
            error = {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}
            raise ClientError(error, "GetRole")  # type: ignore[arg-type]
        return {"Role": {"RoleName": RoleName, "Path": self.path}}

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if self.deployed_admin is None:
            message = f"Stack with id {StackName} does not exist"
            error = {"Error": {"Code": "ValidationError", "Message": message}}
            raise ClientError(error, "DescribeStacks")  # type: ignore[arg-type]
        parameter = {"ParameterKey": PARAMETER, "ParameterValue": self.deployed_admin}
        return {"Stacks": [{"StackStatus": "UPDATE_COMPLETE", "Parameters": [parameter]}]}


def _assembly(tmp_path: Path, parameters: dict[str, Any], admins: Sequence[str] = ()) -> Path:
    """A two-stack cloud assembly; only `eks` declares `parameters`, with an access entry for
    each of `admins`."""
    entries = {
        f"Admin{index}": {"Type": "AWS::EKS::AccessEntry", "Properties": {"PrincipalArn": arn}}
        for index, arn in enumerate(admins)
    }
    eks_template = {"Parameters": parameters, "Resources": entries}
    artifacts = {}
    for unit, template in ((names.NETWORK_UNIT, {}), (names.EKS_UNIT, eks_template)):
        name = names.stack_id("x", unit)
        (tmp_path / f"{name}.template.json").write_text(json.dumps(template))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/eu-west-1",
            "properties": {"templateFile": f"{name}.template.json"},
        }
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return tmp_path


def test_deploy_parameters_name_the_stack_and_the_role(tmp_path: Path) -> None:
    session = FakeSession(
        "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_A_1/alice", SSO_PATH
    )
    assembly = _assembly(tmp_path, {PARAMETER: {"Type": "String", "Default": ""}})
    assert deploy_parameters(assembly, session) == [
        "--parameters",
        f"{EKS_STACK}:{PARAMETER}=arn:aws:iam::123456789012:role{SSO_PATH}AWSReservedSSO_A_1",
    ]
    assert session.calls == ["sts:eu-west-1", "iam:None"]


ALICE = "arn:aws:iam::123456789012:user/alice"
BOB = "arn:aws:iam::123456789012:user/bob"


@pytest.mark.parametrize("deployed", [ALICE, BOB])
def test_a_deployer_entry_still_deployed_for_a_listed_principal_stops_the_deploy(
    tmp_path: Path, deployed: str
) -> None:
    """Its listed entry would be created before the deployer's is deleted: EKS refuses a second
    entry for one principal, whoever deploys now."""
    assembly = _assembly(tmp_path, {PARAMETER: {"Type": "String"}}, admins=[deployed])
    session = FakeSession(ALICE, deployed_admin=deployed)
    with pytest.raises(AccountError, match=f"{deployed} has the deployer's access entry in"):
        deploy_parameters(assembly, session)


@pytest.mark.parametrize(("deployed", "value"), [(None, ""), ("", ""), (BOB, "")])
def test_a_listed_deployer_without_a_deployed_entry_gets_an_empty_parameter(
    tmp_path: Path, deployed: str | None, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """No stack yet, the parameter already empty, or another principal's entry: no clash."""
    assembly = _assembly(tmp_path, {PARAMETER: {"Type": "String"}}, admins=[ALICE])
    session = FakeSession(ALICE, deployed_admin=deployed)
    assert deploy_parameters(assembly, session) == [
        "--parameters",
        f"{EKS_STACK}:{PARAMETER}={value}",
    ]
    assert "is already an admin" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("role", "likely"),
    [
        ("Admin", "arn:aws:iam::123456789012:role/Admin"),
        (
            "AWSReservedSSO_Admin_0a1b2c3d",
            f"arn:aws:iam::123456789012:role{SSO_PATH}REGION/AWSReservedSSO_Admin_0a1b2c3d",
        ),
    ],
    ids=["plain-role", "sso-role"],
)
def test_an_unreadable_role_path_stops_the_deploy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], role: str, likely: str
) -> None:
    """Without iam:GetRole the path is unknown: nothing is guessed into the template (an ARN that
    names no role fails the EKS stack); the tool exits 1 with the likely ARN and the ways out,
    so `make deploy` stops before CloudFormation starts."""
    session = FakeSession(f"arn:aws:sts::123456789012:assumed-role/{role}/alice")
    assembly = _assembly(tmp_path, {PARAMETER: {"Type": "String", "Default": ""}})
    assert main(["--parameters", str(assembly)], session=session) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    error = captured.err.splitlines()[-1]
    assert error.startswith(f"error: the path of role {role} cannot be read")
    assert f"make deploy DEPLOYER_ADMIN_ARN={likely} " in error
    assert "eks.access.cluster_admin_role_arns" in error


@pytest.mark.parametrize(
    ("region", "path"),
    [("eu-west-2", f"{SSO_PATH}eu-west-2/"), ("us-east-1", SSO_PATH), (None, f"{SSO_PATH}REGION/")],
)
def test_the_likely_sso_path_follows_the_identity_center_region(
    region: str | None, path: str
) -> None:
    caller = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_A_1/alice"
    expected = f"arn:aws:iam::123456789012:role{path}AWSReservedSSO_A_1"
    assert likely_role_arn(caller, region) == expected


@pytest.mark.parametrize(
    ("caller", "override", "accepted"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_A_1/alice",
            f"arn:aws:iam::123456789012:role{SSO_PATH}eu-west-2/AWSReservedSSO_A_1",
            True,
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_A_1/alice",
            f"arn:aws:iam::123456789012:role{SSO_PATH}AWSReservedSSO_B_2",
            False,
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/Admin/alice",
            "arn:aws:iam::210987654321:role/Admin",
            False,
        ),
        ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice", True),
        ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/bob", False),
        (
            "arn:aws:sts::123456789012:assumed-role/Admin/alice",
            "arn:aws:sts::123456789012:assumed-role/Admin/alice",
            False,
        ),
    ],
    ids=["sso-path", "other-role", "other-account", "same-user", "other-user", "a-session"],
)
def test_an_override_must_name_the_caller(caller: str, override: str, accepted: bool) -> None:
    """DEPLOYER_ADMIN_ARN skips iam:GetRole but cannot hand the entry to someone else."""
    session = FakeSession(caller)
    if accepted:
        assert caller_principal_arn(session, override=override) == override
        assert session.calls == ["sts:None"]
    else:
        with pytest.raises(AccountError, match="does not name the caller"):
            caller_principal_arn(session, override=override)


def test_no_stack_with_the_parameter_means_no_arguments_and_no_aws_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Production (deployer_admin false): `make deploy` passes nothing, asks AWS nothing."""
    assembly = _assembly(tmp_path, {})
    assert main(["--parameters", str(assembly)], session=object()) == 0
    assert capsys.readouterr().out == "\n"


def test_the_sandbox_eks_stack_takes_the_parameter_and_production_does_not(
    sandbox: Assembly, production: Assembly
) -> None:
    assert stacks_with_parameter(sandbox.outdir) == {
        sandbox.stack_name(names.EKS_UNIT): "us-east-1"
    }
    assert stacks_with_parameter(production.outdir) == {}


def test_no_assembly_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--parameters", str(tmp_path)], session=object()) == 1
    assert capsys.readouterr().err == (
        f"error: {tmp_path} is not a cloud assembly: run `make synth` first\n"
    )


def test_the_caller_alone_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], session=FakeSession("arn:aws:iam::123456789012:user/alice")) == 0
    assert capsys.readouterr().out == "arn:aws:iam::123456789012:user/alice\n"


def test_a_root_caller_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], session=FakeSession("arn:aws:iam::123456789012:root")) == 1
    assert capsys.readouterr().err.startswith(
        "error: the caller arn:aws:iam::123456789012:root is not an IAM user or role"
    )


def test_make_deploy_passes_the_parameters_and_synth_never_reads_them() -> None:
    makefile = (ROOT / "Makefile").read_text()
    deploy = re.search(r"^deploy:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert deploy is not None
    assert (
        '"$$($(VENV)/bin/python -m tools.account.caller_arn --parameters cdk.out '
        '--principal-arn "$(DEPLOYER_ADMIN_ARN)")"' in deploy.group(1)
    )
    assert "deploy --app cdk.out $(STACK_SELECTION) $$parameters" in deploy.group(1)
    assert "access entry for the deployer: $$parameters" in deploy.group(1)
    for target in ("synth", "diff", "nag-report"):
        recipe = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
        assert recipe is not None
        assert "caller_arn" not in recipe.group(1)


def test_a_caller_already_listed_as_admin_gets_an_empty_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """EKS refuses a second access entry for one principal: a deployer who is one of
    cluster_admin_role_arns sets the parameter empty (no deployer entry)."""
    assembly = _assembly(tmp_path, {PARAMETER: {"Type": "String", "Default": ""}})
    template_file = assembly / f"{EKS_STACK}.template.json"
    template = json.loads(template_file.read_text())
    template["Resources"] = {
        "Admin": {
            "Type": "AWS::EKS::AccessEntry",
            "Properties": {"PrincipalArn": "arn:aws:iam::123456789012:role/Admin"},
        }
    }
    template_file.write_text(json.dumps(template))
    session = FakeSession("arn:aws:sts::123456789012:assumed-role/Admin/alice", "/")
    assert deploy_parameters(assembly, session) == ["--parameters", f"{EKS_STACK}:{PARAMETER}="]
    assert f"is already an admin of {EKS_STACK}" in capsys.readouterr().err


# On moto: roles with a path, assumed through STS as a deployer would (moto enforces no IAM
# policy, so iam:GetRole answers; the denied case is FakeSession's above).


def _assume(aws: Any, path: str, name: str) -> Any:
    """A boto3 session of an assumed-role session of role `name` under `path` (moto)."""
    import boto3

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = aws.client("iam").create_role(
        RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]
    credentials = aws.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="alice")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="us-east-1",
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    "path",
    [f"{SSO_PATH}eu-west-2/", SSO_PATH, "/team/ci/", "/"],
    ids=["sso-regional", "sso-us-east-1", "custom-path", "no-path"],
)
def test_a_path_bearing_role_resolves_to_its_exact_arn(aws: Any, path: str) -> None:
    """The session ARN drops the path; iam:GetRole gives it back, so the access entry names the
    role that exists (the ARN moto returns for it)."""
    session = _assume(aws, path, "AWSReservedSSO_Admin_0a1b2c3d")
    caller = session.client("sts").get_caller_identity()["Arn"]
    assert caller == "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0a1b2c3d/alice"
    role_arn = aws.client("iam").get_role(RoleName="AWSReservedSSO_Admin_0a1b2c3d")["Role"]["Arn"]
    assert (
        caller_principal_arn(session)
        == role_arn
        == (f"arn:aws:iam::123456789012:role{path}AWSReservedSSO_Admin_0a1b2c3d")
    )


@pytest.mark.integration
def test_deploy_parameters_on_moto_name_the_existing_role(aws: Any, tmp_path: Path) -> None:
    session = _assume(aws, f"{SSO_PATH}eu-west-2/", "AWSReservedSSO_Dev_1")
    assembly = _assembly(tmp_path, {PARAMETER: {"Type": "String", "Default": ""}})
    expected = f"arn:aws:iam::123456789012:role{SSO_PATH}eu-west-2/AWSReservedSSO_Dev_1"
    assert deploy_parameters(assembly, session) == [
        "--parameters",
        f"{EKS_STACK}:{PARAMETER}={expected}",
    ]
