"""What every ECS cluster construct of this package shares besides its capacity: the props
(the VPC, Container Insights, the ECS Exec session log group, Service Connect) and the resources
they make. `Ec2Cluster`, `FargateCluster` and `ManagedInstancesCluster` add their capacity."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct

from container_constructs import defaults
from container_constructs.common import DEFAULT_LOG_RETENTION
from container_constructs.ecs_service_cluster import (
    LaunchType,
    ServiceCluster,
    add_exec_log_group,
    add_service_connect,
    exec_logging,
)


@dataclass(frozen=True, kw_only=True)
class ClusterBaseProps:
    """The props every cluster construct takes; each cluster's props add its capacity's.

    Attributes:
        vpc: the VPC; the cluster's tasks (and instances) run in its private subnets. Required.
        container_insights: Container Insights level. Default: ENABLED.
        exec_log_retention: retention of the ECS Exec session log group. Default: one month.
        log_encryption_key: KMS key of the ECS Exec log group. Default: none.
        removal_policy: of the ECS Exec log group. Default: RETAIN.
        exec_log_group_name: name of the ECS Exec log group, so that other stacks can name it
            without a cross-stack reference. Default: generated.
        service_connect_namespace: the name of a Cloud Map HTTP namespace for ECS Service
            Connect, with the security group its tasks carry (`add_service_connect`). Default:
            None, no Service Connect.
    """

    vpc: ec2.IVpc
    container_insights: ecs.ContainerInsights = ecs.ContainerInsights[
        defaults.CONTAINER_INSIGHTS.upper()
    ]
    exec_log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION
    log_encryption_key: kms.IKey | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    exec_log_group_name: str | None = None
    service_connect_namespace: str | None = None


def base_fields(props: ClusterBaseProps) -> dict[str, Any]:
    """`props`'s fields by name, to make a cluster's own props from the base ones (e.g.
    `FargateClusterProps(**base_fields(base), default_strategy=...)`)."""
    return {field.name: getattr(props, field.name) for field in fields(ClusterBaseProps)}


def add_cluster(
    scope: Construct, props: ClusterBaseProps, **cluster_props: Any
) -> tuple[ecs.Cluster, logs.LogGroup]:
    """The ECS Exec session log group (`ExecLogGroup`) and the cluster (`Cluster`) logging every
    session to it, with `props`' Container Insights level.

    Args:
        props: the cluster's props. Required.
        cluster_props: more `ecs.Cluster` props (e.g. Fargate's capacity providers). Default:
            none.
    """
    exec_log_group = add_exec_log_group(
        scope,
        retention=props.exec_log_retention,
        removal_policy=props.removal_policy,
        encryption_key=props.log_encryption_key,
        name=props.exec_log_group_name,
    )
    cluster = ecs.Cluster(
        scope,
        "Cluster",
        vpc=props.vpc,
        container_insights_v2=props.container_insights,
        execute_command_configuration=exec_logging(
            exec_log_group, encrypted=props.log_encryption_key is not None
        ),
        **cluster_props,
    )
    return cluster, exec_log_group


@dataclass(frozen=True)
class ClusterServices:
    """What `add_service_cluster` makes.

    Attributes:
        namespace: the Service Connect namespace; None without `service_connect_namespace`.
            Required.
        service_connect_security_group: the security group of its clients; None without it.
            Required.
        service_cluster: the handle services of the cluster take. Required.
    """

    namespace: servicediscovery.HttpNamespace | None
    service_connect_security_group: ec2.SecurityGroup | None
    service_cluster: ServiceCluster


def add_service_cluster(
    scope: Construct,
    props: ClusterBaseProps,
    *,
    cluster: ecs.Cluster,
    exec_log_group: logs.ILogGroup,
    launch_type: LaunchType,
    strategy: list[ecs.CapacityProviderStrategy],
) -> ClusterServices:
    """Service Connect (with `props.service_connect_namespace`) and the `ServiceCluster` services
    of this cluster take.

    Args:
        props: the cluster's props. Required.
        cluster: the cluster (`add_cluster`). Required.
        exec_log_group: its ECS Exec session log group. Required.
        launch_type: the kind of capacity its services run on. Required.
        strategy: its default capacity provider strategy. Required.
    """
    namespace: servicediscovery.HttpNamespace | None = None
    clients: ec2.SecurityGroup | None = None
    if props.service_connect_namespace is not None:
        namespace, clients = add_service_connect(
            scope, vpc=props.vpc, name=props.service_connect_namespace
        )
    return ClusterServices(
        namespace=namespace,
        service_connect_security_group=clients,
        service_cluster=ServiceCluster(
            cluster=cluster,
            launch_type=launch_type,
            capacity_provider_strategy=strategy,
            exec_log_group=exec_log_group,
            log_key=props.log_encryption_key,
            namespace=namespace,
            service_connect_security_group=clients,
        ),
    )
