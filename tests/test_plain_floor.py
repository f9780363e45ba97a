"""The bench's plain-data floor (benchmarks/plain_floor.py) writes an assembly back as it was:
the same stacks, resources and outputs, so its timing is of the same templates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.plain_floor import per_added_service, write_plain_app

pytestmark = pytest.mark.integration

TEMPLATE: dict[str, Any] = {
    "Resources": {
        "TopicBFC7AF6E": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "alarms"}},
        "QueueDeadLetter12345678": {"Type": "AWS::SQS::Queue"},
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "TopicBFC7AF6E"},
                "Endpoint": {"Fn::GetAtt": ["QueueDeadLetter12345678", "Arn"]},
                "Protocol": "sqs",
            },
        },
    },
    "Outputs": {
        "TopicArn": {"Value": {"Ref": "TopicBFC7AF6E"}, "Export": {"Name": "cp-topic-arn"}},
        "Name": {"Value": "alarms"},
    },
}


def test_an_assembly_is_written_back_with_the_same_resources_and_outputs(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "cp-one.template.json").write_text(json.dumps(TEMPLATE))
    app = write_plain_app(tmp_path / "app", Path(sys.executable))
    assert json.loads((app / "cdk.json").read_text())["versionReporting"] is False
    out = tmp_path / "out"
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"source": str(source)}),
        "CDK_OUTDIR": str(out),
    }
    subprocess.run([sys.executable, "app.py"], cwd=app, env=env, check=True)
    written = json.loads((out / "cp-one.template.json").read_text())
    assert {
        logical_id: {key: value for key, value in resource.items() if key != "Metadata"}
        for logical_id, resource in written["Resources"].items()
    } == TEMPLATE["Resources"]
    assert written["Outputs"] == TEMPLATE["Outputs"]


def test_per_added_service_is_the_difference_over_the_services_past_the_first() -> None:
    assert per_added_service(3.0, 28.0, 251) == pytest.approx(0.1)
