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

from stacks import names
from tests.deploy.helpers.checkers import (
    CHECKERS,
    EMULATOR_DROPPED_PROPERTIES,
    EMULATOR_SKIPPED_TYPES,
    EMULATOR_UNDEPLOYABLE_UNITS,
    DeployedResource,
    exports_of_skipped_resources,
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
    from moto import mock_aws

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
    assert names.ecs_services_unit("ec2", 1) in EMULATOR_UNDEPLOYABLE_UNITS
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
    from tests.deploy.helpers.exports import imported_export_names

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
    """Recorded gap: CloudFormation refuses an update that removes an export in use ("Export ...
    cannot be deleted as it is in use by ..."); stock moto 5.2.5 applies it (why
    serial_moto_server.py adds the refusal)."""
    cloudformation = aws.client("cloudformation")
    producer, consumer = producer_and_consumer("stock-update")
    cloudformation.create_stack(StackName="stock-update", TemplateBody=json.dumps(producer))
    cloudformation.create_stack(StackName="stock-update-user", TemplateBody=json.dumps(consumer))
    without_exports = {"Resources": producer["Resources"]}
    cloudformation.update_stack(StackName="stock-update", TemplateBody=json.dumps(without_exports))
    (stack,) = cloudformation.describe_stacks(StackName="stock-update")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert not stack.get("Outputs")


def test_the_harness_refuses_an_update_that_drops_an_export_in_use(
    aws: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With serial_moto_server.py's addition, an update that drops an export a live stack imports
    ends UPDATE_ROLLBACK_COMPLETE with CloudFormation's reason, its outputs and exports as before;
    the same update applies once nothing imports the export, and an update that keeps it applies
    while it is imported."""
    from moto.cloudformation.models import CloudFormationBackend

    from tests.deploy.helpers.serial_moto_server import (
        update_stack_unless_it_drops_an_export_in_use,
    )

    monkeypatch.setattr(
        CloudFormationBackend, "update_stack", update_stack_unless_it_drops_an_export_in_use
    )
    cloudformation = aws.client("cloudformation")
    producer, consumer = producer_and_consumer("drop")
    cloudformation.create_stack(StackName="drop", TemplateBody=json.dumps(producer))
    cloudformation.create_stack(StackName="drop-user", TemplateBody=json.dumps(consumer))
    without = copy.deepcopy(producer)
    del without["Outputs"]["ExportsOutputRefCluster"]
    cloudformation.update_stack(StackName="drop", TemplateBody=json.dumps(without))
    (stack,) = cloudformation.describe_stacks(StackName="drop")["Stacks"]
    reason = "Export drop:ExportsOutputRefCluster cannot be deleted as it is in use by drop-user"
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"] == reason
    events = cloudformation.describe_stack_events(StackName="drop")["StackEvents"]
    assert [(e["ResourceStatus"], e.get("ResourceStatusReason")) for e in events[:2]] == [
        ("UPDATE_ROLLBACK_COMPLETE", None),
        ("UPDATE_ROLLBACK_IN_PROGRESS", reason),
    ]
    names = {e["Name"] for e in cloudformation.list_exports()["Exports"]}
    assert "drop:ExportsOutputRefCluster" in names
    kept = copy.deepcopy(producer)
    kept["Resources"]["Topic"] = {"Type": "AWS::SNS::Topic", "Properties": {}}
    cloudformation.update_stack(StackName="drop", TemplateBody=json.dumps(kept))
    (stack,) = cloudformation.describe_stacks(StackName="drop")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    cloudformation.delete_stack(StackName="drop-user")
    cloudformation.update_stack(StackName="drop", TemplateBody=json.dumps(without))
    (stack,) = cloudformation.describe_stacks(StackName="drop")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    names = {e["Name"] for e in cloudformation.list_exports()["Exports"]}
    assert "drop:ExportsOutputRefCluster" not in names


def test_stock_moto_refuses_a_renamed_rule_at_its_predecessors_priority(aws: InProcess) -> None:
    """Recorded: CloudFormation creates an update's new resources before it deletes the removed
    ones, so a listener rule renamed at its predecessor's priority fails with PriorityInUse
    (`make plan`'s unique-key rule). Stock moto 5.2.5 answers the same update with PriorityInUse
    too, for a reason of its own: it never deletes a listener rule an update removes (its listener
    rule has no CloudFormation delete), so the old rule keeps the priority even when the new one
    takes another."""
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(
        StackName="rename", TemplateBody=json.dumps(listener_with_rule("RuleOld"))
    )
    with pytest.raises(ClientError, match="PriorityInUse"):
        cloudformation.update_stack(
            StackName="rename", TemplateBody=json.dumps(listener_with_rule("RuleNew"))
        )
    cloudformation.update_stack(
        StackName="rename", TemplateBody=json.dumps(listener_with_rule("RuleNew", priority=2))
    )
    resources = cloudformation.describe_stack_resources(StackName="rename")["StackResources"]
    (listener,) = [r for r in resources if r.get("LogicalResourceId") == "Listener"]
    rules = aws.client("elbv2").describe_rules(ListenerArn=listener["PhysicalResourceId"])["Rules"]
    assert sorted(rule["Priority"] for rule in rules if not rule["IsDefault"]) == ["1", "2"]


def listener_with_rule(rule_id: str, priority: int = 1) -> dict[str, Any]:
    """A VPC, an ALB with an HTTP listener and one listener rule `rule_id` at `priority`."""
    resources = copy.deepcopy(
        {
            k: v
            for k, v in SAMPLE_TEMPLATE["Resources"].items()
            if k in ("Vpc", "SubnetA", "SubnetB")
        }
    )
    resources["Alb"] = {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Properties": {"Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]},
    }
    resources["Listener"] = {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": {"Ref": "Alb"},
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}
            ],
        },
    }
    resources[rule_id] = {
        "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
        "Properties": {
            "ListenerArn": {"Ref": "Listener"},
            "Priority": priority,
            "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
            "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
        },
    }
    return {"Resources": resources}


def test_the_harness_refuses_deleting_a_stack_whose_export_is_imported(
    aws: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With serial_moto_server.py's addition, DeleteStack of a producer whose export two live
    stacks import keeps it, complete, with CloudFormation's reason naming both; once the importers
    are deleted, the producer is deleted."""
    from moto.cloudformation.models import CloudFormationBackend

    from tests.deploy.helpers.serial_moto_server import delete_stack_unless_its_exports_are_imported

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


def defaulted_parameter_stack(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A stack with a parameter that has a default (as every CDK stack's BootstrapVersion), and
    the parameters the CDK CLI passes when it updates it: that one with UsePreviousValue."""
    template = {
        "Parameters": {"Version": {"Type": "String", "Default": "21"}},
        "Resources": {
            "Parameter": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": f"/{name}/v", "Type": "String", "Value": {"Ref": "Version"}},
            }
        },
    }
    return template, [{"ParameterKey": "Version", "UsePreviousValue": True}]


def test_stock_moto_cannot_update_a_stack_created_with_a_parameter_default(
    aws: InProcess,
) -> None:
    """Recorded gap: UpdateStack passing UsePreviousValue for a parameter the stack was created
    with by default fails in stock moto 5.2.5 (KeyError, HTTP 500 on the server), as the CDK CLI
    passes BootstrapVersion (why serial_moto_server.py resolves it again)."""
    cloudformation = aws.client("cloudformation")
    template, parameters = defaulted_parameter_stack("stock-default")
    cloudformation.create_stack(StackName="stock-default", TemplateBody=json.dumps(template))
    template["Resources"]["Parameter"]["Properties"]["Description"] = "changed"
    with pytest.raises(KeyError, match="Version"):
        cloudformation.update_stack(
            StackName="stock-default", TemplateBody=json.dumps(template), Parameters=parameters
        )


def test_the_harness_updates_a_stack_created_with_a_parameter_default(
    aws: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With serial_moto_server.py's change, the update applies with the parameter at its default
    (what CloudFormation keeps as the previous value); a value given explicitly still wins."""
    from moto.cloudformation.models import CloudFormationBackend

    from tests.deploy.helpers.serial_moto_server import resolve_update_parameters_keeping_defaults

    monkeypatch.setattr(
        CloudFormationBackend,
        "_resolve_update_parameters",
        resolve_update_parameters_keeping_defaults,
    )
    cloudformation = aws.client("cloudformation")
    template, parameters = defaulted_parameter_stack("harness-default")
    cloudformation.create_stack(StackName="harness-default", TemplateBody=json.dumps(template))
    template["Resources"]["Parameter"]["Properties"]["Description"] = "changed"
    cloudformation.update_stack(
        StackName="harness-default", TemplateBody=json.dumps(template), Parameters=parameters
    )
    (stack,) = cloudformation.describe_stacks(StackName="harness-default")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    ssm = aws.client("ssm")
    assert ssm.get_parameter(Name="/harness-default/v")["Parameter"]["Value"] == "21"
    cloudformation.update_stack(
        StackName="harness-default",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "Version", "ParameterValue": "22"}],
    )
    assert ssm.get_parameter(Name="/harness-default/v")["Parameter"]["Value"] == "22"


def export_added_by_update(prefix: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A producer exporting its cluster, the producer updated to export its parameter too, and a
    consumer importing the added export."""
    producer, consumer = producer_and_consumer(prefix)
    updated = copy.deepcopy(producer)
    updated["Resources"]["Name"] = {
        "Type": "AWS::SSM::Parameter",
        "Properties": {"Name": f"/{prefix}/name", "Type": "String", "Value": "added"},
    }
    updated["Outputs"]["ExportsOutputRefName"] = {
        "Value": {"Ref": "Name"},
        "Export": {"Name": f"{prefix}:ExportsOutputRefName"},
    }
    consumer = copy.deepcopy(consumer)
    consumer["Resources"]["Parameter"]["Properties"]["Value"] = {
        "Fn::ImportValue": f"{prefix}:ExportsOutputRefName"
    }
    return producer, updated, consumer


def test_stock_moto_does_not_register_an_export_an_update_adds(aws: InProcess) -> None:
    """Recorded gap: stock moto 5.2.5 lists the exports of a stack's CreateStack only. An export
    its update adds is not listed, a stack importing it fails "No export named ... found.", and
    deleting the updated stack fails (KeyError on the unregistered export; HTTP 500 on the
    server), why serial_moto_server.py registers them."""
    cloudformation = aws.client("cloudformation")
    producer, updated, consumer = export_added_by_update("stock-added")
    cloudformation.create_stack(StackName="stock-added", TemplateBody=json.dumps(producer))
    cloudformation.update_stack(StackName="stock-added", TemplateBody=json.dumps(updated))
    names = {e["Name"] for e in cloudformation.list_exports()["Exports"]}
    assert "stock-added:ExportsOutputRefName" not in names
    with pytest.raises(ClientError, match="No export named stock-added:ExportsOutputRefName"):
        cloudformation.create_stack(StackName="stock-added-user", TemplateBody=json.dumps(consumer))
    with pytest.raises(KeyError, match="stock-added:ExportsOutputRefName"):
        cloudformation.delete_stack(StackName="stock-added")


def test_the_harness_registers_the_exports_of_an_update(
    aws: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With serial_moto_server.py's change, the export an update adds is listed with its value,
    an importer of it is created, and an update dropping it removes it from the list."""
    from moto.cloudformation.models import CloudFormationBackend

    from tests.deploy.helpers.serial_moto_server import update_stack_and_its_exports

    monkeypatch.setattr(CloudFormationBackend, "update_stack", update_stack_and_its_exports)
    cloudformation = aws.client("cloudformation")
    producer, updated, consumer = export_added_by_update("harness-added")
    cloudformation.create_stack(StackName="harness-added", TemplateBody=json.dumps(producer))
    cloudformation.update_stack(StackName="harness-added", TemplateBody=json.dumps(updated))
    exports = {e["Name"]: e.get("Value") for e in cloudformation.list_exports()["Exports"]}
    assert exports["harness-added:ExportsOutputRefName"] == "/harness-added/name"
    assert "harness-added:ExportsOutputRefCluster" in exports
    cloudformation.create_stack(StackName="harness-added-user", TemplateBody=json.dumps(consumer))
    value = aws.client("ssm").get_parameter(Name="/harness-added/cluster")["Parameter"]["Value"]
    assert value == "/harness-added/name"
    cloudformation.delete_stack(StackName="harness-added-user")
    cloudformation.update_stack(StackName="harness-added", TemplateBody=json.dumps(producer))
    names = {e["Name"] for e in cloudformation.list_exports()["Exports"]}
    assert "harness-added:ExportsOutputRefName" not in names
    assert "harness-added:ExportsOutputRefCluster" in names
    cloudformation.delete_stack(StackName="harness-added")
    assert "harness-added" not in stack_names(aws)


def task_definition_template(image: str) -> dict[str, Any]:
    """A task definition of one container running `image`."""
    return {
        "Resources": {
            "Task": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Family": "guide",
                    "Memory": "512",
                    "ContainerDefinitions": [
                        {
                            "Name": "app",
                            "Image": image,
                            "User": "1000",
                            "Memory": 512,
                            "ReadonlyRootFilesystem": True,
                            "PortMappings": [{"ContainerPort": 8080}],
                        }
                    ],
                },
            }
        }
    }


def updated_task(aws: InProcess, stack: str, template: dict[str, Any]) -> dict[str, Any]:
    cloudformation = aws.client("cloudformation")
    cloudformation.update_stack(StackName=stack, TemplateBody=json.dumps(template))
    (arn,) = [
        r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
        if r["ResourceType"] == "AWS::ECS::TaskDefinition"
    ]
    task: dict[str, Any] = aws.client("ecs").describe_task_definition(taskDefinition=arn)[
        "taskDefinition"
    ]
    return task


def created_then_updated_task(aws: InProcess, stack_name: str) -> dict[str, Any]:
    """Create `stack_name` with a task definition of image app:v1, update it to app:v2, and
    return the task definition the update registered (a new revision, checked)."""
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(
        StackName=stack_name, TemplateBody=json.dumps(task_definition_template("app:v1"))
    )
    (created,) = [
        r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    ]
    task = updated_task(aws, stack_name, task_definition_template("app:v2"))
    assert task["taskDefinitionArn"] != created
    return task


def test_stock_moto_hides_the_containers_of_an_updated_task_definition(aws: InProcess) -> None:
    """Recorded gap: stock moto 5.2.5 registers a task definition's CloudFormation update as a new
    revision with the template's keys, so the API shows its container without name or image (why
    serial_moto_server.py converts them)."""
    task = created_then_updated_task(aws, "stock-task")
    (container,) = task["containerDefinitions"]
    assert "name" not in container
    assert "image" not in container


def test_the_harness_shows_the_image_an_update_rolled_out(
    aws: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With serial_moto_server.py's change, the updated revision has the new image, user,
    read-only root and port in the API's keys."""
    from moto.ecs.models import TaskDefinition

    from tests.deploy.helpers.serial_moto_server import update_task_definition_with_api_keys

    monkeypatch.setattr(
        TaskDefinition,
        "update_from_cloudformation_json",
        classmethod(update_task_definition_with_api_keys),
    )
    task = created_then_updated_task(aws, "harness-task")
    (container,) = task["containerDefinitions"]
    assert (container["name"], container["image"], container["user"]) == ("app", "app:v2", "1000")
    assert container["readonlyRootFilesystem"] is True
    assert [m["containerPort"] for m in container["portMappings"]] == [8080]


def test_stock_moto_fails_deleting_a_change_set_that_does_not_exist(aws: InProcess) -> None:
    """Recorded gap: DeleteChangeSet of a name no change set has raises in stock moto 5.2.5
    (UnboundLocalError, HTTP 500 on the server); CloudFormation succeeds, and the CDK CLI deletes
    its diff change set "if it exists" before creating one (why serial_moto_server.py ignores
    it)."""
    cloudformation = aws.client("cloudformation")
    template, _ = defaulted_parameter_stack("stock-change-set")
    cloudformation.create_stack(StackName="stock-change-set", TemplateBody=json.dumps(template))
    with pytest.raises(UnboundLocalError):
        cloudformation.delete_change_set(
            StackName="stock-change-set", ChangeSetName="cdk-diff-change-set"
        )


def test_the_harness_deletes_a_change_set_only_if_it_exists(
    aws: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With serial_moto_server.py's change, deleting an unknown change set succeeds and changes
    nothing; an existing one is deleted by name."""
    from moto.cloudformation.models import CloudFormationBackend

    from tests.deploy.helpers.serial_moto_server import delete_change_set_if_it_exists

    monkeypatch.setattr(CloudFormationBackend, "delete_change_set", delete_change_set_if_it_exists)
    cloudformation = aws.client("cloudformation")
    template, parameters = defaulted_parameter_stack("harness-change-set")
    cloudformation.create_stack(StackName="harness-change-set", TemplateBody=json.dumps(template))
    name = {"StackName": "harness-change-set", "ChangeSetName": "cdk-diff-change-set"}
    cloudformation.delete_change_set(**name)
    template["Resources"]["Parameter"]["Properties"]["Description"] = "changed"
    cloudformation.create_change_set(
        **name, TemplateBody=json.dumps(template), ChangeSetType="UPDATE", Parameters=parameters
    )
    assert cloudformation.describe_change_set(**name)["ChangeSetName"] == "cdk-diff-change-set"
    cloudformation.delete_change_set(**name)
    with pytest.raises(ClientError):
        cloudformation.describe_change_set(**name)


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
    assert names.EKS_UNIT in EMULATOR_UNDEPLOYABLE_UNITS
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


def repository_with_an_image(aws: InProcess, stack: str, *, empty_on_delete: bool = True) -> None:
    """Stack `stack` of one repository (named after it), with `EmptyOnDelete: true` as the
    sandbox's registry makes them unless `empty_on_delete` is false, and an image pushed to it."""
    properties: dict[str, Any] = {"RepositoryName": f"{stack}/app"}
    if empty_on_delete:
        properties["EmptyOnDelete"] = True
    template = {
        "Resources": {"Repository": {"Type": "AWS::ECR::Repository", "Properties": properties}}
    }
    aws.client("cloudformation").create_stack(StackName=stack, TemplateBody=json.dumps(template))
    media_type = "application/vnd.oci.image.manifest.v1+json"
    manifest = {"schemaVersion": 2, "mediaType": media_type, "config": {"digest": "sha256:0"}}
    aws.client("ecr").put_image(
        repositoryName=f"{stack}/app",
        imageManifest=json.dumps({**manifest, "layers": []}),
        imageManifestMediaType=media_type,
        imageTag="v1",
    )


def repository_names(aws: InProcess) -> set[str]:
    answer = aws.client("ecr").describe_repositories()["repositories"]
    return {repository["repositoryName"] for repository in answer}


def test_stock_moto_cannot_delete_a_repository_that_empties_on_delete(aws: InProcess) -> None:
    """Recorded gap: stock moto 5.2.5 ignores a repository's EmptyOnDelete, so DeleteStack fails
    with RepositoryNotEmptyException and the repository stays (why serial_moto_server.py deletes
    it with its images, as CloudFormation does)."""
    repository_with_an_image(aws, "stock-empty")
    with pytest.raises(ClientError, match="RepositoryNotEmptyException"):
        aws.client("cloudformation").delete_stack(StackName="stock-empty")
    assert "stock-empty/app" in repository_names(aws)
    aws.client("ecr").delete_repository(repositoryName="stock-empty/app", force=True)


def test_the_harness_deletes_a_repository_that_empties_on_delete_with_its_images(
    aws: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With serial_moto_server.py's change, DeleteStack deletes the repository and its images;
    one without EmptyOnDelete is still refused while it holds an image."""
    from moto.cloudformation.parsing import ResourceMap

    from tests.deploy.helpers.serial_moto_server import delete_resource_emptying_a_repository

    monkeypatch.setattr(ResourceMap, "_delete_resource", delete_resource_emptying_a_repository)
    repository_with_an_image(aws, "emptied")
    aws.client("cloudformation").delete_stack(StackName="emptied")
    assert "emptied/app" not in repository_names(aws)
    assert "emptied" not in stack_names(aws)
    repository_with_an_image(aws, "kept", empty_on_delete=False)
    with pytest.raises(ClientError, match="RepositoryNotEmptyException"):
        aws.client("cloudformation").delete_stack(StackName="kept")
    assert "kept/app" in repository_names(aws)
    aws.client("ecr").delete_repository(repositoryName="kept/app", force=True)


def _service_without_count(aws: InProcess, stack_name: str) -> dict[str, Any]:
    """Create `stack_name` with an ECS service that sets no DesiredCount, as the platform's do,
    and return how ECS describes it."""
    template = task_definition_template("app:v1")
    template["Resources"]["Cluster"] = {"Type": "AWS::ECS::Cluster"}
    template["Resources"]["Service"] = {
        "Type": "AWS::ECS::Service",
        "Properties": {"Cluster": {"Ref": "Cluster"}, "TaskDefinition": {"Ref": "Task"}},
    }
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))
    resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    (arn,) = [
        r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::ECS::Service"
    ]
    (service,) = aws.client("ecs").describe_services(cluster=arn.split("/")[1], services=[arn])[
        "services"
    ]
    return dict(service)


def test_stock_moto_creates_a_service_without_a_count_at_zero(aws: InProcess) -> None:
    """Recorded gap: stock moto 5.2.5 creates an AWS::ECS::Service without DesiredCount at 0
    tasks; CloudFormation creates it at 1 (why serial_moto_server.py defaults it)."""
    assert _service_without_count(aws, "stock-service")["desiredCount"] == 0


def test_the_harness_creates_a_service_without_a_count_at_one(
    aws: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.ecs.models import Service

    from tests.deploy.helpers.serial_moto_server import (
        create_service_at_cloudformations_default_count,
    )

    monkeypatch.setattr(
        Service,
        "create_from_cloudformation_json",
        classmethod(create_service_at_cloudformations_default_count),
    )
    assert _service_without_count(aws, "harness-service")["desiredCount"] == 1
