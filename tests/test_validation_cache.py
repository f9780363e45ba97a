"""Validation findings computed once per input (container_constructs/rules/cache.py, cached*.py):
the same report, acknowledgements and failures with the cache cold, warm or absent, and nothing
validated when every template is known. The whole synths run in a process of their own
(tests/helpers/validation_runs.py), as `cdk synth` runs follow one another; the cache's parts are
tested here.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jsii
import pytest
from aws_cdk import (
    App,
    Environment,
    IPolicyValidationPlugin,
    Stack,
    Validations,
)
from aws_cdk import aws_sns as sns

from container_constructs.rules import (
    CachedNagPack,
    CachedStagePlugin,
    ContainerPlatformChecks,
    PerTemplatePlugin,
    pack,
)
from container_constructs.rules.cache import ValidationCache, digest
from tests.helpers.apps import project_app
from tests.helpers.early import Outcome
from tests.helpers.validation_runs import ACKNOWLEDGEMENTS, CACHED_RUNS, PLUGINS, REASON


@pytest.fixture(scope="module")
def runs(outcome: Callable[[str], Outcome]) -> dict[str, Any]:
    """The synths of tests/helpers/validation_runs.py, run in a process of their own."""
    result = outcome("validation-cache-runs")
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads((result.work / "runs.json").read_text())
    return found


@pytest.fixture(scope="module")
def uncached(runs: dict[str, Any]) -> dict[bool, dict[str, Any]]:
    """The reports without a cache (the libraries' own plugins), acknowledged and not."""
    return {ack: runs["uncached"][str(ack)] for ack in (True, False)}


def _findings(report: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    return {
        key: sorted(
            (p["pluginName"], v["ruleName"])
            for p in report["pluginReports"]
            for v in p.get(key) or []
        )
        for key in ("violations", "suppressedViolations")
    }


def test_the_fixture_has_a_finding_of_every_plugin(uncached: dict[bool, dict[str, Any]]) -> None:
    plugins = {plugin for plugin, _ in _findings(uncached[False])["violations"]}
    assert plugins == {"AwsSolutions", "cdk-preflight", "ContainerPlatform"}
    assert {p for p, _ in _findings(uncached[True])["suppressedViolations"]} == plugins
    dropped_by_nag = ("AwsSolutions", "AwsSolutions-SQS3")
    assert dropped_by_nag in _findings(uncached[False])["violations"]
    assert dropped_by_nag not in [f for found in _findings(uncached[True]).values() for f in found]


def test_nag_report_lists_the_acknowledged_findings_of_every_plugin(runs: dict[str, Any]) -> None:
    """What `make nag-report` prints (container_constructs/rules/report.py) for each plugin."""
    table = runs["nag_report"]
    for name, ids in ACKNOWLEDGEMENTS.items():
        for rule in ids:
            if "::" in rule:  # cdk-nag drops the one without its prefix: nothing to report
                (row,) = [line for line in table.splitlines() if line.startswith(rule)]
                assert f"Cached/{name}" in row
                assert REASON in row


def test_cold_and_warm_reports_equal_the_uncached_ones(
    uncached: dict[bool, dict[str, Any]], runs: dict[str, Any]
) -> None:
    """Each run's validation-report.json (findings, suppressions, where and why, construct
    paths, template paths, conclusions) equals the uncached one byte for byte; warm runs
    validate nothing but what a changed acknowledgement decides (cdk-nag's own dropping)."""
    for (acknowledge, when), run in zip(CACHED_RUNS, runs["cached"], strict=True):
        assert run["report"] == uncached[acknowledge], (acknowledge, when)
    assert [run["validated"] for run in runs["cached"]] == [
        {"CachedNagPack": 1, "CachedStagePlugin": 1, "ContainerPlatformChecks": 1},
        {"CachedNagPack": 1},  # its key holds the acknowledgements; the others' findings hold
        {},
        {},
    ]


def test_an_unacknowledged_finding_fails_synth_cold_and_warm(runs: dict[str, Any]) -> None:
    for when, failure in runs["failures"].items():
        assert "ValidationFailed" in failure, when
        for rule in ("AwsSolutions-SQS3", "pf-tags-aws-prefix", "log-group-retention"):
            assert rule in failure, when
    assert runs["failures_validated"] == 3, "the warm run validated nothing"


def test_a_corrupt_or_foreign_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ValidationCache(tmp_path)
    first, second = digest("first"), digest("second")
    cache.put(first, [{"ruleName": "r"}])
    cache.put(second, [])
    assert cache.get(first) == [{"ruleName": "r"}]
    first_file, second_file = (next(tmp_path.rglob(f"{key}.json")) for key in (first, second))
    second_file.write_bytes(first_file.read_bytes())
    assert cache.get(second) is None, "an entry that names another key"
    first_file.write_bytes(first_file.read_bytes()[:-5])
    assert cache.get(first) is None, "a truncated entry"
    assert cache.get(digest("never stored")) is None


def test_concurrent_writers_never_leave_a_partial_entry(tmp_path: Path) -> None:
    """Synths running side by side (the suite's CLI synth beside the in-process ones) write the
    same keys: a reader sees the whole entry or none."""
    cache = ValidationCache(tmp_path)
    key = digest("shared")
    entries = [[{"ruleName": f"rule-{n}", "description": "x" * 20_000}] for n in range(8)]
    seen: list[Any] = []

    def write(entry: list[dict[str, Any]]) -> None:
        for _ in range(20):
            cache.put(key, entry)
            seen.append(cache.get(key))

    threads = [threading.Thread(target=write, args=(entry,)) for entry in entries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(found in entries for found in seen)
    assert not list(tmp_path.rglob("*.tmp")), "no temporary file left behind"


def test_key_parts_cannot_run_into_each_other() -> None:
    assert digest("ab", "c") != digest("a", "bc")


@dataclass(frozen=True)
class _StackTemplate:
    """What aws-cdk-lib's validation context lists for each stack."""

    stack_construct_path: str
    template_path: str
    region: str | None
    account_id: str | None


@dataclass(frozen=True)
class _Context:
    app_construct: App
    stack_templates: list[_StackTemplate]


def test_each_input_of_the_key_decides_a_hit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin's findings are looked up by the template's bytes, its stack's region and account,
    the versions of the plugin and of the engine it runs (aws-cdk-lib bundles the CloudFormation
    validation engine) and, for the platform's rules, the rule pack's source and the environment's
    facts: a change to any of them is a miss; nothing else is."""
    missed: Counter[str] = Counter()

    def record(self: PerTemplatePlugin, stacks: Any, context: Any) -> dict[str, list[Any]]:
        missed[self.name] += len(stacks)
        return {stack.construct_path: [] for stack in stacks}

    for plugin in PLUGINS:
        monkeypatch.setattr(plugin, "validate_templates", record)
    cache = ValidationCache(tmp_path / "cache")
    template = tmp_path / "Stack.template.json"
    (tmp_path / "manifest.json").write_text('{"artifacts": {}}')
    app = App()

    def run(
        content: bytes = b'{"Resources": {}}',
        region: str = "us-east-1",
        account: str = "111111111111",
        kms_encrypted_logs: bool = False,
    ) -> set[str]:
        missed.clear()
        template.write_bytes(content)
        context = _Context(app, [_StackTemplate("Stack", str(template), region, account)])
        plugins: list[PerTemplatePlugin] = [
            ContainerPlatformChecks(
                retain_stateful_resources=True, kms_encrypted_logs=kms_encrypted_logs, cache=cache
            ),
            CachedNagPack(lambda: None, name="AwsSolutions", cache=cache),  # type: ignore[arg-type]
            CachedStagePlugin(
                name="cdk-preflight",
                register=lambda stage: None,
                distributions=("cdk-preflight",),
                cache=cache,
            ),
        ]
        for plugin in plugins:
            plugin.validate(context)  # type: ignore[arg-type]
        return set(missed)

    every = {"ContainerPlatform", "AwsSolutions", "cdk-preflight"}
    assert run() == every, "cold"
    assert run() == set(), "warm"
    assert run(content=b'{"Resources": {} }') == every
    assert run(region="eu-west-1") == every
    assert run(account="222222222222") == every
    assert run(kms_encrypted_logs=True) == {"ContainerPlatform"}
    installed = metadata.version
    for distribution, plugins in (
        ("aws-cdk-lib", {"AwsSolutions", "cdk-preflight"}),
        ("cdk-nag", {"AwsSolutions"}),
        ("cdk-preflight", {"cdk-preflight"}),
    ):
        with monkeypatch.context() as patch:
            patch.setattr(
                metadata,
                "version",
                lambda name, changed=distribution: "0.0.0" if name == changed else installed(name),
            )
            assert run() == plugins, f"another {distribution}"
    with monkeypatch.context() as patch:
        patch.setattr(pack, "_rule_pack_digest", lambda: digest("another rule pack"))
        assert run() == {"ContainerPlatform"}, "another rule pack"
    assert run() == set(), "back to the first inputs: every entry still there"


@jsii.implements(IPolicyValidationPlugin)
class _Failing:
    """A plugin that cannot validate anything."""

    @property
    def name(self) -> str:
        return "failing"

    def validate(self, context: Any) -> Any:
        raise RuntimeError("cannot read the templates")


def test_a_plugin_that_fails_fails_synth_and_leaves_nothing_in_the_cache(tmp_path: Path) -> None:
    """A failing plugin must not be remembered as one that found nothing."""
    app = project_app(tmp_path / "cdk.out", **{"@aws-cdk/core:failSynthOnValidationErrors": True})
    Validations.of(app).add_plugins(
        CachedStagePlugin(
            name="failing",
            register=lambda stage: Validations.of(stage).add_plugins(_Failing()),
            cache=ValidationCache(tmp_path / "cache"),
        )
    )
    sns.Topic(Stack(app, "Cached", env=Environment(region="us-east-1")), "Topic")
    with pytest.raises(Exception, match="cannot read the templates"):
        app.synth()
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").rglob("*.json"))
