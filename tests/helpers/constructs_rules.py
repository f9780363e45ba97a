"""Rules every module of `container_constructs` follows so that users can install or copy it."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import sys
from types import ModuleType

from constructs import Construct

PACKAGE = "container_constructs"
SHARED_MODULE = f"{PACKAGE}.common"
# The defaults, field checks and value formats every module may import (and `platform_config`
# reads): standard library only, nothing of aws-cdk-lib or of the package.
FOUNDATION_MODULES = frozenset(
    {f"{PACKAGE}.defaults", f"{PACKAGE}.checks", f"{PACKAGE}.value_formats"}
)
ALLOWED_THIRD_PARTY = frozenset({"aws_cdk", "constructs"})
# The rule pack and its caches (container_constructs/rules/) are copied as one package: its
# modules import each other, and jsii (aws-cdk-lib's runtime) to implement a plugin interface.
RULES_PACKAGE = f"{PACKAGE}.rules"
RULES_THIRD_PARTY = frozenset({"jsii"})
# A module split into parts: copy it with its companions (which follow the same rules).
_SERVICE_CLUSTER = f"{PACKAGE}.ecs_service_cluster"  # the handles services take
_ROUTES = f"{PACKAGE}.listener_routes"  # where the handles make services' listener rules
_CLUSTER_BASE = f"{PACKAGE}.ecs_cluster_base"  # what every cluster construct shares
# The hardened task every service kind builds on (container_constructs/task_definition.py) and
# the service, storage and sidecar parts the kinds share.
_TASK = frozenset(
    {
        f"{PACKAGE}.task_definition",
        f"{PACKAGE}.task_acknowledgements",
        f"{PACKAGE}.task_volumes",
        f"{PACKAGE}.sidecars",
        f"{PACKAGE}.efs_storage",
        f"{PACKAGE}.service_base",
        f"{PACKAGE}.service_release",
        f"{PACKAGE}.ecs_managed_instances",
        _SERVICE_CLUSTER,
        _ROUTES,
    }
)
_EKS = frozenset(
    f"{PACKAGE}.eks_{part}"
    for part in (
        "access",
        "acknowledgements",
        "addons",
        "argocd",
        "cluster",
        "identity",
        "props",
        "sample_workload",
        "versions",
    )
)
COMPANIONS: dict[str, frozenset[str]] = {
    _SERVICE_CLUSTER: frozenset({_ROUTES}),
    f"{PACKAGE}.task_definition": _TASK | {f"{PACKAGE}.pull_through_cache"},
    f"{PACKAGE}.task_acknowledgements": _TASK,
    f"{PACKAGE}.service_base": _TASK,
    f"{PACKAGE}.web_service": _TASK,
    f"{PACKAGE}.backend_service": _TASK,
    f"{PACKAGE}.worker_service": _TASK | {f"{PACKAGE}.worker_scaling"},
    f"{PACKAGE}.scheduled_job": _TASK,
    f"{PACKAGE}.service_release": frozenset({_SERVICE_CLUSTER, _ROUTES}),
    f"{PACKAGE}.ecs_managed_instances": frozenset({_SERVICE_CLUSTER, _CLUSTER_BASE}),
    _CLUSTER_BASE: frozenset({_SERVICE_CLUSTER, _ROUTES}),
    # EksCluster and its companions (copy them together) may import each other.
    **{module: _EKS - {module} for module in _EKS},
    f"{PACKAGE}.ecs_ec2_cluster": frozenset(
        {_SERVICE_CLUSTER, _ROUTES, _CLUSTER_BASE, f"{PACKAGE}.machine_images"}
    ),
    f"{PACKAGE}.ecs_fargate_cluster": frozenset({_SERVICE_CLUSTER, _ROUTES, _CLUSTER_BASE}),
    f"{PACKAGE}.load_balancer": frozenset({_SERVICE_CLUSTER, _ROUTES}),
    f"{PACKAGE}.registry": frozenset({f"{PACKAGE}.pull_through_cache"}),
    f"{PACKAGE}.service_alarms": frozenset({f"{PACKAGE}.alarm_resource"}),
}
# A module past this many lines does more than one job: split it into companions.
MAX_MODULE_LINES = 400
# Child ids a module may look a construct up by: none. aws-cdk-lib's child ids are internals an
# upgrade may rename, which would silently drop an acknowledgement made on the child; findings on
# a role's grant policy are acknowledged on the role.
ALLOWED_CHILD_IDS: frozenset[str] = frozenset()
CHILD_LOOKUPS = frozenset({"find_child", "try_find_child"})


def imported_modules(source: str, package: str = PACKAGE) -> list[str]:
    """Every module a source file imports, relative imports resolved against `package`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(filter(None, [package, base]))
            if base == package:  # `from container_constructs import common`
                found.extend(f"{package}.{alias.name}" for alias in node.names)
            else:
                found.append(base)
    return found


def forbidden_imports(source: str, module_name: str) -> list[str]:
    """Imports other than aws_cdk, constructs, the standard library, the shared module (which
    itself may import only the foundation modules) and the foundation modules (which import
    only the standard library)."""
    problems = []
    foundation = module_name in FOUNDATION_MODULES
    in_rules = module_name == RULES_PACKAGE or module_name.startswith(f"{RULES_PACKAGE}.")
    for name in imported_modules(source, RULES_PACKAGE if in_rules else PACKAGE):
        top = name.split(".")[0]
        if top in sys.stdlib_module_names:
            continue
        if foundation:
            problems.append(name)
            continue
        if top in ALLOWED_THIRD_PARTY or name in FOUNDATION_MODULES:
            continue
        if in_rules and (name.startswith(f"{RULES_PACKAGE}.") or top in RULES_THIRD_PARTY):
            continue
        if name == SHARED_MODULE and module_name != SHARED_MODULE:
            continue
        if name in COMPANIONS.get(module_name, ()):
            continue
        problems.append(name)
    return problems


def child_id_lookups(source: str) -> list[str]:
    """`find_child`/`try_find_child` calls of a source file other than by an allowed literal id,
    as `line: call`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CHILD_LOOKUPS
        ):
            continue
        argument = node.args[0] if node.args else None
        if not (isinstance(argument, ast.Constant) and argument.value in ALLOWED_CHILD_IDS):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def _documented(docstring: str, name: str) -> str | None:
    """The docstring entry of `name` (its line and more-indented continuation lines), if any."""
    lines = docstring.splitlines()
    for index, line in enumerate(lines):
        match = re.match(rf"^(\s*){re.escape(name)}( \([^)]*\))?:", line)
        if match is None:
            continue
        indent = len(match.group(1))
        entry = [line]
        for following in lines[index + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            entry.append(following)
        return "\n".join(entry)
    return None


def _check_entries(owner: str, docstring: str | None, names: list[str]) -> list[str]:
    if not docstring:
        return [f"{owner}: no docstring"]
    problems = []
    for name in names:
        entry = _documented(docstring, name)
        if entry is None:
            problems.append(f"{owner}.{name}: not described in the docstring")
        elif "Default:" not in entry and "Required" not in entry:
            problems.append(f"{owner}.{name}: says neither 'Default: ...' nor 'Required'")
    return problems


def undocumented(module: ModuleType) -> list[str]:
    """Public constructs, props dataclasses and functions of `module` that lack a docstring, or
    whose docstring leaves out a prop/keyword argument or its default."""
    problems: list[str] = []
    for name, value in sorted(vars(module).items()):
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(value) and dataclasses.is_dataclass(value):
            # A field a base class declares is documented by that class, checked in its module.
            own = inspect.get_annotations(value)
            fields = [field.name for field in dataclasses.fields(value) if field.name in own]
            problems.extend(_check_entries(name, value.__doc__, fields))
        elif inspect.isclass(value) and issubclass(value, Construct):
            parameters = inspect.signature(value.__init__).parameters.values()
            keywords = [
                parameter.name
                for parameter in parameters
                if parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.name != "props"
            ]
            problems.extend(_check_entries(name, value.__doc__, keywords))
        elif inspect.isfunction(value) and not value.__doc__:
            problems.append(f"{name}: no docstring")
    return problems
