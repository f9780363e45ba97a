"""Routes as Elastic Load Balancing checks them (platform_config/listener_rules.py): the values of a
rule's path-pattern and host-header conditions, the limits of one rule, and reachability per
listener; and clusters that are off or have no web service (no ALB). Each refusal has its
message; each limit has a passing case at the limit."""

from __future__ import annotations

from typing import Any

import pytest

from platform_config import ConfigError, load_config
from platform_config.environments import SAMPLE_IMAGE
from platform_config.model import PlatformConfig
from tests.helpers.apps import RECORD

FIELD = "ecs.fargate.services.web.route"


def _with_route(**route: Any) -> dict[str, Any]:
    """Sandbox overrides (no config of record): one Fargate service `web` with `route`."""
    service = {"image": dict(SAMPLE_IMAGE), "route": {"priority": 1, **route}}
    return {"ecs": {"fargate": {"services": {"web": service}}}}


def _problems(overrides: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=overrides)
    return caught.value.problems


LONGEST_PATH = "/" + "a" * 127
LONGEST_HOST = "a" * 60 + "." + "b" * 63 + ".com"


@pytest.mark.parametrize(
    ("route", "problem"),
    [
        ({"paths": ["api/*"]}, "paths: path pattern 'api/*' must start with '/'"),
        ({"paths": [""]}, "paths: path pattern '' has 0 characters; allowed: 1-128"),
        (
            {"paths": [LONGEST_PATH + "b"]},
            f"paths: path pattern '{LONGEST_PATH}b' has 129 characters; allowed: 1-128",
        ),
        (
            {"paths": ["/a b"]},
            "paths: path pattern '/a b' has characters ELB does not allow: ' '; allowed: "
            "letters, digits, _ - . $ / ~ \" ' @ : + and the wildcards * ?",
        ),
        ({"paths": ["/a&b"]}, "paths: path pattern '/a&b' has characters ELB does not allow: '&'"),
        ({"paths": ["/a#%"]}, "paths: path pattern '/a#%' has characters ELB does not allow: '#%'"),
        ({"paths": ["/café"]}, "paths: path pattern '/café' has characters ELB does not allow"),
        (
            {"paths": ["/a/*", "/b/*", "/c/*", "/d/*"]},
            "paths: 4 values in one condition; allowed: at most 3 (ELB: up to three comparison "
            "strings per condition)",
        ),
        ({"paths": ["/a/*", "/a/*"]}, "paths: /a/* given twice; allowed: each value once"),
        ({"hosts": ["localhost"]}, "hosts: host 'localhost' must have a '.' followed by letters"),
        ({"hosts": ["api.example.c0m"]}, "hosts: host 'api.example.c0m' must have a '.'"),
        ({"hosts": ["example.*"]}, "hosts: host 'example.*' must have a '.' followed by letters"),
        ({"hosts": ["example."]}, "hosts: host 'example.' must have a '.' followed by letters"),
        (
            {"hosts": ["api_v1.example.com"]},
            "hosts: host 'api_v1.example.com' has characters ELB does not allow: '_'; allowed: "
            "letters, digits, - . and the wildcards * ?",
        ),
        ({"hosts": ["a.com:443"]}, "hosts: host 'a.com:443' has characters ELB does not allow"),
        ({"hosts": [""]}, "hosts: host '' has 0 characters; allowed: 1-128"),
        (
            {"hosts": ["a" + LONGEST_HOST]},
            f"hosts: host 'a{LONGEST_HOST}' has 129 characters; allowed: 1-128",
        ),
        (
            {"hosts": ["API.example.com", "api.example.com"]},
            "hosts: API.example.com, api.example.com given twice; allowed: each value once",
        ),
        (
            {"hosts": ["a.example.com", "b.example.com", "c.example.com", "d.example.com"]},
            "hosts: 4 values in one condition; allowed: at most 3",
        ),
        ({}, "route needs at least one of 'paths' or 'hosts'"),
        (
            {"paths": ["/a", "/b", "/c"], "hosts": ["a.example.com", "b.example.com", "c.io"]},
            "route has 6 condition values (3 paths + 3 hosts) in its one listener rule; the limit "
            "is 5 per rule (hard quota 'Condition values per rule')",
        ),
        (
            {"paths": ["/a*b*c*", "/?/*"], "hosts": ["*.example.com"]},
            "route has 6 wildcard characters (* and ?) in its one listener rule; the limit is 5 "
            "per rule (hard quota 'Condition wildcards per rule')",
        ),
    ],
)
def test_a_route_elb_would_refuse_is_a_config_error(route: dict[str, Any], problem: str) -> None:
    problems = _problems(_with_route(**route))
    separator = "." if problem.startswith(("paths", "hosts")) else ": "
    assert any(p.startswith(f"{FIELD}{separator}{problem}") for p in problems), problems


@pytest.mark.parametrize(
    "route",
    [
        {"paths": [LONGEST_PATH]},
        {"paths": ["/aZ09_-.$~\"'@:+/*", "/v?/items"]},
        {"hosts": [LONGEST_HOST]},
        {"hosts": ["*.example.com", "api-?.example.co", "EXAMPLE.org"]},
        # At every limit of one rule: 3 + 2 values, 5 wildcards.
        {"paths": ["/a/*", "/b/?", "/c*"], "hosts": ["*.example.com", "x.example.com"]},
    ],
    ids=["longest-path", "every-path-character", "longest-host", "host-wildcards", "at-the-limits"],
)
def test_a_route_within_elbs_limits_is_accepted(route: dict[str, Any]) -> None:
    config = load_config("sandbox", overrides=_with_route(**route))
    assert config.ecs.fargate.services["web"].web_route.priority == 1


def _services(*services: tuple[str, int, str | None], per_alb: int = 100) -> dict[str, Any]:
    """Fargate services (name, priority, group) all routing /*, with an internal group."""
    return {
        "ecs": {
            "fargate": {
                "load_balancers": {"internal": {"internal": True}},
                "services_per_load_balancer": per_alb,
                "services": {
                    name: {
                        "image": dict(SAMPLE_IMAGE),
                        "route": {"priority": priority, "paths": ["/*"]},
                        **({"load_balancer": group} if group else {}),
                    }
                    for name, priority, group in services
                },
            }
        }
    }


def test_routes_are_unique_per_listener_not_per_cluster() -> None:
    """A public and an internal ALB both serve /*, and so do two ALBs of one group; on one ALB
    the same route twice is refused."""
    two_groups = load_config(
        "sandbox", overrides=_services(("pub", 1, None), ("int", 2, "internal"))
    )
    placed = two_groups.ecs.fargate.assign_load_balancers()
    assert {key.name: [s.name for s in services] for key, services in placed.items()} == {
        "default-1": ["pub"],
        "internal-1": ["int"],
    }
    two_albs = load_config(
        "sandbox", overrides=_services(("one", 1, None), ("two", 2, None), per_alb=1)
    )
    assert [key.name for key in two_albs.ecs.fargate.assign_load_balancers()] == [
        "default-1",
        "default-2",
        "internal-1",
    ]
    (problem,) = _problems(_services(("one", 1, None), ("two", 2, None)))
    assert problem.startswith(
        "ecs.fargate.services.two.route: paths=['/*'] hosts=[] is already the route of service "
        "'one' on ALB default-1; each route must be unique on its listener (another "
        "load-balancer group may serve the same paths and hosts)"
    )


def test_priorities_stay_unique_in_the_cluster_for_rule_identity() -> None:
    (problem,) = _problems(_services(("pub", 1, None), ("int", 1, "internal")))
    assert problem.startswith(
        "ecs.fargate.services.pub.route.priority: 1 is already used by service 'int'; each must "
        "be unique in the cluster (a listener rule is keyed by its priority in its stack)"
    )


# --- clusters that are off, clusters without a web service ---------------------------------------


def test_a_cluster_that_is_off_may_run_no_service() -> None:
    (problem,) = [
        p
        for p in _problems_with_record({"ecs": {"ec2": {"enabled": False}}})
        if p.startswith("ecs.ec2")
    ]
    assert problem == (
        "ecs.ec2.enabled: false, but services sample run on this cluster in this environment; "
        "allowed: take them out of the environment (the environment's key in each service "
        "file) or turn the cluster on"
    )


def _problems_with_record(overrides: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=overrides, config_dir=RECORD)
    return caught.value.problems


def _fargate_only() -> PlatformConfig:
    overrides = {
        "ecs": {"ec2": {"enabled": False, "services": {"sample": None}}},
        "eks": {"enabled": False},
    }
    return load_config("sandbox", overrides=overrides, config_dir=RECORD)


def test_a_cluster_that_is_off_has_no_alb_and_counts_toward_no_quota() -> None:
    config = _fargate_only()
    assert list(config.ecs.enabled_clusters) == ["fargate"]
    assert list(config.ecs.clusters) == ["ec2", "fargate", "managed_instances"]
    assert config.ecs.ec2.assign_load_balancers() == {}
    assert len(config.ecs.fargate.assign_load_balancers()) == 1


def test_a_cluster_without_a_web_service_has_no_alb() -> None:
    """No service needs a load balancer: no ALB, whatever groups are declared."""
    config = load_config(
        "sandbox",
        overrides={"ecs": {"fargate": {"load_balancers": {"internal": {"internal": True}}}}},
    )
    assert config.ecs.fargate.enabled
    assert config.ecs.fargate.web_services == []
    assert config.ecs.fargate.assign_load_balancers() == {}
