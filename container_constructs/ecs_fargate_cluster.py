"""An ECS cluster whose services run on Fargate and Fargate Spot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import aws_ecs as ecs
from constructs import Construct

from container_constructs.ecs_cluster_base import ClusterBaseProps, add_cluster, add_service_cluster


def _default_strategy() -> list[ecs.CapacityProviderStrategy]:
    return [ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=1)]


@dataclass(frozen=True, kw_only=True)
class FargateClusterProps(ClusterBaseProps):
    """Props of `FargateCluster`, with those of `ClusterBaseProps` (the VPC,
    Container Insights, the ECS Exec log group, Service Connect).

    Attributes:
        default_strategy: default capacity provider strategy over FARGATE / FARGATE_SPOT.
            Default: FARGATE only (weight 1).
    """

    default_strategy: Sequence[ecs.CapacityProviderStrategy] = field(
        default_factory=_default_strategy
    )


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
        self.cluster, self.exec_log_group = add_cluster(
            self, props, enable_fargate_capacity_providers=True
        )
        self.default_strategy = list(props.default_strategy)
        self.cluster.add_default_capacity_provider_strategy(self.default_strategy)
        services = add_service_cluster(
            self,
            props,
            cluster=self.cluster,
            exec_log_group=self.exec_log_group,
            launch_type="fargate",
            strategy=self.default_strategy,
        )
        self.namespace = services.namespace
        self.service_connect_security_group = services.service_connect_security_group
        self.service_cluster = services.service_cluster
