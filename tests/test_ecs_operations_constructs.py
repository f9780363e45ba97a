"""The day-two constructs used directly: a web service on an ECS Managed Instances cluster,
released as a canary behind the ALB's test listener, with its alarms on an encrypted topic and the
cluster's dashboard, synthesized nag-clean in one app."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template
from constructs import Construct

from container_constructs.alarm_topic import AlarmTopic, AlarmTopicProps
from container_constructs.cluster_dashboard import (
    ClusterDashboard,
    ClusterDashboardProps,
    DashboardService,
)
from container_constructs.ecs_managed_instances import (
    ManagedInstancesCluster,
    ManagedInstancesClusterProps,
)
from container_constructs.load_balancer import SharedLoadBalancer, SharedLoadBalancerProps
from container_constructs.service_alarms import (
    ALARM_KINDS,
    JOB_ALARM_KINDS,
    WORKER_ALARM_KINDS,
    ServiceAlarms,
    ServiceAlarmsProps,
    add_queue_alarms,
    alarm_names,
    load_balancer_full_name,
)
from container_constructs.service_release import ServiceReleaseProps
from container_constructs.web_service import WebService, WebServiceProps
from tests.helpers.apps import project_app, unit_app, validation_violations

PREFIX = "test-web"
CANARY = ServiceReleaseProps(
    strategy="canary",
    bake_time=Duration.minutes(3),
    step_percent=10.0,
    step_bake_time=Duration.minutes(3),
)


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[Any]]:
    outdir = tmp_path_factory.mktemp("operations") / "cdk.out"
    app = project_app(outdir, nag=True)
    stack = Stack(app, "Ops", env=Environment(account="111122223333", region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=1)
    cluster = ManagedInstancesCluster(
        stack, "Cluster", props=ManagedInstancesClusterProps(vpc=vpc, cpu_architecture="arm64")
    )
    balancer = SharedLoadBalancer(stack, "Alb", props=SharedLoadBalancerProps(vpc=vpc))
    topic = AlarmTopic(stack, "AlarmTopic", props=AlarmTopicProps(emails=["ops@example.com"]))
    web = WebService(
        stack,
        "Web",
        props=WebServiceProps(
            cluster=cluster.service_cluster,
            load_balancer=balancer.service_load_balancer,
            listener_priority=7,
            path_patterns=["/*"],
            image=ecs.ContainerImage.from_registry("example.com/app:1"),
            release=CANARY,
        ),
    )
    assert web.alternate is not None
    ServiceAlarms(
        web,
        "Alarms",
        props=ServiceAlarmsProps(
            service=web.service,
            target_groups=[web.target_group, web.alternate.target_group],
            load_balancer_full_name=load_balancer_full_name(balancer.listener.listener_arn),
            topic=topic.topic,
            name_prefix=PREFIX,
        ),
    )
    ClusterDashboard(
        stack,
        "Dashboard",
        props=ClusterDashboardProps(
            dashboard_name="test-cluster",
            cluster_name=cluster.cluster.cluster_name,
            load_balancer_full_names=[balancer.load_balancer.load_balancer_full_name],
            services=[DashboardService(name="web", alarm_names=alarm_names(PREFIX))],
        ),
    )
    assembly = app.synth()
    return assembly.get_stack_by_name("Ops").template, validation_violations(Path(outdir))


def test_managed_instances_cluster_with_a_canary_web_service_is_nag_clean(
    synthesized: tuple[dict[str, Any], list[Any]],
) -> None:
    _template, violations = synthesized
    findings = [
        f"{v['ruleName']} at {c['constructPath']}"
        for v in violations
        for c in v.get("violatingConstructs", [])
        if not c["constructPath"].startswith("Ops/Vpc/")  # the test's own bare VPC
    ]
    assert findings == []


def test_managed_instances_capacity_runs_the_task_definition(
    synthesized: tuple[dict[str, Any], list[Any]],
) -> None:
    template, _ = synthesized
    (provider,) = _resources(template, "AWS::ECS::CapacityProvider").values()
    managed = provider["Properties"]["ManagedInstancesProvider"]
    requirements = managed["InstanceLaunchTemplate"]["InstanceRequirements"]
    assert requirements["CpuManufacturers"] == ["amazon-web-services"]
    assert requirements["VCpuCount"] == {"Min": 2, "Max": 8}
    (task,) = _resources(template, "AWS::ECS::TaskDefinition").values()
    assert task["Properties"]["RequiresCompatibilities"] == ["MANAGED_INSTANCES"]
    assert task["Properties"]["NetworkMode"] == "awsvpc"
    (service,) = _resources(template, "AWS::ECS::Service").values()
    strategy = service["Properties"]["CapacityProviderStrategy"]
    assert strategy[0]["CapacityProvider"] == {"Ref": next(iter(_resources(
        template, "AWS::ECS::CapacityProvider")))}  # fmt: skip
    assert "PlatformVersion" not in service["Properties"]


def test_canary_release_has_an_alternate_target_and_a_test_rule_on_the_test_listener(
    synthesized: tuple[dict[str, Any], list[Any]],
) -> None:
    template, _ = synthesized
    (service,) = _resources(template, "AWS::ECS::Service").values()
    deployment = service["Properties"]["DeploymentConfiguration"]
    assert deployment["Strategy"] == "CANARY"
    assert deployment["CanaryConfiguration"] == {"CanaryPercent": 10, "CanaryBakeTimeInMinutes": 3}
    assert deployment["BakeTimeInMinutes"] == 3
    assert deployment["Alarms"] == {
        "AlarmNames": [f"{PREFIX}-5xx", f"{PREFIX}-p99"],
        "Enable": True,
        "Rollback": True,
    }
    advanced = service["Properties"]["LoadBalancers"][0]["AdvancedConfiguration"]
    assert set(advanced) == {
        "AlternateTargetGroupArn",
        "ProductionListenerRule",
        "TestListenerRule",
        "RoleArn",
    }
    rules = _resources(template, "AWS::ElasticLoadBalancingV2::ListenerRule")
    production = rules[advanced["ProductionListenerRule"]["Ref"]]["Properties"]
    test = rules[advanced["TestListenerRule"]["Ref"]]["Properties"]
    assert production["Priority"] == test["Priority"] == 7
    assert production["Conditions"] == test["Conditions"]
    assert production["ListenerArn"] != test["ListenerArn"]
    listeners = _resources(template, "AWS::ElasticLoadBalancingV2::Listener")
    assert listeners[test["ListenerArn"]["Ref"]]["Properties"]["Port"] == 8080
    ingress = _resources(template, "AWS::EC2::SecurityGroup")
    rules_8080 = [
        rule
        for group in ingress.values()
        for rule in group["Properties"].get("SecurityGroupIngress", [])
        if rule.get("FromPort") == 8080 and "CidrIp" in rule
    ]
    assert rules_8080
    assert all(rule["CidrIp"] != "0.0.0.0/0" for rule in rules_8080)


def test_every_alarm_notifies_the_encrypted_topic_on_alarm_and_ok(
    synthesized: tuple[dict[str, Any], list[Any]],
) -> None:
    template, _ = synthesized
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    assert sorted(a["Properties"]["AlarmName"] for a in alarms.values()) == sorted(
        alarm_names(PREFIX).values()
    )
    (topic_id,) = _resources(template, "AWS::SNS::Topic")
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["OKActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"
    (topic,) = _resources(template, "AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]
    (subscription,) = _resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    (key,) = _resources(template, "AWS::KMS::Key").values()
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in statements)


def test_the_5xx_alarm_adds_up_both_target_groups(
    synthesized: tuple[dict[str, Any], list[Any]],
) -> None:
    template, _ = synthesized
    (rate,) = [
        a for a in _resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"] == f"{PREFIX}-5xx"
    ]  # fmt: skip
    expression = next(m for m in rate["Properties"]["Metrics"] if "Expression" in m)
    assert "FILL(e0,0)+FILL(e1,0)" in expression["Expression"]
    assert "FILL(r0,0)+FILL(r1,0)" in expression["Expression"]


def test_dashboard_shows_every_alarm_and_searches_the_cluster(
    synthesized: tuple[dict[str, Any], list[Any]],
) -> None:
    template, _ = synthesized
    (dashboard,) = _resources(template, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for kind in ALARM_KINDS:
        assert f"alarm:{PREFIX}-{kind}" in body
    for metric in ("CPUUtilization", "MemoryUtilization", "RunningTaskCount", "RequestCount"):
        assert f'MetricName=\\\\\\"{metric}' in body or f'MetricName=\\\\"{metric}' in body


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (ServiceReleaseProps(strategy="swap"), "strategy 'swap'; allowed: rolling, blue_green"),  # type: ignore[arg-type]
        (ServiceReleaseProps(strategy="rolling", step_percent=10.0), "canary/linear only"),
        (ServiceReleaseProps(strategy="linear", step_percent=2.9), "allowed: 3.0 to 100.0"),
        (ServiceReleaseProps(strategy="canary", step_percent=0.05), "allowed: 0.1 to 100.0"),
        (ServiceReleaseProps(strategy="linear", step_percent=33.3), "nearest accepted: 33.2 or"),
    ],
)
def test_release_props_refuse_what_ecs_or_the_linter_would(
    props: ServiceReleaseProps, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        props.service_props()


def test_a_traffic_shifting_release_needs_a_test_listener() -> None:
    app = project_app()
    stack = Stack(app, "NoTest", env=Environment(account="111122223333", region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=1)
    cluster = ManagedInstancesCluster(stack, "Cluster", props=ManagedInstancesClusterProps(vpc=vpc))
    balancer = SharedLoadBalancer(
        stack, "Alb", props=SharedLoadBalancerProps(vpc=vpc, test_listener=False)
    )
    with pytest.raises(ValueError, match="needs the ALB's test listener"):
        WebService(
            stack,
            "Web",
            props=WebServiceProps(
                cluster=cluster.service_cluster,
                load_balancer=balancer.service_load_balancer,
                listener_priority=1,
                path_patterns=["/*"],
                image=ecs.ContainerImage.from_registry("example.com/app:1"),
                release=ServiceReleaseProps(strategy="blue_green"),
            ),
        )


def test_worker_and_job_alarms_watch_queue_age_and_dead_letters() -> None:
    app = project_app()
    stack = Stack(app, "Queues", env=Environment(account="111122223333", region="us-east-1"))
    topic = sns.Topic(stack, "Topic")
    dead = sqs.Queue(stack, "Dead")
    worker = add_queue_alarms(
        stack,
        topic=topic,
        name_prefix="w",
        queue=sqs.Queue(stack, "Work"),
        dead_letter_queue=dead,
        max_age_seconds=600,
    )
    job_scope = Construct(stack, "Job")
    job = add_queue_alarms(job_scope, topic=topic, name_prefix="j", dead_letter_queue=dead)
    assert tuple(worker) == WORKER_ALARM_KINDS
    assert tuple(job) == JOB_ALARM_KINDS
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "w-queue-age",
            "MetricName": "ApproximateAgeOfOldestMessage",
            "Threshold": 600,
            "EvaluationPeriods": 3,
        },
    )
    for name in ("w-dead-letters", "j-failed-invocations"):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "AlarmName": name,
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Threshold": 0,
                "EvaluationPeriods": 1,
                "AlarmActions": [{"Ref": Match.string_like_regexp("Topic")}],
            },
        )


def test_alarm_resource_writes_a_percentile_as_extended_statistic_and_an_expression_first() -> None:
    """The two shapes `alarm_resource.add_alarm` writes, as aws-cdk-lib's `Alarm` writes them."""
    from aws_cdk.assertions import Template

    from container_constructs.alarm_resource import (
        AT_LEAST,
        AlarmExpression,
        AlarmMetric,
        AlarmSpec,
        add_alarm,
    )

    stack = Stack(unit_app(), "Alarms")
    latency = AlarmMetric(
        namespace="AWS/ApplicationELB",
        metric_name="TargetResponseTime",
        dimensions=(("TargetGroup", "tg"),),
        statistic="p99",
    )
    add_alarm(stack, "Slow", AlarmSpec(name="slow", description="d", metric=latency,
              threshold=2, comparison_operator=AT_LEAST, evaluation_periods=3),
              topic_arn="arn:aws:sns:us-east-1:111122223333:t")  # fmt: skip
    gap = AlarmExpression(expression="a - b", label="gap", metrics={"a": latency, "b": latency})
    add_alarm(stack, "Gap", AlarmSpec(name="gap", description="d", metric=gap, threshold=1,
              comparison_operator=AT_LEAST, evaluation_periods=2),
              topic_arn="arn:aws:sns:us-east-1:111122223333:t")  # fmt: skip
    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    slow = alarms[next(key for key in alarms if key.startswith("Slow"))]["Properties"]
    assert (slow["ExtendedStatistic"], slow["Period"], "Statistic" in slow) == ("p99", 60, False)
    assert slow["OKActions"] == slow["AlarmActions"] == ["arn:aws:sns:us-east-1:111122223333:t"]
    assert slow["TreatMissingData"] == "notBreaching"
    metrics = alarms[next(key for key in alarms if key.startswith("Gap"))]["Properties"]["Metrics"]
    assert [(m["Id"], m["ReturnData"]) for m in metrics] == [
        ("expr_1", True), ("a", False), ("b", False)
    ]  # fmt: skip
    assert metrics[1]["MetricStat"]["Stat"] == "p99"
