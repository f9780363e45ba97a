"""The ECS constructs used directly, as a user copying them would: options the platform's own
environments do not exercise (Bottlerocket) and the constructs' own input checks."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template

from container_constructs.ecs_ec2_cluster import Ec2Cluster, Ec2ClusterProps
from tests.apps import project_app


def _stack() -> tuple[Stack, ec2.IVpc]:
    app = project_app()
    stack = Stack(app, "Test", env=Environment(account="111122223333", region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=1)
    return stack, vpc


@pytest.fixture(scope="module")
def bottlerocket() -> Template:
    stack, vpc = _stack()
    Ec2Cluster(
        stack,
        "Cluster",
        props=Ec2ClusterProps(
            vpc=vpc, instance_types=["m7g.large"], machine_image="bottlerocket", root_volume_gib=40
        ),
    )
    return Template.from_stack(stack)


def test_bottlerocket_uses_its_ecs_ami_and_arm_for_graviton(bottlerocket: Template) -> None:
    parameters: dict[str, Any] = bottlerocket.to_json()["Parameters"]
    defaults = [str(p.get("Default", "")) for p in parameters.values()]
    assert any("/aws/service/bottlerocket/aws-ecs-" in d and "arm64" in d for d in defaults)


def test_bottlerocket_data_volume_is_encrypted_gp3(bottlerocket: Template) -> None:
    bottlerocket.has_resource_properties(
        "AWS::EC2::LaunchTemplate",
        {
            "LaunchTemplateData": Match.object_like(
                {
                    "MetadataOptions": Match.object_like({"HttpTokens": "required"}),
                    "BlockDeviceMappings": [
                        {
                            "DeviceName": "/dev/xvdb",
                            "Ebs": Match.object_like(
                                {"Encrypted": True, "VolumeType": "gp3", "VolumeSize": 40}
                            ),
                        }
                    ],
                }
            )
        },
    )


def test_bottlerocket_instance_role_has_no_managed_policies(bottlerocket: Template) -> None:
    """aws-cdk-lib attaches AmazonEC2ContainerServiceforEC2Role and AmazonSSMManagedInstanceCore;
    the ECS agent's scoped statements in the DefaultPolicy are all the instances need."""
    roles = bottlerocket.find_resources(
        "AWS::IAM::Role", {"Properties": {"Description": Match.string_like_regexp("ECS agent")}}
    )
    assert len(roles) == 1
    assert "ManagedPolicyArns" not in next(iter(roles.values()))["Properties"]
    bottlerocket.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": [
                                    "ecs:DeregisterContainerInstance",
                                    "ecs:RegisterContainerInstance",
                                    "ecs:Submit*",
                                ]
                            }
                        )
                    ]
                ),
                "Version": Match.any_value(),
            },
            "Roles": [{"Ref": next(iter(roles))}],
        },
    )


def test_bottlerocket_disables_the_ssm_control_container(bottlerocket: Template) -> None:
    """Without SSM permissions the control host container could not register anyway."""
    template = bottlerocket.to_json()
    launch_template = next(
        r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::LaunchTemplate"
    )
    user_data = launch_template["Properties"]["LaunchTemplateData"]["UserData"]
    toml = "".join(part for part in user_data["Fn::Base64"]["Fn::Join"][1] if isinstance(part, str))
    assert "[settings.host-containers.control]\nenabled = false\n" in toml


def test_single_type_on_demand_uses_the_launch_template_directly(bottlerocket: Template) -> None:
    bottlerocket.has_resource_properties(
        "AWS::AutoScaling::AutoScalingGroup",
        {"LaunchTemplate": Match.object_like({"LaunchTemplateId": Match.any_value()})},
    )
    bottlerocket.resource_count_is("AWS::AutoScaling::LaunchConfiguration", 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"instance_types": []}, "instance_types needs at least one"),
        ({"target_capacity_percent": 0}, "target_capacity_percent must be 1-100"),
        ({"min_instances": 3, "max_instances": 1}, "min_instances (3) exceeds max_instances (1)"),
        ({"instance_types": ["m7g.large", "m7i.large"]}, "share one CPU architecture"),
    ],
)
def test_ec2_cluster_rejects_bad_props(changes: dict[str, Any], message: str) -> None:
    stack, vpc = _stack()
    props: dict[str, Any] = {"vpc": vpc, "instance_types": ["t3.small"], **changes}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Ec2Cluster(stack, "Cluster", props=Ec2ClusterProps(**props))
