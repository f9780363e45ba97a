"""docs/fork.md is working code: its Python blocks, in order, are one `app.py`, synthesized here the
way its reader runs it: in an empty directory beside the cdk.json `cdk init app --language python`
writes (the pinned CLI's recommended feature flags, none of ours), importing `container_constructs`
from this checkout, with cdk-nag, and without one unacknowledged finding.

The app runs once per session as `python app.py` with the context and output directory `cdk synth`
would give it there (recorded from the pinned CLI in that directory: tests/helpers/cdk_cli.py
cli_context).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.apps import ROOT, validation_violations
from tests.helpers.cdk_cli import cli_context, offline_environment

FORK_DOC = ROOT / "docs" / "fork.md"
# What `cdk init` of the pinned CLI merges into the template's cdk.json as its context.
INIT_FLAGS = ROOT / "node_modules/aws-cdk/lib/init-templates/.recommended-feature-flags.json"
_PYTHON_BLOCK = re.compile(r"^```python\n(?P<body>.*?)^```$", re.M | re.S)
# A reader has aws-cdk-lib, constructs, cdk-nag and this package, nothing else of ours.
READER_PACKAGES = {"aws_cdk", "cdk_nag", "constructs", "container_constructs"}
# What the page must show: every construct, and a VPC imported instead of made.
CALLS = (
    "Network",
    "from_vpc_attributes",
    "ContainerRegistry",
    "FargateCluster",
    "Ec2Cluster",
    "SharedLoadBalancer",
    "WebService",
    "EksCluster",
)
REGION = "aws://unknown-account/eu-west-1"
AGNOSTIC = "aws://unknown-account/unknown-region"
# Each stack the page makes: its environment, and resource types its constructs must create.
STACKS: dict[str, tuple[str, list[str]]] = {
    "Network": (REGION, ["AWS::EC2::VPC", "AWS::EC2::NatGateway", "AWS::EC2::FlowLog"]),
    "Registry": (REGION, ["AWS::ECR::Repository"]),
    "Ecs": (
        REGION,
        [
            "AWS::ECS::Cluster",
            "AWS::ECS::ClusterCapacityProviderAssociations",
            "AWS::AutoScaling::AutoScalingGroup",
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "AWS::ECS::Service",
        ],
    ),
    "Eks": (AGNOSTIC, ["AWS::EKS::Cluster", "AWS::EKS::Nodegroup"]),
}


def doc_app() -> str:
    """Every ```python block of docs/fork.md, in order: the page's app.py."""
    blocks = [m.group("body") for m in _PYTHON_BLOCK.finditer(FORK_DOC.read_text("utf-8"))]
    return "\n\n".join(blocks)


def init_cdk_json() -> dict[str, Any]:
    """The cdk.json of `cdk init app --language python` (its `watch` section aside)."""
    return {"app": "python3 app.py", "context": json.loads(INIT_FLAGS.read_text("utf-8"))}


@dataclass(frozen=True)
class DocSynth:
    outdir: Path
    returncode: int
    stderr: str

    def manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = json.loads((self.outdir / "manifest.json").read_text())
        return manifest

    def template(self, stack: str) -> dict[str, Any]:
        template: dict[str, Any] = json.loads((self.outdir / f"{stack}.template.json").read_text())
        return template


@pytest.fixture(scope="module")
def doc_synth(tmp_path_factory: pytest.TempPathFactory) -> DocSynth:
    """The page's app synthesized in a directory of its own, as `cdk synth` runs it there."""
    project = tmp_path_factory.mktemp("fork-doc")
    (project / "app.py").write_text(doc_app(), encoding="utf-8")
    cdk_json = init_cdk_json()
    (project / "cdk.json").write_text(json.dumps(cdk_json, indent=2), encoding="utf-8")
    outdir = project / "cdk.out"
    env = offline_environment(project / "home")
    env.update(
        PYTHONPATH=str(ROOT),
        CDK_OUTDIR=str(outdir),
        CDK_CONTEXT_JSON=json.dumps(cli_context(project / "context", project=project)),
    )
    run = subprocess.run(
        [sys.executable, "app.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return DocSynth(outdir, run.returncode, run.stderr)


def test_the_page_is_one_app_from_nag_registration_to_synth() -> None:
    source = doc_app()
    tree = ast.parse(source)  # also: the blocks are valid Python together
    assert "Validations.of(app).add_plugins(AwsSolutionsChecks(app))" in source
    assert "ContainerPlatformChecks(retain_stateful_resources=True" in source
    assert source.rstrip().endswith("app.synth()")
    for call in CALLS:
        assert f"{call}(" in source, call
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
        )
    }
    assert imported <= READER_PACKAGES, imported - READER_PACKAGES


def test_the_page_names_the_pinned_cli() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["aws-cdk"]
    assert f"this repository pins {pinned} (package.json)" in FORK_DOC.read_text("utf-8")


@pytest.mark.integration
def test_the_page_synthesizes(doc_synth: DocSynth) -> None:
    assert doc_synth.returncode == 0, doc_synth.stderr[-6000:]


@pytest.mark.integration
def test_the_page_is_nag_clean(doc_synth: DocSynth) -> None:
    """No unacknowledged finding of cdk-nag, the platform's rules, CloudFormation validation or
    annotations."""
    report = json.loads((doc_synth.outdir / "validation-report.json").read_text())
    assert "AwsSolutions" in {plugin["pluginName"] for plugin in report["pluginReports"]}
    findings = [
        f"{violation['plugin']} {violation['ruleName']} at {construct['constructPath']}"
        for violation in validation_violations(doc_synth.outdir)
        for construct in violation.get("violatingConstructs", [])
    ]
    assert findings == []


@pytest.mark.integration
@pytest.mark.parametrize("stack", STACKS)
def test_the_page_builds_each_stack_in_its_environment(doc_synth: DocSynth, stack: str) -> None:
    environment, resource_types = STACKS[stack]
    artifact = doc_synth.manifest()["artifacts"][stack]
    assert artifact["environment"] == environment
    created = {resource["Type"] for resource in doc_synth.template(stack)["Resources"].values()}
    assert set(resource_types) <= created, set(resource_types) - created


@pytest.mark.integration
def test_the_page_makes_no_other_stack(doc_synth: DocSynth) -> None:
    stacks = {
        name
        for name, artifact in doc_synth.manifest()["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert stacks == set(STACKS)
