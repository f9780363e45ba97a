"""Write the configuration reference (every field, its type, default and per-environment value).

    python -m tools.docs.config_reference <output.md> [--readme README.md]

Walks the pydantic models from `PlatformConfig` down, so a new section or field appears in the
reference as soon as it exists; the per-environment values come from loading each environment of
`platform_config.ENVIRONMENTS` with the repository's config of record (`config/`), so they are
exactly what `cdk synth` uses.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from platform_config import DEFAULT_CONFIG_DIR, ENVIRONMENTS, PlatformConfig, load_config
from platform_config.fields import allowed, nested_model
from tools.docs.markers import write_generated

README_BLOCK = "config-reference"
SECTION = "(section, fields below)"
# The repository's config of record, whose services the environment columns show.
RECORD = Path(__file__).resolve().parents[2] / DEFAULT_CONFIG_DIR
# How a path names each item of a list, and each entry of a map by name (services).
LIST_ITEM = "[]"
MAP_ENTRY = ".<name>"


@dataclass(frozen=True)
class FieldRow:
    """One row of the reference: a field at a dotted path (`[]` marks a list item, `.<name>` an
    entry of a map by name)."""

    path: str
    type: str
    allowed: str
    default: str
    description: str
    values: dict[str, str]


def type_name(annotation: Any) -> str:
    """A short readable name of a field's type, e.g. `list[RepositoryConfig]`, `str | None`."""
    if annotation is None or annotation is type(None):
        return "None"
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(argument) for argument in typing.get_args(annotation))
    if origin is typing.Literal:
        return " | ".join(json.dumps(argument) for argument in typing.get_args(annotation))
    if origin is not None:
        arguments = ", ".join(type_name(argument) for argument in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{arguments}]"
    return getattr(annotation, "__name__", str(annotation))


def _model_in(annotation: Any) -> tuple[type[BaseModel], str] | None:
    """(model, how the path names its items: "" for one model, LIST_ITEM for a list of them,
    MAP_ENTRY for a map by name) when the annotation holds a model."""
    nested = nested_model(annotation)
    if nested is None:
        return None
    model, holding = nested
    return model, {"one": "", "list": LIST_ITEM, "map": MAP_ENTRY}[holding]


def _render(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    adapter: TypeAdapter[Any] = TypeAdapter(field.annotation or Any)
    return _render(adapter.dump_python(value, mode="json"))


def _values_at(data: Any, parts: list[str]) -> Any:
    """The value at `parts` in dumped config `data`; a `[]` part maps over a list, a `<name>`
    part over the entries of a map (by name)."""
    if not parts:
        return data
    head, *rest = parts
    if head.endswith(LIST_ITEM):
        items = data.get(head[: -len(LIST_ITEM)]) if isinstance(data, dict) else None
        return [_values_at(item, rest) for item in items or []]
    if head == MAP_ENTRY[1:]:
        entries = data if isinstance(data, dict) else {}
        return {name: _values_at(entry, rest) for name, entry in entries.items()}
    return _values_at(data.get(head) if isinstance(data, dict) else None, rest)


def rows(
    model: type[BaseModel] = PlatformConfig,
    environments: Mapping[str, Mapping[str, Any]] = ENVIRONMENTS,
    config_dir: Path | None = RECORD,
) -> list[FieldRow]:
    """Every field of `model` and its sections, in declaration order, with each environment's
    value (with the config of record in `config_dir`)."""
    dumped = {
        name: load_config(name, environments=environments, config_dir=config_dir).model_dump(
            mode="json"
        )
        for name in environments
    }
    return list(_rows(model, "", dumped))


def _rows(model: type[BaseModel], prefix: str, dumped: Mapping[str, Any]) -> Iterator[FieldRow]:
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        nested = _model_in(field.annotation)
        parts = path.split(".")
        description = " ".join(
            (field.description or (nested[0].__doc__ if nested else "") or "").split()
        )
        if nested and not nested[1]:
            # A section: its fields follow, one row each; repeating them here would only add noise.
            values = dict.fromkeys(dumped, SECTION)
            default = "required" if field.is_required() else SECTION
        elif nested and nested[1] == MAP_ENTRY:
            # A map by name: the names here, each entry's fields in the rows that follow.
            values = {
                env: _render(sorted(_values_at(data, parts) or {})) for env, data in dumped.items()
            }
            default = _default(field)
        else:
            values = {env: _render(_values_at(data, parts)) for env, data in dumped.items()}
            default = _default(field)
        bounds = allowed(field) or ""
        yield FieldRow(path, type_name(field.annotation), bounds, default, description, values)
        if nested:
            section, items = nested
            yield from _rows(section, f"{path}{items}.", dumped)


def _cell(text: str, code: bool = True) -> str:
    text = text.replace("|", "\\|")
    return f"`{text}`" if code and text else text


def _plain_or_code(text: str) -> str:
    return _cell(text, code=text not in {"required", SECTION})


def render_table(table: list[FieldRow], environments: list[str]) -> str:
    header = ["field", "type", "allowed", "default", *environments, "description"]
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    for row in table:
        cells = [
            _cell(row.path),
            _cell(row.type),
            _cell(row.allowed, code=False),
            _plain_or_code(row.default),
            *(_plain_or_code(row.values[env]) for env in environments),
            _cell(row.description, code=False),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_document(table_markdown: str) -> str:
    return (
        "# Configuration reference\n\n"
        "<!-- Generated by `make docs`; do not edit by hand. -->\n\n"
        "Generated by `make docs` from the pydantic models in `platform_config/`, the values\n"
        "in `platform_config/environments.py` and the config of record in `config/` (the\n"
        "services). `allowed` is what a field's bounds accept (any other rule is in its\n"
        "description); `default` is the model's value when an environment leaves the field out;\n"
        "the environment columns are the validated values `cdk synth` uses. A field path with\n"
        "`[]` is a field of each item of a list, one with `.<name>` a field of each entry of a\n"
        "map by name (a service's values are in its file, config/services/<cluster>/<name>.json).\n"
        "Override any field for one synth with `make synth OVERRIDES=a.json,b.json`\n"
        "(`-c config_overrides=a.json,b.json`): each file holds a JSON object, merged over the\n"
        "environment and its config of record in order. **Objects merge, lists replace, services\n"
        'merge by name**: `{"network": {"nat_gateways": 2}}` changes one field and keeps the\n'
        "rest of `network`; a list such as `network.availability_zones` is replaced whole;\n"
        '`{"ecs": {"fargate": {"services": {"web": {"cpu": 512}}}}}` changes one field of\n'
        'service `web` (or adds `web`, given whole), and `"web": null` removes it. Any other\n'
        "value replaces the one below it ([Environments](environments.md)).\n\n"
        f"{table_markdown}"
    )


def generate() -> tuple[str, str]:
    """(reference document, README block)."""
    table = render_table(rows(), list(ENVIRONMENTS))
    return render_document(table), table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.docs.config_reference", description=__doc__
    )
    parser.add_argument("output", type=Path, help="Markdown file to write")
    parser.add_argument("--readme", type=Path, help=f"also replace the '{README_BLOCK}' block here")
    args = parser.parse_args(argv)
    document, block = generate()
    write_generated(args.output, document, args.readme, README_BLOCK, block, "config")
    return 0


if __name__ == "__main__":
    sys.exit(main())
