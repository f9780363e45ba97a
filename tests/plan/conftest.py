"""The plan's unit tests read one session-wide batch of plans: every hand-made case
(tests/plan/helpers/cases.py) planned in a single run of the diff engine."""

from __future__ import annotations

import pytest

from tools.plan.model import Plan


@pytest.fixture(scope="session")
def planned() -> dict[str, Plan]:
    from tests.plan.helpers.cases import all_requests
    from tools.plan.planner import make_plans

    requests = all_requests()
    return dict(zip(requests, make_plans(list(requests.values())), strict=True))
