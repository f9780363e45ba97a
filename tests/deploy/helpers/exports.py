"""What a template imports, read without moto (the deploy tests' modules are collected by every
pytest run, and moto's CloudFormation models take about 1.5 s to import)."""

from __future__ import annotations

from typing import Any


def imported_export_names(value: Any) -> set[str]:
    """The literal export name of every `Fn::ImportValue` anywhere in a template (or part of one).

    aws-cdk-lib's strong cross-stack references always name the export literally
    (`{"Fn::ImportValue": "<producer>:ExportsOutput..."}`); a computed name is not followed.
    """
    if isinstance(value, list):
        return set().union(*(imported_export_names(item) for item in value))
    if not isinstance(value, dict):
        return set()
    here = {value["Fn::ImportValue"]} if isinstance(value.get("Fn::ImportValue"), str) else set()
    return here.union(*(imported_export_names(item) for item in value.values()))
