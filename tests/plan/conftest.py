"""The plan's unit tests read one session-wide batch of plans: every hand-made case
(tests/plan/helpers/cases.py) planned in a single run of the diff engine, in a process of its own
(tests/plan/helpers/batch.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.helpers.early import Outcome
from tests.plan.helpers.batch import Batch, load
from tools.plan.model import Plan


@pytest.fixture(scope="session")
def plan_batch(outcome: Callable[[str], Outcome]) -> Batch:
    return load(outcome("plan-cases"))


@pytest.fixture(scope="session")
def planned(plan_batch: Batch) -> dict[str, Plan]:
    return plan_batch.planned
