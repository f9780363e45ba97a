"""IAM: an Allow on `Resource: *` only for actions AWS authorizes on no narrower resource; no role
with more managed policies than IAM attaches by default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..checks import MANAGED_POLICIES_PER_ROLE
from .rule import EnvironmentFacts, Rule
from .template import Resource, as_list, get, mappings, referenced_id

ROLE = "AWS::IAM::Role"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"

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


def managed_policy_quota(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """At most MANAGED_POLICIES_PER_ROLE managed policies: those the role lists
    (ManagedPolicyArns) and the template's managed policies naming it in their Roles (aws-cdk-lib's
    OverflowPolicyN); IAM refuses to attach one more, midway through the deploy."""
    listed = len(as_list(resource.properties.get("ManagedPolicyArns")))
    attaching = [
        policy.logical_id
        for policy in resource.siblings(MANAGED_POLICY)
        if resource.logical_id in map(referenced_id, as_list(policy.properties.get("Roles")))
    ]
    count = listed + len(attaching)
    if count <= MANAGED_POLICIES_PER_ROLE:
        return []
    return [
        f"{count} managed policies ({listed} in ManagedPolicyArns, {len(attaching)} attached by "
        f"the template's managed policies), IAM attaches at most {MANAGED_POLICIES_PER_ROLE} to a "
        "role by default: fewer grants (or, with the account's quota raised, "
        "checks.MANAGED_POLICIES_PER_ROLE raised to it)"
    ]


def _role_with_overflow(policies: int) -> dict[str, dict[str, Any]]:
    """A role and `policies` managed policies attached to it by their Roles, as aws-cdk-lib
    writes its overflow policies."""
    statement = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:::q"}
    fragment: dict[str, dict[str, Any]] = {"R": {"Type": ROLE, "Properties": {}}}
    for index in range(policies):
        fragment[f"Overflow{index}"] = {
            "Type": MANAGED_POLICY,
            "Properties": {
                "PolicyDocument": {"Statement": [statement]},
                "Roles": [{"Ref": "R"}],
            },
        }
    return fragment


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
    Rule(
        id="iam-role-managed-policy-quota",
        requirement=(
            f"every IAM role has at most {MANAGED_POLICIES_PER_ROLE} managed policies (IAM's "
            "default quota), counting those attached by the template's managed policies"
        ),
        resource_types=(ROLE,),
        check=managed_policy_quota,
        bad=_role_with_overflow(MANAGED_POLICIES_PER_ROLE + 1),
        good=_role_with_overflow(MANAGED_POLICIES_PER_ROLE),
        severity="fatal",  # IAM refuses it: an acknowledgement would not help the deploy
    ),
)
