"""What the one task builder (container_constructs/task_definition.py) gives every service kind
alike, on both launch types: the app's scratch paths as tmpfs mounts owned by its uid on EC2 (no
init container), task volumes with the init container on Fargate, and images pulled through the
registry's pull-through cache by digest, the execution role getting pull and
ecr:BatchImportUpstreamImage on exactly the cached repositories its task pulls through (the app's,
a sidecar's, and the init container's only where it runs). One small stack of the four kinds on
each launch type, synthesized once without the platform's checks (tests/test_ecs_kinds.py runs
those on the kinds)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack, TimeZone
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk.assertions import Template

from container_constructs.backend_service import BackendService, BackendServiceProps
from container_constructs.ecs_service_cluster import (
    NamespaceAttributes,
    ServiceCluster,
    ServiceLoadBalancer,
)
from container_constructs.pull_through_cache import IMPORT_UPSTREAM_IMAGE
from container_constructs.scheduled_job import ScheduledJob, ScheduledJobProps
from container_constructs.sidecars import SidecarSpec
from container_constructs.task_definition import TaskProps
from container_constructs.web_service import WebService, WebServiceProps
from container_constructs.worker_service import WorkerService, WorkerServiceProps
from tests.helpers.apps import unit_app

KINDS = ("web", "backend", "worker", "job")
LAUNCH_TYPES = ("ec2", "fargate")
USER = "1000:2000"
DIGEST = "sha256:" + "ab" * 32
PREFIX = "cp-test/ecr-public"
APP_PATH, SIDECAR_PATH, INIT_PATH = "team/app", "team/agent", "docker/library/busybox"


def _cached(stack: Stack, path: str) -> ecr.IRepository:
    return ecr.Repository.from_repository_name(stack, f"Cached{path}", f"{PREFIX}/{path}")


def _build() -> dict[str, Any]:
    stack = Stack(unit_app(), "Tasks", env={"account": "111122223333", "region": "us-east-1"})
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=1)
    cached = {path: _cached(stack, path) for path in (APP_PATH, SIDECAR_PATH, INIT_PATH)}
    for launch_type in LAUNCH_TYPES:
        cluster = ServiceCluster.from_attributes(
            stack,
            f"{launch_type}Cluster",
            cluster_name=launch_type,
            vpc=vpc,
            launch_type=launch_type,  # type: ignore[arg-type]
            capacity_provider_strategy=[],
            namespace=NamespaceAttributes(
                arn="arn:aws:servicediscovery:us-east-1:111122223333:namespace/ns-1",
                namespace_id="ns-1",
                name="tasks",
                security_group_id="sg-87654321",
            ),
        )
        balancer = ServiceLoadBalancer.from_attributes(
            stack,
            f"{launch_type}Balancer",
            listener_arn="arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/x/1/2",
            security_group_id="sg-12345678",
            scheme="http",
            dns_name="x.example.com",
        )
        common: dict[str, Any] = {
            "cluster": cluster,
            "user": USER,
            "writable_paths": ["/tmp", "/var/cache/app"],
            "image": ecs.ContainerImage.from_registry(
                cached[APP_PATH].repository_uri_for_digest(DIGEST)
            ),
            "cached_repository": cached[APP_PATH],
            "volume_permissions_image": ecs.ContainerImage.from_registry(
                cached[INIT_PATH].repository_uri_for_digest(DIGEST)
            ),
            "volume_permissions_cached_repository": cached[INIT_PATH],
            "sidecars": [
                SidecarSpec(
                    name="agent",
                    image=ecs.ContainerImage.from_registry(
                        cached[SIDECAR_PATH].repository_uri_for_digest(DIGEST)
                    ),
                    cached_repository=cached[SIDECAR_PATH],
                )
            ],
        }
        WebService(
            stack,
            f"{launch_type}web",
            props=WebServiceProps(
                **common, load_balancer=balancer, listener_priority=1, path_patterns=["/*"]
            ),
        )
        BackendService(
            stack, f"{launch_type}backend", props=BackendServiceProps(**common, discovery_name="b")
        )
        WorkerService(stack, f"{launch_type}worker", props=WorkerServiceProps(**common))
        ScheduledJob(
            stack,
            f"{launch_type}job",
            props=ScheduledJobProps(
                **{**common, "enable_execute_command": False},
                schedule=scheduler.ScheduleExpression.expression(
                    "rate(1 day)", TimeZone.of("Europe/Berlin")
                ),
            ),
        )
    return Template.from_stack(stack).to_json()["Resources"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return _build()


def _one(resources: dict[str, Any], kind: str, prefix: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical, r)
        for logical, r in resources.items()
        if r["Type"] == kind and logical.startswith(prefix)
    ]
    return found


def _containers(resources: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    _, definition = _one(resources, "AWS::ECS::TaskDefinition", prefix)
    return {c["Name"]: c for c in definition["Properties"]["ContainerDefinitions"]}


def _imports(resources: dict[str, Any], prefix: str) -> set[str]:
    """The cached repositories (upstream paths) the kind's execution role may import into."""
    role, _ = _one(resources, "AWS::IAM::Role", f"{prefix}ExecutionRole")
    found = set()
    for resource in resources.values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        if {"Ref": role} not in resource["Properties"]["Roles"]:
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            if IMPORT_UPSTREAM_IMAGE in (actions if isinstance(actions, list) else [actions]):
                text = json.dumps(statement["Resource"])
                found |= {p for p in (APP_PATH, SIDECAR_PATH, INIT_PATH) if f"/{p}" in text}
    return found


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("launch_type", LAUNCH_TYPES)
def test_every_kind_gets_the_scratch_paths_of_its_launch_type(
    resources: dict[str, Any], launch_type: str, kind: str
) -> None:
    containers = _containers(resources, f"{launch_type}{kind}")
    app = containers["app"]
    app_mounts = {m["ContainerPath"] for m in app.get("MountPoints", [])}
    if launch_type == "ec2":
        assert "volume-permissions" not in containers
        assert {t["ContainerPath"]: t["MountOptions"] for t in app["LinuxParameters"]["Tmpfs"]} == {
            path: ["uid=1000", "gid=2000", "mode=0700"] for path in ("/tmp", "/var/cache/app")
        }
        assert not {"/tmp", "/var/cache/app"} & app_mounts
    else:
        init = containers["volume-permissions"]
        assert init["Command"] == ["chown", USER, "/tmp", "/var/cache/app"]
        assert f"{PREFIX}/{INIT_PATH}@{DIGEST}" in json.dumps(init["Image"])
        assert {"/tmp", "/var/cache/app"} <= app_mounts
        assert "Tmpfs" not in app["LinuxParameters"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("launch_type", LAUNCH_TYPES)
def test_every_kind_pulls_through_the_cache_by_digest_with_its_own_grants(
    resources: dict[str, Any], launch_type: str, kind: str
) -> None:
    prefix = f"{launch_type}{kind}"
    containers = _containers(resources, prefix)
    assert f"{PREFIX}/{APP_PATH}@{DIGEST}" in json.dumps(containers["app"]["Image"])
    assert f"{PREFIX}/{SIDECAR_PATH}@{DIGEST}" in json.dumps(containers["agent"]["Image"])
    expected = {APP_PATH, SIDECAR_PATH} | ({INIT_PATH} if launch_type == "fargate" else set())
    assert _imports(resources, prefix) == expected


def test_a_task_without_cached_images_gets_no_import_grant() -> None:
    """The failing case of the grant: the same web service with images from elsewhere."""
    stack = Stack(unit_app(), "Plain", env={"account": "111122223333", "region": "us-east-1"})
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a"], nat_gateways=1)
    cluster = ServiceCluster.from_attributes(
        stack,
        "Cluster",
        cluster_name="c",
        vpc=vpc,
        launch_type="fargate",
        capacity_provider_strategy=[],
    )
    props: dict[str, Any] = {
        "cluster": cluster,
        "image": ecs.ContainerImage.from_registry("example.com/app@" + DIGEST),
    }
    WorkerService(stack, "plain", props=WorkerServiceProps(**props))
    assert TaskProps.__dataclass_fields__["cached_repository"].default is None
    assert IMPORT_UPSTREAM_IMAGE not in json.dumps(Template.from_stack(stack).to_json())
