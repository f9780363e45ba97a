"""tools/verify/ (`make verify`): discovery from the deployed stacks and every check, on moto in
process (its CloudFormation, ECS, ELBv2, EKS), with botocore's Stubber where moto has no such data
(a steady ECS service, healthy targets, add-on states), and a loopback HTTP server for the URLs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from platform_config import load_config
from platform_config.environments import SAMPLE_IMAGE
from stacks import names
from tests.helpers.apps import ROOT
from tools.verify.deployed import DeployedStack, deployed_stacks
from tools.verify.deployment import main, refused_call_fails, url_skip_reason, verify
from tools.verify.report import FAIL, OK, SKIP, Check, Report
from tools.verify.resources import (
    check_clusters,
    check_eks,
    check_target_groups,
    scaling_minimum,
    service_problems,
)
from tools.verify.urls import check_urls, health_url, probe_url

REGION = "us-east-1"
SERVICES_STACK = names.stack_id("sandbox", names.ecs_services_unit("fargate", 1))
EKS_STACK = names.stack_id("sandbox", names.EKS_UNIT)
CLUSTER = names.eks_cluster_name("sandbox")
IMAGE = SAMPLE_IMAGE


class StubbedSession:
    """A session whose clients are moto's, but for the given (stubbed) ones."""

    def __init__(self, session: boto3.Session, **clients: Any) -> None:
        self.session = session
        self.clients = clients

    def client(self, service: str, region_name: str | None = None) -> Any:
        return self.clients.get(service) or self.session.client(service, region_name=region_name)


def _ecs_template(desired: int = 2, url: str = "http://example.invalid/") -> dict[str, Any]:
    return {
        "Resources": {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "c1"}},
            "Task": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Family": "web",
                    "ContainerDefinitions": [{"Name": "web", "Image": "nginx", "Memory": 128}],
                },
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "Cluster": {"Ref": "Cluster"},
                    "TaskDefinition": {"Ref": "Task"},
                    "DesiredCount": desired,
                    "ServiceName": "web",
                },
            },
        },
        "Outputs": {names.service_url_output("sample"): {"Value": url}, "Other": {"Value": "x"}},
    }


def _target_group_template(vpc_id: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Group": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {
                    "Name": "web",
                    "Port": 8080,
                    "Protocol": "HTTP",
                    "TargetType": "ip",
                    "VpcId": vpc_id,
                },
            }
        }
    }


def _deploy(session: boto3.Session, name: str, template: dict[str, Any]) -> None:
    session.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))


def _steady(arn: str) -> dict[str, Any]:
    return {
        "serviceArn": arn,
        "serviceName": "web",
        "status": "ACTIVE",
        "desiredCount": 2,
        "runningCount": 2,
        "pendingCount": 0,
        "deployments": [{"id": "d1", "status": "PRIMARY", "rolloutState": "COMPLETED"}],
    }


def test_a_steady_service_has_no_problem() -> None:
    assert service_problems(_steady("arn")) == []
    without_rollout = _steady("arn")
    del without_rollout["deployments"][0]["rolloutState"]  # not reported: nothing to check
    assert service_problems(without_rollout) == []


def test_every_unsteady_trait_is_named() -> None:
    service = {
        "status": "DRAINING",
        "desiredCount": 2,
        "runningCount": 1,
        "pendingCount": 1,
        "deployments": [
            {"status": "PRIMARY", "rolloutState": "IN_PROGRESS", "rolloutStateReason": "busy"},
            {"status": "ACTIVE"},
        ],
    }
    assert service_problems(service) == [
        "status DRAINING",
        "2 deployment(s) (PRIMARY, ACTIVE), want one PRIMARY",
        "rolloutState IN_PROGRESS (busy)",
        "runningCount 1 != desiredCount 2 (pending 1)",
    ]


def test_a_service_below_its_auto_scaling_minimum_is_named() -> None:
    """Its template sets no count: a service its scalable target never raised is not steady,
    however many of its tasks run; a worker at 0 of a minimum 0 is."""
    idle = {**_steady("arn"), "desiredCount": 0, "runningCount": 0}
    assert service_problems(idle, minimum=2) == ["desiredCount 0 below its auto scaling minimum 2"]
    assert service_problems(idle, minimum=0) == []
    assert service_problems(_steady("arn"), minimum=2) == []


@pytest.mark.integration
def test_the_minimum_is_the_services_scalable_target(aws: boto3.Session) -> None:
    _deploy(aws, SERVICES_STACK, _ecs_template())
    autoscaling = aws.client("application-autoscaling")
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/c1/web",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=3,
        MaxCapacity=6,
    )
    assert scaling_minimum(autoscaling, "c1", "web") == 3
    assert scaling_minimum(autoscaling, "c1", "other") is None
    report = verify(aws, "sandbox", None, skip_urls="test", region=REGION)
    (ecs,) = [c for c in report.checks if c.kind == "ecs"]
    assert "desiredCount 2 below its auto scaling minimum 3" in ecs.detail


@pytest.mark.integration
def test_only_the_environments_stacks_are_discovered(aws: boto3.Session) -> None:
    _deploy(aws, SERVICES_STACK, _ecs_template())
    _deploy(
        aws,
        names.stack_id("production", names.NETWORK_UNIT),
        {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}},
    )
    (stack,) = deployed_stacks(aws.client("cloudformation"), "sandbox")
    assert stack.name == SERVICES_STACK
    assert stack.status == "CREATE_COMPLETE"
    assert stack.outputs[names.service_url_output("sample")] == "http://example.invalid/"
    ((_, arn),) = stack.of_type("AWS::ECS::Service")
    assert arn.endswith(":service/c1/web")


@pytest.mark.integration
def test_moto_services_are_reported_unsteady(aws: boto3.Session) -> None:
    """moto starts no task: runningCount 0, pending = desired, rollout IN_PROGRESS."""
    _deploy(aws, SERVICES_STACK, _ecs_template())
    report = verify(aws, "sandbox", None, skip_urls="test", region=REGION)
    (ecs,) = [c for c in report.checks if c.kind == "ecs"]
    assert ecs.status == FAIL
    assert "runningCount 0 != desiredCount 2 (pending 2)" in ecs.detail
    assert "rolloutState IN_PROGRESS" in ecs.detail
    assert ecs.subject == f"{SERVICES_STACK} web"
    assert [c.status for c in report.checks if c.kind == "stack"] == [OK]


@pytest.mark.integration
def test_a_steady_service_is_ok(aws: boto3.Session) -> None:
    _deploy(aws, SERVICES_STACK, _ecs_template())
    ecs = aws.client("ecs")
    arn = "arn:aws:ecs:us-east-1:123456789012:service/c1/web"
    with Stubber(ecs) as stubber:
        stubber.add_response(
            "describe_services",
            {"services": [_steady(arn)], "failures": []},
            {"cluster": "c1", "services": [arn]},
        )
        report = verify(StubbedSession(aws, ecs=ecs), "sandbox", None, skip_urls="t", region=REGION)
    (check,) = [c for c in report.checks if c.kind == "ecs"]
    assert (check.status, check.detail) == (OK, "steady: 2/2 running, one PRIMARY deployment")


@pytest.mark.integration
def test_no_stack_is_a_failure_and_exits_1(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--environment", "sandbox", "--skip-urls"], session=aws) == 1
    output = capsys.readouterr().out
    assert f"FAIL  stack    {names.stack_prefix('sandbox')}*: no deployed stack" in output
    assert "SKIP  ecs      services: no AWS::ECS::Service in the deployed stacks" in output
    # The sandbox enables EKS: a missing cluster is a failure, not a skip.
    assert "FAIL  eks      cluster: eks.enabled, but no deployed stack" in output


def test_missing_credentials_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from botocore.exceptions import NoCredentialsError

    class NoCredentials:
        def client(self, *_: Any, **__: Any) -> Any:
            raise NoCredentialsError()

    assert main(["--environment", "sandbox"], session=NoCredentials()) == 1
    assert capsys.readouterr().err.startswith("error: no AWS credentials found")


@pytest.mark.integration
def test_target_groups_without_targets_fail_and_healthy_ones_pass(aws: boto3.Session) -> None:
    vpc_id = aws.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    _deploy(aws, SERVICES_STACK, _target_group_template(vpc_id))
    stacks = deployed_stacks(aws.client("cloudformation"), "sandbox")
    ((_, arn),) = stacks[0].of_type("AWS::ElasticLoadBalancingV2::TargetGroup")
    report = Report("sandbox")
    check_target_groups(report, aws.client("elbv2"), stacks)
    assert [(c.status, c.detail) for c in report.checks] == [(FAIL, "no registered targets")]

    elbv2 = aws.client("elbv2")
    report = Report("sandbox")
    with Stubber(elbv2) as stubber:
        for states in (["healthy", "healthy"], ["healthy", "unhealthy"]):
            stubber.add_response(
                "describe_target_health",
                {
                    "TargetHealthDescriptions": [
                        {
                            "Target": {"Id": f"10.0.0.{i}", "Port": 8080},
                            "TargetHealth": {"State": state}
                            | (
                                {"Reason": "Target.FailedHealthChecks"}
                                if state != "healthy"
                                else {}
                            ),
                        }
                        for i, state in enumerate(states)
                    ]
                },
                {"TargetGroupArn": arn},
            )
        check_target_groups(report, elbv2, stacks)
        check_target_groups(report, elbv2, stacks)
    assert [(c.status, c.detail) for c in report.checks] == [
        (OK, "2 target(s) healthy"),
        (FAIL, "1/2 not healthy: 10.0.0.1:8080 unhealthy (Target.FailedHealthChecks)"),
    ]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.end_headers()
            return
        self.send_response(200 if self.path in ("/ok", "/health") else 503)
        self.end_headers()
        self.wfile.write(b"x")

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    """A loopback HTTP server: /ok and /health 200, /moved 302 -> /ok, anything else 503."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    # shutdown() waits for the loop's next poll: 0.5 s by default, on every test that uses it.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_urls_answer_2xx_follow_redirects_and_retry_bounded(web: str) -> None:
    sleeps: list[float] = []
    assert probe_url(f"{web}/ok", 3, 5, 0.5, sleep=sleeps.append) == (
        True,
        "HTTP 200 (attempt 1/3)",
    )
    assert probe_url(f"{web}/moved", 3, 5, 0.5, sleep=sleeps.append)[0]
    assert sleeps == []
    answered, detail = probe_url(f"{web}/broken", 3, 5, 0.5, sleep=sleeps.append)
    assert not answered
    assert detail == "HTTP 503 after 3 attempt(s), 5s timeout each"
    assert sleeps == [0.5, 0.5]


def test_an_unreachable_url_fails_with_why() -> None:
    def refuse(url: str, timeout: float) -> int:
        raise ConnectionRefusedError(111, "Connection refused")

    answered, detail = probe_url("http://x/", 2, 1, 0, probe=refuse, sleep=lambda _: None)
    assert not answered
    assert detail.startswith("ConnectionRefusedError")


def test_a_url_that_fails_first_and_answers_later_is_ok() -> None:
    answers = iter([503, 200])
    answered, detail = probe_url(
        "http://x/", 3, 1, 0, probe=lambda *_: next(answers), sleep=lambda _: None
    )
    assert (answered, detail) == (True, "HTTP 200 (attempt 2/3)")


def test_the_health_path_is_probed_where_the_route_forwards_it() -> None:
    """The service is the one of the output's stack's cluster: EC2's and Fargate's `web-app`
    have the same URL output key and different health check paths."""
    web_app = {"image": IMAGE, "route": {"priority": 2, "paths": ["/*"]}}
    api = {
        "image": IMAGE,
        "health_check_path": "/health",
        "route": {"priority": 1, "paths": ["/api/*"]},
    }
    config = load_config(
        "sandbox",
        overrides={
            "ecs": {
                "fargate": {"services": {"web-app": web_app, "api": api}},
                "ec2": {"services": {"web-app": {**web_app, "health_check_path": "/ec2"}}},
            }
        },
    )
    output = names.service_url_output("web-app")
    base = "http://alb.example/"
    ec2_stack = names.stack_id("sandbox", names.ecs_services_unit("ec2", 1))
    assert health_url(base, config, output, SERVICES_STACK) == urljoin(base, "/")
    assert health_url(base, config, output, ec2_stack) == urljoin(base, "/ec2")
    # /health is not under /api/*: the ALB would not send it to the api service.
    api_url = "http://alb.example/api/"
    assert health_url(api_url, config, names.service_url_output("api"), SERVICES_STACK) == (api_url)
    assert health_url(base, config, names.service_url_output("unknown"), SERVICES_STACK) == base
    assert health_url(base, None, output, SERVICES_STACK) == base


def test_each_cluster_is_on_and_deployed_or_off() -> None:
    """An ECS cluster the config turns on needs its cluster stack deployed; one that is off is a
    SKIP, whatever is deployed."""
    config = load_config(
        "sandbox",
        overrides={"ecs": {"ec2": {"enabled": False, "services": {"sample": None}}}},
        config_dir=ROOT / "config",
    )
    fargate_stack = names.stack_id("sandbox", names.ecs_cluster_unit("fargate"))
    deployed = [DeployedStack(fargate_stack, "CREATE_COMPLETE", {}, [])]
    report = Report("sandbox")
    check_clusters(report, deployed, config)
    assert [(c.status, c.subject, c.detail) for c in report.checks] == [
        (SKIP, "ecs.ec2", "off (enabled: false): no stack, no ALB"),
        (OK, "ecs.fargate", f"on: {fargate_stack} deployed, 1 ALB(s)"),
        (SKIP, "ecs.managed_instances", "off (enabled: false): no stack, no ALB"),
    ]
    report = Report("sandbox")
    check_clusters(report, [], config)
    assert report.checks[1] == Check(
        "cluster", "ecs.fargate", FAIL, f"on, but {fargate_stack} is not deployed"
    )
    without_web = load_config("sandbox", overrides={"ecs": {"ec2": {"enabled": False}}})
    report = Report("sandbox")
    check_clusters(report, deployed, without_web)
    assert report.checks[1].detail.endswith("0 ALB(s) (no service needs a load balancer)")
    report = Report("sandbox")
    check_clusters(report, deployed, None)
    assert report.checks == []


def urljoin(base: str, path: str) -> str:
    from urllib.parse import urljoin as join

    return join(base, path)


def test_url_outputs_are_checked_or_skipped_with_why(web: str) -> None:
    stacks = [
        DeployedStack(
            SERVICES_STACK,
            "CREATE_COMPLETE",
            {
                names.service_url_output("good"): f"{web}/ok",
                names.service_url_output("bad"): f"{web}/bad",
                "Arn": "x",
            },
            [],
        )
    ]
    report = Report("sandbox")
    check_urls(
        report, stacks, None, skip_reason=None, attempts=2, timeout=5, retry_delay=0,
        sleep=lambda _: None,
    )  # fmt: skip
    assert [(c.status, c.subject.split()[1]) for c in report.checks] == [
        (FAIL, names.service_url_output("bad")),
        (OK, names.service_url_output("good")),
    ]
    report = Report("sandbox")
    check_urls(report, stacks, None, skip_reason="emulator", attempts=1, timeout=1, retry_delay=0)
    assert {(c.status, c.detail) for c in report.checks} == {(SKIP, "emulator")}


def test_an_endpoint_url_skips_the_urls() -> None:
    assert url_skip_reason(False, {}) is None
    assert url_skip_reason(True, {}) == "--skip-urls"
    reason = url_skip_reason(False, {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"})
    assert reason is not None
    assert reason.startswith("AWS_ENDPOINT_URL=http://127.0.0.1:5000 (an emulator)")


def _eks_stacks() -> list[DeployedStack]:
    return [
        DeployedStack(
            EKS_STACK,
            "CREATE_COMPLETE",
            {},
            [("AWS::EKS::Cluster", "Cluster", CLUSTER)],
        )
    ]


@pytest.mark.integration
def test_eks_cluster_node_groups_and_addons(aws: boto3.Session) -> None:
    """moto creates the cluster and node group ACTIVE; the add-on states are stubbed."""
    eks = aws.client("eks")
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(
        name=CLUSTER,
        roleArn=role,
        resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
    )
    eks.create_nodegroup(
        clusterName=CLUSTER, nodegroupName="default", nodeRole=role, subnets=["subnet-1"]
    )
    report = Report("sandbox")
    with Stubber(eks) as stubber:
        stubber.add_response(
            "describe_cluster",
            {"cluster": {"name": CLUSTER, "status": "ACTIVE"}},
            {"name": CLUSTER},
        )
        stubber.add_response(
            "list_nodegroups", {"nodegroups": ["default"]}, {"clusterName": CLUSTER}
        )
        stubber.add_response(
            "describe_nodegroup",
            {"nodegroup": {"nodegroupName": "default", "status": "ACTIVE"}},
            {"clusterName": CLUSTER, "nodegroupName": "default"},
        )
        stubber.add_response(
            "list_addons", {"addons": ["vpc-cni", "coredns"]}, {"clusterName": CLUSTER}
        )
        stubber.add_response(
            "describe_addon",
            {"addon": {"addonName": "vpc-cni", "status": "ACTIVE"}},
            {"clusterName": CLUSTER, "addonName": "vpc-cni"},
        )
        stubber.add_response(
            "describe_addon",
            {
                "addon": {
                    "addonName": "coredns",
                    "status": "DEGRADED",
                    "health": {
                        "issues": [{"code": "InsufficientNumberOfReplicas", "message": "0/2"}]
                    },
                }
            },
            {"clusterName": CLUSTER, "addonName": "coredns"},
        )
        check_eks(report, eks, _eks_stacks(), None)
    assert [(c.status, c.subject, c.detail) for c in report.checks] == [
        (OK, f"{EKS_STACK} cluster {CLUSTER}", "ACTIVE"),
        (OK, f"{CLUSTER} nodegroup default", "ACTIVE"),
        (OK, f"{CLUSTER} addon vpc-cni", "ACTIVE"),
        (FAIL, f"{CLUSTER} addon coredns", "DEGRADED (InsufficientNumberOfReplicas: 0/2)"),
    ]


@pytest.mark.integration
def test_eks_on_moto_itself(aws: boto3.Session) -> None:
    """What moto 5.2.5 answers unstubbed: the cluster and node group ACTIVE as created, and
    ListAddons "Not yet implemented" (404), one FAIL line of its own."""
    eks = aws.client("eks")
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(name=CLUSTER, roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    eks.create_nodegroup(
        clusterName=CLUSTER, nodegroupName="default", nodeRole=role, subnets=["subnet-1"]
    )
    session = StubbedSession(aws)
    stacks = _eks_stacks()
    report = Report("sandbox")
    with refused_call_fails(report, "eks"):
        check_eks(report, session.client("eks"), stacks, None)
    assert [(c.status, c.subject, c.detail) for c in report.checks] == [
        (OK, f"{EKS_STACK} cluster {CLUSTER}", "ACTIVE"),
        (OK, f"{CLUSTER} nodegroup default", "ACTIVE"),
        (FAIL, "ListAddons", "ListAddons failed: 404: Not yet implemented"),
    ]


@pytest.mark.integration
def test_eks_disabled_is_a_skip(aws: boto3.Session) -> None:
    config = load_config("sandbox", overrides={"eks": {"enabled": False}})
    report = Report("sandbox")
    check_eks(report, aws.client("eks"), [], config)
    assert [(c.status, c.detail) for c in report.checks] == [
        (SKIP, "no AWS::EKS::Cluster in the deployed stacks (eks disabled)")
    ]


@pytest.mark.integration
def test_every_check_ok_exits_0(
    aws: boto3.Session,
    capsys: pytest.CaptureFixture[str],
    web: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stack whose only check is its URL, answering: exit 0, one line per check."""
    _deploy(
        aws,
        SERVICES_STACK,
        {
            "Resources": {"T": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {names.service_url_output("sample"): {"Value": f"{web}/ok"}},
        },
    )
    monkeypatch.setattr("tools.verify.deployment.environment_config", lambda *_: None)
    assert main(["--environment", "sandbox", "--attempts", "1"], session=aws) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Verification of environment 'sandbox'"
    assert lines[1] == f"OK    stack    {SERVICES_STACK}: CREATE_COMPLETE"
    assert lines[-1] == "2 OK, 0 FAIL, 3 SKIP"
