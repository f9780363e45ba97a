"""Every acknowledged (suppressed) validation finding of a cloud assembly, and the rules an
acknowledgement must follow: a specific reason, the narrowest scope, and a finding it suppresses.

How aws-cdk-lib 2.275 and cdk-nag 3.0.2 record them (verified with a throwaway app):
- `Validations.of(c).acknowledge(Acknowledgment(id=..., reason=...))` writes metadata
  `aws:cdk:acknowledged-rules` = {qualified id: reason} on `c`, found in `<stack>.metadata.json`.
- An id without a `Plugin::` prefix is qualified as `Annotation::<id>`. cdk-nag then drops the
  finding itself, so validation-report.json never shows it: the suppression leaves no audit trail.
- With the prefix (`AwsSolutions::AwsSolutions-IAM5[Resource::*]`) cdk-nag reports the finding
  and aws-cdk-lib moves it to `pluginReports[].suppressedViolations[]` with `acknowledgedId`,
  `acknowledgedAt` (the construct path) and `reason`, naming every resource it suppressed.
  That is the form this project requires for cdk-nag rules.
- aws-cdk-lib acknowledges some of its own "CloudFormation Validate" findings (listed below).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
ANNOTATION_NAMESPACE = "Annotation"
NAG_PACK_PREFIX = "AwsSolutions-"

# Acknowledgements aws-cdk-lib makes itself (exact id and reason), with why the project accepts
# them. Any other acknowledgement is the app's and must pass `acknowledgement_problems`.
LIBRARY_ACKNOWLEDGEMENTS: dict[tuple[str, str], str] = {
    (
        "CloudFormation-Validate::W3010",
        "Literal AZs in template are the result of accessing stack.availabilityZones, "
        "this is expected and safe",
    ): "by design: AZs come from config so synth never looks them up",
    (
        "CloudFormation-Validate::F3002",
        "AWS::EC2::FlowLog DestinationOptions accepts properties in camelCase, "
        "even they are listed as PascalCase in the spec",
    ): "a spec quirk of flow logs, not a template defect",
    (
        "CloudFormation-Validate::F3003",
        "AWS::EC2::FlowLog DestinationOptions accepts properties in camelCase, "
        "even they are listed as PascalCase in the spec",
    ): "a spec quirk of flow logs, not a template defect",
}

# The app's own warnings to its user about a config choice (`Validations.of(c).add_warning(
# "platform:...", ...)`, e.g. a public EKS endpoint in sandbox) are intended synth output: the
# audit lists them but does not fail on them. Any other finding of any plugin fails.
APP_WARNING_PREFIX = "Annotation::platform:"

MIN_REASON_CHARACTERS = 40
MIN_REASON_WORDS = 6
_PLACEHOLDER = re.compile(
    r"\b(todo|fixme|tbd|xxx|for now|temporar(y|ily)|lorem ipsum|to be (fixed|done))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Acknowledgement:
    """One acknowledgement as recorded in one environment's cloud assembly."""

    environment: str
    rule: str  # qualified id, e.g. AwsSolutions::AwsSolutions-IAM5[Resource::*]
    scope: str  # construct path it was made on, e.g. cp-sandbox-ecs/Cluster/Role
    reason: str
    suppressed: tuple[str, ...]  # construct paths of the findings it suppressed (from the report)

    @property
    def namespace(self) -> str:
        return self.rule.split("::", 1)[0] if "::" in self.rule.split("[", 1)[0] else ""

    @property
    def library_reason(self) -> str | None:
        """Why the project accepts it, if aws-cdk-lib made it; None for the app's own."""
        return LIBRARY_ACKNOWLEDGEMENTS.get((self.rule, self.reason))

    @property
    def label(self) -> str:
        return f"[{self.environment}] {self.rule} at {self.scope}"


def _metadata_entries(outdir: Path, manifest: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    for artifact in manifest.get("artifacts", {}).values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        metadata = dict(artifact.get("metadata") or {})
        if artifact.get("additionalMetadataFile"):
            extra = json.loads((outdir / artifact["additionalMetadataFile"]).read_text())
            for path, entries in extra.items():
                metadata[path] = [*metadata.get(path, []), *entries]
        for path, entries in metadata.items():
            for entry in entries:
                yield path.strip("/"), entry


def suppressed_resources(report: Mapping[str, Any]) -> dict[tuple[str, str], list[str]]:
    """(acknowledged id, acknowledged at) -> construct paths of the findings it suppressed."""
    found: dict[tuple[str, str], list[str]] = {}
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("suppressedViolations") or []:
            key = (violation.get("acknowledgedId", ""), violation.get("acknowledgedAt", ""))
            paths = [c.get("constructPath", "") for c in violation.get("violatingConstructs", [])]
            found.setdefault(key, []).extend(paths)
    return found


def collect_acknowledgements(
    environment: str, outdir: Path, manifest: Mapping[str, Any], report: Mapping[str, Any]
) -> list[Acknowledgement]:
    """Every acknowledgement made anywhere in the assembly, with what it suppressed."""
    suppressed = suppressed_resources(report)
    acknowledgements = {
        Acknowledgement(
            environment=environment,
            rule=rule,
            scope=path,
            reason=str(reason or ""),
            suppressed=tuple(sorted(set(suppressed.get((rule, path), [])))),
        )
        for path, entry in _metadata_entries(outdir, manifest)
        if entry.get("type") == ACKNOWLEDGED_RULES
        for rule, reason in (entry.get("data") or {}).items()
    }
    return sorted(acknowledgements, key=lambda a: (a.scope, a.rule))


def unacknowledged_violations(
    report: Mapping[str, Any], *, include_app_warnings: bool = True
) -> list[str]:
    """One line per unacknowledged finding of any plugin (cdk-nag, CloudFormation Validate,
    construct annotations); without the app's own `platform:` warnings if asked."""
    return [
        f"{plugin.get('pluginName')}: {violation.get('ruleName')} ({violation.get('severity')}) "
        f"on {construct.get('constructPath')}: {violation.get('description')}"
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        if include_app_warnings or not is_app_warning(violation)
        for construct in violation.get("violatingConstructs", []) or [{}]
    ]


def is_app_warning(violation: Mapping[str, Any]) -> bool:
    return str(violation.get("ruleName", "")).startswith(APP_WARNING_PREFIX) and (
        violation.get("severity") == "warning"
    )


def _common_ancestor(paths: Iterable[str]) -> str:
    parts = [path.split("/") for path in paths]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/".join(common)


def narrowest_scopes(suppressed: Iterable[str]) -> list[str]:
    """Where an acknowledgement of these findings may be made: on their nearest common ancestor,
    or on the L2 constructs that own it as their default child (`Resource`/`Default`), or on the
    principal (role) that owns it as the policy aws-cdk-lib's grants write (its `DefaultPolicy`:
    constructs acknowledge on the role, a public attribute, rather than look the policy up)."""
    scope = _common_ancestor(suppressed)
    scopes = [scope]
    while "/" in scope and scope.rsplit("/", 1)[1] in ("Resource", "Default"):
        scope = scope.rsplit("/", 1)[0]
        scopes.append(scope)
    if "/" in scope and scope.rsplit("/", 1)[1] == "DefaultPolicy":
        scopes.append(scope.rsplit("/", 1)[0])
    return scopes


def reason_problem(reason: str) -> str | None:
    """Why `reason` is not specific enough, or None."""
    text = reason.strip()
    if len(text) < MIN_REASON_CHARACTERS or len(text.split()) < MIN_REASON_WORDS:
        return (
            f"reason '{text}' is too short to be specific (at least {MIN_REASON_WORDS} words, "
            f"{MIN_REASON_CHARACTERS} characters: what the resource needs and why it is safe)"
        )
    if _PLACEHOLDER.search(text):
        return f"reason '{text}' is a placeholder; say what needs the finding and why it is safe"
    return None


def acknowledgement_problems(ack: Acknowledgement) -> list[str]:
    """Why the app's acknowledgement `ack` is not acceptable (empty when it is)."""
    if ack.library_reason is not None:
        return []
    problems = []
    if ack.rule.startswith(f"{ANNOTATION_NAMESPACE}::{NAG_PACK_PREFIX}"):
        bare = ack.rule.split("::", 1)[1]
        problems.append(
            f"cdk-nag rule acknowledged without its plugin prefix, so validation-report.json "
            f"does not record what it suppressed; use id='AwsSolutions::{bare}'"
        )
    if problem := reason_problem(ack.reason):
        problems.append(problem)
    if ack.namespace and ack.namespace != ANNOTATION_NAMESPACE:
        if not ack.suppressed:
            problems.append(f"suppresses no finding in {ack.environment}; remove it")
        elif ack.scope not in (allowed := narrowest_scopes(ack.suppressed)):
            problems.append(
                f"made at {ack.scope}, wider than its findings "
                f"({', '.join(ack.suppressed)}); acknowledge at {' or '.join(allowed)}"
            )
    return problems
