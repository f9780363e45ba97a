"""What the config's models say about one field: the model a field holds, the field at an error's
location, and the values its bounds allow, in words.

A field's bounds are written once, as its `Field(ge=..., le=..., min_length=...)`; the error a
value out of them gets (platform_config/loader.py) and the configuration reference
(tools/docs/config_reference.py) both read them from there, so neither a message nor a
description repeats a range by hand.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

# How a field holds a model: itself (or optional), a list of them, or a map of them by name.
Holding = Literal["one", "list", "map"]


@dataclass(frozen=True)
class Allowed:
    """What a field's rule allows, in words, where no bound says it (a validator's rule): put in
    the field's `Annotated` type beside the validator, and read by `allowed`."""

    text: str


# pydantic's error types for a value outside a field's bounds.
BOUND_ERRORS = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short", "too_long"}
)


def nested_model(annotation: Any) -> tuple[type[BaseModel], Holding] | None:
    """(model, how the field holds it) when `annotation` is a model, an optional one, or a list
    or a map of them; None for any other type."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, "one"
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is list and arguments:
        inner = nested_model(arguments[0])
        return (inner[0], "list") if inner else None
    if origin is dict and len(arguments) == 2:
        inner = nested_model(arguments[1])
        return (inner[0], "map") if inner else None
    if origin in (typing.Union, types.UnionType):
        for argument in arguments:
            inner = nested_model(argument)
            if inner is not None:
                return inner
    return None


def model_at(root: type[BaseModel], location: Sequence[Any]) -> type[BaseModel]:
    """The model whose fields `location` (a pydantic error's `loc`) ends in, from `root`: list
    indexes and map keys (service names) step into the item's model, a part that names no field
    (a union member's tag) is passed over, and the walk stops at a field that holds no model."""
    return _walk(root, location)[0]


def field_at(root: type[BaseModel], location: Sequence[Any]) -> FieldInfo | None:
    """The field a pydantic error's `loc` names, or None (an item of a list or a map of plain
    values, a map's key)."""
    if not location or not isinstance(location[-1], str):
        return None
    model, complete = _walk(root, location[:-1])
    return model.model_fields.get(location[-1]) if complete else None


def _walk(root: type[BaseModel], location: Sequence[Any]) -> tuple[type[BaseModel], bool]:
    """(the model reached, whether every part of `location` was walked)."""
    model = root
    holding: Holding = "one"
    for part in location:
        if holding != "one":  # an index or a name: the item is `model` itself
            holding = "one"
            continue
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            continue
        nested = nested_model(field.annotation)
        if nested is None:
            return model, False
        model, holding = nested
    return model, holding == "one"


def allowed(field: FieldInfo) -> str | None:
    """What `field`'s bounds allow, e.g. "5 to 300", "1 or more", "more than 0, at most 100",
    "2 to 6 items"; None when it has none."""
    low: tuple[Any, bool] | None = None  # (value, whether the value itself is allowed)
    high: tuple[Any, bool] | None = None
    shortest = longest = None
    for rule in field.metadata:
        if isinstance(rule, Allowed):
            return rule.text
        if isinstance(rule, annotated_types.Ge):
            low = (rule.ge, True)
        elif isinstance(rule, annotated_types.Gt):
            low = (rule.gt, False)
        elif isinstance(rule, annotated_types.Le):
            high = (rule.le, True)
        elif isinstance(rule, annotated_types.Lt):
            high = (rule.lt, False)
        elif isinstance(rule, annotated_types.MinLen):
            shortest = rule.min_length
        elif isinstance(rule, annotated_types.MaxLen):
            longest = rule.max_length
    if shortest is not None or longest is not None:
        unit = "characters" if _holds_text(field.annotation) else "items"
        if longest is None:
            return f"at least {shortest} {unit[:-1] if shortest == 1 else unit}"
        return f"{shortest or 0} to {longest} {unit}"
    if low is not None and high is not None and low[1] and high[1]:
        return f"{_number(low[0])} to {_number(high[0])}"
    if low is not None and high is None and low[1]:
        return f"{_number(low[0])} or more"
    words = []
    if low is not None:
        words.append(f"{'at least' if low[1] else 'more than'} {_number(low[0])}")
    if high is not None:
        words.append(f"{'at most' if high[1] else 'less than'} {_number(high[0])}")
    return ", ".join(words) or None


def bound_problem(field: FieldInfo, given: Any) -> str | None:
    """`given`, outside `field`'s bounds, and what they allow: "0 is not allowed; allowed: 1 to
    100"; None when the field has no bounds to name."""
    text = allowed(field)
    if text is None:
        return None
    if isinstance(given, (str, list, dict, tuple, set)):
        count = len(given)
        unit = "characters" if isinstance(given, str) else "items"
        return f"{count} {unit[:-1] if count == 1 else unit} is not allowed; allowed: {text}"
    return f"{given!r} is not allowed; allowed: {text}"


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _holds_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    return any(argument is str for argument in typing.get_args(annotation)) and (
        typing.get_origin(annotation) in (typing.Union, types.UnionType)
    )
