"""The service kinds as constructs, used directly: a web service with a sidecar, a backend, a
worker scaling from zero, a scheduled job and a legacy web service with every hardening exception
(and a FireLens router) on one Fargate cluster with a Service Connect namespace, synthesized once
with every check the platform runs (cdk-nag, cdk-preflight); the container and storage settings
each kind shares; and the constructs' own input checks."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Environment, Stack, TimeZone
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_scheduler as scheduler

from app import VALIDATION_CACHE
from container_constructs.backend_service import BackendService, BackendServiceProps
from container_constructs.checks import MAX_CONTAINERS_PER_TASK_DEFINITION, MAX_SIDECARS
from container_constructs.common import LogEncryptionKey
from container_constructs.ecs_ec2_cluster import Ec2Cluster, Ec2ClusterProps
from container_constructs.ecs_fargate_cluster import FargateCluster, FargateClusterProps
from container_constructs.ecs_service_cluster import NamespaceAttributes, ServiceCluster
from container_constructs.load_balancer import SharedLoadBalancer, SharedLoadBalancerProps
from container_constructs.network import Network, NetworkProps
from container_constructs.rules import RULES, EnvironmentFacts
from container_constructs.rules.report import ACKNOWLEDGED_RULES, render
from container_constructs.scheduled_job import ScheduledJob, ScheduledJobProps
from container_constructs.sidecars import FIRELENS_IMAGE, OTEL_COLLECTOR_USER, SidecarSpec
from container_constructs.task_acknowledgements import NON_ROOT_RULE, READ_ONLY_ROOT_RULE
from container_constructs.task_definition import HardeningExceptions, ServiceTask, TaskWorkload
from container_constructs.web_service import WebService, WebServiceProps
from container_constructs.worker_scaling import BACKLOG_PER_TASK, BACKLOG_WITHOUT_TASKS
from container_constructs.worker_service import WorkerService, WorkerServiceProps
from stacks.common import StackSettings
from stacks.platform import add_validations
from tests.helpers.apps import project_app, validation_violations

ENV = Environment(account="111122223333", region="us-east-1")
IMAGE = "example.com/app:1"
REASON = "The vendor image starts as root to bind port 80 and writes its caches under /etc"


def _image() -> ecs.ContainerImage:
    return ecs.ContainerImage.from_registry(IMAGE)


class Kinds:
    """The synthesized stack (`template`), the acknowledgements by construct path and the
    validation findings."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        app = project_app(outdir)
        add_validations(
            app,
            StackSettings(
                environment="kinds",
                region=ENV.region or "us-east-1",
                retain_stateful_resources=True,
                kms_encrypted_logs=False,  # the network's flow logs are not KMS-encrypted here
            ),
            cache_directory=VALIDATION_CACHE,
        )
        stack = Stack(app, "Kinds", env=ENV)
        network = Network(
            stack,
            "Network",
            props=NetworkProps(availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=1),
        )
        key = LogEncryptionKey(stack, "LogKey").key
        cluster = FargateCluster(
            stack,
            "Cluster",
            props=FargateClusterProps(
                vpc=network.vpc,
                service_connect_namespace="kinds",
                exec_log_group_name="/aws/ecs/exec/kinds",
                log_encryption_key=key,
            ),
        )
        self.cluster = cluster.service_cluster
        balancer = SharedLoadBalancer(
            stack, "LoadBalancer", props=SharedLoadBalancerProps(vpc=network.vpc)
        )
        common: dict[str, Any] = {"cluster": self.cluster, "log_encryption_key": key}
        self.web = WebService(
            stack,
            "Web",
            props=WebServiceProps(
                **common,
                load_balancer=balancer.service_load_balancer,
                listener_priority=1,
                path_patterns=["/api/*"],
                image=_image(),
                environment={"LOG_LEVEL": "info"},
                command=["serve"],
                entry_point=["/bin/app"],
                health_check=ecs.HealthCheck(command=["CMD-SHELL", "true"]),
                stop_timeout=Duration.seconds(90),
                ephemeral_storage_gib=40,
                efs_path="/data",
                sidecars=[SidecarSpec(name="otel", preset="otel-collector")],
                depends_on={"otel": ecs.ContainerDependencyCondition.HEALTHY},
            ),
        )
        self.backend = BackendService(
            stack,
            "Orders",
            props=BackendServiceProps(**common, image=_image(), discovery_name="orders"),
        )
        self.worker = WorkerService(
            stack,
            "Worker",
            props=WorkerServiceProps(
                **common, image=_image(), min_tasks=0, max_tasks=4, max_receive_count=3
            ),
        )
        self.job = ScheduledJob(
            stack,
            "Job",
            props=ScheduledJobProps(
                **common,
                image=_image(),
                schedule=scheduler.ScheduleExpression.expression(
                    "cron(0 3 * * ? *)", TimeZone.of("Europe/Berlin")
                ),
                time_window=Duration.minutes(15),
                retry_attempts=4,
            ),
        )
        self.legacy = WebService(
            stack,
            "Legacy",
            props=WebServiceProps(
                **common,
                load_balancer=balancer.service_load_balancer,
                listener_priority=2,
                path_patterns=["/legacy/*"],
                image=_image(),
                user="0",
                container_port=80,
                exceptions=HardeningExceptions(
                    run_as_root=REASON, privileged_port=REASON, writable_root_filesystem=REASON
                ),
                sidecars=[SidecarSpec(name="log-router", preset="firelens")],
            ),
        )
        # The fullest task a config may describe: the app, its init container and every sidecar.
        self.full = WebService(
            stack,
            "Full",
            props=WebServiceProps(
                **common,
                load_balancer=balancer.service_load_balancer,
                listener_priority=3,
                path_patterns=["/full/*"],
                image=_image(),
                sidecars=[SidecarSpec(name=f"s{i}", image=_image()) for i in range(MAX_SIDECARS)],
            ),
        )
        assembly = app.synth()
        artifact = assembly.get_stack_artifact("Kinds")
        self.template: dict[str, Any] = artifact.template
        self.violations = [
            f"{v['ruleName']} at {c.get('constructPath')}"
            for v in validation_violations(outdir)
            for c in v["violatingConstructs"]
        ]
        artifact_manifest = json.loads((outdir / "manifest.json").read_text())["artifacts"]
        metadata_file = artifact_manifest["Kinds"]["additionalMetadataFile"]
        metadata = json.loads((outdir / metadata_file).read_text())
        self.acknowledged: dict[str, dict[str, str]] = {}
        for path, entries in metadata.items():
            for entry in entries:
                if entry["type"] == ACKNOWLEDGED_RULES:
                    self.acknowledged.setdefault(path.strip("/"), {}).update(entry["data"])

    def resources(self, kind: str, prefix: str = "") -> dict[str, dict[str, Any]]:
        return {
            logical: resource
            for logical, resource in self.template["Resources"].items()
            if resource["Type"] == kind and logical.startswith(prefix)
        }

    def one(self, kind: str, prefix: str) -> dict[str, Any]:
        (found,) = self.resources(kind, prefix).values()
        return dict(found["Properties"])

    def containers(self, prefix: str) -> dict[str, dict[str, Any]]:
        definition = self.one("AWS::ECS::TaskDefinition", prefix)
        return {c["Name"]: c for c in definition["ContainerDefinitions"]}

    def statements(self, role_prefix: str) -> list[dict[str, Any]]:
        return [
            statement
            for logical, policy in self.resources("AWS::IAM::Policy").items()
            if logical.startswith(role_prefix)
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> Kinds:
    return Kinds(tmp_path_factory.mktemp("kinds") / "cdk.out")


def _ref(value: Any) -> str:
    return json.dumps(value)


def test_every_kind_is_nag_and_preflight_clean(kinds: Kinds) -> None:
    assert kinds.violations == []


def test_the_most_sidecars_a_config_allows_fill_the_ecs_container_quota(kinds: Kinds) -> None:
    """The app, the volume-permissions init container and MAX_SIDECARS sidecars: ECS's quota
    exactly, so the platform rule ecs-task-container-quota (clean above) is unreachable from a
    validated config."""
    containers = kinds.containers("Full")
    assert len(containers) == MAX_CONTAINERS_PER_TASK_DEFINITION
    assert {"app", "volume-permissions"} < set(containers)


def test_the_platform_rules_find_only_the_stated_exceptions_and_the_log_router(
    kinds: Kinds,
) -> None:
    """Every finding of the platform's own container rules is on the legacy service (its
    exceptions, and FireLens's root router), where its task definition acknowledges it."""
    facts = EnvironmentFacts(kms_encrypted_logs=True, retain_stateful_resources=True)
    rule_ids = {rule.split("::")[1] for rule in (NON_ROOT_RULE, READ_ONLY_ROOT_RULE)}
    findings = {
        (finding.logical_id, finding.problem)
        for rule in RULES
        if rule.id in rule_ids
        for finding in rule.evaluate(kinds.template, facts).findings
    }
    assert {where for where, _ in findings} == {"LegacyTaskDefinitionA106A40B"}
    assert {problem.split(" (")[0] for _, problem in findings} == {
        "container app runs as root",
        "container app has a writable root filesystem",
        "container log-router runs as root",
    }
    (path,) = [p for p in kinds.acknowledged if p.endswith("Legacy/TaskDefinition")]
    acknowledged = kinds.acknowledged[path]
    assert REASON in acknowledged[NON_ROOT_RULE]
    assert "FireLens log router runs as root" in acknowledged[NON_ROOT_RULE]
    assert REASON in acknowledged[READ_ONLY_ROOT_RULE]
    others = [rules for p, rules in kinds.acknowledged.items() if "Legacy" not in p]
    assert not any(NON_ROOT_RULE in rules or READ_ONLY_ROOT_RULE in rules for rules in others)


def test_nag_report_lists_each_exception_with_its_reason(kinds: Kinds) -> None:
    """`make nag-report` prints the acknowledgements: the exceptions are among them."""
    report = render(kinds.outdir)
    for rule in (NON_ROOT_RULE, READ_ONLY_ROOT_RULE):
        (row,) = [line for line in report.splitlines() if line.startswith(rule)]
        assert "Legacy/TaskDefinition" in row
        assert REASON in row


def test_exceptions_relax_only_what_they_name(kinds: Kinds) -> None:
    app = kinds.containers("Legacy")["app"]
    assert app["User"] == "0"
    assert app["ReadonlyRootFilesystem"] is False
    dropped = app["LinuxParameters"]["Capabilities"]["Drop"]
    assert "NET_BIND_SERVICE" not in dropped
    assert {"CHOWN", "SETUID", "NET_RAW"} <= set(dropped)
    assert app["Privileged"] is False
    assert "volume-permissions" not in kinds.containers("Legacy")  # root owns its volumes
    egress = kinds.one("AWS::EC2::SecurityGroupEgress", "LegacyAlbEgressToPrivilegedPort")
    assert (egress["FromPort"], egress["ToPort"]) == (80, 80)
    web = kinds.containers("Web")["app"]
    assert web["User"] == "1000"
    assert web["ReadonlyRootFilesystem"] is True
    assert web["LinuxParameters"]["Capabilities"]["Drop"] == ["ALL"]


def test_container_settings(kinds: Kinds) -> None:
    app = kinds.containers("Web")["app"]
    assert app["Environment"] == [{"Name": "LOG_LEVEL", "Value": "info"}]
    assert app["Command"] == ["serve"]
    assert app["EntryPoint"] == ["/bin/app"]
    assert app["HealthCheck"]["Command"] == ["CMD-SHELL", "true"]
    assert app["StopTimeout"] == 90
    assert app["DependsOn"][-1] == {"ContainerName": "otel", "Condition": "HEALTHY"}
    definition = kinds.one("AWS::ECS::TaskDefinition", "Web")
    assert definition["EphemeralStorage"] == {"SizeInGiB": 40}


def test_otel_collector_sidecar_is_hardened_and_granted_only_traces_and_its_log_group(
    kinds: Kinds,
) -> None:
    otel = kinds.containers("Web")["otel"]
    assert otel["User"] == OTEL_COLLECTOR_USER
    assert otel["ReadonlyRootFilesystem"] is True
    assert otel["Privileged"] is False
    assert otel["LinuxParameters"]["Capabilities"]["Drop"] == ["ALL"]
    assert otel["HealthCheck"]["Command"] == ["CMD", "/healthcheck"]
    (config,) = [e for e in otel["Environment"] if e["Name"] == "AOT_CONFIG_CONTENT"]
    assert "awsxray" in _ref(config)
    assert "WebLogGroup" in _ref(config)
    assert otel["LogConfiguration"]["Options"]["awslogs-stream-prefix"] == "otel"
    statements = kinds.statements("WebTaskRole")
    (xray,) = [s for s in statements if "xray:PutTraceSegments" in s["Action"]]
    assert xray["Resource"] == "*"
    assert "xray:PutTelemetryRecords" in xray["Action"]
    assert "xray:" not in _ref(kinds.statements("OrdersTaskRole"))  # no collector, no X-Ray
    logs = [s for s in statements if "logs:PutLogEvents" in _ref(s["Action"])]
    # its own log group, and (ECS Exec's grant) the cluster's session log group
    resources = sorted(_ref(s["Resource"]) for s in logs)
    assert len(resources) == 2
    assert resources[0].startswith('{"Fn::GetAtt": ["WebLogGroup')
    assert "ClusterExecLogGroup" in resources[1]


def test_firelens_router_routes_the_app_logs_to_the_service_log_group(kinds: Kinds) -> None:
    containers = kinds.containers("Legacy")
    router = containers["log-router"]
    assert router["Image"] == FIRELENS_IMAGE
    assert router["FirelensConfiguration"]["Type"] == "fluentbit"
    assert router["User"] == "0"
    assert router["ReadonlyRootFilesystem"] is True
    assert router["LinuxParameters"]["Capabilities"]["Drop"] == ["ALL"]
    logging = containers["app"]["LogConfiguration"]
    assert logging["LogDriver"] == "awsfirelens"
    assert logging["Options"]["Name"] == "cloudwatch_logs"
    assert "LegacyLogGroup" in _ref(logging["Options"]["log_group_name"])


def test_efs_storage_is_encrypted_private_and_mounted_through_its_access_point_with_iam_and_tls(
    kinds: Kinds,
) -> None:
    file_system = kinds.one("AWS::EFS::FileSystem", "WebFileSystem")
    assert file_system["Encrypted"] is True
    assert file_system["BackupPolicy"] == {"Status": "ENABLED"}  # RETAIN: the default
    assert "aws:SecureTransport" in _ref(file_system["FileSystemPolicy"])
    (resource,) = kinds.resources("AWS::EFS::FileSystem", "WebFileSystem").values()
    assert resource["DeletionPolicy"] == "Retain"
    point = kinds.one("AWS::EFS::AccessPoint", "WebFileSystem")
    assert point["PosixUser"] == {"Uid": "1000", "Gid": "1000"}
    assert point["RootDirectory"]["CreationInfo"]["OwnerUid"] == "1000"
    (volume,) = [
        v for v in kinds.one("AWS::ECS::TaskDefinition", "Web")["Volumes"] if v["Name"] == "efs"
    ]
    configuration = volume["EFSVolumeConfiguration"]
    assert configuration["TransitEncryption"] == "ENABLED"
    assert configuration["AuthorizationConfig"]["IAM"] == "ENABLED"
    mounts = {m["ContainerPath"] for m in kinds.containers("Web")["app"]["MountPoints"]}
    assert "/data" in mounts
    (grant,) = [s for s in kinds.statements("WebTaskRole") if "ClientMount" in _ref(s)]
    assert grant["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert "elasticfilesystem:AccessPointArn" in grant["Condition"]["StringEquals"]
    group = kinds.one("AWS::EC2::SecurityGroup", "WebFileSystemSecurityGroup")
    assert "SecurityGroupIngress" not in group
    ingress = kinds.one("AWS::EC2::SecurityGroupIngress", "WebFileSystemSecurityGroup")
    assert (ingress["FromPort"], ingress["ToPort"]) == (2049, 2049)
    assert "WebSecurityGroup" in _ref(ingress["SourceSecurityGroupId"])


def test_backend_is_a_service_connect_server_reachable_only_from_clients(kinds: Kinds) -> None:
    service = kinds.one("AWS::ECS::Service", "Orders")
    connect = service["ServiceConnectConfiguration"]
    assert connect["Enabled"] is True
    assert "ServiceConnectNamespace" in _ref(connect["Namespace"])
    assert connect["Services"] == [
        {
            "ClientAliases": [{"DnsName": "orders", "Port": 8080}],
            "DiscoveryName": "orders",
            "PortName": "http",
        }
    ]
    assert not service.get("LoadBalancers")
    groups = _ref(service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"])
    assert "ServiceConnectClients" in groups
    ingress = kinds.resources("AWS::EC2::SecurityGroupIngress", "Orders")
    (rule,) = [r["Properties"] for r in ingress.values()]
    assert (rule["FromPort"], rule["ToPort"]) == (8080, 8080)
    assert "ServiceConnectClients" in _ref(rule["SourceSecurityGroupId"])
    namespace = kinds.one("AWS::ServiceDiscovery::HttpNamespace", "ClusterServiceConnect")
    assert namespace["Name"] == "kinds"


def test_every_kind_exposes_its_task_under_the_same_names(kinds: Kinds) -> None:
    """Web, backend, worker and job hand out what build_task made (TaskWorkload), the init
    container that chowns the scratch volumes included (only the web service exposed it)."""
    for workload in (kinds.web, kinds.backend, kinds.worker, kinds.job):
        assert workload.container.container_name == "app"
        assert workload.container.task_definition is workload.task_definition
        assert workload.task_definition.task_role is workload.task_role
        assert workload.task_definition.execution_role is workload.execution_role
        init = workload.volume_permissions_container
        assert init is not None
        assert init.container_name == "volume-permissions"
        assert init.task_definition is workload.task_definition
        assert workload.log_group.node.scope is workload
    declared = set(TaskWorkload.__annotations__)
    assert declared == {made.name for made in dataclasses.fields(ServiceTask)}
    assert set(kinds.web.sidecars) == {"otel"}
    assert dict(kinds.worker.sidecars) == {}


def test_web_and_worker_are_service_connect_clients(kinds: Kinds) -> None:
    for prefix in ("Web", "Worker"):
        connect = kinds.one("AWS::ECS::Service", prefix)["ServiceConnectConfiguration"]
        assert connect["Enabled"] is True
        assert "Services" not in connect


def test_worker_owns_an_encrypted_queue_with_a_dead_letter_queue_and_consumes_only_it(
    kinds: Kinds,
) -> None:
    queues = kinds.resources("AWS::SQS::Queue", "Worker")
    main = kinds.one("AWS::SQS::Queue", "WorkerQueue")
    assert main["SqsManagedSseEnabled"] is True
    assert main["RedrivePolicy"]["maxReceiveCount"] == 3
    assert "WorkerDeadLetterQueue" in _ref(main["RedrivePolicy"]["deadLetterTargetArn"])
    assert len(queues) == 2
    assert all(q["Properties"]["SqsManagedSseEnabled"] for q in queues.values())
    policies = kinds.resources("AWS::SQS::QueuePolicy", "Worker")
    assert len(policies) == 2
    assert all("aws:SecureTransport" in _ref(p) for p in policies.values())
    statements = [s for s in kinds.statements("WorkerTaskRole") if "sqs:" in _ref(s["Action"])]
    assert {a for s in statements for a in s["Action"]} == {
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }
    assert all("WorkerQueue" in _ref(s["Resource"]) for s in statements)
    app = kinds.containers("Worker")["app"]
    assert "PortMappings" not in app
    assert [e["Name"] for e in app["Environment"]] == ["QUEUE_URL"]
    group = kinds.one("AWS::EC2::SecurityGroup", "WorkerSecurityGroup")
    assert "SecurityGroupIngress" not in group


def test_worker_scales_on_backlog_per_task_and_from_zero(kinds: Kinds) -> None:
    target = kinds.one("AWS::ApplicationAutoScaling::ScalableTarget", "Worker")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 4)
    policies = kinds.resources("AWS::ApplicationAutoScaling::ScalingPolicy", "Worker")
    by_type = {p["Properties"]["PolicyType"]: p["Properties"] for p in policies.values()}
    tracking = by_type["TargetTrackingScaling"]["TargetTrackingScalingPolicyConfiguration"]
    metrics = {m["Id"]: m for m in tracking["CustomizedMetricSpecification"]["Metrics"]}
    assert metrics["backlog"]["Expression"] == BACKLOG_PER_TASK
    assert metrics["messages"]["MetricStat"]["Metric"]["MetricName"] == (
        "ApproximateNumberOfMessagesVisible"
    )
    assert metrics["running"]["MetricStat"]["Metric"]["Namespace"] == "ECS/ContainerInsights"
    assert tracking["TargetValue"] == 10
    step = by_type["StepScaling"]["StepScalingPolicyConfiguration"]
    assert step["AdjustmentType"] == "ExactCapacity"
    assert step["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]
    alarm = kinds.one("AWS::CloudWatch::Alarm", "Worker")
    (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
    assert expression["Expression"] == BACKLOG_WITHOUT_TASKS
    assert alarm["Threshold"] == 1


def test_job_is_a_schedule_running_its_task_with_a_least_privilege_role(kinds: Kinds) -> None:
    assert not kinds.resources("AWS::ECS::Service", "Job")
    schedule = kinds.one("AWS::Scheduler::Schedule", "Job")
    assert schedule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert schedule["FlexibleTimeWindow"] == {"MaximumWindowInMinutes": 15, "Mode": "FLEXIBLE"}
    target = schedule["Target"]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 4}
    assert "JobDeadLetterQueue" in _ref(target["DeadLetterConfig"])
    assert "JobTaskDefinition" in _ref(target["EcsParameters"]["TaskDefinitionArn"])
    network = target["EcsParameters"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    statements = kinds.statements("JobSchedulerRole")
    assert {s["Action"] for s in statements} == {"iam:PassRole", "ecs:RunTask", "sqs:SendMessage"}
    run = next(s for s in statements if s["Action"] == "ecs:RunTask")
    assert run["Resource"] == {
        "Ref": next(iter(kinds.resources("AWS::ECS::TaskDefinition", "Job")))
    }
    passed = next(s for s in statements if s["Action"] == "iam:PassRole")
    assert sorted(r["Fn::GetAtt"][0][:7] for r in passed["Resource"]) == ["JobExec", "JobTask"]
    role = kinds.one("AWS::IAM::Role", "JobSchedulerRole")
    assert "aws:SourceAccount" in _ref(role["AssumeRolePolicyDocument"])


def test_imported_cluster_keeps_its_namespace() -> None:
    """A services stack of another stack's cluster joins the namespace it imports by
    attributes (what a services stack of the platform does)."""
    app = project_app()
    producer = Stack(app, "Producer", env=ENV)
    vpc = ec2.Vpc(producer, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=1)
    cluster = FargateCluster(
        producer, "Cluster", props=FargateClusterProps(vpc=vpc, service_connect_namespace="imp")
    ).service_cluster
    consumer = Stack(app, "Consumer", env=ENV)
    attributes = NamespaceAttributes.of(cluster)
    assert attributes is not None
    imported = ServiceCluster.from_attributes(
        consumer,
        "Cluster",
        cluster_name=cluster.cluster.cluster_name,
        vpc=vpc,
        launch_type="fargate",
        capacity_provider_strategy=cluster.capacity_provider_strategy,
        namespace=attributes,
    )
    BackendService(
        consumer,
        "Orders",
        props=BackendServiceProps(cluster=imported, image=_image(), discovery_name="orders"),
    )
    template = app.synth().get_stack_artifact("Consumer").template
    (service,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::Service"]
    namespace = service["Properties"]["ServiceConnectConfiguration"]["Namespace"]
    assert "Fn::ImportValue" in namespace
    assert (
        NamespaceAttributes.of(
            ServiceCluster(
                cluster=cluster.cluster, launch_type="fargate", capacity_provider_strategy=[]
            )
        )
        is None
    )


def _ec2_cluster() -> tuple[Stack, ServiceCluster]:
    app = project_app()
    stack = Stack(app, "Checks", env=ENV)
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=1)
    cluster = Ec2Cluster(
        stack, "Cluster", props=Ec2ClusterProps(vpc=vpc, instance_types=["t3.small"])
    )
    return stack, cluster.service_cluster


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda s, c: BackendService(
                s, "B", props=BackendServiceProps(cluster=c, image=_image(), discovery_name="b")
            ),
            "BackendService: the cluster has no Service Connect namespace",
        ),
        (
            lambda s, c: WorkerService(
                s, "W", props=WorkerServiceProps(cluster=c, image=_image(), user="0")
            ),
            "WorkerService: user '0' is root; give a non-root uid",
        ),
        (
            lambda s, c: WorkerService(
                s,
                "W",
                props=WorkerServiceProps(cluster=c, image=_image(), ephemeral_storage_gib=30),
            ),
            "WorkerService: ephemeral_storage_gib is a Fargate setting of 21-200 GiB",
        ),
        (
            lambda s, c: WorkerService(
                s,
                "W",
                props=WorkerServiceProps(cluster=c, image=_image(), min_tasks=3, max_tasks=2),
            ),
            "WorkerService: min_tasks (3) exceeds max_tasks (2)",
        ),
        (
            lambda s, c: ScheduledJob(
                s,
                "J",
                props=ScheduledJobProps(
                    cluster=c,
                    image=_image(),
                    schedule=scheduler.ScheduleExpression.expression("rate(1 day)"),
                    enable_execute_command=True,
                ),
            ),
            "ScheduledJob: ECS Exec is for services",
        ),
        (
            lambda s, c: ScheduledJob(
                s,
                "J",
                props=ScheduledJobProps(
                    cluster=c,
                    image=_image(),
                    schedule=scheduler.ScheduleExpression.expression("rate(1 day)"),
                    retry_attempts=200,
                ),
            ),
            "ScheduledJob: retry_attempts must be 0-185",
        ),
        (
            lambda s, c: WorkerService(
                s,
                "W",
                props=WorkerServiceProps(
                    cluster=c,
                    image=_image(),
                    sidecars=[SidecarSpec(name="a", preset="firelens")] * 2,
                ),
            ),
            "WorkerService: sidecar names ['a', 'a'] must be unique",
        ),
    ],
)
def test_constructs_refuse_bad_props(build: Any, message: str) -> None:
    stack, cluster = _ec2_cluster()
    with pytest.raises(
        ValueError,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]"),
    ):
        build(stack, cluster)
