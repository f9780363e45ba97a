"""The deployer's IAM principal for the EKS stack's deployer-admin parameter, at deploy time.

    python -m tools.account.caller_arn                        # the caller's IAM user or role ARN
    python -m tools.account.caller_arn --parameters cdk.out   # `--parameters STACK:PARAM=ARN` for
                                                              # each stack of the assembly with it
    ... --principal-arn ARN                                   # the ARN to use, checked against
                                                              # the caller (make DEPLOYER_ADMIN_ARN)

`make deploy` runs the second form after `make synth` and hands its output to `cdk deploy`, so
whoever deploys an environment with `eks.access.deployer_admin` gets a cluster-admin access entry
(kubectl works right after the deploy). It needs the deployer's credentials; synth never calls
it.

An assumed-role session (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, e.g. IAM Identity
Center) names its role without the role's path, but an access entry needs the role's exact ARN:
"An access entry includes the ARN of one, and only one, existing IAM principal ... If the ARN is
for an IAM role, it can include a path" (Amazon EKS User Guide, "Create access entries",
https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html, read 2026-12-04).
The path is read with iam:GetRole. When that is denied the path is unknown, and guessing is not
safe: an ARN that names no role fails the EKS stack, and on a first deploy its rollback deletes
the cluster. So the tool stops `make deploy` before CloudFormation starts, with the likely ARN
and the ways out. For IAM Identity Center roles (AWSReservedSSO_*) the likely path is
/aws-reserved/sso.amazonaws.com/<Identity Center region>/ ("Referencing permission sets in
resource policies, Amazon EKS, and AWS KMS", IAM Identity Center User Guide,
https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html, read
2026-12-04), without the region for an instance in us-east-1 (AWS Containers blog, "A quick path
to Amazon EKS single sign-on using AWS SSO": "If you configure SSO in a Region other than
us-east-1, add the Region after sso.amazonaws.com"). That rule is only a hint in the message: the
region of the Identity Center instance is the `sso_region` of the deployer's CLI profile, when
the credentials come from one.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from container_constructs.value_formats import IAM_ROLE_ARN, IAM_USER_ARN, STS_ASSUMED_ROLE_ARN
from stacks import names
from tools.account.session import (
    AccountError,
    default_session,
    described_stack,
    one_line_errors,
)

PARAMETER = names.DEPLOYER_ADMIN_PARAMETER
# What `make deploy DEPLOYER_ADMIN_ARN=...` passes as --principal-arn.
OVERRIDE_VARIABLE = "DEPLOYER_ADMIN_ARN"
# The roles IAM Identity Center creates for permission sets, and the path they live under.
SSO_ROLE_PREFIX = "AWSReservedSSO_"
SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
SSO_PATH_WITHOUT_REGION = "us-east-1"


def principal_arn(caller_arn: str, role_path: str | None = None) -> str:
    """The IAM principal an EKS access entry takes for the caller of `sts get-caller-identity`:
    an IAM user or role ARN as it is; an assumed-role session as its role's ARN with the role's
    `role_path` ("/" when the role has none). Anything else (the account root, a federated user)
    raises AccountError: EKS gives access entries to users and roles."""
    if IAM_USER_ARN.match(caller_arn) or IAM_ROLE_ARN.match(caller_arn):
        return caller_arn
    assumed = STS_ASSUMED_ROLE_ARN.match(caller_arn)
    if assumed is None:
        raise AccountError(
            f"the caller {caller_arn} is not an IAM user or role (nor a session of one): EKS "
            "access entries take IAM users and roles; deploy as one, or set "
            "eks.access.deployer_admin to false and list admins in cluster_admin_role_arns"
        )
    path = role_path or "/"
    if not path.startswith("/") or not path.endswith("/"):
        raise AccountError(f"role path {path!r} must start and end with '/'")
    return f"arn:{assumed['partition']}:iam::{assumed['account']}:role{path}{assumed['role']}"


def role_path(session: Any, role_name: str) -> str | None:
    """The path of IAM role `role_name` (iam:GetRole), or None when the caller may not read it."""
    try:
        with one_line_errors():
            path: str = session.client("iam").get_role(RoleName=role_name)["Role"]["Path"]
    except AccountError as error:
        print(f"note: role path of {role_name} unknown ({error})", file=sys.stderr)
        return None
    return path


def identity_center_region(session: Any) -> str | None:
    """The `sso_region` of the session's CLI profile (directly or through its `sso_session`
    section): the region of the IAM Identity Center instance. None when the credentials come from
    elsewhere or the session does not expose its profile."""
    try:
        botocore_session = session._session  # boto3 exposes no public accessor
        profile = botocore_session.get_scoped_config()
        if profile.get("sso_region"):
            return str(profile["sso_region"])
        sso_sessions = botocore_session.full_config.get("sso_sessions", {})
        region = sso_sessions.get(profile.get("sso_session"), {}).get("sso_region")
    except Exception:  # a hint only: any failure means "unknown"
        return None
    return str(region) if region else None


def likely_role_arn(caller_arn: str, region: str | None) -> str:
    """The ARN the assumed role most likely has (for the stop message only, never deployed):
    the IAM Identity Center path for AWSReservedSSO_* roles (REGION when the Identity Center
    region is unknown), no path for other roles."""
    assumed = STS_ASSUMED_ROLE_ARN.match(caller_arn)
    assert assumed is not None
    path = "/"
    if assumed["role"].startswith(SSO_ROLE_PREFIX):
        regional = "" if region == SSO_PATH_WITHOUT_REGION else f"{region or 'REGION'}/"
        path = f"{SSO_ROLE_PATH}{regional}"
    return f"arn:{assumed['partition']}:iam::{assumed['account']}:role{path}{assumed['role']}"


def _unknown_path(caller_arn: str, session: Any) -> AccountError:
    assumed = STS_ASSUMED_ROLE_ARN.match(caller_arn)
    assert assumed is not None
    role = assumed["role"]
    sso = role.startswith(SSO_ROLE_PREFIX)
    where = (
        " (an IAM Identity Center role: its path is "
        f"{SSO_ROLE_PATH}<Identity Center region>/, without the region for us-east-1)"
        if sso
        else ""
    )
    return AccountError(
        f"the path of role {role} cannot be read (iam:GetRole was denied){where}, and the EKS "
        "access entry needs the role's exact ARN: one that names no role fails the EKS stack "
        "(on a first deploy its rollback deletes the cluster), so nothing was deployed. Either "
        f"allow iam:GetRole on the role, or pass its ARN: make deploy {OVERRIDE_VARIABLE}="
        f"{likely_role_arn(caller_arn, identity_center_region(session))} (check it in the IAM "
        "console), or set eks.access.deployer_admin to false and list the role in "
        "eks.access.cluster_admin_role_arns"
    )


def _checked_override(caller_arn: str, override: str) -> str:
    """`override` when it names the caller: the caller's own user or role ARN, or, for an
    assumed-role session, an ARN of that role (same partition, account and name: the path is what
    the override adds)."""
    if override == caller_arn and (IAM_USER_ARN.match(override) or IAM_ROLE_ARN.match(override)):
        return override
    assumed = STS_ASSUMED_ROLE_ARN.match(caller_arn)
    if assumed is not None and IAM_ROLE_ARN.match(override):
        _, partition, _, _, account, resource = override.split(":", 5)
        same = (partition, account) == (assumed["partition"], assumed["account"])
        if same and resource.rsplit("/", 1)[1] == assumed["role"]:
            return override
    raise AccountError(
        f"{OVERRIDE_VARIABLE}={override} does not name the caller {caller_arn}; allowed: the "
        "caller's IAM user ARN, or its role's ARN with the role's path (e.g. "
        f"arn:aws:iam::ACCOUNT:role{SSO_ROLE_PATH}REGION/ROLE)"
    )


def caller_principal_arn(session: Any, region: str | None = None, override: str = "") -> str:
    """The caller's IAM user or role ARN, read with the session's credentials (STS in `region`,
    the stacks' region, when given); `override` (checked to name the caller) when given.

    Raises:
        AccountError: the caller is not a user or role, the role's path cannot be read, or the
            override names another principal.
    """
    with one_line_errors():
        caller = str(session.client("sts", region_name=region).get_caller_identity()["Arn"])
    if override:
        return _checked_override(caller, override)
    assumed = STS_ASSUMED_ROLE_ARN.match(caller)
    if assumed is None:
        return principal_arn(caller)
    path = role_path(session, assumed["role"])
    if path is None:
        raise _unknown_path(caller, session)
    return principal_arn(caller, path)


def stacks_with_parameter(assembly: Path, parameter: str = PARAMETER) -> dict[str, str | None]:
    """The assembly's stacks whose template declares `parameter`: name -> region (None when
    the stack is region-agnostic)."""
    return {name: region for name, (region, _) in _stacks(assembly, parameter).items()}


def _stacks(assembly: Path, parameter: str) -> dict[str, tuple[str | None, set[str]]]:
    """Name -> (region, the literal principal ARNs of its access entries) of each stack of the
    assembly whose template declares `parameter`."""
    manifest_file = assembly / "manifest.json"
    if not manifest_file.exists():
        raise AccountError(f"{assembly} is not a cloud assembly: run `make synth` first")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    stacks: dict[str, tuple[str | None, set[str]]] = {}
    for artifact_id, artifact in sorted(manifest.get("artifacts", {}).items()):
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        template = json.loads((assembly / properties["templateFile"]).read_text(encoding="utf-8"))
        if parameter in template.get("Parameters", {}):
            region = artifact.get("environment", "").rpartition("/")[2]
            principals = {
                resource["Properties"]["PrincipalArn"]
                for resource in template.get("Resources", {}).values()
                if resource.get("Type") == "AWS::EKS::AccessEntry"
                and isinstance(resource.get("Properties", {}).get("PrincipalArn"), str)
            }
            stacks[properties.get("stackName", artifact_id)] = (
                None if region in ("", "unknown-region") else region,
                principals,
            )
    return stacks


def deploy_parameters(assembly: Path, session: Any, override: str = "") -> list[str]:
    """`cdk deploy` arguments setting PARAMETER of every stack that has it to the caller's
    principal; none (and no AWS call) when no stack has it. A stack that already has an access
    entry for the caller (eks.access.cluster_admin_role_arns) gets an empty value: EKS refuses a
    second entry for one principal."""
    stacks = _stacks(assembly, PARAMETER)
    if not stacks:
        return []
    arn = caller_principal_arn(session, next(iter(stacks.values()))[0], override)
    arguments = []
    for stack, (region, principals) in stacks.items():
        deployed = deployed_admin(session, stack, region) if principals else None
        if deployed is not None and deployed in principals:
            raise AccountError(_listed_deployer(stack, deployed))
        value = arn
        if arn in principals:
            print(
                f"note: {arn} is already an admin of {stack} (cluster_admin_role_arns); "
                f"{PARAMETER} is set empty",
                file=sys.stderr,
            )
            value = ""
        arguments += ["--parameters", f"{stack}:{PARAMETER}={value}"]
    return arguments


def deployed_admin(session: Any, stack: str, region: str | None) -> str | None:
    """The principal of `stack`'s deployer access entry as deployed (its PARAMETER's value), or
    None: no such stack yet, or the parameter empty."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    from tools.plan.deployed import ABSENT

    try:
        described = described_stack(session.client("cloudformation", region_name=region), stack)
    except ClientError as error:
        raise AccountError(f"cannot read the deployed parameters of {stack}: {error}") from None
    if described is None or described.get("StackStatus") in ABSENT:
        return None
    values = {p["ParameterKey"]: p.get("ParameterValue") for p in described.get("Parameters", [])}
    return values.get(PARAMETER) or None


def _listed_deployer(stack: str, principal: str) -> str:
    """A principal listed in eks.access whose deployer access entry is still deployed: the deploy
    creates its listed entry before it deletes the deployer's (a resource whose condition turns
    false goes in the update's cleanup), and EKS keeps one access entry per principal
    (CreateAccessEntry: ResourceInUseException), so the EKS stack's update would fail."""
    return (
        f"{principal} has the deployer's access entry in {stack} (eks.access.deployer_admin, "
        "last deploy) and is now listed in eks.access: this deploy would create its second "
        "access entry before deleting the first, which EKS refuses (one per principal), and the "
        "EKS stack's update would fail. First `make deploy` with eks.access.deployer_admin "
        f"false and {principal} not listed (its deployer entry is deleted; kubectl access "
        "returns with the next deploy), then deploy this change"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.account.caller_arn",
        description=f"The deployer's IAM user or role ARN (for the EKS stack's {PARAMETER}).",
    )
    parser.add_argument(
        "--parameters",
        type=Path,
        metavar="ASSEMBLY",
        help="print `cdk deploy` --parameters for the stacks of this cloud assembly that take it",
    )
    parser.add_argument(
        "--principal-arn",
        default="",
        metavar="ARN",
        help=(
            "use this ARN (it must name the caller: its user, or its role with the role's path) "
            f"instead of reading the role's path; make deploy passes {OVERRIDE_VARIABLE}"
        ),
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    """0 with the ARN (or the deploy arguments) on stdout; 1 with a one-line error."""
    args = parse_args(argv)
    try:
        if args.parameters is not None:
            arguments = deploy_parameters(
                args.parameters, session or default_session(), args.principal_arn
            )
            print(" ".join(arguments))
        else:
            print(caller_principal_arn(session or default_session(), None, args.principal_arn))
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
