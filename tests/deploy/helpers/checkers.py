"""Per resource type: how to find a deployed resource in the emulator and check its key settings.

The deploy test walks every resource of every synthesized template. A type in `CHECKERS` is read
back with boto3 and compared with the literal values in its template; every other type must at least
have a physical id in its stack (or be a recorded skipped type). Types the emulator does not
create at all are listed in `EMULATOR_SKIPPED_TYPES`, and properties it accepts but does not keep in
`EMULATOR_DROPPED_PROPERTIES`, so the gap is visible and a change in moto fails a test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from stacks import names

# Types moto 5.2.5's CloudFormation does not implement: it logs "No Moto CloudFormation support"
# and creates nothing, so no boto3 call can see them. Asserted in test_checkers.py against moto
# itself, and against the deployed stacks in test_deploy_local.py.
EMULATOR_SKIPPED_TYPES: frozenset[str] = frozenset(
    {
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::AutoScaling::LifecycleHook",
        "AWS::CloudWatch::Alarm",
        "AWS::ECS::CapacityProvider",
        "AWS::ECS::ClusterCapacityProviderAssociations",
        "AWS::ECR::PullThroughCacheRule",
        "AWS::ECR::RepositoryCreationTemplate",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EKS::AccessEntry",
        "AWS::EKS::Addon",
        "AWS::EKS::Capability",
        "AWS::EKS::Cluster",
        "AWS::EKS::Nodegroup",
        "AWS::EKS::PodIdentityAssociation",
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::Scheduler::Schedule",
        "AWS::ServiceDiscovery::HttpNamespace",
    }
)

# Types moto 5.2.5's CloudFormation does create but lists with no physical id (its model has none):
# an `AWS::EC2::SecurityGroupIngress` is authorized on its group, yet DescribeStackResources names
# no resource, so the inventory cannot pair it and no checker can read it by id.
EMULATOR_UNNAMED_TYPES: frozenset[str] = frozenset({"AWS::EC2::SecurityGroupIngress"})

# How moto 5.2.5 treats a strong cross-stack reference (an `Fn::ImportValue` of another stack's
# export, what aws-cdk-lib writes with `@aws-cdk/core:defaultCrossStackReferences: strong`): it
# resolves the import to the export's value at CreateStack, as CloudFormation does. An export whose
# Value is a `Ref` or `Fn::GetAtt` of a resource of a skipped type (EMULATOR_SKIPPED_TYPES) has no
# value in moto: ListExports lists its name with no Value, DescribeStacks leaves that output out,
# and a stack importing it fails CreateStack with "No export named <name> found." (on
# CloudFormation the resource exists and so does the value). Asserted in test_checkers.py against
# moto and in test_deploy_local.py against the deployed exports (`exports_of_skipped_resources`).

# The sandbox units the emulator cannot deploy even so, with why (asserted in test_checkers.py
# against moto, and against the assembly and the deployed stacks in test_deploy_local.py, so a
# change shows up):
# eks: every export it imports (network's VPC and subnets) is deployed
# with a value, but its secrets-encryption `AWS::KMS::Key` has Tags, and moto 5.2.5's KMS
# CloudFormation model hands CloudFormation's {"Key", "Value"} tags to a tagger keyed on "TagKey":
# CreateStack fails with KeyError 'TagKey' inside the request, the stack stays CREATE_IN_PROGRESS
# and every later DescribeStackResources of it answers HTTP 500. (Its EKS types are unsupported by
# moto anyway.)
# ecs-ec2-services-1: its service's CapacityProviderStrategy imports ecs-ec2's export of its
# AWS::ECS::CapacityProvider (`Ref`), a type moto skips, so that export has no value and CreateStack
# fails "No export named cp-<env>-ecs-ec2:ExportsOutputRefEc2ClusterCapacityProvider... found."
# (moto then keeps the half-made stack listed as CREATE_IN_PROGRESS; CloudFormation would have
# created the provider and the stack). Every other export it imports has a value.
EMULATOR_UNDEPLOYABLE_UNITS: Mapping[str, str] = {
    names.ecs_services_unit("ec2", 1): (
        "imports ecs-ec2's capacity provider export; moto creates no provider, so the export has "
        "no value and CreateStack fails 'No export named ... found.'"
    ),
    names.EKS_UNIT: "moto 5.2.5 AWS::KMS::Key with Tags: KeyError 'TagKey' in CreateStack",
    # The topic's key is tagged like every resource (the environment's tags): the same KeyError.
    # No other stack imports from it (the service stacks name the topic by its fixed name).
    names.ALARMS_UNIT: "moto 5.2.5 AWS::KMS::Key with Tags: KeyError 'TagKey' in CreateStack",
}


# moto 5.2.5 deletes a stack's resources without waiting for dependents, so it tries the VPC before
# what lives in it is gone: the CLI reports "The vpc ... has dependencies and cannot be deleted" and
# exits 1, yet moto no longer lists the network stack, and the VPC stays behind (its subnets, routes
# and gateways are gone). The CLI destroys the network stack last, so every other stack is already
# gone by then; a second `cdk destroy` (what a user runs next) exits 0. moto's ECS models have no
# CloudFormation delete at all, so the clusters, the service and its task definition also stay.
# And moto creates again what a deleted stack's outputs read: after DeleteStack the CLI describes
# the stack by id, moto still answers for a deleted stack and evaluates its Outputs through the
# stack's lazy resource map, which creates each resource an output reads anew. What the ECS
# stacks' exports read (e.g. their load balancers and security groups) comes back under new ids,
# which this check (by the deployed ids) does not see. (The registry stack's exports are literal
# values now, stacks/registry_stack.py: its repository no longer comes back.)
# test_checkers.py proves the mechanism on moto. Asserted exactly, so a moto fix shows up here.
DESTROY_EXIT_CODE = 1
DESTROY_LEFTOVERS = (
    (names.ecs_cluster_unit("ec2"), "AWS::ECS::Cluster"),
    (names.ecs_cluster_unit("fargate"), "AWS::ECS::Cluster"),
    (names.ecs_services_unit("fargate", 1), "AWS::ECS::Service"),
    (names.ecs_services_unit("fargate", 1), "AWS::ECS::TaskDefinition"),
    (names.NETWORK_UNIT, "AWS::EC2::VPC"),
)

# What `python -m tools.verify.deployment --environment sandbox` (`make verify`) reports on the
# emulator, per check kind: (status, why). Asserted exactly, so a moto change shows up here.
# ecs: moto 5.2.5 starts no task: every service has runningCount 0 (pendingCount = desiredCount)
#   and its one PRIMARY deployment's rolloutState stays IN_PROGRESS.
# targets: moto registers no ECS task in a target group: DescribeTargetHealth lists no target.
# url: the load balancer DNS names moto hands out are made up; with AWS_ENDPOINT_URL set the tool
#   skips them rather than resolve them (nothing may leave loopback).
# eks: the eks stack is not deployed on the emulator (EMULATOR_UNDEPLOYABLE_UNITS), and moto
#   skips AWS::EKS::Cluster anyway; the sandbox enables EKS, so that is a FAIL.
EMULATOR_VERIFY_OUTCOMES: dict[str, tuple[str, str]] = {
    "stack": ("OK", "CREATE_COMPLETE"),
    "cluster": ("OK", "deployed, 1 ALB(s)"),
    "ecs": ("FAIL", "rolloutState IN_PROGRESS"),
    "targets": ("FAIL", "no registered targets"),
    "url": ("SKIP", "(an emulator): its load balancer DNS names are made up"),
    "eks": ("FAIL", "eks.enabled, but no deployed stack has an AWS::EKS::Cluster"),
}
# Subjects reported otherwise than their kind: the sandbox's Managed Instances cluster is off
# (ecs.managed_instances.enabled false), which verify reports as such, emulator or not.
EMULATOR_VERIFY_SUBJECT_OUTCOMES: dict[tuple[str, str], tuple[str, str]] = {
    ("cluster", "ecs.managed_instances"): ("SKIP", "off (enabled: false)"),
}
VERIFY_EXIT_CODE = 1


def exports_of_skipped_resources(template: Mapping[str, Any]) -> set[str]:
    """Names of the template's exports whose Value is a `Ref` or `Fn::GetAtt` of a resource of an
    EMULATOR_SKIPPED_TYPES type: the exports moto lists with no value."""
    resources = template.get("Resources", {})
    names: set[str] = set()
    for output in template.get("Outputs", {}).values():
        export_name = output.get("Export", {}).get("Name")
        value = output.get("Value")
        if not isinstance(export_name, str) or not isinstance(value, dict):
            continue
        target = value.get("Ref") or (value.get("Fn::GetAtt") or [None])[0]
        if resources.get(target, {}).get("Type") in EMULATOR_SKIPPED_TYPES:
            names.add(export_name)
    return names


# Lambda-backed custom resources: moto runs their handler only in Docker (absent here, and it could
# reach the internet), so the harness answers them SUCCESS. They "exist" but their work is not done.
CUSTOM_RESOURCE_PREFIX = "Custom::"

# Properties moto accepts in a template but does not keep on the resource it creates; checkers do
# not compare them (test_checkers.py proves each is really dropped, so a fix in moto shows up).
EMULATOR_DROPPED_PROPERTIES: Mapping[str, frozenset[str]] = {
    "AWS::EC2::VPC": frozenset({"EnableDnsHostnames"}),
    "AWS::EC2::Subnet": frozenset({"MapPublicIpOnLaunch"}),
    "AWS::ECR::Repository": frozenset({"ImageScanningConfiguration", "EncryptionConfiguration"}),
    "AWS::ECS::Cluster": frozenset({"ClusterSettings"}),
    "AWS::ECS::Service": frozenset(
        {
            "DeploymentConfiguration",
            "EnableExecuteCommand",
            "HealthCheckGracePeriodSeconds",
            "LaunchType",
            "PropagateTags",
        }
    ),
    "AWS::ECS::TaskDefinition": frozenset({"Cpu", "NetworkMode", "RequiresCompatibilities"}),
}


class ClientFactory(Protocol):
    def client(self, service: str) -> Any: ...


@dataclass(frozen=True)
class DeployedResource:
    """One template resource and what CloudFormation (the emulator) says it became."""

    stack_name: str
    logical_id: str
    resource_type: str
    properties: Mapping[str, Any]
    physical_id: str
    stack_physical_ids: Mapping[str, str]
    # Export name -> value of every export the emulator lists (None: listed with no value).
    exports: Mapping[str, str | None]

    def literal(self, name: str) -> Any:
        """The template value of property `name` if it is a plain value the emulator keeps, else
        None (nothing to compare)."""
        if name in EMULATOR_DROPPED_PROPERTIES.get(self.resource_type, frozenset()):
            return None
        value = self.properties.get(name)
        return None if _is_intrinsic(value) else value

    def resolve(self, value: Any) -> Any:
        """A template value with `Ref` and `Fn::ImportValue` of a literal name (a strong
        cross-stack reference) resolved, lists resolved element-wise; None for anything else that
        is not a plain value."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not _is_intrinsic(value):
            return value
        if "Ref" in value:
            return self.stack_physical_ids.get(value["Ref"])
        if "Fn::ImportValue" in value and isinstance(value["Fn::ImportValue"], str):
            return self.exports.get(value["Fn::ImportValue"])
        return None

    def describe(self) -> str:
        return f"{self.stack_name}/{self.logical_id} ({self.resource_type}, {self.physical_id})"


Checker = Callable[[ClientFactory, DeployedResource], None]


def _is_intrinsic(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and len(value) == 1
        and next(iter(value)).startswith(("Fn::", "Ref"))
    )


def _expect(resource: DeployedResource, what: str, actual: Any, expected: Any) -> None:
    if expected is not None and actual != expected:
        raise AssertionError(
            f"{resource.describe()}: {what} is {actual!r}, template says {expected!r}"
        )


def check_vpc(aws: ClientFactory, resource: DeployedResource) -> None:
    ec2 = aws.client("ec2")
    (vpc,) = ec2.describe_vpcs(VpcIds=[resource.physical_id])["Vpcs"]
    _expect(resource, "CidrBlock", vpc["CidrBlock"], resource.literal("CidrBlock"))
    for attribute, prop in (
        ("enableDnsHostnames", "EnableDnsHostnames"),
        ("enableDnsSupport", "EnableDnsSupport"),
    ):
        answer = ec2.describe_vpc_attribute(VpcId=resource.physical_id, Attribute=attribute)
        key = attribute[0].upper() + attribute[1:]
        _expect(resource, prop, answer[key]["Value"], resource.literal(prop))


def check_subnet(aws: ClientFactory, resource: DeployedResource) -> None:
    (subnet,) = aws.client("ec2").describe_subnets(SubnetIds=[resource.physical_id])["Subnets"]
    _expect(resource, "VpcId", subnet["VpcId"], resource.resolve(resource.properties["VpcId"]))
    _expect(resource, "CidrBlock", subnet["CidrBlock"], resource.literal("CidrBlock"))
    _expect(
        resource,
        "AvailabilityZone",
        subnet["AvailabilityZone"],
        resource.literal("AvailabilityZone"),
    )
    _expect(
        resource,
        "MapPublicIpOnLaunch",
        subnet["MapPublicIpOnLaunch"],
        resource.literal("MapPublicIpOnLaunch"),
    )


def check_ecr_repository(aws: ClientFactory, resource: DeployedResource) -> None:
    (repository,) = aws.client("ecr").describe_repositories(repositoryNames=[resource.physical_id])[
        "repositories"
    ]
    _expect(
        resource, "RepositoryName", repository["repositoryName"], resource.literal("RepositoryName")
    )
    _expect(
        resource,
        "ImageTagMutability",
        repository["imageTagMutability"],
        resource.literal("ImageTagMutability"),
    )
    scanning = resource.literal("ImageScanningConfiguration") or {}
    _expect(
        resource,
        "ImageScanningConfiguration.ScanOnPush",
        repository.get("imageScanningConfiguration", {}).get("scanOnPush"),
        scanning.get("ScanOnPush"),
    )


def check_ecs_cluster(aws: ClientFactory, resource: DeployedResource) -> None:
    (cluster,) = aws.client("ecs").describe_clusters(clusters=[resource.physical_id])["clusters"]
    _expect(resource, "status", cluster["status"], "ACTIVE")
    _expect(resource, "ClusterName", cluster["clusterName"], resource.literal("ClusterName"))


def check_ecs_task_definition(aws: ClientFactory, resource: DeployedResource) -> None:
    task = aws.client("ecs").describe_task_definition(taskDefinition=resource.physical_id)[
        "taskDefinition"
    ]
    _expect(resource, "status", task["status"], "ACTIVE")
    _expect(resource, "Family", task["family"], resource.literal("Family"))
    _expect(resource, "NetworkMode", task.get("networkMode"), resource.literal("NetworkMode"))
    _expect(
        resource,
        "RequiresCompatibilities",
        task.get("requiresCompatibilities"),
        resource.literal("RequiresCompatibilities"),
    )
    _expect(resource, "Cpu", task.get("cpu"), resource.literal("Cpu"))
    _expect(resource, "Memory", task.get("memory"), resource.literal("Memory"))
    expected_containers = [c["Name"] for c in resource.properties.get("ContainerDefinitions", [])]
    _expect(
        resource,
        "container names",
        [c["name"] for c in task["containerDefinitions"]],
        expected_containers,
    )


def check_ecs_service(aws: ClientFactory, resource: DeployedResource) -> None:
    cluster = resource.resolve(resource.properties.get("Cluster"))
    assert cluster, f"{resource.describe()}: its Cluster did not resolve to a deployed cluster"
    (service,) = aws.client("ecs").describe_services(
        cluster=cluster, services=[resource.physical_id]
    )["services"]
    _expect(resource, "status", service["status"], "ACTIVE")
    _expect(resource, "DesiredCount", service["desiredCount"], resource.literal("DesiredCount"))
    _expect(resource, "LaunchType", service.get("launchType"), resource.literal("LaunchType"))
    _expect(
        resource,
        "TaskDefinition",
        service["taskDefinition"],
        resource.resolve(resource.properties.get("TaskDefinition")),
    )


def check_load_balancer(aws: ClientFactory, resource: DeployedResource) -> None:
    (balancer,) = aws.client("elbv2").describe_load_balancers(
        LoadBalancerArns=[resource.physical_id]
    )["LoadBalancers"]
    _expect(resource, "Scheme", balancer["Scheme"], resource.literal("Scheme"))
    _expect(resource, "Type", balancer["Type"], resource.literal("Type") or "application")
    subnets = resource.resolve(resource.properties.get("Subnets"))
    if subnets is not None and None not in subnets:
        _expect(
            resource,
            "Subnets",
            sorted(az["SubnetId"] for az in balancer["AvailabilityZones"]),
            sorted(subnets),
        )


def check_launch_template(aws: ClientFactory, resource: DeployedResource) -> None:
    (version,) = aws.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=resource.physical_id, Versions=["$Latest"]
    )["LaunchTemplateVersions"]
    _expect(
        resource,
        "LaunchTemplateName",
        version["LaunchTemplateName"],
        resource.literal("LaunchTemplateName"),
    )
    data = resource.literal("LaunchTemplateData") or {}
    metadata = data.get("MetadataOptions") or {}
    _expect(
        resource,
        "MetadataOptions.HttpTokens",
        version["LaunchTemplateData"].get("MetadataOptions", {}).get("HttpTokens"),
        metadata.get("HttpTokens"),
    )


def check_eks_cluster(aws: ClientFactory, resource: DeployedResource) -> None:
    """Used only once moto's CloudFormation creates EKS clusters (today: EMULATOR_SKIPPED_TYPES)."""
    cluster = aws.client("eks").describe_cluster(name=resource.physical_id)["cluster"]
    _expect(resource, "Version", cluster["version"], resource.literal("Version"))
    _expect(resource, "status", cluster["status"], "ACTIVE")


CHECKERS: Mapping[str, Checker] = {
    "AWS::EC2::VPC": check_vpc,
    "AWS::EC2::Subnet": check_subnet,
    "AWS::ECR::Repository": check_ecr_repository,
    "AWS::ECS::Cluster": check_ecs_cluster,
    "AWS::ECS::TaskDefinition": check_ecs_task_definition,
    "AWS::ECS::Service": check_ecs_service,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": check_load_balancer,
    "AWS::EC2::LaunchTemplate": check_launch_template,
    "AWS::EKS::Cluster": check_eks_cluster,
}
