"""The deployer's IAM principal for the EKS stack's deployer-admin parameter, at deploy time.

    python -m tools.account.caller_arn                        # the caller's IAM user or role ARN
    python -m tools.account.caller_arn --parameters cdk.out   # `--parameters STACK:PARAM=ARN` for
                                                              # each stack of the assembly with it

`make deploy` runs the second form after `make synth` and hands its output to `cdk deploy`, so
whoever deploys an environment with `eks.access.deployer_admin` gets a cluster-admin access entry
(kubectl works right after the deploy). It needs the deployer's credentials; synth never calls
it. An assumed-role session (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, e.g. SSO) is turned
into its role's ARN (arn:aws:iam::ACCOUNT:role/PATH/ROLE), the principal an access entry takes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stacks import names
from tools.account.session import AccountError, default_session, one_line_errors

PARAMETER = names.DEPLOYER_ADMIN_PARAMETER

_IAM_PRINCIPAL = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>[0-9]{12}):(user|role)/"
)
_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sts::(?P<account>[0-9]{12}):assumed-role/(?P<role>[^/]+)/[^/]+$"
)


def principal_arn(caller_arn: str, role_path: str | None = None) -> str:
    """The IAM principal an EKS access entry takes for the caller of `sts get-caller-identity`:
    an IAM user or role ARN as it is; an assumed-role session as its role's ARN, with the role's
    `role_path` (e.g. /aws-reserved/sso.amazonaws.com/) when known. Anything else (the account
    root, a federated user) raises AccountError: EKS gives access entries to users and roles."""
    if _IAM_PRINCIPAL.match(caller_arn):
        return caller_arn
    assumed = _ASSUMED_ROLE.match(caller_arn)
    if assumed is None:
        raise AccountError(
            f"the caller {caller_arn} is not an IAM user or role (nor a session of one): EKS "
            "access entries take IAM users and roles; deploy as one, or set "
            f"eks.access.deployer_admin to false and list admins in cluster_admin_role_arns"
        )
    path = role_path or "/"
    if not path.startswith("/") or not path.endswith("/"):
        raise AccountError(f"role path {path!r} must start and end with '/'")
    return f"arn:{assumed['partition']}:iam::{assumed['account']}:role{path}{assumed['role']}"


def role_path(session: Any, role_name: str) -> str | None:
    """The path of IAM role `role_name` (iam:GetRole), or None when the caller may not read it
    (the ARN is then given without a path, right for the roles most people assume)."""
    try:
        with one_line_errors():
            path: str = session.client("iam").get_role(RoleName=role_name)["Role"]["Path"]
    except AccountError as error:
        print(f"note: role path of {role_name} unknown ({error}); using '/'", file=sys.stderr)
        return None
    return path


def caller_principal_arn(session: Any, region: str | None = None) -> str:
    """The caller's IAM user or role ARN, read with the session's credentials (STS in
    `region`, the stacks' region, when given)."""
    with one_line_errors():
        caller = str(session.client("sts", region_name=region).get_caller_identity()["Arn"])
    assumed = _ASSUMED_ROLE.match(caller)
    path = role_path(session, assumed["role"]) if assumed else None
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


def deploy_parameters(assembly: Path, session: Any) -> list[str]:
    """`cdk deploy` arguments setting PARAMETER of every stack that has it to the caller's
    principal; none (and no AWS call) when no stack has it. A stack that already has an access
    entry for the caller (eks.access.cluster_admin_role_arns) gets an empty value: EKS refuses a
    second entry for one principal."""
    stacks = _stacks(assembly, PARAMETER)
    if not stacks:
        return []
    arn = caller_principal_arn(session, next(iter(stacks.values()))[0])
    arguments = []
    for stack, (_, principals) in stacks.items():
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
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    """0 with the ARN (or the deploy arguments) on stdout; 1 with a one-line error."""
    args = parse_args(argv)
    try:
        if args.parameters is not None:
            print(" ".join(deploy_parameters(args.parameters, session or default_session())))
        else:
            print(caller_principal_arn(session or default_session()))
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
