"""Pair every resource of the synthesized templates with what the emulator's CloudFormation made."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from tests.deploy.helpers.checkers import DeployedResource
from tests.deploy.helpers.emulator import MotoServer
from tests.helpers.assembly import Assembly


@dataclass(frozen=True)
class Inventory:
    """`deployed`: resources the emulator created; `missing`: (stack, logical id, type) of template
    resources it did not create (the types it skips)."""

    deployed: list[DeployedResource]
    missing: list[tuple[str, str, str]]

    @property
    def missing_types(self) -> set[str]:
        return {resource_type for _, _, resource_type in self.missing}

    def of_type(self, resource_type: str) -> list[DeployedResource]:
        return [r for r in self.deployed if r.resource_type == resource_type]


def template_types(assembly: Assembly, stacks: Collection[str]) -> set[str]:
    """Every resource type in the templates of `stacks`."""
    return {
        resource["Type"]
        for name, template in assembly.all_templates().items()
        if name in stacks
        for resource in template.get("Resources", {}).values()
    }


def list_exports(server: MotoServer) -> dict[str, str | None]:
    """Every export the emulator lists, name -> value; None for one listed with no value (moto's
    export of a resource it skipped, see checkers.exports_of_skipped_resources)."""
    cloudformation = server.client("cloudformation")
    return {
        export["Name"]: export.get("Value")
        for page in cloudformation.get_paginator("list_exports").paginate()
        for export in page["Exports"]
    }


def take_inventory(server: MotoServer, assembly: Assembly, stacks: Collection[str]) -> Inventory:
    """Pair each resource of the templates of `stacks` (the deployed ones) with the emulator's."""
    cloudformation = server.client("cloudformation")
    exports = list_exports(server)
    deployed: list[DeployedResource] = []
    missing: list[tuple[str, str, str]] = []
    for stack_name, template in assembly.all_templates().items():
        if stack_name not in stacks:
            continue
        # moto lists a resource of a type it skips with no logical id: it is simply not created.
        live: dict[str, Any] = {
            r["LogicalResourceId"]: r
            for r in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
            if "LogicalResourceId" in r
        }
        physical_ids = {
            logical_id: r["PhysicalResourceId"]
            for logical_id, r in live.items()
            if r.get("PhysicalResourceId")
        }
        for logical_id, resource in template.get("Resources", {}).items():
            if logical_id not in physical_ids:
                missing.append((stack_name, logical_id, resource["Type"]))
                continue
            deployed.append(
                DeployedResource(
                    stack_name=stack_name,
                    logical_id=logical_id,
                    resource_type=resource["Type"],
                    properties=resource.get("Properties", {}),
                    physical_id=physical_ids[logical_id],
                    stack_physical_ids=physical_ids,
                    exports=exports,
                )
            )
    return Inventory(deployed, missing)
