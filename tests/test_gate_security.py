"""The platform's rule pack (container_constructs/rules/, the `ContainerPlatform` validation
plugin every synth runs): each rule fails its bad fragment and passes its good one, holds on
every environment without being vacuous, and the plugin reports what aws-cdk-lib needs to name
the construct and the acknowledgement id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from container_constructs.rules import RULES, ContainerPlatformChecks, Rule, TemplateRule
from container_constructs.rules.cached import StackTemplate
from container_constructs.rules.containers import task
from container_constructs.rules.iam import WILDCARD_RESOURCE_ACTIONS
from container_constructs.rules.network import ALB, ALB_GROUP, HTTPS_LISTENER
from container_constructs.rules.registry import registry_scanning, repository
from container_constructs.rules.rule import EnvironmentFacts, evaluate_fragment
from platform_config import load_config
from tests.helpers.assembly import Assembly

RULE_IDS = [rule.id for rule in RULES]


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_fails_on_its_bad_fragment(rule: Rule | TemplateRule) -> None:
    """No rule is vacuous: a hand-made bad template fragment produces a finding."""
    size = rule.bad_size if isinstance(rule, TemplateRule) else 0
    evaluation = evaluate_fragment(rule, rule.bad, size)
    assert evaluation.checked
    assert evaluation.findings


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_passes_its_good_fragment(rule: Rule | TemplateRule) -> None:
    """And it is precise: the compliant fragment (including the allowed exceptions) passes."""
    evaluation = evaluate_fragment(rule, rule.good)
    assert evaluation.checked
    assert not evaluation.findings, evaluation.findings


def test_rule_ids_are_unique_and_acknowledgeable() -> None:
    """Each id is one `ContainerPlatform::<id>` acknowledgement: unique, no `::`, no spaces."""
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    assert all(rule_id.replace("-", "").isalnum() for rule_id in RULE_IDS)


@pytest.mark.parametrize("rule", [r for r in RULES if isinstance(r, Rule)], ids=lambda r: r.id)
def test_every_environment_follows_the_rule(rule: Rule, assemblies: dict[str, Assembly]) -> None:
    """Each rule holds in every environment (evaluated here with the environment's facts, as
    well as by the plugin in its synth); a rule whose types do not occur yet is reported as
    skipped, naming the types, not silently passed."""
    checked, findings = 0, []
    for name, assembly in assemblies.items():
        config = load_config(name)
        facts = EnvironmentFacts(
            retain_stateful_resources=config.retain_stateful_resources,
            kms_encrypted_logs=config.kms_encrypted_logs,
        )
        for stack, template in assembly.all_templates().items():
            evaluation = rule.evaluate(template, facts)
            checked += evaluation.checked
            findings += [
                f"[{name}] {stack}/{f.logical_id}: {f.problem}" for f in evaluation.findings
            ]
    if not checked:
        pytest.skip(f"{rule.id}: no {', '.join(rule.resource_types)} in any environment yet")
    assert not findings, f"{rule.requirement}:\n" + "\n".join(findings)


def test_no_platform_rule_fails_in_any_environments_synth(assembly: Assembly) -> None:
    """The plugin's verdict in each environment's synth (aws-cdk-lib lists a plugin's report once
    it has a finding, suppressed ones included): none fails. That add_validations registers the
    plugin is tested on a small app (tests/test_validation_cache.py)."""
    reports = [
        report
        for report in assembly.validation_report["pluginReports"]
        if report["pluginName"] == "ContainerPlatform"
    ]
    assert all(report["conclusion"] == "success" for report in reports)


def test_every_wildcard_resource_action_says_why() -> None:
    assert all(len(why.split()) >= 5 for why in WILDCARD_RESOURCE_ACTIONS.values())


def _rule(rule_id: str) -> Rule:
    found = next(rule for rule in RULES if rule.id == rule_id)
    assert isinstance(found, Rule)
    return found


def _world_ingress(port: int, cidr_key: str = "CidrIp", cidr: str = "0.0.0.0/0") -> dict:
    return {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {
            "GroupId": {"Fn::GetAtt": ["AlbGroup", "GroupId"]},
            cidr_key: cidr,
            "IpProtocol": "tcp",
            "FromPort": port,
            "ToPort": port,
        },
    }


@pytest.mark.parametrize(
    ("case", "extra"),
    [
        ("port that is no listener's", {"Open": _world_ingress(8080)}),
        ("IPv6 world on a non-listener port", {"Open": _world_ingress(22, "CidrIpv6", "::/0")}),
        (
            "listener port on a group no ALB uses",
            {
                "Other": {"Type": "AWS::EC2::SecurityGroup", "Properties": {}},
                "Open": {
                    **_world_ingress(443),
                    "Properties": {
                        **_world_ingress(443)["Properties"],
                        "GroupId": {"Fn::GetAtt": ["Other", "GroupId"]},
                    },
                },
            },
        ),
    ],
)
def test_world_ingress_exception_is_only_an_albs_listener_ports(case: str, extra: dict) -> None:
    fragment = {"AlbGroup": ALB_GROUP, "Alb": ALB, "Https": HTTPS_LISTENER, **extra}
    evaluation = evaluate_fragment(_rule("security-group-not-open-to-world"), fragment)
    assert [f.logical_id for f in evaluation.findings] == ["Open"]


def test_log_group_needs_a_kms_key_only_where_the_environment_asks() -> None:
    rule = _rule("log-group-kms")
    plain = {"Resources": {"Lg": {"Type": "AWS::Logs::LogGroup", "Properties": {}}}}
    kms = EnvironmentFacts(retain_stateful_resources=False, kms_encrypted_logs=True)
    no_kms = EnvironmentFacts(retain_stateful_resources=False, kms_encrypted_logs=False)
    assert rule.evaluate(plain, kms).findings
    assert not rule.evaluate(plain, no_kms).findings


@pytest.mark.parametrize(
    ("rule_id", "container"),
    [
        ("ecs-container-read-only-root", {"ReadonlyRootFilesystem": False}),
        ("ecs-container-read-only-root", {"ReadonlyRootFilesystem": None}),
        ("ecs-container-unprivileged", {"Privileged": True}),
        ("ecs-container-non-root", {"User": "root"}),
        ("ecs-container-non-root", {"User": "0:0"}),
        ("ecs-container-non-root", {"User": None}),
        ("ecs-container-logging", {"LogConfiguration": None}),
    ],
)
def test_each_container_hardening_property_is_its_own_rule(rule_id: str, container: dict) -> None:
    """A property fails its rule and only its rule, so acknowledging one (say, a writable root
    for one image) cannot hide another."""
    fragment = task(**container)
    flagged = {rule.id for rule in RULES if evaluate_fragment(rule, fragment).findings}
    assert flagged == {rule_id}


_INIT_CAPS = {"Drop": ["ALL"], "Add": ["CHOWN"]}


@pytest.mark.parametrize(
    ("container", "allowed"),
    [
        ({"User": "0", "Essential": False, "LinuxParameters": {"Capabilities": _INIT_CAPS}}, True),
        ({"User": "0", "Essential": True, "LinuxParameters": {"Capabilities": _INIT_CAPS}}, False),
        ({"User": "0", "Essential": False}, False),  # Docker's default capabilities
        (
            {
                "User": "0",
                "Essential": False,
                "LinuxParameters": {"Capabilities": {"Drop": ["NET_RAW"]}},
            },
            False,
        ),
    ],
)
def test_root_only_as_a_restricted_init_container(container: dict, allowed: bool) -> None:
    findings = evaluate_fragment(_rule("ecs-container-non-root"), task(**container)).findings
    assert bool(findings) is not allowed


@pytest.mark.parametrize(
    ("deployment", "flagged"),
    [
        ({}, True),
        ({"DeploymentController": {"Type": "ECS"}}, True),
        ({"DeploymentController": {"Type": "CODE_DEPLOY"}}, False),
        ({"DeploymentConfiguration": {"Strategy": "BLUE_GREEN"}}, False),
    ],
)
def test_circuit_breaker_is_required_of_rolling_ecs_deployments_only(
    deployment: dict[str, Any], flagged: bool
) -> None:
    service = {"Svc": {"Type": "AWS::ECS::Service", "Properties": deployment}}
    assert (
        bool(evaluate_fragment(_rule("ecs-service-circuit-breaker"), service).findings) is flagged
    )


@pytest.mark.parametrize(
    ("pattern", "scanned"), [("team/api", True), ("team/*", True), ("*", True), ("other", False)]
)
def test_enhanced_scanning_covers_the_repositories_its_filters_name(
    pattern: str, scanned: bool
) -> None:
    """Found by the config-space test: the registry construct lists its repositories by name in
    the enhanced-scanning filters; the rule only accepted the filter `*`."""
    fragment = {"R": repository(False, "IMMUTABLE"), "Scan": registry_scanning(pattern)}
    findings = evaluate_fragment(_rule("ecr-scan-on-push"), fragment).findings
    assert (not findings) is scanned


def _stack(template: dict[str, Any]) -> StackTemplate:
    return StackTemplate(
        construct_path="app-stack",
        template_path="/assembly/app-stack.template.json",
        region="eu-west-1",
        account=None,
        content=json.dumps(template).encode(),
    )


def test_plugin_reports_each_rule_and_resource_once_with_every_problem() -> None:
    """aws-cdk-lib maps a finding to its construct by template path and logical id, and offers
    `ContainerPlatform::<ruleName>` to acknowledge it."""
    checks = ContainerPlatformChecks(retain_stateful_resources=False, kms_encrypted_logs=False)
    two_containers = task(ReadonlyRootFilesystem=False)
    definitions = two_containers["Td"]["Properties"]["ContainerDefinitions"]
    definitions.append({**definitions[0], "Name": "sidecar"})
    (violation,) = checks.findings(_stack({"Resources": two_containers}))
    assert violation == {
        "ruleName": "ecs-container-read-only-root",
        "description": (
            "every ECS container has a read-only root filesystem: container app has a writable "
            "root filesystem; container sidecar has a writable root filesystem"
        ),
        "severity": "error",
        "violatingResources": [
            {
                "resourceLogicalId": "Td",
                "templatePath": "/assembly/app-stack.template.json",
                "locations": [],
            }
        ],
    }


def test_a_quota_finding_names_the_stack_and_cannot_be_acknowledged() -> None:
    """It has no resource: aws-cdk-lib shows the stack's path; fatal, which no acknowledgement
    suppresses (CloudFormation would refuse the template anyway)."""
    checks = ContainerPlatformChecks(retain_stateful_resources=False, kms_encrypted_logs=False)
    outputs = {f"O{i}": {"Value": "v"} for i in range(201)}
    (violation,) = checks.findings(_stack({"Resources": {}, "Outputs": outputs}))
    assert violation["ruleName"] == "cloudformation-quotas"
    assert violation["severity"] == "fatal"
    assert violation["violatingResources"][0]["constructPath"] == "app-stack"
    assert "201 outputs, at most 200 allowed" in violation["description"]


def test_a_task_over_the_ecs_container_quota_is_fatal_and_names_the_count() -> None:
    """ECS refuses the task definition whatever an acknowledgement says."""
    checks = ContainerPlatformChecks(retain_stateful_resources=False, kms_encrypted_logs=False)
    bad = _rule("ecs-task-container-quota").bad
    (violation,) = checks.findings(_stack({"Resources": dict(bad)}))
    assert violation["severity"] == "fatal"
    assert "11 containers, ECS allows at most 10 per task definition" in violation["description"]


def test_a_role_over_the_managed_policy_quota_is_fatal_and_counts_overflow_policies() -> None:
    """aws-cdk-lib attaches its overflow policies through the policies' Roles, not the role's
    ManagedPolicyArns (all cdk-preflight counts): the rule counts both, and IAM refuses the 11th."""
    checks = ContainerPlatformChecks(retain_stateful_resources=False, kms_encrypted_logs=False)
    bad = _rule("iam-role-managed-policy-quota").bad
    (violation,) = checks.findings(_stack({"Resources": dict(bad)}))
    assert violation["severity"] == "fatal"
    assert violation["violatingResources"][0]["resourceLogicalId"] == "R"
    assert (
        "11 managed policies (0 in ManagedPolicyArns, 11 attached by the template's managed "
        "policies), IAM attaches at most 10 to a role by default" in violation["description"]
    )


def test_the_validation_guide_lists_every_rule(repo_root: Path) -> None:
    """docs/validation.md's table of the pack is how a user finds a rule id to acknowledge."""
    guide = (repo_root / "docs" / "validation.md").read_text(encoding="utf-8")
    assert [rule_id for rule_id in RULE_IDS if f"`{rule_id}`" not in guide] == []
