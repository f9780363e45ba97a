"""A plugin that only a library can register (e.g. cdk-preflight's `Preflight.apply`), with its
findings computed once per template.

    Validations.of(app).add_plugins(
        CachedStagePlugin(
            name="cdk-preflight",
            register=lambda stage: Preflight.apply(stage, strict=True),
            settings={"strict": True},
            distributions=("cdk-preflight",),
            cache=cache,
        )
    )

instead of `Preflight.apply(app, strict=True)`. Such a library builds its plugin object in
JavaScript and adds it to the stage itself, so nothing in Python can hand it other templates. For
the templates the cache misses, this synthesizes a throwaway app, in a temporary directory, whose
stacks are those templates byte for byte (same region and account) and on which `register`
registers the plugin exactly as on the real app; it reads the plugin's findings from that app's
`policy-validation-report.json`, where aws-cdk-lib writes each plugin's report as the plugin
returned it (no acknowledgement, and no construct exists there to map a finding to), and points
them back at the real templates. When the cache misses nothing, nothing is built: no throwaway
app, and no engine the plugin would have loaded.

The plugin must judge each template on its own (cdk-preflight does: each template is evaluated
alone, with its stack's region and account). What `register` does beyond adding its plugin to the
stage (cdk-preflight's enforce gate, for stacks inside nested stages, cdk-preflight#113) happens
on the throwaway app only.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import (
    App,
    DockerImageAssetLocation,
    Environment,
    FileAssetLocation,
    IPolicyValidationContext,
    Stack,
    StackSynthesizer,
    Stage,
)

from .cache import ValidationCache, Violation, digest
from .cached import PerTemplatePlugin, StackTemplate, versions

# aws-cdk-lib context keys: report findings instead of failing the throwaway synth, and write
# the plugins' reports as they returned them (policy-validation-report.json).
FAIL_SYNTH_ON_VALIDATION_ERRORS = "@aws-cdk/core:failSynthOnValidationErrors"
RAW_REPORT = "@aws-cdk/core:validationReportJson"
RAW_REPORT_FILE = "policy-validation-report.json"
# Context of the real app the throwaway app copies (cdk-preflight reads it).
MIRRORED_CONTEXT = ("@aws-cdk/core:validateAgainstDefaultRules",)


class _VerbatimSynthesizer(StackSynthesizer):
    """Writes the given bytes as its stack's template (and nothing else)."""

    def __init__(self, content: bytes) -> None:
        super().__init__()
        self._content = content

    def add_file_asset(self, **asset: Any) -> FileAssetLocation:
        raise NotImplementedError("a verbatim template stack has no assets")

    def add_docker_image_asset(self, **asset: Any) -> DockerImageAssetLocation:
        raise NotImplementedError("a verbatim template stack has no assets")

    def synthesize(self, session: Any) -> None:
        Path(session.outdir, self._bound_stack.template_file).write_bytes(self._content)
        self._emit_artifact(session)


def _fields(violation: Mapping[str, Any]) -> Violation:
    fields = ("ruleName", "description", "severity", "fix", "ruleMetadata")
    return {key: violation[key] for key in fields if violation.get(key) is not None}


def _by_real_stack(
    violation: Mapping[str, Any], shadows: Mapping[str, StackTemplate]
) -> dict[StackTemplate, list[dict[str, Any]]]:
    """The violation's resources by the real stack of the throwaway stack they name, with the
    real template path (and the real stack's path where a resource names its stack)."""
    grouped: dict[StackTemplate, list[dict[str, Any]]] = {}
    for resource in violation.get("violatingResources", []):
        template = str(resource.get("templatePath") or "")
        shadow = Path(template).name.removesuffix(".template.json") if template else ""
        shadow = shadow or str(resource.get("constructPath") or "")
        if shadow not in shadows:
            raise ValueError(
                f"{violation.get('ruleName')}: a finding on no template of the app ({resource})"
            )
        real = shadows[shadow]
        moved = {**resource, "templatePath": real.template_path}
        if resource.get("constructPath") in shadows:
            moved["constructPath"] = real.construct_path
        grouped.setdefault(real, []).append(moved)
    return grouped


class CachedStagePlugin(PerTemplatePlugin):
    """The plugin `register` adds to a stage, run on the templates the cache misses.

    Args:
        name: the name of the plugin `register` adds (its findings' acknowledgement prefix,
            e.g. "cdk-preflight"). Required.
        register: adds the plugin to a stage, e.g. `lambda stage: Preflight.apply(stage)`.
            Required.
        settings: the options `register` passes (they change the findings: part of the key).
            Default: none.
        distributions: the Python distributions whose versions decide the findings, besides
            aws-cdk-lib (which bundles the CloudFormation validation engine). Default: none.
        cache: where findings are kept. Default: None (every template is validated every time).
    """

    def __init__(
        self,
        *,
        name: str,
        register: Callable[[Stage], None],
        settings: Mapping[str, Any] | None = None,
        distributions: Sequence[str] = (),
        cache: ValidationCache | None = None,
    ) -> None:
        super().__init__(cache=cache)
        self._name = name
        self._register = register
        self._settings = dict(settings or {})
        self._distributions = tuple(distributions)

    @property
    def name(self) -> str:
        return self._name

    def _mirrored_context(self, context: IPolicyValidationContext) -> dict[str, Any]:
        node = context.app_construct.node
        return {key: node.try_get_context(key) for key in MIRRORED_CONTEXT}

    def fingerprint(self, context: IPolicyValidationContext) -> str:
        return digest(
            self._name,
            versions("aws-cdk-lib", *self._distributions),
            json.dumps(self._settings, sort_keys=True),
            json.dumps(self._mirrored_context(context), sort_keys=True),
        )

    def validate_templates(
        self, stacks: Sequence[StackTemplate], context: IPolicyValidationContext
    ) -> dict[str, list[Violation]]:
        mirrored = {k: v for k, v in self._mirrored_context(context).items() if v is not None}
        with tempfile.TemporaryDirectory(prefix="cached-validation-") as outdir:
            app = App(
                outdir=outdir,
                auto_synth=False,
                stack_traces=False,
                builtin_cloud_formation_validation=False,
                post_cli_context={
                    **mirrored,
                    FAIL_SYNTH_ON_VALIDATION_ERRORS: False,
                    RAW_REPORT: True,
                },
            )
            self._register(app)
            shadows: dict[str, StackTemplate] = {}
            for index, stack in enumerate(stacks):
                shadow = Stack(
                    app,
                    f"T{index}",
                    synthesizer=_VerbatimSynthesizer(stack.content),
                    env=Environment(account=stack.account, region=stack.region),
                )
                shadows[shadow.node.path] = stack
            # A plugin may fail the throwaway synth itself (cdk-preflight's enforce gate does):
            # the report below holds what it found either way.
            with contextlib.suppress(Exception):
                app.synth()
            report = json.loads(Path(outdir, RAW_REPORT_FILE).read_text())
        found: dict[str, list[Violation]] = {stack.construct_path: [] for stack in stacks}
        for plugin_report in report.get("pluginReports", []):
            summary = plugin_report.get("summary", {})
            if summary.get("pluginName") == self._name:
                error = (summary.get("metadata") or {}).get("error")
                if error and not plugin_report.get("violations"):
                    # The plugin itself failed: fail as it would have, and store nothing.
                    raise RuntimeError(error)
                for violation in plugin_report.get("violations", []):
                    for real, resources in _by_real_stack(violation, shadows).items():
                        found[real.construct_path].append(
                            {**_fields(violation), "violatingResources": resources}
                        )
        return found

    def merge(
        self, results: Sequence[tuple[StackTemplate, list[Violation]]], context: Any
    ) -> list[Violation]:
        """Stacks grouped by region and account in first-seen order, as cdk-preflight
        evaluates them (one engine per deployment environment)."""
        groups: dict[tuple[str, str], list[Violation]] = {}
        for stack, violations in results:
            groups.setdefault((stack.region or "", stack.account or ""), []).extend(violations)
        return [violation for group in groups.values() for violation in group]
