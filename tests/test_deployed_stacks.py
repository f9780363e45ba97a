"""tools/deploy/deployed_stacks.py: what `make deploy` records and what `make destroy` adds to the
current config's stacks (a stack only an override produced, e.g. services-2 of a priority-11
service)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from stacks import names
from tools.deploy.deployed_stacks import (
    RecordError,
    assembly_stacks,
    copies_dir,
    destroy_groups,
    destroy_list,
    extra_stacks,
    main,
    read_record,
    record,
    record_path,
)
from tools.plan.orphans import ledger_path, read_ledger

if TYPE_CHECKING:
    import boto3

ENV = "sandbox"


def _assembly(root: Path, name: str, stacks: list[str]) -> Path:
    """A minimal cloud assembly: a manifest naming `stacks` and a template each."""
    outdir = root / name
    outdir.mkdir(parents=True)
    artifacts: dict[str, object] = {"Tree": {"type": "cdk:tree"}}
    for stack in stacks:
        (outdir / f"{stack}.template.json").write_text(json.dumps({"Resources": {}, "n": name}))
        artifacts[stack] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/us-east-1",
            "properties": {"templateFile": f"{stack}.template.json", "stackName": stack},
        }
    (outdir / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return outdir


def _assembly_of(root: Path, name: str, resources: dict[str, dict[str, object]]) -> Path:
    """A minimal cloud assembly of the stacks of `resources` (stack -> its resources)."""
    outdir = _assembly(root, name, list(resources))
    for stack, body in resources.items():
        (outdir / f"{stack}.template.json").write_text(json.dumps({"Resources": body}))
    return outdir


NETWORK = names.stack_id(ENV, names.NETWORK_UNIT)
BASE = [
    NETWORK,
    names.stack_id(ENV, names.ecs_cluster_unit("fargate")),
    names.stack_id(ENV, names.ecs_services_unit("fargate", 1)),
]
SERVICES_2 = names.stack_id(ENV, names.ecs_services_unit("fargate", 2))  # from an override only
WITH_OVERRIDE = [*BASE, SERVICES_2]
EKS = names.stack_id(ENV, names.EKS_UNIT)


def test_assembly_stacks_are_the_manifests_stacks(tmp_path: Path) -> None:
    assert assembly_stacks(_assembly(tmp_path, "a", BASE)) == BASE
    with pytest.raises(RecordError, match="is not a cloud assembly"):
        assembly_stacks(tmp_path / "missing")


def test_a_stack_only_an_override_made_is_destroyed_from_its_recorded_assembly(
    tmp_path: Path,
) -> None:
    build = tmp_path / "build"
    deployed = _assembly(tmp_path, "with-override", WITH_OVERRIDE)
    written = record(ENV, deployed, build)
    assert set(written["stacks"]) == set(WITH_OVERRIDE)
    (copy,) = written["assemblies"]
    assert (Path(copy) / "manifest.json").exists()
    assert read_record(ENV, build) == written
    # make destroy without the override: the current config lacks services-2.
    assert extra_stacks(written, BASE) == [(copy, [SERVICES_2])]
    assert destroy_list(written, BASE) == sorted(WITH_OVERRIDE)
    assert extra_stacks(written, WITH_OVERRIDE) == []
    assert extra_stacks({}, BASE) == []


def test_a_later_deploy_without_the_override_keeps_the_stack_it_left_behind(
    tmp_path: Path,
) -> None:
    """`cdk deploy` does not delete a stack that left the app: it stays recorded, with the copy
    of the assembly that deployed it; copies nothing refers to are removed."""
    build = tmp_path / "build"
    first = record(ENV, _assembly(tmp_path, "with-override", WITH_OVERRIDE), build)
    second = record(ENV, _assembly(tmp_path, "base", BASE), build)
    (old_copy,) = first["assemblies"]
    new_copy, kept = second["assemblies"]
    assert kept == old_copy
    assert second["stacks"][SERVICES_2] == old_copy
    assert all(second["stacks"][name] == new_copy for name in BASE)
    assert extra_stacks(second, BASE) == [(old_copy, [SERVICES_2])]
    # Deployed again with the override: the old copy is no longer referenced and goes.
    third = record(ENV, _assembly(tmp_path, "again", WITH_OVERRIDE), build)
    assert len(third["assemblies"]) == 1
    assert not Path(old_copy).exists() or old_copy in third["assemblies"]
    assert sorted(p.name for p in (build / f"deployed-{ENV}").iterdir()) == [
        Path(third["assemblies"][0]).name
    ]


def test_an_unreadable_record_is_one_line(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    record_path(ENV, build).write_text("[]")
    with pytest.raises(RecordError, match="is not a deploy record"):
        read_record(ENV, build)


def test_the_cli_records_lists_extras_and_forgets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build = tmp_path / "build"
    deployed = _assembly(tmp_path, "with-override", WITH_OVERRIDE)
    current = _assembly(tmp_path, "base", BASE)
    common = ["--environment", ENV, "--build", str(build)]
    assert main(["extra", *common, "--assembly", str(current)]) == 0
    assert capsys.readouterr().out == ""  # nothing recorded yet
    assert main(["record", *common, "--assembly", str(deployed)]) == 0
    assert main(["extra", *common, "--assembly", str(current)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assembly, stack = line.split()
    assert stack == SERVICES_2
    assert (Path(assembly) / "manifest.json").exists()
    assert main(["forget", *common]) == 0
    assert not record_path(ENV, build).exists()
    assert not Path(assembly).exists()
    assert main(["extra", *common, "--assembly", str(tmp_path / "none")]) == 1
    assert "is not a cloud assembly" in capsys.readouterr().err


def _depending(outdir: Path, dependencies: dict[str, list[str]]) -> Path:
    """`outdir`'s manifest with each stack of `dependencies` depending on those stacks."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    for stack, on in dependencies.items():
        manifest["artifacts"][stack]["dependencies"] = on
    (outdir / "manifest.json").write_text(json.dumps(manifest))
    return outdir


def test_stacks_to_destroy_come_importers_first_each_from_its_recorded_assembly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make destroy-stacks`: services-2 was recorded by an older deploy than the cluster and
    services-1, and both services stacks import from the cluster: they go first, each group from
    the assembly that recorded it (CloudFormation refuses to delete a stack another imports
    from)."""
    build = tmp_path / "build"
    cluster = names.stack_id(ENV, names.ecs_cluster_unit("fargate"))
    services_1 = names.stack_id(ENV, names.ecs_services_unit("fargate", 1))
    on_cluster = {services_1: [cluster], SERVICES_2: [cluster]}
    old = record(ENV, _depending(_assembly(tmp_path, "old", WITH_OVERRIDE), on_cluster), build)
    new = _depending(_assembly(tmp_path, "new", BASE), {services_1: [cluster]})
    written = record(ENV, new, build, deployed=[cluster, services_1])
    (old_copy,) = old["assemblies"]
    new_copy = written["stacks"][cluster]
    assert new_copy != old_copy
    assert destroy_groups(written, [cluster, SERVICES_2, services_1]) == [
        (old_copy, [SERVICES_2]),
        (new_copy, [services_1, cluster]),
    ]
    common = ["groups", "--environment", ENV, "--build", str(build)]
    assert main([*common, "--stacks", f"{cluster} {SERVICES_2}"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{old_copy} {SERVICES_2}",
        f"{new_copy} {cluster}",
    ]
    assert main([*common, "--stacks", f"{cluster} nope"]) == 1
    assert capsys.readouterr().err.startswith("error: nope: not recorded as deployed (recorded: ")
    elsewhere = ["groups", "--environment", ENV, "--build", str(tmp_path / "other")]
    assert main([*elsewhere, "--stacks", cluster]) == 1
    assert capsys.readouterr().err == (
        f"error: {cluster}: no deploy is recorded here (e.g. a CI runner's checkout): destroy them "
        f"from an assembly that has them, `node_modules/.bin/cdk destroy --app DIR --exclusively "
        f"{cluster}`\n"
    )


@pytest.mark.integration
def test_prune_keeps_only_the_stacks_still_deployed(
    tmp_path: Path, aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """After `make destroy`: a stack CloudFormation still has (e.g. the confirmation was declined,
    which the CLI answers with exit 0) stays recorded; when none is left the record goes."""
    build = tmp_path / "build"
    written = record(ENV, _assembly(tmp_path, "with-override", WITH_OVERRIDE), build)
    assert set(written["regions"].values()) == {"us-east-1"}
    cloudformation = aws.client("cloudformation")
    gone = names.stack_id(ENV, "gone")
    template = json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})
    cloudformation.create_stack(StackName=NETWORK, TemplateBody=template)
    cloudformation.create_stack(StackName=gone, TemplateBody=template)
    cloudformation.delete_stack(StackName=gone)
    args = ["prune", "--environment", ENV, "--build", str(build)]
    assert main(args, session=aws) == 0
    assert "Still deployed, kept in" in capsys.readouterr().err
    pruned = read_record(ENV, build)
    assert list(pruned["stacks"]) == [NETWORK]
    assert pruned["assemblies"] == written["assemblies"]
    cloudformation.delete_stack(StackName=NETWORK)
    assert main(args, session=aws) == 0
    assert not record_path(ENV, build).exists()
    assert not (build / f"deployed-{ENV}").exists()


def test_a_deploy_of_some_stacks_records_only_those(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make deploy STACKS="A B"` passes `--stacks "A B"`: only those are recorded, and stacks an
    earlier full deploy recorded keep their earlier copy; a name the assembly lacks is refused."""
    build = tmp_path / "build"
    full = _assembly(tmp_path, "full", WITH_OVERRIDE)
    some = _assembly(tmp_path, "some", BASE)
    common = ["--environment", ENV, "--build", str(build)]
    assert main(["record", *common, "--assembly", str(some), "--stacks", " ".join(BASE[:2])]) == 0
    assert sorted(read_record(ENV, build)["stacks"]) == sorted(BASE[:2])
    first_copy = read_record(ENV, build)["stacks"][BASE[0]]
    assert main(["record", *common, "--assembly", str(full)]) == 0
    assert main(["record", *common, "--assembly", str(some), "--stacks", BASE[2]]) == 0
    stacks = read_record(ENV, build)["stacks"]
    assert sorted(stacks) == sorted(WITH_OVERRIDE)
    assert stacks[BASE[0]] != first_copy
    assert stacks[BASE[0]] == stacks[SERVICES_2] != stacks[BASE[2]]
    capsys.readouterr()
    assert main(["record", *common, "--assembly", str(some), "--stacks", EKS]) == 1
    assert f"{EKS}: not a stack of" in capsys.readouterr().err


def test_a_deploy_that_leaves_a_retained_name_behind_writes_it_to_the_ledger(
    tmp_path: Path,
) -> None:
    """`record` after a deploy that removed a retained repository with a fixed name: the name goes
    to the ledger `make plan` reads (tools/plan/orphans.py); a later deploy holding it again takes
    it out."""
    build = tmp_path / "build"
    registry = names.stack_id(ENV, names.REGISTRY_UNIT)
    repository = {
        "Type": "AWS::ECR::Repository",
        "Properties": {"RepositoryName": "cp-sandbox/app"},
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    }
    topic = {"Type": "AWS::SNS::Topic"}
    with_repository = _assembly_of(tmp_path, "with", {registry: {"Repo": repository, "T": topic}})
    without = _assembly_of(tmp_path, "without", {registry: {"T": topic}})
    record(ENV, with_repository, build)
    assert read_ledger(ENV, build) == ()
    record(ENV, without, build)
    (entry,) = read_ledger(ENV, build)
    assert (entry.stack, entry.path, entry.why) == (registry, "Repo", "removed from its stack")
    record(ENV, with_repository, build)
    assert read_ledger(ENV, build) == ()


@pytest.mark.integration
def test_a_destroy_writes_the_retained_names_it_leaves_to_the_ledger(
    tmp_path: Path, aws: boto3.Session
) -> None:
    """`prune` after `make destroy` in production: the stacks are gone, their retained named
    resources are not, and the next deploy would create them again (already exists)."""
    build = tmp_path / "build"
    logs = {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": "/cp-sandbox/exec"},
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    }
    record(ENV, _assembly_of(tmp_path, "a", {NETWORK: {"Logs": logs}}), build)
    assert main(["prune", "--environment", ENV, "--build", str(build)], session=aws) == 0
    assert not record_path(ENV, build).exists()
    (entry,) = read_ledger(ENV, build)
    assert (entry.stack, entry.why) == (NETWORK, "destroyed with its stack")
    assert entry.name == "name (LogGroupName '/cp-sandbox/exec')"


def test_a_ledger_that_cannot_be_updated_is_a_warning_not_a_lost_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`record` runs after a successful `cdk deploy`: when the previous record's copy of its
    assembly is gone (the ledger cannot compare with it), the deploy is still recorded."""
    build = tmp_path / "build"
    record(ENV, _assembly(tmp_path, "a", BASE), build)
    for copy in copies_dir(ENV, build).iterdir():
        shutil.rmtree(copy)
    written = record(ENV, _assembly(tmp_path, "b", BASE), build)
    assert "warning: the ledger of orphaned names is not updated" in capsys.readouterr().err
    assert set(written["stacks"]) == set(BASE)
    assert read_record(ENV, build) == written


@pytest.mark.parametrize("ledger", ["{not json", '{"version": 99, "orphaned": []}'])
def test_an_unreadable_ledger_is_a_warning_not_a_lost_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ledger: str
) -> None:
    build = tmp_path / "build"
    record(ENV, _assembly(tmp_path, "a", BASE), build)
    ledger_path(ENV, build).write_text(ledger, encoding="utf-8")
    written = record(ENV, _assembly(tmp_path, "b", BASE), build)
    assert "cannot read the ledger of orphaned names" in capsys.readouterr().err
    assert read_record(ENV, build) == written
