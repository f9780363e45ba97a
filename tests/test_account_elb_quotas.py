"""tools/account/elb_quotas.py: the ALBs and target groups the environment creates, against the
account's Elastic Load Balancing quotas and what it has now (moto for ELB and the environment's
stacks, a fake Service Quotas client: moto knows no quota values)."""

from __future__ import annotations

import json

import boto3
import pytest

from platform_config import load_config
from stacks import names
from tests.helpers.account import FakeServiceQuotas, deploy_network_stack
from tests.helpers.apps import RECORD
from tests.helpers.assembly import Assembly
from tests.helpers.fake_session import FakeSession
from tools.account.check import check_account
from tools.account.elb_quotas import APPLICATION_LOAD_BALANCERS, TARGET_GROUPS, elb_needs

ELB_TYPES = {
    APPLICATION_LOAD_BALANCERS: "AWS::ElasticLoadBalancingV2::LoadBalancer",
    TARGET_GROUPS: "AWS::ElasticLoadBalancingV2::TargetGroup",
}


def test_what_the_config_needs_is_what_the_templates_create(
    sandbox: Assembly, production: Assembly
) -> None:
    """The need comes from the config by the stacks' own placement rules: it equals the
    resources of each type in the synthesized environments."""
    for assembly in (sandbox, production):
        needed = elb_needs(load_config(assembly.environment, config_dir=RECORD))
        created = {
            quota: sum(
                1
                for template in assembly.all_templates().values()
                for resource in template.get("Resources", {}).values()
                if resource["Type"] == resource_type
            )
            for quota, resource_type in ELB_TYPES.items()
        }
        assert {quota: needed[quota].least for quota in ELB_TYPES} == created
        assert created[APPLICATION_LOAD_BALANCERS] >= 2


def _others(aws: boto3.Session, load_balancers: int, target_groups: int) -> list[str]:
    """Another workload's ALBs and target groups in the account."""
    ec2 = aws.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.99.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    elb = aws.client("elbv2", region_name="us-east-1")
    for index in range(load_balancers):
        elb.create_load_balancer(Name=f"other-{index}", Subnets=subnets, Type="application")
    for index in range(target_groups):
        elb.create_target_group(Name=f"other-{index}", Protocol="HTTP", Port=80, VpcId=vpc)
    return subnets


@pytest.mark.integration
def test_before_the_first_deploy_other_load_balancers_count_against_the_quota(
    aws: boto3.Session,
) -> None:
    config = load_config("sandbox", config_dir=RECORD)
    need = elb_needs(config)[APPLICATION_LOAD_BALANCERS].least
    subnets = _others(aws, load_balancers=3, target_groups=1)
    quotas = FakeServiceQuotas(
        {APPLICATION_LOAD_BALANCERS.code: need + 2, TARGET_GROUPS.code: 3000}
    )
    report = check_account(config, FakeSession(aws, service_quotas=quotas))
    (problem,) = report.problems
    assert problem == (
        f"ecs.ec2, ecs.fargate: needs at least {need:g} load balancers of 'Application Load "
        f"Balancers per Region' (elasticloadbalancing L-53DA6B97), and the account's quota is "
        f"{need + 2:g} and other workloads use 3 of it now: ELB refuses the load balancer past "
        "it (TooManyLoadBalancers), so the stack that creates it would fail and roll back; "
        "request an increase in Service Quotas, or lower what the config runs"
    )
    lines = {status.quota.code: status.line() for status in report.quotas}
    assert lines[TARGET_GROUPS.code].startswith(
        f"L-B22855CB Target Groups per Region: needs {elb_needs(config)[TARGET_GROUPS].least:g} "
        "target groups, quota 3000, in use 1 by other workloads: ok"
    )
    # Deployed: the ALB of its Fargate cluster stack is its own, the 3 others still others'.
    deploy_network_stack(aws, "sandbox")
    alb = {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": subnets}}
    aws.client("cloudformation").create_stack(
        StackName=names.stack_id("sandbox", names.ecs_cluster_unit("fargate")),
        TemplateBody=json.dumps({"Resources": {"Alb": alb}}),
    )
    deployed = check_account(config, FakeSession(aws, service_quotas=quotas))
    assert [problem.split(": ")[0] for problem in deployed.problems] == ["ecs.ec2, ecs.fargate"]
    lines = {status.quota.code: status.line() for status in deployed.quotas}
    assert (
        ", in use 4, 1 of it this environment's: too small"
        in lines[APPLICATION_LOAD_BALANCERS.code]
    )
    assert "this environment's share not known" in lines[TARGET_GROUPS.code]
    room = FakeServiceQuotas({APPLICATION_LOAD_BALANCERS.code: need + 3, TARGET_GROUPS.code: 3000})
    assert check_account(config, FakeSession(aws, service_quotas=room)).problems == []
