"""tools/account/quotas.py through tools/account/check.py: the account's vCPU quotas must hold
what the environment needs beside what other workloads run (moto for EC2's instance types, the
usage metrics and the environment's stacks, a fake Service Quotas client for the quotas: moto
answers NoSuchResourceException for them)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from platform_config import PlatformConfig, load_config
from platform_config.ecs import CapacityProviderShare
from tests.helpers.account import USAGE_METRICS, FakeServiceQuotas, running
from tests.helpers.apps import RECORD
from tests.helpers.fake_session import FakeSession
from tools.account.check import check_account
from tools.account.instance_types import is_standard
from tools.account.quotas import (
    EC2_ON_DEMAND,
    EC2_SPOT,
    FARGATE_ON_DEMAND,
    FARGATE_SPOT,
    USAGE_WINDOW,
    needs,
    strategy_shares,
)

VCPUS = {"t3.small": 2, "t3a.medium": 2, "t3.medium": 2, "t4g.large": 2, "m7g.large": 2}
VCPUS |= {"m6g.large": 2, "m7i.large": 2, "m6i.large": 2, "m7i.2xlarge": 8}


def test_the_standard_families_are_those_the_quotas_name() -> None:
    standard = ["m7g.large", "t3.small", "c7gn.xlarge", "r7iz.large", "i4i.large", "im4gn.large"]
    standard += ["z1d.large", "d3.xlarge", "h1.2xlarge", "a1.large"]
    own_quota = ["g5.xlarge", "p4d.24xlarge", "inf2.xlarge", "trn1.2xlarge", "dl1.24xlarge"]
    own_quota += ["hpc7g.4xlarge", "mac1.metal", "x2idn.16xlarge", "u-6tb1.metal", "f1.2xlarge"]
    assert [name for name in standard if not is_standard(name)] == []
    assert [name for name in own_quota if is_standard(name)] == []


def test_a_strategy_places_its_base_first_then_by_weight() -> None:
    sandbox = [
        CapacityProviderShare(capacity_provider="FARGATE_SPOT", weight=4),
        CapacityProviderShare(capacity_provider="FARGATE", weight=1),
    ]
    assert strategy_shares(5, sandbox) == {"FARGATE_SPOT": 4, "FARGATE": 1}
    based = [
        CapacityProviderShare(capacity_provider="FARGATE", weight=1, base=2),
        CapacityProviderShare(capacity_provider="FARGATE_SPOT", weight=1),
    ]
    assert strategy_shares(1, based) == {"FARGATE": 1, "FARGATE_SPOT": 0}
    assert strategy_shares(6, based) == {"FARGATE": 4, "FARGATE_SPOT": 2}


@given(
    tasks=st.integers(min_value=0, max_value=400),
    base=st.integers(min_value=0, max_value=50),
    weights=st.tuples(st.integers(0, 10), st.integers(0, 10)).filter(lambda w: any(w)),
)
def test_a_strategy_places_every_task_once_and_the_base_first(
    tasks: int, base: int, weights: tuple[int, int]
) -> None:
    strategy = [
        CapacityProviderShare(capacity_provider="FARGATE", weight=weights[0], base=base),
        CapacityProviderShare(capacity_provider="FARGATE_SPOT", weight=weights[1]),
    ]
    placed = strategy_shares(tasks, strategy)
    assert sum(placed.values()) == pytest.approx(tasks)
    assert min(placed.values()) >= 0
    assert placed["FARGATE"] >= min(tasks, base)
    if weights[1] == 0:
        assert placed["FARGATE_SPOT"] == 0


def test_what_the_shipped_environments_need() -> None:
    """Production: its Fargate sample (512 CPU units, 3 to 12 tasks, two task sets during a
    deployment) on demand, the EC2 cluster (on demand) and the EKS node group on demand;
    the sandbox's EC2 cluster and node group on Spot, its Fargate sample 4:1 Spot."""
    production = needs(load_config("production", config_dir=RECORD), VCPUS)
    assert set(production) == {FARGATE_ON_DEMAND, EC2_ON_DEMAND}
    fargate = production[FARGATE_ON_DEMAND]
    assert (fargate.least, fargate.most) == (3.0, 12.0)
    assert fargate.uses == ["ecs.fargate.services.sample"]
    assert production[EC2_ON_DEMAND].uses == ["ecs.ec2", "eks.compute.node_groups[0]"]
    sandbox = needs(load_config("sandbox", config_dir=RECORD), VCPUS)
    assert set(sandbox) == {FARGATE_ON_DEMAND, FARGATE_SPOT, EC2_SPOT}
    assert sandbox[FARGATE_SPOT].least == pytest.approx(4 * sandbox[FARGATE_ON_DEMAND].least)


def _production_ec2(**ec2: Any) -> PlatformConfig:
    """Production with `ec2` merged over its EC2 cluster, EKS off."""
    overrides = {"ecs": {"ec2": ec2}, "eks": {"enabled": False}}
    return load_config("production", overrides=overrides, config_dir=RECORD)


def test_instances_count_their_smallest_type_at_least_and_their_largest_at_most() -> None:
    config = _production_ec2(
        instance_types=["m7i.large", "m7i.2xlarge"], min_instances=1, max_instances=12
    )
    need = needs(config, VCPUS)[EC2_ON_DEMAND]
    assert (need.least, need.most, need.uses) == (2.0, 96.0, ["ecs.ec2"])
    spot = _production_ec2(
        instance_types=["m7i.large", "m6i.large"],
        min_instances=3,
        max_instances=12,
        spot=True,
        on_demand_base_capacity=1,
    )
    needed = needs(spot, VCPUS)
    assert (needed[EC2_ON_DEMAND].least, needed[EC2_ON_DEMAND].most) == (2.0, 2.0)
    assert (needed[EC2_SPOT].least, needed[EC2_SPOT].most) == (4.0, 22.0)


@pytest.mark.integration
def test_a_quota_below_the_least_need_is_a_problem_and_below_the_most_a_warning(
    aws: boto3.Session,
) -> None:
    config = load_config("production", config_dir=RECORD)
    fargate = FARGATE_ON_DEMAND.code
    ec2 = EC2_ON_DEMAND.code
    report = check_account(
        config, FakeSession(aws, service_quotas=FakeServiceQuotas({fargate: 6, ec2: 5}))
    )
    (problem,) = report.problems
    assert problem == (
        "ecs.ec2, eks.compute.node_groups[0]: needs at least 12 vCPUs of 'Running On-Demand "
        "Standard (A, C, D, H, I, M, R, T, Z) instances' (ec2 L-1216C47A), and the account's "
        "quota is 5: capacity past it does not launch, so the deploy would wait for it until the "
        "stack update fails; request an increase in Service Quotas, or lower what the config runs"
    )
    lines = {status.quota.code: status.line() for status in report.quotas}
    assert lines[fargate] == (
        "L-3032A538 Fargate On-Demand vCPU resource count: needs 3 to 12 vCPUs, quota 6, in use 0 "
        "by other workloads: scaling out to the maximum stops at the quota "
        "(ecs.fargate.services.sample)"
    )
    enough = check_account(
        config, FakeSession(aws, service_quotas=FakeServiceQuotas({fargate: 12, ec2: 42}))
    )
    assert enough.problems == []
    vcpus = [status for status in enough.quotas if status.quota.code in USAGE_METRICS]
    assert all(status.line().split(": ")[-1].startswith("ok") for status in vcpus)


@pytest.mark.integration
def test_a_quota_that_cannot_be_read_is_not_checked_and_no_problem(aws: boto3.Session) -> None:
    config = load_config("production", config_dir=RECORD)
    quotas = FakeServiceQuotas({FARGATE_ON_DEMAND.code: 1}, refused=(EC2_ON_DEMAND.code,))
    report = check_account(config, FakeSession(aws, service_quotas=quotas))
    lines = {status.quota.code: status.line() for status in report.quotas}
    assert lines[EC2_ON_DEMAND.code].endswith(
        "not checked: GetServiceQuota failed: AccessDeniedException"
    )
    assert [problem.split(":")[0] for problem in report.problems] == ["ecs.fargate.services.sample"]


@pytest.mark.integration
def test_before_the_first_deploy_what_other_workloads_run_counts_against_the_quota(
    aws: boto3.Session,
) -> None:
    """Production needs 3 to 12 Fargate On-Demand vCPUs; with a quota of 12, other workloads
    running 10 of it now (the newest datapoint; an older one says 11) leave too little; Spot
    usage and usage older than the window are not counted."""
    config = load_config("production", config_dir=RECORD)
    fargate, ec2 = FARGATE_ON_DEMAND.code, EC2_ON_DEMAND.code
    window = int(USAGE_WINDOW.total_seconds() // 60)
    running(aws, fargate, (9, 11.0), (2, 10.0))
    running(aws, FARGATE_SPOT.code, (1, 50.0))
    running(aws, ec2, (window + 5, 40.0))
    quotas = FakeServiceQuotas({fargate: 12, ec2: 42})
    report = check_account(config, FakeSession(aws, service_quotas=quotas))
    (problem,) = report.problems
    assert problem == (
        "ecs.fargate.services.sample: needs at least 3 vCPUs of 'Fargate On-Demand vCPU resource "
        "count' (fargate L-3032A538), and the account's quota is 12 and other workloads use 10 "
        "of it now: capacity past it does not launch, so the deploy would wait for it until the "
        "stack update fails; request an increase in Service Quotas, or lower what the config "
        "runs"
    )
    lines = {status.quota.code: status.line() for status in report.quotas}
    assert lines[fargate].startswith(
        "L-3032A538 Fargate On-Demand vCPU resource count: needs 3 to 12 vCPUs, quota 12, in use "
        "10 by other workloads: too small"
    )
    assert ", quota 42, in use 0 by other workloads: ok" in lines[ec2]
    enough = check_account(
        config, FakeSession(aws, service_quotas=FakeServiceQuotas({fargate: 13, ec2: 42}))
    )
    assert enough.problems == []
    assert "quota 13, in use 10 by other workloads: scaling out" in enough.quotas[0].line()


_ALL_QUOTAS = dict.fromkeys(USAGE_METRICS, 1000.0)


@pytest.mark.integration
def test_usage_that_cannot_be_read_is_not_counted(aws: boto3.Session) -> None:
    """No usage metric named, or CloudWatch or CloudFormation refusing: the environment alone
    against the quota, as "not read"."""
    config = load_config("production", config_dir=RECORD)
    fargate = FARGATE_ON_DEMAND.code
    running(aws, fargate, (1, 10.0))
    unnamed = check_account(
        config, FakeSession(aws, service_quotas=FakeServiceQuotas(_ALL_QUOTAS, metrics=False))
    )
    assert unnamed.problems == []
    assert "in use not read (the quota names no usage metric): ok" in unnamed.quotas[0].line()
    for service, operation in (
        ("cloudwatch", "GetMetricStatistics"),
        ("cloudformation", "DescribeStacks"),
    ):
        refused = check_account(
            config,
            FakeSession(
                aws,
                service_quotas=FakeServiceQuotas(_ALL_QUOTAS),
                **{service: _Refusing(operation)},
            ),
        )
        assert refused.problems == []
        assert f"{operation} failed: AccessDenied" in refused.quotas[0].line()


class _Refusing:
    """A client whose every call is denied as `operation`."""

    def __init__(self, operation: str) -> None:
        self.operation = operation

    def __getattr__(self, name: str) -> Any:
        def refuse(**_: Any) -> Any:
            error = {"Code": "AccessDenied", "Message": "not authorized"}
            raise ClientError({"Error": error}, self.operation)

        return refuse
