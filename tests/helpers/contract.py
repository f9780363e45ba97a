"""The config contract: what every synthesized assembly of a valid config must satisfy.

A config that validates must synthesize (no exception), with no unacknowledged cdk-nag finding,
no deploy-time rule error (cdk-preflight and the CloudFormation validation engine's default
rules, run by every synth: stacks/platform.py), no project security-rule finding, every ALB in
subnets of /27 or larger, and every stack within CloudFormation's quotas. cfn-lint, the slowest
check, runs apart (`start_lint` / `lint_problems`) so that it can overlap the next synth.
"""

from __future__ import annotations

import ipaddress
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from container_constructs.rules import RULES, EnvironmentFacts, Rule, TemplateRule
from container_constructs.rules.rule import EXAMPLE_FACTS
from tests.helpers.apps import validation_violations
from tests.helpers.cfn_lint import finish_cfn_lint, start_cfn_lint
from tools.gates.lint_templates import stack_templates

# "Your load balancer's subnets must have a CIDR block of at least a /27 bitmask" (Elastic Load
# Balancing user guide, "Availability Zones and subnets" of Application Load Balancers).
ALB_MIN_SUBNET_PREFIX = 27


def validation_problems(outdir: Path) -> list[str]:
    """Unacknowledged cdk-nag findings (any severity) and errors of any other validation plugin."""
    return [
        f"{v['plugin']} {v['ruleName']} ({v['severity']}) at "
        f"{', '.join(c.get('constructPath', '?') for c in v['violatingConstructs'])}: "
        f"{v['description'][:300]}"
        for v in validation_violations(outdir)
        if v["plugin"] == "AwsSolutions" or v["severity"] in ("error", "fatal")
    ]


def templates_of(outdir: Path) -> dict[str, dict[str, Any]]:
    import json

    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in stack_templates(outdir)
    }


def security_problems(
    name: str, templates: Mapping[str, Mapping[str, Any]], *, kms_logs: bool, retain: bool
) -> list[str]:
    """The platform's rules (container_constructs.rules) applied here too, so that the contract
    holds even if a synth ran without the plugin."""
    facts = EnvironmentFacts(kms_encrypted_logs=kms_logs, retain_stateful_resources=retain)
    return [
        f"[{name}] {stack}/{finding.logical_id}: {finding.problem} (rule {finding.rule_id})"
        for stack, template in templates.items()
        for rule in RULES
        if isinstance(rule, Rule)
        for finding in rule.evaluate(template, facts).findings
    ]


def quota_problems(outdir: Path, templates: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return [
        f"{name}: {finding.problem}"
        for name, template in templates.items()
        for rule in RULES
        if isinstance(rule, TemplateRule)
        for finding in rule.evaluate(
            template, EXAMPLE_FACTS, (outdir / f"{name}.template.json").stat().st_size
        ).findings
    ]


def alb_subnet_problems(templates: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every Application Load Balancer subnet narrower than /27, followed through cross-stack
    exports to the subnet's CidrBlock."""
    exports = {
        output["Export"]["Name"]: (stack, output["Value"])
        for stack, template in templates.items()
        for output in template.get("Outputs", {}).values()
        if isinstance(output.get("Export"), Mapping)
    }
    problems = []
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource.get("Type") != "AWS::ElasticLoadBalancingV2::LoadBalancer":
                continue
            properties = resource.get("Properties", {})
            if properties.get("Type", "application") != "application":
                continue
            for subnet in properties.get("Subnets", []):
                cidr = _subnet_cidr(stack, subnet, templates, exports)
                if cidr is None:
                    problems.append(f"{stack}/{logical_id}: cannot resolve subnet {subnet}")
                elif ipaddress.IPv4Network(cidr).prefixlen > ALB_MIN_SUBNET_PREFIX:
                    problems.append(
                        f"{stack}/{logical_id}: subnet {cidr} is narrower than "
                        f"/{ALB_MIN_SUBNET_PREFIX}, which an ALB needs"
                    )
    return problems


def _subnet_cidr(
    stack: str,
    value: Any,
    templates: Mapping[str, Mapping[str, Any]],
    exports: Mapping[str, tuple[str, Any]],
) -> str | None:
    if isinstance(value, Mapping) and "Fn::ImportValue" in value:
        found = exports.get(value["Fn::ImportValue"])
        return None if found is None else _subnet_cidr(*found, templates, exports)
    if isinstance(value, Mapping) and "Ref" in value:
        resource = templates[stack].get("Resources", {}).get(value["Ref"], {})
        if resource.get("Type") == "AWS::EC2::Subnet":
            cidr = resource.get("Properties", {}).get("CidrBlock")
            return cidr if isinstance(cidr, str) else None
    return None


def contract_problems(outdir: Path, *, name: str, kms_logs: bool, retain: bool) -> list[str]:
    """Everything but cfn-lint that the assembly in `outdir` breaks of the contract."""
    templates = templates_of(outdir)
    return [
        *validation_problems(outdir),
        *security_problems(name, templates, kms_logs=kms_logs, retain=retain),
        *quota_problems(outdir, templates),
        *alb_subnet_problems(templates),
    ]


def start_lint(templates: Mapping[Path, str]) -> subprocess.Popen[str]:
    """cfn-lint over `templates` (file -> the region its stack deploys to), in those regions."""
    return start_cfn_lint(sorted(templates), sorted(set(templates.values())))


def lint_problems(process: subprocess.Popen[str]) -> list[str]:
    return [str(match) for match in finish_cfn_lint(process)]
