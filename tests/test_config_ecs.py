"""The `ecs` config section: every bad input fails with a message naming the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from platform_config import ENVIRONMENTS, ConfigError, load_config


def _sandbox_with(cluster: str, **changes: Any) -> dict[str, Any]:
    """Overrides that replace the sandbox's `ecs.<cluster>` part with `changes` applied."""
    part = copy.deepcopy(ENVIRONMENTS["sandbox"]["ecs"][cluster])
    part.update(changes)
    return {"ecs": {cluster: part}}


def _service(**changes: Any) -> dict[str, Any]:
    service: dict[str, Any] = {"name": "web", "route": {"priority": 1, "paths": ["/*"]}}
    service.update(changes)
    return service


def _error(overrides: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=overrides)
    return str(caught.value)


def test_sandbox_favours_spot_and_production_is_on_demand_and_ha() -> None:
    sandbox, production = load_config("sandbox").ecs, load_config("production").ecs
    assert sandbox.ec2.spot
    assert not production.ec2.spot
    assert sandbox.fargate.default_strategy[0].capacity_provider == "FARGATE_SPOT"
    assert {s.capacity_provider for s in production.fargate.default_strategy} == {"FARGATE"}
    assert production.ec2.min_instances >= 3
    assert all(s.scaling.min_tasks >= 3 for s in production.fargate.services)
    assert not sandbox.ec2.managed_termination_protection
    assert production.ec2.managed_termination_protection


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            _sandbox_with("ec2", min_instances=3, max_instances=2),
            "ecs.ec2: min_instances (3) must not exceed max_instances (2)",
        ),
        (
            _sandbox_with("fargate", services=[_service(scaling={"min_tasks": 3, "max_tasks": 2})]),
            "ecs.fargate.services.0.scaling: min_tasks (3) must not exceed max_tasks (2)",
        ),
        (
            _sandbox_with(
                "fargate",
                services=[_service(scaling={"min_tasks": 1, "max_tasks": 2, "desired_tasks": 5})],
            ),
            "ecs.fargate.services.0.scaling: desired_tasks (5) must be within "
            "[min_tasks, max_tasks] = [1, 2]",
        ),
        (
            _sandbox_with("ec2", instance_types=["t3.small", "huge"]),
            "ecs.ec2.instance_types: 'huge' is not an EC2 instance type",
        ),
        (
            _sandbox_with("fargate", services=[_service(cpu=256, memory_mib=4096)]),
            "ecs.fargate: services[0].memory_mib: Fargate does not offer 4096 MiB with 256 CPU "
            "units; allowed: 512-2048",
        ),
        (
            _sandbox_with("fargate", services=[_service(cpu=300, memory_mib=512)]),
            "ecs.fargate: services[0].cpu: 300 is not a Fargate task CPU; allowed: 256, 512",
        ),
        (
            _sandbox_with("fargate", services=[_service(health_check_path="health")]),
            "ecs.fargate.services.0.health_check_path: 'health' must start with '/'",
        ),
        (
            _sandbox_with(
                "fargate",
                services=[
                    _service(),
                    _service(route={"priority": 2, "paths": ["/b/*"]}),
                ],
            ),
            "ecs.fargate: services[1].name: 'web' is already used by services[0]",
        ),
        (
            _sandbox_with(
                "ec2",
                services=[
                    _service(name="svc-a", route={"priority": 1, "paths": ["/a/*"]}),
                    _service(name="svc-b", route={"priority": 2, "paths": ["/a/*"]}),
                ],
            ),
            "ecs.ec2: services[1].route: paths=['/a/*'] hosts=[] is already used by services[0]",
        ),
        (
            _sandbox_with(
                "ec2",
                services=[
                    _service(name="svc-a", route={"priority": 7, "paths": ["/a/*"]}),
                    _service(name="svc-b", route={"priority": 7, "paths": ["/b/*"]}),
                ],
            ),
            "ecs.ec2: services[1].route.priority: 7 is already used by services[0]",
        ),
        (
            _sandbox_with("ec2", target_capacity_percent=0),
            "ecs.ec2.target_capacity_percent: must be 1-100 (percent), got 0",
        ),
        (
            _sandbox_with("ec2", target_capacity_percent=101),
            "ecs.ec2.target_capacity_percent: must be 1-100 (percent), got 101",
        ),
        (
            _sandbox_with("fargate", services=[_service(user="0")]),
            "ecs.fargate.services.0.user: '0' runs as root",
        ),
        (
            _sandbox_with("fargate", services=[_service(route={"priority": 1, "paths": ["api"]})]),
            "ecs.fargate.services.0.route.paths: path pattern 'api' must start with '/'",
        ),
        (
            _sandbox_with(
                "fargate", services=[_service(secrets={"TOKEN": {"secrets_manager_arn": "x"}})]
            ),
            "ecs.fargate.services.0.secrets.TOKEN.secrets_manager_arn: 'x' is not a complete "
            "Secrets Manager secret ARN",
        ),
        (
            _sandbox_with(
                "fargate", services=[_service(image={"repository": "nope", "tag": "1.0"})]
            ),
            "ecs.fargate.services[0].image.repository: 'nope' is not one of "
            "registry.repositories; allowed: sample-app",
        ),
        (
            _sandbox_with("ec2", spot=True, instance_types=["t3.small"]),
            "ecs.ec2: spot: give at least two instance_types",
        ),
    ],
)
def test_bad_ecs_input_names_the_field(overrides: dict[str, Any], message: str) -> None:
    assert message in _error(overrides)


@pytest.mark.parametrize(
    "instance_types", [["t4g.small", "m7g.large", "a1.large"], ["t3.small", "m7i-flex.large"]]
)
def test_ec2_instance_types_of_one_architecture_are_accepted(instance_types: list[str]) -> None:
    config = load_config("sandbox", overrides=_sandbox_with("ec2", instance_types=instance_types))
    assert config.ecs.ec2.instance_types == instance_types


def test_a_repository_image_of_the_registry_is_accepted() -> None:
    config = load_config(
        "sandbox",
        overrides=_sandbox_with(
            "fargate", services=[_service(image={"repository": "sample-app", "tag": "1.0"})]
        ),
    )
    assert config.ecs.fargate.services[0].image.repository == "sample-app"
