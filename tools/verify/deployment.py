"""Post-deploy check of an environment: is what `make deploy` created actually up?

    python -m tools.verify.deployment --environment sandbox [--config config]
                                      [--overrides A.json,B.json]

`make verify` runs it after `make deploy`, with the deployer's credentials (the standard AWS
environment: profile, keys, AWS_ENDPOINT_URL). Everything checked is discovered from the deployed
CloudFormation stacks of the environment (`cp-<env>-*`: DescribeStacks, ListStackResources), never
guessed from names:

* stack     every stack is in a complete state (CREATE/UPDATE/IMPORT_COMPLETE);
* cluster   every ECS cluster the config turns on has its cluster stack deployed (one that is off
            is SKIPped);
* ecs       every AWS::ECS::Service is steady: ACTIVE, exactly one deployment, the PRIMARY one,
            its rolloutState COMPLETED where ECS reports one, runningCount == desiredCount,
            and desiredCount at least its scalable target's MinCapacity;
* targets   every AWS::ElasticLoadBalancingV2::TargetGroup has targets, all `healthy`;
* url       every stack output whose key ends in `Url` answers 2xx (urllib, redirects followed,
            `--attempts` tries `--retry-delay` apart, `--timeout` each) on the service's health
            check path when the service's route forwards that path, else on the URL itself;
* eks       every AWS::EKS::Cluster is ACTIVE, and so is each of its node groups and add-ons
            (a FAIL when the config enables EKS and no deployed stack has a cluster);
* queue     every SQS queue (workers', dead-letter queues) exists, and
* schedule  every EventBridge Scheduler schedule (jobs) exists and is ENABLED
            (tools/verify/workloads.py; no line where there is none).

One line per check: OK, FAIL or SKIP with why; exit 1 on any FAIL (or a one-line error: no
credentials, wrong account), else 0. With AWS_ENDPOINT_URL set (an emulator such as moto) the URLs
are SKIPped: the load balancer DNS names it hands out are made up and must not be resolved.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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
from tools.verify.deployed import deployed_stacks
from tools.verify.report import FAIL, Report
from tools.verify.resources import (
    check_clusters,
    check_ecs,
    check_eks,
    check_stacks,
    check_target_groups,
)
from tools.verify.urls import Probe, check_urls, http_status
from tools.verify.workloads import check_queues, check_schedules


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
    check_clusters(report, stacks, config)
    with refused_call_fails(report, "ecs"):
        check_ecs(report, client("ecs"), stacks, client("application-autoscaling"))
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
    with refused_call_fails(report, "queue"):
        check_queues(report, client("sqs"), stacks)
    with refused_call_fails(report, "schedule"):
        check_schedules(report, client("scheduler"), stacks)
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
        prog="python -m tools.verify.deployment",
        description=(
            "Check that a deployed environment is up: ECS, target health, URLs, EKS, queues, "
            "schedules."
        ),
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
        config = environment_config(args.environment, args.overrides, args.config)
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
