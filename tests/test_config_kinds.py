"""The service kinds and the container settings in the config: each new field accepted where it
belongs and refused, naming the environment, the field and what is allowed, where it does not.
No synth (the kinds' templates: tests/test_ecs_kinds.py, tests/test_team_services.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from container_constructs import checks
from platform_config import ConfigError, load_config
from platform_config.ecs_kinds import build_order
from platform_config.ecs_service import ServiceConfig
from platform_config.environments import SAMPLE_IMAGE_DIGEST, SAMPLE_IMAGE_URI

REASON = "The vendor image binds port 80 as root and cannot be rebuilt before the migration"
# The sample image, pinned: ECR Public images go through the registry's pull-through cache.
IMAGE = {"uri": SAMPLE_IMAGE_URI, "digest": SAMPLE_IMAGE_DIGEST}
WORKER = {"name": "jobs", "kind": "worker", "image": IMAGE, "user": "101"}
JOB = {
    "name": "report",
    "kind": "job",
    "image": IMAGE,
    "user": "101",
    "schedule": {"expression": "rate(1 day)"},
}
BACKEND = {"name": "orders", "kind": "backend", "image": IMAGE, "user": "101"}


def _web(**changes: Any) -> dict[str, Any]:
    service: dict[str, Any] = {
        "name": "web",
        "image": IMAGE,
        "user": "101",
        "route": {"priority": 1, "paths": ["/*"]},
    }
    service.update(changes)
    return service


def _with(*services: dict[str, Any], cluster: str = "fargate") -> dict[str, Any]:
    """The services as a layer over the built-in sandbox (no config of record: no other service),
    by name, in the order given."""
    by_name = {}
    for service in copy.deepcopy(services):
        by_name[service.pop("name")] = service
    return {"ecs": {cluster: {"services": by_name}}}


def _load(*services: dict[str, Any], cluster: str = "fargate") -> list[ServiceConfig]:
    """The services loaded, in the order given."""
    config = load_config("sandbox", overrides=_with(*services, cluster=cluster))
    loaded = config.ecs.clusters[cluster].services
    return [loaded[service["name"]] for service in services]


def _error(*services: dict[str, Any], cluster: str = "fargate") -> str:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=_with(*services, cluster=cluster))
    message = str(caught.value)
    assert message.startswith("Invalid configuration for environment 'sandbox':")
    return message


def test_every_kind_with_its_sections_loads() -> None:
    services = _load(
        _web(send_to=["jobs"]),
        {**BACKEND, "scaling": {"cpu_target_percent": 50}},
        {**WORKER, "queue": {"max_receive_count": 3}, "scaling": {"min_tasks": 0}},
        {**JOB, "send_to": ["jobs"]},
    )
    kinds = {service.name: service.kind for service in services}
    assert kinds == {"web": "web", "orders": "backend", "jobs": "worker", "report": "job"}
    assert services[2].worker_queue.owned
    assert services[2].worker_queue.max_receive_count == 3
    assert services[3].deployment_tasks == 1  # one run at a time, no rolling deployment
    assert services[0].kind == "web"  # the default


def test_container_settings_load() -> None:
    (service,) = _load(
        _web(
            environment={"LOG_LEVEL": "debug"},
            command=["serve", "--port", "8080"],
            entrypoint=["/bin/app"],
            health_check={"command": ["CMD-SHELL", "true"], "interval_seconds": 10},
            stop_timeout_seconds=120,
            ephemeral_storage_gib=50,
            efs={"path": "/data"},
            sidecars=[
                {"name": "otel", "preset": "otel-collector"},
                {"name": "proxy", "image": {"uri": "envoyproxy/envoy:v1.31"}, "port": 9901},
            ],
            depends_on={"otel": "HEALTHY", "proxy": "START"},
        )
    )
    assert service.health_check is not None
    assert service.health_check.retries == 3
    assert [s.name for s in service.sidecars] == ["otel", "proxy"]


def test_exceptions_let_a_service_run_as_root_on_a_privileged_port_with_a_writable_root() -> None:
    (service,) = _load(
        _web(
            user="0",
            container_port=80,
            exceptions={
                "run_as_root": REASON,
                "privileged_port": REASON,
                "writable_root_filesystem": REASON,
            },
        )
    )
    assert service.user == "0"
    assert service.container_port == 80


@pytest.mark.parametrize(
    ("services", "message"),
    [
        # kinds and their sections
        (
            [{**BACKEND, "route": {"priority": 1, "paths": ["/*"]}}],
            "ecs.fargate.services.orders.route: a backend service does not take it; allowed for "
            "kind web",
        ),
        ([{**WORKER, "container_port": 9000}], "container_port: a worker service does not take"),
        ([{**JOB, "scaling": {"max_tasks": 3}}], "scaling: a job service does not take it"),
        (
            [{**WORKER, "scaling": {"requests_per_target": 9}}],
            "scaling.requests_per_target: a worker service does not take it; allowed for kind web",
        ),
        ([{**JOB, "enable_execute_command": True}], "enable_execute_command: a job service"),
        ([_web(queue={"max_receive_count": 2})], "queue: a web service does not take it"),
        ([{**JOB, "schedule": None}], "schedule: required for a job"),
        ([_web(route=None)], "route: required for a web service"),
        (
            [{**WORKER, "kind": "cron"}],
            "ecs.fargate.services.jobs.kind: 'cron' is not allowed; allowed: 'web'",
        ),
        # exceptions
        ([_web(user="0")], "ecs.fargate.services.web.user: '0' runs as root; give a non-root uid"),
        (
            [_web(container_port=443)],
            "ecs.fargate.services.web.container_port: 443 is a privileged",
        ),
        (
            [_web(exceptions={"run_as_root": "legacy"})],
            "ecs.fargate.services.web.exceptions.run_as_root: 'legacy' is not a reason; allowed: a "
            "sentence",
        ),
        (
            [_web(exceptions={"run_as_root": REASON})],
            "exceptions.run_as_root: user '101' is not root; remove the exception",
        ),
        (
            [_web(exceptions={"privileged_port": REASON})],
            "exceptions.privileged_port: container_port 8080 is not privileged",
        ),
        (
            [{**WORKER, "exceptions": {"privileged_port": REASON}}],
            "exceptions.privileged_port: a worker listens on no port",
        ),
        # container settings
        (
            [_web(environment={"1X": "a"})],
            "ecs.fargate.services.web.environment: '1X' is not an environment variable name",
        ),
        (
            [_web(environment={"QUEUE_URL_X": "a"})],
            "'QUEUE_URL_X': variables starting with QUEUE_URL are set by the platform",
        ),
        (
            [_web(environment={"TOKEN": "a"}, secrets={"TOKEN": {"secrets_manager_name": "t"}})],
            "environment: TOKEN also in secrets; ECS refuses a variable that is both",
        ),
        (
            [_web(command=[])],
            "ecs.fargate.services.web.command: 0 items is not allowed; allowed: at least 1 item",
        ),
        ([_web(entrypoint=["sh", ""])], "ecs.fargate.services.web.entrypoint: ['sh', '']: every"),
        (
            [_web(health_check={"command": ["curl", "-f", "x"]})],
            "ecs.fargate.services.web.health_check.command: ['curl', '-f', 'x'] is not a health "
            'check command; allowed: ["CMD-SHELL"',
        ),
        (
            [_web(health_check={"command": ["CMD", "x"], "interval_seconds": 4})],
            "health_check.interval_seconds: 4 is not allowed; allowed: 5 to 300",
        ),
        (
            [_web(health_check={"command": ["CMD", "x"], "retries": 11})],
            "health_check.retries: 11 is not allowed; allowed: 1 to 10",
        ),
        (
            [_web(health_check={"command": ["CMD", "x"], "timeout_seconds": 61})],
            "health_check.timeout_seconds: 61 is not allowed; allowed: 2 to 60",
        ),
        (
            [_web(health_check={"command": ["CMD", "x"], "start_period_seconds": 301})],
            "health_check.start_period_seconds: 301 is not allowed; allowed: 0 to 300",
        ),
        (
            [_web(health_check={"command": ["CMD", "x"], "interval_seconds": 5})],
            "health_check: timeout_seconds (5) must be below interval_seconds (5)",
        ),
        (
            [_web(stop_timeout_seconds=121)],
            "stop_timeout_seconds: 121 is not allowed; allowed: 2 to 120",
        ),
        (
            [_web(ephemeral_storage_gib=20)],
            "ephemeral_storage_gib: 20 is not allowed; allowed: 21 to 200",
        ),
        ([_web(efs={"path": "/"})], "ecs.fargate.services.web.efs.path: '/' must be an absolute"),
        ([_web(efs={"path": "/tmp"})], "efs.path: /tmp is also in writable_paths; pick one"),
        (
            [_web(efs={"path": "/data"}, user="app", writable_paths=[])],
            "user: 'app' must be a numeric uid[:gid] such as 101 or 1000:1000 (the EFS access "
            "point's POSIX user is it, unless efs.owner is set)",
        ),
        (
            [_web(efs={"path": "/data", "owner": "0"})],
            "ecs.fargate.services.web.efs.owner: '0' is not a numeric non-root uid[:gid]",
        ),
        # sidecars
        ([_web(sidecars=[{"name": "app", "preset": "firelens"}])], "'app' is not a sidecar name"),
        (
            [_web(sidecars=[{"name": "x1"}])],
            "services.web.sidecars.0.image: required without a preset",
        ),
        (
            [_web(sidecars=[{"name": "x1", "image": {"uri": "a:1"}, "user": "root"}])],
            "ecs.fargate.services.web.sidecars.0.user: 'root' runs as root",
        ),
        (
            [_web(sidecars=[{"name": "log", "preset": "firelens", "environment": {"A": "b"}}])],
            "environment: the firelens preset is configured by the platform",
        ),
        (
            [
                _web(
                    sidecars=[
                        {"name": "l1", "preset": "firelens"},
                        {"name": "l2", "preset": "firelens"},
                    ]
                )
            ],
            "sidecars: one firelens log router per task",
        ),
        (
            [_web(sidecars=[{"name": f"s{i}", "image": {"uri": "a:1"}} for i in range(9)])],
            "ecs.fargate.services.web.sidecars: 9 given, at most 8: ECS allows 10 containers per "
            "task definition",
        ),
        (
            [_web(secrets={f"S{i}": {"secrets_manager_name": f"s{i}"} for i in range(41)})],
            "ecs.fargate.services.web.secrets: 41 distinct secrets, at most 40: each adds to the "
            "execution role's policy",
        ),
        (
            [_web(sidecars=[{"name": "p", "image": {"uri": "a:1"}, "port": 8080}])],
            "ecs.fargate.services.web.sidecars.0.name: 'p' is not a sidecar name",
        ),
        (
            [_web(sidecars=[{"name": "px", "image": {"uri": "a:1"}, "port": 8080}])],
            "sidecars: ports [8080, 8080] (the app's first) must differ",
        ),
        (
            [_web(container_port=4318, sidecars=[{"name": "otel", "preset": "otel-collector"}])],
            "sidecars.otel: the otel-collector preset listens on 4317, 4318, 13133 in the task, "
            "and 4318 is the app's container_port; allowed: another port",
        ),
        (
            [
                _web(
                    sidecars=[
                        {"name": "log", "preset": "firelens"},
                        {"name": "px", "image": {"uri": "a:1"}, "port": 24224},
                    ]
                )
            ],
            "sidecars.log: the firelens preset listens on 24224 in the task, and 24224 is a "
            "sidecar's port",
        ),
        ([_web(depends_on={"nope": "START"})], "depends_on: 'nope' is not another container"),
        (
            [
                _web(
                    sidecars=[{"name": "px", "image": {"uri": "a:1"}}], depends_on={"px": "HEALTHY"}
                )
            ],
            "depends_on.px: HEALTHY needs a health_check on sidecar 'px'",
        ),
        (
            [
                _web(
                    sidecars=[{"name": "migrate", "image": {"uri": "a:1"}}],
                    depends_on={"migrate": "SUCCESS"},
                )
            ],
            "depends_on.migrate: SUCCESS waits for a container to exit, which ECS allows only for "
            "a non-essential one; allowed: START or HEALTHY, or sidecars.migrate.essential false",
        ),
        (
            [
                _web(
                    sidecars=[
                        {"name": "px", "image": {"uri": "a:1"}, "depends_on": {"app": "COMPLETE"}}
                    ]
                )
            ],
            "sidecars.px.depends_on.app: COMPLETE waits for a container to exit, which ECS allows "
            "only for a non-essential one; allowed: START or HEALTHY (the app container is always",
        ),
        ([{**JOB, "schedule": {"expression": "cron(0 24 * * ? *)"}}], "hours '24': 24 is out of"),
        (
            [
                _web(
                    sidecars=[
                        {"name": "px", "image": {"uri": "a:1"}, "depends_on": {"app": "START"}}
                    ],
                    depends_on={"px": "START"},
                )
            ],
            "depends_on: the containers wait for each other (app -> px -> app)",
        ),
        # queues, schedules, send_to
        (
            [
                {
                    **WORKER,
                    "queue": {"arn": "arn:aws:sqs:us-east-1:123456789012:q", "retention_days": 2},
                }
            ],
            "services.jobs.queue.retention_days: settings of a queue the worker owns",
        ),
        ([{**WORKER, "queue": {"arn": "q"}}], "queue.arn: 'q' is not an SQS queue ARN"),
        (
            [{**WORKER, "queue": {"kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k"}}],
            "services.jobs.queue.kms_key_arn: only with arn",
        ),
        (
            [{**WORKER, "queue": {"arn": "arn:aws:sqs:eu-west-1:123456789012:q"}}],
            "ecs.fargate.services.jobs.queue.arn: in eu-west-1; allowed: the environment's region",
        ),
        ([{**JOB, "schedule": {"expression": "every day"}}], "'every day' is not rate(VALUE UNIT)"),
        ([{**JOB, "schedule": {"expression": "rate(1 days)"}}], "the unit is singular for 1"),
        ([{**JOB, "schedule": {"expression": "cron(0 3 * * * *)"}}], "exactly one of day-of-month"),
        ([{**JOB, "schedule": {"expression": "cron(0 3 * *)"}}], "a cron expression has 6 fields"),
        (
            [{**JOB, "schedule": {"expression": "rate(1 hour)", "time_zone": "Mars/Olympus"}}],
            "schedule.time_zone: 'Mars/Olympus' is not an IANA time zone",
        ),
        (
            [{**JOB, "schedule": {"expression": "rate(1 hour)", "retry_attempts": 186}}],
            "schedule.retry_attempts: 186 is not allowed; allowed: 0 to 185",
        ),
        (
            [{**JOB, "schedule": {"expression": "rate(1 hour)", "flexible_window_minutes": 0}}],
            "schedule.flexible_window_minutes: 0 is not allowed; allowed: 1 to 1440",
        ),
        ([_web(send_to=["nobody"])], "services.web.send_to: 'nobody' is not a worker of this"),
        ([_web(send_to=["orders"]), BACKEND], "'orders' is not a worker of this cluster"),
        (
            [{**WORKER, "send_to": ["jobs2"]}, {**WORKER, "name": "jobs2", "send_to": ["jobs"]}],
            "send_to: workers jobs -> jobs2 -> jobs send to each other's queues",
        ),
        ([_web(send_to=["jobs", "jobs"]), WORKER], "send_to: ['jobs', 'jobs']: each worker once"),
    ],
)
def test_bad_input_names_the_field_and_what_is_allowed(
    services: list[dict[str, Any]], message: str
) -> None:
    assert message in _error(*services)


def test_ephemeral_storage_is_refused_on_ec2() -> None:
    assert "ecs.ec2.services.web.ephemeral_storage_gib: a Fargate setting" in _error(
        _web(ephemeral_storage_gib=30), cluster="ec2"
    )


def test_workers_are_built_before_their_senders() -> None:
    services = _load(
        {**WORKER, "name": "a-first", "send_to": ["z-last"]},
        {**WORKER, "name": "z-last"},
        {**JOB, "send_to": ["a-first"]},
        BACKEND,
        _web(),
    )
    order = [service.name for service in build_order(services)]
    assert order == ["orders", "z-last", "a-first", "report"]  # web services: services-N stacks


def test_a_worker_may_send_to_its_own_queue() -> None:
    (worker,) = _load({**WORKER, "send_to": ["jobs"]})
    assert worker.send_to == ["jobs"]


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("rate(5 minutes)", None),
        ("rate(1 minute)", None),
        ("cron(0/15 8-17 ? * MON-FRI *)", None),
        ("cron(0 3 L * ? 2027)", None),
        ("at(2027-01-01T00:00:00)", "is not rate(VALUE UNIT)"),
        ("rate(0 minutes)", "is not rate(VALUE UNIT)"),
        (
            "@daily",
            "is not rate(VALUE UNIT) or cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK "
            "YEAR); @daily is cron(0 0 * * ? *)",
        ),
        ("cron(0 3 ? * ? *)", "exactly one of day-of-month"),
        # Each field's values and wildcards (EventBridge's cron table, container_constructs/
        # checks.py): what EventBridge takes passes, what it refuses is refused here first.
        ("cron(0 10 ? * 6L 2026-2030)", None),
        ("cron(0 10 ? * 3#2 *)", None),
        ("cron(0 3 15W * ? *)", None),
        ("cron(0 3 LW * ? *)", None),
        ("cron(*/5 * * JAN,FEB ? *)", None),
        ("cron(0 9 ? JUL-DEC L *)", None),
        ("cron(60 3 * * ? *)", "minutes '60': 60 is out of range; allowed: 0-59"),
        ("cron(0 24 * * ? *)", "hours '24': 24 is out of range; allowed: 0-23"),
        ("cron(0 3 32 * ? *)", "day-of-month '32': 32 is out of range; allowed: 1-31"),
        ("cron(0 3 * 13 ? *)", "month '13': 13 is out of range; allowed: 1-12 or JAN-DEC"),
        ("cron(0 3 ? * 8 *)", "day-of-week '8': 8 is out of range; allowed: 1-7 or SUN-SAT"),
        ("cron(0 3 * * ? 1969)", "year '1969': 1969 is out of range; allowed: 1970-2199"),
        ("cron(0 3 * FOO ? *)", "month 'FOO': 'FOO' is not a value"),
        ("cron(? 3 * * ? *)", "minutes '?': ? is not allowed here"),
        ("cron(0 3 * L ? *)", "month 'L': 'L' is not a value"),
        ("cron(0/0 3 * * ? *)", "the increment after / is a positive number"),
        ("cron(0 3 ? * 3#6 *)", "the week after # is 1-5"),
        ("cron(0 3 ? * MON#2,TUE *)", "with # the field holds one expression"),
    ],
)
def test_schedule_expressions(expression: str, problem: str | None) -> None:
    found = checks.schedule_expression_problem(expression)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_each_crontab_shorthand_suggested_is_an_expression_scheduler_takes() -> None:
    from container_constructs import checks

    for shorthand, expression in checks._CRON_ALIASES.items():
        assert checks.schedule_expression_problem(expression) is None, shorthand
        assert f"; {shorthand} is {expression}" in (
            checks.schedule_expression_problem(shorthand) or ""
        )
