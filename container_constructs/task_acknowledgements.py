"""The acknowledgements of a service's task (container_constructs/task_definition.py): the
findings it has by design (ECS Exec's unscoped actions, the FireLens router's root user, X-Ray's
Resource *) or by an exception the service states, made on the narrowest construct."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Stack, Token, Validations
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

if TYPE_CHECKING:
    from container_constructs.task_definition import TaskProps

# The platform's own rules (the ContainerPlatform validation plugin) an exception acknowledges.
NON_ROOT_RULE = "ContainerPlatform::ecs-container-non-root"
READ_ONLY_ROOT_RULE = "ContainerPlatform::ecs-container-read-only-root"
ENVIRONMENT_RULE = "AwsSolutions::AwsSolutions-ECS2"


def acknowledge_task(
    scope: Construct,
    props: TaskProps,
    task_definition: ecs.TaskDefinition,
    task_role: iam.Role,
) -> None:
    """Acknowledge the findings a service's task has by design or by its stated exceptions, on
    its task definition (container rules, environment variables) and task role (wildcards)."""
    acknowledgments: dict[str, str] = {}
    root_reasons = []
    if props.exceptions.run_as_root is not None:
        root_reasons.append(f"exception run_as_root: {props.exceptions.run_as_root}")
    if any(sidecar.preset == "firelens" for sidecar in props.sidecars):
        root_reasons.append(
            "the FireLens log router runs as root, with every capability dropped: ECS creates "
            "its log socket in a root-owned directory (aws/containers-roadmap#2122)"
        )
    if root_reasons:
        acknowledgments[NON_ROOT_RULE] = "; ".join(root_reasons)
    if props.exceptions.writable_root_filesystem is not None:
        acknowledgments[READ_ONLY_ROOT_RULE] = (
            f"exception writable_root_filesystem: {props.exceptions.writable_root_filesystem}"
        )
    environment = bool(props.environment) or any(
        s.environment or s.preset == "otel-collector" for s in props.sidecars
    )
    if props.cluster.launch_type == "ec2" and not environment:
        acknowledgments[ENVIRONMENT_RULE] = (
            "The only environment variable is AWS_REGION, which aws-cdk-lib "
            "adds to EC2 task definitions; secrets come from Secrets Manager/SSM"
        )
    elif environment:
        acknowledgments[ENVIRONMENT_RULE] = (
            "Plain, non-secret settings from the service's config (and the platform's own, such "
            "as queue URLs and the collector's config); secrets are injected from Secrets "
            "Manager/SSM, and the config refuses a name used both ways"
        )
    if acknowledgments:
        Validations.of(task_definition).acknowledge(
            *(Acknowledgment(id=rule, reason=reason) for rule, reason in acknowledgments.items())
        )
    wildcard_reasons = []
    if props.enable_execute_command:
        wildcard_reasons.append(
            "ECS Exec: ssmmessages channel actions and logs:DescribeLogGroups "
            "support no resource scoping"
        )
    if any(sidecar.preset == "otel-collector" for sidecar in props.sidecars):
        wildcard_reasons.append(
            "the OpenTelemetry collector sends traces with xray:PutTraceSegments and "
            "xray:PutTelemetryRecords, which X-Ray accepts only on Resource *"
        )
    role_acknowledgments = []
    if wildcard_reasons:
        role_acknowledgments.append(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="; ".join(wildcard_reasons),
            )
        )
    exec_log_group = props.cluster.exec_log_group
    if props.enable_execute_command and exec_log_group is not None:
        acknowledgment = _exec_log_streams_acknowledgment(Stack.of(scope), exec_log_group)
        if acknowledgment is not None:
            role_acknowledgments.append(acknowledgment)
    if role_acknowledgments:
        Validations.of(task_role).acknowledge(*role_acknowledgments)


def _log_group_label(stack: Stack, log_group: logs.ILogGroup) -> str | None:
    """`log_group` as cdk-nag writes it in a finding of `stack`: its literal name (an imported
    log group), or `<LogicalId>` for one created in that stack. None for another stack's log
    group (a cross-stack reference: import it by name with `ServiceCluster.from_attributes`)."""
    name = log_group.log_group_name
    if not Token.is_unresolved(name):
        return name
    if Stack.of(log_group).node.path != stack.node.path:
        return None
    reference = stack.resolve(name)
    if isinstance(reference, dict) and set(reference) == {"Ref"}:
        return f"<{reference['Ref']}>"
    return None


# Each stack's acknowledgement per exec log group, the same for every service of the stack (it
# takes about ten jsii calls to make).
_EXEC_ACKNOWLEDGMENTS: weakref.WeakKeyDictionary[
    Stack, dict[int, tuple[logs.ILogGroup, Acknowledgment | None]]
] = weakref.WeakKeyDictionary()


def _exec_log_streams_acknowledgment(
    stack: Stack, log_group: logs.ILogGroup
) -> Acknowledgment | None:
    """cdk-nag's IAM5 finding on the task role's ECS Exec statement: aws-cdk-lib lets the task
    write session log streams to every stream (`:*`) of the cluster's exec log group, shown as
    `_log_group_label` shows it. None when the label is unknown (another stack's log group)."""
    known = _EXEC_ACKNOWLEDGMENTS.setdefault(stack, {})
    if id(log_group) not in known:
        known[id(log_group)] = (log_group, _make_exec_acknowledgment(stack, log_group))
    return known[id(log_group)][1]


def _make_exec_acknowledgment(stack: Stack, log_group: logs.ILogGroup) -> Acknowledgment | None:
    label = _log_group_label(stack, log_group)
    if label is None:
        return None
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    # A token without @aws-cdk/core:enablePartitionLiterals (or without a region).
    partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
    return Acknowledgment(
        id=f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:logs:"
        f"{region}:{account}:log-group:{label}:*]",
        reason="ECS Exec writes one log stream per session into the cluster's exec log group",
    )
