"""An ECS cluster whose services run on Fargate and Fargate Spot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    ServiceCluster,
    add_exec_log_group,
    add_service_connect,
    exec_logging,
)


def _default_strategy() -> list[ecs.CapacityProviderStrategy]:
    return [ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=1)]


@dataclass(frozen=True, kw_only=True)
class FargateClusterProps:
    """Props of `FargateCluster`.

    Attributes:
        vpc: the VPC the cluster's tasks run in. Required.
        default_strategy: default capacity provider strategy over FARGATE / FARGATE_SPOT.
            Default: FARGATE only (weight 1).
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
    default_strategy: Sequence[ecs.CapacityProviderStrategy] = field(
        default_factory=_default_strategy
    )
    container_insights: ecs.ContainerInsights = ecs.ContainerInsights[
        defaults.CONTAINER_INSIGHTS.upper()
    ]
    exec_log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION
    log_encryption_key: kms.IKey | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    exec_log_group_name: str | None = None
    service_connect_namespace: str | None = None


class FargateCluster(Construct):
    """An ECS cluster with the FARGATE and FARGATE_SPOT capacity providers, a default strategy,
    Container Insights and ECS Exec session logging.

    Attributes:
        cluster: the ECS cluster.
        exec_log_group: the log group of ECS Exec sessions.
        default_strategy: the default capacity provider strategy (services pass it on).
        service_cluster: what services on this cluster take (`WebServiceProps.cluster`).
        namespace / service_connect_security_group: the Service Connect namespace and its
            client group, or None (no `service_connect_namespace`).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: FargateClusterProps) -> None:
        super().__init__(scope, construct_id)
        # Config: FargateClusterConfig.default_strategy has min_length=1 (and a weight > 0).
        if not props.default_strategy:
            raise ValueError("FargateCluster: default_strategy needs at least one provider")
        self.exec_log_group = add_exec_log_group(
            self,
            retention=props.exec_log_retention,
            removal_policy=props.removal_policy,
            encryption_key=props.log_encryption_key,
            name=props.exec_log_group_name,
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=props.vpc,
            enable_fargate_capacity_providers=True,
            container_insights_v2=props.container_insights,
            execute_command_configuration=exec_logging(
                self.exec_log_group, encrypted=props.log_encryption_key is not None
            ),
        )
        self.default_strategy = list(props.default_strategy)
        self.cluster.add_default_capacity_provider_strategy(self.default_strategy)
        self.namespace: servicediscovery.HttpNamespace | None = None
        self.service_connect_security_group: ec2.SecurityGroup | None = None
        if props.service_connect_namespace is not None:
            self.namespace, self.service_connect_security_group = add_service_connect(
                self, vpc=props.vpc, name=props.service_connect_namespace
            )
        self.service_cluster = ServiceCluster(
            cluster=self.cluster,
            launch_type="fargate",
            capacity_provider_strategy=self.default_strategy,
            exec_log_group=self.exec_log_group,
            log_key=props.log_encryption_key,
            namespace=self.namespace,
            service_connect_security_group=self.service_connect_security_group,
        )
