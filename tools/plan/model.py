"""What a plan is made of: the stacks of two deploy states, each stack's change (per resource, as
the CDK's diff engine classifies it) and the platform rules' refusals."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Impact(StrEnum):
    """What CloudFormation does to one resource (the engine's ResourceImpact, in plain words)."""

    ADD = "add"
    UPDATE = "update"
    MAY_REPLACE = "possibly replace"
    REPLACE = "replace"
    DELETE = "delete"
    ORPHAN = "orphan"

    @property
    def replaces(self) -> bool:
        return self in (Impact.REPLACE, Impact.MAY_REPLACE)

    @property
    def removes(self) -> bool:
        """The logical id leaves the stack (deleted, or orphaned by DeletionPolicy Retain)."""
        return self in (Impact.DELETE, Impact.ORPHAN)


# @aws-cdk/cloudformation-diff's ResourceImpact -> Impact (NO_CHANGE and WILL_IMPORT never reach a
# plan: unchanged resources are left out, and a plan imports nothing).
ENGINE_IMPACTS = {
    "WILL_CREATE": Impact.ADD,
    "WILL_UPDATE": Impact.UPDATE,
    "MAY_REPLACE": Impact.MAY_REPLACE,
    "WILL_REPLACE": Impact.REPLACE,
    "WILL_DESTROY": Impact.DELETE,
    "WILL_ORPHAN": Impact.ORPHAN,
}


# DeletionPolicy / UpdateReplacePolicy values that leave the resource in the account. Not
# Snapshot: CloudFormation snapshots the resource, then deletes it, freeing its name (AWS
# CloudFormation User Guide, DeletionPolicy attribute: "creates a snapshot for the resource before
# deleting it").
RETAINING_POLICIES = ("Retain", "RetainExceptOnCreate")


@dataclass(frozen=True)
class StackTemplate:
    """One stack of a cloud assembly: its template and the stacks it depends on (manifest)."""

    name: str
    template: Mapping[str, Any]
    dependencies: tuple[str, ...] = ()

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        resources: Mapping[str, Mapping[str, Any]] = self.template.get("Resources", {})
        return resources

    def path(self, logical_id: str) -> str:
        """The resource's construct path (`aws:cdk:path` metadata), or its logical id."""
        resource = self.resources.get(logical_id, {})
        return str(resource.get("Metadata", {}).get("aws:cdk:path", logical_id))

    def label(self, logical_id: str) -> str:
        """The resource as a reader knows it: its construct path in the stack."""
        return short_path(self.name, self.path(logical_id))


def short_path(stack: str, path: str) -> str:
    """A construct path without its stack and the `/Resource` of an L1 (what a reader knows)."""
    return path.removeprefix(f"{stack}/").removesuffix("/Resource").removesuffix("/Default")


# Stack name -> its template, in manifest order.
State = Mapping[str, StackTemplate]


def resources_of_type(
    state: State, resource_type: str
) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(stack, logical id, resource) of every resource of `resource_type` in `state`."""
    for stack_name, stack in state.items():
        for logical_id, resource in stack.resources.items():
            if resource.get("Type") == resource_type:
                yield stack_name, logical_id, resource


@dataclass(frozen=True)
class PropertyChange:
    name: str
    impact: (
        Impact | None
    )  # None: the engine could not tell (e.g. an attribute other than a property)
    kind: str = "Property"  # or "Other": DeletionPolicy, DependsOn, Metadata, ...


@dataclass(frozen=True)
class ResourceChange:
    logical_id: str
    resource_type: str
    impact: Impact
    path: str
    changes: tuple[PropertyChange, ...] = ()

    @property
    def why(self) -> str:
        """The properties behind the impact: those that replace first, else every changed one."""
        replacing = [c.name for c in self.changes if c.impact is not None and c.impact.replaces]
        names = replacing or [c.name for c in self.changes]
        return ", ".join(names)


class StackStatus(StrEnum):
    ADD = "add"  # not in the base: created
    UPDATE = "update"  # in both, and its template changes
    UNCHANGED = "unchanged"  # deployed again, same template
    STAYS = "stays"  # in the base, not deployed by this deploy (left the app, or not in STACKS)


@dataclass(frozen=True)
class StackChange:
    name: str
    status: StackStatus
    resources: tuple[ResourceChange, ...] = ()
    reason: str = ""  # why a stack stays

    def counts(self) -> dict[str, int]:
        return {
            impact.value: sum(r.impact == impact for r in self.resources)
            for impact in Impact
            if any(r.impact == impact for r in self.resources)
        }


@dataclass(frozen=True)
class Refusal:
    """A change the platform refuses to deploy, with the sequence that works instead."""

    rule: str
    stack: str
    subject: str  # the resource, export or key concerned
    reason: str  # what CloudFormation (or EKS) would do, in its words where it has some
    steps: tuple[str, ...]  # the safe sequence, in order
    accepted: bool = False  # PLAN_ACCEPT named this rule: reported, not blocking
    # False where the service refuses the change whatever the platform says (an EKS downgrade):
    # PLAN_ACCEPT does not unblock it and the report offers no accept.
    acceptable: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "stack": self.stack,
            "subject": self.subject,
            "reason": self.reason,
            "steps": list(self.steps),
            "accepted": self.accepted,
        }


@dataclass(frozen=True)
class Orphan:
    """A retained resource outside every stack, holding a fixed name (tools/plan/orphans.py).

    Attributes:
        stack: the stack it left.
        path: its construct path (or logical id), as a reader knows it.
        resource_type: e.g. AWS::ECR::Repository.
        name: the name it holds, as keys.Key.describe() writes it.
        key: the name as keys.Key.value compares it.
        why: how it left its stack ("removed", "replaced", "destroyed with its stack").
    """

    stack: str
    path: str
    resource_type: str
    name: str
    key: str
    why: str


# An Orphan's `why` when the plan found its name held in the account rather than in the ledger
# (tools/plan/account_orphans.py).
FOUND_IN_ACCOUNT = "found in the account outside every stack of the environment"


@dataclass(frozen=True)
class Note:
    """Something the deploy does that is not refused but easy to miss (e.g. instances that keep
    their old machine image)."""

    note: str
    stack: str
    subject: str
    text: str


@dataclass(frozen=True)
class Removal:
    """A resource the first stage of a staged deploy deletes, and why (tools/plan/stages.py)."""

    stack: str
    logical_id: str
    label: str  # its construct path in the stack
    why: str


@dataclass(frozen=True)
class Stage:
    """One deploy of a staged change: the stacks it deploys, the state it leaves (the templates
    to deploy), what it removes first, and its own plan. The last stage deploys the app."""

    stacks: tuple[str, ...]
    state: State
    plan: Plan
    removals: tuple[Removal, ...] = ()


@dataclass(frozen=True)
class Plan:
    environment: str
    base: str  # where the base came from, for the reader
    engine: str  # the diff engine and its version
    stacks: tuple[StackChange, ...]
    refusals: tuple[Refusal, ...] = ()
    notes: tuple[Note, ...] = field(default_factory=tuple)
    # A change deployed in stages (tools/plan/stages.py), in order; empty: one deploy.
    stages: tuple[Stage, ...] = ()

    @property
    def refused(self) -> bool:
        """Whether any refusal is not accepted: `make deploy` stops."""
        return any(not refusal.accepted for refusal in self.refusals)

    @property
    def rules(self) -> list[str]:
        """The ids of the rules that refused (accepted or not), sorted, without repeats."""
        return sorted({refusal.rule for refusal in self.refusals})

    def stack(self, name: str) -> StackChange:
        return next(s for s in self.stacks if s.name == name)
