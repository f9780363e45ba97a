"""The ECS stacks: per cluster kind, one cluster stack (cluster, capacity, shared ALB) and as many
service stacks as the services need.

Placement is the config's (`ClusterConfig.placement`, platform_config/ecs_placement.py `place`):
a web service lives in stack `services-N`, N its `stack` (default 1), and on ALB k of its
load-balancer group, k the block of its route priority; a service of another kind in a stack of
its own (`ClusterConfig.workload_stacks`). Neither depends on the other services or
the list order, and a priority change never moves a service to another stack, so logical ids stay
put. A service's resources are named after the service; its listener rule after its priority, in
the `ListenerRoutes` of its stack and ALB, so a rename updates the rule in place (a kept rule,
`legacy_listener_rules`, keeps the id it had before) and its target group after its ALB, so a move
to another ALB makes a new one. The default group's first ALB keeps the construct ids of the
single shared ALB (`SharedLoadBalancer`, output `LoadBalancerDnsName`); every other ALB's ids name
its group and number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from container_constructs.common import retention_days
from container_constructs.ecs_cluster_base import ClusterBaseProps, base_fields
from container_constructs.ecs_ec2_cluster import Ec2Cluster, Ec2ClusterProps
from container_constructs.ecs_fargate_cluster import FargateCluster, FargateClusterProps
from container_constructs.ecs_managed_instances import (
    ManagedInstancesCluster,
    ManagedInstancesClusterProps,
)
from container_constructs.ecs_service_cluster import (
    NamespaceAttributes,
    ServiceCluster,
    ServiceLoadBalancer,
)
from container_constructs.listener_routes import ListenerRoutes, ListenerRoutesProps
from container_constructs.load_balancer import (
    HTTPS_FIRST_LISTENER_IDS,
    LISTENER_IDS,
    SharedLoadBalancer,
    SharedLoadBalancerProps,
)
from container_constructs.service_release import with_test_routes
from container_constructs.worker_service import WorkerService
from platform_config.ecs import ClusterConfig, Ec2ClusterConfig, FargateClusterConfig
from platform_config.ecs_managed_instances import ManagedInstancesClusterConfig
from platform_config.ecs_placement import AlbKey
from platform_config.ecs_service import ServiceConfig
from stacks import names
from stacks.common import StackSettings
from stacks.ecs_operations import add_cluster_dashboard, add_workload_alarms, alarm_topic
from stacks.ecs_workloads import Workload, add_workload
from stacks.images import ImageSources

# The default group's first ALB (see stacks/names.py FIRST_LOAD_BALANCER for its ids).
FIRST_ALB = AlbKey(*names.FIRST_LOAD_BALANCER)


SectionT = TypeVar("SectionT", bound=ClusterConfig)


class EcsClusterStack(Stack, Generic[SectionT]):
    """One ECS cluster, its capacity and the ALBs its services share: what both cluster kinds
    have in common. `Ec2ClusterStack` and `FargateClusterStack` add the cluster itself.

    The ALBs depend on the services only through which ALBs exist (load-balancer groups and
    priority blocks, `ClusterConfig.assign_load_balancers`: none, with no access-log bucket, while
    no service needs one); nothing else of a service (its port, its rules) reaches this stack, so
    adding a service to an existing ALB changes only the cluster's dashboard (generated from the
    service list; stacks/ecs_operations.py).

    Args:
        settings: the environment-wide settings. Required.
        section: the cluster's config section (`ecs.ec2` or `ecs.fargate`). Required.
        vpc: the VPC (network stack). Required.
        vpc_cidr: the VPC's CIDR as a literal: what internal ALBs admit. Required.
        kind: the cluster's kind in the config (`ecs.<kind>`). Required.

    Attributes:
        service_cluster: the handle service stacks import the cluster by.
        load_balancers: every `SharedLoadBalancer` by ALB (group and number); none while no
            service of the cluster needs a load balancer (`ClusterConfig.web_services`).
        load_balancer: the default group's first ALB, None without ALBs.
        log_key: the KMS key of the log groups of this cluster's stacks (None unless configured).
        exec_log_group_name: the literal name of the cluster's ECS Exec log group.
        dashboard: the cluster's dashboard (stacks/ecs_operations.py).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        section: SectionT,
        vpc: ec2.IVpc,
        vpc_cidr: str,
        kind: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.log_key: kms.IKey | None = settings.log_encryption_key(self)
        self.exec_log_group_name = names.exec_log_group_name(self.stack_name)
        self.service_cluster = self._add_cluster(
            section,
            ClusterBaseProps(
                vpc=vpc,
                container_insights=(
                    ecs.ContainerInsights.ENHANCED
                    if section.container_insights == "enhanced"
                    else ecs.ContainerInsights.ENABLED
                ),
                exec_log_retention=retention_days(section.exec_log_retention_days),
                log_encryption_key=self.log_key,
                removal_policy=settings.removal_policy,
                exec_log_group_name=self.exec_log_group_name,
                service_connect_namespace=(
                    names.service_connect_namespace(self.stack_name)
                    if section.service_connect
                    else None
                ),
            ),
        )
        kind = self.service_cluster.launch_type
        self.load_balancers: dict[AlbKey, SharedLoadBalancer] = {}
        for key in section.assign_load_balancers():
            balancer = section.load_balancer_groups[key.group]
            shared = SharedLoadBalancer(
                self,
                names.load_balancer_construct_id(key),
                props=SharedLoadBalancerProps(
                    vpc=vpc,
                    certificate_arn=balancer.certificate_arn,
                    additional_certificate_arns=balancer.additional_certificate_arns,
                    http_redirect=balancer.http_redirect,
                    listener_ids=(
                        HTTPS_FIRST_LISTENER_IDS
                        if balancer.https_first_listener_ids
                        else LISTENER_IDS
                    ),
                    internal=balancer.internal,
                    internal_cidr=vpc_cidr if balancer.internal else None,
                    idle_timeout=Duration.seconds(balancer.idle_timeout_seconds),
                    access_log_expiration=Duration.days(balancer.access_log_retention_days),
                    removal_policy=settings.removal_policy,
                ),
            )
            self.load_balancers[key] = shared
            if shared.test_listener is not None:
                # Exported whether or not a service imports it now, so that a service switching
                # to or from a traffic-shifting release never adds or removes an export in use.
                self.export_value(shared.test_listener.listener_arn)
            scheme = "internal" if balancer.internal else "internet-facing"
            CfnOutput(
                self,
                names.load_balancer_dns_output(key),
                value=shared.load_balancer.load_balancer_dns_name,
                description=(
                    f"DNS name of the ALB shared by the {kind} cluster's services"
                    if key == FIRST_ALB
                    else f"DNS name of {scheme} ALB {key.name} of the {kind} cluster"
                ),
            )
        self.load_balancer = self.load_balancers.get(FIRST_ALB)
        self.dashboard = add_cluster_dashboard(
            self,
            settings=settings,
            kind=kind,
            section=section,
            cluster_name=self.service_cluster.cluster.cluster_name,
            load_balancer_full_names=[
                shared.load_balancer.load_balancer_full_name
                for shared in self.load_balancers.values()
            ],
        )
        CfnOutput(self, names.CLUSTER_NAME_OUTPUT, value=self.service_cluster.cluster.cluster_name)

    @property
    def service_load_balancers(self) -> dict[AlbKey, ServiceLoadBalancer]:
        """The handle of every ALB, by ALB (what service stacks import each ALB by)."""
        return {key: shared.service_load_balancer for key, shared in self.load_balancers.items()}

    def _add_cluster(self, section: SectionT, basics: ClusterBaseProps) -> ServiceCluster:
        """Add the cluster construct of this kind; return its handle."""
        raise NotImplementedError("use Ec2ClusterStack or FargateClusterStack")


class Ec2ClusterStack(EcsClusterStack[Ec2ClusterConfig]):
    """The `ecs-ec2` cluster stack: an `Ec2Cluster` (Auto Scaling group capacity) and its ALBs."""

    def _add_cluster(self, section: Ec2ClusterConfig, basics: ClusterBaseProps) -> ServiceCluster:
        cluster = Ec2Cluster(
            self,
            names.EC2_CLUSTER_CONSTRUCT,
            props=Ec2ClusterProps(
                instance_types=section.instance_types,
                machine_image=section.machine_image,
                machine_image_version=section.machine_image_version,
                min_instances=section.min_instances,
                max_instances=section.max_instances,
                target_capacity_percent=section.target_capacity_percent,
                spot=section.spot,
                on_demand_base_capacity=section.on_demand_base_capacity,
                managed_termination_protection=section.managed_termination_protection,
                root_volume_gib=section.root_volume_gib,
                **base_fields(basics),
            ),
        )
        return cluster.service_cluster


class FargateClusterStack(EcsClusterStack[FargateClusterConfig]):
    """The `ecs-fargate` cluster stack: a `FargateCluster` and its ALBs."""

    def _add_cluster(
        self, section: FargateClusterConfig, basics: ClusterBaseProps
    ) -> ServiceCluster:
        cluster = FargateCluster(
            self,
            names.FARGATE_CLUSTER_CONSTRUCT,
            props=FargateClusterProps(
                default_strategy=[
                    ecs.CapacityProviderStrategy(
                        capacity_provider=share.capacity_provider,
                        weight=share.weight,
                        base=share.base or None,
                    )
                    for share in section.default_strategy
                ],
                **base_fields(basics),
            ),
        )
        return cluster.service_cluster


class ManagedInstancesClusterStack(EcsClusterStack[ManagedInstancesClusterConfig]):
    """The `ecs-managed-instances` cluster stack: a `ManagedInstancesCluster` and its ALBs."""

    def _add_cluster(
        self, section: ManagedInstancesClusterConfig, basics: ClusterBaseProps
    ) -> ServiceCluster:
        cluster = ManagedInstancesCluster(
            self,
            names.MANAGED_INSTANCES_CLUSTER_CONSTRUCT,
            props=ManagedInstancesClusterProps(
                min_vcpus=section.min_vcpus,
                max_vcpus=section.max_vcpus,
                min_memory_gib=section.min_memory_gib,
                cpu_architecture=section.cpu_architecture,
                spot=section.spot,
                **base_fields(basics),
            ),
        )
        return cluster.service_cluster


class EcsServicesStack(Stack):
    """Services of one cluster: a group of web services, each attached to its ALB in the cluster
    stack (`services-N`), or one service of another kind in a stack of its own (backend, worker,
    job: `ClusterConfig.workload_stacks`). Each service is the construct of its kind with its
    grants and outputs (stacks/ecs_workloads.py).

    Cross-stack wiring is one-way (this stack depends on the cluster stack): the cluster, its
    ECS Exec log group (by its literal name), its Service Connect namespace and each ALB's
    listener and security group are imported from the handles' attributes
    (`ServiceCluster.from_attributes`, `ServiceLoadBalancer.from_attributes`), so nothing here can
    add to the cluster stack. The only security-group rule touching an ALB's group (tasks'
    ingress from it) lives in this stack; the ALB's egress is a fixed port range in the cluster
    stack. A service that sends to a worker's queue reads it from the worker's stack.

    Args:
        settings: the environment-wide settings. Required.
        section: the cluster's config section (placement of services on ALBs). Required.
        services: the services this stack holds (`ClusterConfig.assign_service_stacks`, or one
            of `ClusterConfig.workload_stacks`). Required.
        cluster: the cluster stack's `service_cluster`. Required.
        load_balancers: the cluster stack's `service_load_balancers`. Required.
        exec_log_group_name: the literal name of the cluster's ECS Exec log group, or None.
            Required.
        images: what the services' images resolve against (`RegistryStack.image_sources`:
            the registry's repositories and its pull-through cache). Required.
        queues: the queues of the cluster's workers built before, by worker name (those the
            services send to). Default: none.

    Attributes:
        service_cluster: the cluster as imported into this stack.
        services: the constructs (`WebService`, `BackendService`, `WorkerService`,
            `ScheduledJob`) by service name.
        queues: the queues of this stack's workers by worker name.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        section: ClusterConfig,
        services: Sequence[ServiceConfig],
        cluster: ServiceCluster,
        load_balancers: Mapping[AlbKey, ServiceLoadBalancer],
        exec_log_group_name: str | None,
        images: ImageSources,
        alarms: Stack,
        queues: Mapping[str, sqs.IQueue] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        queues = queues or {}
        self.add_stack_dependency(Stack.of(cluster.cluster))
        topic = alarm_topic(self, settings, alarms)
        imported: dict[AlbKey, ServiceLoadBalancer] = {}
        # Each ALB's listener ARN, read once (a jsii round trip) for its import and its services'
        # alarms.
        listener_arns: dict[AlbKey, str] = {}
        for key in sorted({section.alb_of(s) for s in services if s.kind == "web"}):
            shared = load_balancers[key]
            listener_arns[key] = shared.listener.listener_arn
            handle = ServiceLoadBalancer.from_attributes(
                self,
                names.load_balancer_import_construct_id(key),
                listener_arn=listener_arns[key],
                security_group_id=shared.security_group.security_group_id,
                scheme=shared.scheme,
                dns_name=shared.dns_name,
                test_listener_arn=shared.test_listener_arn,
                target_group_id=names.target_group_construct_id(key),
            )
            routes = ListenerRoutes(
                self,
                names.routes_construct_id(key),
                props=ListenerRoutesProps(
                    listener=handle.listener,
                    keep_ids=_kept_rules(section, services, key),
                ),
            )
            handle = with_test_routes(handle, self, names.test_routes_construct_id(key))
            imported[key] = handle.with_routes(routes)
        self.service_cluster = ServiceCluster.from_attributes(
            self,
            names.IMPORTED_CLUSTER_CONSTRUCT,
            cluster_name=cluster.cluster.cluster_name,
            vpc=cluster.cluster.vpc,
            launch_type=cluster.launch_type,
            capacity_provider_strategy=cluster.capacity_provider_strategy,
            exec_log_group_name=exec_log_group_name,
            log_key_arn=cluster.log_key.key_arn if cluster.log_key is not None else None,
            namespace=NamespaceAttributes.of(cluster),
        )
        self.services: dict[str, Workload] = {}
        self.queues: dict[str, sqs.IQueue] = {}
        stack_name = self.stack_name  # read once, not per service (a jsii round trip)
        for service in services:
            alb = section.alb_of(service) if service.kind == "web" else None
            balancer = imported[alb] if alb is not None else None
            workload = add_workload(
                self,
                service,
                settings=settings,
                cluster=self.service_cluster,
                balancer=balancer,
                images=images,
                queues=queues,
            )
            add_workload_alarms(
                workload,
                service,
                topic=topic,
                stack_name=stack_name,
                listener_arn=listener_arns[alb] if alb is not None else None,
            )
            self.services[service.name] = workload
            if isinstance(workload, WorkerService):
                self.queues[service.name] = workload.queue


def _kept_rules(
    section: ClusterConfig, services: Sequence[ServiceConfig], key: AlbKey
) -> dict[int, str]:
    """Priority -> the construct id of the service whose rule the rule at that priority keeps
    (`legacy_listener_rules`), for the web services of this stack on ALB `key` (only they have
    a route and a rule)."""
    kept = section.legacy_listener_rules
    return {
        service.web_route.priority: names.service_construct_id(kept[service.web_route.priority])
        for service in services
        if service.route is not None
        and service.route.priority in kept
        and section.alb_of(service) == key
    }
