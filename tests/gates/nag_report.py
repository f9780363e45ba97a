"""Print the acknowledged validation findings of a cloud assembly as a table.

python -m tests.gates.nag_report cdk.out      (what `make nag-report ENV=...` runs)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.helpers.acknowledgements import collect_acknowledgements, unacknowledged_violations


def render(outdir: Path) -> str:
    manifest = json.loads((outdir / "manifest.json").read_text())
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
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
    outdir = Path(argv[1] if len(argv) > 1 else "cdk.out")
    if not (outdir / "manifest.json").exists():
        print(f"error: no cloud assembly in {outdir}; run `make synth` first", file=sys.stderr)
        return 2
    print(render(outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
