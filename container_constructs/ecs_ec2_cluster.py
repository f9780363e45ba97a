"""An ECS cluster whose capacity is an Auto Scaling group of EC2 instances."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aws_cdk import Acknowledgment, ArnFormat, Stack, Token, Validations
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_constructs import checks, defaults
from container_constructs.checks import MACHINE_IMAGE_VERSION
from container_constructs.ecs_cluster_base import ClusterBaseProps, add_cluster, add_service_cluster
from container_constructs.machine_images import instance_refresh_policy, pinned_machine_image


@dataclass(frozen=True, kw_only=True)
class Ec2ClusterProps(ClusterBaseProps):
    """Props of `Ec2Cluster`, with those of `ClusterBaseProps` (the VPC,
    Container Insights, the ECS Exec log group, Service Connect).

    Attributes:
        instance_types: instance types of one architecture; the first is the launch template's.
            With more than one, or with `spot`, a mixed-instances policy spreads over them.
            Required.
        machine_image: "al2023" (ECS-optimized Amazon Linux 2023) or "bottlerocket" (its SSM
            control host container off, like AL2023 here without SSM permissions).
            Default: "al2023".
        machine_image_version: the release of `machine_image` the AMI is pinned to: an AL2023
            ECS-optimized release ("2023.0.20260922") or a Bottlerocket version ("1.61.0").
            Changing it makes a new launch template version, which the instance refresh update
            policy rolls out. Default: `defaults.MACHINE_IMAGE_VERSIONS[machine_image]`.
        min_instances: Auto Scaling group minimum. Default: 0.
        max_instances: Auto Scaling group maximum. Default: 2.
        target_capacity_percent: managed scaling target utilisation, percent
            (checks.TARGET_CAPACITY_PERCENT_RANGE). Default: 100.
        spot: run instances above `on_demand_base_capacity` on Spot (price-capacity-optimized).
            Default: False.
        on_demand_base_capacity: with `spot`, instances always on demand. Default: 0.
        managed_termination_protection: ECS protects instances running tasks from scale-in.
            Default: True. Set False where the stack must delete unattended (a protected
            instance blocks the Auto Scaling group's deletion, aws/aws-cdk#18179).
        root_volume_gib: size of the encrypted gp3 root (AL2023) or data (Bottlerocket)
            volume. Default: 30.
    """

    instance_types: Sequence[str]
    machine_image: Literal["al2023", "bottlerocket"] = defaults.MACHINE_IMAGE
    machine_image_version: str | None = None
    min_instances: int = defaults.MIN_INSTANCES
    max_instances: int = defaults.MAX_INSTANCES
    target_capacity_percent: int = defaults.TARGET_CAPACITY_PERCENT
    spot: bool = defaults.SPOT
    on_demand_base_capacity: int = defaults.ON_DEMAND_BASE_CAPACITY
    managed_termination_protection: bool = defaults.MANAGED_TERMINATION_PROTECTION
    root_volume_gib: int = defaults.ROOT_VOLUME_GIB


class Ec2Cluster(Construct):
    """An ECS cluster with an Auto Scaling group capacity provider built from a launch template:
    ECS-optimized AMI pinned to a release, IMDSv2 required, encrypted gp3 volume, private subnets,
    managed scaling and draining, optional Spot, Container Insights and ECS Exec session logging.
    A launch template change (machine image release, instance types, user data) rolls the
    instances on deploy: an instance refresh that launches each replacement before the old
    instance is drained by ECS and terminated (`instance_refresh_policy`).

    Attributes:
        cluster: the ECS cluster.
        launch_template: the instances' launch template.
        auto_scaling_group: the Auto Scaling group.
        capacity_provider: the ASG capacity provider (the cluster's default strategy).
        instance_security_group: the instances' security group (no ingress).
        exec_log_group: the log group of ECS Exec sessions.
        default_strategy: the default capacity provider strategy (services pass it on).
        service_cluster: what services on this cluster take (`WebServiceProps.cluster`).
        namespace / service_connect_security_group: the Service Connect namespace and its
            client group, or None (no `service_connect_namespace`).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: Ec2ClusterProps) -> None:
        super().__init__(scope, construct_id)
        _check(props)
        instance_types = [ec2.InstanceType(name) for name in props.instance_types]
        architecture = instance_types[0].architecture
        bottlerocket = props.machine_image == "bottlerocket"

        self.cluster, self.exec_log_group = add_cluster(self, props)

        machine_image = pinned_machine_image(
            props.machine_image,
            architecture,
            props.machine_image_version or defaults.MACHINE_IMAGE_VERSIONS[props.machine_image],
        )
        if bottlerocket:
            image_type = ecs.MachineImageType.BOTTLEROCKET
            user_data = ec2.UserData.custom("")
            # The control host container is Bottlerocket's SSM agent; instances here get no SSM
            # permissions (no host shell, as on AL2023; use ECS Exec into tasks instead).
            user_data.add_commands("[settings.host-containers.control]", "enabled = false")
            volume_device = "/dev/xvdb"  # Bottlerocket's data volume holds images and tasks
        else:
            image_type = ecs.MachineImageType.AMAZON_LINUX_2
            user_data = ec2.UserData.for_linux()
            if props.spot:
                # aws-cdk-lib sets this only for spot_price groups, not mixed-instances Spot.
                user_data.add_commands(
                    "echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config"
                )
            volume_device = "/dev/xvda"

        self.instance_security_group = ec2.SecurityGroup(
            self,
            "InstanceSecurityGroup",
            vpc=props.vpc,
            description="ECS container instances: no ingress; tasks use their own ENIs",
            allow_all_outbound=True,
        )
        instance_role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="ECS container instances (the ECS agent's permissions)",
        )
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            machine_image=machine_image,
            instance_type=instance_types[0],
            role=instance_role,
            security_group=self.instance_security_group,
            user_data=user_data,
            require_imdsv2=True,
            http_put_response_hop_limit=1,
            detailed_monitoring=False,
            block_devices=[
                ec2.BlockDevice(
                    device_name=volume_device,
                    volume=ec2.BlockDeviceVolume.ebs(
                        props.root_volume_gib,
                        encrypted=True,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        )
        private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        mixed = props.spot or len(instance_types) > 1
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "AutoScalingGroup",
            vpc=props.vpc,
            vpc_subnets=private,
            min_capacity=props.min_instances,
            max_capacity=props.max_instances,
            new_instances_protected_from_scale_in=props.managed_termination_protection,
            capacity_rebalance=props.spot,
            update_policy=instance_refresh_policy(),
            launch_template=None if mixed else self.launch_template,
            mixed_instances_policy=(
                autoscaling.MixedInstancesPolicy(
                    launch_template=self.launch_template,
                    launch_template_overrides=[
                        autoscaling.LaunchTemplateOverrides(instance_type=instance_type)
                        for instance_type in instance_types
                    ],
                    instances_distribution=_distribution(props),
                )
                if mixed
                else None
            ),
        )
        self.capacity_provider = ecs.AsgCapacityProvider(
            self,
            "CapacityProvider",
            auto_scaling_group=self.auto_scaling_group,
            enable_managed_scaling=True,
            target_capacity_percent=props.target_capacity_percent,
            enable_managed_termination_protection=props.managed_termination_protection,
            enable_managed_draining=True,
            machine_image_type=image_type,
            spot_instance_draining=props.spot,
        )
        self.cluster.add_asg_capacity_provider(
            self.capacity_provider,
            machine_image_type=image_type,
            spot_instance_draining=props.spot,
        )
        if props.spot:
            _grant_spot_draining(instance_role, self.cluster)
        if bottlerocket:
            _drop_managed_policies(instance_role)
        Validations.of(instance_role).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                reason="The ECS agent policy aws-cdk-lib attaches: ecs:DiscoverPollEndpoint, "
                "ecr:GetAuthorizationToken and logs actions support no resource scoping",
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5[Action::ecs:Submit*]",
                reason="ECS agent state reporting (SubmitContainer/Task/Attachment StateChange), "
                "scoped to this cluster by aws-cdk-lib",
            ),
        )
        Validations.of(self.auto_scaling_group.node.default_child).acknowledge(  # type: ignore[arg-type]
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-AS3",
                reason="Scaling is driven by the ECS capacity provider; its scaling and draining "
                "events are in ECS service events and Container Insights",
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-EC26",
                reason="The launch template's block device is encrypted gp3 (asserted in tests); "
                "the rule cannot see through a mixed-instances policy",
            ),
        )
        self.default_strategy = [
            ecs.CapacityProviderStrategy(
                capacity_provider=self.capacity_provider.capacity_provider_name, weight=1
            )
        ]
        self.cluster.add_default_capacity_provider_strategy(self.default_strategy)
        services = add_service_cluster(
            self,
            props,
            cluster=self.cluster,
            exec_log_group=self.exec_log_group,
            launch_type="ec2",
            strategy=self.default_strategy,
        )
        self.namespace = services.namespace
        self.service_connect_security_group = services.service_connect_security_group
        self.service_cluster = services.service_cluster


def _grant_spot_draining(role: iam.Role, cluster: ecs.Cluster) -> None:
    """Let the ECS agent set its own container instance to DRAINING on a Spot interruption notice.

    With ECS_ENABLE_SPOT_INSTANCE_DRAINING=true the agent polls the instance metadata
    /spot/instance-action and, on the two-minute notice, calls
    ecs:UpdateContainerInstancesState(DRAINING) with the instance role
    (aws/amazon-ecs-agent agent/app/agent.go: spotInstanceDrainingPoller, started only when
    cfg.SpotInstanceDrainingEnabled; the agent's only call of the action, amazon-ecs-agent at
    commit 8dfceca6). Managed draining of the capacity provider is done by ECS itself through the
    Auto Scaling lifecycle hook, not by the agent, so on-demand capacity needs no grant. The
    action authorizes on the `container-instance` resource type
    (arn:${Partition}:ecs:${Region}:${Account}:container-instance/${ClusterName}/${Id}) and
    supports the `ecs:cluster` condition key (Service Authorization Reference, "Actions, resources,
    and condition keys for Amazon Elastic Container Service",
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html;
    aws-cdk-lib's drain hook scopes the same action by `ecs:cluster` because it "require[s]
    permissions on a container-instance resource, rather than a cluster resource",
    aws/aws-cdk#3199).
    """
    stack = Stack.of(cluster)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="SpotInstanceDraining",
            actions=["ecs:UpdateContainerInstancesState"],
            resources=[
                stack.format_arn(
                    service="ecs",
                    resource="container-instance",
                    resource_name=f"{cluster.cluster_name}/*",
                    arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                )
            ],
            conditions={"ArnEquals": {"ecs:cluster": cluster.cluster_arn}},
        )
    )

    def shown(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    cluster_reference = stack.resolve(cluster.cluster_name)  # {"Ref": <the cluster's logical id>}
    arn = (
        f"arn:{shown(stack.partition, 'Partition')}:ecs:{shown(stack.region, 'Region')}:"
        f"{shown(stack.account, 'AccountId')}:container-instance/"
        f"<{cluster_reference['Ref']}>/*"
    )
    Validations.of(role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{arn}]",
            reason="Spot draining: the agent names its own container instance, whose ID is only "
            "known at registration; the ARN is scoped to this cluster and ecs:cluster must match",
        )
    )


def _drop_managed_policies(instance_role: iam.Role) -> None:
    """Take off the AWS managed policies aws-cdk-lib attaches to Bottlerocket instance roles.

    `Cluster.add_asg_capacity_provider` adds AmazonEC2ContainerServiceforEC2Role and
    AmazonSSMManagedInstanceCore for Bottlerocket (cdk-nag AwsSolutions-IAM4). The ECS agent's
    permissions are already in the role's DefaultPolicy, scoped to the cluster by aws-cdk-lib: the
    same statements AL2023 instances run with. Images are pulled with each task's execution role.
    SSM only serves the control host container, which the user data disables.
    """
    role = instance_role.node.default_child
    assert isinstance(role, iam.CfnRole)
    role.managed_policy_arns = None


def _distribution(props: Ec2ClusterProps) -> autoscaling.InstancesDistribution:
    if props.spot:
        return autoscaling.InstancesDistribution(
            on_demand_base_capacity=props.on_demand_base_capacity,
            on_demand_percentage_above_base_capacity=0,
            spot_allocation_strategy=autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
        )
    return autoscaling.InstancesDistribution(
        on_demand_percentage_above_base_capacity=100,
        on_demand_allocation_strategy=autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
    )


def _check(props: Ec2ClusterProps) -> None:
    # Each raise here guards direct use of the construct; a validated platform config never
    # reaches one: platform_config rejects the same input first, naming the field (the config
    # space property test, tests/test_config_space.py, synthesizes what it accepts).
    if not props.instance_types:
        raise ValueError("Ec2Cluster: instance_types needs at least one instance type")
    low, high = checks.TARGET_CAPACITY_PERCENT_RANGE
    if not low <= props.target_capacity_percent <= high:
        raise ValueError(
            f"Ec2Cluster: target_capacity_percent {props.target_capacity_percent} is not allowed; "
            f"allowed: {low} to {high}"
        )
    if props.min_instances > props.max_instances:
        raise ValueError(
            f"Ec2Cluster: min_instances ({props.min_instances}) exceeds "
            f"max_instances ({props.max_instances})"
        )
    architectures = {ec2.InstanceType(name).architecture for name in props.instance_types}
    if len(architectures) > 1:
        raise ValueError("Ec2Cluster: instance_types must share one CPU architecture")
    version = props.machine_image_version
    if version is not None and not MACHINE_IMAGE_VERSION[props.machine_image].match(version):
        raise ValueError(
            f"Ec2Cluster: machine_image_version '{version}' is not a release of "
            f"{props.machine_image}"
        )
