"""Field checks shared by the constructs (where one must check its own props) and the platform's
config validators (`platform_config`), each rule written once: log retention, CIDR blocks,
ports, users, repository names, limits of ECS, SQS and EventBridge Scheduler. ARNs, regions and
account ids are `value_formats`.

Standard library only: loading a config never loads aws-cdk-lib. The config field or construct a
message names is added where the check is made.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import Final

# A Secrets Manager secret name (secrets_manager_name: a secret of the stack's account/region).
SECRETS_MANAGER_SECRET_NAME: Final = re.compile(r"^[\w/+=.@-]{1,512}$", re.ASCII)


# An ECS service's name in the config (it becomes its construct ids: stacks.names).
SERVICE_NAME: Final = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")


# The values CloudWatch Logs accepts for RetentionInDays (never-expire excluded: every log
# group of the platform has a retention).
LOG_RETENTION_DAYS: Final = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip


def check_retention_days(days: int) -> int:
    """`days`, or ValueError listing the retentions CloudWatch Logs accepts."""
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(value) for value in LOG_RETENTION_DAYS)
        raise ValueError(f"{days} is not a CloudWatch Logs retention; allowed: {allowed}")
    return days


def ipv4_network(cidr: str, *, example: str) -> ipaddress.IPv4Network:
    """`cidr` as a network (host bits zero), or ValueError naming `example` of a valid one. A
    bare address is refused too: the template would carry it as written, not as a CIDR."""
    if "/" not in cidr:
        raise ValueError(
            f"'{cidr}' is not an IPv4 network in CIDR notation such as {example} (one address "
            f"is {cidr}/32)"
        )
    try:
        return ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as error:
        raise ValueError(
            f"'{cidr}' is not an IPv4 network in CIDR notation such as {example} ({error})"
        ) from None


# The VPC sizes and AZ counts the Network construct's subnet layout is computed (and
# exhaustively tested) for.
VPC_PREFIX_RANGE: Final = (16, 20)
AVAILABILITY_ZONES_RANGE: Final = (2, 6)


def foreign_zones(zones: Iterable[str], region: str) -> list[str]:
    """The names in `zones` that are not an availability zone of `region` (the region's name and
    one letter: us-east-1a); EC2 refuses a subnet in another region's zone when it is created."""
    pattern = re.compile(rf"^{re.escape(region)}[a-z]$")
    return [zone for zone in zones if not pattern.match(zone)]


# The ports a non-root process may listen on: a container port, and what an ALB sends to.
UNPRIVILEGED_PORTS: Final = (1024, 65535)
# Ports the platform's sidecar presets listen on in the task's network namespace (which every
# container of the task shares, so no other may bind them): the OpenTelemetry collector's OTLP
# receivers (gRPC, HTTP; sidecars.otel_collector_config) and its health_check extension (the
# collector's default endpoint, 13133), and FireLens's forward input ("FireLens listens on port
# 24224", Amazon ECS developer guide, "Example Amazon ECS task definition: Route logs to
# FireLens", read 2026-12-04).
OTEL_OTLP_GRPC_PORT: Final = 4317
OTEL_OTLP_HTTP_PORT: Final = 4318
SIDECAR_PRESET_PORTS: Final = {
    "otel-collector": (OTEL_OTLP_GRPC_PORT, OTEL_OTLP_HTTP_PORT, 13133),
    "firelens": (24224,),
}

# Container definitions per task definition: 10, not adjustable (Amazon ECS developer guide,
# "Amazon ECS service quotas", Containers per task definition; RegisterTaskDefinition refuses an
# 11th, and neither the resource schema nor cfn-lint bounds ContainerDefinitions). A service's
# task holds its app, its sidecars and, where the app's scratch paths are task volumes handed to
# a non-root user (Fargate), the volume-permissions init container: the config keeps room for all.
MAX_CONTAINERS_PER_TASK_DEFINITION: Final = 10
MAX_SIDECARS: Final = MAX_CONTAINERS_PER_TASK_DEFINITION - 2

# Managed policies attached to one IAM role: 10 by default, adjustable (IAM user guide, "IAM and AWS
# STS quotas", IAM object quotas: "Managed policies attached to an IAM role", default 10,
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html, read 2026-12-04;
# checked against the default, as the ALB quotas are). aws-cdk-lib moves the statements of a role's
# default policy past IAM's 10,240-character inline quota into managed policies (OverflowPolicyN,
# attached by the policy's Roles, which cdk-preflight's pf-iam-managed-policy-count does not count,
# and it allows 25), and only warns past 10: AttachRolePolicy refuses the 11th midway through the
# deploy. A service's secrets each add statements to its execution role's policy: MAX_SECRETS
# distinct parameters of the longest name the config takes (SSM's 1,011 characters), each with a
# key of its own, need 8 such policies (tests/test_ecs_secrets.py synthesizes them).
MANAGED_POLICIES_PER_ROLE: Final = 10
MAX_SECRETS: Final = 40

# An EKS cluster's subnets span at least two Availability Zones (Amazon EKS user guide, "View
# Amazon EKS networking requirements for VPC and subnets": "subnets in at least two different
# Availability Zones").
MIN_CLUSTER_ZONES: Final = 2


def distinct_cluster_zones(zones: Sequence[str]) -> bool:
    """Whether `zones` (an EKS control plane's) are at least MIN_CLUSTER_ZONES, none twice."""
    return len(set(zones)) == len(zones) >= MIN_CLUSTER_ZONES


# A numeric uid[:gid]: the volume-permissions init container chowns to it in an image without
# the app's passwd entries.
NUMERIC_USER: Final = re.compile(r"^[0-9]+(:[0-9]+)?$")


def runs_as_root(user: str) -> bool:
    """Whether a container `user` (uid[:gid] or a name) is root: uid 0, `root` or no uid."""
    return user.split(":", 1)[0] in {"", "0", "root"}


# ECS Exec on EC2: the ECS agent bind-mounts this path itself (container_constructs/
# task_volumes.py says where in its source); a task volume there too makes Docker refuse the
# container ("Duplicate mount point").
EXEC_AGENT_BIND_PATHS_EC2: Final = ("/var/log/amazon/ssm",)


def exec_bind_mount_clashes(
    *, launch_type: str, writable_paths: Iterable[str], enable_execute_command: bool
) -> list[str]:
    """The `writable_paths` at which the launch type's ECS agent mounts a directory itself for
    ECS Exec (none on Fargate, or without ECS Exec), sorted."""
    if not enable_execute_command or launch_type == "fargate":  # EC2, Managed Instances: the agent
        return []
    return sorted(set(writable_paths) & set(EXEC_AGENT_BIND_PATHS_EC2))


# ECR's repository name grammar: lowercase path components of alphanumerics joined by single
# `.`, `_` or `-` separators, components separated by `/`, 2-256 characters in all.
ECR_REPOSITORY_NAME: Final = re.compile(
    r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"
)
ECR_REPOSITORY_NAME_LENGTH: Final = (2, 256)


def is_repository_name(name: str) -> bool:
    """Whether ECR accepts `name` as a repository name."""
    shortest, longest = ECR_REPOSITORY_NAME_LENGTH
    return shortest <= len(name) <= longest and bool(ECR_REPOSITORY_NAME.match(name))


# The pinned machine image of an ECS EC2 cluster (container_constructs/machine_images.py): an
# ECS-optimized AL2023 release as its AMI names spell it (al2023-ami-ecs-hvm-<release>-kernel-6.1-
# <arch>), or a Bottlerocket version as its SSM parameters spell it.
MACHINE_IMAGE_VERSION: Final = {
    "al2023": re.compile(r"^2023\.0\.[0-9]{8}$"),
    "bottlerocket": re.compile(r"^1\.[0-9]{1,3}\.[0-9]{1,3}$"),
}
MACHINE_IMAGE_VERSION_EXAMPLE: Final = {"al2023": "2023.0.20260922", "bottlerocket": "1.61.0"}

# An image digest as registries name images (the sha256 of the manifest or index).
IMAGE_DIGEST: Final = re.compile(r"^sha256:[0-9a-f]{64}$")

# The ports only root (or a binary with the file capability cap_net_bind_service) may listen on;
# ECS gives a non-root process no way to bind them (aws/containers-roadmap#1721).
PRIVILEGED_PORTS: Final = (1, 1023)

# A container environment variable name (letters, digits and '_', not starting with a digit).
ENVIRONMENT_VARIABLE_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# ECS container health check limits (ECS API reference, HealthCheck, read 2026-12-05:
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html). The timeout:
# the API reference says 2-120 s, the task definition parameters page 2-60 s, and
# RegisterTaskDefinition refuses more than 60 (cdk-preflight 1.9.1's pf-ecs-healthcheck-timeout-
# range, reproduced against ECS); the platform takes 2-60.
HEALTH_CHECK_INTERVAL_RANGE: Final = (5, 300)
HEALTH_CHECK_TIMEOUT_RANGE: Final = (2, 60)
HEALTH_CHECK_RETRIES_RANGE: Final = (1, 10)
HEALTH_CHECK_START_PERIOD_RANGE: Final = (0, 300)
# Container stop timeout: "the max stop timeout value is 120 seconds" on Fargate (ECS API
# reference, ContainerDefinition.stopTimeout, read 2026-12-05); the platform keeps that limit on
# EC2 too, so a service can move between the clusters.
STOP_TIMEOUT_RANGE: Final = (2, 120)
# Fargate task ephemeral storage: "the minimum supported value is 21 GiB and the maximum
# supported value is 200 GiB" (ECS API reference, EphemeralStorage, read 2026-12-05).
EPHEMERAL_STORAGE_GIB_RANGE: Final = (21, 200)

# ECS managed scaling's target capacity of an Auto Scaling group capacity provider, percent (ECS API
# reference, ManagedScaling.targetCapacity: "greater than 0 and less than or equal to 100").
TARGET_CAPACITY_PERCENT_RANGE: Final = (1, 100)

# SQS (Amazon SQS API reference, SetQueueAttributes and RedrivePolicy, read 2026-12-05); the
# queue ARN is value_formats.SQS_QUEUE_ARN.
QUEUE_MAX_RECEIVE_COUNT_RANGE: Final = (1, 1000)
QUEUE_VISIBILITY_TIMEOUT_RANGE: Final = (0, 43200)  # 12 hours
QUEUE_RETENTION_DAYS_RANGE: Final = (1, 14)  # 60 s to 1,209,600 s, in whole days here

# EventBridge Scheduler (AWS::Scheduler::Schedule RetryPolicy and FlexibleTimeWindow, CloudFormation
# resource reference, read 2026-12-05).
SCHEDULE_RETRY_ATTEMPTS_RANGE: Final = (0, 185)
SCHEDULE_MAX_EVENT_AGE_RANGE: Final = (60, 86400)
SCHEDULE_FLEXIBLE_WINDOW_MINUTES_RANGE: Final = (1, 1440)
# Schedule types of EventBridge Scheduler ("Schedule types on EventBridge Scheduler", user guide,
# read 2026-12-05): rate(value unit) with a positive whole value and minute(s), hour(s) or day(s)
# (singular for 1), and cron(minutes hours day-of-month month day-of-week year) where one of the two
# day fields is '?'. One-time at(...) schedules are not offered (a job recurs).
_RATE = re.compile(r"^rate\((?P<value>[1-9][0-9]*) (?P<unit>minutes?|hours?|days?)\)$")
_CRON = re.compile(r"^cron\((?P<fields>[^()]+)\)$")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?,/#L W-]+$")
# Each cron field's values and wildcards (EventBridge user guide, "Cron expressions",
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html, read
# 2026-12-04; the syntax Scheduler's cron() takes): name, lowest, highest, value names (from the
# lowest), wildcards. L and W are day wildcards, # the nth weekday of the month (1-5).
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_CRON_FIELDS: Final = (
    ("minutes", 0, 59, (), ",-*/"),
    ("hours", 0, 23, (), ",-*/"),
    ("day-of-month", 1, 31, (), ",-*?/LW"),
    ("month", 1, 12, _MONTHS, ",-*/"),
    ("day-of-week", 1, 7, _WEEKDAYS, ",-*?L#"),
    ("year", 1970, 2199, (), ",-*/"),
)


def _cron_field_problem(field: tuple[str, int, int, tuple[str, ...], str], text: str) -> str | None:
    """Why `text` is not a value of cron `field` (a value out of range, a wildcard it does not
    take), or None."""
    name, low, high, names, wildcards = field
    allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
    for word in re.findall("[A-Z]+", text):
        if word not in names and not set(word) <= set(wildcards) & {"L", "W"}:
            return f"{name} '{text}': '{word}' is not a value; allowed: {allowed}"
    used = set(re.sub("[0-9A-Z]", "", text))
    if not used <= set(wildcards):
        other = "".join(sorted(used - set(wildcards)))
        return f"{name} '{text}': {other} is not allowed here; allowed wildcards: {wildcards}"
    if "#" in text and "," in text:
        return f"{name} '{text}': with # the field holds one expression (no ,)"
    for item in text.split(","):
        value, slash, step = item.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            return f"{name} '{text}': the increment after / is a positive number"
        value, hash_, nth = value.partition("#")
        if hash_ and nth not in {"1", "2", "3", "4", "5"}:
            return f"{name} '{text}': the week after # is 1-5"
        for part in value.split("-"):
            if part in {"*", "?"} or (part in {"L", "LW"} and set(part) <= set(wildcards)):
                continue
            suffixed = len(part) > 1 and part[-1] in {"L", "W"} and part[-1] in wildcards
            number = part[:-1] if suffixed else part
            if number in names:
                continue
            if not number.isdigit():
                return f"{name} '{text}': '{part}' is not a value; allowed: {allowed}"
            if not low <= int(number) <= high:
                return f"{name} '{text}': {number} is out of range; allowed: {allowed}"
    return None


# crontab's shorthands, which EventBridge Scheduler does not take, as its cron expressions (UTC
# unless the schedule's time zone says otherwise).
_CRON_ALIASES = {
    "@hourly": "cron(0 * * * ? *)",
    "@daily": "cron(0 0 * * ? *)",
    "@midnight": "cron(0 0 * * ? *)",
    "@weekly": "cron(0 0 ? * SUN *)",
    "@monthly": "cron(0 0 1 * ? *)",
    "@yearly": "cron(0 0 1 1 ? *)",
    "@annually": "cron(0 0 1 1 ? *)",
}


def schedule_expression_problem(expression: str) -> str | None:
    """Why `expression` is not a recurring EventBridge Scheduler expression, or None."""
    rate = _RATE.match(expression)
    if rate is not None:
        singular = rate.group("value") == "1"
        if singular != (not rate.group("unit").endswith("s")):
            return (
                f"'{expression}': the unit is singular for 1 and plural otherwise "
                "(rate(1 day), rate(5 minutes))"
            )
        return None
    cron = _CRON.match(expression)
    if cron is None:
        alias = _CRON_ALIASES.get(expression.strip().lower())
        return (
            f"'{expression}' is not rate(VALUE UNIT) or cron(MINUTES HOURS DAY-OF-MONTH MONTH "
            "DAY-OF-WEEK YEAR)" + (f"; {expression} is {alias}" if alias else "")
        )
    fields = cron.group("fields").split()
    if len(fields) != 6 or not all(_CRON_FIELD.match(field) for field in fields):
        return (
            f"'{expression}': a cron expression has 6 fields (minutes hours day-of-month month "
            "day-of-week year) of digits, names and , - * ? / L W #"
        )
    if (fields[2] == "?") == (fields[4] == "?"):
        return f"'{expression}': exactly one of day-of-month and day-of-week must be '?'"
    for field, text in zip(_CRON_FIELDS, fields, strict=True):
        if problem := _cron_field_problem(field, text.upper()):
            return f"'{expression}': {problem}"
    return None


_TIME_ZONE = re.compile(r"^(?:UTC|[A-Za-z]+(?:[/_+-][A-Za-z0-9]+)*)$")


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone (as EventBridge Scheduler takes them): one of the
    system's zoneinfo database when it has one, else a name of that shape."""
    import zoneinfo

    known = zoneinfo.available_timezones()
    return name in known if known else bool(_TIME_ZONE.match(name))


# A stated reason (an exception to the hardening): at least a sentence, the same bar as the
# reason of any acknowledgement (tests/helpers/acknowledgements.py).
REASON_MIN_CHARACTERS: Final = 40
REASON_MIN_WORDS: Final = 6


def reason_problem(reason: str) -> str | None:
    """Why `reason` is too short to explain anything, or None."""
    text = reason.strip()
    if len(text) < REASON_MIN_CHARACTERS or len(text.split()) < REASON_MIN_WORDS:
        return (
            f"'{text}' is not a reason; allowed: a sentence of at least {REASON_MIN_WORDS} "
            f"words and {REASON_MIN_CHARACTERS} characters saying why the service needs it"
        )
    return None


def tenths_problem(value: float, *, low: float, high: float = 100.0) -> str | None:
    """What is wrong with a percentage CloudFormation wants in tenths (ECS CanaryPercent and
    LinearConfiguration.StepPercent: `multipleOf: 0.1`), None when it is fine.

    Besides the range and the tenths, the value must pass that check as cfn-lint makes it
    (cfnlint/jsonschema/_keywords.py `multipleOf`, 1.58.0): it divides in binary floating
    point and wants a whole quotient, so 33.3 (33.3 / 0.1 = 332.99999999999994) fails E3002
    and `make synth` refuses the template. About a third of the tenths fail; no whole number
    does. Refused here, with the nearest values it accepts, instead of in the linted synth.
    """
    if not low <= value <= high or round(value * 10) != value * 10:
        return f"allowed: {low} to {high} in steps of 0.1 (ECS)"
    if _lint_multiple_of_tenth(value):
        return None
    tenths, accepted = round(value * 10), _lint_multiple_of_tenth
    below = next(t for t in range(tenths, round(low * 10) - 1, -1) if accepted(t / 10))
    above = next(t for t in range(tenths, round(high * 10) + 1) if accepted(t / 10))
    return (
        f"allowed: {low} to {high} in steps of 0.1 that cfn-lint's multipleOf check accepts "
        f"(it divides in binary floating point: {value} / 0.1 = {value / 0.1!r}, E3002); "
        f"nearest accepted: {below / 10} or {above / 10}"
    )


def _lint_multiple_of_tenth(value: float) -> bool:
    quotient = value / 0.1
    return int(quotient) == quotient
