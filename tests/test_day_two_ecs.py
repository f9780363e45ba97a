"""Day-two ECS changes as CloudFormation applies them: each (before, after) config pair of the
sandbox is synthesized, and the pair's templates are read the way CloudFormation updates them
(issue 25; NOTES "Day-two facts"):

- an export another stack imports may not be removed or changed, and the CDK deploys the producer
  first, so every export imported before keeps its name and value;
- a resource another stack references keeps its logical id and is not replaced (no create-only
  property of its resource schema changes: cfn-lint's copy of the CloudFormation registry);
- inside a stack a new logical id is created before the old one is deleted, at the end of the
  update, and stacks without a dependency between them deploy in any order: a listener-rule
  priority on a listener, or a listener port on a load balancer, taken by another resource than
  held it before clashes (PriorityInUse, DuplicateListener), unless the new holder is made after
  the old one moved off it (DependsOn) in the same update.

HTTPS on and off keeps the listener the services import (its port and protocol change in place;
HTTPS off in two stages, the redirect listener deleted first);
a service's stack, rule and target group follow its own `stack`, priority and ALB only. Whole
platforms: marked `integration`. `make plan`'s rules (tools/plan) judge the same pairs with the
CDK's diff engine; these tests hold the templates to what makes those plans clean.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from container_constructs import defaults
from platform_config.environments import SAMPLE_IMAGE
from stacks import names
from tests.helpers.apps import synth_environment
from tools.plan.model import StackTemplate
from tools.plan.stages import without

pytestmark = pytest.mark.integration

CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-1111-2222-3333-444455556666"
State = dict[str, dict[str, Any]]  # stack name -> template
CLUSTER = names.stack_id("sandbox", names.ecs_cluster_unit("fargate"))


def services_stack(number: int) -> str:
    return names.stack_id("sandbox", names.ecs_services_unit("fargate", number))


# --- reading a pair of states as CloudFormation updates them -------------------------------------


@cache
def create_only(resource_type: str) -> frozenset[str]:
    """The create-only properties of `resource_type` (cfn-lint's registry schemas)."""
    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    if resource_type not in index:
        return frozenset()
    schema = json.loads((schemas / "resources" / f"{index[resource_type]}.json").read_text())
    return frozenset(p.removeprefix("/properties/") for p in schema.get("createOnlyProperties", []))


def exports(state: State) -> dict[str, tuple[str, Any]]:
    """Export name -> (producer stack, value)."""
    return {
        output["Export"]["Name"]: (stack, output["Value"])
        for stack, template in state.items()
        for output in template.get("Outputs", {}).values()
        if "Export" in output
    }


def _walk(value: Any, key: str) -> Iterator[Any]:
    if isinstance(value, dict):
        if key in value:
            yield value[key]
        for item in value.values():
            yield from _walk(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)


def imported(state: State) -> dict[str, set[str]]:
    """Export name -> the stacks that import it."""
    found: dict[str, set[str]] = {}
    for stack, template in state.items():
        for name in _walk(template, "Fn::ImportValue"):
            found.setdefault(name, set()).add(stack)
    return found


def referenced_ids(value: Any) -> set[str]:
    ids = {ref for ref in _walk(value, "Ref") if isinstance(ref, str) and "::" not in ref}
    ids |= {att[0] for att in _walk(value, "Fn::GetAtt") if isinstance(att, list)}
    return ids


def replaced(before: State, after: State, stack: str, logical_id: str) -> bool:
    """Whether the update removes, retypes or replaces the resource (a create-only property
    changes)."""
    old = before[stack]["Resources"][logical_id]
    new = after.get(stack, {}).get("Resources", {}).get(logical_id)
    if new is None or new["Type"] != old["Type"]:
        return True
    old_properties, new_properties = old.get("Properties", {}), new.get("Properties", {})
    return any(
        old_properties.get(name) != new_properties.get(name) for name in create_only(old["Type"])
    )


def export_problems(before: State, after: State) -> list[str]:
    """Exports imported before that the update removes or changes, and resources referenced
    across stacks that it replaces."""
    problems = []
    old, new = exports(before), exports(after)
    for name in imported(before):
        if name not in old:
            continue
        stack, value = old[name]
        if name not in new:
            problems.append(f"export {name} removed while imported")
        elif new[name][1] != value:
            problems.append(f"export {name} changed while imported")
        problems.extend(
            f"{stack}/{logical_id} (exported as {name}) replaced"
            for logical_id in sorted(referenced_ids(value))
            if replaced(before, after, stack, logical_id)
        )
    return problems


def _canonical(value: Any, stack: str, state: State) -> str:
    """A listener or load balancer as the resource it names: an import resolved to its producer's
    `Ref`, a `Ref` to its stack."""
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        stack, value = exports(state)[value["Fn::ImportValue"]]
    return f"{stack}:{json.dumps(value, sort_keys=True)}"


def unique_keys(
    state: State, resource_type: str, properties: tuple[str, str]
) -> dict[tuple[str, Any], tuple[str, str]]:
    """(canonical owner, key) -> (stack, logical id) of every resource of `resource_type`."""
    owner_property, key_property = properties
    held: dict[tuple[str, Any], tuple[str, str]] = {}
    for stack, template in state.items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != resource_type:
                continue
            props = resource["Properties"]
            owner = _canonical(props[owner_property], stack, state)
            held[(owner, props[key_property])] = (stack, logical_id)
    return held


def depends_on(template: dict[str, Any], logical_id: str, other: str) -> bool:
    """Whether `logical_id` depends on `other` (DependsOn or a reference), transitively."""
    seen, stack = set(), [logical_id]
    while stack:
        current = stack.pop()
        resource = template["Resources"].get(current, {})
        direct = resource.get("DependsOn", [])
        direct = [direct] if isinstance(direct, str) else direct
        for nxt in set(direct) | referenced_ids(resource.get("Properties", {})):
            if nxt == other:
                return True
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


KEYS = {
    "priority": ("AWS::ElasticLoadBalancingV2::ListenerRule", ("ListenerArn", "Priority")),
    "port": ("AWS::ElasticLoadBalancingV2::Listener", ("LoadBalancerArn", "Port")),
}


def clashes(before: State, after: State, kind: str) -> list[str]:
    """Keys (a rule's priority on its listener, a listener's port) that a resource takes while
    another holds it: the new holder differs, and it is not made after the old one moved off
    the key within one update (the old one kept, updated off it, and depended on)."""
    resource_type, properties = KEYS[kind]
    old = unique_keys(before, resource_type, properties)
    new = unique_keys(after, resource_type, properties)
    found = []
    for key, holder in new.items():
        previous = old.get(key)
        if previous is None or previous == holder:
            continue
        (stack, logical_id), (old_stack, old_id) = holder, previous
        moved_off_first = (
            stack == old_stack
            and old_id in after[stack]["Resources"]
            and depends_on(after[stack], logical_id, old_id)
        )
        if not moved_off_first:
            found.append(
                f"{kind} {key[1]}: {stack}/{logical_id} takes it from {old_stack}/{old_id}"
            )
    return found


def resources_of(state: State, stack: str, service: str) -> dict[str, Any]:
    """Every resource of `service`'s construct in `stack` (its logical ids start with it)."""
    prefix = names.service_construct_id(service)
    return {k: v for k, v in state[stack]["Resources"].items() if k.startswith(prefix)}


def rules(state: State, stack: str) -> dict[int, tuple[str, Any]]:
    """Priority -> (logical id, forward target) of the listener rules of `stack`."""
    return {
        r["Properties"]["Priority"]: (k, r["Properties"]["Actions"][0]["TargetGroupArn"])
        for k, r in state[stack]["Resources"].items()
        if r["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"
    }


# --- the configs ---------------------------------------------------------------------------------


def service(name: str, priority: int, path: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "image": dict(SAMPLE_IMAGE),
        "route": {"priority": priority, "paths": [path]},
        **extra,
    }


def fargate(*services: dict[str, Any], **section: Any) -> dict[str, Any]:
    """Overrides of the sandbox's Fargate cluster with exactly `services` (no config of record)."""
    by_name = {s["name"]: {k: v for k, v in s.items() if k != "name"} for s in services}
    part = {"services": by_name, "load_balancers": {"internal": {"internal": True}}, **section}
    return {"ecs": {"fargate": part}}


# Priorities 3 and 4: the shipped clusters keep the sample's pre-priority-keyed rule id at
# priority 1 (legacy_listener_rules); these rules are keyed by their priority.
API, ADMIN = service("api", 3, "/api/*"), service("admin", 4, "/admin/*")
BATCH = service("batch", 11, "/batch/*", stack=2)
SAMPLE = service("sample", 50, "/*", stack=2)
HTTPS = {"certificate_arn": CERTIFICATE}

CONFIGS: dict[str, dict[str, Any]] = {
    "base": fargate(API, ADMIN, BATCH, SAMPLE),
    # api renamed at its priority; batch to a free priority; a service opening stack 3; admin gone
    "everyday": fargate(
        service("orders", 3, "/api/*"),
        service("batch", 13, "/batch/*", stack=2),
        service("reports", 20, "/reports/*", stack=3),
        SAMPLE,
    ),
    # api and admin swap priorities; batch to the internal group (a new ALB)
    "swap-and-group": fargate(
        service("api", 4, "/api/*"),
        service("admin", 3, "/admin/*"),
        service("batch", 11, "/batch/*", stack=2, load_balancer="internal"),
        SAMPLE,
    ),
    # api moved to stack 2 at the same priority: a second rule at 3 before the first is gone
    "other-stack": fargate(service("api", 3, "/api/*", stack=2), ADMIN, BATCH, SAMPLE),
    "https": fargate(API, ADMIN, BATCH, SAMPLE, load_balancer=HTTPS),
    "https-no-redirect": fargate(
        API, ADMIN, BATCH, SAMPLE, load_balancer={**HTTPS, "http_redirect": False}
    ),
}


# The Fargate cluster's stack; its service stacks' names start with it.
FARGATE_CLUSTER_STACK = names.stack_id("sandbox", names.ecs_cluster_unit("fargate"))


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict[str, State]:
    root = tmp_path_factory.mktemp("day-two")
    found = {}
    for name, overrides in CONFIGS.items():
        outdir = synth_environment("sandbox", root / name, overrides, config_dir=None)
        found[name] = {
            path.name.removesuffix(".template.json"): json.loads(path.read_text())
            for path in outdir.glob(f"{FARGATE_CLUSTER_STACK}*.template.json")
        }
    return found


def check_clean(before: State, after: State) -> None:
    assert export_problems(before, after) == []
    assert clashes(before, after, "priority") == []
    assert clashes(before, after, "port") == []


# --- HTTPS on and off ----------------------------------------------------------------------------


INTERNAL_ALB = names.load_balancer_construct_id(("internal", 1))
TEST_PORTS = (defaults.TEST_LISTENER_PORT_HTTP, defaults.TEST_LISTENER_PORT_HTTPS)


def _listeners(state: State) -> dict[str, tuple[int, str]]:
    """The default group's ALB's listeners but its test listener (the blue/green family's, on a
    port of its own): logical id -> (port, protocol)."""
    return {
        k: (v["Properties"]["Port"], v["Properties"]["Protocol"])
        for k, v in state[CLUSTER]["Resources"].items()
        if v["Type"] == "AWS::ElasticLoadBalancingV2::Listener"
        and not k.startswith(INTERNAL_ALB)
        and v["Properties"]["Port"] not in TEST_PORTS
    }


def test_https_on_keeps_the_listener_services_import(states: dict[str, State]) -> None:
    base, on = states["base"], states["https"]
    check_clean(base, on)
    (serving,) = _listeners(base)
    assert _listeners(base) == {serving: (80, "HTTP")}
    redirect = next(k for k in _listeners(on) if k != serving)
    assert _listeners(on) == {serving: (443, "HTTPS"), redirect: (80, "HTTP")}
    assert on[CLUSTER]["Resources"][redirect]["DependsOn"] == [serving]
    # The services' rules are the same resources on the same import; only their URLs change.
    for number in (1, 2):
        assert rules(on, services_stack(number)) == rules(base, services_stack(number))


def test_https_off_without_the_redirect_listener_is_clean(states: dict[str, State]) -> None:
    check_clean(states["https-no-redirect"], states["base"])
    check_clean(states["https"], states["https-no-redirect"])
    check_clean(states["base"], states["https-no-redirect"])


def test_https_off_with_the_redirect_listener_takes_two_stages(states: dict[str, State]) -> None:
    """In one update the listener would move back to 80 while the redirect listener, deleted
    only at the end of the update, still holds it: DuplicateListener. `make plan`'s first stage
    (the deployed cluster stack without the redirect listener, tools/plan/stages.py) is clean,
    and so is the change after it."""
    on, off = states["https"], states["base"]
    assert export_problems(on, off) == []
    assert clashes(on, off, "priority") == []
    (clash,) = clashes(on, off, "port")
    assert clash.startswith(f"port 80: {CLUSTER}/SharedLoadBalancerHttp")
    (redirect,) = (k for k, port in _listeners(on).items() if port == (80, "HTTP"))
    cluster = StackTemplate(CLUSTER, on[CLUSTER])
    first = {**on, CLUSTER: dict(without(cluster, [redirect]).template)}
    assert set(on[CLUSTER]["Resources"]) - set(first[CLUSTER]["Resources"]) == {redirect}
    check_clean(on, first)
    check_clean(first, off)


# --- services: rename, priority, group, stack ----------------------------------------------------


def test_everyday_service_changes_are_clean_and_move_no_other_service(
    states: dict[str, State],
) -> None:
    base, after = states["base"], states["everyday"]
    check_clean(base, after)
    assert resources_of(after, services_stack(2), "sample") == resources_of(
        base, services_stack(2), "sample"
    )
    assert (
        resources_of(after, services_stack(2), "batch").keys()
        == resources_of(base, services_stack(2), "batch").keys()
    )
    assert set(after) - set(base) == {services_stack(3)}
    before_rules, after_rules = rules(base, services_stack(1)), rules(after, services_stack(1))
    # The renamed service's rule is the same resource, forwarding to the new target group.
    assert after_rules[3][0] == before_rules[3][0]
    assert after_rules[3][0].startswith("RoutesPriority3")
    assert "ServiceOrdersTargetGroup" in json.dumps(after_rules[3][1])
    assert 4 not in after_rules  # admin removed
    # batch moved to a free priority in its own stack: the rule of 11 goes, one of 13 comes.
    assert sorted(rules(after, services_stack(2))) == [13, 50]


def test_renamed_service_loses_its_log_group(states: dict[str, State]) -> None:
    """The service's resources are named after it: a rename makes a new log group and removes
    the old one (deleted in the sandbox; in production, DeletionPolicy Retain orphans it and
    `make plan` refuses: stateful-retained)."""
    base, after = states["base"], states["everyday"]

    def log_groups(state: State, name: str) -> list[str]:
        return [
            k
            for k, v in resources_of(state, services_stack(1), name).items()
            if v["Type"] == "AWS::Logs::LogGroup"
        ]

    assert log_groups(base, "api")
    assert not log_groups(after, "api")
    assert log_groups(after, "orders")


def test_a_priority_swap_in_one_stack_updates_two_rules_in_place(
    states: dict[str, State],
) -> None:
    base, after = states["base"], states["swap-and-group"]
    check_clean(base, after)
    before_rules, after_rules = rules(base, services_stack(1)), rules(after, services_stack(1))
    assert {p: k for p, (k, _) in after_rules.items()} == {
        p: k for p, (k, _) in before_rules.items()
    }
    assert after_rules[3][1] == before_rules[4][1]  # priority 3 now forwards to admin


def test_a_service_moving_to_another_alb_gets_a_new_target_group(
    states: dict[str, State],
) -> None:
    base, after = states["base"], states["swap-and-group"]
    old = {
        k
        for k, v in resources_of(base, services_stack(2), "batch").items()
        if v["Type"].endswith("TargetGroup")
    }
    new = {
        k
        for k, v in resources_of(after, services_stack(2), "batch").items()
        if v["Type"].endswith("TargetGroup")
    }
    assert old
    assert new
    assert not old & new  # a target group serves one load balancer
    assert all(k.startswith("ServiceBatchTargetGroupInternalAlb1") for k in new)
    routes = names.routes_construct_id(("internal", 1))
    assert any(k.startswith(routes) for k, _ in rules(after, services_stack(2)).values())


def test_moving_a_service_to_another_stack_at_its_priority_clashes(
    states: dict[str, State],
) -> None:
    """The new stack's rule at the same priority may be created before the old stack's is gone:
    `make plan` refuses it (unique-key) and gives the sequence (a free priority first)."""
    base, after = states["base"], states["other-stack"]
    assert export_problems(base, after) == []
    (clash,) = clashes(base, after, "priority")
    assert clash.startswith(f"priority 3: {services_stack(2)}/RoutesPriority3")
