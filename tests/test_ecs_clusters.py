"""The ECS cluster stacks in both environments: EC2 capacity, Fargate capacity, the shared ALB."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Environment
from aws_cdk.assertions import Match, Template

from container_constructs import defaults
from platform_config import load_config
from platform_config.environments import SAMPLE_IMAGE
from stacks import names
from stacks.ecs_operations import AlarmsStack
from stacks.network_stack import NetworkStack
from stacks.platform import build_ecs, stack_settings
from stacks.registry_stack import RegistryStack
from tests.helpers.apps import RECORD, project_app
from tests.helpers.assembly import Assembly


def _only(template: Template, kind: str) -> dict[str, Any]:
    resources = template.find_resources(kind)
    assert len(resources) == 1, f"expected one {kind}, found {len(resources)}"
    return next(iter(resources.values()))


@pytest.fixture(scope="module", params=[names.ecs_cluster_unit(k) for k in ("ec2", "fargate")])
def cluster_unit(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_no_launch_configuration_anywhere(assembly: Assembly) -> None:
    """Instances come from launch templates only (LaunchConfigurations are deprecated)."""
    for name, template in assembly.all_templates().items():
        kinds = {r["Type"] for r in template.get("Resources", {}).values()}
        assert "AWS::AutoScaling::LaunchConfiguration" not in kinds, name


def test_launch_template_requires_imdsv2_and_encrypted_gp3(assembly: Assembly) -> None:
    template = assembly.template(names.ecs_cluster_unit("ec2"))
    template.has_resource_properties(
        "AWS::EC2::LaunchTemplate",
        {
            "LaunchTemplateData": Match.object_like(
                {
                    "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
                    "BlockDeviceMappings": [
                        {
                            "DeviceName": "/dev/xvda",
                            "Ebs": Match.object_like({"Encrypted": True, "VolumeType": "gp3"}),
                        }
                    ],
                }
            )
        },
    )


def test_launch_template_ami_is_pinned_to_an_al2023_release(assembly: Assembly) -> None:
    """The AMI comes from the release-specific public parameter of the pinned ECS-optimized
    AL2023 release (its value never changes), not from `recommended`, which CloudFormation
    resolves again on every deploy (a new AMI, a new launch template version, a fleet roll)."""
    config = load_config(assembly.environment).ecs.ec2
    release = config.machine_image_version or defaults.MACHINE_IMAGE_VERSIONS["al2023"]
    data = assembly.template_json(assembly.stack_name(names.ecs_cluster_unit("ec2")))
    amis = [
        p["Default"]
        for p in data["Parameters"].values()
        if p["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    ]
    assert amis == [
        "/aws/service/ecs/optimized-ami/amazon-linux-2023/"
        f"al2023-ami-ecs-hvm-{release}-kernel-6.1-x86_64/image_id"
    ]
    assert not any("recommended" in str(p.get("Default")) for p in data["Parameters"].values())


def test_a_launch_template_change_rolls_the_instances(assembly: Assembly) -> None:
    """An instance refresh on every launch template change: launch before terminate, protected
    instances refreshed too (managed termination protection protects every busy instance), the
    capacity provider's managed draining moving the tasks first."""
    template = assembly.template(names.ecs_cluster_unit("ec2"))
    group = _only(template, "AWS::AutoScaling::AutoScalingGroup")
    assert group["UpdatePolicy"]["AutoScalingInstanceRefresh"] == {
        "Strategy": "Rolling",
        "Preferences": {
            "MinHealthyPercentage": 100,
            "MaxHealthyPercentage": 200,
            "InstanceWarmup": defaults.INSTANCE_WARMUP_SECONDS,
            "SkipMatching": True,
            "ScaleInProtectedInstances": "Refresh",
        },
    }
    assert "AutoScalingRollingUpdate" not in group["UpdatePolicy"]  # mutually exclusive
    provider = _only(template, "AWS::ECS::CapacityProvider")["Properties"]
    assert provider["AutoScalingGroupProvider"]["ManagedDraining"] == "ENABLED"


def test_no_public_ips_and_private_subnets(assembly: Assembly) -> None:
    template = assembly.template(names.ecs_cluster_unit("ec2"))
    data = _only(template, "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]
    assert "NetworkInterfaces" not in data  # no AssociatePublicIpAddress anywhere
    zones = _only(template, "AWS::AutoScaling::AutoScalingGroup")["Properties"]["VPCZoneIdentifier"]
    assert zones
    assert all("PrivateSubnet" in str(zone) for zone in zones)


def test_sandbox_uses_spot_over_several_types(sandbox: Assembly) -> None:
    group = _only(
        sandbox.template(names.ecs_cluster_unit("ec2")), "AWS::AutoScaling::AutoScalingGroup"
    )
    policy = group["Properties"]["MixedInstancesPolicy"]
    assert policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 0
    assert policy["InstancesDistribution"]["SpotAllocationStrategy"] == "price-capacity-optimized"
    assert len(policy["LaunchTemplate"]["Overrides"]) >= 2


def test_production_is_on_demand_and_protected(production: Assembly) -> None:
    template = production.template(names.ecs_cluster_unit("ec2"))
    group = _only(template, "AWS::AutoScaling::AutoScalingGroup")["Properties"]
    assert (
        group["MixedInstancesPolicy"]["InstancesDistribution"][
            "OnDemandPercentageAboveBaseCapacity"
        ]
        == 100
    )
    assert group["NewInstancesProtectedFromScaleIn"] is True
    assert group["MinSize"] == "3"
    template.has_resource_properties(
        "AWS::ECS::CapacityProvider",
        {
            "AutoScalingGroupProvider": Match.object_like(
                {"ManagedTerminationProtection": "ENABLED"}
            )
        },
    )


def test_sandbox_deletes_cleanly(sandbox: Assembly) -> None:
    """Managed termination protection off and no scale-in protection (aws/aws-cdk#18179)."""
    template = sandbox.template(names.ecs_cluster_unit("ec2"))
    group = _only(template, "AWS::AutoScaling::AutoScalingGroup")["Properties"]
    assert group["NewInstancesProtectedFromScaleIn"] is False
    template.has_resource_properties(
        "AWS::ECS::CapacityProvider",
        {
            "AutoScalingGroupProvider": Match.object_like(
                {"ManagedTerminationProtection": "DISABLED"}
            )
        },
    )


def test_capacity_provider_managed_scaling_and_draining(assembly: Assembly) -> None:
    target = 100 if assembly.environment == "sandbox" else 90
    assembly.template(names.ecs_cluster_unit("ec2")).has_resource_properties(
        "AWS::ECS::CapacityProvider",
        {
            "AutoScalingGroupProvider": Match.object_like(
                {
                    "ManagedDraining": "ENABLED",
                    "ManagedScaling": {"Status": "ENABLED", "TargetCapacity": target},
                }
            )
        },
    )


def test_ec2_cluster_default_strategy_is_its_capacity_provider(assembly: Assembly) -> None:
    template = assembly.template(names.ecs_cluster_unit("ec2"))
    provider_id = next(iter(template.find_resources("AWS::ECS::CapacityProvider")))
    template.has_resource_properties(
        "AWS::ECS::ClusterCapacityProviderAssociations",
        {
            "CapacityProviders": [{"Ref": provider_id}],
            "DefaultCapacityProviderStrategy": [
                {"CapacityProvider": {"Ref": provider_id}, "Weight": 1}
            ],
        },
    )


def test_fargate_capacity_providers_and_strategy(assembly: Assembly) -> None:
    template = assembly.template(names.ecs_cluster_unit("fargate"))
    association = _only(template, "AWS::ECS::ClusterCapacityProviderAssociations")["Properties"]
    assert set(association["CapacityProviders"]) == {"FARGATE", "FARGATE_SPOT"}
    strategy = association["DefaultCapacityProviderStrategy"]
    if assembly.environment == "sandbox":
        spot = next(s for s in strategy if s["CapacityProvider"] == "FARGATE_SPOT")
        on_demand = next(s for s in strategy if s["CapacityProvider"] == "FARGATE")
        assert spot["Weight"] > on_demand["Weight"]
    else:
        assert strategy == [{"CapacityProvider": "FARGATE", "Weight": 1, "Base": 2}]


def test_container_insights_and_exec_logging(assembly: Assembly, cluster_unit: str) -> None:
    template = assembly.template(cluster_unit)
    cluster = _only(template, "AWS::ECS::Cluster")["Properties"]
    insights = next(s for s in cluster["ClusterSettings"] if s["Name"] == "containerInsights")
    assert insights["Value"] in {"enabled", "enhanced"}
    exec_config = cluster["Configuration"]["ExecuteCommandConfiguration"]
    assert exec_config["Logging"] == "OVERRIDE"
    log_group = exec_config["LogConfiguration"]["CloudWatchLogGroupName"]
    assert log_group == {"Ref": next(iter(template.find_resources("AWS::Logs::LogGroup")))}
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": names.exec_log_group_name(assembly.stack_name(cluster_unit))},
    )


def test_log_groups_per_environment(assembly: Assembly, cluster_unit: str) -> None:
    template = assembly.template(cluster_unit)
    group = _only(template, "AWS::Logs::LogGroup")
    if assembly.environment == "sandbox":
        assert group["DeletionPolicy"] == "Delete"
        assert group["Properties"]["RetentionInDays"] == 7
        assert "KmsKeyId" not in group["Properties"]
    else:
        assert group["DeletionPolicy"] == "Retain"
        assert group["Properties"]["RetentionInDays"] == 365
        assert "KmsKeyId" in group["Properties"]


def test_alb_drops_invalid_headers_and_logs_access(assembly: Assembly, cluster_unit: str) -> None:
    template = assembly.template(cluster_unit)
    alb = _only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]
    attributes = {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert alb["Scheme"] == "internet-facing"
    assert all("PublicSubnet" in str(subnet) for subnet in alb["Subnets"])


def test_access_log_bucket_encrypted_ssl_only_private(
    assembly: Assembly, cluster_unit: str
) -> None:
    template = assembly.template(cluster_unit)
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_access_log_bucket_removal_per_environment(assembly: Assembly, cluster_unit: str) -> None:
    template = assembly.template(cluster_unit)
    bucket = _only(template, "AWS::S3::Bucket")
    auto_delete = template.find_resources("Custom::S3AutoDeleteObjects")
    if assembly.environment == "sandbox":
        assert bucket["DeletionPolicy"] == "Delete"
        assert len(auto_delete) == 1
    else:
        assert bucket["DeletionPolicy"] == "Retain"
        assert not auto_delete


def test_alb_security_group_admits_only_listener_ports(
    assembly: Assembly, cluster_unit: str
) -> None:
    """No certificate is configured, so HTTP 80 from the internet (documented) and the test
    listener's 8080 from the VPC only; egress only to the targets' unprivileged ports inside the
    VPC."""
    template = assembly.template(cluster_unit)
    groups = template.find_resources(
        "AWS::EC2::SecurityGroup",
        {"Properties": {"GroupDescription": Match.string_like_regexp("Shared ALB")}},
    )
    group = next(iter(groups.values()))["Properties"]
    ingress = group["SecurityGroupIngress"]
    assert [(r["FromPort"], r["ToPort"]) for r in ingress] == [(80, 80), (8080, 8080)]
    assert ingress[0]["CidrIp"] == "0.0.0.0/0"
    assert "CidrBlock" in json.dumps(ingress[1]["CidrIp"])  # the VPC's, not 0.0.0.0/0
    egress = group["SecurityGroupEgress"]
    assert [(r["FromPort"], r["ToPort"]) for r in egress] == [(1024, 65535)]
    assert all("CidrBlock" in json.dumps(r["CidrIp"]) for r in egress)  # the VPC's, not 0.0.0.0/0


def _cluster_stacks(overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The sandbox's two cluster stack templates, with the service stacks that import from them
    (their exports), built without the validation plugins."""
    config = load_config("sandbox", overrides=overrides, config_dir=RECORD)
    app = project_app()
    settings = stack_settings(config)
    env = Environment(account=config.account, region=config.region)
    network = NetworkStack(app, "Network", settings=settings, section=config.network, env=env)
    registry = RegistryStack(
        app,
        "Registry",
        settings=settings,
        section=config.registry,
        cached_image_paths=config.cached_image_paths(),
        env=env,
    )
    alarms = AlarmsStack(app, "Alarms", settings=settings, section=config.operations, env=env)
    clusters, _services = build_ecs(
        app, config, settings, network, env, registry.image_sources, alarms
    )
    assembly = app.synth()
    return {kind: assembly.get_stack_by_name(s.stack_name).template for kind, s in clusters.items()}


def _without_dashboard(template: dict[str, Any]) -> dict[str, Any]:
    resources = template["Resources"]
    kept = {k: r for k, r in resources.items() if r["Type"] != "AWS::CloudWatch::Dashboard"}
    return {**template, "Resources": kept}


@pytest.mark.integration
def test_a_service_on_a_new_port_leaves_the_cluster_stacks_unchanged() -> None:
    """The ALB's egress is a fixed range, not the services' ports: adding a service (here on a
    port no other service uses) changes nothing of its cluster's stack but the dashboard, which
    is generated from the service list (an in-place update of a stateless resource)."""
    # The sample routes /*: the narrower new route takes the lower priority.
    sample = {"route": {"priority": 2, "paths": ["/*"]}}
    other = {
        "image": dict(SAMPLE_IMAGE),
        "container_port": 9000,
        "route": {"priority": 1, "paths": ["/other/*"]},
    }
    before = _cluster_stacks({"ecs": {"fargate": {"services": {"sample": sample}}}})
    after = _cluster_stacks({"ecs": {"fargate": {"services": {"sample": sample, "other": other}}}})
    assert after["ec2"] == before["ec2"]
    assert after["fargate"] != before["fargate"]
    assert _without_dashboard(after["fargate"]) == _without_dashboard(before["fargate"])


def test_http_listener_answers_404_by_default(assembly: Assembly, cluster_unit: str) -> None:
    assembly.template(cluster_unit).has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [Match.object_like({"Type": "fixed-response"})],
        },
    )


def test_cluster_stack_outputs_the_alb_dns_name(assembly: Assembly, cluster_unit: str) -> None:
    outputs = assembly.template_json(assembly.stack_name(cluster_unit))["Outputs"]
    assert names.load_balancer_dns_output(names.FIRST_LOAD_BALANCER) in outputs


@pytest.mark.parametrize(
    ("unit", "logical_id"),
    [
        (names.ecs_cluster_unit("ec2"), "SharedLoadBalancerAccessLogBucketCF596CCE"),
        (names.ecs_cluster_unit("ec2"), "Ec2ClusterExecLogGroup87992352"),
        (names.ecs_cluster_unit("fargate"), "FargateClusterExecLogGroup68BCC4F6"),
    ],
)
def test_stateful_logical_ids_are_pinned(assembly: Assembly, unit: str, logical_id: str) -> None:
    """Renaming these would replace a bucket or log group (and lose retained data)."""
    assert logical_id in assembly.template_json(assembly.stack_name(unit))["Resources"]


def test_every_ecs_stack_is_nag_clean(assembly: Assembly) -> None:
    for report in assembly.validation_report["pluginReports"]:
        ecs = [
            v
            for v in report.get("violations", [])
            if any("-ecs-" in c["constructPath"] for c in v.get("violatingConstructs", []))
        ]
        assert not ecs, ecs


def _instance_role_statements(template: Template) -> list[dict[str, Any]]:
    policies = template.find_resources(
        "AWS::IAM::Policy",
        {"Properties": {"PolicyName": Match.string_like_regexp("InstanceRoleDefaultPolicy")}},
    )
    (policy,) = policies.values()
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def test_spot_instances_may_set_themselves_draining(assembly: Assembly) -> None:
    """ECS_ENABLE_SPOT_INSTANCE_DRAINING makes the agent call ecs:UpdateContainerInstancesState on
    the Spot notice (amazon-ecs-agent agent/app/agent.go); only Spot capacity needs the grant."""
    template = assembly.template(names.ecs_cluster_unit("ec2"))
    statements = [
        s
        for s in _instance_role_statements(template)
        if "ecs:UpdateContainerInstancesState" in str(s["Action"])
    ]
    if assembly.environment == "production":  # on demand: managed draining is ECS's own
        assert not statements
        return
    (statement,) = statements
    assert statement["Action"] == "ecs:UpdateContainerInstancesState"
    cluster_id = next(iter(template.find_resources("AWS::ECS::Cluster")))
    resource = json.dumps(statement["Resource"])
    assert ":container-instance/" in resource
    assert cluster_id in resource
    assert statement["Condition"] == {
        "ArnEquals": {"ecs:cluster": {"Fn::GetAtt": [cluster_id, "Arn"]}}
    }
