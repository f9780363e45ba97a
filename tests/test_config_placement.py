"""Placement (platform_config/ecs_placement.py): a service's ALB within its group and its service
stack are both the block of its route priority, by one function, and depend on nothing but the
service's own group and priority. The synthesized proofs are tests/test_load_balancer_groups.py
and, at 50-251 services, tests/test_ecs_scale.py and tests/test_ecs_alb_scale.py."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_config import load_config
from platform_config.ecs import FargateClusterConfig
from platform_config.ecs_placement import AlbKey, priority_block
from platform_config.environments import SAMPLE_IMAGE


@pytest.mark.parametrize(
    ("priority", "block_size", "block"),
    [(1, 10, 1), (10, 10, 1), (11, 10, 2), (51, 10, 6), (100, 100, 1), (101, 100, 2), (7, 1, 7)],
)
def test_priority_block(priority: int, block_size: int, block: int) -> None:
    assert priority_block(priority, block_size) == block


def _cluster(priorities: list[int], per_stack: int, per_alb: int) -> FargateClusterConfig:
    """The sandbox's Fargate cluster (no config of record) with a service per priority, given
    in the order of `priorities`."""
    services: dict[str, dict[str, Any]] = {
        f"svc-{priority}": {
            "image": dict(SAMPLE_IMAGE),
            "route": {"priority": priority, "paths": [f"/svc-{priority}/*"]},
            **({"load_balancer": "internal"} if priority % 3 == 0 else {}),
        }
        for priority in priorities
    }
    part = {
        "services": services,
        "services_per_stack": per_stack,
        "services_per_load_balancer": per_alb,
        "load_balancers": {"internal": {"internal": True}},
    }
    return load_config("sandbox", overrides={"ecs": {"fargate": part}}).ecs.fargate


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    priorities=st.lists(st.integers(1, 300), min_size=1, max_size=12, unique=True),
    per_stack=st.integers(1, 20),
    per_alb=st.integers(1, 100),
    seed=st.randoms(use_true_random=False),
)
def test_alb_and_stack_are_the_priority_block_whatever_the_order(
    priorities: list[int], per_stack: int, per_alb: int, seed: Any
) -> None:
    section = _cluster(priorities, per_stack, per_alb)
    shuffled = list(priorities)
    seed.shuffle(shuffled)
    reordered = _cluster(shuffled, per_stack, per_alb)

    def placed(cluster: FargateClusterConfig) -> dict[str, tuple[AlbKey, int]]:
        return {s.name: (cluster.alb_of(s), cluster.stack_of(s)) for s in cluster.services.values()}

    assert placed(section) == placed(reordered)
    for service in section.services.values():
        priority = service.route.priority
        group = "internal" if priority % 3 == 0 else "default"
        assert section.alb_of(service) == AlbKey(group, priority_block(priority, per_alb))
        assert section.stack_of(service) == priority_block(priority, per_stack)
    stacks = section.assign_service_stacks()
    assert list(stacks) == sorted(stacks)
    assert all(len(group) <= per_stack for group in stacks.values())
    assert sorted(s.name for group in stacks.values() for s in group) == sorted(section.services)
