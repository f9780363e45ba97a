"""How an ECS service is released and watched: its release strategy (`release`), the thresholds of
its alarms (`alarms`), and the environment's `operations` section (the default strategy of its
services and who is notified). The constructs are container_constructs/service_release.py,
service_alarms.py, alarm_topic.py and cluster_dashboard.py.

Deploy-time rules of ECS checked here (read 2026-12-03):
- the resource schema of AWS::ECS::Service that cfn-lint ships (the CloudFormation registry's):
  BakeTimeInMinutes 0-1440; CanaryPercent 0.1-100 and LinearConfiguration.StepPercent 3-100,
  multiples of 0.1 (as cfn-lint divides too: checks.tenths_problem); step bake times 0-1440
  minutes; CloudFormation refuses a canary or linear deployment whose bake times add up past
  33 hours. Strategy, DeploymentConfiguration, DeploymentController and LoadBalancers are not
  create-only, so switching strategy updates the service in place (its createOnlyProperties:
  Cluster, Role, SchedulingStrategy, ServiceName).
- https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html:
  ECS judges a blue/green, canary or linear release with its deployment alarms while a step
  bakes, and rolls back on one.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import checks, defaults
from platform_config.base import Section

Strategy = Literal["rolling", "blue_green", "canary", "linear"]
TRAFFIC_SHIFTING: tuple[Strategy, ...] = ("blue_green", "canary", "linear")
# CloudFormation refuses canary and linear deployments whose bake times exceed 33 hours.
MAX_RELEASE_BAKE_MINUTES = 33 * 60
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def test_listener_port(https: bool) -> int:
    """The port of the test listener of an ALB whose production listener is HTTPS or HTTP."""
    return defaults.TEST_LISTENER_PORT_HTTPS if https else defaults.TEST_LISTENER_PORT_HTTP


def _tenths(value: float, low: float) -> float:
    problem = checks.tenths_problem(value, low=low)
    if problem:
        raise ValueError(f"{value} is not allowed; {problem}")
    return value


class AlarmsConfig(Section):
    """The thresholds of a service's alarms. Each alarm breaches after `evaluation_periods`
    periods of one minute in a row; the 5xx rate and p99 alarms also judge releases (the
    service's ECS deployment alarms, which roll back)."""

    target_5xx_percent: float = Field(
        default=defaults.TARGET_5XX_PERCENT,
        gt=0,
        le=100,
        description="Target 5xx responses, percent of the service's requests per minute.",
    )
    target_5xx_min_requests: int = Field(
        default=defaults.TARGET_5XX_MIN_REQUESTS,
        ge=1,
        description="Requests per minute below which the 5xx rate never breaches.",
    )
    p99_response_seconds: float = Field(
        default=defaults.P99_RESPONSE_SECONDS,
        gt=0,
        le=600,
        description="p99 target response time, seconds.",
    )
    unhealthy_targets: int = Field(
        default=defaults.UNHEALTHY_TARGETS, ge=1, description="Unhealthy targets that breach."
    )
    cpu_percent: int = Field(default=defaults.CPU_HIGH_PERCENT, ge=1, le=100)
    memory_percent: int = Field(default=defaults.MEMORY_HIGH_PERCENT, ge=1, le=100)
    queue_age_seconds: int = Field(
        default=defaults.QUEUE_AGE_SECONDS,
        ge=60,
        le=1209600,
        description="Workers: age of the oldest queued message that breaches, seconds.",
    )
    evaluation_periods: int = Field(
        default=defaults.ALARM_EVALUATION_PERIODS,
        ge=1,
        le=10,
        description="One-minute periods in a row that breach an alarm (its judgment window).",
    )

    @property
    def window_minutes(self) -> int:
        """How long a regression takes to breach the deployment alarms at the earliest."""
        return self.evaluation_periods * defaults.ALARM_PERIOD_SECONDS // 60


class ReleaseConfig(Section):
    """How ECS releases a new revision of the service. `rolling` replaces tasks (circuit breaker
    with rollback); `blue_green` starts the new revision beside the old one behind the ALB's test
    listener, then shifts all production traffic; `canary` shifts `canary_percent` first, then the
    rest; `linear` shifts `linear_step_percent` per step. The last three keep the old revision
    until `bake_time_minutes` after the last shift, and roll back on a deployment alarm."""

    strategy: Strategy = Field(default=defaults.RELEASE_STRATEGY)
    bake_time_minutes: int = Field(
        default=defaults.BAKE_TIME_MINUTES,
        ge=0,
        le=1440,
        description=(
            "Minutes both revisions run after the last traffic shift (rolling: after the new "
            "tasks are healthy); 0-1440. Blue/green family: at least the alarms' window."
        ),
    )
    canary_percent: float | None = Field(
        default=None,
        description=(
            f"canary: share shifted first, 0.1-100 in tenths (default {defaults.CANARY_PERCENT})."
        ),
    )
    linear_step_percent: float | None = Field(
        default=None,
        description=(
            "linear: share shifted per step, 3-100 in tenths "
            f"(default {defaults.LINEAR_STEP_PERCENT})."
        ),
    )
    step_bake_minutes: int | None = Field(
        default=None,
        ge=0,
        le=1440,
        description="canary/linear: minutes between shifts (default: bake_time_minutes).",
    )

    @field_validator("canary_percent")
    @classmethod
    def _canary(cls, value: float | None) -> float | None:
        return None if value is None else _tenths(value, 0.1)

    @field_validator("linear_step_percent")
    @classmethod
    def _linear(cls, value: float | None) -> float | None:
        return None if value is None else _tenths(value, 3.0)

    @model_validator(mode="after")
    def _fields_of_the_strategy(self) -> ReleaseConfig:
        given = {
            "canary_percent": self.canary_percent is not None,
            "linear_step_percent": self.linear_step_percent is not None,
            "step_bake_minutes": self.step_bake_minutes is not None,
        }
        allowed = {
            "rolling": set(),
            "blue_green": set(),
            "canary": {"canary_percent", "step_bake_minutes"},
            "linear": {"linear_step_percent", "step_bake_minutes"},
        }[self.strategy]
        stray = sorted(name for name, present in given.items() if present and name not in allowed)
        if stray:
            raise ValueError(
                f"{', '.join(stray)}: not a setting of strategy '{self.strategy}'; allowed: "
                f"{', '.join(sorted(allowed)) or 'strategy and bake_time_minutes only'}"
            )
        if self.total_bake_minutes > MAX_RELEASE_BAKE_MINUTES:
            raise ValueError(
                f"bake times add up to {self.total_bake_minutes} minutes; allowed: at most "
                f"{MAX_RELEASE_BAKE_MINUTES} (CloudFormation refuses longer canary and linear "
                "deployments: its operations time out after 36 hours)"
            )
        return self

    @property
    def shifts_traffic(self) -> bool:
        """Whether the strategy uses an alternate target group and the test listener."""
        return self.strategy in TRAFFIC_SHIFTING

    @property
    def step_percent(self) -> float | None:
        """The canary share or linear step (with its default), None for the others."""
        if self.strategy == "canary":
            return self.canary_percent or defaults.CANARY_PERCENT
        if self.strategy == "linear":
            return self.linear_step_percent or defaults.LINEAR_STEP_PERCENT
        return None

    @property
    def step_bake(self) -> int:
        """Minutes between two shifts (canary, linear)."""
        return self.bake_time_minutes if self.step_bake_minutes is None else self.step_bake_minutes

    @property
    def steps(self) -> int:
        """Bakes between shifts: canary 1; linear as CloudFormation counts them (100/step - 1
        when the step divides 100, else floor(100/step)); 0 for the others."""
        step = self.step_percent
        if step is None:
            return 0
        if self.strategy == "canary":
            return 1
        shifts = 100 / step
        return int(shifts) - 1 if shifts == int(shifts) else int(shifts)

    @property
    def total_bake_minutes(self) -> int:
        """Bake minutes of one release: between shifts, then after the last one."""
        return self.steps * self.step_bake + self.bake_time_minutes


class OperationsConfig(Section):
    """What the environment's services share for operating them: the default release strategy
    and who the alarm topic notifies."""

    release: ReleaseConfig = Field(
        default_factory=ReleaseConfig,
        description="Release strategy of every service that sets none (its `release`).",
    )
    alarm_emails: list[str] = Field(
        default_factory=list,
        description=(
            "E-mail addresses subscribed to the environment's alarm topic (each confirms by "
            "e-mail); default none."
        ),
    )

    @field_validator("alarm_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _EMAIL.match(address):
                raise ValueError(f"'{address}' is not an e-mail address; allowed: name@domain.tld")
        if len(set(value)) != len(value):
            raise ValueError("an address is given twice; allowed: each address once")
        return value


def check_bake_covers_alarms(release: ReleaseConfig, alarms: AlarmsConfig) -> None:
    """A traffic-shifting release whose bakes are shorter than the alarms' window shifts on
    before a regression can breach a deployment alarm: refuse it."""
    if not release.shifts_traffic:
        return
    window = alarms.window_minutes
    short = [("bake_time_minutes", release.bake_time_minutes)]
    if release.steps:
        short.append(("step_bake_minutes", release.step_bake))
    for name, minutes in short:
        if minutes < window:
            raise ValueError(
                f"release.{name}: {minutes} minutes is shorter than the deployment alarms' "
                f"window ({alarms.evaluation_periods} one-minute periods); allowed: at least "
                f"{window} with strategy '{release.strategy}' (a step must bake until its alarms "
                "can breach)"
            )
