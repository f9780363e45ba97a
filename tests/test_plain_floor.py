"""The bench's plain-data floor (benchmarks/plain_floor.py) writes an assembly back as it was:
the same construct paths and so the same logical IDs, properties, policies, dependencies,
metadata and outputs, byte for byte, so its timing is of the same templates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import App, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from benchmarks.plain_floor import (
    compare,
    logical_id_of,
    per_added_service,
    write_plain_app,
    written_in_full,
)
from tests.helpers.cdk_cli import ROOT

pytestmark = pytest.mark.integration
# What the CLI gives every app: construct paths in the templates' metadata.
CLI_CONTEXT = {"aws:cdk:enable-path-metadata": True}


def _source_assembly(outdir: Path) -> None:
    """An app with what service stacks hold: nested scopes, a grant's default policy,
    dependencies, removal policies, a `Default` child, an overridden logical ID, exports."""
    app = App(outdir=str(outdir), context=CLI_CONTEXT)
    stack = Stack(app, "cp-one", description="one stack")
    service = Construct(stack, "ServiceOrders")
    queue = sqs.Queue(service, "Queue", visibility_timeout=Duration.seconds(60))
    role = iam.Role(service, "TaskRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    queue.grant_send_messages(role)
    log_group = logs.LogGroup(service, "LogGroup", removal_policy=RemovalPolicy.DESTROY)
    log_group.node.add_dependency(role)  # on the role and its default policy
    retained = sqs.Queue(service, "Retained")
    retained.apply_removal_policy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)
    renamed = sqs.CfnQueue(Construct(service, "Default"), "Kept")
    renamed.override_logical_id("KeptFromBefore")
    CfnOutput(stack, "QueueUrl", value=queue.queue_url, description="the queue", export_name="q")
    app.synth()


def test_an_assembly_is_written_back_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "source"
    _source_assembly(source)
    app = write_plain_app(tmp_path / "app", Path(sys.executable), ROOT)
    assert json.loads((app / "cdk.json").read_text())["versionReporting"] is False
    out = tmp_path / "out"
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({**CLI_CONTEXT, "source": str(source)}),
        "CDK_OUTDIR": str(out),
    }
    subprocess.run([sys.executable, "app.py"], cwd=app, env=env, check=True)
    template = json.loads((source / "cp-one.template.json").read_text())
    assert {"DependsOn", "DeletionPolicy"} <= {
        key for resource in template["Resources"].values() for key in resource
    }
    assert "KeptFromBefore" in template["Resources"]
    policies = {resource.get("DeletionPolicy") for resource in template["Resources"].values()}
    assert {"Delete", "RetainExceptOnCreate"} <= policies
    assert template["Resources"]["KeptFromBefore"]["Metadata"]["aws:cdk:path"].endswith("/Kept")
    assert written_in_full(template)  # so compare reads it byte for byte
    assert compare(source, out).differing == []


def test_a_template_written_back_in_part_is_not_compared(tmp_path: Path) -> None:
    template = {"Conditions": {"On": {"Fn::Equals": ["a", "a"]}}, "Resources": {}}
    assert not written_in_full(template)
    assert not written_in_full({"Resources": {"A": {"Type": "X", "UpdatePolicy": {}}}})
    assert written_in_full({"Parameters": {"BootstrapVersion": {}}, "Resources": {}})
    source, written = tmp_path / "source", tmp_path / "written"
    for directory, description in ((source, "a"), (written, "b")):
        directory.mkdir()
        (directory / "cp-c.template.json").write_text(
            json.dumps({**template, "Description": description})
        )
        service = {"Resources": {"S": {"Type": "AWS::ECS::Service"}}, "Description": description}
        (directory / "cp-s.template.json").write_text(json.dumps(service))
    outcome = compare(source, written)
    assert (outcome.differing, outcome.services_in_full, outcome.services) == (
        ["cp-s.template.json"],
        1,
        1,
    )


@pytest.mark.parametrize(
    ("components", "logical_id"),
    [
        (["Topic"], "Topic"),
        (["Service", "TaskRole", "Resource"], None),
        (["Service", "Default", "Queue"], None),
    ],
)
def test_logical_ids_are_aws_cdk_libs(components: list[str], logical_id: str | None) -> None:
    app = App()
    scope: Construct = Stack(app, "S")
    for component in components[:-1]:
        scope = Construct(scope, component)
    resource = sqs.CfnQueue(scope, components[-1])
    expected = Stack.of(resource).get_logical_id(resource)
    assert logical_id_of(components) == expected
    if logical_id is not None:
        assert expected == logical_id


def test_per_added_service_is_the_difference_over_the_services_past_the_first() -> None:
    assert per_added_service(3.0, 28.0, 251) == pytest.approx(0.1)
