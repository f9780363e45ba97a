"""The environment's stacks as CloudFormation has them now: status, outputs and resources, read
with DescribeStacks and ListStackResources (everything `make verify` checks is found there)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stacks import names

COMPLETE_STACK_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})


@dataclass(frozen=True)
class DeployedStack:
    name: str
    status: str
    outputs: dict[str, str]
    resources: list[tuple[str, str, str]]  # (type, logical id, physical id)

    def of_type(self, resource_type: str) -> list[tuple[str, str]]:
        """(logical id, physical id) of the stack's resources of `resource_type` that exist."""
        return [
            (logical, physical)
            for kind, logical, physical in self.resources
            if kind == resource_type and physical
        ]


def physical_ids(stacks: Sequence[DeployedStack], resource_type: str) -> list[tuple[str, str]]:
    """(stack name, physical id) of every existing resource of `resource_type` in `stacks`."""
    return [
        (stack.name, physical) for stack in stacks for _, physical in stack.of_type(resource_type)
    ]


def deployed_stacks(cloudformation: Any, environment: str) -> list[DeployedStack]:
    """The environment's stacks (not deleted), with their outputs and resources, by name."""
    prefix = names.stack_prefix(environment)
    stacks = []
    for page in cloudformation.get_paginator("describe_stacks").paginate():
        for stack in page["Stacks"]:
            if (
                not stack["StackName"].startswith(prefix)
                or stack["StackStatus"] == "DELETE_COMPLETE"
            ):
                continue
            resources = [
                (
                    r.get("ResourceType", ""),
                    r.get("LogicalResourceId", ""),
                    r.get("PhysicalResourceId", ""),
                )
                for resources_page in cloudformation.get_paginator("list_stack_resources").paginate(
                    StackName=stack["StackId"]
                )
                for r in resources_page["StackResourceSummaries"]
            ]
            outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
            stacks.append(
                DeployedStack(stack["StackName"], stack["StackStatus"], outputs, resources)
            )
    return sorted(stacks, key=lambda s: s.name)
