"""What the plan rules read: the deployed state, the state after the deploy, which stacks the
deploy touches in which order, and each one's resource changes (the diff engine's)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from tools.plan.model import Impact, Orphan, ResourceChange, State


@dataclass(frozen=True)
class Transition:
    """One deploy, as the rules see it.

    Attributes:
        base: every stack deployed now (empty on a first deploy).
        target: every stack once the deploy is done: the deployed stacks' new templates, and the
            base stacks the deploy does not touch as they are (`cdk deploy` never deletes a stack
            that left the app).
        deployed: the stacks the deploy creates or updates, in the CLI's order (each after the
            stacks it depends on).
        changes: per deployed stack, its changed resources (the diff engine's).
        app: the stacks of the synthesized app (a base stack outside it has left the app).
        orphaned: names that retained resources outside every stack hold (tools/plan/orphans.py).
        today: the day the deploy runs (UTC), for what depends on the date (a Kubernetes
            version's support phase); None: such rules cannot tell and stay silent.
        environment: the environment's name, for the commands the steps give.
    """

    base: State
    target: State
    deployed: tuple[str, ...]
    changes: Mapping[str, tuple[ResourceChange, ...]]
    app: frozenset[str] = frozenset()
    orphaned: tuple[Orphan, ...] = ()
    today: date | None = None
    environment: str = "<environment>"

    def destroy_command(self, stacks: Sequence[str]) -> str:
        """The command that destroys exactly the deployed `stacks`, importers first, each from the
        assembly its deploy recorded, and then updates the record (`make destroy-stacks`,
        tools/deploy/deployed_stacks.py): a `cdk destroy` alone leaves them in the record, which
        the next plan would still take for deployed. The target passes `--exclusively`: without
        it `cdk destroy` also destroys every stack of that assembly that depends on one of them,
        which may be a stack the app still has (the pinned CLI's `destroy` selects
        `expandDown(stacks, args.exclusively)`, "Extend the selection with the downstream
        dependents of the selected stacks, unless `--exclusively` was given", aws-cdk
        lib/cli/cli.js)."""
        return f'`make destroy-stacks ENV={self.environment} STACKS="{" ".join(stacks)}"`'

    def kept_resources(
        self, resource_type: str
    ) -> Iterator[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]:
        """(stack, logical id, properties before, properties after) of each resource of
        `resource_type` that a deployed stack has before and after the deploy, under the same
        logical id."""
        for stack in self.deployed:
            before = self.base.get(stack)
            if before is None:
                continue
            for logical_id, resource in self.target[stack].resources.items():
                old = before.resources.get(logical_id)
                if resource["Type"] == resource_type and old and old["Type"] == resource_type:
                    yield (
                        stack,
                        logical_id,
                        old.get("Properties", {}),
                        resource.get("Properties", {}),
                    )

    def impact(self, stack: str, logical_id: str) -> Impact | None:
        """What the deploy does to a resource; None when nothing (or its stack is not deployed)."""
        return next(
            (r.impact for r in self.changes.get(stack, ()) if r.logical_id == logical_id), None
        )

    @cached_property
    def renewed(self) -> frozenset[tuple[str, str]]:
        """(stack, logical id) of every resource the deploy replaces, or may replace."""
        return frozenset(
            (stack, change.logical_id)
            for stack, changes in self.changes.items()
            for change in changes
            if change.impact.replaces
        )

    @cached_property
    def _ancestors(self) -> dict[str, frozenset[str]]:
        """Per target stack, every stack it depends on, directly or not."""
        found: dict[str, frozenset[str]] = {}

        def visit(name: str, seen: frozenset[str]) -> frozenset[str]:
            if name in found:
                return found[name]
            stack = self.target.get(name)
            direct = set(stack.dependencies) if stack is not None else set()
            result = set(direct)
            for dependency in direct - seen:
                result |= visit(dependency, seen | {name})
            found[name] = frozenset(result)
            return found[name]

        for name in self.target:
            visit(name, frozenset())
        return found

    def finishes_before(self, first: str, second: str) -> bool:
        """Whether the deploy of stack `first` is complete (its old resources deleted) before stack
        `second` starts: both are deployed and `second` depends on `first`. Stacks with no such
        dependency have no guaranteed order."""
        return (
            first in self.deployed
            and second in self.deployed
            and first in self._ancestors.get(second, frozenset())
        )


def deploy_order(target: State, deployed: set[str]) -> tuple[str, ...]:
    """`deployed` in dependency order (each stack after those it depends on), ties in manifest
    order: the order the CDK CLI deploys them in."""
    order: list[str] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...]) -> None:
        if name in placed or name in path:
            return
        for dependency in target[name].dependencies:
            if dependency in deployed:
                place(dependency, (*path, name))
        placed.add(name)
        order.append(name)

    for name in target:
        if name in deployed:
            place(name, ())
    return tuple(order)
