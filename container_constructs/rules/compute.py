"""EC2 capacity: instance metadata only with IMDSv2 tokens, encrypted EBS volumes, and capacity
that gets both from a launch template of its own stack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rule import EnvironmentFacts, Rule
from .template import Resource, get, is_true, mappings, referenced_id

LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
LAUNCH_CONFIGURATION = "AWS::AutoScaling::LaunchConfiguration"


def _launch_settings(resource: Resource) -> Mapping[str, Any]:
    """Where IMDS, block devices and interfaces are set: a launch template's LaunchTemplateData,
    a launch configuration's own properties."""
    if resource.type == LAUNCH_TEMPLATE:
        data = resource.properties.get("LaunchTemplateData")
        return data if isinstance(data, Mapping) else {}
    return resource.properties


def imdsv2_required(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """HttpTokens required, so instance metadata answers only to a session token."""
    if get(_launch_settings(resource), "MetadataOptions", "HttpTokens") == "required":
        return []
    return ["MetadataOptions.HttpTokens is not 'required' (IMDSv1 stays reachable)"]


def ebs_encrypted(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """A volume's Encrypted, or each EBS mapping of a launch template or configuration (one
    must exist: an unmapped root volume takes the AMI's unencrypted default)."""
    if resource.type == "AWS::EC2::Volume":
        return [] if is_true(resource.properties.get("Encrypted")) else ["Encrypted is not true"]
    owner = "the launch template" if resource.type == LAUNCH_TEMPLATE else "the launch config"
    ebs = [m for m in mappings(_launch_settings(resource).get("BlockDeviceMappings")) if "Ebs" in m]
    if not ebs:
        return [
            f"{owner} declares no EBS block device mapping, so the root volume takes the AMI's "
            "(unencrypted) default; map the root device with Encrypted: true"
        ]
    return [
        f"{owner} maps {m.get('DeviceName', '?')} without Encrypted: true"
        for m in ebs
        if not is_true(get(m, "Ebs", "Encrypted"))
    ]


def _launch_template_reference(spec: Any) -> str | None:
    """The launch template an ASG/instance (LaunchTemplateId/-Name) or node group (Id/Name)
    points at."""
    for key in ("LaunchTemplateId", "LaunchTemplateName", "Id", "Name"):
        if found := referenced_id(get(spec, key)):
            return found
    return None


def capacity_uses_a_checked_launch_template(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Node groups, instances and auto scaling groups get IMDSv2 and encryption only through a
    launch template of the same stack (which the rules above check)."""
    props = resource.properties
    if resource.type == "AWS::AutoScaling::AutoScalingGroup" and props.get(
        "LaunchConfigurationName"
    ):
        lc = resource.sibling(referenced_id(props["LaunchConfigurationName"]))
        return [] if lc else ["uses a launch configuration not defined in this stack"]
    spec = props.get("LaunchTemplate") or get(
        props, "MixedInstancesPolicy", "LaunchTemplate", "LaunchTemplateSpecification"
    )
    if not spec:
        return [
            "has no launch template, so IMDSv2 and volume encryption fall to service defaults; "
            "give it a launch template with HttpTokens required and encrypted volumes"
        ]
    template = resource.sibling(_launch_template_reference(spec))
    if template is None or template.type != LAUNCH_TEMPLATE:
        return ["references a launch template that is not defined in this stack (cannot verify)"]
    return []


ENCRYPTED_ROOT = [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "VolumeSize": 30}}]
GOOD_LAUNCH_TEMPLATE = {
    "Type": LAUNCH_TEMPLATE,
    "Properties": {
        "LaunchTemplateData": {
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
            "BlockDeviceMappings": ENCRYPTED_ROOT,
        }
    },
}
GOOD_LAUNCH_CONFIGURATION = {
    "Type": LAUNCH_CONFIGURATION,
    "Properties": {
        "MetadataOptions": {"HttpTokens": "required"},
        "BlockDeviceMappings": ENCRYPTED_ROOT,
    },
}

RULES: tuple[Rule, ...] = (
    Rule(
        id="ec2-imdsv2-required",
        requirement="launch templates and configurations require IMDSv2 session tokens",
        resource_types=(LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION),
        check=imdsv2_required,
        bad={
            "Lt": {
                "Type": LAUNCH_TEMPLATE,
                "Properties": {
                    "LaunchTemplateData": {
                        "MetadataOptions": {"HttpTokens": "optional"},
                        "BlockDeviceMappings": ENCRYPTED_ROOT,
                    }
                },
            },
            "Lc": {
                "Type": LAUNCH_CONFIGURATION,
                "Properties": {"BlockDeviceMappings": ENCRYPTED_ROOT},
            },
        },
        good={"Lt": GOOD_LAUNCH_TEMPLATE, "Lc": GOOD_LAUNCH_CONFIGURATION},
    ),
    Rule(
        id="ebs-encrypted",
        requirement="every EBS volume is encrypted (launch templates, configurations, volumes)",
        resource_types=(LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION, "AWS::EC2::Volume"),
        check=ebs_encrypted,
        bad={
            "Lt": {
                "Type": LAUNCH_TEMPLATE,
                "Properties": {
                    "LaunchTemplateData": {"MetadataOptions": {"HttpTokens": "required"}}
                },
            },
            "Lc": {
                "Type": LAUNCH_CONFIGURATION,
                "Properties": {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {}}]},
            },
            "V": {"Type": "AWS::EC2::Volume", "Properties": {"Size": 10}},
        },
        good={
            "Lt": GOOD_LAUNCH_TEMPLATE,
            "Lc": GOOD_LAUNCH_CONFIGURATION,
            "V": {"Type": "AWS::EC2::Volume", "Properties": {"Size": 10, "Encrypted": True}},
        },
    ),
    Rule(
        id="capacity-through-launch-template",
        requirement="node groups, instances and ASGs launch from a launch template of the stack",
        resource_types=(
            "AWS::EKS::Nodegroup",
            "AWS::EC2::Instance",
            "AWS::AutoScaling::AutoScalingGroup",
        ),
        check=capacity_uses_a_checked_launch_template,
        bad={"Ng": {"Type": "AWS::EKS::Nodegroup", "Properties": {"NodeRole": "r"}}},
        good={
            "Lt": GOOD_LAUNCH_TEMPLATE,
            "Ng": {
                "Type": "AWS::EKS::Nodegroup",
                "Properties": {"LaunchTemplate": {"Id": {"Ref": "Lt"}}},
            },
            "Asg": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {"LaunchTemplate": {"LaunchTemplateId": {"Ref": "Lt"}}},
            },
        },
    ),
)
