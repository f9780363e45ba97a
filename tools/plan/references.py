"""Reading references across the stacks of a state: exports, imports, and a value with its
references resolved to the resources they name (so that a listener's ARN imported by a services
stack and the same listener's `Ref` in its own stack compare equal)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tools.plan.model import StackTemplate, State

# A `${Name}` or `${Name.Attribute}` of an Fn::Sub string; `${!Literal}` is not a reference.
_SUB_REFERENCE = re.compile(r"\$\{([^!}.][^}.]*)[.}]")


@dataclass(frozen=True)
class Export:
    stack: str
    output: str  # the output's logical id
    name: str
    value: Any


def exports(stack: StackTemplate) -> dict[str, Export]:
    """The stack's exports by export name (CDK names them literally)."""
    found = {}
    for output_id, output in stack.template.get("Outputs", {}).items():
        name = output.get("Export", {}).get("Name")
        if isinstance(name, str):
            found[name] = Export(stack.name, output_id, name, output.get("Value"))
    return found


def imported_names(value: Any) -> set[str]:
    """The literal export name of every `Fn::ImportValue` anywhere in `value`."""
    return {name for name, _ in _walk_imports(value)}


def _walk_imports(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _walk_imports(item)
    elif isinstance(value, dict):
        name = value.get("Fn::ImportValue")
        if isinstance(name, str):
            yield name, value
        for item in value.values():
            yield from _walk_imports(item)


def importers(state: State, export_name: str, producer: str) -> list[str]:
    """The stacks of `state` other than `producer` that import `export_name`, sorted."""
    return sorted(
        name
        for name, stack in state.items()
        if name != producer and export_name in imported_names(stack.template)
    )


def importers_of(state: State, stack: StackTemplate) -> list[str]:
    """The stacks of `state` other than `stack` that import one of its exports, sorted."""
    return sorted({user for name in exports(stack) for user in importers(state, name, stack.name)})


def referenced_ids(value: Any) -> set[str]:
    """The logical ids `value` names with `Ref`, `Fn::GetAtt` or `${...}` in an `Fn::Sub` string
    (pseudo parameters and `${!literal}` left out)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= referenced_ids(item)
    elif isinstance(value, dict):
        ref = value.get("Ref")
        if isinstance(ref, str) and not ref.startswith("AWS::"):
            found.add(ref)
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            found.add(attribute[0])
        elif isinstance(attribute, str):
            found.add(attribute.split(".", 1)[0])
        found |= _sub_references(value.get("Fn::Sub"))
        for key, item in value.items():
            if key not in ("Ref", "Fn::GetAtt"):
                found |= referenced_ids(item)
    return found


def _sub_references(sub: Any) -> set[str]:
    """The logical ids an `Fn::Sub` string names; its own variables (the map of the list form)
    and pseudo parameters are not resources."""
    text, variables = (sub[0], sub[1:2]) if isinstance(sub, list) and sub else (sub, [])
    if not isinstance(text, str):
        return set()
    local = set(variables[0]) if variables and isinstance(variables[0], dict) else set()
    return {
        name
        for name in _SUB_REFERENCE.findall(text)
        if not name.startswith("AWS::") and name not in local
    }


def canonical(
    value: Any,
    stack: str,
    state: State,
    renewed: Collection[tuple[str, str]] = (),
) -> str:
    """`value` as one comparable string: each `Ref`/`Fn::GetAtt` of a resource becomes
    `<stack>/<logical id>[.attribute]` and each `Fn::ImportValue` the producer's exported value
    resolved the same way. A resource in `renewed` ((stack, logical id): replaced by this deploy)
    is marked `(new)`: its physical id is not the old one's."""
    return json.dumps(_resolve(value, stack, state, frozenset(renewed), 0), sort_keys=True)


def _resolve(
    value: Any, stack: str, state: State, renewed: frozenset[tuple[str, str]], depth: int
) -> Any:
    if depth > 20:  # an export chain this long is not a CDK app's
        return value
    if isinstance(value, list):
        return [_resolve(item, stack, state, renewed, depth) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and isinstance(value["Ref"], str):
        return _resource_key(stack, value["Ref"], None, state, renewed)
    if set(value) == {"Fn::GetAtt"}:
        attribute = value["Fn::GetAtt"]
        parts = attribute.split(".", 1) if isinstance(attribute, str) else attribute
        if isinstance(parts, list) and len(parts) == 2 and isinstance(parts[0], str):
            return _resource_key(stack, parts[0], str(parts[1]), state, renewed)
    if set(value) == {"Fn::ImportValue"} and isinstance(value["Fn::ImportValue"], str):
        name = value["Fn::ImportValue"]
        exported = _exported(state, name)
        if exported is not None:
            return _resolve(exported[1], exported[0], state, renewed, depth + 1)
        return {"import": name}
    return {key: _resolve(item, stack, state, renewed, depth) for key, item in value.items()}


def _exported(state: State, name: str) -> tuple[str, Any] | None:
    """The stack exporting `name` and the exported value, or None when no stack exports it."""
    for producer_name, producer in state.items():
        export = exports(producer).get(name)
        if export is not None:
            return producer_name, export.value
    return None


def referenced_resource(
    value: Any, stack: str, state: State, depth: int = 0
) -> tuple[str, str] | None:
    """The (stack, logical id) of the resource `value` names with a `Ref`, directly or through
    the `Fn::ImportValue` of an exported `Ref`; None for anything else."""
    if depth > 20 or not isinstance(value, dict):  # an export chain this long is not a CDK app's
        return None
    ref = value.get("Ref")
    if set(value) == {"Ref"} and isinstance(ref, str) and ref in _resources(state, stack):
        return stack, ref
    if set(value) == {"Fn::ImportValue"} and isinstance(value["Fn::ImportValue"], str):
        exported = _exported(state, value["Fn::ImportValue"])
        if exported is not None:
            return referenced_resource(exported[1], exported[0], state, depth + 1)
    return None


def _resource_key(
    stack: str,
    logical_id: str,
    attribute: str | None,
    state: State,
    renewed: frozenset[tuple[str, str]],
) -> Any:
    if logical_id.startswith("AWS::") or logical_id not in _resources(state, stack):
        return {"Ref": logical_id} if attribute is None else {"Fn::GetAtt": [logical_id, attribute]}
    key = f"{stack}/{logical_id}" + (f".{attribute}" if attribute else "")
    return key + " (new)" if (stack, logical_id) in renewed else key


def _resources(state: State, stack: str) -> Mapping[str, Any]:
    holder = state.get(stack)
    return holder.resources if holder is not None else {}
