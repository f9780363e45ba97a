"""A field's bounds, written once as its `Field(ge=..., le=..., min_length=...)` (or an `Allowed`
beside a validator), are what both the error of a value outside them and the configuration
reference say is allowed (platform_config/fields.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BaseModel, Field

from platform_config import PlatformConfig, load_config
from platform_config.errors import ConfigError
from platform_config.fields import Allowed, allowed, field_at, nested_model
from platform_config.layers import Layer
from platform_config.loader import resolve_config
from tools.docs.config_reference import RECORD, rows


class Item(BaseModel):
    port: int = Field(default=8080, ge=1024, le=65535)


class Sample(BaseModel):
    both: int = Field(default=5, ge=5, le=300)
    floor: int = Field(default=1, ge=1)
    above: float = Field(default=1.0, gt=0, le=100)
    ceiling: int = Field(default=0, le=10)
    below: float = Field(default=0.0, lt=1.5)
    signed: int = Field(default=0, ge=-5, lt=3)
    names: list[str] = Field(default_factory=lambda: ["a"], min_length=1)
    zones: list[str] = Field(default_factory=lambda: ["a", "b"], min_length=2, max_length=6)
    text: str = Field(default="ab", min_length=2, max_length=32)
    ruled: Annotated[int, AfterValidator(lambda v: v), Allowed("one of 1, 3")] = 1
    plain: int = 0
    items: list[Item] = Field(default_factory=list)
    by_name: dict[str, Item] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)
    nested: Item | None = None


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("both", "5 to 300"),
        ("floor", "1 or more"),
        ("above", "more than 0, at most 100"),
        ("ceiling", "at most 10"),
        ("below", "less than 1.5"),
        ("signed", "at least -5, less than 3"),
        ("names", "at least 1 item"),
        ("zones", "2 to 6 items"),
        ("text", "2 to 32 characters"),
        ("ruled", "one of 1, 3"),
        ("plain", None),
    ],
)
def test_allowed_says_what_each_kind_of_bound_accepts(field: str, text: str | None) -> None:
    assert allowed(Sample.model_fields[field]) == text


@pytest.mark.parametrize(
    ("location", "found"),
    [
        (("both",), Sample.model_fields["both"]),
        (("nested", "port"), Item.model_fields["port"]),
        (("items", 3, "port"), Item.model_fields["port"]),
        (("by_name", "web", "port"), Item.model_fields["port"]),
        (("counts", "web"), None),  # an entry of a map of plain values: no field of its own
        (("by_name", "web"), None),  # a map's key
        (("items", 3), None),
        ((), None),
    ],
)
def test_field_at_follows_sections_lists_and_maps(location: tuple[Any, ...], found: object) -> None:
    assert field_at(Sample, location) is found


def test_nested_model_says_how_a_field_holds_a_model() -> None:
    holding = {name: nested_model(field.annotation) for name, field in Sample.model_fields.items()}
    assert holding["nested"] == (Item, "one")
    assert holding["items"] == (Item, "list")
    assert holding["by_name"] == (Item, "map")
    assert holding["counts"] is None
    assert holding["both"] is None


def _bounded_fields(
    model: type[BaseModel], path: tuple[str, ...], services: dict[str, str]
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, field) of every field with numeric bounds reachable in the sandbox: sections, and a
    cluster's services through the service the sandbox has there (lists' items left out)."""
    for name, field in model.model_fields.items():
        nested = nested_model(field.annotation)
        if nested is None:
            if any(
                hasattr(rule, attr) for rule in field.metadata for attr in ("ge", "gt", "le", "lt")
            ):
                yield (*path, name), field
        elif nested[1] == "one":
            yield from _bounded_fields(nested[0], (*path, name), services)
        elif nested[1] == "map" and name == "services" and path[-1] in services:
            yield from _bounded_fields(nested[0], (*path, name, services[path[-1]]), services)


def _outside(field: Any) -> Any:
    """A value just outside `field`'s bounds."""
    for rule in field.metadata:
        for attr, step in (("ge", -1), ("gt", 0), ("le", 1), ("lt", 0)):
            if hasattr(rule, attr):
                return getattr(rule, attr) + step
    raise AssertionError(field)


SANDBOX_SERVICES = {
    cluster: next(iter(services))
    for cluster, section in load_config("sandbox", config_dir=RECORD).ecs
    if section is not None and (services := getattr(section, "services", None))
}
BOUNDED = dict(_bounded_fields(PlatformConfig, (), SANDBOX_SERVICES))


def test_the_sandbox_reaches_fields_of_every_kind_of_section() -> None:
    paths = {".".join(path) for path in BOUNDED}
    assert len(paths) > 40
    assert "ecs.fargate.services.sample.health_check.timeout_seconds" in paths
    assert "ecs.ec2.target_capacity_percent" in paths


@pytest.mark.parametrize("path", sorted(BOUNDED), ids=".".join)
def test_a_value_outside_any_fields_bounds_gets_what_they_allow(path: tuple[str, ...]) -> None:
    """Every bounded field the sandbox reaches: the error names the field, the value, and the
    same allowed text as the configuration reference's row."""
    field = BOUNDED[path]
    value = _outside(field)
    layer: dict[str, Any] = {path[-1]: value}
    for part in reversed(path[:-1]):
        layer = {part: layer}
    with pytest.raises(ConfigError) as raised:
        resolve_config("sandbox", layers=[Layer("bounds.json", layer)], config_dir=RECORD)
    assert f"  - {'.'.join(path)}: {value!r} is not allowed; allowed: {allowed(field)}" in str(
        raised.value
    )


def test_the_reference_shows_each_fields_bounds() -> None:
    table = {row.path: row.allowed for row in rows()}
    assert table["ecs.fargate.services.<name>.health_check.timeout_seconds"] == "2 to 60"
    assert table["network.availability_zones"] == "2 to 6 items"
    assert table["network.flow_log_retention_days"].startswith("one of 1, 3, 5, 7, 14, 30,")
    assert table["region"] == ""
