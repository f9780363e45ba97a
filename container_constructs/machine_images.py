"""The ECS-optimized machine image of an EC2 cluster, pinned to a release, and how instances roll
to a new one.

aws-cdk-lib's `EcsOptimizedImage` and `BottleRocketImage` read the *recommended*/*latest* SSM
parameter, which CloudFormation resolves again on every deploy: each AMI AWS publishes then
becomes a new launch template version (and, with an instance refresh policy, a fleet replacement)
on whichever deploy comes next. These read the release-specific public parameters instead, whose
value never changes, so the AMI moves only when the pinned release does.

Parameter names (read 2026-12-04):
- ECS-optimized AL2023: /aws/service/ecs/optimized-ami/amazon-linux-2023[/arm64]/<AMI name>/
  image_id, the AMI name as each release lists it (al2023-ami-ecs-hvm-<release>-kernel-6.1-
  x86_64 or -arm64; https://github.com/aws/amazon-ecs-ami/releases; Amazon ECS developer guide,
  "Retrieving Amazon ECS-optimized Linux AMI metadata",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/retrieve-ecs-optimized_AMI.html).
- Bottlerocket aws-ecs-2: /aws/service/bottlerocket/aws-ecs-2/<x86_64|arm64>/<version>/image_id
  ("To retrieve a version other than the latest, replace latest with the version number",
  Amazon ECS developer guide, "Retrieving Amazon ECS-optimized Bottlerocket AMI metadata",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-bottlerocket-retrieve-ami.html).
"""

from __future__ import annotations

from typing import Literal

from aws_cdk import Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2

from container_constructs import defaults

MachineImageKind = Literal["al2023", "bottlerocket"]

_ARCHITECTURE_NAMES = {
    ec2.InstanceArchitecture.X86_64: "x86_64",
    ec2.InstanceArchitecture.ARM_64: "arm64",
}


def image_parameter_name(
    kind: MachineImageKind, architecture: ec2.InstanceArchitecture, version: str
) -> str:
    """The public SSM parameter holding the AMI id of `kind` at `version` for `architecture`."""
    arch = _ARCHITECTURE_NAMES[architecture]
    if kind == "bottlerocket":
        return f"/aws/service/bottlerocket/aws-ecs-2/{arch}/{version}/image_id"
    family = "/aws/service/ecs/optimized-ami/amazon-linux-2023"
    subpath = "/arm64" if arch == "arm64" else ""
    return f"{family}{subpath}/al2023-ami-ecs-hvm-{version}-kernel-6.1-{arch}/image_id"


def pinned_machine_image(
    kind: MachineImageKind, architecture: ec2.InstanceArchitecture, version: str
) -> ec2.IMachineImage:
    """The AMI of `kind` at `version`, resolved by CloudFormation from its release-specific
    parameter (a stack parameter of type AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>)."""
    return ec2.MachineImage.from_ssm_parameter(
        image_parameter_name(kind, architecture, version), os=ec2.OperatingSystemType.LINUX
    )


def instance_refresh_policy() -> autoscaling.UpdatePolicy:
    """CloudFormation's AutoScalingInstanceRefresh update policy: when the launch template (or the
    mixed-instances policy, subnets, ...) changes, the stack update runs an instance refresh and
    waits for it, so the instances run the deployed template when `make deploy` returns.

    - Launch before terminate (min 100 %, max 200 % healthy): a replacement instance is in service
      before an old one goes, so the tasks ECS moves off the old instance have somewhere to go.
    - Draining: the capacity provider's managed draining covers instance refresh ("Amazon ECS
      managed instance draining works with Auto Scaling group instance replacements ... Auto
      Scaling group instance refresh", Amazon ECS developer guide, "Amazon ECS managed instance
      draining", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html):
      ECS sets the instance DRAINING, the service scheduler starts replacement tasks elsewhere and
      the instance terminates when its tasks have stopped.
    - Scale-in protection: managed termination protection protects every instance that runs
      tasks, and the refresh must replace those too: the same page says "Make sure you select
      Replace for Scale-in protection when calling StartInstanceRefresh if you're using managed
      termination protection", which is `ScaleInProtectedInstances: Refresh` (the default, Wait,
      waits an hour for the protection to go and then fails the refresh, and so the deploy).
    - The policy is CloudFormation's since 2026-07-29 (EC2 Auto Scaling "What's new": instance
      refresh support in CloudFormation; aws-cdk-lib >= 2.263 `UpdatePolicy.instance_refresh`).
      Unlike AutoScalingRollingUpdate it suspends no scaling processes, so ECS's managed scaling
      keeps adding capacity during the refresh, and a failed refresh rolls the stack back.
    """
    return autoscaling.UpdatePolicy.instance_refresh(
        strategy=autoscaling.InstanceRefreshStrategy.ROLLING,
        min_healthy_percentage=100,
        max_healthy_percentage=200,
        instance_warmup=Duration.seconds(defaults.INSTANCE_WARMUP_SECONDS),
        scale_in_protected_instances=autoscaling.ScaleInProtectedInstances.REFRESH,
        skip_matching=True,
    )
