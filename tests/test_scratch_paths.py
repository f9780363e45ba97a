"""Writable scratch paths for a non-root app under a read-only root, on both launch types, for
images whose directories at those paths are root's: the shipped task definitions run through a
model of the container start (tests/helpers/container_start.py, each rule cited from the engines'
sources), not only with /tmp."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from container_constructs.task_volumes import add_scratch_volumes, owned_tmpfs_mount_options
from platform_config import load_config
from stacks import names
from tests.helpers.apps import RECORD, unit_app
from tests.helpers.assembly import Assembly
from tests.helpers.container_start import Directory, LaunchType, Layout, start_task, writable_paths

KINDS: tuple[LaunchType, ...] = ("ec2", "fargate")
ROOT = 0
OTHER = 4242
# An image like plain nginx: /var/cache/nginx root-owned 0755 with entries (nginx's temp dirs),
# /tmp the usual sticky 1777.
ROOT_OWNED: Layout = {
    "/var/cache/nginx": Directory(uid=ROOT, gid=ROOT, mode=0o755, has_entries=True),
    "/tmp": Directory(uid=ROOT, gid=ROOT, mode=0o1777),
}
# The init container's image (busybox): /tmp only.
BUSYBOX: Layout = {"/tmp": Directory(uid=ROOT, gid=ROOT, mode=0o1777)}


def _definition(assembly: Assembly, kind: str) -> dict[str, Any]:
    template = assembly.template_json(assembly.stack_name(names.ecs_services_unit(kind, 1)))
    (definition,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ECS::TaskDefinition"
    ]
    return dict(definition)


def _app_paths(assembly: Assembly, kind: str) -> list[str]:
    cluster = getattr(load_config(assembly.environment, config_dir=RECORD).ecs, kind)
    (service,) = cluster.services.values()
    return list(service.writable_paths)


def _images(definition: dict[str, Any], app: Layout) -> dict[str, Layout]:
    return {
        c["Name"]: app if c["Name"] == "app" else BUSYBOX
        for c in definition["ContainerDefinitions"]
    }


@pytest.mark.parametrize("kind", KINDS)
def test_a_root_owned_image_directory_is_writable_on_both_launch_types(
    assembly: Assembly, kind: LaunchType
) -> None:
    definition = _definition(assembly, kind)
    paths = _app_paths(assembly, kind)
    assert "/var/cache/nginx" in paths
    writable = writable_paths(definition, kind, _images(definition, ROOT_OWNED))
    assert {path: writable[path] for path in paths} == dict.fromkeys(paths, True)


def test_ec2_uses_owned_tmpfs_and_no_init_container(assembly: Assembly) -> None:
    definition = _definition(assembly, "ec2")
    (app,) = definition["ContainerDefinitions"]
    tmpfs = {t["ContainerPath"]: t for t in app["LinuxParameters"]["Tmpfs"]}
    assert set(tmpfs) == set(_app_paths(assembly, "ec2"))
    for mount in tmpfs.values():
        assert mount["MountOptions"] == ["uid=101", "mode=0700"]
        assert mount["Size"] == 64
    assert not set(tmpfs) & {m["ContainerPath"] for m in app.get("MountPoints", [])}


def test_the_same_volumes_and_init_container_fail_on_ec2(assembly: Assembly) -> None:
    """Why EC2 does not use Fargate's design: Docker fills the app's empty volume from the image
    when the app container is created, after the init container's chown, and the root-owned 0755
    directory's owner and mode come back (/tmp still works, being 1777)."""
    definition = _definition(assembly, "fargate")
    writable = writable_paths(definition, "ec2", _images(definition, ROOT_OWNED))
    assert writable["/var/cache/nginx"] is False
    assert writable["/tmp"] is True
    roots = start_task(definition, "ec2", _images(definition, ROOT_OWNED))
    assert roots["volume-permissions"]["/var/cache/nginx"].uid == ROOT  # fresh volume, chowned...
    assert roots["app"]["/var/cache/nginx"] == Directory(uid=ROOT, gid=ROOT, mode=0o755)


directories = st.builds(
    Directory,
    uid=st.sampled_from([ROOT, 101, OTHER]),
    gid=st.sampled_from([ROOT, 101, OTHER]),
    mode=st.sampled_from([0o755, 0o700, 0o555, 0o1777, 0o775, 0o500, 0o000]),
    has_entries=st.booleans(),
)


@given(
    layout=st.fixed_dictionaries(
        {},
        optional={"/tmp": directories, "/var/cache/nginx": directories},
    )
)
@settings(max_examples=200, deadline=None)
def test_any_image_layout_leaves_the_scratch_paths_writable(
    environments_definitions: dict[tuple[str, LaunchType], dict[str, Any]], layout: Layout
) -> None:
    """Whatever owner and mode the image gives those directories (or none), the app can write
    its scratch paths when it starts, on both launch types and in both environments."""
    for (_, kind), definition in environments_definitions.items():
        writable = writable_paths(definition, kind, _images(definition, layout))
        assert writable["/tmp"], (kind, layout)
        assert writable["/var/cache/nginx"], (kind, layout)


@pytest.fixture(scope="module")
def environments_definitions(
    assemblies: dict[str, Assembly],
) -> dict[tuple[str, LaunchType], Any]:
    return {
        (environment, kind): _definition(assembly, kind)
        for environment, assembly in assemblies.items()
        for kind in KINDS
    }


@pytest.mark.parametrize(
    ("owner", "options"),
    [("1000", ["uid=1000", "mode=0700"]), ("1000:2000", ["uid=1000", "gid=2000", "mode=0700"])],
)
def test_owned_tmpfs_options_follow_the_user(owner: str, options: list[str]) -> None:
    assert owned_tmpfs_mount_options(owner) == options


@pytest.mark.parametrize(("owner", "tmpfs"), [("1000:2000", True), (None, False)])
def test_ec2_tmpfs_only_where_the_app_is_handed_its_paths(owner: str | None, tmpfs: bool) -> None:
    """With volume_permissions "none" (the image declares VOLUME there, owned by its user) the
    EC2 paths stay Docker volumes: the copy from the image is what that image relies on."""
    from aws_cdk import Stack
    from aws_cdk import aws_ecs as ecs
    from aws_cdk.assertions import Template

    stack = Stack(unit_app(), "Scratch")
    definition = ecs.Ec2TaskDefinition(stack, "Definition", network_mode=ecs.NetworkMode.AWS_VPC)
    linux = ecs.LinuxParameters(stack, "Linux")
    app = definition.add_container(
        "App",
        container_name="app",
        image=ecs.ContainerImage.from_registry("example"),
        memory_limit_mib=512,
        linux_parameters=linux,
    )
    handed = add_scratch_volumes(
        definition,
        app,
        writable_paths=["/tmp", "/data"],
        exec_paths=["/var/lib/amazon/ssm"],
        launch_type="ec2",
        owner=owner,
    )
    (resource,) = Template.from_stack(stack).find_resources("AWS::ECS::TaskDefinition").values()
    (container,) = resource["Properties"]["ContainerDefinitions"]
    mounted = {m["ContainerPath"] for m in container["MountPoints"]}
    if tmpfs:
        assert handed == []
        assert mounted == {"/var/lib/amazon/ssm"}
        assert [t["ContainerPath"] for t in container["LinuxParameters"]["Tmpfs"]] == [
            "/tmp",
            "/data",
        ]
    else:
        assert [path for _, path in handed] == ["/tmp", "/data"]
        assert mounted == {"/tmp", "/data", "/var/lib/amazon/ssm"}
        assert "Tmpfs" not in container["LinuxParameters"]
