"""ECS: every container unprivileged, on a read-only root filesystem, as a non-root user and with
logging; no task definition over ECS's container quota; every rolling service deployment stopped
and rolled back by the circuit breaker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..checks import MAX_CONTAINERS_PER_TASK_DEFINITION
from .rule import EnvironmentFacts, Rule
from .template import Resource, as_list, get, is_true, mappings

TASK_DEFINITION = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"
ROOT_USERS = frozenset({"root", "0"})
# A root container is allowed only as a non-essential init container that keeps no capability
# beyond these file-ownership ones (WebService's volume-permissions container keeps CHOWN).
ROOT_INIT_CAPABILITIES = frozenset({"CHOWN", "FOWNER", "DAC_OVERRIDE"})
DOCKER_DEFAULT_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip


def _containers(resource: Resource) -> list[Mapping[str, Any]]:
    return mappings(resource.properties.get("ContainerDefinitions"))


def _name(container: Mapping[str, Any]) -> str:
    return str(container.get("Name", "?"))


def read_only_root(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Each container has a read-only root filesystem."""
    return [
        f"container {_name(c)} has a writable root filesystem"
        for c in _containers(resource)
        if not is_true(c.get("ReadonlyRootFilesystem"))
    ]


def unprivileged(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """No container is privileged."""
    return [
        f"container {_name(c)} is privileged"
        for c in _containers(resource)
        if is_true(c.get("Privileged"))
    ]


def _restricted_root_init(container: Mapping[str, Any]) -> bool:
    """A non-essential container whose capabilities are within ROOT_INIT_CAPABILITIES."""
    if container.get("Essential") is not False:
        return False
    capabilities = get(container, "LinuxParameters", "Capabilities") or {}
    dropped = set(as_list(capabilities.get("Drop")))
    added = set(as_list(capabilities.get("Add")))
    kept = added if "ALL" in dropped else (DOCKER_DEFAULT_CAPABILITIES - dropped) | added
    return kept <= ROOT_INIT_CAPABILITIES


def non_root_user(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Each container runs as a non-root user, except a restricted root init container."""
    problems = []
    for container in _containers(resource):
        user = str(container.get("User") or "").split(":", 1)[0]
        if (not user or user in ROOT_USERS) and not _restricted_root_init(container):
            problems.append(
                f"container {_name(container)} runs as root (set User to a non-root uid; only a "
                "non-essential init container keeping at most "
                f"{', '.join(sorted(ROOT_INIT_CAPABILITIES))} may be root)"
            )
    return problems


def container_logging(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Each container has a log driver."""
    return [
        f"container {_name(c)} has no LogConfiguration"
        for c in _containers(resource)
        if not get(c, "LogConfiguration", "LogDriver")
    ]


def container_quota(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """At most ECS's quota of container definitions (checks.MAX_CONTAINERS_PER_TASK_DEFINITION):
    RegisterTaskDefinition refuses more, midway through the deploy."""
    count = len(_containers(resource))
    if count <= MAX_CONTAINERS_PER_TASK_DEFINITION:
        return []
    return [
        f"{count} containers, ECS allows at most {MAX_CONTAINERS_PER_TASK_DEFINITION} per task "
        "definition (not adjustable)"
    ]


def circuit_breaker(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Rolling deployments of the ECS controller only: other controllers and strategies
    (CodeDeploy, external, blue/green) roll back by their own means."""
    props = resource.properties
    controller = get(props, "DeploymentController", "Type") or "ECS"
    strategy = get(props, "DeploymentConfiguration", "Strategy") or "ROLLING"
    if controller != "ECS" or strategy != "ROLLING":
        return []
    breaker = get(props, "DeploymentConfiguration", "DeploymentCircuitBreaker") or {}
    if is_true(breaker.get("Enable")) and is_true(breaker.get("Rollback")):
        return []
    return ["the deployment circuit breaker is not enabled with rollback"]


HARDENED_CONTAINER = {
    "Name": "app",
    "Image": "app:1",
    "ReadonlyRootFilesystem": True,
    "User": "1000:1000",
    "LogConfiguration": {"LogDriver": "awslogs"},
}


def task(**container: Any) -> dict[str, dict[str, Any]]:
    """A task definition fragment of one container: the hardened one changed by `container`
    (a None value removes the property)."""
    merged = {k: v for k, v in {**HARDENED_CONTAINER, **container}.items() if v is not None}
    return {"Td": {"Type": TASK_DEFINITION, "Properties": {"ContainerDefinitions": [merged]}}}


def _containers_task(count: int) -> dict[str, dict[str, Any]]:
    containers = [{**HARDENED_CONTAINER, "Name": f"c{index}"} for index in range(count)]
    return {"Td": {"Type": TASK_DEFINITION, "Properties": {"ContainerDefinitions": containers}}}


def _service(breaker: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "Svc": {
            "Type": SERVICE,
            "Properties": {"DeploymentConfiguration": {"DeploymentCircuitBreaker": breaker}},
        }
    }


def _container_rule(rule_id: str, requirement: str, check: Any, **bad: Any) -> Rule:
    return Rule(
        id=rule_id,
        requirement=requirement,
        resource_types=(TASK_DEFINITION,),
        check=check,
        bad=task(**bad),
        good=task(),
    )


RULES: tuple[Rule, ...] = (
    _container_rule(
        "ecs-container-read-only-root",
        "every ECS container has a read-only root filesystem",
        read_only_root,
        ReadonlyRootFilesystem=False,
    ),
    _container_rule(
        "ecs-container-unprivileged",
        "no ECS container is privileged",
        unprivileged,
        Privileged=True,
    ),
    _container_rule(
        "ecs-container-non-root",
        "every ECS container runs as a non-root user, but a restricted non-essential init one",
        non_root_user,
        User="0",
    ),
    _container_rule(
        "ecs-container-logging",
        "every ECS container sends its logs through a log driver",
        container_logging,
        LogConfiguration=None,
    ),
    Rule(
        id="ecs-task-container-quota",
        requirement=(
            f"every ECS task definition has at most {MAX_CONTAINERS_PER_TASK_DEFINITION} "
            "containers (ECS's quota)"
        ),
        resource_types=(TASK_DEFINITION,),
        check=container_quota,
        bad=_containers_task(MAX_CONTAINERS_PER_TASK_DEFINITION + 1),
        good=_containers_task(MAX_CONTAINERS_PER_TASK_DEFINITION),
        severity="fatal",  # ECS refuses it: no acknowledgement can help
    ),
    Rule(
        id="ecs-service-circuit-breaker",
        requirement="rolling ECS deployments have the circuit breaker on with rollback",
        resource_types=(SERVICE,),
        check=circuit_breaker,
        bad=_service({"Enable": True, "Rollback": False}),
        good=_service({"Enable": True, "Rollback": True}),
    ),
)
