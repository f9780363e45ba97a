"""A queue worker's task count follows its backlog per task: AWS's recommended target tracking on
the queue's visible messages divided by the service's running tasks (Application Auto Scaling
user guide, "Create a target tracking scaling policy for Application Auto Scaling using metric
math", example "Amazon SQS queue backlog per task", read 2026-12-05:
https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking-metric-math.html).

Two changes to that example, both for a worker that may scale to zero:
- The division never divides by zero: with no running task (RunningTaskCount 0, or no data
  points, which FILL makes 0) the backlog per task is the backlog itself.
- Target tracking cannot start the first task. It scales "proportionally to the metric" (the same
  guide, "How target tracking scaling for Application Auto Scaling works"): the capacity it asks
  for is the current one times metric / target, and the current one is 0. So with min_tasks 0 a
  step scaling policy sets the count to 1 when messages are visible and no task runs; target
  tracking takes over from there. The alarm watches only that case, so the two policies never
  pull in different directions (the guide's caution about mixing them).

RunningTaskCount comes from Container Insights (namespace ECS/ContainerInsights), which the
platform's clusters always enable.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

PERIOD = Duration.minutes(1)
# The backlog per running task, and the backlog while none runs (ids: messages, running).
BACKLOG_PER_TASK = "IF(FILL(running, 0) > 0, messages / FILL(running, 0), messages)"
BACKLOG_WITHOUT_TASKS = "IF(FILL(running, 0) == 0, FILL(messages, 0), 0)"


def backlog_metrics(
    *, cluster_name: str, service_name: str, queue: sqs.IQueue
) -> dict[str, cloudwatch.IMetric]:
    """The two metrics both policies read: the queue's visible messages and the service's
    running tasks, one-minute periods."""
    return {
        "messages": queue.metric_approximate_number_of_messages_visible(
            period=PERIOD, statistic="Sum"
        ),
        "running": cloudwatch.Metric(
            namespace="ECS/ContainerInsights",
            metric_name="RunningTaskCount",
            dimensions_map={"ClusterName": cluster_name, "ServiceName": service_name},
            statistic="Average",
            period=PERIOD,
        ),
    }


def add_backlog_scaling(
    scope: Construct,
    *,
    service: ecs.BaseService,
    cluster_name: str,
    queue: sqs.IQueue,
    min_tasks: int,
    max_tasks: int,
    backlog_per_task: int,
) -> appscaling.ScalableTarget:
    """The service's scalable target (`ScalableTarget`, min_tasks..max_tasks), the target
    tracking policy on backlog per task (`BacklogScaling`) and, with min_tasks 0, the step
    policy that starts the first task (`ScaleFromZero`, alarm `BacklogWithoutTasks`).

    Args:
        service: the worker's ECS service. Required.
        cluster_name: its cluster's name. Required.
        queue: the queue it consumes. Required.
        min_tasks: lowest task count (0 allowed). Required.
        max_tasks: highest task count. Required.
        backlog_per_task: the visible messages per running task to keep. Required.
    """
    stack = Stack.of(scope)
    # The role ECS services scale with: Application Auto Scaling's service-linked role for ECS,
    # as aws-cdk-lib's BaseService.autoScaleTaskCount names it.
    role = iam.Role.from_role_arn(
        scope,
        "ScalingRole",
        stack.format_arn(
            service="iam",
            region="",
            resource="role/aws-service-role/ecs.application-autoscaling.amazonaws.com",
            resource_name="AWSServiceRoleForApplicationAutoScaling_ECSService",
        ),
    )
    target = appscaling.ScalableTarget(
        scope,
        "ScalableTarget",
        service_namespace=appscaling.ServiceNamespace.ECS,
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=f"service/{cluster_name}/{service.service_name}",
        min_capacity=min_tasks,
        max_capacity=max_tasks,
        role=role,
    )
    target.node.add_dependency(service)
    metrics = backlog_metrics(
        cluster_name=cluster_name, service_name=service.service_name, queue=queue
    )
    # aws-cdk-lib's TargetTrackingScalingPolicy takes a single metric only, so the metric math
    # policy is the CloudFormation resource itself.
    policy = appscaling.CfnScalingPolicy
    queries = [
        policy.TargetTrackingMetricDataQueryProperty(
            id="messages",
            label="Visible messages in the queue",
            metric_stat=policy.TargetTrackingMetricStatProperty(
                metric=policy.TargetTrackingMetricProperty(
                    namespace="AWS/SQS",
                    metric_name="ApproximateNumberOfMessagesVisible",
                    dimensions=[
                        policy.TargetTrackingMetricDimensionProperty(
                            name="QueueName", value=queue.queue_name
                        )
                    ],
                ),
                stat="Sum",
            ),
            return_data=False,
        ),
        policy.TargetTrackingMetricDataQueryProperty(
            id="running",
            label="Running tasks of the service",
            metric_stat=policy.TargetTrackingMetricStatProperty(
                metric=policy.TargetTrackingMetricProperty(
                    namespace="ECS/ContainerInsights",
                    metric_name="RunningTaskCount",
                    dimensions=[
                        policy.TargetTrackingMetricDimensionProperty(
                            name="ClusterName", value=cluster_name
                        ),
                        policy.TargetTrackingMetricDimensionProperty(
                            name="ServiceName", value=service.service_name
                        ),
                    ],
                ),
                stat="Average",
            ),
            return_data=False,
        ),
        policy.TargetTrackingMetricDataQueryProperty(
            id="backlog",
            label="Backlog per running task",
            expression=BACKLOG_PER_TASK,
            return_data=True,
        ),
    ]
    appscaling.CfnScalingPolicy(
        scope,
        "BacklogScaling",
        policy_name="BacklogPerTask",
        policy_type="TargetTrackingScaling",
        scaling_target_id=target.scalable_target_id,
        target_tracking_scaling_policy_configuration=(
            policy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=backlog_per_task,
                customized_metric_specification=policy.CustomizedMetricSpecificationProperty(
                    metrics=queries
                ),
            )
        ),
    )
    if min_tasks == 0:
        action = appscaling.StepScalingAction(
            scope,
            "ScaleFromZero",
            scaling_target=target,
            adjustment_type=appscaling.AdjustmentType.EXACT_CAPACITY,
            cooldown=PERIOD,
        )
        action.add_adjustment(adjustment=1, lower_bound=0)
        alarm = cloudwatch.Alarm(
            scope,
            "BacklogWithoutTasks",
            alarm_description="Messages wait and no task runs: start the first task",
            metric=cloudwatch.MathExpression(
                expression=BACKLOG_WITHOUT_TASKS,
                using_metrics=metrics,
                period=PERIOD,
                label="Visible messages while no task runs",
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(action))
    return target
