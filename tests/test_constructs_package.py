"""`container_constructs` stands alone: its imports, its docstrings and the wheel `pip` builds."""

from __future__ import annotations

import contextlib
import importlib
import sys
import textwrap
import tomllib
import types
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.helpers.constructs_rules import (
    MAX_MODULE_LINES,
    child_id_lookups,
    forbidden_imports,
    undocumented,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "container_constructs"
# Module names under the package, e.g. "web_service", "rules.pack".
MODULES = sorted(
    ".".join(
        (path.parent if path.stem == "__init__" else path.with_suffix(""))
        .relative_to(PACKAGE_DIR)
        .parts
    )
    for path in PACKAGE_DIR.rglob("*.py")
    if path.parent != PACKAGE_DIR or path.stem != "__init__"
)
# The app's own packages keep to the same size rule (tools/ joins them once split).
APP_MODULES = sorted(
    str(path.relative_to(ROOT))
    for package in ("platform_config", "stacks")
    for path in (ROOT / package).glob("*.py")
)


def _source(module: str) -> str:
    path = PACKAGE_DIR.joinpath(*module.split("."))
    return (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_only_cdk_constructs_stdlib_and_common(module: str) -> None:
    """So a user can copy the module (with common, defaults, checks and value_formats) into any CDK
    app."""
    source = _source(module)
    assert forbidden_imports(source, f"container_constructs.{module}") == []


def test_import_rule_rejects_our_config_stacks_and_third_parties() -> None:
    source = textwrap.dedent(
        """
        import json
        from aws_cdk import aws_ecs as ecs
        from constructs import Construct
        from container_constructs.common import secure_log_group
        from . import network
        from platform_config import PlatformConfig
        import cdk_nag
        """
    )
    assert forbidden_imports(source, "container_constructs.web_service") == [
        "container_constructs.network",
        "platform_config",
        "cdk_nag",
    ]
    assert forbidden_imports("from .common import x", "container_constructs.common") == [
        "container_constructs.common"
    ]
    shared = "from container_constructs import checks, defaults\nfrom aws_cdk import Duration"
    assert forbidden_imports(shared, "container_constructs.common") == []
    # The defaults and checks that platform_config reads: standard library only.
    assert forbidden_imports(shared, "container_constructs.defaults") == [
        "container_constructs.checks",
        "container_constructs.defaults",
        "aws_cdk",
    ]
    assert forbidden_imports("import re\nimport ipaddress", "container_constructs.checks") == []


@pytest.mark.parametrize("module", MODULES)
def test_module_does_one_job_in_at_most_400_lines(module: str) -> None:
    """A longer module is split by job into companion modules (helpers/constructs_rules.py)."""
    source = _source(module)
    assert len(source.splitlines()) <= MAX_MODULE_LINES


@pytest.mark.parametrize(
    "path", sorted((ROOT / "tools").rglob("*.py")), ids=lambda path: str(path.relative_to(ROOT))
)
def test_tool_module_does_one_job_in_at_most_400_lines(path: Path) -> None:
    """The same rule for the tools: a longer one is split by job within its subpackage."""
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES


@pytest.mark.parametrize("path", APP_MODULES)
def test_config_and_stack_modules_do_one_job_in_at_most_400_lines(path: str) -> None:
    assert len((ROOT / path).read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES


@pytest.mark.parametrize("module", MODULES)
def test_module_looks_up_no_library_internal_child(module: str) -> None:
    """Acknowledgements and fixes go through public attributes, so an aws-cdk-lib upgrade that
    renames an internal child cannot silently drop one."""
    source = _source(module)
    assert child_id_lookups(source) == []


def test_child_lookup_rule_flags_every_child_id() -> None:
    source = textwrap.dedent(
        """
        policy = role.node.try_find_child("DefaultPolicy")
        handler = provider.node.find_child("Handler")
        node_role = cluster.node.try_find_child(name)
        children = scope.node.find_all()
        """
    )
    assert child_id_lookups(source) == [
        "2: role.node.try_find_child('DefaultPolicy')",
        "3: provider.node.find_child('Handler')",
        "4: cluster.node.try_find_child(name)",
    ]


@pytest.mark.parametrize("module", MODULES)
def test_public_constructs_and_props_document_every_field_and_default(module: str) -> None:
    assert undocumented(importlib.import_module(f"container_constructs.{module}")) == []


def test_docstring_rule_catches_a_missing_field_and_a_missing_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = types.ModuleType("fake_constructs_module")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(  # a module written the wrong way, to prove the rule can fail
        textwrap.dedent(
            '''
            from dataclasses import dataclass

            @dataclass(frozen=True, kw_only=True)
            class WidgetProps:
                """Props.

                Attributes:
                    size: how big. Default: 1.
                    colour: which colour.
                """

                size: int = 1
                colour: str = "red"
                shape: str = "round"
            '''
        ),
        module.__dict__,
    )
    assert undocumented(module) == [
        "WidgetProps.colour: says neither 'Default: ...' nor 'Required'",
        "WidgetProps.shape: not described in the docstring",
    ]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel this checkout's PEP 517 backend (pyproject.toml's build-system, pinned flit_core)
    builds: the call `pip wheel` and `python -m build` make, without their seconds of start-up."""
    outdir = tmp_path_factory.mktemp("wheel")
    build_system = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    backend = importlib.import_module(build_system["build-backend"])
    with contextlib.chdir(ROOT):
        name = backend.build_wheel(str(outdir))
    return zipfile.ZipFile(outdir / name)


def test_wheel_contains_only_the_constructs_package(wheel: zipfile.ZipFile) -> None:
    payload = {name for name in wheel.namelist() if ".dist-info/" not in name}
    expected = {
        f"container_constructs/{path.relative_to(PACKAGE_DIR).as_posix()}"
        for path in PACKAGE_DIR.rglob("*.py")
    }
    assert payload == expected | {"container_constructs/py.typed"}


def test_wheel_depends_only_on_cdk_and_constructs_compatible_with_our_pins(
    wheel: zipfile.ZipFile,
) -> None:
    (metadata_name,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
    metadata = Parser().parsestr(wheel.read(metadata_name).decode())
    requirements = {
        Requirement(line).name: Requirement(line) for line in metadata.get_all("Requires-Dist")
    }
    assert set(requirements) == {"aws-cdk-lib", "constructs"}
    pins = {
        Requirement(line).name: Requirement(line)
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    for name, requirement in requirements.items():
        (pinned,) = pins[name].specifier
        assert requirement.specifier.contains(pinned.version), (
            f"{name}: pinned {pinned.version} is outside the range {requirement.specifier}"
        )
