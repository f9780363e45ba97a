"""The default sample service on both clusters in both environments."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from platform_config import load_config
from platform_config.environments import SAMPLE_IMAGE
from platform_config.image import VOLUME_PERMISSIONS_IMAGE
from stacks import names
from tests.helpers.assembly import Assembly

# The first service stack of each cluster kind, and its cluster stack's unit.
CLUSTER_OF = {
    names.ecs_services_unit(kind, 1): names.ecs_cluster_unit(kind) for kind in ("ec2", "fargate")
}
EC2_SERVICES = names.ecs_services_unit("ec2", 1)


@pytest.fixture(scope="module", params=list(CLUSTER_OF))
def unit(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _only(template: Template, kind: str) -> dict[str, Any]:
    resources = template.find_resources(kind)
    assert len(resources) == 1, f"expected one {kind}, found {len(resources)}"
    return next(iter(resources.values()))


def _containers(template: Template) -> dict[str, dict[str, Any]]:
    definition = _only(template, "AWS::ECS::TaskDefinition")["Properties"]
    return {c["Name"]: c for c in definition["ContainerDefinitions"]}


def _container(template: Template, name: str = "app") -> dict[str, Any]:
    return dict(_containers(template)[name])


def _mounts(container: dict[str, Any]) -> dict[str, str]:
    """Container path -> source volume."""
    return {m["ContainerPath"]: m["SourceVolume"] for m in container.get("MountPoints", [])}


def test_circuit_breaker_with_rollback_and_100_200(assembly: Assembly, unit: str) -> None:
    service = _only(assembly.template(unit), "AWS::ECS::Service")["Properties"]
    deployment = service["DeploymentConfiguration"]
    assert {key: deployment[key] for key in ("DeploymentCircuitBreaker", "MaximumPercent",
        "MinimumHealthyPercent")} == {
        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
        "MaximumPercent": 200,
        "MinimumHealthyPercent": 100,
    }  # fmt: skip
    # The release strategy and deployment alarms: tests/test_ecs_operations.py.
    assert deployment["Strategy"] == ("ROLLING" if assembly.environment == "sandbox" else "CANARY")
    assert service["HealthCheckGracePeriodSeconds"] == 60


def test_service_runs_in_private_subnets_through_the_capacity_strategy(
    assembly: Assembly, unit: str
) -> None:
    service = _only(assembly.template(unit), "AWS::ECS::Service")["Properties"]
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert all("PrivateSubnet" in str(subnet) for subnet in network["Subnets"])
    assert "LaunchType" not in service
    strategy = service["CapacityProviderStrategy"]
    if unit == EC2_SERVICES:
        assert len(strategy) == 1
        assert "CapacityProvider" in str(strategy[0]["CapacityProvider"])
    else:
        assert {s["CapacityProvider"] for s in strategy} <= {"FARGATE", "FARGATE_SPOT"}


def test_ec2_tasks_use_awsvpc(assembly: Assembly) -> None:
    definition = _only(
        assembly.template(names.ecs_services_unit("ec2", 1)), "AWS::ECS::TaskDefinition"
    )
    assert definition["Properties"]["NetworkMode"] == "awsvpc"
    assert definition["Properties"]["RequiresCompatibilities"] == ["EC2"]


def test_fargate_task_size_and_architecture(sandbox: Assembly, production: Assembly) -> None:
    small = _only(
        sandbox.template(names.ecs_services_unit("fargate", 1)), "AWS::ECS::TaskDefinition"
    )
    assert small["Properties"]["Cpu"] == "256"
    assert small["Properties"]["Memory"] == "512"
    assert small["Properties"]["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    large = _only(
        production.template(names.ecs_services_unit("fargate", 1)), "AWS::ECS::TaskDefinition"
    )
    assert large["Properties"]["Cpu"] == "512"
    assert large["Properties"]["Memory"] == "1024"
    assert large["Properties"]["RuntimePlatform"]["CpuArchitecture"] == "X86_64"


def test_container_is_hardened(assembly: Assembly, unit: str) -> None:
    container = _container(assembly.template(unit))
    assert container["Privileged"] is False
    assert container["ReadonlyRootFilesystem"] is True
    assert container["User"] == "101"
    assert container["LinuxParameters"]["Capabilities"]["Drop"] == ["ALL"]


def _image(container: dict[str, Any]) -> str:
    """A container's image with its pseudo parameters as <AWS::...>."""
    image = container["Image"]
    if isinstance(image, str):
        return image
    return "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in image["Fn::Join"][1])


def _cached(assembly: Assembly, image: dict[str, str]) -> str:
    """Where the service pulls a public image from: the registry's pull-through cache, by
    digest (`<registry>/<prefix>/<upstream path>@<digest>`)."""
    config = load_config(assembly.environment)
    prefix = config.registry.cache_prefix(assembly.environment)
    path = image["uri"].split("/", 1)[1].rsplit(":", 1)[0]
    registry = "<AWS::AccountId>.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>"
    return f"{registry}/{prefix}/{path}@{image['digest']}"


def test_sample_image_is_public_and_unprivileged(assembly: Assembly, unit: str) -> None:
    """It starts without a push: nginx-unprivileged on 8080 with writable scratch paths, pulled
    through the registry's pull-through cache pinned by digest."""
    container = _container(assembly.template(unit))
    assert _image(container) == _cached(assembly, SAMPLE_IMAGE)
    assert container["PortMappings"][0]["ContainerPort"] == 8080
    paths = {mount["ContainerPath"] for mount in container.get("MountPoints", [])}
    paths |= {t["ContainerPath"] for t in container["LinuxParameters"].get("Tmpfs", [])}
    assert {"/tmp", "/var/cache/nginx"} <= paths


EXEC_PATHS = {"/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"}


def test_ecs_exec_off_in_production(production: Assembly, unit: str) -> None:
    """AWS does not support ECS Exec with a read-only root (docs/design.md: ECS Exec)."""
    template = production.template(unit)
    assert _only(template, "AWS::ECS::Service")["Properties"]["EnableExecuteCommand"] is False
    assert not set(_mounts(_container(template))) & EXEC_PATHS


def test_ecs_exec_volumes_are_what_the_agent_does_not_mount(sandbox: Assembly, unit: str) -> None:
    """EC2: the ECS agent bind-mounts /var/log/amazon/ssm itself (amazon-ecs-agent
    agent/engine/execcmd/manager_init_task_linux.go), so a task volume there is a duplicate mount
    point Docker refuses; only the SSM agent's state directory is ours. Fargate: the
    aws/containers-roadmap#1359 set."""
    template = sandbox.template(unit)
    assert _only(template, "AWS::ECS::Service")["Properties"]["EnableExecuteCommand"] is True
    app = _container(template)
    assert app["LinuxParameters"]["InitProcessEnabled"] is True
    exec_paths = set(_mounts(app)) & EXEC_PATHS
    if unit == EC2_SERVICES:
        assert exec_paths == {"/var/lib/amazon/ssm"}
    else:
        assert exec_paths == EXEC_PATHS


def test_no_duplicate_mount_points(assembly: Assembly, unit: str) -> None:
    for container in _containers(assembly.template(unit)).values():
        paths = [m["ContainerPath"] for m in container.get("MountPoints", [])]
        assert len(paths) == len(set(paths)), container["Name"]


def test_volume_permissions_init_container(assembly: Assembly) -> None:
    """Empty task volumes are root-owned 0755 on Fargate 1.4 (aws/containers-roadmap#863, #938):
    an init container hands the app's scratch volumes to its uid before the app starts. (EC2 uses
    owned tmpfs mounts instead: tests/test_scratch_paths.py.)"""
    template = assembly.template(names.ecs_services_unit("fargate", 1))
    containers = _containers(template)
    app, init = containers["app"], containers["volume-permissions"]
    assert app["DependsOn"] == [{"ContainerName": "volume-permissions", "Condition": "SUCCESS"}]
    assert init["Essential"] is False
    assert init["User"] == "0"
    assert init["ReadonlyRootFilesystem"] is True
    assert init["Privileged"] is False
    assert _image(init) == _cached(assembly, VOLUME_PERMISSIONS_IMAGE.model_dump())
    capabilities = init["LinuxParameters"]["Capabilities"]
    assert "Add" not in capabilities  # Fargate accepts no added capability but SYS_PTRACE
    assert "CHOWN" not in capabilities["Drop"]
    assert {"DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "NET_RAW"} <= set(capabilities["Drop"])
    assert init["Command"] == ["chown", "101", "/tmp", "/var/cache/nginx"]
    app_mounts = _mounts(app)
    assert _mounts(init) == {path: app_mounts[path] for path in ("/tmp", "/var/cache/nginx")}
    logging = init["LogConfiguration"]
    assert (
        logging["Options"]["awslogs-group"] == app["LogConfiguration"]["Options"]["awslogs-group"]
    )
    assert logging["Options"]["awslogs-stream-prefix"] == "init"


def test_logs_go_to_a_log_group_with_retention(assembly: Assembly, unit: str) -> None:
    template = assembly.template(unit)
    group_id, group = next(iter(template.find_resources("AWS::Logs::LogGroup").items()))
    logging = _container(template)["LogConfiguration"]
    assert logging["LogDriver"] == "awslogs"
    assert logging["Options"]["awslogs-group"] == {"Ref": group_id}
    expected = 7 if assembly.environment == "sandbox" else 365
    assert group["Properties"]["RetentionInDays"] == expected
    assert ("KmsKeyId" in group["Properties"]) == (assembly.environment == "production")
    assert group["DeletionPolicy"] == ("Delete" if assembly.environment == "sandbox" else "Retain")


def test_task_and_execution_roles_are_separate(assembly: Assembly, unit: str) -> None:
    template = assembly.template(unit)
    definition = _only(template, "AWS::ECS::TaskDefinition")["Properties"]
    assert definition["TaskRoleArn"] != definition["ExecutionRoleArn"]
    roles = template.find_resources("AWS::IAM::Role")
    # A traffic-shifting release adds the role ECS shifts listener rules with.
    release_roles = [r for r in roles if "ReleaseRole" in r]
    assert len(roles) - len(release_roles) == 2


def test_execution_role_pulls_public_images_through_the_cache_only(
    assembly: Assembly, unit: str
) -> None:
    """Exactly what a pull through the cache needs (pull, and ecr:BatchImportUpstreamImage for a
    first pull) on the cached repositories of its own images, no ecr:CreateRepository (they
    exist), logs; GetAuthorizationToken on * (IAM requires it)."""
    template = assembly.template(unit)
    policies = template.find_resources(
        "AWS::IAM::Policy",
        {"Properties": {"PolicyName": Match.string_like_regexp("ExecutionRole")}},
    )
    statements = [
        statement
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    ecr = [s for s in statements if any(a.startswith("ecr:") for a in _as_list(s["Action"]))]
    token = [s for s in ecr if s["Resource"] == "*"]
    (scoped,) = [s for s in ecr if s["Resource"] != "*"]
    assert [_as_list(s["Action"]) for s in token] == [["ecr:GetAuthorizationToken"]]
    assert set(_as_list(scoped["Action"])) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchImportUpstreamImage",
    }
    prefix = load_config(assembly.environment).registry.cache_prefix(assembly.environment)
    images = {"nginx/nginx-unprivileged"}
    if _containers(template).get("volume-permissions"):
        images.add("docker/library/busybox")
    resources = {
        "".join(p if isinstance(p, str) else "" for p in r["Fn::Join"][1])
        for r in _as_list(scoped["Resource"])
    }
    assert resources == {f"arn::ecr:::repository/{prefix}/{path}" for path in images}
    others = {a for s in statements if s not in ecr for a in _as_list(s["Action"])}
    assert others <= {"logs:CreateLogStream", "logs:PutLogEvents"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_target_group_health_check_from_config(assembly: Assembly, unit: str) -> None:
    assembly.template(unit).has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"HealthCheckPath": "/", "TargetType": "ip", "Port": 8080, "Protocol": "HTTP"},
    )


def test_listener_rule_routes_by_path_with_configured_priority(
    assembly: Assembly, unit: str
) -> None:
    rules = assembly.template(unit).find_resources("AWS::ElasticLoadBalancingV2::ListenerRule")
    # Production's canary releases add a test rule on the test listener (tests/test_ecs_operations).
    (rule,) = [r for key, r in rules.items() if not key.startswith("TestRoutes")]
    properties = rule["Properties"]
    assert properties["Priority"] == 1
    assert properties["Conditions"] == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}
    ]
    cluster_stack = assembly.stack_name(CLUSTER_OF[unit])
    assert cluster_stack in str(properties["ListenerArn"])


def test_tasks_reachable_only_from_the_alb(assembly: Assembly, unit: str) -> None:
    template = assembly.template(unit)
    group = _only(template, "AWS::EC2::SecurityGroup")["Properties"]
    assert "SecurityGroupIngress" not in group
    (ingress,) = template.find_resources("AWS::EC2::SecurityGroupIngress").values()
    assert ingress["Properties"]["FromPort"] == ingress["Properties"]["ToPort"] == 8080
    assert "SourceSecurityGroupId" in ingress["Properties"]
    assert "CidrIp" not in ingress["Properties"]


def test_scaling_on_cpu_and_requests_per_target(assembly: Assembly, unit: str) -> None:
    template = assembly.template(unit)
    target = _only(template, "AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    expected = (1, 2) if assembly.environment == "sandbox" else (3, 12)
    assert (target["MinCapacity"], target["MaxCapacity"]) == expected
    metrics = {
        policy["Properties"]["TargetTrackingScalingPolicyConfiguration"][
            "PredefinedMetricSpecification"
        ]["PredefinedMetricType"]
        for policy in template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}


def test_service_stack_outputs_the_service_url(assembly: Assembly, unit: str) -> None:
    outputs = assembly.template_json(assembly.stack_name(unit))["Outputs"]
    url = outputs[names.service_url_output("sample")]["Value"]["Fn::Join"][1]
    assert url[0] == "http://"
    assert url[-1] == "/"


def test_one_alb_per_cluster(assembly: Assembly) -> None:
    """ALBs live only in the two cluster stacks, never in service stacks."""
    for name, template in assembly.all_templates().items():
        albs = [
            r
            for r in template.get("Resources", {}).values()
            if r["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer"
        ]
        expected = 1 if name.endswith(("-ecs-ec2", "-ecs-fargate")) else 0
        assert len(albs) == expected, name


def test_cross_stack_references_are_strong(assembly: Assembly, unit: str) -> None:
    """`defaultCrossStackReferences: strong` (docs/design.md, "Cross-stack references"): exports and
    Fn::ImportValue, which CloudFormation resolves on every deploy and keeps from being deleted
    while in use; no Fn::GetStackOutput, which CloudFormation's Fn::Split does not list among the
    functions it accepts (and the validation engine reports as error E1018)."""
    text = str(assembly.template_json(assembly.stack_name(unit)))
    assert "Fn::ImportValue" in text
    assert "Fn::GetStackOutput" not in text
