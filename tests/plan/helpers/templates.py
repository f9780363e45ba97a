"""Small hand-made templates and states for the plan's tests: a few resources each, with the
properties the rules read, in the shape aws-cdk-lib writes them."""

from __future__ import annotations

from typing import Any

from tools.plan.model import StackTemplate

Resource = dict[str, Any]


def stack(
    name: str,
    resources: dict[str, Resource],
    *,
    outputs: dict[str, Any] | None = None,
    depends_on: tuple[str, ...] = (),
) -> StackTemplate:
    template: dict[str, Any] = {"Resources": resources}
    if outputs:
        template["Outputs"] = outputs
    return StackTemplate(name, template, depends_on)


def state(*stacks: StackTemplate) -> dict[str, StackTemplate]:
    return {s.name: s for s in stacks}


def export(name: str, value: Any) -> dict[str, Any]:
    return {"Value": value, "Export": {"Name": name}}


def imported(name: str) -> dict[str, str]:
    return {"Fn::ImportValue": name}


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def topic(name: str | None = None) -> Resource:
    properties = {"TopicName": name} if name else {}
    return {"Type": "AWS::SNS::Topic", "Properties": properties}


def queue_reading(value: Any) -> Resource:
    """A resource that uses `value` (e.g. an import) in a property."""
    return {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "t", "Value": value}]}}


def repository(name: str | None = None, *, kms: bool = False, retain: bool = False) -> Resource:
    properties: dict[str, Any] = {}
    if name:
        properties["RepositoryName"] = name
    if kms:
        properties["EncryptionConfiguration"] = {"EncryptionType": "KMS"}
    policy = "Retain" if retain else "Delete"
    return {
        "Type": "AWS::ECR::Repository",
        "Properties": properties,
        "DeletionPolicy": policy,
        "UpdateReplacePolicy": policy,
    }


def retained_queue() -> Resource:
    """A worker's queue as production writes it (DeletionPolicy and UpdateReplacePolicy Retain)."""
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {"SqsManagedSseEnabled": True},
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    }


def log_group(name: str | None = None, *, retain: bool = False) -> Resource:
    policy = "Retain" if retain else "Delete"
    return {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": name} if name else {"RetentionInDays": 7},
        "DeletionPolicy": policy,
        "UpdateReplacePolicy": policy,
    }


def load_balancer() -> Resource:
    return {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": []}}


def listener(balancer: str = "Alb", port: int = 80) -> Resource:
    return {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": ref(balancer),
            "Port": port,
            "Protocol": "HTTP",
            "DefaultActions": [{"Type": "fixed-response"}],
        },
    }


def https_listener(certificate_arn: str, balancer: str = "Alb") -> Resource:
    """A listener on 443 with `certificate_arn` as its default certificate."""
    resource = listener(balancer, 443)
    resource["Properties"].update(
        Protocol="HTTPS", Certificates=[{"CertificateArn": certificate_arn}]
    )
    return resource


def listener_certificate(listener_arn: Any, certificate_arn: str) -> Resource:
    """One more certificate on a listener (SNI), one per resource as aws-cdk-lib writes it."""
    return {
        "Type": "AWS::ElasticLoadBalancingV2::ListenerCertificate",
        "Properties": {
            "ListenerArn": listener_arn,
            "Certificates": [{"CertificateArn": certificate_arn}],
        },
    }


def listener_rule(listener_arn: Any, priority: int, path: str = "/*") -> Resource:
    return {
        "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
        "Properties": {
            "ListenerArn": listener_arn,
            "Priority": priority,
            "Actions": [{"Type": "fixed-response"}],
            "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": [path]}}],
        },
    }


def eks_cluster(version: str, support_type: str | None = None) -> Resource:
    """Cluster `cp-test` on `version`, with UpgradePolicy `support_type` (None: not set)."""
    properties: dict[str, Any] = {"Name": "cp-test", "Version": version, "RoleArn": "arn:role"}
    if support_type is not None:
        properties["UpgradePolicy"] = {"SupportType": support_type}
    return {"Type": "AWS::EKS::Cluster", "Properties": properties}


def node_group(version: str | None = None) -> Resource:
    properties: dict[str, Any] = {"ClusterName": ref("Cluster"), "NodeRole": "arn:node"}
    if version is not None:
        properties["Version"] = version
    return {"Type": "AWS::EKS::Nodegroup", "Properties": properties}


def addon(name: str, version: str | None = None) -> Resource:
    properties: dict[str, Any] = {"AddonName": name, "ClusterName": ref("Cluster")}
    if version is not None:
        properties["AddonVersion"] = version
    return {"Type": "AWS::EKS::Addon", "Properties": properties}


def argocd_capability(namespace: str = "argocd", name: str = "argocd") -> Resource:
    """An Argo CD capability of cluster `Cluster`, as the platform writes it."""
    return {
        "Type": "AWS::EKS::Capability",
        "Properties": {
            "CapabilityName": name,
            "ClusterName": ref("Cluster"),
            "Type": "ARGOCD",
            "RoleArn": "arn:role",
            "DeletePropagationPolicy": "RETAIN",
            "Configuration": {
                "ArgoCd": {
                    "AwsIdc": {"IdcInstanceArn": "arn:aws:sso:::instance/ssoins-1"},
                    "Namespace": namespace,
                }
            },
        },
    }


def task_definition(image: Any) -> Resource:
    """A task definition with one container running `image`, as aws-cdk-lib writes an ECR
    image (an Fn::Join of the registry's host and the repository's name)."""
    return {
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {"ContainerDefinitions": [{"Name": "app", "Image": image}]},
    }


def ecr_image(repository_name: str, tag: str = "v1") -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                {"Ref": "AWS::AccountId"},
                ".dkr.ecr.",
                {"Ref": "AWS::Region"},
                ".",
                {"Ref": "AWS::URLSuffix"},
                f"/{repository_name}:{tag}",
            ],
        ]
    }


def pull_through_rule(prefix: str) -> Resource:
    return {
        "Type": "AWS::ECR::PullThroughCacheRule",
        "Properties": {"EcrRepositoryPrefix": prefix, "UpstreamRegistryUrl": "public.ecr.aws"},
    }


def vpc(cidr: str) -> Resource:
    return {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}}


def subnet(zone: str, cidr: str, vpc_id: str = "Vpc") -> Resource:
    return {
        "Type": "AWS::EC2::Subnet",
        "Properties": {"AvailabilityZone": zone, "CidrBlock": cidr, "VpcId": {"Ref": vpc_id}},
    }


def internet_gateway() -> Resource:
    return {"Type": "AWS::EC2::InternetGateway"}


def gateway_attachment(vpc_id: str = "Vpc", gateway: str = "Igw") -> Resource:
    return {
        "Type": "AWS::EC2::VPCGatewayAttachment",
        "Properties": {"VpcId": {"Ref": vpc_id}, "InternetGatewayId": {"Ref": gateway}},
    }


def elastic_ip() -> Resource:
    return {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}}


def nat_gateway(subnet_id: str, address: str = "Eip") -> Resource:
    return {
        "Type": "AWS::EC2::NatGateway",
        "Properties": {
            "SubnetId": {"Ref": subnet_id},
            "AllocationId": {"Fn::GetAtt": [address, "AllocationId"]},
        },
    }


def released_service(strategy: str, rule: str = "Rule") -> Resource:
    """An ECS service released by `strategy` (ROLLING, CANARY, ...) whose production listener
    rule is `rule`."""
    return {
        "Type": "AWS::ECS::Service",
        "Properties": {
            "DeploymentConfiguration": {"Strategy": strategy},
            "LoadBalancers": [
                {
                    "ContainerName": "app",
                    "AdvancedConfiguration": {"ProductionListenerRule": ref(rule)},
                }
            ],
        },
    }
