"""The floor of service constructs written entirely from plain data, for `make bench`.

An app that writes a synthesized assembly's resources back as `CfnResource`s and its outputs as
`CfnOutput`s: the same stacks, logical IDs, types, properties and exports, no L2 construct, no
reference between objects, no validation.
Synthesized by the same CLI for the 1- and 250-service assemblies, the difference per added
service is the least a service can cost when each of its resources is one jsii call with plain
properties (as the alarms are, docs/design.md D29): what a redesign of the service constructs
could reach at best (docs/performance.md).
"""

from __future__ import annotations

import json
from pathlib import Path

# Reads the assembly named by `-c source=DIR`.
PLAIN_APP = """\
import json
from pathlib import Path
from aws_cdk import App, CfnOutput, CfnResource, Stack, Token
app = App(builtin_cloud_formation_validation=False)
for path in sorted(Path(app.node.get_context("source")).glob("*.template.json")):
    template = json.loads(path.read_text())
    stack = Stack(app, path.name.split(".")[0])
    for logical_id, resource in template["Resources"].items():
        CfnResource(stack, logical_id, type=resource["Type"],
                    properties=resource.get("Properties"))
    for logical_id, output in template.get("Outputs", {}).items():
        value = output["Value"]
        CfnOutput(stack, logical_id,
                  value=value if isinstance(value, str) else Token.as_string(value),
                  export_name=output.get("Export", {}).get("Name"))
app.synth()
"""


def write_plain_app(directory: Path, python: Path) -> Path:
    """The app's directory (app.py and a cdk.json that runs it with `python`, with version
    reporting off as the project's: no `CDKMetadata` resource the assemblies do not have)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(PLAIN_APP)
    cdk_json = {"app": f"{python} app.py", "versionReporting": False}
    (directory / "cdk.json").write_text(json.dumps(cdk_json))
    return directory


def per_added_service(one: float, many: float, count: int) -> float:
    """Seconds each service past the first adds, from synths of 1 and `count` services."""
    return (many - one) / (count - 1)
