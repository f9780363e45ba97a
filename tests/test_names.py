"""stacks/names.py, the one definition of every name stacks, tools and tests share, and the
tools/ layout: each tool loads without aws-cdk-lib, and each `python -m tools...` command the
Makefile, the README, the docs or a tool's own usage text gives is a module that runs as one."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from platform_config.ecs_cluster import SERVICE_ID_SUFFIXES, check_construct_ids
from stacks import names
from tests.helpers.commands import loaded_packages
from tests.helpers.early import Outcome

ROOT = Path(__file__).resolve().parent.parent
# `python -m tools.x.y` (docs, usage texts) and `$(VENV)/bin/python -m tools.x.y` (Makefile).
COMMAND = re.compile(r"python -m (tools(?:\.\w+)+)")


def test_names_and_every_tool_load_without_aws_cdk_lib(outcome: Callable[[str], Outcome]) -> None:
    """Tools and tests read names without starting jsii (a fresh interpreter's imports,
    tests/helpers/commands.py)."""
    tools = outcome("names-and-tools-imports")
    assert tools.returncode == 0, tools.stderr
    assert loaded_packages(tools.stdout) == []
    constructs = outcome("names-and-constructs-imports")
    assert constructs.returncode == 0, constructs.stderr
    assert loaded_packages(constructs.stdout) == ["constructs", "jsii"]


def _documented_commands() -> dict[str, set[str]]:
    """Every `python -m tools...` module named by the Makefile, the README, docs/ or a tool's own
    text -> the files that name it."""
    sources = [ROOT / "Makefile", ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    sources += sorted((ROOT / "tools").rglob("*.py"))
    found: dict[str, set[str]] = {}
    for source in sources:
        for module in COMMAND.findall(source.read_text(encoding="utf-8")):
            found.setdefault(module, set()).add(str(source.relative_to(ROOT)))
    return found


def test_every_tools_command_given_anywhere_is_a_runnable_module() -> None:
    commands = _documented_commands()
    makefile = {m for m, files in commands.items() if "Makefile" in files}
    assert len(makefile) >= 10  # every tool target of the Makefile is found
    for module, files in sorted(commands.items()):
        spec = importlib.util.find_spec(module)
        assert spec is not None, (module, files)
        assert spec.origin is not None, (module, files)
        source = Path(spec.origin).read_text(encoding="utf-8")
        assert 'if __name__ == "__main__":' in source, (module, files)


def test_stack_names_are_project_environment_unit() -> None:
    assert names.stack_id("sandbox", names.NETWORK_UNIT) == "cp-sandbox-network"
    assert names.stack_id("prod", names.ecs_cluster_unit("ec2")) == "cp-prod-ecs-ec2"
    services = names.stack_id("sandbox", names.ecs_services_unit("fargate", 2))
    assert services == "cp-sandbox-ecs-fargate-services-2"
    assert services.startswith(names.stack_prefix("sandbox"))
    assert names.eks_cluster_name("sandbox") == "cp-sandbox"
    cluster_stack = names.stack_id("production", names.ecs_cluster_unit("fargate"))
    assert names.exec_log_group_name(cluster_stack) == "/aws/ecs/exec/cp-production-ecs-fargate"


def test_service_and_repository_names() -> None:
    assert names.service_construct_id("web-app") == "ServiceWebApp"
    assert names.service_url_output("web-app") == "ServiceWebAppUrl"
    assert names.service_url_output("a").endswith(names.SERVICE_URL_OUTPUT_SUFFIX)
    assert names.service_secret_construct_id("api", "DB_URL") == "ServiceApiSecret:DB_URL"
    assert names.repository_uri_output("sample-app") == "SampleAppRepositoryUri"
    assert names.repository_push_commands_output("team_api.v2") == "TeamApiV2PushCommands"


# Service names as the config allows them (ServiceConfig), and environment variable names.
SERVICE_NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,30}[a-z0-9]", fullmatch=True)
VARIABLES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)


def _stack_ids(services: dict[str, list[str]]) -> list[str]:
    """The construct ids services add to the scope of their services stack: the service's and
    its URL output's lower-cased (they make logical ids, which had better not differ in case
    only), its secrets' as they are (an imported secret makes no resource; variables A and a are
    two)."""
    ids = []
    for service, variables in services.items():
        ids += [
            names.service_construct_id(service).lower(),
            names.service_url_output(service).lower(),
        ]
        ids += [names.service_secret_construct_id(service, variable) for variable in variables]
    return ids


@given(
    st.dictionaries(
        # Few letters, short names: clashing pairs (ab-1c, ab1c; web, web-url) are drawn often.
        st.from_regex(r"[a-c][a-c1-]{0,3}[a-c1]|[a-c]{1,2}-?url", fullmatch=True),
        st.lists(VARIABLES | st.sampled_from(["X", "XSecretY", "Url", "url"]), max_size=3),
        min_size=1,
        max_size=6,
    )
)
def test_service_names_the_config_accepts_never_share_an_id(services: dict[str, list[str]]) -> None:
    """Over clusters of services and secret variables: the names the config's rule accepts
    (platform_config.ecs_cluster.check_construct_ids) give every construct id of a services stack
    once, case aside; the names it refuses share one."""
    services = {name: variables for name, variables in services.items() if "--" not in name}
    ids = _stack_ids({name: sorted(set(variables)) for name, variables in services.items()})
    try:
        check_construct_ids(list(services))
    except ValueError:
        pairs = [(a, b) for a in services for b in services if a < b]
        assert any(
            {names.service_construct_id(a).lower(), names.service_url_output(a).lower()}
            & {names.service_construct_id(b).lower(), names.service_url_output(b).lower()}
            for a, b in pairs
        ), services
    else:
        assert len(set(ids)) == len(ids), services


@pytest.mark.parametrize(
    ("first", "second"), [("ab-1c", "ab1c"), ("a-b", "ab"), ("web", "web-url"), ("w-e-b", "weburl")]
)
def test_names_that_would_share_an_id_are_refused(first: str, second: str) -> None:
    with pytest.raises(ValueError, match=f"{second}: "):
        check_construct_ids([first, second])
    check_construct_ids([first, f"{second}x"])


def test_the_configs_id_suffixes_are_the_ones_names_adds() -> None:
    assert (names.SERVICE_URL_OUTPUT_SUFFIX.lower(),) == SERVICE_ID_SUFFIXES
    assert names.service_url_output("x") == names.service_construct_id("x") + "Url"


# (group, number) of an ALB: group names as the config allows them, and the default group.
KEYS = st.tuples(
    st.one_of(st.just("default"), st.from_regex(r"[a-z][a-z0-9]{0,19}", fullmatch=True)),
    st.integers(min_value=1, max_value=99),
)


@given(st.lists(KEYS, unique=True, min_size=2, max_size=8))
def test_every_alb_has_its_own_ids(keys: list[tuple[str, int]]) -> None:
    """No two ALBs of a cluster share a construct id, an import id or an output key."""
    for name in (
        names.load_balancer_construct_id,
        names.load_balancer_import_construct_id,
        names.load_balancer_dns_output,
    ):
        ids = [name(key) for key in keys]
        assert len(set(ids)) == len(ids), (name.__name__, keys)
