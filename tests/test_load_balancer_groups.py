"""Load-balancer groups: which ALB holds a service (stable: group and priority block only), the ALB
quotas counted at config time, internal ALBs, and a small in-process synth with two groups.

The 250-service proof is tests/test_ecs_alb_scale.py (`make test-scale`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from platform_config import ENVIRONMENTS, ConfigError, alb_quotas, ecs_placement, load_config
from platform_config.alb_quotas import (
    AlbQuota,
    listener_rules_per_service,
    max_services_per_load_balancer,
)
from platform_config.ecs_placement import AlbKey, priority_block
from platform_config.environments import SAMPLE_IMAGE
from stacks import names
from stacks.names import FIRST_LOAD_BALANCER, load_balancer_construct_id
from tests.helpers.apps import RECORD, synth_environment

CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-1111-2222-3333-444455556666"


def _service(number: int, **changes: Any) -> dict[str, Any]:
    """Service `number` at that priority, in the stack of its block of 10 (as placement by
    priority had it; the stack is its own choice since)."""
    service: dict[str, Any] = {
        "name": f"svc-{number}",
        "image": dict(SAMPLE_IMAGE),
        "route": {"priority": number, "paths": [f"/svc-{number}/*"]},
        "stack": priority_block(number, 10),
    }
    service.update(changes)
    return service


def _fargate(**changes: Any) -> dict[str, Any]:
    """Overrides of the sandbox's Fargate cluster (no config of record: no other service);
    `services` is a list of `_service`s, made the map by name the config takes."""
    part = copy.deepcopy(changes)
    if "services" in part:
        part["services"] = {service.pop("name"): service for service in part["services"]}
    return {"ecs": {"fargate": part}}


def _error(overrides: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=overrides)
    return str(caught.value)


def _placement(overrides: dict[str, Any]) -> dict[str, str]:
    section = load_config("sandbox", overrides=overrides).ecs.fargate
    return {
        service.name: key.name
        for key, services in section.assign_load_balancers().items()
        for service in services
    }


def test_shipped_environments_keep_one_alb_per_cluster() -> None:
    for name in ENVIRONMENTS:
        config = load_config(name, config_dir=RECORD)
        for section in (config.ecs.ec2, config.ecs.fargate):
            assert list(section.assign_load_balancers()) == [FIRST_LOAD_BALANCER]
    assert load_balancer_construct_id(FIRST_LOAD_BALANCER) == "SharedLoadBalancer"


def test_alb_construct_ids_never_collide() -> None:
    keys = [
        AlbKey(g, n) for g in ("default", "default2", "d", "api", "api1") for n in (1, 2, 12, 21)
    ]
    ids = [load_balancer_construct_id(key) for key in keys]
    assert len(set(ids)) == len(ids)
    assert load_balancer_construct_id(AlbKey("default2", 1)) == "SharedLoadBalancerDefault2Alb1"
    assert load_balancer_construct_id(AlbKey("default", 21)) == "SharedLoadBalancerDefaultAlb21"


def test_placement_by_group_and_priority_block_not_list_position() -> None:
    services = [_service(n) for n in (1, 2, 99, 100, 101, 150, 201)]
    services.append(_service(7, load_balancer="internal"))
    services.append(_service(120, load_balancer="internal"))
    overrides = _fargate(services=services, load_balancers={"internal": {"internal": True}})
    placement = _placement(overrides)
    assert placement == {
        "svc-1": "default-1",
        "svc-2": "default-1",
        "svc-99": "default-1",
        "svc-100": "default-1",
        "svc-101": "default-2",
        "svc-150": "default-2",
        "svc-201": "default-3",
        "svc-7": "internal-1",
        "svc-120": "internal-2",
    }
    reordered = _fargate(
        services=list(reversed(services)), load_balancers={"internal": {"internal": True}}
    )
    assert _placement(reordered) == placement
    fewer = _fargate(
        services=[s for s in services if s["name"] not in {"svc-2", "svc-101"}],
        load_balancers={"internal": {"internal": True}},
    )
    assert _placement(fewer) == {
        k: v for k, v in placement.items() if k not in {"svc-2", "svc-101"}
    }


def test_every_groups_first_alb_exists_while_the_cluster_has_a_web_service() -> None:
    """With one web service, the first ALB of every group (its DNS name an output to point at
    before the group has services); with none, no ALB at all."""
    groups = {"internal": {"internal": True}}
    section = load_config(
        "sandbox", overrides=_fargate(load_balancers=groups, services=[_service(1)])
    ).ecs.fargate
    assert list(section.assign_load_balancers()) == [AlbKey("default", 1), AlbKey("internal", 1)]
    empty = load_config("sandbox", overrides=_fargate(load_balancers=groups)).ecs.fargate
    assert empty.assign_load_balancers() == {}


def test_smaller_blocks_shard_sooner() -> None:
    overrides = _fargate(services=[_service(n) for n in range(1, 8)], services_per_load_balancer=3)
    assert set(_placement(overrides).values()) == {"default-1", "default-2", "default-3"}


def test_unknown_group_names_the_service_and_the_allowed_groups() -> None:
    message = _error(_fargate(services=[_service(1, load_balancer="private")]))
    assert "Invalid configuration for environment 'sandbox'" in message
    assert (
        "ecs.fargate.services.svc-1.load_balancer: 'private' is not a load-balancer group"
        in message
    )
    assert "allowed: default" in message


@pytest.mark.parametrize("name", ["default", "Internal", "in-ternal", "1st", "a" * 21])
def test_group_names(name: str) -> None:
    message = _error(_fargate(load_balancers={name: {}}))
    assert "ecs.fargate.load_balancers" in message
    assert "is not a load-balancer group name; allowed: 1-20 lowercase letters" in message


def test_services_per_load_balancer_within_the_quota_derived_maximum() -> None:
    assert max_services_per_load_balancer() == 100
    message = _error(_fargate(services_per_load_balancer=101))
    assert "ecs.fargate.services_per_load_balancer: 101 services could exceed" in message
    assert "allowed: 1-100" in message


def test_rules_per_service_per_listener() -> None:
    assert listener_rules_per_service(https=False) == {"HTTP:80": 1}
    assert listener_rules_per_service(https=True) == {"HTTPS:443": 1, "HTTP:80": 0}


def test_usage_counts_what_each_service_adds() -> None:
    overrides = _fargate(
        services=[_service(n) for n in range(1, 4)],
        load_balancer={"certificate_arn": CERTIFICATE},
    )
    section = load_config("sandbox", overrides=overrides).ecs.fargate
    ((key, services),) = section.assign_load_balancers().items()
    usage = section.alb_usage(key, services)
    assert usage.target_groups == 3
    assert usage.rules == {"HTTPS:443": 3, "HTTP:80": 0}
    assert usage.total_rules == 3
    assert usage.certificates == 0
    assert usage.targets == 3 * 2 * 2  # 200% of max_tasks 2 during deployments


def test_target_group_quota_names_the_alb_count_and_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blue/green will add a second target group per service: 60 services then need 120."""
    monkeypatch.setattr(ecs_placement, "TARGET_GROUPS_PER_SERVICE", 2)
    message = _error(_fargate(services=[_service(n) for n in range(1, 61)]))
    assert (
        "ecs.fargate: ALB default-1 (priorities 1-100) would have 120 target groups "
        "(2 per service x 60 services); the limit is 100 per ALB (hard quota "
        "'Target Groups per Application Load Balancer')"
    ) in message


def test_rule_quota_names_the_alb_count_and_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        ecs_placement, "RULES_PER_ALB", AlbQuota("Rules per ALB", 10, adjustable=True)
    )
    message = _error(
        _fargate(
            services=[_service(n) for n in range(1, 12)],
            load_balancer={"certificate_arn": CERTIFICATE},
        )
    )
    assert (
        "ALB default-1 (priorities 1-100) would have 11 listener rules (11 on HTTPS:443, "
        "0 on HTTP:80); the limit is 10 per ALB (adjustable quota 'Rules per ALB')"
    ) in message


def test_target_quota_counts_deployments() -> None:
    services = [_service(n, scaling={"min_tasks": 1, "max_tasks": 60}) for n in range(1, 10)]
    message = _error(_fargate(services=services))
    assert "ALB default-1 (priorities 1-100) would have 1080 targets during deployments" in message
    assert "the limit is 1000 per ALB" in message


def test_certificate_quota_and_rules() -> None:
    arns = [CERTIFICATE.replace("0f0e0d0c", f"{n:08d}") for n in range(26)]
    group = {"certificate_arn": CERTIFICATE, "additional_certificate_arns": arns}
    message = _error(_fargate(load_balancers={"api": group}, services=[_service(1)]))
    assert "ALB api-1 (priorities 1-100) would have 26 certificates besides the default" in message
    assert "the limit is 25 per ALB" in message
    message = _error(_fargate(load_balancer={"additional_certificate_arns": arns[:1]}))
    assert "ecs.fargate.load_balancer.additional_certificate_arns: needs certificate_arn" in message
    message = _error(_fargate(load_balancer={**group, "additional_certificate_arns": ["x"]}))
    assert "'x': not an ACM certificate ARN; allowed: arn:PARTITION:acm:" in message
    twice = {**group, "additional_certificate_arns": [arns[1], arns[0], arns[1]]}
    message = _error(_fargate(load_balancer=twice))
    assert (
        f"Invalid configuration for environment 'sandbox':\n"
        f"  - ecs.fargate.load_balancer.additional_certificate_arns: '{arns[1]}' listed more "
        "than once; allowed: each certificate once"
    ) in message


def test_region_quota_on_albs() -> None:
    web = {"image": dict(SAMPLE_IMAGE), "route": {"priority": 1, "paths": ["/*"]}}
    overrides = _fargate(services=[_service(n) for n in range(1, 51)], services_per_load_balancer=1)
    message = _error({"ecs": {**overrides["ecs"], "ec2": {"services": {"web": web}}}})
    assert "ecs: 51 ALBs (ecs.ec2: 1, ecs.fargate: 50) exceed the region's quota of 50" in message
    assert load_config("sandbox", overrides=overrides)  # 50 on Fargate, the EC2 cluster has none


@pytest.fixture(scope="module")
def two_groups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    services = [
        _service(1),
        _service(2, load_balancer="internal", container_port=9000),
    ]
    overrides = _fargate(
        services=services,
        load_balancers={
            "internal": {
                "internal": True,
                "certificate_arn": CERTIFICATE,
                "additional_certificate_arns": [CERTIFICATE.replace("0f0e0d0c", "0a0b0c0d")],
            }
        },
    )
    return synth_environment(
        "sandbox", tmp_path_factory.mktemp("groups"), overrides, config_dir=None
    )


CLUSTER_STACK = names.stack_id("sandbox", names.ecs_cluster_unit("fargate"))
SERVICES_STACK = names.stack_id("sandbox", names.ecs_services_unit("fargate", 1))
INTERNAL_ALB = names.load_balancer_construct_id(("internal", 1))


def _template(outdir: Path, stack: str) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((outdir / f"{stack}.template.json").read_text())
    return template


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


@pytest.mark.integration
def test_internal_alb_in_private_subnets_open_to_the_vpc_only(two_groups: Path) -> None:
    cluster = _template(two_groups, CLUSTER_STACK)
    albs = _of_type(cluster, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert len(albs) == 2
    internal = next(v for k, v in albs.items() if k.startswith(INTERNAL_ALB))
    public = next(v for k, v in albs.items() if not k.startswith(INTERNAL_ALB))
    assert internal["Properties"]["Scheme"] == "internal"
    assert public["Properties"]["Scheme"] == "internet-facing"
    assert "Private" in json.dumps(internal["Properties"]["Subnets"])
    assert "Public" in json.dumps(public["Properties"]["Subnets"])
    groups = _of_type(cluster, "AWS::EC2::SecurityGroup")
    internal_group = next(v for k, v in groups.items() if k.startswith(INTERNAL_ALB))
    ingress = internal_group["Properties"]["SecurityGroupIngress"]
    # The listener ports and the test listener's (8443 with HTTPS), all from the VPC only.
    assert sorted(rule["FromPort"] for rule in ingress) == [80, 443, 8443]
    vpc_cidr = ENVIRONMENTS["sandbox"]["network"]["vpc_cidr"]
    assert [rule["CidrIp"] for rule in ingress] == [vpc_cidr, vpc_cidr, vpc_cidr]
    egress = internal_group["Properties"]["SecurityGroupEgress"]
    # A fixed range inside the VPC, not its service's port 9000: services never change an ALB.
    assert [(rule["FromPort"], rule["ToPort"]) for rule in egress] == [(1024, 65535)]
    certificates = _of_type(cluster, "AWS::ElasticLoadBalancingV2::ListenerCertificate")
    assert len(certificates) == 1


@pytest.mark.integration
def test_every_alb_dns_name_is_an_output(two_groups: Path) -> None:
    outputs = _template(two_groups, CLUSTER_STACK)["Outputs"]
    internal = names.load_balancer_dns_output(("internal", 1))
    assert names.load_balancer_dns_output(FIRST_LOAD_BALANCER) in outputs
    assert internal in outputs
    assert "internal ALB internal-1" in outputs[internal]["Description"]


@pytest.mark.integration
def test_each_service_attaches_to_its_groups_alb(two_groups: Path) -> None:
    cluster = _template(two_groups, CLUSTER_STACK)
    services = _template(two_groups, SERVICES_STACK)
    exports = {
        output["Export"]["Name"]: output["Value"]
        for output in cluster["Outputs"].values()
        if "Export" in output
    }
    rules = _of_type(services, "AWS::ElasticLoadBalancingV2::ListenerRule")
    # A rule is named after its priority; its service is the one whose target group it forwards to.
    listener_of = {
        rule["Properties"]["Actions"][0]["TargetGroupArn"]["Ref"].split("TargetGroup")[0]: exports[
            rule["Properties"]["ListenerArn"]["Fn::ImportValue"]
        ]["Ref"]
        for rule in rules.values()
    }
    first = load_balancer_construct_id(FIRST_LOAD_BALANCER)
    assert listener_of[names.service_construct_id("svc-1")].startswith(f"{first}Http")
    internal = listener_of[names.service_construct_id("svc-2")]
    assert internal.startswith(f"{INTERNAL_ALB}LoadBalancerHttp")
    assert cluster["Resources"][internal]["Properties"]["Protocol"] == "HTTPS"
    urls = {k: json.dumps(v["Value"]) for k, v in services["Outputs"].items()}
    public_url, internal_url = (urls[names.service_url_output(f"svc-{n}")] for n in (1, 2))
    assert public_url.startswith('{"Fn::Join": ["", ["http://"')
    assert internal_url.startswith('{"Fn::Join": ["", ["https://"')
    assert INTERNAL_ALB in internal_url
    assert INTERNAL_ALB not in public_url


@pytest.mark.integration
def test_two_groups_are_nag_and_preflight_clean(two_groups: Path) -> None:
    report_file = two_groups / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    violations = [v for r in report.get("pluginReports", []) for v in r.get("violations", [])]
    assert not violations, [v["ruleName"] for v in violations]


def test_condition_values_per_rule() -> None:
    route = {
        "priority": 1,
        "paths": [f"/p{n}/*" for n in range(3)],
        "hosts": ["a.example.com", "b.example.com", "c.example.com"],
    }
    message = _error(_fargate(services=[_service(1, route=route)]))
    assert (
        "ecs.fargate.services.svc-1.route: route has 6 condition values (3 paths + 3 hosts)"
        in message
    )
    assert "the limit is 5 per rule (hard quota 'Condition values per rule')" in message
    route["hosts"] = ["a.example.com", "b.example.com"]
    assert load_config("sandbox", overrides=_fargate(services=[_service(1, route=route)]))


def test_readme_quota_table_quotes_the_code() -> None:
    """docs/design.md (the ALB quotas decision) lists every quota the config checks, with its
    value and AWS source."""
    readme = (Path(__file__).resolve().parent.parent / "docs" / "design.md").read_text()
    section = readme[readme.index("inside the ALB quotas") :]
    assert alb_quotas.ALB_QUOTAS_SOURCE in section
    assert alb_quotas.ALB_QUOTAS_READ in section
    for quota in alb_quotas.ALB_QUOTAS:
        adjustable = "yes" if quota.adjustable else "no"
        assert f"| {quota.name} | {quota.limit:,} | {adjustable} |" in section, quota.name
