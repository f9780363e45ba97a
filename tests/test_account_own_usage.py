"""tools/account/own_usage.py through tools/account/check.py: once the environment is deployed,
what it runs now is its own share of a quota's usage, and only the rest counts as other
workloads' (moto for CloudFormation, EC2 Auto Scaling and the usage metrics; a fake ECS client:
moto's RunTask on Fargate fails)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from platform_config import load_config
from stacks import names
from tests.helpers.account import FakeServiceQuotas, deploy_network_stack, running
from tests.helpers.apps import RECORD
from tests.helpers.fake_session import FakeSession
from tools.account.check import check_account
from tools.account.quotas import EC2_ON_DEMAND, EC2_SPOT, FARGATE_ON_DEMAND, FARGATE_SPOT

FARGATE_CLUSTER = "cp-production-fargate-cluster"


class _Ecs:
    """ECS answering ListTasks and DescribeTasks for one cluster's `tasks` (capacity provider,
    CPU units)."""

    def __init__(self, tasks: list[tuple[str, int]]) -> None:
        self.tasks = tasks

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_tasks"
        arns = [f"arn:aws:ecs:us-east-1:123456789012:task/{i}" for i in range(len(self.tasks))]

        class _Pages:
            def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
                assert kwargs == {"cluster": FARGATE_CLUSTER, "desiredStatus": "RUNNING"}
                return [{"taskArns": arns[:150]}, {"taskArns": arns[150:]}]

        return _Pages()

    def describe_tasks(self, *, cluster: str, tasks: list[str]) -> dict[str, Any]:
        assert cluster == FARGATE_CLUSTER
        assert len(tasks) <= 100  # DescribeTasks' limit
        return {
            "tasks": [
                {"capacityProviderName": self.tasks[int(arn.rsplit("/", 1)[1])][0],
                 "cpu": str(self.tasks[int(arn.rsplit("/", 1)[1])][1])}
                for arn in tasks
            ]
        }  # fmt: skip


def _stack(aws: boto3.Session, unit: str, resources: dict[str, Any], **outputs: str) -> None:
    template: dict[str, Any] = {"Resources": resources}
    if outputs:
        template["Outputs"] = {key: {"Value": value} for key, value in outputs.items()}
    aws.client("cloudformation").create_stack(
        StackName=names.stack_id("production", unit), TemplateBody=json.dumps(template)
    )


def _deployed_fargate(aws: boto3.Session) -> None:
    deploy_network_stack(aws, "production")
    _stack(
        aws,
        names.ecs_cluster_unit("fargate"),
        {"Queue": {"Type": "AWS::SQS::Queue"}},
        **{names.CLUSTER_NAME_OUTPUT: FARGATE_CLUSTER},
    )


def _lines(report: Any) -> dict[str, str]:
    return {status.quota.code: status.line() for status in report.quotas}


@pytest.mark.integration
def test_the_fargate_tasks_the_environment_runs_are_its_own_share(aws: boto3.Session) -> None:
    """Production needs 3 Fargate On-Demand vCPUs at least; 159 are in use, 151 of them its own
    tasks on FARGATE (its task on FARGATE_SPOT counts against the Spot quota, and 152 tasks take
    two ListTasks pages and two DescribeTasks calls): 8 are other workloads'."""
    config = load_config("production", config_dir=RECORD)
    _deployed_fargate(aws)
    ecs = _Ecs([("FARGATE", 1024)] * 150 + [("FARGATE", 512)] * 2 + [("FARGATE_SPOT", 512)])
    codes = (FARGATE_ON_DEMAND.code, EC2_ON_DEMAND.code)
    running(aws, FARGATE_ON_DEMAND.code, (1, 159.0))
    quota = dict(zip(codes, (162.0, 1000.0), strict=True))
    report = check_account(
        config, FakeSession(aws, service_quotas=FakeServiceQuotas(quota), ecs=ecs)
    )
    assert report.problems == []
    assert ", quota 162, in use 159, 151 of it this environment's: ok" in _lines(report)[codes[0]]
    tight = dict(zip(codes, (10.0, 1000.0), strict=True))
    (problem,) = check_account(
        config, FakeSession(aws, service_quotas=FakeServiceQuotas(tight), ecs=ecs)
    ).problems
    assert "the account's quota is 10 and other workloads use 8 of it now" in problem


@pytest.mark.integration
def test_a_share_that_cannot_be_enumerated_is_not_known_and_the_usage_not_counted(
    aws: boto3.Session,
) -> None:
    """EKS Fargate pods count against the Fargate quota but are not enumerated: with Fargate
    profiles the environment's share is not known, and however high the usage, it refuses
    nothing."""
    profiles = {"fargate_profiles": [{"name": "apps", "selectors": [{"namespace": "apps"}]}]}
    config = load_config("production", overrides={"eks": {"compute": profiles}}, config_dir=RECORD)
    _deployed_fargate(aws)
    running(aws, FARGATE_ON_DEMAND.code, (1, 500.0))
    quotas = FakeServiceQuotas({FARGATE_ON_DEMAND.code: 12, EC2_ON_DEMAND.code: 1000})
    report = check_account(config, FakeSession(aws, service_quotas=quotas, ecs=_Ecs([])))
    assert report.problems == []
    assert (
        "in use 500, this environment's share not known (the EKS cluster's Fargate pods are not "
        "counted): ok"
    ) in _lines(report)[FARGATE_ON_DEMAND.code]


@pytest.mark.integration
def test_the_instances_of_the_environments_auto_scaling_group_are_its_own_share(
    aws: boto3.Session,
) -> None:
    """The ECS EC2 cluster's group (a resource of its stack) runs 2 m7i.large, 2 vCPUs each;
    an instance outside the group is another workload's."""
    config = load_config("production", overrides={"eks": {"enabled": False}}, config_dir=RECORD)
    deploy_network_stack(aws, "production")
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")
    template = {"ImageId": "ami-12345678", "InstanceType": "m7i.large"}
    _stack(
        aws,
        names.ecs_cluster_unit("ec2"),
        {
            "Template": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {"LaunchTemplateData": template},
            },
            "Group": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "MinSize": "2",
                    "MaxSize": "2",
                    "DesiredCapacity": "2",
                    "VPCZoneIdentifier": [subnet["Subnet"]["SubnetId"]],
                    "LaunchTemplate": {
                        "LaunchTemplateId": {"Ref": "Template"},
                        "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]},
                    },
                },
            },
        },
    )
    ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="m7i.2xlarge")
    running(aws, EC2_ON_DEMAND.code, (1, 12.0))
    quotas = FakeServiceQuotas({EC2_ON_DEMAND.code: 1000, FARGATE_ON_DEMAND.code: 1000})
    report = check_account(config, FakeSession(aws, service_quotas=quotas, ecs=_Ecs([])))
    assert ", in use 12, 4 of it this environment's: ok" in _lines(report)[EC2_ON_DEMAND.code]
    assert EC2_SPOT.code not in _lines(report)
    assert FARGATE_SPOT.code not in _lines(report)


class _Untouched:
    """A client no call may reach."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} called")


@pytest.mark.integration
def test_without_a_quota_value_nothing_of_the_environment_is_looked_up(aws: boto3.Session) -> None:
    """The environment's share is looked up only for a quota whose value was read: a deployer
    without Service Quotas access makes no ECS or Auto Scaling calls for it."""
    config = load_config("production", config_dir=RECORD)
    _deployed_fargate(aws)
    session = FakeSession(aws, service_quotas=FakeServiceQuotas({}), ecs=_Untouched())
    report = check_account(config, session)
    assert report.problems == []
    assert all("not checked" in line for line in _lines(report).values())
