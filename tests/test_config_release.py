"""Release strategies, alarm thresholds and the `operations` section: each bad input fails naming
the environment, the field and what is allowed; the defaults per environment."""

from __future__ import annotations

from typing import Any

import pytest

from platform_config import ConfigError, load_config
from platform_config.ecs_release import ReleaseConfig
from platform_config.environments import SAMPLE_IMAGE
from tests.helpers.apps import RECORD


def _web(**changes: Any) -> dict[str, Any]:
    service: dict[str, Any] = {
        "image": dict(SAMPLE_IMAGE),
        "route": {"priority": 1, "paths": ["/*"]},
    }
    service.update(changes)
    return {"ecs": {"fargate": {"services": {"web": service}}}}


def _error(overrides: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=overrides)
    return str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "field", "allowed"),
    [
        (
            _web(release={"strategy": "swap"}),
            "ecs.fargate.services.web.release.strategy",
            "'swap' is not allowed; allowed: 'rolling', 'blue_green', 'canary', 'linear'",
        ),
        (
            _web(release={"strategy": "canary", "canary_percent": 0.05}),
            "ecs.fargate.services.web.release.canary_percent: 0.05 is not allowed",
            "allowed: 0.1 to 100.0 in steps of 0.1",
        ),
        (
            _web(release={"strategy": "linear", "linear_step_percent": 2.5}),
            "ecs.fargate.services.web.release.linear_step_percent: 2.5 is not allowed",
            "allowed: 3.0 to 100.0 in steps of 0.1",
        ),
        (
            _web(release={"strategy": "linear", "linear_step_percent": 10.05}),
            "ecs.fargate.services.web.release.linear_step_percent: 10.05 is not allowed",
            "in steps of 0.1",
        ),
        (
            _web(release={"strategy": "linear", "linear_step_percent": 33.3}),
            "ecs.fargate.services.web.release.linear_step_percent: 33.3 is not allowed",
            "that cfn-lint's multipleOf check accepts (it divides in binary floating point: "
            "33.3 / 0.1 = 332.99999999999994, E3002); nearest accepted: 33.2 or 33.5",
        ),
        (
            _web(release={"strategy": "blue_green", "canary_percent": 10.0}),
            "ecs.fargate.services.web.release",
            "canary_percent: not a setting of strategy 'blue_green'; allowed: strategy and",
        ),
        (
            _web(release={"strategy": "canary", "linear_step_percent": 10.0}),
            "ecs.fargate.services.web.release",
            "allowed: canary_percent, step_bake_minutes",
        ),
        (
            _web(release={"strategy": "rolling", "bake_time_minutes": 1441}),
            "ecs.fargate.services.web.release.bake_time_minutes",
            "1441 is not allowed; allowed: 0 to 1440",
        ),
        (
            _web(
                release={
                    "strategy": "linear",
                    "linear_step_percent": 3.0,
                    "step_bake_minutes": 100,
                    "bake_time_minutes": 3,
                }
            ),
            "ecs.fargate.services.web.release",
            "allowed: at most 1980 (CloudFormation refuses",
        ),
        (
            _web(release={"strategy": "blue_green", "bake_time_minutes": 2}),
            "ecs.fargate.services.web.release.bake_time_minutes",
            "allowed: at least 3 with strategy 'blue_green'",
        ),
        (
            _web(release={"strategy": "canary", "step_bake_minutes": 1, "bake_time_minutes": 5}),
            "ecs.fargate.services.web.release.step_bake_minutes",
            "allowed: at least 3 with strategy 'canary'",
        ),
        (
            _web(
                release={"strategy": "blue_green", "bake_time_minutes": 4},
                alarms={"evaluation_periods": 5},
            ),
            "ecs.fargate.services.web.release.bake_time_minutes",
            "allowed: at least 5",
        ),
        (
            _web(alarms={"target_5xx_percent": 0}),
            "ecs.fargate.services.web.alarms.target_5xx_percent",
            "0 is not allowed; allowed: more than 0, at most 100",
        ),
        (
            _web(alarms={"cpu_percent": 101}),
            "ecs.fargate.services.web.alarms.cpu_percent",
            "101 is not allowed; allowed: 1 to 100",
        ),
        (
            _web(alarms={"evaluation_periods": 0}),
            "ecs.fargate.services.web.alarms.evaluation_periods",
            "0 is not allowed; allowed: 1 to 10",
        ),
        (
            {"operations": {"alarm_emails": ["ops.example.com"]}},
            "operations.alarm_emails",
            "allowed: name@domain.tld",
        ),
        (
            {"operations": {"alarm_emails": ["a@example.com", "a@example.com"]}},
            "operations.alarm_emails",
            "allowed: each address once",
        ),
        (
            {**_web(), "operations": {"release": {"strategy": "canary", "bake_time_minutes": 0}}},
            "ecs.fargate.services.web.release.bake_time_minutes",  # the default reaches it
            "allowed: at least 3",
        ),
    ],
)
def test_bad_release_and_alarm_settings_name_field_and_allowed(
    overrides: dict[str, Any], field: str, allowed: str
) -> None:
    message = _error(overrides)
    assert "environment 'sandbox'" in message
    assert field in message
    assert allowed in message


@pytest.mark.parametrize(
    "release",
    [
        {"strategy": "rolling"},
        {"strategy": "rolling", "bake_time_minutes": 2},
        {"strategy": "blue_green", "bake_time_minutes": 3},
        {"strategy": "canary", "canary_percent": 0.1, "bake_time_minutes": 3},
        {"strategy": "linear", "linear_step_percent": 33.2, "step_bake_minutes": 3,
         "bake_time_minutes": 3},
    ],
)  # fmt: skip
def test_valid_releases_load(release: dict[str, Any]) -> None:
    config = load_config("sandbox", overrides=_web(release=release))
    assert config.ecs.fargate.services["web"].release.strategy == release["strategy"]


@pytest.mark.parametrize(
    ("step", "steps"),
    [(50.0, 1), (25.0, 3), (10.0, 9), (11.0, 9), (33.2, 3), (100.0, 0), (3.0, 33)],
)
def test_linear_steps_are_counted_as_cloudformation_counts_them(step: float, steps: int) -> None:
    release = ReleaseConfig(strategy="linear", linear_step_percent=step, bake_time_minutes=3)
    assert release.steps == steps
    assert release.total_bake_minutes == steps * 3 + 3


def test_sandbox_rolls_and_production_releases_canaries_judged_by_alarms() -> None:
    sandbox = load_config("sandbox", config_dir=RECORD)
    production = load_config("production", config_dir=RECORD)
    for cluster in sandbox.ecs.enabled_clusters.values():
        assert {s.release.strategy for s in cluster.services.values()} == {"rolling"}
    for cluster in production.ecs.enabled_clusters.values():
        for service in cluster.services.values():
            assert service.release.shifts_traffic
            assert service.release.step_bake >= service.alarms.window_minutes
            assert service.release.bake_time_minutes >= service.alarms.window_minutes


def test_a_service_release_overrides_the_environment_default() -> None:
    config = load_config(
        "production",
        config_dir=RECORD,
        overrides={"ecs": {"fargate": {"services": {"sample": {"release": {}}}}}},
    )
    assert config.ecs.fargate.services["sample"].release.strategy == "rolling"
    assert config.ecs.ec2.services["sample"].release.strategy == "canary"


def test_traffic_shifting_services_count_twice_against_alb_target_groups() -> None:
    section = load_config("production", config_dir=RECORD).ecs.fargate
    (key, services), *_ = section.assign_load_balancers().items()
    usage = section.alb_usage(key, services)
    assert usage.target_groups == 2 * len(services)
    assert usage.rules["test:8080"] == len(services)


def test_only_web_services_shift_traffic() -> None:
    worker = {
        "kind": "worker",
        "image": dict(SAMPLE_IMAGE),
        "release": {"strategy": "canary", "bake_time_minutes": 3},
    }
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides={"ecs": {"fargate": {"services": {"jobs": worker}}}})
    message = str(caught.value)
    assert "ecs.fargate.services.jobs.release.strategy" in message
    assert "allowed: rolling" in message
    del worker["release"]
    config = load_config(
        "production",
        config_dir=RECORD,
        overrides={"ecs": {"fargate": {"services": {"jobs": worker}}}},
    )
    assert config.ecs.fargate.services["jobs"].release.strategy == "rolling"
    assert config.ecs.fargate.services["sample"].release.strategy == "canary"
