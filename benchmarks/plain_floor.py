"""The floor of service constructs written entirely from plain data, for `make bench`.

An app that writes a synthesized assembly back from its templates alone: each resource as one
`CfnResource` of plain properties at its construct path (the path's scopes as plain
`Construct`s), so its logical ID is the one aws-cdk-lib derives from that path as before (set
explicitly only where the original overrode it), with its deletion policies, dependencies and
metadata; each output as a `CfnOutput`. No L2 construct, no reference between objects, no
validation. The service stacks come out byte for byte as they went in (the bench checks it); the
cluster stacks' parameters, conditions and update policies, the same in every assembly, are left
out.

Synthesized by the same CLI for the 1- and 250-service assemblies, the difference per added
service is the least a service can cost while it keeps its construct paths and so its logical
IDs (a changed logical ID replaces the resource on the next deploy): what any redesign of the
service constructs could reach at best (docs/performance.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The app the CLI runs: it imports this module from the project (`-c source=DIR` names the
# assembly to write back).
PLAIN_APP = """\
import sys
sys.path.insert(0, {root!r})
from benchmarks.plain_floor import synth_plain_app
synth_plain_app()
"""
PATH_METADATA = "aws:cdk:path"
# aws-cdk-lib's makeUniqueId (core/lib/private/uniqueid.ts): the path's components without
# "Default", each stripped to alphanumerics, consecutive repeats and "Resource" dropped, then the
# first 8 hex digits of the MD5 of the components joined by "/", upper case.
_HIDDEN = "Default"
_HIDDEN_FROM_HUMAN = "Resource"
_NON_ALPHANUMERIC = re.compile("[^A-Za-z0-9]")
# Where a template's policy value (RetainExceptOnCreate) has a word break in its enum name.
_WORD_START = re.compile("(?<=[a-z])(?=[A-Z])")


def logical_id_of(components: list[str]) -> str:
    """The logical ID aws-cdk-lib gives a resource at these path components (below its stack)."""
    components = [component for component in components if component != _HIDDEN]
    if len(components) == 1:
        single = _NON_ALPHANUMERIC.sub("", components[0])
        if len(single) <= 255:
            return single
    digest = hashlib.md5("/".join(components).encode()).hexdigest()[:8].upper()
    kept: list[str] = []
    for component in components:
        if not kept or not kept[-1].endswith(component):
            kept.append(component)
    human = "".join(_NON_ALPHANUMERIC.sub("", c) for c in kept if c != _HIDDEN_FROM_HUMAN)
    return human[:240] + digest


def _write_stack(app: Any, name: str, template: dict[str, Any]) -> None:
    from aws_cdk import CfnDeletionPolicy, CfnOutput, CfnResource, Stack, Token
    from constructs import Construct

    stack = Stack(app, name, description=template.get("Description"))
    scopes: dict[str, Any] = {}
    written: dict[str, Any] = {}
    for logical_id, resource in template["Resources"].items():
        metadata = dict(resource.get("Metadata", {}))
        path = metadata.pop(PATH_METADATA, f"{name}/{logical_id}").split("/")[1:]
        parent = stack
        for depth in range(1, len(path)):
            key = "/".join(path[:depth])
            if key not in scopes:
                scopes[key] = Construct(parent, path[depth - 1])
            parent = scopes[key]
        cfn = CfnResource(
            parent, path[-1], type=resource["Type"], properties=resource.get("Properties")
        )
        if logical_id_of(path) != logical_id:
            cfn.override_logical_id(logical_id)
        for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
            if policy in resource:
                value = CfnDeletionPolicy[_WORD_START.sub("_", resource[policy]).upper()]
                if policy == "DeletionPolicy":
                    cfn.cfn_options.deletion_policy = value
                else:
                    cfn.cfn_options.update_replace_policy = value
        for key, value in metadata.items():
            cfn.add_metadata(key, value)
        written[logical_id] = cfn
    for logical_id, resource in template["Resources"].items():
        for dependency in resource.get("DependsOn", []):
            written[logical_id].add_resource_dependency(written[dependency])
    for logical_id, output in template.get("Outputs", {}).items():
        value = output["Value"]
        CfnOutput(
            stack,
            logical_id,
            value=value if isinstance(value, str) else Token.as_string(value),
            description=output.get("Description"),
            export_name=output.get("Export", {}).get("Name"),
        )


def synth_plain_app() -> None:
    """Write back every template of the assembly in the context's `source` and synthesize."""
    from aws_cdk import App

    app = App(builtin_cloud_formation_validation=False)
    for path in sorted(Path(app.node.get_context("source")).glob("*.template.json")):
        _write_stack(app, path.name.split(".")[0], json.loads(path.read_text()))
    app.synth()


def write_plain_app(directory: Path, python: Path, root: Path) -> Path:
    """The app's directory (app.py, importing this module from `root`, and a cdk.json that runs
    it with `python`, with version reporting off as the project's: no `CDKMetadata` resource the
    assemblies do not have)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(PLAIN_APP.format(root=str(root)))
    cdk_json = {"app": f"{python} app.py", "versionReporting": False}
    (directory / "cdk.json").write_text(json.dumps(cdk_json))
    return directory


# What the floor does not write back (the cluster stacks have them, no service stack does).
_RESOURCE_ATTRIBUTES_LEFT_OUT = ("Condition", "UpdatePolicy", "CreationPolicy")
# The parameter every stack of the default synthesizer has, written back by it.
_SYNTHESIZER_PARAMETER = "BootstrapVersion"


def written_in_full(template: dict[str, Any]) -> bool:
    """Whether the floor writes `template` back whole: no conditions, no parameter of its own,
    no resource attribute it leaves out."""
    return (
        "Conditions" not in template
        and set(template.get("Parameters", {})) <= {_SYNTHESIZER_PARAMETER}
        and not any(
            attribute in resource
            for resource in template["Resources"].values()
            for attribute in _RESOURCE_ATTRIBUTES_LEFT_OUT
        )
    )


@dataclass(frozen=True)
class WrittenBack:
    """How an assembly came out of the floor: the templates written in full that differ in any
    byte (none, if the floor is sound), and the ECS services in templates written in full out of
    all the assembly's."""

    differing: list[str]
    services_in_full: int
    services: int


def compare(source: Path, written: Path) -> WrittenBack:
    """Compare the floor's assembly `written` with the `source` it was written from."""
    differing: list[str] = []
    services_in_full = services = 0
    for path in sorted(source.glob("*.template.json")):
        content = path.read_bytes()
        template = json.loads(content)
        count = sum(1 for r in template["Resources"].values() if r["Type"] == "AWS::ECS::Service")
        services += count
        if written_in_full(template):
            services_in_full += count
            if content != (written / path.name).read_bytes():
                differing.append(path.name)
    return WrittenBack(differing, services_in_full, services)


def per_added_service(one: float, many: float, count: int) -> float:
    """Seconds each service past the first adds, from synths of 1 and `count` services."""
    return (many - one) / (count - 1)
