"""Log groups: a retention period everywhere, and a KMS key where the environment asks for one."""

from __future__ import annotations

from .rule import EnvironmentFacts, Rule
from .template import Resource

LOG_GROUP = "AWS::Logs::LogGroup"


def log_group_retention(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """A retention period on the log group."""
    if resource.properties.get("RetentionInDays"):
        return []
    return ["no RetentionInDays (logs would be kept, and billed, forever)"]


def log_group_kms(resource: Resource, facts: EnvironmentFacts) -> list[str]:
    """A KMS key on the log group where the environment encrypts logs."""
    if not facts.kms_encrypted_logs or resource.properties.get("KmsKeyId"):
        return []
    return ["no KmsKeyId, but the environment encrypts log groups with KMS"]


_KEYED = {
    "Type": LOG_GROUP,
    "Properties": {"RetentionInDays": 7, "KmsKeyId": {"Fn::GetAtt": ["K", "Arn"]}},
}

RULES: tuple[Rule, ...] = (
    Rule(
        id="log-group-retention",
        requirement="every log group has a retention period",
        resource_types=(LOG_GROUP,),
        check=log_group_retention,
        bad={"Lg": {"Type": LOG_GROUP, "Properties": {"KmsKeyId": {"Fn::GetAtt": ["K", "Arn"]}}}},
        good={"Lg": _KEYED},
    ),
    Rule(
        id="log-group-kms",
        requirement="where the environment encrypts logs with KMS, every log group has a key",
        resource_types=(LOG_GROUP,),
        check=log_group_kms,
        bad={"Lg": {"Type": LOG_GROUP, "Properties": {"RetentionInDays": 7}}},
        good={"Lg": _KEYED},
        example_facts=EnvironmentFacts(retain_stateful_resources=False, kms_encrypted_logs=True),
    ),
)
