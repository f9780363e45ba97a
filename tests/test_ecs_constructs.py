"""The ECS constructs used directly, as a user copying them would: options the platform's own
environments do not exercise (Bottlerocket), the constructs' own input checks, and the handles a
cluster and an ALB hand to services in another stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Match, Template

from container_constructs import defaults
from container_constructs.common import LogEncryptionKey
from container_constructs.ecs_ec2_cluster import Ec2Cluster, Ec2ClusterProps
from container_constructs.ecs_fargate_cluster import FargateCluster, FargateClusterProps
from container_constructs.ecs_service_cluster import ServiceCluster, ServiceLoadBalancer
from container_constructs.load_balancer import SharedLoadBalancer, SharedLoadBalancerProps
from container_constructs.machine_images import MachineImageKind, image_parameter_name
from container_constructs.web_service import WebService, WebServiceProps
from tests.helpers.apps import project_app, validation_violations


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


def test_bottlerocket_uses_its_pinned_ecs_ami_and_arm_for_graviton(bottlerocket: Template) -> None:
    parameters: dict[str, Any] = bottlerocket.to_json()["Parameters"]
    amis = [str(p.get("Default", "")) for p in parameters.values() if "/aws/service/" in str(p)]
    version = defaults.MACHINE_IMAGE_VERSIONS["bottlerocket"]
    assert amis == [f"/aws/service/bottlerocket/aws-ecs-2/arm64/{version}/image_id"]


@pytest.mark.parametrize(
    ("kind", "architecture", "version", "parameter"),
    [
        (
            "al2023",
            ec2.InstanceArchitecture.X86_64,
            "2023.0.20261113",
            "/aws/service/ecs/optimized-ami/amazon-linux-2023/"
            "al2023-ami-ecs-hvm-2023.0.20261113-kernel-6.1-x86_64/image_id",
        ),
        (
            "al2023",
            ec2.InstanceArchitecture.ARM_64,
            "2023.0.20261030",
            "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/"
            "al2023-ami-ecs-hvm-2023.0.20261030-kernel-6.1-arm64/image_id",
        ),
        (
            "bottlerocket",
            ec2.InstanceArchitecture.X86_64,
            "1.61.0",
            "/aws/service/bottlerocket/aws-ecs-2/x86_64/1.61.0/image_id",
        ),
    ],
)
def test_each_release_has_its_own_parameter(
    kind: MachineImageKind, architecture: ec2.InstanceArchitecture, version: str, parameter: str
) -> None:
    """The AL2023 names are those of aws/amazon-ecs-ami's release notes (20261113, 20261030)."""
    assert image_parameter_name(kind, architecture, version) == parameter


@pytest.mark.parametrize(
    ("kind", "version"), [("al2023", "1.61.0"), ("bottlerocket", "2023.0.20261113")]
)
def test_a_release_of_the_other_image_is_refused(kind: MachineImageKind, version: str) -> None:
    stack, vpc = _stack()
    with pytest.raises(ValueError, match=f"is not a release of {kind}"):
        Ec2Cluster(
            stack,
            "Cluster",
            props=Ec2ClusterProps(
                vpc=vpc,
                instance_types=["m7i.large"],
                machine_image=kind,
                machine_image_version=version,
            ),
        )


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
        (
            {"target_capacity_percent": 0},
            "target_capacity_percent 0 is not allowed; allowed: 1 to 100",
        ),
        ({"min_instances": 3, "max_instances": 1}, "min_instances (3) exceeds max_instances (1)"),
        ({"instance_types": ["m7g.large", "m7i.large"]}, "share one CPU architecture"),
    ],
)
def test_ec2_cluster_rejects_bad_props(changes: dict[str, Any], message: str) -> None:
    stack, vpc = _stack()
    props: dict[str, Any] = {"vpc": vpc, "instance_types": ["t3.small"], **changes}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Ec2Cluster(stack, "Cluster", props=Ec2ClusterProps(**props))


def _web_service(**changes: Any) -> tuple[Template, WebService]:
    """A WebService on an EC2 cluster with ECS Exec on, behind a shared ALB, in one stack."""
    stack, vpc = _stack()
    cluster = Ec2Cluster(
        stack, "Cluster", props=Ec2ClusterProps(vpc=vpc, instance_types=["t3.small"])
    )
    balancer = SharedLoadBalancer(stack, "LoadBalancer", props=SharedLoadBalancerProps(vpc=vpc))
    props: dict[str, Any] = {
        "cluster": cluster.service_cluster,
        "load_balancer": balancer.service_load_balancer,
        "listener_priority": 1,
        "path_patterns": ["/*"],
        "image": ecs.ContainerImage.from_registry("example.com/app:1"),
        **changes,
    }
    service = WebService(stack, "Service", props=WebServiceProps(**props))
    return Template.from_stack(stack), service


def _container_definitions(template: Template) -> dict[str, dict[str, Any]]:
    (definition,) = template.find_resources("AWS::ECS::TaskDefinition").values()
    return {c["Name"]: c for c in definition["Properties"]["ContainerDefinitions"]}


def test_web_service_on_ec2_hands_its_paths_over_as_owned_tmpfs() -> None:
    """EC2: the app's scratch paths are tmpfs mounts owned by its user (Docker would fill a task
    volume from the image after an init container's chown: tests/test_scratch_paths.py); only
    ECS Exec's state directory stays a task volume, root's for the SSM agent."""
    template, service = _web_service(user="1000:1000", writable_paths=["/tmp", "/data"])
    assert service.volume_permissions_container is None
    containers = _container_definitions(template)
    assert set(containers) == {"app"}
    tmpfs = containers["app"]["LinuxParameters"]["Tmpfs"]
    assert [(t["ContainerPath"], t["MountOptions"]) for t in tmpfs] == [
        ("/tmp", ["uid=1000", "gid=1000", "mode=0700"]),
        ("/data", ["uid=1000", "gid=1000", "mode=0700"]),
    ]
    app_paths = {m["ContainerPath"] for m in containers["app"]["MountPoints"]}
    assert app_paths == {"/var/lib/amazon/ssm"}


def test_web_service_volume_permissions_none() -> None:
    template, service = _web_service(volume_permissions="none")
    assert service.volume_permissions_container is None
    containers = _container_definitions(template)
    assert set(containers) == {"app"}
    assert "DependsOn" not in containers["app"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"user": "app"}, "user 'app' must be a numeric uid"),
        (
            {"writable_paths": ["/tmp", "/var/log/amazon/ssm"]},
            r"writable_paths \['/var/log/amazon/ssm'\] are bind-mounted by the ECS agent",
        ),
    ],
)
def test_web_service_rejects_bad_volume_props(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _web_service(**changes)


def _alb_egress(template: Template) -> list[tuple[Any, Any, Any]]:
    (group,) = template.find_resources(
        "AWS::EC2::SecurityGroup",
        {"Properties": {"GroupDescription": Match.string_like_regexp("ALB")}},
    ).values()
    return [
        (r["FromPort"], r["ToPort"], r["CidrIp"])
        for r in group["Properties"]["SecurityGroupEgress"]
    ]


def test_alb_egress_is_one_range_inside_the_vpc_whatever_the_services() -> None:
    """The ALB reaches its targets' unprivileged ports inside the VPC by one rule of its own:
    attaching a service adds nothing to the ALB (its tasks admit the ALB on their port)."""
    stack, vpc = _stack()
    SharedLoadBalancer(stack, "LoadBalancer", props=SharedLoadBalancerProps(vpc=vpc))
    template = Template.from_stack(stack)
    ((first, last, cidr),) = _alb_egress(template)
    assert (first, last) == (1024, 65535)
    assert cidr["Fn::GetAtt"][1] == "CidrBlock"  # the VPC's CIDR
    narrow_stack, narrow_vpc = _stack()
    SharedLoadBalancer(
        narrow_stack,
        "LoadBalancer",
        props=SharedLoadBalancerProps(vpc=narrow_vpc, target_port_range=(8080, 8080)),
    )
    assert [rule[:2] for rule in _alb_egress(Template.from_stack(narrow_stack))] == [(8080, 8080)]


@pytest.mark.parametrize("port_range", [(0, 8080), (9000, 8080), (1024, 65536)])
def test_load_balancer_rejects_a_bad_target_port_range(port_range: tuple[int, int]) -> None:
    stack, vpc = _stack()
    with pytest.raises(ValueError, match=r"target_port_range must be \(first, last\) with 1 <="):
        SharedLoadBalancer(
            stack,
            "LoadBalancer",
            props=SharedLoadBalancerProps(vpc=vpc, target_port_range=port_range),
        )


@pytest.fixture(scope="module")
def across_stacks(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[Any]]:
    """A Fargate cluster (KMS-encrypted exec logs under a fixed name) and an ALB in one stack, a
    service in another on handles rebuilt there with `from_attributes`, synthesized with cdk-nag."""
    outdir = tmp_path_factory.mktemp("handles") / "cdk.out"
    app = project_app(outdir, nag=True)
    env = Environment(account="111122223333", region="us-east-1")
    producer = Stack(app, "Cluster", env=env)
    vpc = ec2.Vpc(producer, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=1)
    key = LogEncryptionKey(producer, "LogKey").key
    cluster = FargateCluster(
        producer,
        "FargateCluster",
        props=FargateClusterProps(
            vpc=vpc, log_encryption_key=key, exec_log_group_name="/aws/ecs/exec/handles"
        ),
    )
    balancer = SharedLoadBalancer(producer, "LoadBalancer", props=SharedLoadBalancerProps(vpc=vpc))
    consumer = Stack(app, "Services", env=env)
    shared = balancer.service_load_balancer
    handle = cluster.service_cluster
    imported = ServiceCluster.from_attributes(
        consumer,
        "Cluster",
        cluster_name=handle.cluster.cluster_name,
        vpc=handle.cluster.vpc,
        launch_type=handle.launch_type,
        capacity_provider_strategy=handle.capacity_provider_strategy,
        exec_log_group_name="/aws/ecs/exec/handles",
        log_key_arn=key.key_arn,
    )
    assert imported.launch_type == "fargate"
    assert imported.exec_log_encrypted
    WebService(
        consumer,
        "Service",
        props=WebServiceProps(
            cluster=imported,
            load_balancer=ServiceLoadBalancer.from_attributes(
                consumer,
                "AlbSecurityGroup",
                listener_arn=shared.listener.listener_arn,
                security_group_id=shared.security_group.security_group_id,
                scheme=shared.scheme,
                dns_name=shared.dns_name,
            ),
            listener_priority=1,
            path_patterns=["/*"],
            image=ecs.ContainerImage.from_registry("example.com/app:1"),
            log_encryption_key=imported.log_key,
        ),
    )
    assembly = app.synth()
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    return templates["Services"], validation_violations(outdir)


def test_service_on_imported_handles_logs_exec_sessions_to_the_named_group(
    across_stacks: tuple[dict[str, Any], list[Any]],
) -> None:
    template, _violations = across_stacks
    policies = [
        r["Properties"]["PolicyDocument"]
        for k, r in template["Resources"].items()
        if k.startswith("ServiceTaskRoleDefaultPolicy")
    ]
    assert ":log-group:/aws/ecs/exec/handles:*" in json.dumps(policies)


def test_service_on_imported_handles_admits_only_the_imported_alb_group(
    across_stacks: tuple[dict[str, Any], list[Any]],
) -> None:
    """The ingress rule is named after the imported group's path (keep its id stable) and adds
    nothing to the ALB's stack."""
    template, _violations = across_stacks
    (logical_id,) = [
        k for k, r in template["Resources"].items() if r["Type"] == "AWS::EC2::SecurityGroupIngress"
    ]
    assert logical_id.startswith("ServiceSecurityGroupfromServicesAlbSecurityGroup")
    assert not [
        r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroupEgress"
    ]


def test_service_on_imported_handles_is_nag_clean(
    across_stacks: tuple[dict[str, Any], list[Any]],
) -> None:
    """The ECS Exec log stream statement's acknowledgment names the imported group exactly."""
    _template, violations = across_stacks
    findings = [
        f"{v['ruleName']} at {c['constructPath']}"
        for v in violations
        for c in v.get("violatingConstructs", [])
        if c["constructPath"].startswith("Services/")
    ]
    assert findings == []


@pytest.mark.integration
@pytest.mark.parametrize(
    "architecture", [ec2.InstanceArchitecture.X86_64, ec2.InstanceArchitecture.ARM_64]
)
def test_the_pinned_al2023_release_exists(aws: Any, architecture: ec2.InstanceArchitecture) -> None:
    """moto ships a copy of AWS's public SSM parameters: the pinned release's parameter is one of
    them for both architectures (an offline check of the name format and of the release)."""
    name = image_parameter_name("al2023", architecture, defaults.MACHINE_IMAGE_VERSIONS["al2023"])
    value = aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    assert value.startswith("ami-")
