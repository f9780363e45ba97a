"""examples/team-services/ on the emulator: the real CLI deploys what moto models of it, and boto3
reads back what the kinds made (the worker's queues, the task definitions with their variables,
health check and sidecar, a queue URL resolved through a strong cross-stack reference); the
`make verify` tool finds the queues.

moto 5.2.5 creates no AWS::ServiceDiscovery::HttpNamespace (checkers.EMULATOR_SKIPPED_TYPES), so
the cluster's Service Connect namespace export has no value and every stack that joins the
namespace (all four service stacks of the example) would fail "No export named ... found.". What
moto models is therefore the example without its backend (the only reason the cluster has a
namespace): the web API, the worker and the job, with their queues and grants. The backend's own
template is proved by tests/test_team_services.py. The example turns the EC2 and EKS clusters off,
so neither is deployed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from stacks import names
from tests.deploy.helpers.checkers import EMULATOR_SKIPPED_TYPES, EMULATOR_UNNAMED_TYPES
from tests.deploy.helpers.cli import bootstrap_args, deploy_args, emulator_environment, run_cdk
from tests.deploy.helpers.emulator import CustomResourceResponder, MotoServer
from tests.deploy.helpers.inventory import take_inventory
from tests.helpers.apps import ROOT, synth_environment
from tests.helpers.assembly import Assembly
from tools.verify.deployed import deployed_stacks
from tools.verify.report import OK, Report
from tools.verify.workloads import check_queues

pytestmark = pytest.mark.deploy

EXAMPLE = ROOT / "examples" / "team-services"
BACKEND, WEB, WORKER, JOB = "orders", "web-api", "worker", "nightly-report"
# The types the example adds that moto 5.2.5's CloudFormation skips (listed in
# EMULATOR_SKIPPED_TYPES, proved against moto in test_checkers.py): the schedule of the job, the
# queue policies (enforceSSL), the worker's scale-from-zero alarm and its scaling (as for the
# web services), and the Service Connect namespace.
SKIPPED_BY_THE_EXAMPLE = frozenset(
    {
        "AWS::Scheduler::Schedule",
        "AWS::SQS::QueuePolicy",
        "AWS::CloudWatch::Alarm",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
    }
)


@dataclass
class TeamDeployment:
    server: MotoServer
    assembly: Assembly
    env: dict[str, str]
    stacks: tuple[str, ...]


# The example less its backend, removed by name as an overrides file does it.
WITHOUT_BACKEND = {"ecs": {"fargate": {"services": {BACKEND: None}}}}


@pytest.fixture(scope="module")
def team(
    moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamDeployment]:
    outdir = tmp_path_factory.mktemp("team-services") / "cdk.out"
    synth_environment("sandbox", outdir, WITHOUT_BACKEND, config_dir=EXAMPLE)
    assembly = Assembly("sandbox", outdir)
    # The alarms stack is left out as in the sandbox's deploy (EMULATOR_UNDEPLOYABLE_UNITS).
    alarms = assembly.stack_name(names.ALARMS_UNIT)
    stacks = tuple(name for name in assembly.stack_templates if name != alarms)
    assert assembly.stack_name(names.EKS_UNIT) not in stacks
    moto_server.reset()
    env = emulator_environment(moto_server, tmp_path_factory.mktemp("team-cdk-home"))
    with CustomResourceResponder(moto_server):
        run_cdk(*bootstrap_args(outdir), env=env).check()
        run_cdk(*deploy_args(outdir, stacks), env=env).check()
        yield TeamDeployment(moto_server, assembly, env, stacks)


def _stack(team: TeamDeployment, kind: str, service: str) -> str:
    unit = (
        names.ecs_services_unit("fargate", 1)
        if kind == "web"
        else names.ecs_workload_unit("fargate", kind, service)
    )
    return team.assembly.stack_name(unit)


def _containers(team: TeamDeployment, stack: str) -> dict[str, dict[str, Any]]:
    inventory = take_inventory(team.server, team.assembly, [stack])
    (definition,) = inventory.of_type("AWS::ECS::TaskDefinition")
    described = team.server.client("ecs").describe_task_definition(
        taskDefinition=definition.physical_id
    )["taskDefinition"]
    return {c["name"]: c for c in described["containerDefinitions"]}


def _queue_urls(team: TeamDeployment) -> dict[str, str]:
    inventory = take_inventory(team.server, team.assembly, [_stack(team, "worker", WORKER)])
    return {queue.logical_id: queue.physical_id for queue in inventory.of_type("AWS::SQS::Queue")}


def test_every_stack_is_deployed_complete(team: TeamDeployment) -> None:
    cloudformation = team.server.client("cloudformation")
    statuses = {
        s["StackName"]: s["StackStatus"] for s in cloudformation.describe_stacks()["Stacks"]
    }
    assert {name: statuses.get(name) for name in team.stacks} == dict.fromkeys(
        team.stacks, "CREATE_COMPLETE"
    )
    assert {_stack(team, k, s) for k, s in (("web", WEB), ("worker", WORKER), ("job", JOB))} <= set(
        team.stacks
    )


def test_the_emulator_skips_only_recorded_types(team: TeamDeployment) -> None:
    """Every template resource the emulator did not create is of a type recorded as skipped (or
    unnamed), and the example's own are among them."""
    inventory = take_inventory(team.server, team.assembly, team.stacks)
    assert inventory.missing_types - EMULATOR_UNNAMED_TYPES <= EMULATOR_SKIPPED_TYPES
    assert inventory.missing_types >= SKIPPED_BY_THE_EXAMPLE
    assert "AWS::ServiceDiscovery::HttpNamespace" in EMULATOR_SKIPPED_TYPES


def test_the_worker_owns_its_queue_and_a_dead_letter_queue(team: TeamDeployment) -> None:
    sqs = team.server.client("sqs")
    urls = _queue_urls(team)
    main = next(url for logical, url in urls.items() if "DeadLetter" not in logical)
    dead = next(url for logical, url in urls.items() if "DeadLetter" in logical)
    attributes = sqs.get_queue_attributes(QueueUrl=main, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 5
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
    assert redrive["deadLetterTargetArn"] == dead_arn["Attributes"]["QueueArn"]
    assert attributes["VisibilityTimeout"] == "120"
    assert attributes["SqsManagedSseEnabled"] == "true"


def test_the_queue_url_reaches_the_worker_and_its_senders(team: TeamDeployment) -> None:
    """QUEUE_URL of the worker is its own queue; QUEUE_URL_WORKER of the web API (another stack,
    a strong reference) and of the job resolve to the same URL."""
    url = next(u for logical, u in _queue_urls(team).items() if "DeadLetter" not in logical)
    worker = _containers(team, _stack(team, "worker", WORKER))["app"]
    assert {"name": "QUEUE_URL", "value": url} in worker["environment"]
    variable = names.queue_url_variable(WORKER)
    for kind, service in (("web", WEB), ("job", JOB)):
        app = _containers(team, _stack(team, kind, service))["app"]
        assert {"name": variable, "value": url} in app["environment"], service


def test_the_web_api_task_has_its_variables_health_check_and_sidecar(team: TeamDeployment) -> None:
    containers = _containers(team, _stack(team, "web", WEB))
    app = containers["app"]
    assert {"name": "LOG_LEVEL", "value": "info"} in app["environment"]
    assert app["healthCheck"]["command"][0] == "CMD-SHELL"
    assert containers["otel-collector"]["user"] == "10001"
    assert containers["otel-collector"]["readonlyRootFilesystem"] is True


def test_verify_finds_the_queues(team: TeamDeployment) -> None:
    """`make verify`'s queue check on the deployed stacks: each queue exists (the schedule is a
    type moto skips, so there is no schedule line)."""
    cloudformation = team.server.client("cloudformation")
    report = Report("sandbox")
    check_queues(report, team.server.client("sqs"), deployed_stacks(cloudformation, "sandbox"))
    assert len(report.checks) == 3  # the worker's queue and dead-letter queue, the job's
    assert {check.status for check in report.checks} == {OK}
