"""Post-deploy check of an environment: is what `make deploy` created actually up?

    python -m tools.verify_deployment --environment sandbox [--overrides A.json,B.json]

`make verify` runs it after `make deploy`, with the deployer's credentials (the standard AWS
environment: profile, keys, AWS_ENDPOINT_URL). Everything checked is discovered from the deployed
CloudFormation stacks of the environment (`cp-<env>-*`: DescribeStacks, ListStackResources), never
guessed from names:

* stack     every stack is in a complete state (CREATE/UPDATE/IMPORT_COMPLETE);
* ecs       every AWS::ECS::Service is steady: ACTIVE, exactly one deployment, the PRIMARY one,
            its rolloutState COMPLETED where ECS reports one, runningCount == desiredCount;
* targets   every AWS::ElasticLoadBalancingV2::TargetGroup has targets, all `healthy`;
* url       every stack output whose key ends in `Url` answers 2xx (urllib, redirects followed,
            `--attempts` tries `--retry-delay` apart, `--timeout` each) on the service's health
            check path when the service's route forwards that path, else on the URL itself;
* eks       every AWS::EKS::Cluster is ACTIVE, and so is each of its node groups and add-ons
            (a FAIL when the config enables EKS and no deployed stack has a cluster).

One line per check: OK, FAIL or SKIP with why; exit 1 on any FAIL (or a one-line error: no
credentials, wrong account), else 0. With AWS_ENDPOINT_URL set (an emulator such as moto) the URLs
are SKIPped: the load balancer DNS names it hands out are made up and must not be resolved.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from platform_config import ConfigError, PlatformConfig
from tools.aws_account import (
    AccountError,
    add_environment_options,
    caller_account,
    default_session,
    environment_config,
    one_line_errors,
)

OK, FAIL, SKIP = "OK", "FAIL", "SKIP"
COMPLETE_STACK_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
ECS_SERVICE = "AWS::ECS::Service"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
EKS_CLUSTER = "AWS::EKS::Cluster"
URL_SUFFIX = "Url"


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    kind: str
    subject: str
    status: str
    detail: str

    def render(self) -> str:
        return f"{self.status:<4}  {self.kind:<7}  {self.subject}: {self.detail}"


@dataclass
class Report:
    environment: str
    checks: list[Check] = field(default_factory=list)

    def add(self, kind: str, subject: str, status: str, detail: str) -> None:
        self.checks.append(Check(kind, subject, status, detail))

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.status == FAIL]

    def render(self) -> str:
        counts = {s: sum(c.status == s for c in self.checks) for s in (OK, FAIL, SKIP)}
        lines = [f"Verification of environment '{self.environment}'"]
        lines += [check.render() for check in self.checks]
        lines.append(f"{counts[OK]} OK, {counts[FAIL]} FAIL, {counts[SKIP]} SKIP")
        return "\n".join(lines)


@dataclass(frozen=True)
class DeployedStack:
    name: str
    status: str
    outputs: dict[str, str]
    resources: list[tuple[str, str, str]]  # (type, logical id, physical id)

    def of_type(self, resource_type: str) -> list[tuple[str, str]]:
        """(logical id, physical id) of the stack's resources of `resource_type` that exist."""
        return [
            (logical, physical)
            for kind, logical, physical in self.resources
            if kind == resource_type and physical
        ]


def physical_ids(stacks: Sequence[DeployedStack], resource_type: str) -> list[tuple[str, str]]:
    """(stack name, physical id) of every existing resource of `resource_type` in `stacks`."""
    return [
        (stack.name, physical) for stack in stacks for _, physical in stack.of_type(resource_type)
    ]


def stack_prefix(environment: str) -> str:
    return f"cp-{environment}-"  # stacks/platform.py stack_id


def deployed_stacks(cloudformation: Any, environment: str) -> list[DeployedStack]:
    """The environment's stacks (not deleted), with their outputs and resources, by name."""
    prefix = stack_prefix(environment)
    stacks = []
    for page in cloudformation.get_paginator("describe_stacks").paginate():
        for stack in page["Stacks"]:
            if (
                not stack["StackName"].startswith(prefix)
                or stack["StackStatus"] == "DELETE_COMPLETE"
            ):
                continue
            resources = [
                (
                    r.get("ResourceType", ""),
                    r.get("LogicalResourceId", ""),
                    r.get("PhysicalResourceId", ""),
                )
                for resources_page in cloudformation.get_paginator("list_stack_resources").paginate(
                    StackName=stack["StackId"]
                )
                for r in resources_page["StackResourceSummaries"]
            ]
            outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
            stacks.append(
                DeployedStack(stack["StackName"], stack["StackStatus"], outputs, resources)
            )
    return sorted(stacks, key=lambda s: s.name)


def check_stacks(report: Report, stacks: Sequence[DeployedStack]) -> None:
    if not stacks:
        report.add("stack", f"{stack_prefix(report.environment)}*", FAIL, "no deployed stack")
    for stack in stacks:
        status = OK if stack.status in COMPLETE_STACK_STATES else FAIL
        report.add("stack", stack.name, status, stack.status)


def service_problems(service: dict[str, Any]) -> list[str]:
    """Why an ECS DescribeServices entry is not steady ([] when it is)."""
    problems = []
    if service.get("status") != "ACTIVE":
        problems.append(f"status {service.get('status')}")
    deployments = service.get("deployments", [])
    primary = [d for d in deployments if d.get("status") == "PRIMARY"]
    if len(deployments) != 1 or len(primary) != 1:
        states = ", ".join(str(d.get("status")) for d in deployments) or "none"
        problems.append(f"{len(deployments)} deployment(s) ({states}), want one PRIMARY")
    for deployment in primary:
        rollout = deployment.get("rolloutState")
        if rollout is not None and rollout != "COMPLETED":
            reason = deployment.get("rolloutStateReason")
            problems.append(f"rolloutState {rollout}" + (f" ({reason})" if reason else ""))
    running, desired = service.get("runningCount"), service.get("desiredCount")
    if running != desired:
        problems.append(
            f"runningCount {running} != desiredCount {desired} "
            f"(pending {service.get('pendingCount')})"
        )
    return problems


def _cluster_of(service_arn: str) -> str | None:
    """The cluster of a long-format service ARN (arn:...:service/CLUSTER/NAME), else None."""
    resource = service_arn.rpartition(":")[2]
    parts = resource.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == "service" else None


def check_ecs(report: Report, ecs: Any, stacks: Sequence[DeployedStack]) -> None:
    services = physical_ids(stacks, ECS_SERVICE)
    if not services:
        report.add("ecs", "services", SKIP, "no AWS::ECS::Service in the deployed stacks")
    for stack_name, arn in services:
        subject = f"{stack_name} {arn.rpartition('/')[2]}"
        cluster = _cluster_of(arn)
        if cluster is None:
            report.add("ecs", subject, FAIL, f"cannot tell the cluster of {arn}")
            continue
        found = ecs.describe_services(cluster=cluster, services=[arn])
        if not found.get("services"):
            failure = "; ".join(
                f"{f.get('arn')}: {f.get('reason')}" for f in found.get("failures", [])
            )
            report.add("ecs", subject, FAIL, f"not found ({failure or 'no answer'})")
            continue
        service = found["services"][0]
        problems = service_problems(service)
        if problems:
            report.add("ecs", subject, FAIL, "; ".join(problems))
        else:
            report.add(
                "ecs",
                subject,
                OK,
                f"steady: {service['runningCount']}/{service['desiredCount']} running, "
                "one PRIMARY deployment",
            )


def check_target_groups(report: Report, elbv2: Any, stacks: Sequence[DeployedStack]) -> None:
    groups = physical_ids(stacks, TARGET_GROUP)
    if not groups:
        report.add("targets", "target groups", SKIP, "no target group in the deployed stacks")
    for stack_name, arn in groups:
        subject = f"{stack_name} {arn.rpartition(':')[2]}"
        descriptions = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        if not descriptions:
            report.add("targets", subject, FAIL, "no registered targets")
            continue
        unhealthy = [
            f"{d['Target']['Id']}:{d['Target'].get('Port', '')} {d['TargetHealth'].get('State')}"
            + (f" ({d['TargetHealth']['Reason']})" if d["TargetHealth"].get("Reason") else "")
            for d in descriptions
            if d.get("TargetHealth", {}).get("State") != "healthy"
        ]
        if unhealthy:
            report.add(
                "targets",
                subject,
                FAIL,
                f"{len(unhealthy)}/{len(descriptions)} not healthy: {', '.join(unhealthy)}",
            )
        else:
            report.add("targets", subject, OK, f"{len(descriptions)} target(s) healthy")


def service_construct_id(name: str) -> str:
    """stacks/ecs_stacks.py _construct_id: the service's output is `<this>Url`."""
    return "Service" + "".join(part.capitalize() for part in name.split("-"))


def health_url(url: str, config: PlatformConfig | None, output_key: str) -> str:
    """Where to probe the service of output `output_key` (`Service<Name>Url`): its health check
    path on the URL's host when one of its route's paths forwards that path to it, else the URL."""
    if config is None:
        return url
    services = [*config.ecs.ec2.services, *config.ecs.fargate.services]
    for service in services:
        if f"{service_construct_id(service.name)}{URL_SUFFIX}" != output_key:
            continue
        path = service.health_check_path
        patterns = service.route.paths or ["/*"]
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns):
            return urllib.parse.urljoin(url, path)
    return url


Probe = Callable[[str, float], int]


def http_status(url: str, timeout: float) -> int:
    """The final status of a GET of `url`, redirects followed (urllib's default handlers)."""
    request = urllib.request.Request(url, headers={"User-Agent": "cp-verify-deployment"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def probe_url(
    url: str,
    attempts: int,
    timeout: float,
    retry_delay: float,
    probe: Probe = http_status,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, str]:
    """(answered 2xx, what happened) after at most `attempts` tries."""
    last = "not tried"
    for attempt in range(1, attempts + 1):
        try:
            status = probe(url, timeout)
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            last = f"{type(error).__name__}: {reason}"
        else:
            if 200 <= status < 300:
                return True, f"HTTP {status} (attempt {attempt}/{attempts})"
            last = f"HTTP {status}"
        if attempt < attempts:
            sleep(retry_delay)
    return False, f"{last} after {attempts} attempt(s), {timeout:g}s timeout each"


def check_urls(
    report: Report,
    stacks: Sequence[DeployedStack],
    config: PlatformConfig | None,
    *,
    skip_reason: str | None,
    attempts: int,
    timeout: float,
    retry_delay: float,
    probe: Probe = http_status,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    urls = [
        (stack.name, key, value)
        for stack in stacks
        for key, value in sorted(stack.outputs.items())
        if key.endswith(URL_SUFFIX)
    ]
    if not urls:
        report.add("url", "service URLs", SKIP, "no stack output ending in 'Url'")
    for stack_name, key, url in urls:
        target = health_url(url, config, key)
        subject = f"{stack_name} {key} {target}"
        if skip_reason:
            report.add("url", subject, SKIP, skip_reason)
            continue
        answered, detail = probe_url(target, attempts, timeout, retry_delay, probe, sleep)
        report.add("url", subject, OK if answered else FAIL, detail)


def check_eks(
    report: Report, eks: Any, stacks: Sequence[DeployedStack], config: PlatformConfig | None
) -> None:
    clusters = physical_ids(stacks, EKS_CLUSTER)
    if not clusters:
        enabled = config is not None and config.eks.enabled
        report.add(
            "eks",
            "cluster",
            FAIL if enabled else SKIP,
            "eks.enabled, but no deployed stack has an AWS::EKS::Cluster"
            if enabled
            else "no AWS::EKS::Cluster in the deployed stacks (eks disabled)",
        )
    for stack_name, name in clusters:
        status = eks.describe_cluster(name=name)["cluster"]["status"]
        report.add(
            "eks", f"{stack_name} cluster {name}", OK if status == "ACTIVE" else FAIL, status
        )
        nodegroups = _paginate(eks, "list_nodegroups", "nodegroups", clusterName=name)
        if not nodegroups:
            report.add(
                "eks", f"{stack_name} {name} node groups", SKIP, "the cluster has no node group"
            )
        for nodegroup in nodegroups:
            group = eks.describe_nodegroup(clusterName=name, nodegroupName=nodegroup)["nodegroup"]
            detail = group["status"] + _health_issues(group.get("health", {}).get("issues", []))
            report.add(
                "eks",
                f"{name} nodegroup {nodegroup}",
                OK if group["status"] == "ACTIVE" else FAIL,
                detail,
            )
        addons = _paginate(eks, "list_addons", "addons", clusterName=name)
        if not addons:
            report.add("eks", f"{stack_name} {name} add-ons", SKIP, "the cluster has no add-on")
        for addon_name in addons:
            addon = eks.describe_addon(clusterName=name, addonName=addon_name)["addon"]
            detail = addon["status"] + _health_issues(addon.get("health", {}).get("issues", []))
            report.add(
                "eks",
                f"{name} addon {addon_name}",
                OK if addon["status"] == "ACTIVE" else FAIL,
                detail,
            )


def _health_issues(issues: Iterable[dict[str, Any]]) -> str:
    text = "; ".join(f"{i.get('code')}: {i.get('message')}" for i in issues)
    return f" ({text})" if text else ""


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[str]:
    return [
        item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]
    ]


def verify(
    session: Any,
    environment: str,
    config: PlatformConfig | None,
    *,
    region: str | None = None,
    skip_urls: str | None = None,
    attempts: int = 3,
    timeout: float = 10.0,
    retry_delay: float = 5.0,
    probe: Probe = http_status,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Every check of the module doc, against the session's account, as a report."""
    region = region or (config.region if config is not None else None)
    report = Report(environment)

    def client(service: str) -> Any:
        return session.client(service, region_name=region)

    with one_line_errors():
        if config is not None:
            caller_account(session, config)
        stacks = deployed_stacks(client("cloudformation"), environment)
    check_stacks(report, stacks)
    with refused_call_fails(report, "ecs"):
        check_ecs(report, client("ecs"), stacks)
    with refused_call_fails(report, "targets"):
        check_target_groups(report, client("elbv2"), stacks)
    check_urls(
        report,
        stacks,
        config,
        skip_reason=skip_urls,
        attempts=attempts,
        timeout=timeout,
        retry_delay=retry_delay,
        probe=probe,
        sleep=sleep,
    )
    with refused_call_fails(report, "eks"):
        check_eks(report, client("eks"), stacks, config)
    return report


@contextmanager
def refused_call_fails(report: Report, kind: str) -> Iterator[None]:
    """An API call refused (AccessDenied, not implemented by an emulator, ...) during the checks
    of `kind` is one FAIL line of that kind, and the other checks still run; missing credentials
    and connection errors stay one-line errors of the whole run."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    with one_line_errors():
        try:
            yield
        except ClientError as error:
            detail = error.response.get("Error", {})
            report.add(
                kind,
                error.operation_name,
                FAIL,
                f"{error.operation_name} failed: {detail.get('Code')}: {detail.get('Message')}",
            )


def url_skip_reason(skip_urls: bool, environ: dict[str, str] | os._Environ[str]) -> str | None:
    if skip_urls:
        return "--skip-urls"
    endpoint = environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        return (
            f"AWS_ENDPOINT_URL={endpoint} (an emulator): its load balancer DNS names are made up, "
            "nothing answers them"
        )
    return None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.verify_deployment",
        description="Check that a deployed environment is up: ECS, target health, URLs, EKS.",
    )
    add_environment_options(parser)
    parser.add_argument("--attempts", type=int, default=3, help="tries per URL (default 3)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per try (default 10)")
    parser.add_argument("--retry-delay", type=float, default=5.0, help="seconds between tries")
    parser.add_argument("--skip-urls", action="store_true", help="do not request the service URLs")
    args = parser.parse_args(argv)
    if args.attempts < 1 or args.timeout <= 0 or args.retry_delay < 0:
        parser.error("--attempts must be >= 1, --timeout > 0, --retry-delay >= 0")
    return args


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    """0 when every check is OK or SKIP; 1 with the report (or a one-line error) otherwise."""
    args = parse_args(argv)
    try:
        config = environment_config(args.environment, args.overrides)
        report = verify(
            session or default_session(),
            args.environment,
            config,
            skip_urls=url_skip_reason(args.skip_urls, os.environ),
            attempts=args.attempts,
            timeout=args.timeout,
            retry_delay=args.retry_delay,
        )
    except (AccountError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(report.render())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
