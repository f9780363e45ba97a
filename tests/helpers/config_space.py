"""Hypothesis strategies over the platform's configuration space.

A drawn value is a complete environment (every section given), written as the overrides a user
would merge over the sandbox without a config of record (so no other service): the same object
reproduces the example with `make synth CONFIG=<an empty directory> OVERRIDES=FILE.json`.
Enumerations and limits are read from the config models (Literal types, tables, bounds), so a new
option there is drawn here too; routes are drawn as ELB allows them (listener_rules.py).

The strategies aim at configs that validate, but do not promise it: the property test loads each
one through `load_config` and counts rejections, so a rule added to the models narrows the space
the test explores without making it fail.
"""

from __future__ import annotations

import ipaddress
import typing
from typing import Any

from hypothesis import strategies as st

from container_constructs import checks
from container_constructs.checks import LOG_RETENTION_DAYS
from container_constructs.eks_versions import ADDON_DEFAULTS, DEFAULT_ADDONS, REQUIRED_ADDONS
from platform_config.ecs import CapacityProviderShare, Ec2ClusterConfig
from platform_config.ecs_capacity import FARGATE_MEMORY_BY_CPU
from platform_config.eks import (
    CREATABLE_KUBERNETES_VERSIONS,
    KNOWN_KUBERNETES_VERSIONS,
    KUBECTL_LAYER_PACKAGES,
    ComputeConfig,
    EksConfig,
    EndpointConfig,
    NamespaceAccessConfig,
)
from platform_config.instance_capacity import INSTANCE_CAPACITY
from platform_config.listener_rules import MAX_VALUE_LENGTH, WILDCARDS_PER_RULE
from platform_config.registry import PullThroughCacheConfig, RegistryConfig

Raw = dict[str, Any]

REGIONS = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
)
# Instance types by architecture, small to large (the EC2 cluster and the EKS node groups).
X86_TYPES = (
    "t3.small",
    "t3.medium",
    "t3a.medium",
    "m5.large",
    "m6i.large",
    "c6i.large",
    "m7i.large",
)
ARM_TYPES = ("t4g.small", "t4g.medium", "m6g.large", "m7g.large", "c7g.large", "r7g.large")
PINNED_DIGEST = "sha256:" + "0123456789abcdef" * 4
PUBLIC_IMAGES = (
    "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
    "public.ecr.aws/docker/library/httpd:2.4-alpine",
    "ghcr.io/example/app:1.0.0",
)
RETENTION = st.sampled_from(LOG_RETENTION_DAYS)
EXCEPTION_REASON = "The legacy image binds its port as root and writes under /etc at start"
# Options a valid config rarely takes (the validator refuses most of their combinations): drawn
# about one time in eight, so most examples validate and are synthesized.
MOSTLY_TRUE = st.sampled_from((True,) * 7 + (False,))
# Mostly ASCII account ids; now and then one with other Unicode digits (\d matches them: the
# validator must refuse them, as it once did not).
ACCOUNT = MOSTLY_TRUE.flatmap(
    lambda ascii_only: (
        st.integers(10**11, 10**12 - 1).map(str)
        if ascii_only
        else st.from_regex(r"\A[1-9]\d{11}\Z")
    )
)


def _literal(model: type[Any], field: str) -> tuple[Any, ...]:
    """The allowed values of a `Literal[...]` field of a config model."""
    return typing.get_args(model.model_fields[field].annotation)


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{index}" for index in range(1, count + 1)]


@st.composite
def networks(draw: st.DrawFn, region: str) -> Raw:
    """A VPC anywhere in the private ranges, /16 to /20, with 2-6 zones of `region`."""
    prefix = draw(st.integers(16, 20))
    block = ipaddress.IPv4Network(draw(st.sampled_from(("10.0.0.0/8", "172.16.0.0/12"))))
    candidates = 2 ** (prefix - block.prefixlen)
    index = draw(st.integers(0, candidates - 1))
    vpc = ipaddress.IPv4Network((int(block.network_address) + index * 2 ** (32 - prefix), prefix))
    letters = draw(st.lists(st.sampled_from("abcdef"), min_size=2, max_size=6, unique=True))
    zones = [f"{region}{letter}" for letter in sorted(letters)]
    return {
        "vpc_cidr": str(vpc),
        "availability_zones": zones,
        "nat_gateways": draw(st.integers(1, len(zones)) if draw(MOSTLY_TRUE) else st.just(0)),
        "vpc_endpoints": draw(st.booleans()),
        "flow_log_retention_days": draw(RETENTION),
    }


@st.composite
def registries(draw: st.DrawFn, region: str) -> Raw:
    names = draw(
        st.lists(
            st.sampled_from(("sample-app", "team/web", "api", "batch.worker", "a1")),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    repositories = [
        {
            "name": name,
            "tag_immutability": draw(MOSTLY_TRUE),
            "scan_on_push": draw(MOSTLY_TRUE),
            "lifecycle": {
                "untagged_image_expiry_days": draw(st.integers(1, 90)),
                "max_image_count": draw(st.integers(1, 1000)),
            },
        }
        for name in names
    ]
    cache = draw(
        st.none()
        | st.fixed_dictionaries(
            {
                "upstream": st.sampled_from(_literal(PullThroughCacheConfig, "upstream")),
                "repository_prefix": st.sampled_from(("ecr-public", "mirror", "k8s.io")),
            }
        )
    )
    trusted = draw(st.lists(ACCOUNT, max_size=2, unique=True))
    return {
        "repositories": repositories,
        "kms_encryption": draw(st.booleans()),
        "enhanced_scanning": draw(st.sampled_from(_literal(RegistryConfig, "enhanced_scanning"))),
        "cross_account_pull_accounts": draw(st.lists(ACCOUNT, max_size=2, unique=True)),
        "replication_regions": draw(
            st.lists(st.sampled_from([r for r in REGIONS if r != region]), max_size=2, unique=True)
        ),
        "pull_through_cache": cache,
        "ci_publisher": {
            "enabled": draw(st.booleans()),
            "trusted_role_arns": [f"arn:aws:iam::{account}:role/ci-runner" for account in trusted],
        },
    }


@st.composite
def images(draw: st.DrawFn, repositories: list[str]) -> Raw:
    use_repository: bool = bool(repositories) and draw(st.booleans())
    if use_repository:
        return {
            "repository": draw(st.sampled_from(repositories)),
            "tag": draw(st.sampled_from(("v1", "1.2.3", "latest-abc"))),
        }
    uri = draw(st.sampled_from(PUBLIC_IMAGES))
    # Images on public.ecr.aws are pulled through the default pull-through cache, pinned by
    # digest (the digest only has to be well formed here: nothing is pulled).
    digest = draw(st.sampled_from((PINNED_DIGEST,))) if uri.startswith("public.ecr.aws/") else None
    return {"uri": uri, **({"digest": digest} if digest else {})}


@st.composite
def secrets(draw: st.DrawFn, region: str, account: str) -> Raw:
    """0-3 secrets of every kind, some with a JSON key or a customer-managed key."""
    other_region = draw(st.sampled_from(REGIONS))
    kinds = {
        "secrets_manager_arn": (
            f"arn:aws:secretsmanager:{other_region}:{account}:secret:db/main-AbC123"
        ),
        "secrets_manager_name": "app/token",
        "ssm_parameter_arn": f"arn:aws:ssm:{region}:{account}:parameter/app/api-key",
    }
    drawn: Raw = {}
    for variable in draw(st.lists(st.sampled_from(("DB", "TOKEN", "API_KEY")), unique=True)):
        kind = draw(st.sampled_from(sorted(kinds)))
        secret: Raw = {kind: kinds[kind]}
        if kind != "ssm_parameter_arn" and draw(st.booleans()):
            secret["json_key"] = "password"
        if draw(st.booleans()):
            key_region = other_region if kind == "secrets_manager_arn" else region
            secret["kms_key_arn"] = f"arn:aws:kms:{key_region}:{account}:key/1234abcd-12ab"
        drawn[variable] = secret
    return drawn


# Path-pattern and host-header values as ELB allows them (platform_config/listener_rules.py):
# characters of every class it lists, both wildcards, lengths up to its 128.
PATH_SEGMENT = st.text(alphabet="abcXYZ019_-.$~\"'@:+", min_size=1, max_size=8)
HOST_LABEL = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True)


@st.composite
def path_patterns(draw: st.DrawFn, name: str) -> str:
    """A path pattern under /<name>/ (so no two services' patterns cover each other unless
    drawn to), sometimes with wildcards, now and then as long as ELB allows."""
    segments = draw(st.lists(PATH_SEGMENT, max_size=3))
    tail = draw(st.sampled_from(("*", "", "?", "v?/*")))
    pattern = "/".join(["", name, *segments]) + ("/" + tail if tail else "")
    if draw(st.integers(0, 15)) == 0:  # the longest ELB takes
        pattern = (pattern + "x" * MAX_VALUE_LENGTH)[:MAX_VALUE_LENGTH]
    return pattern


@st.composite
def host_headers(draw: st.DrawFn, name: str) -> str:
    """A host header of <name> (a wildcard subdomain now and then), with letters only after the
    last dot, as ELB requires."""
    labels = draw(st.lists(HOST_LABEL, max_size=2))
    first = draw(st.sampled_from((name, f"*.{name}", f"{name}-?")))
    return ".".join([first, *labels, draw(st.sampled_from(("example", "test"))), "com"])


@st.composite
def routes(draw: st.DrawFn, name: str, priority: int) -> Raw:
    """A route within ELB's limits for one rule: 0-3 paths and 0-3 hosts (at least one value, at
    most 5 in all, at most 5 wildcard characters); sometimes the catch-all /*, which leaves every
    later route of its ALB unreachable (the validator refuses those)."""
    route: Raw = {"priority": priority}
    if draw(st.integers(0, 9)) == 0:
        route["paths"] = ["/*"]
        return route
    paths = draw(st.lists(path_patterns(name), max_size=3, unique=True))
    hosts = draw(st.lists(host_headers(name), max_size=5 - len(paths), unique=True))[:3]
    if not paths and not hosts:
        paths = [f"/{name}/*"]
    wildcards = sum(value.count("*") + value.count("?") for value in (*paths, *hosts))
    if wildcards > WILDCARDS_PER_RULE.limit:
        paths, hosts = [f"/{name}/*"], []
    if paths:
        route["paths"] = paths
    if hosts:
        route["hosts"] = hosts
    return route


@st.composite
def releases(draw: st.DrawFn) -> Raw:
    """A release strategy with its settings; bakes as short as 0 minutes (which the config
    refuses for the blue/green family: they must cover the alarms' window)."""
    strategy = draw(st.sampled_from(("rolling", "blue_green", "canary", "linear")))
    release: Raw = {"strategy": strategy, "bake_time_minutes": draw(st.integers(0, 6))}
    if strategy == "canary" and draw(st.booleans()):
        release["canary_percent"] = draw(st.integers(1, 1000)) / 10
    if strategy == "linear" and draw(st.booleans()):
        release["linear_step_percent"] = draw(st.integers(30, 1000)) / 10
    if strategy in ("canary", "linear") and draw(st.booleans()):
        release["step_bake_minutes"] = draw(st.integers(0, 6))
    return release


@st.composite
def alarm_thresholds(draw: st.DrawFn) -> Raw:
    return {
        "target_5xx_percent": draw(st.sampled_from((1.0, 5.0, 25.5))),
        "target_5xx_min_requests": draw(st.integers(1, 100)),
        "p99_response_seconds": draw(st.sampled_from((0.5, 2.0, 10.0))),
        "unhealthy_targets": draw(st.integers(1, 3)),
        "cpu_percent": draw(st.integers(50, 100)),
        "memory_percent": draw(st.integers(50, 100)),
        "evaluation_periods": draw(st.integers(1, 5)),
    }


@st.composite
def operations(draw: st.DrawFn) -> Raw:
    section: Raw = {
        "alarm_emails": draw(
            st.lists(st.sampled_from(("ops@example.com", "oncall@example.org")), unique=True)
        )
    }
    if draw(st.booleans()):
        section["release"] = draw(releases())
    return section


@st.composite
def container_settings(
    draw: st.DrawFn, *, cluster: str, user: str, writable_paths: list[str], root: bool
) -> Raw:
    """The container settings every kind shares (platform_config/ecs_container.py), each drawn
    now and then: variables, command, health check, stop timeout, ephemeral storage (Fargate),
    EFS, sidecars (the presets; FireLens's root router only with `root`) and their order."""
    drawn: Raw = {}
    if draw(st.booleans()):
        drawn["environment"] = draw(
            st.dictionaries(
                st.sampled_from(("LOG_LEVEL", "FEATURE_X", "_PORT")),
                st.sampled_from(("info", "1", "")),
                max_size=2,
            )
        )
    if draw(st.integers(0, 3)) == 0:
        drawn["command"] = ["serve", "--verbose"]
    if draw(st.integers(0, 3)) == 0:
        drawn["entrypoint"] = ["/bin/sh", "-c"]
    if draw(st.booleans()):
        interval = draw(st.sampled_from(checks.HEALTH_CHECK_INTERVAL_RANGE))
        drawn["health_check"] = {
            "command": ["CMD-SHELL", "exit 0"],
            "interval_seconds": interval,
            "timeout_seconds": draw(
                st.integers(2, min(interval - 1, checks.HEALTH_CHECK_TIMEOUT_RANGE[1]))
            ),
            "retries": draw(st.integers(*checks.HEALTH_CHECK_RETRIES_RANGE)),
            "start_period_seconds": draw(st.integers(*checks.HEALTH_CHECK_START_PERIOD_RANGE)),
        }
    if draw(st.integers(0, 3)) == 0:
        drawn["stop_timeout_seconds"] = draw(st.integers(*checks.STOP_TIMEOUT_RANGE))
    if cluster == "fargate" and draw(st.integers(0, 3)) == 0:
        drawn["ephemeral_storage_gib"] = draw(st.integers(*checks.EPHEMERAL_STORAGE_GIB_RANGE))
    numeric = checks.NUMERIC_USER.match(user) is not None
    if numeric and "/data" not in writable_paths and draw(st.integers(0, 4)) == 0:
        drawn["efs"] = {"path": "/data"}
        if draw(st.integers(0, 2)) == 0:
            drawn["efs"]["owner"] = "1000:1000"  # the access point apart from `user`
    presets = ["otel-collector", "firelens"] if root else ["otel-collector"]
    sidecars: list[Raw] = []
    for preset in draw(st.lists(st.sampled_from(presets), max_size=1)):
        sidecars.append({"name": preset.replace("-collector", ""), "preset": preset})
    depends_on: dict[str, str] = {}
    if draw(st.integers(0, 4)) == 0:
        proxy: Raw = {
            "name": "proxy",
            "image": {"uri": "public.ecr.aws/docker/library/busybox:1.37"},
            "port": 9901,
            "essential": draw(st.booleans()),
            "environment": {"MODE": "sidecar"},
            "depends_on": {"app": "START"} if draw(st.booleans()) else {},
        }
        sidecars.append(proxy)
        # Waiting for a container to exit: only a non-essential one (ECS).
        if not proxy["essential"] and not proxy["depends_on"] and draw(st.booleans()):
            depends_on["proxy"] = draw(st.sampled_from(("COMPLETE", "SUCCESS")))
    if sidecars:
        drawn["sidecars"] = sidecars
        if sidecars[0]["name"] == "otel" and draw(st.booleans()):
            depends_on["otel"] = "HEALTHY"
    if depends_on:
        drawn["depends_on"] = depends_on
    return drawn


@st.composite
def workloads(
    draw: st.DrawFn, *, cluster: str, region: str, account: str, repositories: list[str]
) -> Raw:
    """0-2 services of the kinds that are not web (backend, worker, job), each with its own
    section, and the exceptions a config may state."""
    drawn: Raw = {}
    for index, kind in enumerate(
        draw(st.lists(st.sampled_from(("backend", "worker", "job")), max_size=2))
    ):
        name = f"{kind}{index}"
        service: Raw = {
            "kind": kind,
            "image": draw(images(repositories)),
            "user": "1000",
            "writable_paths": ["/tmp"],
            "log_retention_days": draw(RETENTION),
        }
        if kind == "backend":
            service["container_port"] = draw(st.sampled_from((8080, 9000)))
            service["scaling"] = {"min_tasks": 1, "max_tasks": draw(st.integers(1, 3))}
        elif kind == "worker":
            minimum = draw(st.integers(0, 1))
            service["scaling"] = {
                "min_tasks": minimum,
                "max_tasks": draw(st.integers(max(minimum, 1), 3)),
                "backlog_per_task": draw(st.integers(1, 100)),
            }
            if draw(st.integers(0, 3)) == 0:
                service["queue"] = {"arn": f"arn:aws:sqs:{region}:{account}:given-{index}"}
            else:
                service["queue"] = {
                    "max_receive_count": draw(st.integers(*checks.QUEUE_MAX_RECEIVE_COUNT_RANGE)),
                    "visibility_timeout_seconds": draw(st.sampled_from((0, 30, 900))),
                    "retention_days": draw(st.integers(*checks.QUEUE_RETENTION_DAYS_RANGE)),
                }
        else:
            service["schedule"] = {
                "expression": draw(
                    st.sampled_from(("rate(1 day)", "rate(15 minutes)", "cron(0 3 * * ? *)"))
                ),
                "time_zone": draw(st.sampled_from(("UTC", "Europe/Berlin", "America/New_York"))),
                "retry_attempts": draw(st.integers(*checks.SCHEDULE_RETRY_ATTEMPTS_RANGE)),
                "flexible_window_minutes": draw(st.none() | st.integers(1, 60)),
            }
        service.update(
            draw(
                container_settings(
                    cluster=cluster, user="1000", writable_paths=["/tmp"], root=False
                )
            )
        )
        drawn[name] = service
    workers = [name for name, s in drawn.items() if s["kind"] == "worker"]
    for service in drawn.values():
        if service["kind"] != "worker" and workers and draw(st.booleans()):
            service["send_to"] = [draw(st.sampled_from(workers))]
    return drawn


@st.composite
def services(
    draw: st.DrawFn,
    *,
    kind: str,
    region: str,
    account: str,
    repositories: list[str],
    groups: tuple[str, ...] = (),
    services_per_stack: int = 10,
    max_count: int = 3,
    root: bool = False,
) -> Raw:
    """0 to `max_count` web services by name with unique priorities, each on the default
    load-balancer group or one of `groups`, in a stack with room: its own `stack` (always when
    its priority is beyond the first `services_per_stack`, as the config asks), else the
    default; and 0-2 services of the other kinds (in stacks of their own). With `root`, the
    exceptions that relax the platform's container rules (run as root, writable root) and the
    FireLens router are drawn too (the validator's space; a synthesized one would need the
    platform's rules plugin to honour their acknowledgements)."""
    count = draw(st.integers(0, max_count))
    priorities = draw(st.lists(st.integers(1, 60), min_size=count, max_size=count, unique=True))
    room = dict.fromkeys(range(1, count + 2), services_per_stack)
    drawn = {}
    for name, priority in zip(_names("svc", count), priorities, strict=True):
        if kind == "fargate":
            cpu = draw(st.sampled_from((256, 512, 1024)))
            memory = draw(st.sampled_from(FARGATE_MEMORY_BY_CPU[cpu]))
        else:
            cpu, memory = draw(st.sampled_from(((256, 512), (512, 1024), (256, 256))))
        minimum = draw(st.integers(0, 2))
        maximum = draw(st.integers(max(minimum, 1), 4))
        user = draw(st.sampled_from(("1000", "101:101", "65534")))
        # /var/log/amazon/ssm: where the ECS agent mounts ECS Exec's logs on EC2.
        writable_paths = draw(
            st.sampled_from(
                (
                    [],
                    ["/tmp"],
                    ["/tmp", "/var/cache/nginx"],
                    ["/data"],
                    ["/tmp", "/var/log/amazon/ssm"],
                )
            )
        )
        service: Raw = {
            "image": draw(images(repositories)),
            "container_port": draw(st.sampled_from((8080, 3000, 9000))),
            "cpu": cpu,
            "memory_mib": memory,
            "health_check_path": draw(st.sampled_from(("/", "/healthz"))),
            "health_check_grace_seconds": draw(st.integers(0, 300)),
            "route": draw(routes(name, priority)),
            "scaling": {
                "min_tasks": minimum,
                "max_tasks": maximum,
                "cpu_target_percent": draw(st.integers(10, 90)),
                "requests_per_target": draw(st.integers(1, 5000)),
            },
            "enable_execute_command": draw(st.booleans()),
            "log_retention_days": draw(RETENTION),
            "secrets": draw(secrets(region, account)),
            "user": user,
            "writable_paths": writable_paths,
        }
        if draw(st.booleans()):
            service["kind"] = "web"
        service.update(
            draw(
                container_settings(
                    cluster=kind,
                    user=user,
                    writable_paths=writable_paths,
                    root=root,
                )
            )
        )
        exceptions: Raw = {}
        if draw(st.integers(0, 5)) == 0:
            service["container_port"] = draw(st.sampled_from((80, 443)))
            exceptions["privileged_port"] = EXCEPTION_REASON
        if root and draw(st.integers(0, 3)) == 0:
            service["user"] = "0"
            exceptions["run_as_root"] = EXCEPTION_REASON
        if root and draw(st.integers(0, 3)) == 0:
            exceptions["writable_root_filesystem"] = EXCEPTION_REASON
        if exceptions:
            service["exceptions"] = exceptions
        if draw(st.booleans()):
            service["release"] = draw(releases())
        if draw(st.booleans()):
            service["alarms"] = draw(alarm_thresholds())
        group = draw(st.sampled_from([None, "default", *groups]))
        if group is not None:
            service["load_balancer"] = group
        if priority > services_per_stack or room[1] == 0 or draw(st.booleans()):
            service["stack"] = draw(st.sampled_from([n for n, free in room.items() if free]))
        room[service.get("stack", 1)] -= 1
        if kind == "fargate":
            service["cpu_architecture"] = draw(st.sampled_from(("x86_64", "arm64")))
        drawn[name] = service
    others = draw(
        workloads(cluster=kind, region=region, account=account, repositories=repositories)
    )
    workers = [name for name, s in others.items() if s["kind"] == "worker"]
    for service in drawn.values():
        if workers and draw(st.integers(0, 2)) == 0:
            service["send_to"] = [draw(st.sampled_from(workers))]
    return {**drawn, **others}


@st.composite
def load_balancers(draw: st.DrawFn, region: str, account: str) -> Raw:
    certificate = draw(
        st.none()
        | st.just(
            f"arn:aws:acm:{region}:{account}:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"
        )
    )
    additional = []
    if certificate is not None:
        additional = [
            f"arn:aws:acm:{region}:{account}:certificate/0f1e2d3c-aaaa-bbbb-cccc-12345678900{n}"
            for n in range(draw(st.integers(0, 2)))
        ]
    return {
        "internal": draw(st.booleans()),
        "certificate_arn": certificate,
        "additional_certificate_arns": additional,
        "http_redirect": certificate is None or draw(MOSTLY_TRUE),
        "https_first_listener_ids": draw(st.booleans()),
        "idle_timeout_seconds": draw(st.integers(1, 4000)),
        "access_log_retention_days": draw(st.integers(1, 400)),
    }


@st.composite
def cluster_common(draw: st.DrawFn, region: str, account: str) -> Raw:
    return {
        # Off now and then (its services are drawn empty then, mostly: see `cluster_services`).
        "enabled": draw(MOSTLY_TRUE),
        "container_insights": draw(st.sampled_from(("enabled", "enhanced"))),
        "exec_log_retention_days": draw(RETENTION),
        "load_balancer": draw(load_balancers(region, account)),
        "load_balancers": {
            name: draw(load_balancers(region, account))
            for name in draw(
                st.lists(st.sampled_from(("internal", "api", "b2")), max_size=2, unique=True)
            )
        },
        # Small blocks too: priorities are drawn from 1-60, so several ALBs per group.
        "services_per_load_balancer": draw(st.sampled_from((1, 7, 30, 100))),
        "services_per_stack": draw(st.integers(1, 20)),
        # Rules kept from before rules were keyed by priority, at priorities services may hold
        # (merged over the sandbox's {1: sample}).
        "legacy_listener_rules": dict(
            zip(
                draw(st.lists(st.integers(1, 60), min_size=2, max_size=2, unique=True)),
                draw(st.lists(st.sampled_from(("old-api", "old-web")), max_size=2, unique=True)),
                strict=False,
            )
        ),
    }


@st.composite
def cluster_services(
    draw: st.DrawFn,
    kind: str,
    common: Raw,
    region: str,
    account: str,
    repositories: list[str],
    root: bool = False,
) -> Raw:
    """The services of a cluster with `common` settings: none, mostly, when it is off (a cluster
    that is off with services is refused)."""
    if not common["enabled"] and draw(MOSTLY_TRUE):
        return {}
    return draw(
        services(
            kind=kind,
            region=region,
            account=account,
            repositories=repositories,
            groups=tuple(common["load_balancers"]),
            services_per_stack=common["services_per_stack"],
            root=root,
        )
    )


@st.composite
def managed_instances_clusters(
    draw: st.DrawFn, region: str, account: str, repositories: list[str]
) -> Raw:
    """Mostly off (it costs a synth of two more stacks); on, with instance attributes."""
    common = draw(cluster_common(region, account))
    common["enabled"] = draw(st.sampled_from((False, False, False, True)))
    section: Raw = {
        **common,
        "min_vcpus": draw(st.integers(1, 4)),
        "max_vcpus": draw(st.integers(2, 8)),
        "min_memory_gib": draw(st.integers(1, 8)),
        "cpu_architecture": draw(st.sampled_from(("x86_64", "arm64"))),
        "spot": draw(st.booleans()),
    }
    section["services"] = draw(
        cluster_services("managed_instances", common, region, account, repositories)
    )
    return section


@st.composite
def ec2_clusters(
    draw: st.DrawFn, region: str, account: str, repositories: list[str], root: bool = False
) -> Raw:
    graviton = draw(st.booleans())
    pool = tuple(t for t in (ARM_TYPES if graviton else X86_TYPES) if t in INSTANCE_CAPACITY)
    spot = draw(st.booleans())
    types = draw(
        st.lists(st.sampled_from(pool), min_size=2 if spot else 1, max_size=3, unique=True)
    )
    maximum = draw(st.integers(2, 12))
    common = draw(cluster_common(region, account))
    machine_image = draw(st.sampled_from(_literal(Ec2ClusterConfig, "machine_image")))
    services = draw(cluster_services("ec2", common, region, account, repositories, root))
    if machine_image == "bottlerocket":  # its ECS agent cannot mount the services' EFS volumes
        for service in services.values():
            if isinstance(service, dict):
                service.pop("efs", None)
    return {
        **common,
        "machine_image": machine_image,
        "instance_types": types,
        "min_instances": draw(st.integers(0, maximum)),
        "max_instances": maximum,
        "target_capacity_percent": draw(st.integers(1, 100)),
        "spot": spot,
        "on_demand_base_capacity": draw(st.integers(0, maximum)) if spot else 0,
        "managed_termination_protection": draw(st.booleans()),
        "root_volume_gib": draw(st.integers(30, 100)),
        "services": services,
    }


FARGATE_STRATEGIES = (
    [{"capacity_provider": "FARGATE", "weight": 1}],
    [{"capacity_provider": "FARGATE_SPOT", "weight": 1}],
    [
        {"capacity_provider": "FARGATE_SPOT", "weight": 4},
        {"capacity_provider": "FARGATE", "weight": 1},
    ],
    [{"capacity_provider": "FARGATE", "weight": 1, "base": 2}],
    [
        {"capacity_provider": "FARGATE", "weight": 1, "base": 1},
        {"capacity_provider": "FARGATE_SPOT", "weight": 3},
    ],
)
assert {share["capacity_provider"] for s in FARGATE_STRATEGIES for share in s} == set(
    _literal(CapacityProviderShare, "capacity_provider")
)


@st.composite
def fargate_clusters(
    draw: st.DrawFn, region: str, account: str, repositories: list[str], root: bool = False
) -> Raw:
    common = draw(cluster_common(region, account))
    return {
        **common,
        "default_strategy": draw(st.sampled_from(FARGATE_STRATEGIES)),
        "services": draw(cluster_services("fargate", common, region, account, repositories, root)),
    }


@st.composite
def eks_sections(draw: st.DrawFn, account: str, repositories: list[str]) -> Raw:
    mode = draw(st.sampled_from(_literal(ComputeConfig, "mode")))
    # Every key is given: the overrides merge into the sandbox's objects (lists replace).
    compute: Raw = {"mode": mode, "node_groups": [], "fargate_profiles": []}
    if mode == "managed_nodes":
        groups = []
        for name in _names("ng", draw(st.integers(1, 2))):
            graviton = draw(st.booleans())
            pool = ARM_TYPES if graviton else X86_TYPES
            maximum = draw(st.integers(1, 5))
            minimum = draw(st.integers(0, maximum))
            groups.append(
                {
                    "name": name,
                    "instance_types": draw(
                        st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)
                    ),
                    "graviton": graviton,
                    "capacity_type": draw(st.sampled_from(("on_demand", "spot"))),
                    "min_size": minimum,
                    "max_size": maximum,
                    "desired_size": draw(st.integers(minimum, maximum)),
                    "disk_size_gib": draw(st.integers(20, 100)),
                }
            )
        compute["node_groups"] = groups
    elif mode == "fargate":
        compute["fargate_profiles"] = [
            {"name": "system", "selectors": [{"namespace": "kube-system"}]},
            *draw(
                st.lists(
                    st.just(
                        {
                            "name": "apps",
                            "selectors": [{"namespace": "apps", "labels": {"tier": "web"}}],
                        }
                    ),
                    max_size=1,
                )
            ),
        ]
    access = draw(st.sampled_from(_literal(EndpointConfig, "access")))
    endpoint: Raw = {"access": access, "public_access_cidrs": []}
    if access == "public_and_private":
        endpoint["public_access_cidrs"] = draw(
            st.lists(
                st.sampled_from(("203.0.113.7/32", "198.51.100.0/24")), min_size=1, unique=True
            )
        )
    sample_enabled = draw(st.booleans())
    version = (
        draw(st.sampled_from(sorted(KUBECTL_LAYER_PACKAGES)))
        if sample_enabled
        else draw(
            st.sampled_from(CREATABLE_KUBERNETES_VERSIONS)
            if draw(MOSTLY_TRUE)
            else st.sampled_from(KNOWN_KUBERNETES_VERSIONS)
        )
    )
    admins = draw(st.lists(st.sampled_from(("platform-admin", "ops")), max_size=2, unique=True))
    return {
        **draw(eks_day_two(mode, account)),
        "enabled": draw(st.booleans()),
        "kubernetes_version": version,
        "compute": compute,
        "endpoint": endpoint,
        "access": {
            "cluster_admin_role_arns": [f"arn:aws:iam::{account}:role/{name}" for name in admins],
            "bootstrap_creator_admin": draw(st.booleans()),
            "viewer_role_arns": draw(
                st.lists(st.just(f"arn:aws:iam::{account}:role/on-call"), max_size=1)
            ),
            "namespace_access": [
                {
                    "role_arn": f"arn:aws:iam::{account}:role/team-{index}",
                    "namespaces": draw(
                        st.lists(
                            st.sampled_from(("payments", "web", "batch")),
                            min_size=1,
                            max_size=2,
                            unique=True,
                        )
                    ),
                    "policy": draw(st.sampled_from(_literal(NamespaceAccessConfig, "policy"))),
                }
                for index in range(draw(st.integers(0, 2)))
            ],
        },
        "control_plane_log_retention_days": draw(RETENTION),
        "sample_workload": {
            "enabled": sample_enabled,
            "image": draw(images(repositories)),
            "replicas": draw(st.integers(1, 3)),
        },
    }


# Add-ons a drawn config may add to its mode's defaults (with a version when the table has none).
EXTRA_ADDONS = {"snapshot-controller": {"version": "v8.3.0-eksbuild.1"}}


@st.composite
def eks_day_two(draw: st.DrawFn, mode: str, account: str) -> Raw:
    """The day-two fields of `eks`: add-on overrides, workload identities, lifecycle, Argo CD.
    Mostly inside what the mode allows; sometimes an add-on or identity the mode refuses."""
    addons: Raw = {}
    defaults = DEFAULT_ADDONS[mode]
    for name in draw(st.lists(st.sampled_from(defaults), max_size=2, unique=True)):
        settings: tuple[Raw | None, ...] = ({}, {"configuration": {}})
        if ADDON_DEFAULTS[name].service_account:
            settings += ({"pod_identity": {"enabled": False}},)
        # Removing one: mostly one the mode can do without (the others are refused).
        removable = name not in REQUIRED_ADDONS[mode] and name != "eks-pod-identity-agent"
        if removable or not draw(MOSTLY_TRUE):
            settings += (None,)
        addons[name] = draw(st.sampled_from(settings))
    optional = [name for name in ADDON_DEFAULTS if name not in defaults]
    if draw(MOSTLY_TRUE):  # within the mode's options
        optional = [
            name
            for name in optional
            if not (mode == "auto_mode" and ADDON_DEFAULTS[name].before_compute)
            and name not in {"coredns", "aws-ebs-csi-driver"}
        ]
        if mode == "fargate":
            optional = []
    for name in draw(st.lists(st.sampled_from(optional), max_size=1)) if optional else []:
        addons[name] = {}
    if draw(st.booleans()):
        addons.update(EXTRA_ADDONS)
    identities = [
        {
            "namespace": "reports",
            "service_account": f"reader-{index}",
            "statements": [
                {
                    "actions": ["s3:GetObject"],
                    "resources": [f"arn:aws:s3:::reports-{account}/daily-{index}.csv"],
                }
            ],
            "managed_policy_arns": draw(
                st.lists(st.just(f"arn:aws:iam::{account}:policy/reports"), max_size=1)
            ),
        }
        for index in range(draw(st.integers(0, 2) if mode != "fargate" else st.just(0)))
    ]
    argocd: Raw = {"enabled": False}
    if draw(st.booleans()):
        argocd = {
            "enabled": True,
            "idc_instance_arn": "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            "role_mappings": [
                {"role": "ADMIN", "identities": [{"id": "platform-admins", "type": "SSO_GROUP"}]}
            ],
        }
    return {
        "addons": addons,
        "workload_identities": identities,
        "upgrade_policy": draw(st.sampled_from(_literal(EksConfig, "upgrade_policy"))),
        "deletion_protection": draw(st.booleans()),
        "zonal_shift": draw(st.booleans()),
        "bootstrap_self_managed_addons": draw(st.booleans()),
        "control_plane_scaling_tier": draw(
            st.none() | st.sampled_from(("standard", "tier-xl", "tier-2xl"))
        ),
        "argocd": argocd,
    }


@st.composite
def platform_configs(draw: st.DrawFn, root: bool = False) -> Raw:
    """One whole environment as overrides over the sandbox (every section replaced); with `root`
    also the exceptions and sidecars that relax the platform's container rules (see
    `services`)."""
    region = draw(st.sampled_from(REGIONS))
    account = draw(st.none() | ACCOUNT)
    certificate_account = account or "123456789012"
    registry = draw(registries(region))
    repository_names = [repository["name"] for repository in registry["repositories"]]
    tags = draw(
        st.dictionaries(
            st.sampled_from(("team", "cost-center", "owner", "app:tier")),
            st.sampled_from(("platform", "1234", "a b", "")),
            max_size=3,
        )
    )
    network = draw(networks(region))
    eks = draw(eks_sections(certificate_account, repository_names))
    if draw(st.booleans()):  # the control plane in some of the zones (at least two)
        zones = network["availability_zones"]
        eks["control_plane_zones"] = draw(
            st.lists(st.sampled_from(zones), min_size=2, max_size=len(zones), unique=True)
        )
    return {
        "region": region,
        "account": account,
        "tags": tags,
        "retain_stateful_resources": draw(st.booleans()),
        "kms_encrypted_logs": draw(st.booleans()),
        "network": network,
        "registry": registry,
        "ecs": {
            "ec2": draw(ec2_clusters(region, certificate_account, repository_names, root)),
            "fargate": draw(fargate_clusters(region, certificate_account, repository_names, root)),
            "managed_instances": draw(
                managed_instances_clusters(region, certificate_account, repository_names)
            ),
        },
        "eks": eks,
        "operations": draw(operations()),
    }
