"""What the session builds once for every test of the shipped environments (tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.helpers.assembly import Assembly
    from tests.helpers.cdk_cli import StartedSynth
    from tests.helpers.cfn_lint import StartedGateLint


@dataclass(frozen=True)
class Environments:
    """Both shipped environments synthesized in this process, and the two checks that run in
    other processes beside the rest of the suite (on another core)."""

    assemblies: dict[str, Assembly]
    # The suite's one real-CLI synth of the sandbox (tests/test_cli_synth.py compares it with
    # `assemblies["sandbox"]`); started before the in-process synths, or None when no selected
    # test needs it.
    cli_synth: StartedSynth | None
    # cfn-lint over both environments' templates (tests/test_gate_cfn_lint.py); started once
    # both are synthesized, or None when no selected test needs it.
    cfn_lint: StartedGateLint | None
