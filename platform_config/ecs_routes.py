"""Route reachability: the ALB evaluates a listener's rules by ascending priority, so a route whose
paths and hosts cover a later route's leaves it unreachable; the config refuses that."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platform_config.ecs_placement import RouteConfig
    from platform_config.ecs_service import ServiceConfig


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


def reject_shadowed_routes(services: Sequence[ServiceConfig]) -> None:
    """The ALB evaluates a listener's rules by ascending priority; a rule whose conditions cover a
    later rule's takes all of its requests."""
    indexed = sorted(enumerate(services), key=lambda item: item[1].route.priority)
    for position, (late_index, late) in enumerate(indexed):
        for early_index, early in indexed[:position]:
            if route_covers(early.route, late.route):
                raise ValueError(
                    f"services[{late_index}].route: service '{late.name}' (priority "
                    f"{late.route.priority}, {show_route(late.route)}) is unreachable: service "
                    f"'{early.name}' (services[{early_index}], priority {early.route.priority}, "
                    f"{show_route(early.route)}) matches every request it does and the ALB "
                    "evaluates rules by ascending priority; give the narrower route the lower "
                    f"priority number (below {early.route.priority}), e.g. swap the two priorities"
                )


def show_route(route: RouteConfig) -> str:
    """A route as the error messages show it."""
    return f"paths={route.paths} hosts={route.hosts}"
