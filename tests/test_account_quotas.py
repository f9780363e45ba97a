"""tools/account/quotas.py through tools/account/check.py: the account's vCPU quotas must hold
what the environment needs (moto for EC2's instance types, a fake Service Quotas client for the
quotas: moto answers NoSuchResourceException for them)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from platform_config import load_config
from platform_config.ecs import CapacityProviderShare
from tests.helpers.apps import RECORD
from tests.helpers.fake_session import FakeSession
from tools.account.check import check_account
from tools.account.quotas import (
    EC2_ON_DEMAND,
    EC2_SPOT,
    FARGATE_ON_DEMAND,
    FARGATE_SPOT,
    is_standard,
    needs,
    strategy_shares,
)

VCPUS = {"t3.small": 2, "t3a.medium": 2, "t3.medium": 2, "t4g.large": 2, "m7g.large": 2}
VCPUS |= {"m6g.large": 2, "m7i.large": 2, "m6i.large": 2, "m7i.2xlarge": 8}


class _Quotas:
    """Service Quotas answering `values` by quota code; codes in `refused` are denied."""

    def __init__(self, values: dict[str, float], refused: tuple[str, ...] = ()) -> None:
        self.values = values
        self.refused = refused

    def get_service_quota(self, *, ServiceCode: str, QuotaCode: str) -> dict[str, Any]:  # noqa: N803
        if QuotaCode in self.refused:
            error = {"Code": "AccessDeniedException", "Message": "not authorized"}
            raise ClientError({"Error": error}, "GetServiceQuota")
        return {
            "Quota": {
                "ServiceCode": ServiceCode,
                "QuotaCode": QuotaCode,
                "Value": self.values[QuotaCode],
            }
        }


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


def test_instances_count_their_smallest_type_at_least_and_their_largest_at_most() -> None:
    config = load_config(
        "production",
        overrides={
            "ecs": {
                "ec2": {
                    "instance_types": ["m7i.large", "m7i.2xlarge"],
                    "min_instances": 1,
                    "max_instances": 12,
                }
            },
            "eks": {"enabled": False},
        },
        config_dir=RECORD,
    )
    need = needs(config, VCPUS)[EC2_ON_DEMAND]
    assert (need.least, need.most, need.uses) == (2.0, 96.0, ["ecs.ec2"])
    spot = load_config(
        "production",
        overrides={
            "ecs": {
                "ec2": {
                    "instance_types": ["m7i.large", "m6i.large"],
                    "min_instances": 3,
                    "max_instances": 12,
                    "spot": True,
                    "on_demand_base_capacity": 1,
                }
            },
            "eks": {"enabled": False},
        },
        config_dir=RECORD,
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
    report = check_account(config, FakeSession(aws, service_quotas=_Quotas({fargate: 6, ec2: 5})))
    (problem,) = report.problems
    assert problem == (
        "ecs.ec2, eks.compute.node_groups[0]: needs at least 12 vCPUs of 'Running On-Demand "
        "Standard (A, C, D, H, I, M, R, T, Z) instances' (ec2 L-1216C47A), and the account's "
        "quota is 5: capacity past it does not launch, so the deploy would wait for it until the "
        "stack update fails; request an increase in Service Quotas, or lower what the config runs"
    )
    lines = {status.quota.code: status.line() for status in report.quotas}
    assert lines[fargate] == (
        "L-3032A538 Fargate On-Demand vCPU resource count: needs 3 to 12 vCPUs, quota 6: scaling "
        "out to the maximum stops at the quota (ecs.fargate.services.sample)"
    )
    enough = check_account(config, FakeSession(aws, service_quotas=_Quotas({fargate: 12, ec2: 42})))
    assert enough.problems == []
    assert all(status.line().split(": ")[-1].startswith("ok") for status in enough.quotas)


@pytest.mark.integration
def test_a_quota_that_cannot_be_read_is_not_checked_and_no_problem(aws: boto3.Session) -> None:
    config = load_config("production", config_dir=RECORD)
    quotas = _Quotas({FARGATE_ON_DEMAND.code: 1}, refused=(EC2_ON_DEMAND.code,))
    report = check_account(config, FakeSession(aws, service_quotas=quotas))
    lines = {status.quota.code: status.line() for status in report.quotas}
    assert lines[EC2_ON_DEMAND.code].endswith(
        "not checked: GetServiceQuota failed: AccessDeniedException"
    )
    assert [problem.split(":")[0] for problem in report.problems] == ["ecs.fargate.services.sample"]
