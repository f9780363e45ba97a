"""Shared base model and field types for every configuration section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """Base of every config section: immutable, strict types, unknown keys rejected (typos fail)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
