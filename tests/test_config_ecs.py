"""The `ecs` config section: every bad input fails with a message naming the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from platform_config import ConfigError, load_config
from platform_config.environments import SAMPLE_IMAGE
from platform_config.listener_rules import pattern_covers
from tests.helpers.apps import RECORD


def _sandbox_with(cluster: str, **changes: Any) -> dict[str, Any]:
    """Overrides of the sandbox's `ecs.<cluster>` (without a config of record: no services) with
    `changes`; `services` is given as a list of `_service`s, which this turns into the map by name
    the config takes."""
    part = copy.deepcopy(changes)
    if "services" in part:
        part["services"] = {s.pop("name"): s for s in part["services"]}
    return {"ecs": {cluster: part}}


def _service(**changes: Any) -> dict[str, Any]:
    """A web service named `web` (or `name`), with `changes`."""
    service: dict[str, Any] = {
        "name": "web",
        "image": dict(SAMPLE_IMAGE),
        "route": {"priority": 1, "paths": ["/*"]},
    }
    service.update(changes)
    return service


WEB = _service()


def _error(overrides: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=overrides)
    return str(caught.value)


def test_sandbox_favours_spot_and_production_is_on_demand_and_ha() -> None:
    sandbox = load_config("sandbox", config_dir=RECORD).ecs
    production = load_config("production", config_dir=RECORD).ecs
    assert sandbox.ec2.spot
    assert not production.ec2.spot
    assert sandbox.fargate.default_strategy[0].capacity_provider == "FARGATE_SPOT"
    assert {s.capacity_provider for s in production.fargate.default_strategy} == {"FARGATE"}
    assert production.ec2.min_instances >= 3
    assert all(s.scaling.min_tasks >= 3 for s in production.fargate.services.values())
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
            "ecs.fargate.services.web.scaling: min_tasks (3) must not exceed max_tasks (2)",
        ),
        (
            _sandbox_with(
                "fargate",
                services=[_service(scaling={"min_tasks": 1, "max_tasks": 2, "desired_tasks": 2})],
            ),
            "ecs.fargate.services.web.scaling.desired_tasks: no longer taken; remove it. A "
            "service's template sets no task count",
        ),
        (
            _sandbox_with(
                "ec2",
                machine_image="bottlerocket",
                services=[_service(user="101", efs={"path": "/data"})],
            ),
            "ecs.ec2.services.web.efs: Bottlerocket's ECS agent cannot mount an encrypted, "
            "IAM-authorized EFS volume",
        ),
        (
            _sandbox_with("ec2", instance_types=["t3.small", "huge"]),
            "ecs.ec2.instance_types: 'huge' is not an EC2 instance type",
        ),
        (
            _sandbox_with("fargate", services=[_service(cpu=256, memory_mib=4096)]),
            "ecs.fargate.services.web.memory_mib: Fargate does not offer 4096 MiB with 256 CPU "
            "units; allowed: 512-2048",
        ),
        (
            _sandbox_with("fargate", services=[_service(cpu=300, memory_mib=512)]),
            "ecs.fargate.services.web.cpu: 300 is not a Fargate task CPU; allowed: 256, 512",
        ),
        (
            _sandbox_with("fargate", services=[_service(health_check_path="health")]),
            "ecs.fargate.services.web.health_check_path: 'health' must start with '/'",
        ),
        (
            _sandbox_with(
                "fargate",
                services=[
                    _service(name="ab-1c"),
                    _service(name="ab1c", route={"priority": 2, "paths": ["/b/*"]}),
                ],
            ),
            "ecs.fargate.services.ab1c: 'ab1c' and 'ab-1c' differ only in hyphens, and a "
            "service's construct ids are made from its name without them",
        ),
        (
            _sandbox_with(
                "fargate",
                services=[
                    _service(name="web"),
                    _service(name="web-url", route={"priority": 2, "paths": ["/b/*"]}),
                ],
            ),
            "ecs.fargate.services.web-url: the construct id of 'web-url' would be the id of the "
            "'url' output of service 'web'",
        ),
        (
            {"ecs": {"fargate": {"services": {"web": {**_service(), "name": "web"}}}}},
            "ecs.fargate.services.web.name: a service's name is its key ('web'",
        ),
        (
            {"ecs": {"fargate": {"services": {"Web": {"image": dict(SAMPLE_IMAGE)}}}}},
            "ecs.fargate.services.Web.name: 'Web' is not a service name",
        ),
        (
            _sandbox_with(
                "ec2",
                services=[
                    _service(name="svc-a", route={"priority": 1, "paths": ["/a/*"]}),
                    _service(name="svc-b", route={"priority": 2, "paths": ["/a/*"]}),
                ],
            ),
            "ecs.ec2.services.svc-b.route: paths=['/a/*'] hosts=[] is already the route of "
            "service 'svc-a' on ALB default-1; each route must be unique on its listener",
        ),
        (
            _sandbox_with(
                "ec2",
                services=[
                    _service(name="svc-a", route={"priority": 7, "paths": ["/a/*"]}),
                    _service(name="svc-b", route={"priority": 7, "paths": ["/b/*"]}),
                ],
            ),
            "ecs.ec2.services.svc-b.route.priority: 7 is already used by service 'svc-a'; each "
            "must be unique in the cluster (a listener rule is keyed by its priority in its stack)",
        ),
        (
            _sandbox_with("ec2", target_capacity_percent=0),
            "ecs.ec2.target_capacity_percent: 0 is not allowed; allowed: 1 to 100",
        ),
        (
            _sandbox_with("ec2", target_capacity_percent=101),
            "ecs.ec2.target_capacity_percent: 101 is not allowed; allowed: 1 to 100",
        ),
        (
            _sandbox_with("fargate", services=[_service(user="0")]),
            "ecs.fargate.services.web.user: '0' runs as root",
        ),
        (
            _sandbox_with("fargate", services=[_service(route={"priority": 1, "paths": ["api"]})]),
            "ecs.fargate.services.web.route.paths: path pattern 'api' must start with '/'",
        ),
        (
            _sandbox_with(
                "fargate", services=[_service(secrets={"TOKEN": {"secrets_manager_arn": "x"}})]
            ),
            "ecs.fargate.services.web.secrets.TOKEN.secrets_manager_arn: 'x' is not a complete "
            "Secrets Manager secret ARN",
        ),
        (
            _sandbox_with(
                "fargate", services=[_service(image={"repository": "nope", "tag": "1.0"})]
            ),
            "ecs.fargate.services.web.image.repository: 'nope' is not one of "
            "registry.repositories; allowed: sample-app",
        ),
        (
            _sandbox_with("ec2", spot=True, instance_types=["t3.small"]),
            "ecs.ec2.spot: give at least two instance_types",
        ),
        (
            _sandbox_with("fargate", services=[_service(user="nginx")]),
            "ecs.fargate.services.web.user: 'nginx' must be a numeric uid[:gid]",
        ),
        (
            _sandbox_with("ec2", instance_types=["t3.small", "t4g.small"]),
            "ecs.ec2.instance_types: mixes x86_64 (t3.small) and arm64/Graviton (t4g.small); "
            "allowed: instance types of one CPU architecture",
        ),
        (
            _sandbox_with("ec2", instance_types=["u-6tb1.metal", "u-9tb1.metal"]),
            "ecs.ec2.instance_types: 'u-6tb1.metal': aws-cdk-lib cannot tell this instance "
            "type's CPU architecture",
        ),
        (
            _sandbox_with("fargate", services=[_service(route={"priority": 1})]),
            "ecs.fargate.services.web.route: route needs at least one of 'paths' or 'hosts'",
        ),
        (
            _sandbox_with("fargate", services=[_service(log_retention_days=8)]),
            "ecs.fargate.services.web.log_retention_days: 8 is not a CloudWatch Logs retention; "
            "allowed: 1, 3, 5, 7, 14, 30",
        ),
        (
            _sandbox_with("ec2", exec_log_retention_days=2),
            "ecs.ec2.exec_log_retention_days: 2 is not a CloudWatch Logs retention",
        ),
        (
            _sandbox_with("fargate", services=[_service(container_port=80)]),
            "ecs.fargate.services.web.container_port: 80 is a privileged port (below 1024)",
        ),
        (
            _sandbox_with("fargate", services=[_service(writable_paths=["/tmp", "/data", "/tmp"])]),
            "ecs.fargate.services.web.writable_paths: /tmp given twice; allowed: each path once",
        ),
        (
            _sandbox_with(
                "ec2", services=[_service(writable_paths=["/tmp", "/var/log/amazon/ssm"])]
            ),
            "ecs.ec2.services.web.writable_paths: /var/log/amazon/ssm is where the ECS agent "
            "mounts ECS Exec's log directory on EC2 (a second mount there fails the task); "
            "allowed: other paths, or enable_execute_command false",
        ),
        (
            _sandbox_with("ec2", machine_image_version="1.61.0"),
            "ecs.ec2.machine_image_version: '1.61.0' is not an ECS-optimized AL2023 release; "
            "allowed: e.g. 2023.0.20260922, or unset for the pinned default",
        ),
        (
            _sandbox_with("ec2", machine_image="bottlerocket", machine_image_version="latest"),
            "ecs.ec2.machine_image_version: 'latest' is not a Bottlerocket version; allowed: "
            "e.g. 1.61.0",
        ),
    ],
)
def test_bad_ecs_input_names_the_field(overrides: dict[str, Any], message: str) -> None:
    assert message in _error(overrides)


def test_exec_log_directory_is_a_volume_path_on_ec2_only_without_ecs_exec() -> None:
    """The ECS agent mounts it for ECS Exec on EC2 only; without ECS Exec it is the app's."""
    paths = ["/tmp", "/var/log/amazon/ssm"]
    without_exec = _service(writable_paths=paths, enable_execute_command=False)
    config = load_config("sandbox", overrides=_sandbox_with("ec2", services=[without_exec]))
    assert config.ecs.ec2.services["web"].writable_paths == paths


# Types from the capacity table (platform_config/instance_capacity.py), several families each;
# is_graviton's rule for names outside it (a1, m7i-flex) is tested in test_config_eks.py.
@pytest.mark.parametrize(
    "instance_types",
    [["t4g.small", "m7g.large", "c7g.large"], ["t3.small", "m7i.large", "c6i.large"]],
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
    assert config.ecs.fargate.services["web"].image.repository == "sample-app"


def test_shipped_ec2_clusters_fit_a_deployment_of_twice_max_tasks() -> None:
    """awsvpc: one ENI per task, the primary ENI is the instance's (instance_capacity.py)."""
    from platform_config.instance_capacity import INSTANCE_CAPACITY

    for environment in ("sandbox", "production"):
        ec2 = load_config(environment, config_dir=RECORD).ecs.ec2
        assert ec2.services
        slots = min(INSTANCE_CAPACITY[t].task_enis for t in ec2.instance_types)
        needed = sum(2 * s.scaling.max_tasks for s in ec2.services.values())
        assert ec2.max_instances * slots >= needed, environment


def test_eni_table_matches_the_aws_figures_it_cites() -> None:
    from platform_config.instance_capacity import INSTANCE_CAPACITY

    assert INSTANCE_CAPACITY["t3a.small"].task_enis == 1
    assert INSTANCE_CAPACITY["t3.small"].task_enis == 2
    assert INSTANCE_CAPACITY["m7i.large"].max_enis == 3
    assert INSTANCE_CAPACITY["c6g.medium"].max_enis == 2
    assert INSTANCE_CAPACITY["r7i.4xlarge"] == (8, 16, 131072)
    families = {name.split(".")[0] for name in INSTANCE_CAPACITY}
    assert families >= {"t3", "t3a", "t4g", "m5", "m6i", "m6g", "m7i", "m7g"}
    assert families >= {"c5", "c6i", "c6g", "c7i", "c7g", "r6i", "r7i"}


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        (  # the case: t3a.small holds one task, a deployment of 2 x 2 needs 4
            {"instance_types": ["t3.small", "t3a.small"], "max_instances": 2, "services": [WEB]},
            [
                "ecs.ec2: max_instances (2) x 1 task slots on t3a.small",
                "= 2 slots, but deployments need 4",
                "set ecs.ec2.max_instances to at least 4",
            ],
        ),
        (
            {"max_instances": 1, "services": [WEB]},
            [
                "max_instances (1) x 2 task slots on t3.small",
                "set ecs.ec2.max_instances to at least 2",
            ],
        ),
        (
            {"instance_types": ["t3.small", "x9z.large"]},
            [
                "ecs.ec2.instance_types: x9z.large not in the capacity table",
                "known: c5.2xlarge",
                "t3a.small",
            ],
        ),
        (
            {"services": [_service(cpu=4096, memory_mib=1024)]},
            [
                "ecs.ec2.services.web: a task of 4096 CPU units and 1024 MiB does not fit on "
                "t3.small"
            ],
        ),
        (  # by memory: 1843 MiB of a t3.small hold one 1024 MiB task
            {"services": [_service(memory_mib=1024, scaling={"min_tasks": 1, "max_tasks": 2})]},
            ["max_instances (2) x 1 task slots on t3.small"],
        ),
    ],
)
def test_ec2_capacity_must_fit_a_deployment(changes: dict[str, Any], messages: list[str]) -> None:
    error = _error(_sandbox_with("ec2", **copy.deepcopy(changes)))
    for message in messages:
        assert message in error


def test_ec2_capacity_check_passes_with_enough_instances() -> None:
    config = load_config(
        "sandbox",
        overrides=_sandbox_with(
            "ec2", instance_types=["t3.small", "t3a.small"], max_instances=4, services=[WEB]
        ),
    )
    assert config.ecs.ec2.max_instances == 4
    assert list(config.ecs.ec2.services) == ["web"]


def _routes(*routes: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """Sandbox overrides with one Fargate service per (name, route)."""
    return _sandbox_with(
        "fargate", services=[_service(name=name, route=route) for name, route in routes]
    )


@pytest.mark.parametrize(
    ("routes", "late", "early"),
    [
        (
            (
                ("all", {"priority": 1, "paths": ["/*"]}),
                ("api", {"priority": 2, "paths": ["/api/*"]}),
            ),
            "api",
            "all",
        ),
        (
            (
                ("api", {"priority": 5, "paths": ["/api/*"]}),
                ("v1", {"priority": 9, "paths": ["/api/v1/*"]}),
            ),
            "v1",
            "api",
        ),
        (
            (
                ("wide", {"priority": 1, "paths": ["/*"], "hosts": ["api.example.com"]}),
                ("narrow", {"priority": 2, "paths": ["/v1/*"], "hosts": ["api.example.com"]}),
            ),
            "narrow",
            "wide",
        ),
        (
            (
                ("anyhost", {"priority": 1, "paths": ["/api/*"]}),
                ("onehost", {"priority": 2, "paths": ["/api/v1/*"], "hosts": ["a.example.com"]}),
            ),
            "onehost",
            "anyhost",
        ),
        (
            (
                ("wildcard", {"priority": 1, "hosts": ["*.example.com"]}),
                ("api", {"priority": 2, "hosts": ["API.example.com"], "paths": ["/x/*"]}),
            ),
            "api",
            "wildcard",
        ),
        (
            (
                ("host", {"priority": 3, "hosts": ["a.example.com"]}),
                ("same", {"priority": 4, "hosts": ["a.example.com"], "paths": ["/a"]}),
            ),
            "same",
            "host",
        ),
        (
            (
                ("exact", {"priority": 1, "paths": ["/health", "/api/*"]}),
                ("listed", {"priority": 2, "paths": ["/api/a", "/health"]}),
            ),
            "listed",
            "exact",
        ),
        # Listed out of priority order: the lower number is what the ALB evaluates first.
        (
            (
                ("api", {"priority": 20, "paths": ["/api/*"]}),
                ("all", {"priority": 10, "paths": ["/*"]}),
            ),
            "api",
            "all",
        ),
    ],
    ids=[
        "catch-all-first",
        "wider-path-first",
        "same-host-wider-path",
        "hostless-path-over-host-and-narrower-path",
        "wildcard-host",
        "same-host-any-path",
        "every-listed-pattern-covered",
        "priority-not-list-order",
    ],
)
def test_a_shadowed_route_is_a_config_error(
    routes: tuple[tuple[str, dict[str, Any]], ...], late: str, early: str
) -> None:
    """A rule evaluated earlier whose conditions cover a later rule's leaves it unreachable: the
    error names both services, their priorities and the fix."""
    message = _error(_routes(*routes))
    by_name = dict(routes)
    late_priority, early_priority = by_name[late]["priority"], by_name[early]["priority"]
    assert f"ecs.fargate.services.{late}.route: service '{late}' (priority {late_priority}, " in (
        message
    )
    assert (
        f") is unreachable on ALB default-1: service '{early}' (priority {early_priority}, "
        in message
    )
    assert "the ALB evaluates rules by ascending priority" in message
    assert "give the narrower route the lower priority number, e.g. swap the two priorities" in (
        message
    )
    below = f"swap the two priorities or give it one below {early_priority}"
    assert (below in message) == (early_priority > 1)


def test_shadow_message_shows_both_routes() -> None:
    message = _error(
        _routes(
            ("all", {"priority": 1, "paths": ["/*"]}), ("api", {"priority": 2, "paths": ["/api/*"]})
        )
    )
    assert (
        "services.api.route: service 'api' (priority 2, paths=['/api/*'] hosts=[]) is unreachable "
        "on ALB default-1: service 'all' (priority 1, paths=['/*'] hosts=[]) matches every "
        "request it does" in message
    )


@pytest.mark.parametrize(
    "routes",
    [
        # The narrower route first: both reachable.
        (("api", {"priority": 1, "paths": ["/api/*"]}), ("all", {"priority": 2, "paths": ["/*"]})),
        # Different hosts, same paths.
        (
            ("svc-a", {"priority": 1, "paths": ["/*"], "hosts": ["a.example.com"]}),
            ("svc-b", {"priority": 2, "paths": ["/*"], "hosts": ["b.example.com"]}),
        ),
        # A host-only rule and a path-only rule overlap but neither covers the other.
        (
            ("host", {"priority": 1, "hosts": ["a.example.com"]}),
            ("path", {"priority": 2, "paths": ["/a/*"]}),
        ),
        # Sibling prefixes: /svc1/ does not cover /svc10/.
        (
            ("svc1", {"priority": 1, "paths": ["/svc1/*"]}),
            ("svc10", {"priority": 2, "paths": ["/svc10/*"]}),
        ),
        # The wildcard host does not cover the apex nor another domain.
        (
            ("wild", {"priority": 1, "hosts": ["*.example.com"]}),
            ("apex", {"priority": 2, "hosts": ["example.com"]}),
            ("other", {"priority": 3, "hosts": ["api.example.org"]}),
        ),
        # Only one of the later rule's patterns is covered: its other still reaches it.
        (
            ("api", {"priority": 1, "paths": ["/api/*"]}),
            ("mixed", {"priority": 2, "paths": ["/api/a", "/web/*"]}),
        ),
        # A path rule limited to a host does not cover the same path on any host.
        (
            ("onehost", {"priority": 1, "paths": ["/*"], "hosts": ["a.example.com"]}),
            ("anyhost", {"priority": 2, "paths": ["/a/*"]}),
        ),
    ],
    ids=[
        "narrow-first",
        "different-hosts",
        "host-and-path-overlap",
        "sibling-prefixes",
        "wildcard-host-apex-and-other-domain",
        "partly-covered",
        "host-limited-wide-path",
    ],
)
def test_routes_that_do_not_shadow_are_accepted(
    routes: tuple[tuple[str, dict[str, Any]], ...],
) -> None:
    config = load_config("sandbox", overrides=_routes(*routes))
    assert list(config.ecs.fargate.services) == sorted(name for name, _ in routes)


@pytest.mark.parametrize(
    ("wide", "narrow", "covers"),
    [
        ("/*", "/api/*", True),
        ("/*", "/", True),
        ("/api/*", "/api/v1/*", True),
        ("/api/*", "/api", False),
        ("/api*", "/api", True),
        ("/api/*", "/apis/*", False),
        ("/a/b", "/a/b", True),
        ("/a/b", "/a/?", False),
        ("/a/?", "/a/b", False),  # it does cover; the check is sound, not complete
        ("/*/x/*", "/*/x/y", True),
        ("*.example.com", "api.example.com", True),
        ("*.example.com", "*.api.example.com", True),
        ("*.example.com", "example.com", False),
        ("*", "anything", True),
        ("api.example.com", "*.example.com", False),
    ],
)
def test_pattern_covers(wide: str, narrow: str, covers: bool) -> None:
    assert pattern_covers(wide, narrow) is covers


@pytest.mark.parametrize(
    ("machine_image", "version"), [("al2023", "2023.0.20261030"), ("bottlerocket", "1.60.2")]
)
def test_a_machine_image_release_of_its_kind_is_accepted(machine_image: str, version: str) -> None:
    config = load_config(
        "sandbox",
        overrides=_sandbox_with("ec2", machine_image=machine_image, machine_image_version=version),
    )
    assert config.ecs.ec2.machine_image_version == version
