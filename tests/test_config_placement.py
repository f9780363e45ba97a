"""Placement (platform_config/ecs_placement.py `place`, the one placement function): a service's
stack is its own `stack` (default 1) and its ALB the block of its route priority in its group;
both depend on nothing but the service. What a deploy of each change does to the templates is
tests/test_day_two_ecs.py; the synthesized proofs at 50-251 services are tests/test_ecs_scale.py
and tests/test_ecs_alb_scale.py."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_config import ENVIRONMENTS, ConfigError, load_config
from platform_config.ecs import FargateClusterConfig
from platform_config.ecs_placement import AlbKey, Placement, priority_block
from platform_config.environments import SAMPLE_IMAGE
from tests.helpers.apps import RECORD

CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-1111-2222-3333-444455556666"


@pytest.mark.parametrize(
    ("priority", "block_size", "block"),
    [(1, 10, 1), (10, 10, 1), (11, 10, 2), (51, 10, 6), (100, 100, 1), (101, 100, 2), (7, 1, 7)],
)
def test_priority_block(priority: int, block_size: int, block: int) -> None:
    assert priority_block(priority, block_size) == block


def _service(name: str, priority: int, stack: int | None, group: str | None) -> dict[str, Any]:
    service: dict[str, Any] = {
        "name": name,
        "image": dict(SAMPLE_IMAGE),
        "route": {"priority": priority, "paths": [f"/{name}/*"]},
    }
    if stack is not None:
        service["stack"] = stack
    if group is not None:
        service["load_balancer"] = group
    return service


def _section(services: list[dict[str, Any]], **changes: Any) -> FargateClusterConfig:
    """The sandbox's Fargate cluster (no config of record) with `services`, given in this order
    (the map keeps it; the config sorts by name)."""
    by_name = {s["name"]: {k: v for k, v in s.items() if k != "name"} for s in services}
    part = {"services": by_name, "load_balancers": {"internal": {"internal": True}}, **changes}
    return load_config("sandbox", overrides={"ecs": {"fargate": part}}).ecs.fargate


def _error(services: list[dict[str, Any]], **changes: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        _section(services, **changes)
    return str(caught.value)


def _placed(section: FargateClusterConfig) -> dict[str, Placement]:
    return {service.name: section.placement(service) for service in section.services.values()}


PER_STACK = 4
PER_ALB = 7


@st.composite
def clusters(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Up to 12 services with unique priorities; each beyond the first PER_STACK priorities
    names its stack (the config asks for it), the others sometimes; stacks fill to PER_STACK."""
    priorities = draw(st.lists(st.integers(1, 60), min_size=1, max_size=12, unique=True))
    room = dict.fromkeys(range(1, 5), PER_STACK)
    services = []
    for number, priority in enumerate(priorities):
        unpinned_ok = priority <= PER_STACK and room[1] > 0
        pinned = not unpinned_ok or draw(st.booleans())
        stack = draw(st.sampled_from([n for n, free in room.items() if free])) if pinned else 1
        room[stack] -= 1
        group = draw(st.sampled_from([None, "internal"]))
        services.append(_service(f"svc-{number}", priority, stack if pinned else None, group))
    return services


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(services=clusters(), seed=st.randoms(use_true_random=False), data=st.data())
def test_placement_depends_on_nothing_but_the_service(
    services: list[dict[str, Any]], seed: Any, data: st.DataObject
) -> None:
    """Reordering, removing, renaming another service, or changing one service's priority to a
    free one: no other service moves, and that service keeps its stack."""
    section = _section(services, services_per_stack=PER_STACK, services_per_load_balancer=PER_ALB)
    placed = _placed(section)
    for service in section.services.values():
        group = service.load_balancer or "default"
        block = priority_block(service.route.priority, PER_ALB)
        assert placed[service.name] == Placement(service.stack or 1, AlbKey(group, block))

    shuffled = list(services)
    seed.shuffle(shuffled)
    assert (
        _placed(
            _section(shuffled, services_per_stack=PER_STACK, services_per_load_balancer=PER_ALB)
        )
        == placed
    )

    index = data.draw(st.integers(0, len(services) - 1))
    name = services[index]["name"]
    others = [s for s in services if s["name"] != name]
    if others:
        fewer = _placed(
            _section(others, services_per_stack=PER_STACK, services_per_load_balancer=PER_ALB)
        )
        assert fewer == {k: v for k, v in placed.items() if k != name}
    renamed = copy.deepcopy(services)
    renamed[index]["name"] = "renamed"
    after = _placed(
        _section(renamed, services_per_stack=PER_STACK, services_per_load_balancer=PER_ALB)
    )
    assert after.pop("renamed") == placed[name]
    assert after == {k: v for k, v in placed.items() if k != name}

    used = {s["route"]["priority"] for s in services}
    free = [p for p in range(1, 61) if p not in used]
    moved = copy.deepcopy(services)
    if "stack" not in moved[index]:
        free = [p for p in free if p <= PER_STACK]  # an unpinned service stays in the first block
    if free:
        moved[index]["route"]["priority"] = data.draw(st.sampled_from(free))
        after = _placed(
            _section(moved, services_per_stack=PER_STACK, services_per_load_balancer=PER_ALB)
        )
        assert after.pop(name).stack == placed[name].stack
        assert after == {k: v for k, v in placed.items() if k != name}

    stacks = section.assign_service_stacks()
    assert list(stacks) == sorted(stacks)
    assert all(len(group) <= PER_STACK for group in stacks.values())
    assert sorted(s.name for group in stacks.values() for s in group) == sorted(placed)


def test_a_priority_beyond_the_first_stack_names_its_stack() -> None:
    message = _error([_service("api", 1, None, None), _service("web", 15, None, None)])
    assert (
        "ecs.fargate.services.web.stack: service 'web' has route priority 15, beyond the first "
        "services_per_stack (10), and no stack; give it one. The stack no longer follows the "
        "priority: an environment deployed before has this service in services-2 (stack: 2)"
    ) in message
    assert _placed(_section([_service("web", 15, 2, None)]))["web"].stack == 2
    assert _placed(_section([_service("web", 15, 1, None)]))["web"].stack == 1
    assert _placed(_section([_service("web", 10, None, None)]))["web"].stack == 1


def test_no_stack_over_capacity() -> None:
    message = _error([_service(f"svc-{n}", n, 3, None) for n in range(1, 4)], services_per_stack=2)
    assert (
        "ecs.fargate: services-3 would hold 3 services ('svc-1', 'svc-2', 'svc-3'); "
        "services_per_stack is 2"
    ) in message
    assert "allowed: give some of them another stack (stack: N" in message
    fits = _section(
        [
            _service("svc-1", 1, 3, None),
            _service("svc-2", 2, 3, None),
            _service("svc-3", 3, 1, None),
        ],
        services_per_stack=2,
    )
    assert {n: len(s) for n, s in fits.assign_service_stacks().items()} == {1: 1, 3: 2}


def test_only_web_services_take_a_stack() -> None:
    """A backend, worker or job has a stack of its own (`workload_stacks`): it neither names a
    services-N stack nor counts against one's capacity, and `stack` is refused for it."""
    worker = {"name": "jobs", "kind": "worker", "image": dict(SAMPLE_IMAGE)}
    backend = {"name": "orders", "kind": "backend", "image": dict(SAMPLE_IMAGE)}
    web = [_service("svc-1", 1, None, None), _service("svc-2", 2, None, None)]
    section = _section(
        [*web, worker, backend], services_per_stack=2, legacy_listener_rules={"1": "sample"}
    )
    stacks = section.assign_service_stacks()
    assert {n: [s.name for s in group] for n, group in stacks.items()} == {1: ["svc-1", "svc-2"]}
    assert sorted(s.name for s in section.workload_stacks()) == ["jobs", "orders"]
    message = _error([*web, {**worker, "stack": 2}])
    assert (
        "ecs.fargate.services.jobs.stack: a worker service does not take it; allowed for kind web"
    ) in message


@pytest.mark.parametrize("stack", [0, 2001])
def test_stack_numbers(stack: int) -> None:
    message = _error([_service("api", 1, stack, None)])
    assert "ecs.fargate.services.api.stack" in message


def test_kept_rules_are_service_names_each_kept_once() -> None:
    services = [_service("orders", 1, None, None), _service("api", 2, None, None)]
    section = _section(services, legacy_listener_rules={"1": "sample", "2": "api", "7": "gone"})
    assert section.legacy_listener_rules == {1: "sample", 2: "api", 7: "gone"}
    message = _error(services, legacy_listener_rules={"1": "sample", "2": "sample"})
    assert (
        "ecs.fargate.legacy_listener_rules.2: 'sample' is already kept at priority 1; each "
        "rule can be kept once"
    ) in message
    # Names that make the same construct id (Service + capitalized parts) are the same name.
    message = _error(services, legacy_listener_rules={"1": "a-b", "2": "a--b"})
    assert "legacy_listener_rules.2: 'a--b' is already kept at priority 1" in message
    message = _error(services, legacy_listener_rules={"1": "Sample"})
    assert "legacy_listener_rules.1: 'Sample' is not a service name" in message
    message = _error(services, legacy_listener_rules={"50001": "sample"})
    assert "legacy_listener_rules.50001: not a route priority; allowed: 1-50000" in message


def test_shipped_clusters_keep_the_samples_rule_whatever_service_takes_priority_1() -> None:
    for name in ENVIRONMENTS:
        config = load_config(name, config_dir=RECORD)
        for section in (config.ecs.ec2, config.ecs.fargate):
            assert section.legacy_listener_rules == {1: "sample"}
            assert list(section.assign_service_stacks()) == [1]
    # Another service at priority 1 (here without the record): the kept rule stays.
    assert _section([_service("web", 1, None, None)]).legacy_listener_rules == {1: "sample"}


def test_http_redirect_off_needs_a_certificate() -> None:
    message = _error([_service("api", 1, None, None)], load_balancer={"http_redirect": False})
    assert (
        "ecs.fargate.load_balancer.http_redirect: false redirects nothing without certificate_arn"
    ) in message
    section = _section(
        [_service("api", 1, None, None)],
        load_balancer={"certificate_arn": CERTIFICATE, "http_redirect": False},
    )
    assert not section.load_balancer.http_redirect


@pytest.mark.parametrize(
    ("group", "field"),
    [
        ({"load_balancer": {"certificate_arn": "{other}"}}, "load_balancer.certificate_arn"),
        (
            {
                "load_balancer": {
                    "certificate_arn": CERTIFICATE,
                    "additional_certificate_arns": [CERTIFICATE[:-1] + "7", "{other}"],
                }
            },
            "load_balancer.additional_certificate_arns[1]",
        ),
        (
            {"load_balancers": {"internal": {"internal": True, "certificate_arn": "{other}"}}},
            "load_balancers.internal.certificate_arn",
        ),
    ],
)
def test_a_certificate_of_another_region_is_refused(group: dict[str, Any], field: str) -> None:
    """An ALB's listener takes ACM certificates of its own region only; the field named is the
    one that holds the other region's certificate, on either cluster, in any group."""
    other = CERTIFICATE.replace("us-east-1", "eu-west-1")
    for kind in ("fargate", "ec2"):
        raw = json_replace(group, "{other}", other)
        with pytest.raises(ConfigError) as error:
            load_config("sandbox", overrides={"ecs": {kind: raw}}, config_dir=RECORD)
        assert (
            f"ecs.{kind}.{field}: the certificate is in eu-west-1; allowed: a certificate in the "
            "environment's region us-east-1 (an ALB takes certificates of its own region only)"
        ) in str(error.value)
        same = json_replace(group, "{other}", CERTIFICATE[:-1] + "9")
        load_config("sandbox", overrides={"ecs": {kind: same}}, config_dir=RECORD)


def json_replace(value: Any, old: str, new: str) -> Any:
    """`value` with every string `old` in it replaced by `new`."""
    if isinstance(value, dict):
        return {key: json_replace(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [json_replace(item, old, new) for item in value]
    return new if value == old else value
