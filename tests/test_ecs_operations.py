"""Day two in the shipped environments: every service's alarms on the environment's one encrypted
topic, its deployment alarms with rollback, each cluster's dashboard, production's traffic-shifting
releases, and the release time computed from the templates (benchmarks/release_time.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from benchmarks.release_time import release_times, service_release_time
from container_constructs.service_alarms import ALARM_KINDS, RELEASE_ALARM_KINDS
from platform_config import load_config
from stacks import names
from tests.helpers.apps import RECORD
from tests.helpers.assembly import Assembly


def _of_type(assembly: Assembly, kind: str) -> dict[str, dict[str, Any]]:
    return {
        f"{stack}/{logical_id}": resource
        for stack in assembly.stack_templates
        for logical_id, resource in assembly.template_json(stack)["Resources"].items()
        if resource["Type"] == kind
    }


def _service_names(assembly: Assembly) -> list[tuple[str, str, str]]:
    """(kind, stack name, service name) of every ECS service of the environment's config."""
    config = load_config(assembly.environment, config_dir=RECORD)
    return [
        (
            kind,
            names.stack_id(config.name, names.ecs_services_unit(kind, cluster.stack_of(service))),
            service.name,
        )
        for kind, cluster in config.ecs.enabled_clusters.items()
        for service in cluster.services.values()
    ]


def test_one_encrypted_alarm_topic_per_environment(assembly: Assembly) -> None:
    topics = _of_type(assembly, "AWS::SNS::Topic")
    assert len(topics) == 1
    (path, topic), = topics.items()  # fmt: skip
    assert path.startswith(assembly.stack_name(names.ALARMS_UNIT) + "/")
    assert "KmsMasterKeyId" in topic["Properties"]
    assert topic["Properties"]["TopicName"] == names.alarm_topic_name(assembly.environment)


def test_every_service_has_its_alarms_on_the_topic(assembly: Assembly) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in _of_type(assembly, "AWS::CloudWatch::Alarm").values()
        if "AlarmName" in a["Properties"]
    }
    services = _service_names(assembly)
    assert services
    for _kind, stack, service in services:
        prefix = names.service_alarm_prefix(stack, service)
        for kind in ALARM_KINDS:
            alarm = alarms[f"{prefix}-{kind}"]
            action = json.dumps(alarm["AlarmActions"])
            assert f":{names.alarm_topic_name(assembly.environment)}" in action
            assert alarm["OKActions"] == alarm["AlarmActions"]


def test_every_service_rolls_back_on_its_deployment_alarms(assembly: Assembly) -> None:
    services = _of_type(assembly, "AWS::ECS::Service")
    assert services
    for service in services.values():
        deployment = service["Properties"]["DeploymentConfiguration"]
        assert deployment["Alarms"]["Enable"]
        assert deployment["Alarms"]["Rollback"]
        assert [name.rsplit("-", 1)[1] for name in deployment["Alarms"]["AlarmNames"]] == list(
            RELEASE_ALARM_KINDS
        )
        assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}


def test_each_cluster_has_a_dashboard_with_its_services_alarms(assembly: Assembly) -> None:
    dashboards = _of_type(assembly, "AWS::CloudWatch::Dashboard")
    config = load_config(assembly.environment, config_dir=RECORD)
    assert len(dashboards) == len(config.ecs.enabled_clusters)
    bodies = json.dumps(list(dashboards.values()))
    for _kind, stack, service in _service_names(assembly):
        assert f"alarm:{names.service_alarm_prefix(stack, service)}-5xx" in bodies


@pytest.mark.parametrize(
    ("environment", "strategies"), [("sandbox", {"ROLLING"}), ("production", {"CANARY"})]
)
def test_sandbox_rolls_and_production_releases_canaries_through_the_test_listener(
    assemblies: dict[str, Assembly], environment: str, strategies: set[str]
) -> None:
    services = _of_type(assemblies[environment], "AWS::ECS::Service")
    found = {s["Properties"]["DeploymentConfiguration"]["Strategy"] for s in services.values()}
    assert found == strategies
    for service in services.values():
        advanced = service["Properties"]["LoadBalancers"][0].get("AdvancedConfiguration")
        assert (advanced is not None) == (strategies != {"ROLLING"})


def test_a_one_task_sandbox_release_takes_at_most_two_minutes(sandbox: Assembly) -> None:
    times = release_times(sandbox.outdir)
    assert times
    assert all(t.strategy == "rolling" for t in times)
    assert max(t.complete for t in times) <= 120


def test_production_bakes_only_what_its_alarms_need(production: Assembly) -> None:
    """Canary: one alarm window at 10 %, one after the shift, then drain and stop."""
    for t in release_times(production.outdir):
        assert t.strategy == "canary"
        assert t.serving == 30 + 15 * 2 + 3 * 60
        assert t.complete == t.serving + 3 * 60 + 30 + 30


def _template(deployment: dict[str, Any], **group: Any) -> dict[str, Any]:
    return {
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "DesiredCount": 2,
                "DeploymentConfiguration": deployment,
                "LoadBalancers": [{"TargetGroupArn": {"Ref": "Group"}}],
                "TaskDefinition": {"Ref": "Task"},
            },
        },
        "Group": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": group},
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"ContainerDefinitions": [{"StopTimeout": 10}, {}]},
        },
    }


@pytest.mark.parametrize(
    ("deployment", "serving", "complete"),
    [
        # ELB defaults: healthy after 30 s x 5, drain 300 s; stop 30 s (the larger timeout).
        ({}, 30 + 150, 30 + 150 + 300 + 30),
        ({"MaximumPercent": 150, "MinimumHealthyPercent": 100}, 2 * 180 + 330, 690 + 330),
        ({"Strategy": "BLUE_GREEN"}, 180, 180 + 900 + 330),
        ({"Strategy": "BLUE_GREEN", "BakeTimeInMinutes": 5}, 180, 180 + 300 + 330),
        (
            {"Strategy": "CANARY", "BakeTimeInMinutes": 2,
             "CanaryConfiguration": {"CanaryPercent": 5, "CanaryBakeTimeInMinutes": 4}},
            180 + 240, 420 + 120 + 330,
        ),
        (
            {"Strategy": "LINEAR", "BakeTimeInMinutes": 1,
             "LinearConfiguration": {"StepPercent": 20, "StepBakeTimeInMinutes": 2}},
            180 + 4 * 120, 660 + 60 + 330,
        ),
    ],
)  # fmt: skip
def test_release_time_formula_per_strategy(
    deployment: dict[str, Any], serving: int, complete: int
) -> None:
    time = service_release_time("stack", "Service", _template(deployment))
    assert (time.serving, time.complete) == (serving, complete)


def test_release_time_reads_the_target_group() -> None:
    template = _template(
        {},
        HealthCheckIntervalSeconds=10,
        HealthyThresholdCount=3,
        TargetGroupAttributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "20"}],
    )
    time = service_release_time("stack", "Service", template)
    assert (time.serving, time.complete) == (30 + 30, 60 + 20 + 30)
