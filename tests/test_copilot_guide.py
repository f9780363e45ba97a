"""docs/copilot.md, the guide for teams coming from AWS Copilot: its examples (one per Copilot
service type, each a file of a config of record) load as the kind the guide says, and, as one
config of record, synthesize the sandbox clean (integration tier); every Copilot service type and
every manifest field group the guide promises is in it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from platform_config import load_config
from tests.helpers.apps import ROOT, synth_environment
from tests.helpers.contract import contract_problems

GUIDE = ROOT / "docs" / "copilot.md"
_EXAMPLE = re.compile(
    r"<!-- copilot-example: (?P<path>[^ ]+) -->\n```json\n(?P<body>.*?)\n```", re.S
)
# What the guide maps (issue 24): the four service types, the two it has no equivalent for, and
# the manifest fields.
TYPES = (
    "Load Balanced Web Service",
    "Backend Service",
    "Worker Service",
    "Scheduled Job",
    "Request-Driven Web Service",
    "Static Site",
)
FIELDS = (
    "`variables`",
    "`secrets`",
    "`command`",
    "`entrypoint`",
    "`image.healthcheck`",
    "`storage.ephemeral`",
    "`storage.volumes",
    "`sidecars.<name>`",
    "`logging`",
    "`network.connect: true`",
    "`count.range`",
    "`count.queue_delay`",
)


def examples() -> dict[str, dict[str, Any]]:
    """The guide's examples by path in the config of record."""
    text = GUIDE.read_text(encoding="utf-8")
    return {m["path"]: json.loads(m["body"]) for m in _EXAMPLE.finditer(text)}


def write_record(directory: Path) -> Path:
    for path, values in examples().items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values, indent=2) + "\n")
    return directory


def test_the_guide_maps_every_service_type_and_field() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for name in (*TYPES, *FIELDS):
        assert name in text, name
    assert text.count("no equivalent") >= 10


def test_one_example_per_copilot_service_type_loads_as_its_kind(tmp_path: Path) -> None:
    record = write_record(tmp_path)
    config = load_config("sandbox", config_dir=record)
    assert not config.ecs.ec2.services
    kinds = sorted(service.kind for service in config.ecs.fargate.services.values())
    assert kinds == ["backend", "job", "web", "worker"]
    worker = next(s for s in config.ecs.fargate.services.values() if s.kind == "worker")
    assert worker.scaling.backlog_per_task == 10 * 60 * 1000 // 250  # Copilot's queue_delay


@pytest.mark.integration
def test_the_examples_synthesize_clean(tmp_path: Path) -> None:
    record = write_record(tmp_path / "record")
    outdir = synth_environment("sandbox", tmp_path / "cdk.out", config_dir=record)
    assert contract_problems(outdir, name="sandbox", kms_logs=False, retain=False) == []
