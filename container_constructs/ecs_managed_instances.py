"""An ECS cluster whose capacity is ECS Managed Instances: AWS launches, patches and replaces the
EC2 instances; the cluster gives their attributes (vCPUs, memory, CPU architecture, on-demand or
Spot) and the roles ECS manages them with.

AWS's rules (read 2026-12-03): https://docs.aws.amazon.com/AmazonECS/latest/developerguide/
managed-instances-capacity-providers-concept.html (a capacity provider with instance
requirements, subnets and security groups; tasks in awsvpc mode; the task definition is
compatible with MANAGED_INSTANCES); infrastructure_IAM_role.html (the infrastructure role, AWS's
AmazonECSInfrastructureRolePolicyForManagedInstances, whose PassRole applies to instance profiles
named `ecsInstanceRole*`); managed-instances-instance-profile.html (the instance role,
AmazonECSInstanceRolePolicyForManagedInstances).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Size, Stack, Token, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_constructs import defaults
from container_constructs.ecs_cluster_base import ClusterBaseProps, add_cluster, add_service_cluster

_CPU_MANUFACTURERS = {
    "x86_64": [ec2.CpuManufacturer.INTEL, ec2.CpuManufacturer.AMD],
    "arm64": [ec2.CpuManufacturer.AWS],
}


@dataclass(frozen=True, kw_only=True)
class ManagedInstancesClusterProps(ClusterBaseProps):
    """Props of `ManagedInstancesCluster`, with those of `ClusterBaseProps` (the VPC,
    Container Insights, the ECS Exec log group, Service Connect).

    Attributes:
        min_vcpus: fewest vCPUs of an instance ECS may launch. Default: 2.
        max_vcpus: most vCPUs of an instance. Default: 8.
        min_memory_gib: least memory of an instance, GiB. Default: 4.
        cpu_architecture: "x86_64" (Intel, AMD) or "arm64" (Graviton). Default: "x86_64".
        spot: Spot instances rather than on-demand (replacing this replaces the capacity
            provider). Default: False.
    """

    min_vcpus: int = defaults.MANAGED_INSTANCES_MIN_VCPUS
    max_vcpus: int = defaults.MANAGED_INSTANCES_MAX_VCPUS
    min_memory_gib: int = defaults.MANAGED_INSTANCES_MIN_MEMORY_GIB
    cpu_architecture: str = defaults.CPU_ARCHITECTURE
    spot: bool = defaults.SPOT


class ManagedInstancesCluster(Construct):
    """An ECS cluster with one Managed Instances capacity provider as its default strategy, in
    the private subnets, with a security group of its own (no ingress: each service's tasks have
    their own group), Container Insights and ECS Exec session logging.

    Attributes:
        cluster: the ECS cluster.
        capacity_provider: the Managed Instances capacity provider.
        security_group: the instances' security group.
        exec_log_group: the log group of ECS Exec sessions.
        service_cluster: what services on this cluster take (`WebServiceProps.cluster`,
            launch type "managed_instances").
        namespace: the Service Connect namespace, or None (no `service_connect_namespace`).
        service_connect_security_group: its client group, or None.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: ManagedInstancesClusterProps
    ) -> None:
        super().__init__(scope, construct_id)
        if not 1 <= props.min_vcpus <= props.max_vcpus:
            raise ValueError("ManagedInstancesCluster: need 1 <= min_vcpus <= max_vcpus")
        if props.cpu_architecture not in _CPU_MANUFACTURERS:
            raise ValueError(
                f"ManagedInstancesCluster: cpu_architecture '{props.cpu_architecture}'; "
                f"allowed: {', '.join(_CPU_MANUFACTURERS)}"
            )
        self.cluster, self.exec_log_group = add_cluster(self, props)
        self.security_group = ec2.SecurityGroup(
            self,
            "InstanceSecurityGroup",
            vpc=props.vpc,
            description="ECS Managed Instances: no ingress (tasks have their own groups)",
            allow_all_outbound=True,
        )
        self.capacity_provider = ecs.ManagedInstancesCapacityProvider(
            self,
            "CapacityProvider",
            subnets=props.vpc.private_subnets,
            security_groups=[self.security_group],
            capacity_option_type=(
                ecs.CapacityOptionType.SPOT if props.spot else ecs.CapacityOptionType.ON_DEMAND
            ),
            instance_requirements=ec2.InstanceRequirementsConfig(
                v_cpu_count_min=props.min_vcpus,
                v_cpu_count_max=props.max_vcpus,
                memory_min=Size.gibibytes(props.min_memory_gib),
                cpu_manufacturers=_CPU_MANUFACTURERS[props.cpu_architecture],
            ),
            propagate_tags=ecs.PropagateManagedInstancesTags.CAPACITY_PROVIDER,
        )
        self.cluster.add_managed_instances_capacity_provider(self.capacity_provider)
        strategy = [
            ecs.CapacityProviderStrategy(
                capacity_provider=self.capacity_provider.capacity_provider_name, weight=1
            )
        ]
        self.cluster.add_default_capacity_provider_strategy(strategy)
        Validations.of(self.capacity_provider).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "AmazonECSInfrastructureRolePolicyForManagedInstances]",
                reason="The infrastructure role's policy AWS documents for Managed Instances; AWS "
                "keeps it current with what ECS calls to launch and replace instances",
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "AmazonECSInstanceRolePolicyForManagedInstances]",
                reason="The instance role's policy AWS documents for Managed Instances (the ECS "
                "agent's registration and telemetry)",
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="The instance role aws-cdk-lib writes: ecs:DiscoverPollEndpoint supports no "
                "resource scoping; the agent's other actions are scoped to the cluster",
            ),
            Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{_container_instances(self)}]",
                reason="The ECS agent polls and reports for its own container instance, whose "
                "ARN exists only once ECS registers the instance",
            ),
        )
        services = add_service_cluster(
            self,
            props,
            cluster=self.cluster,
            exec_log_group=self.exec_log_group,
            launch_type="managed_instances",
            strategy=strategy,
        )
        self.namespace = services.namespace
        self.service_connect_security_group = services.service_connect_security_group
        self.service_cluster = services.service_cluster


def _container_instances(scope: Construct) -> str:
    """The container instances of `scope`'s account and region, as cdk-nag writes the ARN."""
    stack = Stack.of(scope)
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
    return f"arn:{partition}:ecs:{region}:{account}:container-instance/*"


def managed_instances_task_definition(
    scope: Construct, cpu: int, memory_mib: int, task_role: iam.IRole, execution_role: iam.IRole
) -> ecs.TaskDefinition:
    """The task definition `TaskDefinition` of a service on Managed Instances (awsvpc)."""
    return ecs.TaskDefinition(
        scope,
        "TaskDefinition",
        compatibility=ecs.Compatibility.MANAGED_INSTANCES,
        network_mode=ecs.NetworkMode.AWS_VPC,
        cpu=str(cpu),
        memory_mib=str(memory_mib),
        task_role=task_role,
        execution_role=execution_role,
    )
