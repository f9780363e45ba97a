"""The acknowledged findings of every validation plugin in a cloud assembly, as a table.

    python -m container_constructs.rules.report cdk.out      (what `make nag-report` runs)

How aws-cdk-lib 2.275 records them (checked with throwaway apps):
- `Validations.of(c).acknowledge(Acknowledgment(id=..., reason=...))` writes metadata
  `aws:cdk:acknowledged-rules` = {qualified id: reason} on `c`, found in `<stack>.metadata.json`.
- An id without a `Plugin::` prefix is qualified as `Annotation::<id>`. cdk-nag then drops the
  finding itself, so validation-report.json never shows it: the suppression leaves no audit trail.
- With the prefix (`AwsSolutions::AwsSolutions-IAM5[Resource::*]`, `cdk-preflight::<rule>`,
  `ContainerPlatform::<rule>`) the plugin reports the finding and aws-cdk-lib moves it to
  `pluginReports[].suppressedViolations[]` with `acknowledgedId`, `acknowledgedAt` (the construct
  path) and `reason`, naming every resource it suppressed.
- aws-cdk-lib acknowledges some of its own "CloudFormation Validate" findings (listed below).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
REPORT_FILE = "validation-report.json"

# Acknowledgements aws-cdk-lib makes itself (exact id and reason), with why they are accepted.
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


@dataclass(frozen=True)
class Acknowledgement:
    """One acknowledgement as recorded in one environment's cloud assembly.

    Attributes:
        environment: the environment (or assembly) it was read from. Required.
        rule: the qualified id, e.g. `AwsSolutions::AwsSolutions-IAM5[Resource::*]`. Required.
        scope: the construct path it was made on, e.g. `cp-sandbox-ecs/Cluster/Role`. Required.
        reason: the reason given. Required.
        suppressed: construct paths of the findings it suppressed (from the report). Required.
    """

    environment: str
    rule: str
    scope: str
    reason: str
    suppressed: tuple[str, ...]

    @property
    def namespace(self) -> str:
        return self.rule.split("::", 1)[0] if "::" in self.rule.split("[", 1)[0] else ""

    @property
    def library_reason(self) -> str | None:
        """Why it is accepted, if aws-cdk-lib made it; None for the app's own."""
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
    report: Mapping[str, Any], *, skip: Callable[[Mapping[str, Any]], bool] | None = None
) -> list[str]:
    """One line per unacknowledged finding of any plugin (cdk-nag, cdk-preflight,
    ContainerPlatform, CloudFormation Validate, construct annotations), but those `skip` names."""
    return [
        f"{plugin.get('pluginName')}: {violation.get('ruleName')} ({violation.get('severity')}) "
        f"on {construct.get('constructPath')}: {violation.get('description')}"
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        if skip is None or not skip(violation)
        for construct in violation.get("violatingConstructs", []) or [{}]
    ]


def read_report(outdir: Path) -> dict[str, Any]:
    """The assembly's validation-report.json (no plugin report if there is none)."""
    report_file = outdir / REPORT_FILE
    return json.loads(report_file.read_text()) if report_file.exists() else {"pluginReports": []}


def render(outdir: Path) -> str:
    """The table (rule, resource, reason, by whom) of the assembly in `outdir`, then the count of
    unacknowledged findings and each of them."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    report = read_report(outdir)
    rows = [("RULE", "RESOURCE", "REASON", "BY")]
    for ack in collect_acknowledgements(outdir.name, outdir, manifest, report):
        by = "aws-cdk-lib" if ack.library_reason is not None else "app"
        for resource in ack.suppressed or (f"{ack.scope} (scope; findings not in report)",):
            rows.append((ack.rule, resource, ack.reason, by))
    widths = [min(max(len(row[i]) for row in rows), 70) for i in range(3)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]])
        for row in rows
    ]
    open_findings = unacknowledged_violations(report)
    lines.append(f"\n{len(rows) - 1} acknowledged finding(s); {len(open_findings)} unacknowledged")
    lines += [f"  UNACKNOWLEDGED {finding}" for finding in open_findings]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python -m container_constructs.rules.report [ASSEMBLY]`: print the table (exit 2
    without an assembly)."""
    outdir = Path(argv[1] if len(argv) > 1 else "cdk.out")
    if not (outdir / "manifest.json").exists():
        print(f"error: no cloud assembly in {outdir}; run `make synth` first", file=sys.stderr)
        return 2
    print(render(outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
