"""The synths tests/test_validation_cache.py reads, run in a process of their own (the command
"validation-cache-runs" of tests/helpers/commands.py): a stack with a finding of every cached
plugin, synthesized without the cache, then with it cold and warm, acknowledged and not, and with
synth failing on its findings. Validating cold loads the CloudFormation validation engine (about
1.2 s), which on a rerun no in-process test needs otherwise.

`python -m tests.helpers.validation_runs WORK` writes WORK/runs.json (the reports, how many
templates each plugin validated per run, the failures' messages, the nag report's table)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, App, Environment, Stack, Tags, Validations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from container_constructs.rules import CachedNagPack, CachedStagePlugin, ContainerPlatformChecks
from container_constructs.rules.report import render
from stacks.common import StackSettings
from stacks.platform import add_validations
from tests.helpers.apps import project_app

SETTINGS = StackSettings(
    environment="cache-test",
    region="us-east-1",
    retain_stateful_resources=True,
    kms_encrypted_logs=False,
)
REASON = "A test fixture that exists to carry this finding through the validation cache"
# Findings of each plugin, each acknowledged at its construct; cdk-nag's SQS3 with an id without
# its prefix, which cdk-nag drops itself (so its findings depend on acknowledgements).
ACKNOWLEDGEMENTS = {
    "Topic": ["AwsSolutions::AwsSolutions-SNS3", "cdk-preflight::pf-tags-aws-prefix"],
    "Queue": ["AwsSolutions::AwsSolutions-SQS4", "AwsSolutions-SQS3"],
    "Logs": ["ContainerPlatform::log-group-retention"],
}
PLUGINS = (CachedNagPack, CachedStagePlugin, ContainerPlatformChecks)
# The cached runs, in order: (acknowledged, what the cache holds by then).
CACHED_RUNS = [(True, "cold"), (False, "unacknowledged"), (True, "warm"), (False, "warm")]


def add_stack(app: App, *, acknowledge: bool) -> None:
    stack = Stack(app, "Cached", env=Environment(region="us-east-1"))
    constructs = {
        "Topic": sns.Topic(stack, "Topic"),
        "Queue": sqs.Queue(stack, "Queue"),
        "Logs": logs.LogGroup(stack, "Logs", retention=logs.RetentionDays.INFINITE),
    }
    Tags.of(constructs["Topic"]).add("aws:owner", "platform")
    if acknowledge:
        for name, ids in ACKNOWLEDGEMENTS.items():
            for rule in ids:
                Validations.of(constructs[name]).acknowledge(Acknowledgment(id=rule, reason=REASON))


def _count_validations() -> Counter[str]:
    """How many templates each cached plugin class validated (cache misses), from now on."""
    counts: Counter[str] = Counter()
    for plugin in PLUGINS:
        original = plugin.validate_templates

        def counting(self: Any, stacks: Any, context: Any, _original: Any = original) -> Any:
            counts[type(self).__name__] += len(stacks)
            return _original(self, stacks, context)

        plugin.validate_templates = counting  # type: ignore[method-assign]
    return counts


def _synth(outdir: Path, *, cache: Path | None, acknowledge: bool) -> dict[str, Any]:
    app = project_app(outdir)
    add_validations(app, SETTINGS, cache_directory=cache)
    add_stack(app, acknowledge=acknowledge)
    app.synth()
    report: dict[str, Any] = json.loads((outdir / "validation-report.json").read_text())
    return report


def run(work: Path) -> dict[str, Any]:
    uncached = {ack: _synth(work / "uncached" / str(ack), cache=None, acknowledge=ack)
                for ack in (True, False)}  # fmt: skip
    counts = _count_validations()
    cached = []
    for index, (acknowledge, _) in enumerate(CACHED_RUNS):
        report = _synth(work / "cached" / str(index), cache=work / "cache", acknowledge=acknowledge)
        cached.append({"report": report, "validated": dict(counts)})
        counts.clear()
    failures = {}
    for when in ("cold", "warm"):
        app = project_app(work / when, **{"@aws-cdk/core:failSynthOnValidationErrors": True})
        add_validations(app, SETTINGS, cache_directory=work / "failing-cache")
        add_stack(app, acknowledge=False)
        try:
            app.synth()
            failures[when] = ""
        except Exception as error:
            failures[when] = f"{type(error).__name__}: {error}"
    return {
        "uncached": {str(ack): report for ack, report in uncached.items()},
        "cached": cached,
        "failures": failures,
        "failures_validated": sum(counts.values()),
        "nag_report": render(work / "uncached" / "True"),
    }


if __name__ == "__main__":
    work = Path(sys.argv[1])
    (work / "runs.json").write_text(json.dumps(run(work)))
