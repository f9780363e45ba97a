"""Read a synthesized cloud assembly: its stacks, their templates, the validation report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from stacks import names


@dataclass(frozen=True)
class Assembly:
    """A cloud assembly directory written by `cdk synth`."""

    environment: str
    outdir: Path

    @cached_property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.outdir / "manifest.json").read_text())

    @cached_property
    def stack_templates(self) -> dict[str, str]:
        """Stack name -> template file name, for every CloudFormation stack in the assembly."""
        return {
            name: artifact["properties"]["templateFile"]
            for name, artifact in self.manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        }

    def stack_name(self, unit: str) -> str:
        """The name of the stack of `unit` (e.g. 'network') in this environment."""
        return names.stack_id(self.environment, unit)

    def template_json(self, stack_name: str) -> dict[str, Any]:
        return json.loads((self.outdir / self.stack_templates[stack_name]).read_text())

    def template(self, unit: str) -> Template:
        """The `aws_cdk.assertions.Template` of the stack of `unit`, built once: building one sends
        the whole template to the jsii process, the costliest step of most assertions."""
        if unit not in self._templates:
            self._templates[unit] = Template.from_json(self.template_json(self.stack_name(unit)))
        return self._templates[unit]

    @cached_property
    def _templates(self) -> dict[str, Template]:
        return {}

    def all_templates(self) -> dict[str, dict[str, Any]]:
        return {name: self.template_json(name) for name in self.stack_templates}

    @cached_property
    def validation_report(self) -> dict[str, Any]:
        path = self.outdir / "validation-report.json"
        return json.loads(path.read_text()) if path.exists() else {"pluginReports": []}
