"""cfn-lint every template of a cloud assembly, in the region each stack deploys to.

    python -m tools.gates.lint_templates <cdk.out>

`make synth` and `make deploy` run it after `cdk synth`: aws-cdk-lib's built-in CloudFormation
validation is off in app.py (it was two thirds of synth time), and this is the template gate users
keep on what they deploy. The rules ignored, each with its reason, are in `.cfnlintrc.yaml`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".cfnlintrc.yaml"


def stack_templates(outdir: Path) -> dict[Path, str]:
    """Template file -> region, for every CloudFormation stack in the assembly."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {
        outdir / artifact["properties"]["templateFile"]: artifact["environment"].rsplit("/", 1)[-1]
        for artifact in manifest["artifacts"].values()
        if artifact["type"] == "aws:cloudformation:stack"
    }


def cfn_lint_command(
    templates: Sequence[Path], regions: Iterable[str], config: Path = CONFIG, *extra: str
) -> list[str]:
    """The pinned cfn-lint (beside this Python) over `templates`, checked in each of `regions`,
    with the project's config and any `extra` options."""
    return [
        str(Path(sys.executable).with_name("cfn-lint")),
        "--config-file",
        str(config),
        *extra,
        "--regions",
        *sorted(set(regions)),
        "--",
        *map(str, templates),
    ]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    templates = stack_templates(Path(args[0]))
    result = subprocess.run(cfn_lint_command(sorted(templates), templates.values()), check=False)
    if result.returncode == 0:
        print(f"cfn-lint: {len(templates)} templates, no errors or warnings")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
