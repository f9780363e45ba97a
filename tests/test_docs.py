"""The generated documents match the code: diagram (from the sandbox assembly) and config reference.

When one of these fails, run `make docs` (or `make diagram`) and commit the result.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from stacks import names
from tests.helpers.assembly import Assembly
from tests.helpers.make import help_targets
from tools.docs import config_reference, diagram
from tools.docs.markers import marked_blocks, read_block, replace_block, replace_marked_block

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def generated_diagram(sandbox: Assembly) -> tuple[str, str]:
    """(docs/architecture.md, README block) generated from the session's sandbox assembly."""
    return diagram.generate(sandbox.outdir)


@pytest.fixture(scope="module")
def generated_reference() -> tuple[str, str]:
    return config_reference.generate()


def test_committed_architecture_doc_matches_the_app(generated_diagram: tuple[str, str]) -> None:
    committed = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert committed == generated_diagram[0], (
        "docs/architecture.md is out of date: run `make diagram`"
    )


def test_committed_config_reference_matches_the_models(
    generated_reference: tuple[str, str],
) -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == generated_reference[0], (
        "docs/configuration.md is out of date: run `make docs`"
    )


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)\)")
_HEADING = re.compile(r"^#+ (?P<title>.+)$", re.MULTILINE)


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces
    as hyphens."""
    return {
        re.sub(r"[^\w\- ]", "", match.group("title").strip().lower()).replace(" ", "-")
        for match in _HEADING.finditer(markdown)
    }


def broken_links(document: Path) -> list[str]:
    """Each relative link of `document` whose file, or heading in that file, does not exist."""
    broken = []
    for match in _LINK.finditer(document.read_text(encoding="utf-8")):
        target = match.group("target")
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists() or (
            anchor and anchor not in anchors(linked.read_text(encoding="utf-8"))
        ):
            broken.append(target)
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_leads_somewhere(document: Path) -> None:
    assert broken_links(document) == []


def test_a_link_to_a_missing_file_or_heading_is_broken(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## D2. Two words: `code`\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[a](other.md) [b](other.md#d2-two-words-code) [c](#here) [d](https://x.example/y)\n"
        "# Here\n[e](missing.md) [f](other.md#nowhere)\n"
    )
    assert broken_links(page) == ["missing.md", "other.md#nowhere"]


_CODE = re.compile(
    r"^ *```bash\n(?P<block>.*?)^ *```|`(?P<span>[^`\n]+)`", re.MULTILINE | re.DOTALL
)
_MAKE = re.compile(r"(?<![\w./-])make (?P<target>[a-z][a-z-]*)")


def documented_make_targets(markdown: str) -> set[str]:
    """The targets of every `make ...` command in the document's bash blocks and code spans."""
    return {
        target
        for code in _CODE.finditer(markdown)
        for target in _MAKE.findall(code.group("block") or code.group("span"))
    }


def test_every_make_command_the_docs_give_is_a_target() -> None:
    documented = {
        target: document.name
        for document in DOCUMENTS
        for target in documented_make_targets(document.read_text(encoding="utf-8"))
    }
    assert len(documented) >= 20
    assert set(documented) <= set(help_targets()), {
        target: document for target, document in documented.items() if target not in help_targets()
    }
    assert documented_make_targets("`make deploi ENV=x`\n```bash\nmake synth\n```\n") == {
        "deploi",
        "synth",
    }


def test_sandbox_diagram_draws_the_network(generated_diagram: tuple[str, str]) -> None:
    block = generated_diagram[1]
    network = names.stack_id("sandbox", names.NETWORK_UNIT)
    vpc = f"{names.NETWORK_CONSTRUCT}/Vpc"
    assert f'subgraph {network.replace("-", "_")}["{network}"]' in block
    assert f'["VPC<br/>{vpc}"]' in block
    assert f"NAT gateway<br/>{vpc}/PublicSubnet1/NATGateway" in block


# --- the diagram generator on a small hand-written assembly -------------------------------------


def _write_assembly(
    outdir: Path, templates: dict[str, dict[str, Any]], deps: dict[str, list[str]]
) -> None:
    outdir.mkdir(parents=True)
    artifacts: dict[str, Any] = {}
    for name, template in templates.items():
        (outdir / f"{name}.template.json").write_text(json.dumps(template))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "properties": {"templateFile": f"{name}.template.json"},
            "dependencies": [f"{name}.assets", *deps.get(name, [])],
        }
    (outdir / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))


def _resource(kind: str, path: str, properties: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "Type": kind,
        "Properties": properties or {},
        "Metadata": {"aws:cdk:path": path},
        **extra,
    }


@pytest.fixture
def two_stack_diagram(tmp_path: Path) -> str:
    """A network stack exporting its VPC, and an app stack with a cluster, ALB and service."""
    network = {
        "Resources": {
            "Vpc": _resource("AWS::EC2::VPC", "net/Vpc/Resource"),
            "Subnet": _resource("AWS::EC2::Subnet", "net/Vpc/Subnet", {"VpcId": {"Ref": "Vpc"}}),
        },
        "Outputs": {
            "ExportSubnet": {"Value": {"Ref": "Subnet"}, "Export": {"Name": "net:Subnet"}},
            "ExportVpc": {"Value": {"Ref": "Vpc"}, "Export": {"Name": "net:Vpc"}},
        },
    }
    app = {
        "Resources": {
            "Cluster": _resource("AWS::ECS::Cluster", "app/Cluster/Resource"),
            "Alb": _resource(
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "app/Alb/Resource",
                {"Subnets": [{"Fn::ImportValue": "net:Subnet"}]},
            ),
            "TargetGroup": _resource(
                "AWS::ElasticLoadBalancingV2::TargetGroup",
                "app/Tg/Resource",
                {"VpcId": {"Fn::ImportValue": "net:Vpc"}},
            ),
            "Listener": _resource(
                "AWS::ElasticLoadBalancingV2::Listener",
                "app/Alb/Listener/Resource",
                {"LoadBalancerArn": {"Ref": "Alb"}, "TargetGroupArn": {"Ref": "TargetGroup"}},
            ),
            "Service": _resource(
                "AWS::ECS::Service",
                "app/Service/Service",
                {
                    "Cluster": {"Ref": "Cluster"},
                    "LoadBalancers": [{"TargetGroupArn": {"Ref": "TargetGroup"}}],
                },
                DependsOn=["Listener"],
            ),
            "Key": _resource(
                "AWS::KMS::Key", "app/Key/Resource", {"Description": {"Fn::Sub": "${AWS::Region}"}}
            ),
        }
    }
    outdir = tmp_path / "cdk.out"
    _write_assembly(
        outdir,
        {"net": network, "app": app, "late": {"Resources": {}}},
        {"app": ["net"], "late": ["app"]},
    )
    return diagram.generate(outdir)[1]


def test_stacks_become_sorted_subgraphs(two_stack_diagram: str) -> None:
    subgraphs = [line.strip() for line in two_stack_diagram.splitlines() if "subgraph" in line]
    assert subgraphs == ['subgraph app["app"]', 'subgraph late["late"]', 'subgraph net["net"]']


def test_only_main_resource_types_are_drawn(two_stack_diagram: str) -> None:
    assert '["ECS service<br/>Service/Service"]' in two_stack_diagram
    assert '["Load balancer<br/>Alb"]' in two_stack_diagram
    assert '["KMS key<br/>Key"]' in two_stack_diagram
    assert "Listener" not in two_stack_diagram
    assert "TargetGroup" not in two_stack_diagram
    assert "Subnet" not in two_stack_diagram


def test_edges_follow_references_through_undrawn_resources(two_stack_diagram: str) -> None:
    """Service -> cluster (Ref), service -> ALB (via the listener it depends on), ALB -> VPC
    (across stacks via an exported subnet); service -> VPC is implied, so not drawn."""
    edges = {line.strip() for line in two_stack_diagram.splitlines() if " --> " in line}
    assert edges == {
        "app__Service --> app__Cluster",
        "app__Service --> app__Alb",
        "app__Alb --> net__Vpc",
    }


def test_stack_dependencies_without_a_resource_edge_are_dotted(two_stack_diagram: str) -> None:
    assert "late -.->|deploys after| app" in two_stack_diagram
    assert "app -.->" not in two_stack_diagram  # app -> net is already shown by ALB -> VPC


def test_diagram_is_deterministic(sandbox: Assembly) -> None:
    assert diagram.generate(sandbox.outdir) == diagram.generate(sandbox.outdir)


# --- the config reference generator ---------------------------------------------------------------


def test_reference_has_a_row_per_field_with_default_and_values() -> None:
    rows = {row.path: row for row in config_reference.rows()}
    cidr = rows["network.vpc_cidr"]
    assert (cidr.type, cidr.default) == ("str", '"10.0.0.0/16"')
    assert cidr.values == {"sandbox": '"10.10.0.0/16"', "production": '"10.20.0.0/16"'}
    assert rows["network.nat_gateways"].default == "required"
    assert rows["registry.repositories[].name"].values["sandbox"] == '["sample-app"]'


def test_reference_has_a_column_per_environment() -> None:
    from platform_config import ENVIRONMENTS

    staging = {**ENVIRONMENTS, "staging": ENVIRONMENTS["sandbox"]}
    rows = config_reference.rows(environments=staging)
    assert all(set(row.values) == {"sandbox", "production", "staging"} for row in rows)


def test_replace_block_requires_the_markers() -> None:
    with pytest.raises(ValueError, match="no '<!-- diagram:start -->'"):
        replace_block("# no markers here\n", "diagram", "x\n")
    text = "a\n<!-- diagram:start -->\nold\n<!-- diagram:end -->\nb\n"
    assert replace_block(text, "diagram", "new\n") == (
        "a\n<!-- diagram:start -->\nnew\n<!-- diagram:end -->\nb\n"
    )


def test_a_marked_block_is_the_fenced_block_right_below_its_marker() -> None:
    text = "a\n<!-- out: one -->\n```text\nold\n```\n\n<!-- out: two -->\n```\nx\n```\n"
    assert marked_blocks(text, "out") == {"one": "old\n", "two": "x\n"}
    assert replace_marked_block(text, "out", "one", "new\n").startswith(
        "a\n<!-- out: one -->\n```text\nnew\n```\n\n<!-- out: two -->\n```\nx\n```\n"
    )
    with pytest.raises(ValueError, match="not right above a fenced block"):
        marked_blocks("<!-- out: one -->\n\n```text\nold\n```\n", "out")
    with pytest.raises(ValueError, match="marks two blocks"):
        marked_blocks(text.replace("out: two", "out: one"), "out")
    with pytest.raises(ValueError, match="no '<!-- out: three -->' block"):
        replace_marked_block(text, "out", "three", "new\n")


def test_performance_doc_quotes_the_latest_benchmark_table(repo_root: Path) -> None:
    """`make bench` writes benchmarks/results.md and docs/performance.md's table together; a hand
    edit to one of them (or a results file committed without the doc) fails here."""
    results = (repo_root / "benchmarks" / "results.md").read_text(encoding="utf-8")
    readme = (repo_root / "docs" / "performance.md").read_text(encoding="utf-8")
    table = read_block(readme, "benchmark")
    assert table.startswith("| measurement | median s |")
    assert table in results
