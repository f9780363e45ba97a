"""Turn the session's cloud assemblies into the facts the gates in tests/gates/ evaluate."""

from __future__ import annotations

from platform_config import load_config
from tests.gates.cfn import EnvironmentFacts
from tests.helpers.assembly import Assembly


def environment_facts(assembly: Assembly) -> EnvironmentFacts:
    config = load_config(assembly.environment)
    return EnvironmentFacts(
        name=assembly.environment,
        templates=assembly.all_templates(),
        kms_encrypted_logs=config.kms_encrypted_logs,
        retain_stateful_resources=config.retain_stateful_resources,
        template_sizes={
            name: (assembly.outdir / file).stat().st_size
            for name, file in assembly.stack_templates.items()
        },
    )
