"""The deploy test's checkers and its record of emulator gaps, exercised on moto in-process.

A small stack of the resource types the ECR, ECS and EKS stacks will add is created through moto's
CloudFormation (the same code path `moto_server` runs), then every checker must accept it as
templated and reject it when the template asks for something else. The recorded skipped types,
dropped properties and cross-stack reference gaps are proved against moto itself, so a moto upgrade
that closes a gap fails here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cloudformation.models import CloudFormationBackend

from tests.deploy.checkers import (
    CHECKERS,
    EMULATOR_DROPPED_PROPERTIES,
    EMULATOR_SKIPPED_TYPES,
    EMULATOR_UNDEPLOYABLE_UNITS,
    DeployedResource,
    exports_of_skipped_resources,
)
from tests.deploy.serial_moto_server import (
    delete_stack_unless_its_exports_are_imported,
    imported_export_names,
)

pytestmark = pytest.mark.deploy

REGION = "us-east-1"

SAMPLE_TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Vpc": {
            "Type": "AWS::EC2::VPC",
            "Properties": {
                "CidrBlock": "10.10.0.0/16",
                "EnableDnsHostnames": True,
                "EnableDnsSupport": True,
            },
        },
        "SubnetA": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": "10.10.0.0/24",
                "AvailabilityZone": "us-east-1a",
                "MapPublicIpOnLaunch": True,
            },
        },
        "SubnetB": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": "10.10.1.0/24",
                "AvailabilityZone": "us-east-1b",
                "MapPublicIpOnLaunch": True,
            },
        },
        "Repository": {
            "Type": "AWS::ECR::Repository",
            "Properties": {
                "RepositoryName": "cp-sandbox/sample-app",
                "ImageTagMutability": "IMMUTABLE",
                "ImageScanningConfiguration": {"ScanOnPush": True},
                "EncryptionConfiguration": {"EncryptionType": "AES256"},
            },
        },
        "Cluster": {
            "Type": "AWS::ECS::Cluster",
            "Properties": {
                "ClusterName": "cp-sandbox",
                "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
            },
        },
        "TaskDefinition": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "web",
                "NetworkMode": "awsvpc",
                "RequiresCompatibilities": ["FARGATE"],
                "Cpu": "256",
                "Memory": "512",
                "ContainerDefinitions": [{"Name": "web", "Image": "nginx", "Essential": True}],
            },
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": {"Ref": "Cluster"},
                "TaskDefinition": {"Ref": "TaskDefinition"},
                "DesiredCount": 2,
                "LaunchType": "FARGATE",
                "DeploymentConfiguration": {
                    "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                },
                "EnableExecuteCommand": True,
                "HealthCheckGracePeriodSeconds": 60,
                "PropagateTags": "SERVICE",
            },
        },
        "LoadBalancer": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {
                "Scheme": "internet-facing",
                "Type": "application",
                "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
            },
        },
        "LaunchTemplate": {
            "Type": "AWS::EC2::LaunchTemplate",
            "Properties": {
                "LaunchTemplateName": "cp-sandbox-ec2",
                "LaunchTemplateData": {
                    "ImageId": "ami-12c6146b",
                    "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
                },
            },
        },
    }
}

# One wrong expectation per checked type: the checker must reject the deployed resource with it.
WRONG_EXPECTATIONS: dict[str, tuple[str, Any]] = {
    "Vpc": ("CidrBlock", "10.99.0.0/16"),
    "SubnetA": ("AvailabilityZone", "us-east-1c"),
    "Repository": ("ImageTagMutability", "MUTABLE"),
    "Cluster": ("ClusterName", "another-cluster"),
    "TaskDefinition": ("Memory", "1024"),
    "Service": ("DesiredCount", 3),
    "LoadBalancer": ("Scheme", "internal"),
    "LaunchTemplate": (
        "LaunchTemplateData",  # MetadataOptions.HttpTokens
        {"ImageId": "ami-12c6146b", "MetadataOptions": {"HttpTokens": "optional"}},
    ),
}


class InProcess:
    """boto3 clients of moto's in-process backend (the `ClientFactory` the checkers take)."""

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)


@pytest.fixture(scope="module")
def aws() -> Iterator[InProcess]:
    with mock_aws():
        yield InProcess()


@pytest.fixture(scope="module")
def sample_stack(aws: InProcess) -> dict[str, DeployedResource]:
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(StackName="sample", TemplateBody=json.dumps(SAMPLE_TEMPLATE))
    status = cloudformation.describe_stacks(StackName="sample")["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"
    physical_ids = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName="sample")["StackResources"]
    }
    return {
        logical_id: DeployedResource(
            stack_name="sample",
            logical_id=logical_id,
            resource_type=resource["Type"],
            properties=resource["Properties"],
            physical_id=physical_ids[logical_id],
            stack_physical_ids=physical_ids,
            exports={},
        )
        for logical_id, resource in SAMPLE_TEMPLATE["Resources"].items()
    }


def with_property(resource: DeployedResource, name: str, value: Any) -> DeployedResource:
    properties = copy.deepcopy(dict(resource.properties))
    properties[name] = value
    return DeployedResource(**{**resource.__dict__, "properties": properties})


def test_every_checker_but_eks_has_a_sample_resource() -> None:
    """The sample stack covers every checked type moto can create (EKS it cannot)."""
    sample_types = {r["Type"] for r in SAMPLE_TEMPLATE["Resources"].values()}
    assert set(CHECKERS) - sample_types == {"AWS::EKS::Cluster"}
    assert "AWS::EKS::Cluster" in EMULATOR_SKIPPED_TYPES


@pytest.mark.parametrize("logical_id", list(SAMPLE_TEMPLATE["Resources"]))
def test_checker_accepts_the_resource_as_templated(
    aws: InProcess, sample_stack: dict[str, DeployedResource], logical_id: str
) -> None:
    """Each checker reads its deployed resource back and finds the template's settings."""
    resource = sample_stack[logical_id]
    CHECKERS[resource.resource_type](aws, resource)


@pytest.mark.parametrize("logical_id", list(WRONG_EXPECTATIONS))
def test_checker_rejects_a_different_setting(
    aws: InProcess, sample_stack: dict[str, DeployedResource], logical_id: str
) -> None:
    """Each checker fails when the template asks for a setting the resource does not have."""
    name, value = WRONG_EXPECTATIONS[logical_id]
    resource = with_property(sample_stack[logical_id], name, value)
    message = "MetadataOptions.HttpTokens" if name == "LaunchTemplateData" else name
    with pytest.raises(AssertionError, match=message):
        CHECKERS[resource.resource_type](aws, resource)


def test_the_repository_checker_proves_immutable_tags(
    aws: InProcess, sample_stack: dict[str, DeployedResource]
) -> None:
    """A repository created with mutable tags fails a template that asks for IMMUTABLE."""
    aws.client("ecr").create_repository(repositoryName="mutable", imageTagMutability="MUTABLE")
    resource = DeployedResource(**{**sample_stack["Repository"].__dict__, "physical_id": "mutable"})
    with pytest.raises(AssertionError, match="ImageTagMutability is 'MUTABLE'"):
        CHECKERS["AWS::ECR::Repository"](aws, with_property(resource, "RepositoryName", "mutable"))


def test_the_service_checker_follows_the_cluster_reference(
    aws: InProcess, sample_stack: dict[str, DeployedResource]
) -> None:
    """A service whose Cluster does not resolve to a deployed cluster is reported, not skipped."""
    resource = with_property(sample_stack["Service"], "Cluster", {"Ref": "NoSuchCluster"})
    with pytest.raises(AssertionError, match="Cluster did not resolve"):
        CHECKERS["AWS::ECS::Service"](aws, resource)


def test_moto_creates_nothing_for_the_recorded_skipped_types(aws: InProcess) -> None:
    """moto's CloudFormation completes a stack of only skipped types, creating none of them."""
    template = {
        "Resources": {
            f"Skipped{index}": {"Type": resource_type, "Properties": {}}
            for index, resource_type in enumerate(sorted(EMULATOR_SKIPPED_TYPES))
        }
    }
    template["Resources"]["Kept"] = {"Type": "AWS::SNS::Topic", "Properties": {}}
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(StackName="skipped", TemplateBody=json.dumps(template))
    resources = cloudformation.describe_stack_resources(StackName="skipped")["StackResources"]
    assert [r.get("ResourceType") for r in resources if r.get("ResourceType")] == [
        "AWS::SNS::Topic"
    ]


# How to read each recorded dropped property back, and the value moto reports instead.
DROPPED_READBACK: dict[tuple[str, str], tuple[str, Any]] = {
    ("Vpc", "EnableDnsHostnames"): ("EnableDnsHostnames", {"Value": False}),
    ("SubnetA", "MapPublicIpOnLaunch"): ("MapPublicIpOnLaunch", False),
    ("Repository", "ImageScanningConfiguration"): ("imageScanningConfiguration", {}),
    ("Repository", "EncryptionConfiguration"): ("encryptionConfiguration", {}),
    ("Cluster", "ClusterSettings"): (
        "settings",
        [{"name": "containerInsights", "value": "disabled"}],
    ),
    ("Service", "DeploymentConfiguration"): ("deploymentConfiguration", None),
    ("Service", "EnableExecuteCommand"): ("enableExecuteCommand", None),
    ("Service", "HealthCheckGracePeriodSeconds"): ("healthCheckGracePeriodSeconds", None),
    ("Service", "LaunchType"): ("launchType", "EC2"),
    ("Service", "PropagateTags"): ("propagateTags", "NONE"),
    ("TaskDefinition", "Cpu"): ("cpu", None),
    ("TaskDefinition", "NetworkMode"): ("networkMode", "bridge"),
    ("TaskDefinition", "RequiresCompatibilities"): ("requiresCompatibilities", None),
}


def describe(aws: InProcess, resource: DeployedResource) -> dict[str, Any]:
    ec2 = aws.client("ec2")
    if resource.resource_type == "AWS::EC2::VPC":
        return dict(
            ec2.describe_vpc_attribute(VpcId=resource.physical_id, Attribute="enableDnsHostnames")
        )
    if resource.resource_type == "AWS::EC2::Subnet":
        return dict(ec2.describe_subnets(SubnetIds=[resource.physical_id])["Subnets"][0])
    if resource.resource_type == "AWS::ECR::Repository":
        return dict(
            aws.client("ecr").describe_repositories(repositoryNames=[resource.physical_id])[
                "repositories"
            ][0]
        )
    ecs = aws.client("ecs")
    if resource.resource_type == "AWS::ECS::Cluster":
        return dict(
            ecs.describe_clusters(clusters=[resource.physical_id], include=["SETTINGS"])[
                "clusters"
            ][0]
        )
    if resource.resource_type == "AWS::ECS::Service":
        cluster = resource.stack_physical_ids["Cluster"]
        return dict(
            ecs.describe_services(cluster=cluster, services=[resource.physical_id])["services"][0]
        )
    return dict(ecs.describe_task_definition(taskDefinition=resource.physical_id)["taskDefinition"])


def test_the_dropped_property_record_is_complete() -> None:
    """Every recorded dropped property has a read-back proof below, and nothing else does."""
    recorded = {(t, p) for t, props in EMULATOR_DROPPED_PROPERTIES.items() for p in props}
    proved = {(SAMPLE_TEMPLATE["Resources"][lid]["Type"], p) for lid, p in DROPPED_READBACK}
    assert proved == recorded


@pytest.mark.parametrize(("logical_id", "prop"), list(DROPPED_READBACK))
def test_moto_really_drops_the_recorded_property(
    aws: InProcess, sample_stack: dict[str, DeployedResource], logical_id: str, prop: str
) -> None:
    """moto reports its default, not the templated value, for each recorded dropped property."""
    field, moto_value = DROPPED_READBACK[(logical_id, prop)]
    resource = sample_stack[logical_id]
    assert prop in resource.properties
    assert describe(aws, resource).get(field) == moto_value


def producer_and_consumer(prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A producer exporting a cluster (kept by moto) and a capacity provider (skipped), as a strong
    reference writes them, and a consumer importing the cluster's export."""
    producer = {
        "Resources": {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {}},
            "Provider": {
                "Type": "AWS::ECS::CapacityProvider",
                "Properties": {"AutoScalingGroupProvider": {"AutoScalingGroupArn": "asg"}},
            },
        },
        "Outputs": {
            "ExportsOutputRefCluster": {
                "Value": {"Ref": "Cluster"},
                "Export": {"Name": f"{prefix}:ExportsOutputRefCluster"},
            },
            "ExportsOutputRefProvider": {
                "Value": {"Ref": "Provider"},
                "Export": {"Name": f"{prefix}:ExportsOutputRefProvider"},
            },
        },
    }
    consumer = {
        "Resources": {
            "Parameter": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Name": f"/{prefix}/cluster",
                    "Type": "String",
                    "Value": {"Fn::ImportValue": f"{prefix}:ExportsOutputRefCluster"},
                },
            }
        }
    }
    return producer, consumer


def stack_names(aws: InProcess) -> set[str]:
    return {s["StackName"] for s in aws.client("cloudformation").describe_stacks()["Stacks"]}


def test_moto_resolves_an_import_to_the_producer_export(aws: InProcess) -> None:
    """Stock moto resolves `Fn::ImportValue` to the export's value (no harness addition needed)."""
    cloudformation = aws.client("cloudformation")
    producer, consumer = producer_and_consumer("resolve")
    cloudformation.create_stack(StackName="resolve", TemplateBody=json.dumps(producer))
    cloudformation.create_stack(StackName="resolve-user", TemplateBody=json.dumps(consumer))
    value = aws.client("ssm").get_parameter(Name="/resolve/cluster")["Parameter"]["Value"]
    physical_ids = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId")
        for r in cloudformation.describe_stack_resources(StackName="resolve")["StackResources"]
        if r.get("LogicalResourceId")
    }
    assert value == physical_ids["Cluster"]


def test_moto_lists_an_export_of_a_skipped_resource_without_a_value(aws: InProcess) -> None:
    """The recorded reason ecs-ec2-services-1 is left out: the export of a resource of a skipped
    type (the capacity provider) is listed with no Value, and CreateStack of a stack importing it
    fails "No export named ... found." (moto keeps that stack listed as CREATE_IN_PROGRESS)."""
    assert "ecs-ec2-services-1" in EMULATOR_UNDEPLOYABLE_UNITS
    assert "AWS::ECS::CapacityProvider" in EMULATOR_SKIPPED_TYPES
    cloudformation = aws.client("cloudformation")
    producer, consumer = producer_and_consumer("skipped-export")
    assert exports_of_skipped_resources(producer) == {"skipped-export:ExportsOutputRefProvider"}
    cloudformation.create_stack(StackName="skipped-export", TemplateBody=json.dumps(producer))
    exports = {e["Name"]: e for e in cloudformation.list_exports()["Exports"]}
    assert "Value" not in exports["skipped-export:ExportsOutputRefProvider"]
    assert exports["skipped-export:ExportsOutputRefCluster"]["Value"]
    consumer["Resources"]["Parameter"]["Properties"]["Value"] = {
        "Fn::ImportValue": "skipped-export:ExportsOutputRefProvider"
    }
    with pytest.raises(
        ClientError, match="No export named skipped-export:ExportsOutputRefProvider found"
    ):
        cloudformation.create_stack(
            StackName="skipped-export-user", TemplateBody=json.dumps(consumer)
        )
    (stack,) = cloudformation.describe_stacks(StackName="skipped-export-user")["Stacks"]
    assert stack["StackStatus"] == "CREATE_IN_PROGRESS"


def test_the_skipped_resource_export_finder_follows_ref_and_getatt() -> None:
    """`exports_of_skipped_resources` names the exports of a skipped type's Ref or GetAtt only."""
    template: dict[str, Any] = {
        "Resources": {
            "Provider": {"Type": "AWS::ECS::CapacityProvider"},
            "Cluster": {"Type": "AWS::EKS::Cluster"},
            "Vpc": {"Type": "AWS::EC2::VPC"},
        },
        "Outputs": {
            "A": {"Value": {"Ref": "Provider"}, "Export": {"Name": "a"}},
            "B": {"Value": {"Fn::GetAtt": ["Cluster", "Arn"]}, "Export": {"Name": "b"}},
            "C": {"Value": {"Ref": "Vpc"}, "Export": {"Name": "c"}},
            "D": {"Value": {"Ref": "Provider"}},
        },
    }
    assert exports_of_skipped_resources(template) == {"a", "b"}


def test_the_import_finder_looks_everywhere() -> None:
    """`imported_export_names` finds a literal import nested in lists and other functions."""
    template = {
        "Resources": {
            "A": {"Properties": {"Subnets": [{"Fn::ImportValue": "p:a"}, {"Ref": "X"}]}},
            "B": {
                "Properties": {
                    "Label": {"Fn::Select": [1, {"Fn::Split": ["/", {"Fn::ImportValue": "p:b"}]}]}
                }
            },
        }
    }
    assert imported_export_names(template) == {"p:a", "p:b"}
    assert imported_export_names({"Resources": {"A": {"Properties": {"V": {"Ref": "X"}}}}}) == set()


def test_stock_moto_deletes_a_stack_whose_export_is_imported(aws: InProcess) -> None:
    """Recorded gap: CloudFormation refuses to delete a stack whose export another stack imports
    ("Export ... cannot be deleted as it is in use by ..."); stock moto 5.2.5 deletes it and its
    exports (why serial_moto_server.py adds the refusal)."""
    cloudformation = aws.client("cloudformation")
    producer, consumer = producer_and_consumer("stock-delete")
    cloudformation.create_stack(StackName="stock-delete", TemplateBody=json.dumps(producer))
    cloudformation.create_stack(StackName="stock-delete-user", TemplateBody=json.dumps(consumer))
    cloudformation.delete_stack(StackName="stock-delete")
    assert "stock-delete" not in stack_names(aws)
    assert "stock-delete-user" in stack_names(aws)
    names = {e["Name"] for e in cloudformation.list_exports()["Exports"]}
    assert "stock-delete:ExportsOutputRefCluster" not in names


def test_stock_moto_updates_away_an_export_that_is_imported(aws: InProcess) -> None:
    """Recorded gap, not taught to the harness: CloudFormation refuses an update that removes or
    changes an export in use ("Export ... cannot be updated as it is in use by ..."); stock moto
    5.2.5 applies it, so the emulator cannot show the export-in-use deadlock of an update (nor
    `Stack.export_value`'s two-step way out)."""
    cloudformation = aws.client("cloudformation")
    producer, consumer = producer_and_consumer("stock-update")
    cloudformation.create_stack(StackName="stock-update", TemplateBody=json.dumps(producer))
    cloudformation.create_stack(StackName="stock-update-user", TemplateBody=json.dumps(consumer))
    without_exports = {"Resources": producer["Resources"]}
    cloudformation.update_stack(StackName="stock-update", TemplateBody=json.dumps(without_exports))
    (stack,) = cloudformation.describe_stacks(StackName="stock-update")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert not stack.get("Outputs")


def test_the_harness_refuses_deleting_a_stack_whose_export_is_imported(
    aws: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With serial_moto_server.py's addition, DeleteStack of a producer whose export two live
    stacks import keeps it, complete, with CloudFormation's reason naming both; once the importers
    are deleted, the producer is deleted."""
    monkeypatch.setattr(
        CloudFormationBackend, "delete_stack", delete_stack_unless_its_exports_are_imported
    )
    cloudformation = aws.client("cloudformation")
    producer, consumer = producer_and_consumer("refused")
    cloudformation.create_stack(StackName="refused", TemplateBody=json.dumps(producer))
    for index in (1, 2):
        consumer["Resources"]["Parameter"]["Properties"]["Name"] = f"/refused/{index}"
        cloudformation.create_stack(
            StackName=f"refused-user{index}", TemplateBody=json.dumps(consumer)
        )
    cloudformation.delete_stack(StackName="refused")
    (stack,) = cloudformation.describe_stacks(StackName="refused")["Stacks"]
    reason = (
        "Export refused:ExportsOutputRefCluster cannot be deleted as it is in use by "
        "refused-user1 and refused-user2"
    )
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["StackStatusReason"] == reason
    (event, *_) = cloudformation.describe_stack_events(StackName="refused")["StackEvents"]
    assert (event["ResourceStatus"], event["ResourceStatusReason"]) == ("CREATE_COMPLETE", reason)
    cloudformation.delete_stack(StackName="refused-user1")
    cloudformation.delete_stack(StackName=stack["StackId"])
    (stack,) = cloudformation.describe_stacks(StackName="refused")["Stacks"]
    assert stack["StackStatusReason"].endswith("in use by refused-user2")
    cloudformation.delete_stack(StackName="refused-user2")
    cloudformation.delete_stack(StackName="refused")
    assert not {"refused", "refused-user1", "refused-user2"} & stack_names(aws)


def test_moto_recreates_what_a_deleted_stacks_outputs_read(aws: InProcess) -> None:
    """Recorded destroy leftover (test_deploy_local.DESTROY_LEFTOVERS): DescribeStacks of a deleted
    stack by id (what the CLI does after DeleteStack) evaluates its outputs, and moto's lazy
    resource map creates the resource an output reads again: a named repository comes back."""
    cloudformation = aws.client("cloudformation")
    template = {
        "Resources": {
            "Repository": {
                "Type": "AWS::ECR::Repository",
                "Properties": {"RepositoryName": "resurrected"},
            }
        },
        "Outputs": {
            "ExportsOutputFnGetAttRepositoryArn": {
                "Value": {"Fn::GetAtt": ["Repository", "Arn"]},
                "Export": {"Name": "resurrected:ExportsOutputFnGetAttRepositoryArn"},
            }
        },
    }
    stack_id = cloudformation.create_stack(
        StackName="resurrected", TemplateBody=json.dumps(template)
    )["StackId"]
    cloudformation.delete_stack(StackName=stack_id)

    def repositories() -> set[str]:
        answer = aws.client("ecr").describe_repositories()["repositories"]
        return {repository["repositoryName"] for repository in answer}

    assert "resurrected" not in repositories()
    (stack,) = cloudformation.describe_stacks(StackName=stack_id)["Stacks"]
    assert stack["StackStatus"] == "DELETE_COMPLETE"
    assert "resurrected" in repositories()


def test_moto_cannot_create_a_tagged_kms_key_hence_eks_is_not_deployed(aws: InProcess) -> None:
    """The recorded reason the eks unit is left out: moto's KMS CloudFormation model fails on
    CloudFormation-style Tags (KeyError 'TagKey'), as on the eks stack's secrets key."""
    assert "eks" in EMULATOR_UNDEPLOYABLE_UNITS
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                    "Tags": [{"Key": "project", "Value": "probe"}],
                },
            }
        }
    }
    with pytest.raises(KeyError, match="TagKey"):
        aws.client("cloudformation").create_stack(
            StackName="tagged-key", TemplateBody=json.dumps(template)
        )
