"""A cdk-nag 3 pack (e.g. `AwsSolutionsChecks`) whose findings are computed once per stack.

    Validations.of(app).add_plugins(CachedNagPack(AwsSolutionsChecks(app), cache=cache))

instead of adding the pack itself. A pack's `validate` walks the whole construct tree; this runs
its public `validate_scope` on the stacks the cache misses only, and merges the findings of all
stacks in tree order, as one walk would group them (one violation per rule, its resources in
tree order). cdk-nag itself drops a finding acknowledged with an id without the pack's prefix
(`Annotation::AwsSolutions-IAM5`), so a stack's findings also depend on the acknowledgements on it
and above it: the key holds them (from the stack's metadata in the assembly, and those of its
ancestors), together with the template and the logical-id-to-path map, since cdk-nag reports
construct paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from aws_cdk import IPolicyValidationContext, IPolicyValidationPlugin, Stack, Validations
from constructs import IConstruct

from .cache import ValidationCache, Violation, digest
from .cached import PerTemplatePlugin, StackTemplate, from_jsii, versions

# The stack metadata that decides a pack's findings: which construct each logical id is (cdk-nag
# reports construct paths) and the acknowledgements (cdk-nag drops some findings itself).
KEYED = frozenset({"aws:cdk:logicalId", Validations.ACKNOWLEDGED_RULES_METADATA_KEY})


def _acknowledgements(construct: IConstruct) -> list[Any]:
    return [
        entry.data
        for entry in construct.node.metadata
        if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    ]


def stacks_in_tree_order(root: IConstruct) -> Iterator[tuple[Stack, list[Any]]]:
    """Every stack under `root` (not inside another stack) in construct-tree order, with the
    acknowledgements made on the constructs above it."""

    def walk(construct: IConstruct, above: list[Any]) -> Iterator[tuple[Stack, list[Any]]]:
        if Stack.is_stack(construct):
            yield cast(Stack, construct), above
            return
        here = [*above, *_acknowledgements(construct)]
        for child in construct.node.children:
            yield from walk(child, here)

    return walk(root, [])


class _Assembly:
    """Stack artifacts' metadata of the assembly a template was written to (read once)."""

    def __init__(self) -> None:
        self._manifests: dict[Path, Mapping[str, Any]] = {}

    def metadata(self, template_path: str) -> str:
        """The stack's logical ids by construct path and its acknowledgements, from its metadata
        in the assembly, as canonical JSON (other entries, such as creation stacks, name
        temporary directories of the process and decide nothing)."""
        directory = Path(template_path).parent
        if directory not in self._manifests:
            self._manifests[directory] = json.loads((directory / "manifest.json").read_bytes())
        for artifact in self._manifests[directory].get("artifacts", {}).values():
            properties = artifact.get("properties") or {}
            if properties.get("templateFile") != Path(template_path).name:
                continue
            entries = dict(artifact.get("metadata") or {})
            if extra := artifact.get("additionalMetadataFile"):
                for path, more in json.loads((directory / extra).read_bytes()).items():
                    entries[path] = [*entries.get(path, []), *more]
            kept = {
                path: [[e.get("type"), e.get("data")] for e in listed if e.get("type") in KEYED]
                for path, listed in entries.items()
            }
            return json.dumps(
                {path: listed for path, listed in kept.items() if listed}, sort_keys=True
            )
        return ""


class CachedNagPack(PerTemplatePlugin):
    """`pack`'s findings per stack, kept in `cache`.

    Args:
        pack: a cdk-nag 3 `NagPack` (e.g. `AwsSolutionsChecks(app)`), or a function that makes
            one, called only when a stack needs validating (with `name`): a synth whose stacks
            are all in the cache then never loads cdk-nag. A pack whose props add an aspect
            (`write_suppressions_to_cloud_formation`) must be made before synth: pass it.
            Required.
        name: the pack's name (its findings' acknowledgement prefix, e.g. "AwsSolutions").
            Default: `pack.name` (required when `pack` is a function).
        cache: where findings are kept. Default: None (every stack is validated every time).
        props: the props the pack is made with (e.g. `{"verbose": True}`): they change its
            descriptions, so they are part of the key. Default: none.
    """

    def __init__(
        self,
        pack: IPolicyValidationPlugin | Callable[[], IPolicyValidationPlugin],
        *,
        name: str | None = None,
        cache: ValidationCache | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(cache=cache)
        if callable(pack):
            if name is None:
                raise ValueError("CachedNagPack: give the name of the pack the function makes")
            self._make_pack: Callable[[], IPolicyValidationPlugin] = pack
            self._pack: IPolicyValidationPlugin | None = None
        else:
            self._pack = pack
        self._name = name if name is not None else self.pack.name
        self._props = dict(props or {})
        self._assembly = _Assembly()
        self._stacks: dict[str, tuple[Stack, list[Any]]] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def pack(self) -> IPolicyValidationPlugin:
        """The pack, made on first use if a function was given."""
        if self._pack is None:
            self._pack = self._make_pack()
            if self._pack.name != self._name:
                raise ValueError(f"CachedNagPack: the pack is {self._pack.name}, not {self._name}")
        return self._pack

    def prepare(self, context: IPolicyValidationContext) -> None:
        self._assembly = _Assembly()
        self._stacks = {
            stack.node.path: (stack, above)
            for stack, above in stacks_in_tree_order(context.app_construct)
        }

    def fingerprint(self, context: IPolicyValidationContext) -> str:
        return digest(
            self._name,
            versions("cdk-nag", "aws-cdk-lib"),
            json.dumps(self._props, sort_keys=True),
        )

    def stack_fingerprint(self, stack: StackTemplate, context: IPolicyValidationContext) -> str:
        above = (
            self._stacks[stack.construct_path][1] if stack.construct_path in self._stacks else []
        )
        return digest(
            json.dumps(above, sort_keys=True), self._assembly.metadata(stack.template_path)
        )

    def validate_templates(
        self, stacks: Sequence[StackTemplate], context: IPolicyValidationContext
    ) -> dict[str, list[Violation]]:
        found = {}
        for stack in stacks:
            construct = self._stacks[stack.construct_path][0]
            report = self.pack.validate_scope(construct)  # type: ignore[attr-defined]
            found[stack.construct_path] = [from_jsii(v) for v in report.violations]
        return found

    def merge(
        self, results: Sequence[tuple[StackTemplate, list[Violation]]], context: Any
    ) -> list[Violation]:
        """One violation per rule, as one walk of the tree groups them."""
        order = {path: index for index, path in enumerate(self._stacks)}
        by_rule: dict[str, Violation] = {}
        for _, violations in sorted(results, key=lambda r: order.get(r[0].construct_path, 0)):
            for violation in violations:
                existing = by_rule.get(violation["ruleName"])
                if existing is None:
                    by_rule[violation["ruleName"]] = {
                        **violation,
                        "violatingResources": list(violation["violatingResources"]),
                    }
                else:
                    existing["violatingResources"].extend(violation["violatingResources"])
        return list(by_rule.values())

    def succeeded(self, violations: Sequence[Violation]) -> bool:
        """cdk-nag fails its report on any finding, warnings included."""
        return not violations
