"""Pre-deploy check of an environment's config against the account it deploys to.

    python -m tools.account.check --environment sandbox [--overrides A.json,B.json]

`make deploy` runs it (as `make preflight-account`) after the synth and before `cdk deploy`, with
the deployer's credentials; synth never calls AWS. It exits 1 on any problem, listing them all:

* Availability zone names are per account: `us-east-1a` is a different physical zone (AZ ID) in
  each account. The configured `network.availability_zones` are mapped to their AZ IDs here.
* With `eks.enabled`, a zone whose ID Amazon EKS does not accept for the cluster's (control-plane)
  subnets is refused: EKS fails the create with UnsupportedAvailabilityZoneException
  (`EKS_UNSUPPORTED_ZONE_IDS`, with its source).
* Every configured instance type (`ecs.ec2.instance_types`, the EKS node groups' `instance_types`)
  must be offered in every configured zone (EC2 DescribeInstanceTypeOfferings by
  availability-zone); older zones such as use1-az3 lack newer types. Missing pairs are listed.
* Every secret the ECS services read (`ecs.<cluster>.services.<name>.secrets.<VAR>`) must exist
  where the deployer's account can tell (tools/account/secrets.py: by name, or by an ARN of this
  account; another account's is its owner's to check, a denied call leaves it "not checked").
  ECS fetches a container's secrets with the execution role when the task starts; a secret that
  is not there stops every task with ResourceInitializationError ("unable to pull secrets or
  registry auth: execution resource retrieval failed: unable to retrieve secret from asm"), the
  circuit breaker rolls the deployment back and the stack update fails many minutes in. Sources,
  read 2026-12-04: the Amazon ECS Developer Guide's "Pass Secrets Manager secrets through Amazon
  ECS environment variables" (injected when the container starts),
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html;
  AWS re:Post Knowledge Center, read in the editions found: "Secrets Manager can't find the
  specified secret" among the causes of a task failing to get its secret,
  https://www.repost.aws/ja/knowledge-center/ecs-secrets-manager-issues, and the error messages,
  https://www.repost.aws/fr/knowledge-center/ecs-unable-to-pull-secrets. A secret encrypted with
  a customer managed KMS key must have that key in `kms_key_arn`, which the execution role's
  kms:Decrypt grant names (tools/account/kms_keys.py).
* Every SQS queue a worker is given (`queue.arn`) must exist where the deployer's account can
  tell, and its customer managed KMS key (if any) be `queue.kms_key_arn`
  (tools/account/queues.py): otherwise the worker consumes nothing and its senders fail.
* Every image the ECS services (and their sidecars) run from the platform's registry
  (`image.repository` + `tag`) must be in its ECR repository, built for the architecture the
  service's tasks run on (tools/account/images.py): a missing one stops every task with
  CannotPullContainerError, and the deployment rolls back many minutes in. A repository this
  deploy creates is make plan's to check (image-from-new-repository); images pulled by `uri` are
  `make image-digests`'s.
* Every ACM certificate the ALBs' HTTPS listeners take must be ISSUED
  (tools/account/certificates.py): ELB attaches no other, and the listener's create or update
  fails with the stack update.
* Every IAM role the config names as a principal (EKS access entries, exact ARN with its path;
  the CI publisher's trusted roles) must exist (tools/account/principals.py): EKS refuses the
  access entry after the cluster was created, IAM the trust policy.
* Every IAM managed policy the EKS stack attaches to a role it creates (Pod Identity roles of
  add-ons and workload identities, the Argo CD capability's role) must exist and be attachable
  in this account (tools/account/policies.py): CloudFormation fails the role otherwise.
* Every EKS managed add-on version the environment installs (a pin, or the platform's table)
  must be one EKS offers for the cluster's Kubernetes version in the region
  (tools/account/addons.py): EKS refuses another after the cluster was created or upgraded.
* The account's vCPU quotas (Fargate On-Demand and Spot, EC2 Standard On-Demand and Spot) must
  hold what every deploy of the environment needs beside what other workloads run now
  (tools/account/quotas.py, tools/account/own_usage.py): capacity past a quota does not launch,
  and the deployment waits for it until the stack update fails. A quota below what the config's
  maximum needs is reported (scaling out stops there), not a problem. So must the Elastic Load
  Balancing quotas on Application Load Balancers and target groups per region
  (tools/account/elb_quotas.py): ELB refuses what is past them and the stack fails.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from platform_config import ConfigError, PlatformConfig
from tools.account.addons import AddonStatus, check_addons
from tools.account.certificates import CertificateStatus, check_certificates
from tools.account.elb_quotas import check_elb_quotas
from tools.account.images import ImageStatus, check_images
from tools.account.own_usage import environment_usage
from tools.account.policies import PolicyStatus, check_policies
from tools.account.principals import PrincipalStatus, check_principals
from tools.account.queues import QueueStatus, check_queues
from tools.account.quotas import QuotaStatus, check_quotas, not_deployed
from tools.account.secrets import SecretStatus, check_secrets
from tools.account.session import (
    AccountError,
    add_environment_options,
    caller_account,
    default_session,
    environment_config,
    one_line_errors,
)

# AZ IDs where Amazon EKS does not create clusters: "Amazon EKS VPC and subnet requirements",
# https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#network-requirements-subnets
# (the cluster's subnets can't be in us-east-1 use1-az3, us-west-1 usw1-az2, ca-central-1
# cac1-az3). eksctl keeps the same denylist for the control plane.
EKS_UNSUPPORTED_ZONE_IDS: dict[str, str] = {
    "use1-az3": "us-east-1",
    "usw1-az2": "us-west-1",
    "cac1-az3": "ca-central-1",
}
EKS_SOURCE = "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html"


@dataclass
class AccountReport:
    """What the check found: zone name -> AZ ID, the instance types, the services' secrets, the
    workers' queues and registry images, the certificates, the principals, the managed policies,
    the add-ons, the quotas, and every problem as one line."""

    environment: str
    account: str
    region: str
    zone_ids: dict[str, str] = field(default_factory=dict)
    # instance type -> (config paths that use it, zones where it is not offered)
    instance_types: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    secrets: list[SecretStatus] = field(default_factory=list)  # one per field path
    queues: list[QueueStatus] = field(default_factory=list)  # one per worker given a queue
    images: list[ImageStatus] = field(default_factory=list)  # one per field path
    certificates: list[CertificateStatus] = field(default_factory=list)  # one per field path
    principals: list[PrincipalStatus] = field(default_factory=list)  # one per field path
    policies: list[PolicyStatus] = field(default_factory=list)  # one per field path and policy
    addons: list[AddonStatus] = field(default_factory=list)  # one per EKS add-on
    quotas: list[QuotaStatus] = field(default_factory=list)  # one per quota the config needs
    problems: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [
            f"Account check of environment '{self.environment}' "
            f"(account {self.account}, region {self.region})",
            "Availability zones (name -> AZ ID in this account):",
        ]
        for name, zone_id in self.zone_ids.items():
            lines.append(f"  {name:<16} {zone_id or '(not in this account)'}")
        lines.append("Instance types offered in every configured zone:")
        for instance_type, (paths, missing) in self.instance_types.items():
            state = f"missing in {', '.join(missing)}" if missing else "ok"
            lines.append(f"  {instance_type:<14} {state:<32} ({', '.join(paths)})")
        sections: list[tuple[str, Sequence[Any], str]] = [
            ("Secrets the services read:", self.secrets, "no ECS service reads a secret"),
            ("Queues the workers are given:", self.queues, "no worker is given a queue"),
            (
                "Images the services run from the registry:",
                self.images,
                "every image is pulled by uri: make image-digests checks those",
            ),
            (
                "Certificates the load balancers' HTTPS listeners take:",
                self.certificates,
                "no HTTPS listener",
            ),
            (
                "IAM roles the config names as principals:",
                self.principals,
                "no EKS access entry or trusted CI role",
            ),
            (
                "IAM managed policies the EKS stack attaches:",
                self.policies,
                "EKS off, or no role it creates takes a managed policy",
            ),
            (
                "EKS add-on versions offered for the cluster's Kubernetes version:",
                self.addons,
                "EKS off",
            ),
            (
                "Quotas (this environment's need, least to most, against the quota and its usage):",
                self.quotas,
                "no compute or load balancer the config sizes",
            ),
        ]
        for title, found, none in sections:
            lines.append(title)
            lines.extend(f"  {item.line()}" for item in found)
            if not found:
                lines.append(f"  none ({none})")
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s):")
            lines.extend(f"  - {problem}" for problem in self.problems)
        else:
            lines.append("No problems found.")
        return "\n".join(lines)


def configured_instance_types(config: PlatformConfig) -> dict[str, list[str]]:
    """Every instance type the config launches -> the config paths that name it."""
    uses: dict[str, list[str]] = {}
    if config.ecs.ec2.enabled:  # an EC2 cluster that is off launches no instance
        for instance_type in config.ecs.ec2.instance_types:
            uses.setdefault(instance_type, []).append("ecs.ec2.instance_types")
    if config.eks.enabled and config.eks.compute.mode == "managed_nodes":
        for index, group in enumerate(config.eks.compute.node_groups):
            for instance_type in group.instance_types:
                path = f"eks.compute.node_groups[{index}].instance_types"
                uses.setdefault(instance_type, []).append(path)
    return uses


def zone_ids(ec2: Any, names: Sequence[str]) -> dict[str, str]:
    """Zone name -> AZ ID for the region's zones that are available to this account."""
    response = ec2.describe_availability_zones(AllAvailabilityZones=False)
    known = {
        zone["ZoneName"]: zone["ZoneId"]
        for zone in response["AvailabilityZones"]
        if zone.get("State", "available") == "available"
    }
    return {name: known[name] for name in names if name in known}


def offered_zones(
    ec2: Any, instance_types: Sequence[str], zones: Sequence[str]
) -> set[tuple[str, str]]:
    """The (instance type, zone name) pairs EC2 offers, among `instance_types` x `zones`."""
    offered: set[tuple[str, str]] = set()
    paginator = ec2.get_paginator("describe_instance_type_offerings")
    pages = paginator.paginate(
        LocationType="availability-zone",
        Filters=[
            {"Name": "instance-type", "Values": list(instance_types)},
            {"Name": "location", "Values": list(zones)},
        ],
    )
    for page in pages:
        for offering in page["InstanceTypeOfferings"]:
            offered.add((offering["InstanceType"], offering["Location"]))
    return offered


def check_account(config: PlatformConfig, session: Any) -> AccountReport:
    """Map the zones, check them against EKS and the instance type offerings, and look up the
    services' secrets, the workers' queues and registry images, the load balancers'
    certificates, the roles named as principals, the managed policies, the EKS add-on versions
    and the vCPU quotas.

    Raises:
        AccountError: no or invalid credentials, or a denied call (a secret's denied lookup
            is reported as not checked instead).
    """
    with one_line_errors():
        account = caller_account(session, config)
        ec2 = session.client("ec2", region_name=config.region)
        zones = list(config.network.availability_zones)
        ids = zone_ids(ec2, zones)
        report = AccountReport(config.name, account, config.region)
        report.zone_ids = {zone: ids.get(zone, "") for zone in zones}
        for zone in zones:
            if zone not in ids:
                report.problems.append(
                    f"network.availability_zones: {zone} is not an available zone of account "
                    f"{account} in {config.region}"
                )
        if config.eks.enabled:
            for zone, zone_id in ids.items():
                if zone_id in EKS_UNSUPPORTED_ZONE_IDS:
                    report.problems.append(
                        f"network.availability_zones: {zone} is {zone_id} in this account, where "
                        "Amazon EKS does not create clusters (UnsupportedAvailabilityZoneException"
                        f"; {EKS_SOURCE}); choose another zone or disable eks"
                    )
        uses = configured_instance_types(config)
        present = [zone for zone in zones if zone in ids]
        offered = offered_zones(ec2, sorted(uses), present) if uses and present else set()
        for instance_type, paths in uses.items():
            missing = [zone for zone in present if (instance_type, zone) not in offered]
            report.instance_types[instance_type] = (paths, missing)
            for zone in missing:
                report.problems.append(
                    f"{paths[0]}: {instance_type} is not offered in {zone} ({ids[zone]})"
                )
        report.secrets = check_secrets(config, session, account)
        report.queues = check_queues(config, session, account)
        report.images = check_images(config, session, account)
        report.certificates = check_certificates(config, session, account)
        report.principals = check_principals(config, session, account)
        report.policies = check_policies(config, session, account)
        report.addons = check_addons(config, session)
        own = environment_usage(session, config, not_deployed(session, config))
        report.quotas = check_quotas(config, session, uses, own) + check_elb_quotas(
            config, session, own
        )
        lookups: list[Sequence[Any]] = [
            report.secrets,
            report.queues,
            report.images,
            report.certificates,
            report.principals,
            report.policies,
            report.addons,
            report.quotas,
        ]
        report.problems.extend(item.problem for found in lookups for item in found if item.problem)
    return report


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.account.check",
        description=(
            "Check an environment's zones, instance types, services' secrets, workers' queues, "
            "registry images, certificates, IAM principals and managed policies, EKS add-on "
            "versions and vCPU quotas against the account."
        ),
    )
    add_environment_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    """0 when the account fits the config; 1 with the report (or a one-line error) otherwise.
    `session` is for tests."""
    args = parse_args(argv)
    try:
        config = environment_config(args.environment, args.overrides, args.config)
        report = check_account(config, session or default_session())
    except (AccountError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(report.render())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
