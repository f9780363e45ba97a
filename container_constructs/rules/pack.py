"""The platform's own rule pack as an aws-cdk-lib validation plugin, run on every synth.

    Validations.of(app).add_plugins(
        ContainerPlatformChecks(retain_stateful_resources=False, kms_encrypted_logs=False)
    )

A finding fails synth with the resource's construct path and the id to acknowledge it with,
`ContainerPlatform::<rule-id>`, e.g. on the construct of one task definition:
`Validations.of(task_definition).acknowledge(Acknowledgment(id="ContainerPlatform::ecs-container-
read-only-root", reason=...))`. Quota findings are fatal: CloudFormation would refuse the template.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import IPolicyValidationContext

from . import (
    compute,
    containers,
    iam,
    kubernetes,
    limits,
    load_balancing,
    logs,
    network,
    registry,
    scaling,
    stateful,
    storage,
)
from .cache import ValidationCache, Violation, digest
from .cached import PerTemplatePlugin, StackTemplate
from .rule import AnyRule, EnvironmentFacts

PLUGIN_NAME = "ContainerPlatform"
RULES: tuple[AnyRule, ...] = (
    *compute.RULES,
    *network.RULES,
    *logs.RULES,
    *load_balancing.RULES,
    *containers.RULES,
    *scaling.RULES,
    *kubernetes.RULES,
    *registry.RULES,
    *storage.RULES,
    *iam.RULES,
    *stateful.RULES,
    *limits.RULES,
)
_PACKAGE_DIR = Path(__file__).resolve().parent


@functools.cache
def _rule_pack_digest() -> str:
    """A digest of this package's source: a change to any rule is a new rule pack."""
    sources = sorted(_PACKAGE_DIR.glob("*.py"))
    return digest(*(part for path in sources for part in (path.name, path.read_bytes())))


class ContainerPlatformChecks(PerTemplatePlugin):
    """The platform's security, removal-policy and quota rules (`RULES`) over every template.

    Args:
        retain_stateful_resources: the environment keeps repositories, buckets, log groups and
            keys when their stack is deleted (Retain) instead of deleting and emptying them.
            Required.
        kms_encrypted_logs: every log group must have a KMS key. Required.
        cache: where findings are kept per template (`ValidationCache`). Default: None (every
            template is validated on every synth).
    """

    def __init__(
        self,
        *,
        retain_stateful_resources: bool,
        kms_encrypted_logs: bool,
        cache: ValidationCache | None = None,
    ) -> None:
        super().__init__(cache=cache)
        self.facts = EnvironmentFacts(
            retain_stateful_resources=retain_stateful_resources,
            kms_encrypted_logs=kms_encrypted_logs,
        )

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def rule_ids(self) -> list[str] | None:
        return [rule.id for rule in RULES]

    def fingerprint(self, context: IPolicyValidationContext) -> str:
        return digest(
            PLUGIN_NAME,
            _rule_pack_digest(),
            json.dumps(vars(self.facts), sort_keys=True),
        )

    def validate_templates(
        self, stacks: Sequence[StackTemplate], context: IPolicyValidationContext
    ) -> dict[str, list[Violation]]:
        return {stack.construct_path: self.findings(stack) for stack in stacks}

    def findings(self, stack: StackTemplate) -> list[Violation]:
        """Every rule's findings in one template, one violation per rule and resource."""
        template: dict[str, Any] = json.loads(stack.content)
        violations = []
        for rule in RULES:
            by_resource: dict[str | None, list[str]] = {}
            for finding in rule.evaluate(template, self.facts, len(stack.content)).findings:
                by_resource.setdefault(finding.logical_id, []).append(finding.problem)
            for logical_id, problems in by_resource.items():
                where: dict[str, Any] = {"templatePath": stack.template_path, "locations": []}
                if logical_id is None:
                    where["constructPath"] = stack.construct_path
                else:
                    where["resourceLogicalId"] = logical_id
                violations.append(
                    {
                        "ruleName": rule.id,
                        "description": f"{rule.requirement}: {'; '.join(problems)}",
                        "severity": rule.severity,
                        "violatingResources": [where],
                    }
                )
        return violations
