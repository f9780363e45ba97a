"""Property, without synth: over the whole config space (tests/helpers/config_space.py, here with
the exceptions that relax the platform's container rules, which the synthesizing half leaves out),
the validator either accepts a config or refuses it with problems that each name a field, the
environment and what is allowed. Synthesizing the accepted ones is tests/test_config_space.py (make
test-integration, make test-fuzz); this is the part of the contract make test checks on every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from platform_config import ConfigError, load_config
from tests.helpers.config_space import platform_configs


@pytest.fixture(scope="module")
def empty_record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("no-record")


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(raw=platform_configs(root=True))
def test_every_drawn_config_loads_or_is_refused_field_by_field(
    raw: dict[str, Any], empty_record: Path
) -> None:
    try:
        config = load_config("sandbox", overrides=raw)
    except ConfigError as error:
        refusal = error
    else:
        assert config.name == "sandbox"
        assert config.region == raw["region"]
        # What the failing examples' `make synth CONFIG=<empty dir>` loads (test_config_space).
        assert load_config("sandbox", overrides=raw, config_dir=empty_record) == config
        return
    assert str(refusal).startswith("Invalid configuration for environment 'sandbox':")
    assert refusal.problems
    for problem in refusal.problems:
        field, _, message = problem.partition(": ")
        assert message, f"says nothing after the field: {problem}"
        assert field, problem
        assert " " not in field, f"not a field path: {problem}"
        assert field.split(".")[0].split("[")[0] in raw, f"names no section drawn: {problem}"
