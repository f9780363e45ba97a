"""Draw the platform's architecture as Mermaid from a synthesized cloud assembly.

    python -m tools.docs.diagram <cdk.out> <output.md> [--readme README.md]

Reads the assembly's `manifest.json` (stacks and their dependencies), `tree.json` (construct path
of every CloudFormation resource) and each stack template (resources and the references between
them). Stacks become subgraphs, resources whose type is in `MAIN_RESOURCE_TYPES` become nodes, and
an edge A --> B means A refers to B: by `Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`, or across
stacks by `Fn::ImportValue` or `Fn::GetStackOutput`, possibly through resources that are not drawn
(a service reaches its load balancer through the listener it depends on). Edges implied by a
longer path are left out. Stack dependencies not already shown by an edge are drawn dotted. The
output is deterministic: the same assembly always gives the same text.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.docs.markers import write_generated
from tools.plan.references import imported_names, referenced_ids


@dataclass(frozen=True)
class Kind:
    """How a CloudFormation resource type is drawn: its label and its colour group."""

    label: str
    group: str


# The resources worth drawing. Adding a type here is all it takes to draw it.
MAIN_RESOURCE_TYPES: dict[str, Kind] = {
    "AWS::EC2::VPC": Kind("VPC", "network"),
    "AWS::EC2::NatGateway": Kind("NAT gateway", "network"),
    "AWS::EC2::VPCEndpoint": Kind("VPC endpoint", "network"),
    "AWS::ECR::Repository": Kind("ECR repository", "registry"),
    "AWS::ECS::Cluster": Kind("ECS cluster", "compute"),
    "AWS::ECS::CapacityProvider": Kind("ECS capacity provider", "compute"),
    "AWS::AutoScaling::AutoScalingGroup": Kind("Auto Scaling group", "compute"),
    "AWS::ECS::Service": Kind("ECS service", "workload"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": Kind("Load balancer", "edge"),
    "AWS::EKS::Cluster": Kind("EKS cluster", "compute"),
    "AWS::EKS::Nodegroup": Kind("EKS node group", "compute"),
    "AWS::EKS::FargateProfile": Kind("EKS Fargate profile", "compute"),
    "AWS::KMS::Key": Kind("KMS key", "security"),
    "AWS::S3::Bucket": Kind("S3 bucket", "storage"),
}

GROUP_STYLES: dict[str, str] = {
    "network": "fill:#e8f1fb,stroke:#2b6cb0",
    "registry": "fill:#fdf2e9,stroke:#c05621",
    "compute": "fill:#eefaf0,stroke:#2f855a",
    "workload": "fill:#f3ecfb,stroke:#6b46c1",
    "edge": "fill:#fff8e1,stroke:#b7791f",
    "security": "fill:#fdecec,stroke:#c53030",
    "storage": "fill:#edf2f7,stroke:#4a5568",
}

README_BLOCK = "diagram"


@dataclass(frozen=True, order=True)
class Node:
    """One drawn resource."""

    stack: str
    logical_id: str
    kind: Kind
    path: str

    @property
    def mermaid_id(self) -> str:
        return f"{_slug(self.stack)}__{_slug(self.logical_id)}"


@dataclass(frozen=True)
class Diagram:
    """The drawable content of an assembly."""

    stacks: list[str]
    nodes: list[Node]
    edges: list[tuple[Node, Node]]
    stack_edges: list[tuple[str, str]]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", text)


class Assembly:
    """The parts of a cloud assembly the diagram needs, read once."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
        artifacts: dict[str, Any] = manifest["artifacts"]
        stacks = {
            name: artifact
            for name, artifact in artifacts.items()
            if artifact["type"] == "aws:cloudformation:stack"
        }
        self.stack_names = sorted(stacks)
        self.templates: dict[str, dict[str, Any]] = {
            name: json.loads(
                (outdir / artifact["properties"]["templateFile"]).read_text(encoding="utf-8")
            )
            for name, artifact in stacks.items()
        }
        self.stack_dependencies = {
            name: sorted(dep for dep in artifact.get("dependencies", []) if dep in stacks)
            for name, artifact in stacks.items()
        }
        self.paths = self._construct_paths(outdir)

    @staticmethod
    def _construct_paths(outdir: Path) -> dict[tuple[str, str], str]:
        """(stack name, logical id) -> construct path below the stack, from tree.json."""
        tree_file = outdir / "tree.json"
        if not tree_file.exists():
            return {}
        tree = json.loads(tree_file.read_text(encoding="utf-8"))["tree"]
        paths: dict[tuple[str, str], str] = {}
        for stack_node in tree.get("children", {}).values():
            for node in _walk(stack_node):
                logical_id = node.get("attributes", {}).get("aws:cdk:cloudformation:logicalId")
                if logical_id:
                    paths[(stack_node["id"], logical_id)] = node["path"]
        return paths

    def construct_path(self, stack: str, logical_id: str, resource: Mapping[str, Any]) -> str:
        """The resource's construct path without the stack and a trailing `/Resource`."""
        path = self.paths.get((stack, logical_id)) or resource.get("Metadata", {}).get(
            "aws:cdk:path", logical_id
        )
        path = str(path).removeprefix(f"{stack}/").removesuffix("/Resource")
        return path or logical_id


def _walk(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for child in node.get("children", {}).values():
        yield from _walk(child)


def _references(value: Any, exports: Mapping[str, tuple[str, Any]]) -> Iterator[tuple[str, str]]:
    """(stack or '', logical id) of every resource `value` refers to; '' means the same stack.
    Same-stack references and imports are read as the deploy planner reads them
    (tools/plan/references.py); an import or a weak reference resolves to what its output holds."""
    for logical_id in referenced_ids(value):
        yield "", logical_id
    for key in sorted(imported_names(value) | _stack_outputs_read(value)):
        if key in exports:
            stack, exported = exports[key]
            for logical_id in referenced_ids(exported):
                yield stack, logical_id


def _stack_outputs_read(value: Any) -> set[str]:
    """The keys (`_output_key`) of the outputs `value` reads with `Fn::GetStackOutput`,
    aws-cdk-lib's weak cross-stack reference."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _stack_outputs_read(item)
    elif isinstance(value, dict):
        argument = value.get("Fn::GetStackOutput")
        if isinstance(argument, dict):
            found.add(_output_key(argument.get("StackName"), argument.get("OutputName")))
        for item in value.values():
            found |= _stack_outputs_read(item)
    return found


def _output_key(stack: Any, output_name: Any) -> str:
    """The key of a stack output read by `Fn::GetStackOutput` (stack names are artifact ids)."""
    return f"Fn::GetStackOutput {stack} {output_name}"


def build(assembly: Assembly) -> Diagram:
    """Nodes, edges and stack edges of `assembly`, sorted."""
    exports: dict[str, tuple[str, Any]] = {}
    for stack, template in assembly.templates.items():
        for output_name, output in template.get("Outputs", {}).items():
            exports[_output_key(stack, output_name)] = (stack, output["Value"])
            name = output.get("Export", {}).get("Name")
            if isinstance(name, str):
                exports[name] = (stack, output["Value"])

    # Every resource's direct references, keyed by (stack, logical id).
    direct: dict[tuple[str, str], set[tuple[str, str]]] = {}
    nodes: dict[tuple[str, str], Node] = {}
    for stack, template in assembly.templates.items():
        resources: dict[str, Any] = template.get("Resources", {})
        for logical_id, resource in resources.items():
            depends_on = resource.get("DependsOn", [])
            targets = [
                *_references(resource.get("Properties", {}), exports),
                *(
                    ("", name)
                    for name in ([depends_on] if isinstance(depends_on, str) else depends_on)
                ),
            ]
            direct[(stack, logical_id)] = {
                (target_stack or stack, target)
                for target_stack, target in targets
                if target in assembly.templates[target_stack or stack].get("Resources", {})
                and (target_stack or stack, target) != (stack, logical_id)
            }
            kind = MAIN_RESOURCE_TYPES.get(resource["Type"])
            if kind is not None:
                path = assembly.construct_path(stack, logical_id, resource)
                nodes[(stack, logical_id)] = Node(stack, logical_id, kind, path)

    # Main resource -> the main resources it reaches through resources that are not drawn.
    reach: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for key in nodes:
        found: set[tuple[str, str]] = set()
        seen: set[tuple[str, str]] = {key}
        stack_ = sorted(direct.get(key, ()))
        while stack_:
            current = stack_.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in nodes:
                found.add(current)
            else:
                stack_.extend(sorted(direct.get(current, ())))
        reach[key] = found

    edges = sorted(
        (nodes[source], nodes[target])
        for source, targets in reach.items()
        for target in targets
        if not _implied(source, target, reach)
    )
    linked_stacks = {(source.stack, target.stack) for source, target in edges}
    stack_edges = sorted(
        (stack, dependency)
        for stack, dependencies in assembly.stack_dependencies.items()
        for dependency in dependencies
        if (stack, dependency) not in linked_stacks
    )
    return Diagram(assembly.stack_names, sorted(nodes.values()), edges, stack_edges)


def _implied(
    source: tuple[str, str],
    target: tuple[str, str],
    reach: Mapping[tuple[str, str], set[tuple[str, str]]],
) -> bool:
    """True when `target` is reachable from `source` through another drawn resource."""
    pending = [middle for middle in reach[source] if middle != target]
    seen: set[tuple[str, str]] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if target in reach.get(current, ()):
            return True
        pending.extend(reach.get(current, ()))
    return False


def render_mermaid(diagram: Diagram) -> str:
    """The diagram as a fenced Mermaid block."""
    lines = ["```mermaid", "flowchart LR"]
    for stack in diagram.stacks:
        lines.append(f'  subgraph {_slug(stack)}["{stack}"]')
        lines.append("    direction TB")
        for node in (node for node in diagram.nodes if node.stack == stack):
            label = f"{node.kind.label}<br/>{node.path}".replace('"', "#quot;")
            lines.append(f'    {node.mermaid_id}["{label}"]')
        lines.append("  end")
    lines.extend(
        f"  {source.mermaid_id} --> {target.mermaid_id}" for source, target in diagram.edges
    )
    lines.extend(
        f"  {_slug(stack)} -.->|deploys after| {_slug(dependency)}"
        for stack, dependency in diagram.stack_edges
    )
    used_groups = sorted({node.kind.group for node in diagram.nodes})
    for group in used_groups:
        lines.append(f"  classDef {group} {GROUP_STYLES.get(group, 'fill:#ffffff,stroke:#333')}")
    for group in used_groups:
        members = ",".join(node.mermaid_id for node in diagram.nodes if node.kind.group == group)
        lines.append(f"  class {members} {group}")
    lines.append("```")
    return "\n".join(lines) + "\n"


def render_document(diagram: Diagram) -> str:
    """The whole `docs/architecture.md`."""
    return (
        "# Architecture\n\n"
        "<!-- Generated by `make diagram`; do not edit by hand. -->\n\n"
        "Generated by `make diagram` from the cloud assembly of `cdk synth -c environment=sandbox`:"
        "\none subgraph per stack, the main resources of each, and an arrow from a resource to"
        "\nwhat it refers to (in the template, or across stacks by an exported value). A dotted"
        "\narrow is a stack dependency not shown by any resource arrow.\n\n"
        f"{render_mermaid(diagram)}"
    )


def generate(outdir: Path) -> tuple[str, str]:
    """(architecture document, README block) for the assembly in `outdir`."""
    diagram = build(Assembly(outdir))
    return render_document(diagram), render_mermaid(diagram)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.docs.diagram", description=__doc__)
    parser.add_argument("assembly", type=Path, help="cloud assembly directory (cdk.out)")
    parser.add_argument(
        "output", type=Path, help="Markdown file to write, e.g. docs/architecture.md"
    )
    parser.add_argument("--readme", type=Path, help=f"also replace the '{README_BLOCK}' block here")
    args = parser.parse_args(argv)
    document, block = generate(args.assembly)
    write_generated(args.output, document, args.readme, README_BLOCK, block, "diagram")
    return 0


if __name__ == "__main__":
    sys.exit(main())
