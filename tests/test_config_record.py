"""The config of record (platform_config/record.py) and how an environment's layers merge
(platform_config/layers.py): services by name, never by position; removal only explicit; every
problem names its file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from platform_config import (
    ENVIRONMENTS,
    ConfigError,
    Layer,
    deep_merge,
    load_config,
    resolve_config,
)
from platform_config.ecs import FargateClusterConfig
from platform_config.environments import SAMPLE_IMAGE, SAMPLE_IMAGE_URI
from platform_config.loader import read_overrides_files
from tests.helpers.apps import RECORD

WEB = {"image": dict(SAMPLE_IMAGE), "user": "101", "writable_paths": ["/tmp"]}


def _write(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


def _service(priority: int, name: str, **environments: Any) -> dict[str, Any]:
    """A service file's content: a web service under /<name>/*, in `environments`."""
    return {
        **WEB,
        "route": {"priority": priority, "paths": [f"/{name}/*"]},
        "environments": environments,
    }


def _problems(name: str = "sandbox", **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        resolve_config(name, **kwargs)
    return caught.value.problems


@pytest.fixture
def record(tmp_path: Path) -> Path:
    """A copy of the repository's config of record."""
    return Path(shutil.copytree(RECORD, tmp_path / "config"))


def test_the_shipped_record_runs_each_sample_in_both_environments() -> None:
    for name in ("sandbox", "production"):
        config = load_config(name, config_dir=RECORD)
        assert list(config.ecs.ec2.services) == list(config.ecs.fargate.services) == ["sample"]
        assert config.ecs.fargate.services["sample"].image.uri == SAMPLE_IMAGE_URI
    sandbox = load_config("sandbox", config_dir=RECORD).ecs.fargate.services["sample"]
    production = load_config("production", config_dir=RECORD).ecs.fargate.services["sample"]
    assert (sandbox.cpu_architecture, sandbox.scaling.max_tasks) == ("arm64", 2)
    assert (production.cpu, production.enable_execute_command) == (512, False)
    assert load_config("sandbox").ecs.fargate.services == {}  # no record, no service


def test_a_service_runs_exactly_where_its_file_says_with_that_environments_values(
    record: Path,
) -> None:
    """The environment's values merge over the shared ones (objects merge, lists replace)."""
    api = _service(
        2,
        "api",
        sandbox={"scaling": {"max_tasks": 2}, "writable_paths": ["/data"]},
        production={},
    )
    api["scaling"] = {"min_tasks": 0, "max_tasks": 1}
    (record / "services" / "ec2" / "sample.json").unlink()  # its /* would hide every other route
    _write(record / "services" / "ec2" / "api.json", api)
    job = {**_service(3, "job", production={}), "load_balancer": "internal"}
    _write(record / "services" / "fargate" / "job.json", job)
    internal = {"ecs": {"fargate": {"load_balancers": {"internal": {"internal": True}}}}}
    _write(record / "environments" / "production.json", internal)
    sandbox = load_config("sandbox", config_dir=record)
    production = load_config("production", config_dir=record)
    assert list(sandbox.ecs.ec2.services) == ["api"]
    assert list(sandbox.ecs.fargate.services) == ["sample"]
    assert list(production.ecs.fargate.services) == ["job", "sample"]
    in_sandbox = sandbox.ecs.ec2.services["api"]
    assert (in_sandbox.scaling.min_tasks, in_sandbox.scaling.max_tasks) == (0, 2)
    assert in_sandbox.writable_paths == ["/data"]
    assert production.ecs.ec2.services["api"].scaling.max_tasks == 1
    assert production.ecs.ec2.services["api"].writable_paths == ["/tmp"]


def test_an_environment_file_merges_over_the_built_in_environment(record: Path) -> None:
    _write(record / "environments" / "sandbox.json", {"network": {"nat_gateways": 2}})
    sandbox = load_config("sandbox", config_dir=record)
    assert (sandbox.network.nat_gateways, sandbox.network.vpc_cidr) == (2, "10.10.0.0/16")
    assert load_config("production", config_dir=record).network.nat_gateways == 3


def test_documentation_and_hidden_files_are_allowed(record: Path) -> None:
    _write(record / "README.md", "# what runs where\n")
    _write(record / "services" / "README.md", "one file per service\n")
    _write(record / "services" / "fargate" / ".gitkeep", "")
    _write(record / "environments" / ".gitkeep", "")
    assert load_config("sandbox", config_dir=record) == load_config("sandbox", config_dir=RECORD)


@pytest.mark.parametrize(
    ("path", "content", "problem"),
    [
        (
            "services/fargate/api.json",
            _service(2, "api", sandbox={}, staging={}),
            "ecs.fargate.services.api.environments.staging: unknown environment in "
            "{record}/services/fargate/api.json; allowed: production, sandbox",
        ),
        (
            "services/fargate/api.json",
            {**WEB, "route": {"priority": 2, "paths": ["/api/*"]}},
            "ecs.fargate.services.api.environments: {record}/services/fargate/api.json must name "
            'the environments the service runs in, each with its own values, e.g. "environments": '
            '{{"sandbox": {{}}}}; allowed environments: production, sandbox',
        ),
        (
            "services/fargate/api.json",
            _service(2, "api", sandbox=[]),
            "ecs.fargate.services.api.environments.sandbox: in "
            "{record}/services/fargate/api.json: must be an object of the service's values in "
            "that environment ({{}} for the shared values only), got list",
        ),
        (
            "services/fargate/api.json",
            {**_service(2, "api", sandbox={}), "name": "api"},
            "ecs.fargate.services.api.name: in {record}/services/fargate/api.json: a service's "
            "name is its file's name ('api'); allowed: leave 'name' out",
        ),
        (
            "services/fargate/api.json",
            "{not json",
            "ecs.fargate.services.api: cannot read {record}/services/fargate/api.json: Expecting "
            "property name enclosed in double quotes",
        ),
        (
            "services/fargate/api.json",
            [],
            "ecs.fargate.services.api: {record}/services/fargate/api.json must hold a JSON "
            "object, got list",
        ),
        (
            "services/fargate/api.yaml",
            "x: 1",
            "ecs.fargate.services: {record}/services/fargate/api.yaml is not a service file "
            "(<name>.json)",
        ),
        (
            "services/eks/api.json",
            _service(2, "api", sandbox={}),
            "ecs: {record}/services/eks is not the directory of a cluster; allowed in {record}: "
            "services/ec2, services/fargate",
        ),
        (
            "service/fargate/api.json",
            _service(2, "api", sandbox={}),
            "config: {record}/service is not part of a config of record; allowed in {record}: "
            "services/, environments/, README.md",
        ),
        (
            "environments/staging.json",
            {},
            "environment: {record}/environments/staging.json is not the file of an environment; "
            "allowed in {record}/environments: <environment>.json of production, sandbox",
        ),
        (
            "environments/sandbox.json",
            {"ecs": {"fargate": {"services": {"sample": WEB}}}},
            "ecs.fargate.services.sample: defined by {record}/services/fargate/sample.json and "
            "already by {record}/environments/sandbox.json; allowed: one place per service",
        ),
        (
            "environments/sandbox.json",
            {"ecs": {"ec2": {"services": [{"name": "x"}]}}},
            "ecs.ec2.services: {record}/environments/sandbox.json gives a list; services are a "
            'map by name, e.g. {{"ecs": {{"fargate": {{"services": {{"web": {{...}}, "api": '
            '{{...}}}}}}}}}} (the key is the service\'s name; "web": null removes web)',
        ),
    ],
    ids=[
        "unknown-environment",
        "no-environments",
        "environment-not-an-object",
        "name-field",
        "not-json",
        "not-an-object",
        "not-a-json-file",
        "not-a-cluster",
        "not-part-of-a-record",
        "unknown-environment-file",
        "defined-twice",
        "list-of-services",
    ],
)
def test_a_record_problem_names_the_file_and_what_is_allowed(
    record: Path, path: str, content: Any, problem: str
) -> None:
    """Each is refused whichever environment is selected (a typo never drops a service
    silently), and the message is the field, the file and what is allowed."""
    _write(record / path, content)
    for environment in ("sandbox", "production"):
        if path.startswith("environments/sandbox") and environment == "production":
            assert load_config(environment, config_dir=record)  # read for the sandbox only
            continue
        problems = _problems(environment, config_dir=record)
        assert any(p.startswith(problem.format(record=record)) for p in problems), problems


def test_a_missing_record_is_one_problem(tmp_path: Path) -> None:
    assert _problems(config_dir=tmp_path / "nope") == [
        f"config: '{tmp_path / 'nope'}' is not a directory; allowed: a config of record "
        "(services/<cluster>/<name>.json, environments/<environment>.json; default 'config')"
    ]


def test_a_services_problem_names_the_files_it_comes_from(record: Path, tmp_path: Path) -> None:
    (record / "services" / "fargate" / "sample.json").unlink()
    _write(record / "services" / "fargate" / "api.json", _service(2, "api", sandbox={"cpu": 300}))
    assert _problems(config_dir=record) == [
        "ecs.fargate.services.api.cpu: 300 is not a Fargate task CPU; allowed: 256, 512, 1024, "
        f"2048, 4096, 8192, 16384 (from {record}/services/fargate/api.json)"
    ]
    overrides = _write(
        tmp_path / "a.json", {"ecs": {"fargate": {"services": {"sample": {"cpu": 300}}}}}
    )
    (problem,) = _problems(config_dir=RECORD, layers=read_overrides_files(str(overrides)))
    assert problem.endswith(f"(from {RECORD}/services/fargate/sample.json, {overrides})")


def test_a_clash_between_two_services_names_the_file_of_each(tmp_path: Path) -> None:
    """A priority an override gives one service while the sample of record holds it: the
    problem is raised on one of the two, and names where the other came from too."""
    api = {**WEB, "route": {"priority": 1, "paths": ["/api/*"]}}
    overrides = _write(tmp_path / "a.json", {"ecs": {"fargate": {"services": {"api": api}}}})
    (problem,) = _problems(config_dir=RECORD, layers=read_overrides_files(str(overrides)))
    assert "route.priority: 1 is already used by service" in problem
    assert f"{RECORD}/services/fargate/sample.json" in problem
    assert str(overrides) in problem


def test_two_overrides_files_that_each_add_a_service_add_both(tmp_path: Path) -> None:
    """The issue's case: with lists, b.json's services replaced a.json's. By name, both stay, and
    so does the config of record's sample (the new ones on an internal load-balancer group, which
    a.json declares: the sample's /* takes every request of its own ALB)."""
    internal = {"load_balancers": {"internal": {"internal": True}}}
    first = _write(
        tmp_path / "a.json",
        {"ecs": {"fargate": {**internal, "services": {"aa": _internal(2, "aa")}}}},
    )
    second = _write(
        tmp_path / "b.json", {"ecs": {"fargate": {"services": {"bb": _internal(3, "bb")}}}}
    )
    layers = read_overrides_files(f"{first},{second}")
    config = load_config("sandbox", overrides=layers, config_dir=RECORD)
    assert list(config.ecs.fargate.services) == ["aa", "bb", "sample"]
    assert list(config.ecs.ec2.services) == ["sample"]
    assert [key.name for key in config.ecs.fargate.assign_load_balancers()] == [
        "default-1",
        "internal-1",
    ]


def _svc(priority: int, name: str) -> dict[str, Any]:
    return {**WEB, "route": {"priority": priority, "paths": [f"/{name}/*"]}}


def _internal(priority: int, name: str) -> dict[str, Any]:
    return {**_svc(priority, name), "load_balancer": "internal"}


def test_overrides_change_a_service_by_name_and_remove_one_only_explicitly(tmp_path: Path) -> None:
    bigger = {"cpu": 512, "memory_mib": 1024}
    change = Layer("change.json", {"ecs": {"fargate": {"services": {"sample": bigger}}}})
    remove = Layer("remove.json", {"ecs": {"ec2": {"services": {"sample": None}}}})
    resolved = resolve_config("sandbox", layers=[change, remove], config_dir=RECORD)
    fargate = resolved.config.ecs.fargate.services["sample"]
    assert (fargate.cpu, fargate.memory_mib, fargate.user) == (512, 1024, "101")
    assert resolved.config.ecs.ec2.services == {}
    assert resolved.removals == ("ecs.ec2.services.sample removed by remove.json",)
    assert _problems(layers=[remove, remove], config_dir=RECORD) == [
        "ecs.ec2.services.sample: remove.json removes it (null), but no layer before defines it "
        "(have: none); allowed: the name of a service to remove"
    ]


@pytest.mark.parametrize("given", [[], "web", 3])
def test_services_that_are_not_a_map_are_refused_with_the_shape(given: Any) -> None:
    layer = Layer("x.json", {"ecs": {"fargate": {"services": given}}})
    (problem,) = _problems(layers=[layer])
    assert problem.startswith("ecs.fargate.services: x.json gives ")
    assert "services are a map by name, e.g. " in problem


def test_the_model_refuses_a_list_and_a_name_field_itself() -> None:
    """What a layer cannot give, the model refuses too (a ClusterConfig built directly)."""
    strategy = {"default_strategy": [{"capacity_provider": "FARGATE", "weight": 1}]}
    with pytest.raises(ValidationError, match="services are a map by name, not a list"):
        FargateClusterConfig.model_validate({**strategy, "services": []})
    with pytest.raises(ValidationError, match="a service's name is its key"):
        FargateClusterConfig.model_validate(
            {**strategy, "services": {"web": {**_svc(1, "web"), "name": "web"}}}
        )
    cluster = FargateClusterConfig.model_validate(
        {**strategy, "services": {"web": _svc(2, "web"), "api": _svc(1, "api")}}
    )
    assert [(key, s.name) for key, s in cluster.services.items()] == [
        ("api", "api"),
        ("web", "web"),
    ]


SERVICE_NAMES = st.lists(
    st.sampled_from(["s1", "s2", "s3", "s4", "s5", "s6"]), unique=True, max_size=3
)


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(record=SERVICE_NAMES, first=SERVICE_NAMES, second=SERVICE_NAMES)
def test_layers_without_null_never_drop_a_service(
    record: list[str], first: list[str], second: list[str]
) -> None:
    """Whatever the layers add or change, the services are the union of their names: only null
    removes one."""
    priorities = {f"s{index}": index for index in range(1, 7)}

    def layer(source: str, names: list[str]) -> Layer:
        services = {name: _svc(priorities[name], name) for name in names}
        return Layer(source, {"ecs": {"fargate": {"services": services}}})

    environments = {"sandbox": deep_merge(ENVIRONMENTS["sandbox"], layer("x", record).values)}
    config = load_config(
        "sandbox",
        overrides=[layer("a.json", first), layer("b.json", second)],
        environments=environments,
    )
    assert set(config.ecs.fargate.services) == {*record, *first, *second}
