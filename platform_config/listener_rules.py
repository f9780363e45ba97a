"""Listener rules as Elastic Load Balancing checks them: the values of a route's path-pattern and
host-header conditions, and which routes one listener can hold without one hiding another.

Source: Elastic Load Balancing User Guide for Application Load Balancers, "Listener rules for your
Application Load Balancer" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/
listener-rules.html: "You can specify up to three comparison strings per condition and up to five
per rule"), "Condition types for listener rules" (https://docs.aws.amazon.com/elasticloadbalancing/
latest/application/rule-condition-types.html: at most one host-header and one path-pattern
condition per rule; wildcards `*` (0 or more characters) and `?` (exactly 1), at most five
wildcard characters per rule; only visible ASCII; a host name is case-insensitive, up to 128
characters of A-Z a-z 0-9 - . * ?, with at least one "." and only letters after the last one; a
path pattern is case-sensitive, up to 128 characters of A-Z a-z 0-9 _ - . $ / ~ " ' @ : + * ? and
& written as "&amp;") and "Quotas for your Application Load Balancers" (load-balancer-limits.html:
condition values per rule 5, condition wildcards per rule 5, match evaluations per rule 5, none
adjustable); all read on 2026-12-03 with the project's search tool.

A route is one rule with at most one path-pattern condition (`paths`) and one host-header
condition (`hosts`). `&` is refused in paths: the guide gives it only as "&amp;" (the query API's
XML escaping), and what CloudFormation passes for it is unverified.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import TYPE_CHECKING

from platform_config.alb_quotas import CONDITION_VALUES_PER_RULE, CONDITION_WILDCARDS_PER_RULE

if TYPE_CHECKING:
    from platform_config.ecs_placement import RouteConfig
    from platform_config.ecs_service import ServiceConfig

VALUES_PER_CONDITION = 3
WILDCARDS_PER_RULE = CONDITION_WILDCARDS_PER_RULE
MAX_VALUE_LENGTH = 128
WILDCARDS = "*?"
HOST_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-." + WILDCARDS)
PATH_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_-.$/~\"'@:+" + WILDCARDS)
_LETTERS = re.compile(r"^[A-Za-z]+$")


def _length_problem(value: str, kind: str) -> str | None:
    if not 1 <= len(value) <= MAX_VALUE_LENGTH:
        return f"{kind} '{value}' has {len(value)} characters; allowed: 1-{MAX_VALUE_LENGTH}"
    return None


def path_pattern_problem(pattern: str) -> str | None:
    """Why ELB would refuse `pattern` as a path-pattern value (or this platform: it must start
    with '/'), or None."""
    too_long = _length_problem(pattern, "path pattern")
    if too_long:
        return too_long
    if not pattern.startswith("/"):
        return f"path pattern '{pattern}' must start with '/'"
    bad = sorted(set(pattern) - PATH_CHARACTERS)
    if bad:
        return (
            f"path pattern '{pattern}' has characters ELB does not allow: {''.join(bad)!r}; "
            "allowed: letters, digits, _ - . $ / ~ \" ' @ : + and the wildcards * ?"
        )
    return None


def host_header_problem(host: str) -> str | None:
    """Why ELB would refuse `host` as a host-header value, or None."""
    too_long = _length_problem(host, "host")
    if too_long:
        return too_long
    bad = sorted(set(host) - HOST_CHARACTERS)
    if bad:
        return (
            f"host '{host}' has characters ELB does not allow: {''.join(bad)!r}; allowed: "
            "letters, digits, - . and the wildcards * ?"
        )
    if "." not in host or not _LETTERS.match(host.rpartition(".")[2]):
        return (
            f"host '{host}' must have a '.' followed by letters only (ELB: at least one '.', only "
            "alphabetical characters after the last one), e.g. api.example.com or *.example.com"
        )
    return None


def condition_problem(field: str, values: Sequence[str]) -> str | None:
    """Why ELB would refuse `values` as the path-pattern (`field` "paths") or host-header
    ("hosts") condition of a rule, or None."""
    check = path_pattern_problem if field == "paths" else host_header_problem
    for value in values:
        problem = check(value)
        if problem:
            return problem
    if len(values) > VALUES_PER_CONDITION:
        return (
            f"{len(values)} values in one condition; allowed: at most {VALUES_PER_CONDITION} "
            "(ELB: up to three comparison strings per condition)"
        )
    keys = [value.lower() if field == "hosts" else value for value in values]
    twice = sorted({value for value, key in zip(values, keys, strict=True) if keys.count(key) > 1})
    if twice:
        return f"{', '.join(twice)} given twice; allowed: each value once"
    return None


def rule_problem(paths: Sequence[str], hosts: Sequence[str]) -> str | None:
    """Why ELB would refuse a rule with these conditions as a whole, or None."""
    if not paths and not hosts:
        return "route needs at least one of 'paths' or 'hosts'"
    values = len(paths) + len(hosts)
    if values > CONDITION_VALUES_PER_RULE.limit:
        return (
            f"route has {values} condition values ({len(paths)} paths + {len(hosts)} hosts) in "
            f"its one listener rule; the limit is {CONDITION_VALUES_PER_RULE.limit} per rule "
            f"(hard quota '{CONDITION_VALUES_PER_RULE.name}')"
        )
    wildcards = sum(value.count(c) for value in (*paths, *hosts) for c in WILDCARDS)
    if wildcards > WILDCARDS_PER_RULE.limit:
        return (
            f"route has {wildcards} wildcard characters (* and ?) in its one listener rule; the "
            f"limit is {WILDCARDS_PER_RULE.limit} per rule (hard quota '{WILDCARDS_PER_RULE.name}')"
        )
    return None


def pattern_covers(wide: str, narrow: str) -> bool:
    """Whether every string ALB pattern `narrow` matches also matches `wide` (`*`: any characters,
    `?`: one). Sound, not complete: true for identical patterns, `*`, and a `wide` that is
    `narrow`'s leading (`/api/*` over `/api/v1/*`) or trailing (`*.example.com` over
    `api.example.com`) text plus `*` (any match of `narrow` is that text followed, or preceded,
    by something `*` matches); otherwise false, even where it would cover."""
    return (
        wide == narrow
        or wide == "*"
        or (wide.endswith("*") and narrow.startswith(wide[:-1]))
        or (wide.startswith("*") and narrow.endswith(wide[1:]))
    )


def route_covers(early: RouteConfig, late: RouteConfig) -> bool:
    """Whether every request `late` matches also matches `early` (so, evaluated first, `early`
    leaves `late` unreachable). A rule matches when its path matches one of its path patterns (no
    paths: any path) and its host one of its host headers (no hosts: any host); host headers
    compare case-insensitively. Sound: a late pattern is covered when one early pattern covers
    it (see pattern_covers)."""

    def covered(wide: list[str], narrow: list[str], anything: str) -> bool:
        return not wide or all(
            any(pattern_covers(w, n) for w in wide) for n in (narrow or [anything])
        )

    return covered(early.paths, late.paths, "/*") and covered(
        [host.lower() for host in early.hosts], [host.lower() for host in late.hosts], "*"
    )


def reject_shadowed_routes(listener: str, services: Sequence[ServiceConfig]) -> None:
    """`services` are the rules of one listener (`listener` names it in messages). The ALB
    evaluates a listener's rules by ascending priority; a rule whose conditions cover a later
    rule's takes all of its requests. Two services with the same conditions are named as such."""
    ordered = sorted(services, key=lambda service: service.web_route.priority)
    for position, late in enumerate(ordered):
        late_route = late.web_route
        for early in ordered[:position]:
            early_route = early.web_route
            if _same_conditions(early_route, late_route):
                raise ValueError(
                    f"services.{late.name}.route: {show_route(late_route)} is already the route "
                    f"of service '{early.name}' on {listener}; each route must be unique on its "
                    "listener (another load-balancer group may serve the same paths and hosts)"
                )
            if route_covers(early_route, late_route):
                raise ValueError(
                    f"services.{late.name}.route: service '{late.name}' (priority "
                    f"{late_route.priority}, {show_route(late_route)}) is unreachable on "
                    f"{listener}: service '{early.name}' (priority {early_route.priority}, "
                    f"{show_route(early_route)}) matches every request it does and the ALB "
                    "evaluates rules by ascending priority; give the narrower route the lower "
                    f"priority number, e.g. swap the two priorities{_below(early_route.priority)}"
                )


def _below(priority: int) -> str:
    return f" or give it one below {priority}" if priority > 1 else ""


def _same_conditions(first: RouteConfig, second: RouteConfig) -> bool:
    return sorted(first.paths) == sorted(second.paths) and sorted(
        host.lower() for host in first.hosts
    ) == sorted(host.lower() for host in second.hosts)


def show_route(route: RouteConfig) -> str:
    """A route as the error messages show it."""
    return f"paths={route.paths} hosts={route.hosts}"
