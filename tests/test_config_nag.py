"""Issue #13: a config that validates synthesizes without unacknowledged cdk-nag findings, for the
options the built-in environments do not exercise (Bottlerocket on either architecture, with and
without Spot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.apps import synth_environment, validation_violations


@pytest.mark.integration
@pytest.mark.parametrize(
    ("instance_types", "spot"),
    [
        (["t3.small", "t3a.medium"], True),
        (["t3.small"], False),
        (["t4g.small", "t4g.medium"], True),
        (["t4g.small"], False),
    ],
    ids=["x86-spot", "x86-on-demand", "graviton-spot", "graviton-on-demand"],
)
def test_bottlerocket_synthesizes_nag_clean(
    tmp_path: Path, instance_types: list[str], spot: bool
) -> None:
    overrides = {
        "ecs": {
            "ec2": {"machine_image": "bottlerocket", "instance_types": instance_types, "spot": spot}
        },
        "eks": {"enabled": False},
    }
    outdir = synth_environment("sandbox", tmp_path / "cdk.out", overrides)
    assert validation_violations(outdir) == []
