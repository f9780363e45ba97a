"""Security properties of every resource of every synthesized template, by resource type
(tests/gates/security_rules.py), in addition to what cdk-nag and cfn-lint check."""

from __future__ import annotations

import pytest

from tests.gates.cfn import EnvironmentFacts
from tests.gates.rules import Rule, evaluate, evaluate_example
from tests.gates.security_rules import SECURITY_RULES, WILDCARD_RESOURCE_ACTIONS
from tests.helpers.assembly import Assembly
from tests.helpers.gate_facts import environment_facts


@pytest.fixture(scope="module")
def facts(assemblies: dict[str, Assembly]) -> list[EnvironmentFacts]:
    return [environment_facts(assembly) for assembly in assemblies.values()]


@pytest.mark.parametrize("rule", SECURITY_RULES, ids=lambda rule: rule.id)
def test_every_synthesized_resource_follows_the_rule(
    rule: Rule, facts: list[EnvironmentFacts]
) -> None:
    """Each rule holds for every resource of its types in every environment; a rule whose types
    do not occur yet is reported as skipped (naming the types), not silently passed."""
    evaluations = [evaluate(rule, environment) for environment in facts]
    if not sum(e.checked for e in evaluations):
        pytest.skip(f"{rule.id}: no {', '.join(rule.resource_types)} in any environment yet")
    findings = [str(f) for e in evaluations for f in e.findings]
    assert not findings, f"{rule.requirement}:\n" + "\n".join(findings)


@pytest.mark.parametrize("rule", SECURITY_RULES, ids=lambda rule: rule.id)
def test_rule_fails_on_its_bad_fragment(rule: Rule) -> None:
    """No gate is vacuous: a hand-made bad template fragment produces a finding."""
    evaluation = evaluate_example(rule, rule.bad)
    assert evaluation.checked
    assert evaluation.findings


@pytest.mark.parametrize("rule", SECURITY_RULES, ids=lambda rule: rule.id)
def test_rule_passes_its_good_fragment(rule: Rule) -> None:
    """And it is precise: the compliant fragment (including the allowed exceptions) passes."""
    evaluation = evaluate_example(rule, rule.good)
    assert evaluation.checked
    assert not evaluation.findings, [str(f) for f in evaluation.findings]


def test_every_wildcard_resource_action_says_why() -> None:
    assert all(len(why.split()) >= 5 for why in WILDCARD_RESOURCE_ACTIONS.values())


def _rule(rule_id: str) -> Rule:
    return next(rule for rule in SECURITY_RULES if rule.id == rule_id)


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
    rule = _rule("security-group-not-open-to-world")
    evaluation = evaluate_example(rule, {**rule.good, **extra})
    assert [f.where for f in evaluation.findings] == [
        "fragment/Open (AWS::EC2::SecurityGroupIngress)"
    ]


def test_log_group_needs_a_kms_key_only_where_the_environment_asks() -> None:
    rule = _rule("log-group-retention-and-kms")
    plain = {"Lg": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}}
    from tests.gates.cfn import fragment

    assert evaluate(rule, fragment(plain, kms_encrypted_logs=True)).findings
    assert not evaluate(rule, fragment(plain, kms_encrypted_logs=False)).findings


@pytest.mark.parametrize(
    "container",
    [
        {"ReadonlyRootFilesystem": False},
        {"User": "root"},
        {"User": "0:0"},
        {"LogConfiguration": None},
    ],
)
def test_each_container_hardening_property_is_checked(container: dict) -> None:
    rule = _rule("ecs-container-hardened")
    definition = {**rule.good["Td"]["Properties"]["ContainerDefinitions"][0], **container}
    bad = {
        "Td": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"ContainerDefinitions": [definition]},
        }
    }
    assert evaluate_example(rule, bad).findings


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
    rule = _rule("ecs-container-hardened")
    definition = {**rule.good["Td"]["Properties"]["ContainerDefinitions"][0], **container}
    td = {
        "Td": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {"ContainerDefinitions": [definition]},
        }
    }
    assert bool(evaluate_example(rule, td).findings) is not allowed


def test_launch_template_without_an_encrypted_volume_fails() -> None:
    rule = _rule("launch-template-imdsv2-encrypted-private")
    data = {"MetadataOptions": {"HttpTokens": "required"}}
    bad = {"Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": data}}}
    assert evaluate_example(rule, bad).findings


def _scanning_case(filter_pattern: str) -> list[str]:
    resources = {
        "Repo": {
            "Type": "AWS::ECR::Repository",
            "Properties": {
                "RepositoryName": "team/api",
                "ImageScanningConfiguration": {"ScanOnPush": False},
                "ImageTagMutability": "IMMUTABLE",
            },
        },
        "Scanning": {
            "Type": "AWS::ECR::RegistryScanningConfiguration",
            "Properties": {
                "ScanType": "ENHANCED",
                "Rules": [
                    {
                        "ScanFrequency": "SCAN_ON_PUSH",
                        "RepositoryFilters": [{"Filter": filter_pattern, "FilterType": "WILDCARD"}],
                    }
                ],
            },
        },
    }
    return [
        str(f) for f in evaluate_example(_rule("ecr-scan-on-push-immutable"), resources).findings
    ]


def test_enhanced_scanning_covers_the_repositories_its_filters_name() -> None:
    """Found by the config-space test: the registry construct lists its repositories by name in the
    enhanced-scanning filters; the rule only accepted the filter `*`."""
    assert _scanning_case("team/api") == []
    assert _scanning_case("team/*") == []
    assert _scanning_case("other") != []
