"""Prepare an AWS account for the first deploy: service-linked roles, then `cdk bootstrap`.

    python -m tools.account.bootstrap --environment sandbox [--overrides A.json,B.json]
                                      [--skip-cdk-bootstrap]

`make bootstrap ENV=...` runs it once per account and region, with the deployer's credentials.

Why the roles first: the first `CreateCluster` of an account creates the ECS service-linked role and
assumes it at once; IAM is eventually consistent, so on a brand-new account the cluster often fails
with "Unable to assume the service linked role. Please verify that the ECS service linked role
exists." and succeeds on a retry (aws-cloudformation/cloudformation-coverage-roadmap#818). Creating
every service-linked role the platform's services need ahead of the deploy removes that race.
Creating a role that exists is an error IAM words as "has been taken in this account"; it counts as
success here ("exists"), so the tool can run any number of times.

The account is `account` from the config or, when unset, the caller's (STS GetCallerIdentity).
Nothing here runs at synth: synth stays offline.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from platform_config import ConfigError, PlatformConfig
from tools.account.session import (
    AccountError,
    add_environment_options,
    caller_account,
    default_session,
    environment_config,
    one_line_errors,
)

# AWS service principal -> what of the platform needs its service-linked role.
SERVICE_LINKED_ROLES: dict[str, str] = {
    "ecs.amazonaws.com": "ECS clusters (AWSServiceRoleForECS)",
    "elasticloadbalancing.amazonaws.com": "the shared ALBs (AWSServiceRoleForElasticLoadBalancing)",
    "autoscaling.amazonaws.com": "the ECS EC2 Auto Scaling groups (AWSServiceRoleForAutoScaling)",
    "eks.amazonaws.com": "the EKS cluster (AWSServiceRoleForAmazonEKS)",
    "eks-nodegroup.amazonaws.com": "EKS managed node groups (AWSServiceRoleForAmazonEKSNodegroup)",
    "spot.amazonaws.com": "EC2 Spot capacity (AWSServiceRoleForEC2Spot)",
}

# IAM answers InvalidInput "Service role name AWSServiceRoleForECS has been taken in this account";
# emulators (moto) answer EntityAlreadyExists. Both mean the role is there.
_ALREADY_EXISTS = ("has been taken in this account", "already exists")


def ensure_service_linked_role(iam: Any, service: str) -> str:
    """Create the service-linked role of `service`: 'created', or 'exists' if it already was."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    try:
        iam.create_service_linked_role(AWSServiceName=service)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = str(error.response.get("Error", {}).get("Message", ""))
        if code == "EntityAlreadyExists" or (
            code == "InvalidInput" and any(text in message for text in _ALREADY_EXISTS)
        ):
            return "exists"
        raise
    return "created"


def cdk_bootstrap_command(config: PlatformConfig, account: str) -> list[str]:
    """`cdk bootstrap` of the environment's account and region (the CLI the Makefile puts on PATH:
    node_modules/.bin, with .venv/bin first so it runs the project's Node.js and Python)."""
    return [
        "cdk",
        "--no-notices",
        "bootstrap",
        f"aws://{account}/{config.region}",
        "-c",
        f"environment={config.name}",
    ]


def bootstrap(
    config: PlatformConfig,
    session: Any,
    *,
    run_cdk_bootstrap: bool = True,
) -> None:
    """Create the service-linked roles, then bootstrap the account/region for the CDK.

    Raises:
        AccountError: no or invalid credentials, a denied call, or `cdk bootstrap` failing.
    """
    with one_line_errors():
        account = caller_account(session, config)
        print(f"Account {account}, region {config.region} (environment '{config.name}')")
        iam = session.client("iam", region_name=config.region)
        for service, purpose in SERVICE_LINKED_ROLES.items():
            state = ensure_service_linked_role(iam, service)
            print(f"  service-linked role {service:<36} {state:<8} ({purpose})")
    if not run_cdk_bootstrap:
        return
    command = cdk_bootstrap_command(config, account)
    print(f"Running: {' '.join(command)}", flush=True)
    try:
        result = subprocess.run(command, check=False)
    except FileNotFoundError:
        raise AccountError(
            "the cdk CLI is not on PATH: run through `make bootstrap ENV=...` (after `make setup`)"
        ) from None
    if result.returncode != 0:
        raise AccountError(f"cdk bootstrap exited with {result.returncode}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.account.bootstrap",
        description="Create the platform's service-linked roles, then run cdk bootstrap.",
    )
    add_environment_options(parser)
    parser.add_argument(
        "--skip-cdk-bootstrap",
        action="store_true",
        help="only create the service-linked roles",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    """0 on success; 1 with a one-line `error: ...` on stderr otherwise. `session` is for tests."""
    args = parse_args(argv)
    try:
        config = environment_config(args.environment, args.overrides, args.config)
        bootstrap(
            config, session or default_session(), run_cdk_bootstrap=not args.skip_cdk_bootstrap
        )
    except (AccountError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
