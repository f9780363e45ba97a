"""The ledger of names that retained resources outside every stack hold (tools/plan/orphans.py):
what a deploy or a destroy leaves behind, and when an entry goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plan.helpers.templates import log_group, repository, stack, state, topic
from tools.plan.assembly import AssemblyError
from tools.plan.orphans import ledger_path, orphaned, read_ledger, update_ledger

ENV = "sandbox"


def _registry(**resources: object) -> dict[str, object]:
    return {"T": topic(), **resources}


def test_a_retained_named_resource_removed_replaced_or_destroyed_is_orphaned() -> None:
    before = state(
        stack(
            "registry",
            _registry(Repo=repository("env/app", retain=True), Old=log_group("/a", retain=True)),
        ),
        stack("logs", {"Logs": log_group("/logs", retain=True)}),
    )
    after = state(
        stack("registry", _registry(Repo=repository("env/kms/app", kms=True, retain=True))),
    )
    found = orphaned(before, after, ["registry", "logs"])
    assert [(o.stack, o.path, o.resource_type, o.why) for o in found] == [
        ("registry", "Repo", "AWS::ECR::Repository", "replaced (its old copy)"),
        ("registry", "Old", "AWS::Logs::LogGroup", "removed from its stack"),
        ("logs", "Logs", "AWS::Logs::LogGroup", "destroyed with its stack"),
    ]
    assert found[0].name == "name (RepositoryName 'env/app')"


def test_a_deleted_generated_or_still_held_name_is_not_orphaned() -> None:
    before = state(
        stack(
            "a",
            {
                "Gone": repository("env/gone"),
                "Unnamed": repository(retain=True),
                "Moved": log_group("/moved", retain=True),
            },
        ),
        stack("b", {"T": topic()}),
    )
    after = state(stack("a", {"T": topic()}), stack("b", {"Moved": log_group("/moved")}))
    assert orphaned(before, after, ["a", "b"]) == []
    # A stack the deploy does not touch orphans nothing.
    assert orphaned(before, state(stack("b", {"T": topic()})), ["b"]) == []


def test_the_ledger_keeps_each_name_once_until_a_deploy_holds_it_again(tmp_path: Path) -> None:
    named = state(stack("registry", _registry(Repo=repository("env/app", retain=True))))
    empty = state(stack("registry", _registry()))
    assert update_ledger(ENV, tmp_path, named, empty, ["registry"])
    assert update_ledger(ENV, tmp_path, named, empty, ["registry"]) == read_ledger(ENV, tmp_path)
    (entry,) = read_ledger(ENV, tmp_path)
    assert entry.why == "removed from its stack"
    # Adopted (`cdk import`) or re-created after a delete by hand: a deploy holds it again.
    assert update_ledger(ENV, tmp_path, empty, named, ["registry"]) == ()
    assert not ledger_path(ENV, tmp_path).exists()
    assert read_ledger(ENV, tmp_path) == ()


def test_a_snapshotted_resource_is_deleted_and_frees_its_name() -> None:
    # DeletionPolicy Snapshot: CloudFormation snapshots the resource, then deletes it.
    snapshotted = {**log_group("/snap"), "DeletionPolicy": "Snapshot"}
    before = state(stack("logs", {"T": topic(), "Logs": snapshotted}))
    assert orphaned(before, state(stack("logs", {"T": topic()})), ["logs"]) == []


def test_an_unreadable_ledger_is_one_error_naming_it(tmp_path: Path) -> None:
    path = ledger_path(ENV, tmp_path)
    for body in ("{not json", '{"version": 2, "orphaned": []}', '{"version": 1}', "[]"):
        path.write_text(body, encoding="utf-8")
        with pytest.raises(AssemblyError, match=f"cannot read the ledger of orphaned names {path}"):
            read_ledger(ENV, tmp_path)
