"""Scale proof past one ALB: 250 Fargate services synthesize with every ALB within its quotas
(target groups, listener rules, counted in the templates) and every stack within CloudFormation's
limits; adding service 251 moves no service to another ALB or stack and changes no existing
stack's resources. Two full in-process synths (~1 min each): marked `scale`, run by
`make test-scale` (and .ci/run), deselected from other runs (tests/conftest.py).

Layout: the default group is HTTPS (rules go on the HTTPS listener; HTTP only redirects);
priorities 96-100 are on an internal HTTP-only group, so the run has ALBs default-1 (1-95),
internal-1 (96-100), default-2 (101-200) and default-3 (201-250, then 251)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from container_constructs.rules.limits import quota_problems
from platform_config import ENVIRONMENTS
from platform_config.alb_quotas import RULES_PER_ALB, TARGET_GROUPS_PER_ALB
from platform_config.ecs_placement import priority_block
from platform_config.environments import SAMPLE_IMAGE
from stacks import names
from tests.helpers.apps import synth_environment

pytestmark = pytest.mark.scale

CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-1111-2222-3333-444455556666"
CLUSTER = names.stack_id("sandbox", names.ecs_cluster_unit("fargate"))
# The ALBs of the run by (group, number), and the construct id their logical ids start with.
ALB_IDS = {
    key: names.load_balancer_construct_id(key)
    for key in (names.FIRST_LOAD_BALANCER, ("internal", 1), ("default", 2), ("default", 3))
}
INTERNAL = range(96, 101)
ALB = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"


def _service(number: int) -> dict[str, Any]:
    """Service `number`, at that priority, in stack N of its block of 10."""
    service: dict[str, Any] = {
        "image": dict(SAMPLE_IMAGE),
        "route": {"priority": number, "paths": [f"/svc-{number}/*"]},
        "stack": priority_block(number, 10),
    }
    if number in INTERNAL:
        service["load_balancer"] = "internal"
    return service


def _overrides(count: int) -> dict[str, Any]:
    fargate = dict(ENVIRONMENTS["sandbox"]["ecs"]["fargate"])
    fargate["services"] = {f"svc-{n}": _service(n) for n in range(1, count + 1)}
    fargate["load_balancer"] = {"certificate_arn": CERTIFICATE}
    fargate["load_balancers"] = {"internal": {"internal": True}}
    return {"ecs": {"fargate": fargate}}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("alb-scale")
    return {
        count: synth_environment("sandbox", root / str(count), _overrides(count), None)
        for count in (250, 251)
    }


def _templates(outdir: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in sorted(outdir.glob(f"{names.stack_prefix('sandbox')}*.template.json"))
    }


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template.get("Resources", {}).items() if v["Type"] == kind}


def _services_stack(number: int) -> str:
    return names.stack_id("sandbox", names.ecs_services_unit("fargate", number))


def _alb_key(logical_id: str) -> tuple[str, int]:
    """The ALB whose construct id `logical_id` starts with (the longest that fits)."""
    fits = [key for key, prefix in ALB_IDS.items() if logical_id.startswith(prefix)]
    return max(fits, key=lambda key: len(ALB_IDS[key]))


def _service_number(logical_id: str) -> int:
    # Services svc-N: construct ids ServiceSvcN (stacks.names.service_construct_id).
    prefix = names.service_construct_id("svc")
    match = re.match(rf"{re.escape(prefix)}(\d+)(?!\d)", logical_id)
    assert match, logical_id
    return int(match.group(1))


class Layout:
    """ALBs, listeners and, per service, its stack, ALB, rules and target groups."""

    def __init__(self, outdir: Path) -> None:
        templates = _templates(outdir)
        cluster = templates[CLUSTER]
        self.albs = _of_type(cluster, ALB)
        exports = {
            output["Export"]["Name"]: output["Value"]
            for output in cluster["Outputs"].values()
            if "Export" in output
        }
        listeners = _of_type(cluster, LISTENER)
        self.listener_alb = {
            name: listener["Properties"]["LoadBalancerArn"]["Ref"]
            for name, listener in listeners.items()
        }
        self.listener_of_alb = {alb: [] for alb in self.albs}  # type: dict[str, list[str]]
        for name, alb in self.listener_alb.items():
            self.listener_of_alb[alb].append(name)
        self.stack: dict[int, str] = {}
        self.alb: dict[int, str] = {}
        self.rules: Counter[str] = Counter()  # by listener
        self.target_groups: Counter[str] = Counter()  # by ALB
        for stack, template in templates.items():
            if stack == CLUSTER or not stack.startswith(CLUSTER):
                continue  # not one of the cluster's service stacks
            groups = _of_type(template, TARGET_GROUP)
            for logical_id, rule in _of_type(template, RULE).items():
                forwarded = {
                    action["TargetGroupArn"]["Ref"] for action in rule["Properties"]["Actions"]
                }
                assert forwarded <= set(groups), logical_id
                # Rules are named after their priority; the service is the one forwarded to.
                (number,) = {_service_number(group) for group in forwarded}
                assert rule["Properties"]["Priority"] == number, logical_id
                listener = exports[rule["Properties"]["ListenerArn"]["Fn::ImportValue"]]["Ref"]
                self.rules[listener] += 1
                self.stack[number] = stack
                self.alb[number] = self.listener_alb[listener]
                self.target_groups[self.alb[number]] += len(forwarded)
        self.templates = templates
        self.outdir = outdir


@pytest.fixture(scope="module")
def layouts(synthesized: dict[int, Path]) -> dict[int, Layout]:
    return {count: Layout(outdir) for count, outdir in synthesized.items()}


def test_every_stack_within_cloudformation_limits(synthesized: dict[int, Path]) -> None:
    """Under 500 resources, at most 200 outputs and parameters, template under 1 MB."""
    problems = [
        f"{path.name}: {problem}"
        for outdir in synthesized.values()
        for path in outdir.glob("*.template.json")
        for problem in quota_problems(json.loads(path.read_text()), path.stat().st_size)
    ]
    assert not problems


def test_every_alb_within_its_target_group_and_rule_quotas(layouts: dict[int, Layout]) -> None:
    for layout in layouts.values():
        for alb, listeners in layout.listener_of_alb.items():
            rules = sum(layout.rules[listener] for listener in listeners)
            assert rules <= RULES_PER_ALB.limit, (alb, rules)
            assert layout.target_groups[alb] <= TARGET_GROUPS_PER_ALB.limit, alb


def test_250_services_on_four_albs_by_group_and_priority_block(layouts: dict[int, Layout]) -> None:
    layout = layouts[250]
    assert len(layout.stack) == 250
    by_alb: dict[str, list[int]] = {}
    for number, alb in sorted(layout.alb.items()):
        by_alb.setdefault(alb, []).append(number)
    blocks = sorted((numbers[0], numbers[-1], len(numbers)) for numbers in by_alb.values())
    assert blocks == [(1, 95, 95), (96, 100, 5), (101, 200, 100), (201, 250, 50)]
    assert len(layout.albs) == 4
    internal = {alb for alb in layout.albs if _alb_key(alb) == ("internal", 1)}
    assert {layout.alb[n] for n in INTERNAL} == internal
    for alb, resource in layout.albs.items():
        scheme = "internal" if alb in internal else "internet-facing"
        assert resource["Properties"]["Scheme"] == scheme, alb
    # The default group's first ALB keeps the single ALB's construct ids.
    assert _alb_key(layout.alb[1]) == names.FIRST_LOAD_BALANCER
    assert _alb_key(layout.alb[101]) == ("default", 2)
    assert _alb_key(layout.alb[250]) == ("default", 3)


def test_https_rules_only_on_the_https_listeners(layouts: dict[int, Layout]) -> None:
    layout = layouts[250]
    cluster = layout.templates[CLUSTER]
    listeners = _of_type(cluster, LISTENER)
    for listener, count in layout.rules.items():
        alb = layout.listener_alb[listener]
        expected = "HTTP" if _alb_key(alb) == ("internal", 1) else "HTTPS"
        assert listeners[listener]["Properties"]["Protocol"] == expected, (listener, count)


def test_every_alb_dns_name_is_an_output(layouts: dict[int, Layout]) -> None:
    outputs = layouts[250].templates[CLUSTER]["Outputs"]
    dns = {
        json.dumps(output["Value"])
        for name, output in outputs.items()
        if name.startswith(names.load_balancer_dns_output(names.FIRST_LOAD_BALANCER))
    }
    assert len(dns) == 4
    for alb in layouts[250].albs:
        assert json.dumps({"Fn::GetAtt": [alb, "DNSName"]}) in dns


def test_service_251_moves_nothing(layouts: dict[int, Layout]) -> None:
    before, after = layouts[250], layouts[251]
    assert {n: after.stack[n] for n in before.stack} == before.stack
    assert {n: after.alb[n] for n in before.alb} == before.alb
    assert after.alb[251] == after.alb[250]
    assert after.stack[251] == _services_stack(26)


def test_service_251_changes_no_logical_id_or_resource(layouts: dict[int, Layout]) -> None:
    """No resource of the 250-service app changes but the cluster's dashboard, which lists its
    services (D27) and is updated in place."""
    before, after = layouts[250].templates, layouts[251].templates
    assert set(after) - set(before) == {_services_stack(26)}

    def _without_dashboard(resources: dict[str, Any]) -> dict[str, Any]:
        return {k: r for k, r in resources.items() if r["Type"] != "AWS::CloudWatch::Dashboard"}

    for name, template in before.items():
        assert set(after[name]["Resources"]) == set(template["Resources"]), name
        assert _without_dashboard(after[name]["Resources"]) == _without_dashboard(
            template["Resources"]
        ), name
        assert after[name].get("Outputs") == template.get("Outputs"), name


def test_nag_and_preflight_clean_at_scale(synthesized: dict[int, Path]) -> None:
    report_file = synthesized[251] / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    violations = [v for r in report.get("pluginReports", []) for v in r.get("violations", [])]
    assert not violations, [v["ruleName"] for v in violations]
