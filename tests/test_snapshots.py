"""Snapshots of every stack of every environment, normalised against CDK-release noise.

Update deliberately with `make snapshot-update` and review the diff.
"""

from __future__ import annotations

from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.helpers.assembly import Assembly
from tests.helpers.snapshot import normalise


def test_stack_snapshots(assembly: Assembly, snapshot: SnapshotAssertion) -> None:
    json_snapshot = snapshot.use_extension(JSONSnapshotExtension)
    for name, template in sorted(assembly.all_templates().items()):
        assert normalise(template) == json_snapshot(name=name)
