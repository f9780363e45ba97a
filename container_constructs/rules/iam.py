"""IAM: an Allow on `Resource: *` only for actions AWS authorizes on no narrower resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rule import EnvironmentFacts, Rule
from .template import Resource, as_list, get, mappings

# Actions that AWS only authorizes on `Resource: *` (no resource-level permissions), with why a
# platform role needs them. A `Resource: *` statement with any action not listed here fails.
WILDCARD_RESOURCE_ACTIONS: dict[str, str] = {
    "ecr:GetAuthorizationToken": (
        "the registry login token is account-wide; ECR offers no resource-level permission"
    ),
    "logs:DescribeLogGroups": "CloudWatch Logs lists log groups only on Resource *",
    "cloudwatch:PutMetricData": "metrics have no ARN; scope is by the cloudwatch:namespace key",
    "ssmmessages:CreateControlChannel": "ECS Exec session channels have no ARN until created",
    "ssmmessages:CreateDataChannel": "ECS Exec session channels have no ARN until created",
    "ssmmessages:OpenControlChannel": "ECS Exec session channels have no ARN until created",
    "ssmmessages:OpenDataChannel": "ECS Exec session channels have no ARN until created",
    "xray:PutTraceSegments": "X-Ray accepts trace data only on Resource *",
    "xray:PutTelemetryRecords": "X-Ray accepts telemetry only on Resource *",
    "ec2:DescribeAvailabilityZones": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeInstances": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeSubnets": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeSecurityGroups": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeNetworkInterfaces": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeVpcs": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeRouteTables": "EC2 Describe* calls support no resource-level permission",
    "ecs:DiscoverPollEndpoint": "the ECS agent endpoint lookup supports only Resource *",
    "ecs:Poll": (
        "aws-cdk-lib's container-instance policy: the agent polls before its instance ARN exists"
    ),
    "ecs:StartTelemetrySession": (
        "aws-cdk-lib's container-instance policy: Container Insights telemetry from the agent"
    ),
    "logs:CreateLogStream": (
        "aws-cdk-lib's container-instance policy: the ECS agent's own logs (task logs use the "
        "execution role, scoped to their log group)"
    ),
    "logs:PutLogEvents": (
        "aws-cdk-lib's container-instance policy: the ECS agent's own logs (task logs use the "
        "execution role, scoped to their log group)"
    ),
}


def _policy_documents(resource: Resource) -> list[Any]:
    props = resource.properties
    if resource.type == "AWS::IAM::Role":
        return [p.get("PolicyDocument") for p in mappings(props.get("Policies"))]
    return [props.get("PolicyDocument")]


def wildcard_resources_are_required(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Each Allow on Resource '*' lists only actions of WILDCARD_RESOURCE_ACTIONS."""
    problems = []
    for document in _policy_documents(resource):
        for statement in mappings(get(document, "Statement")):
            if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource")):
                continue
            unlisted = [
                a for a in as_list(statement.get("Action")) if a not in WILDCARD_RESOURCE_ACTIONS
            ]
            if unlisted:
                problems.append(
                    f"Resource '*' for {', '.join(map(str, unlisted))}: scope it to ARNs, or add "
                    "the action to WILDCARD_RESOURCE_ACTIONS with why the service requires '*'"
                )
    return problems


def _policy(statement: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Policy",
        "Properties": {"PolicyDocument": {"Statement": [statement]}},
    }


RULES: tuple[Rule, ...] = (
    Rule(
        id="iam-wildcard-resource",
        requirement="an Allow on Resource '*' only for actions listed in WILDCARD_RESOURCE_ACTIONS",
        resource_types=("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"),
        check=wildcard_resources_are_required,
        bad={"P": _policy({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"})},
        good={
            "P": _policy(
                {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"}
            )
        },
    ),
)
