"""Security properties every synthesized template must have, as a table of rules by resource type.

A resource type merged later (ECS, EKS, ALB, ECR, S3) is covered by the rule for its type without a
new test. Each rule carries a bad and a good hand-made fragment, so no rule can pass vacuously.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from tests.gates.cfn import (
    EnvironmentFacts,
    Resource,
    all_resources,
    as_list,
    is_true,
    referenced_id,
)
from tests.gates.rules import Rule

WORLD = ("0.0.0.0/0", "::/0")

# Actions that AWS only authorizes on `Resource: *` (no resource-level permissions), with why a
# platform role needs them. A `Resource: *` statement with any action not listed here fails.
WILDCARD_RESOURCE_ACTIONS: dict[str, str] = {
    "ecr:GetAuthorizationToken": (
        "the registry login token is account-wide; ECR offers no resource-level permission"
    ),
    "logs:DescribeLogGroups": "CloudWatch Logs lists log groups only on Resource *",
    "cloudwatch:PutMetricData": "metrics have no ARN; scope is by the cloudwatch:namespace key",
    "ssmmessages:CreateControlChannel": "ECS Exec session channels have no ARN until created",
    "ssmmessages:CreateDataChannel": "ECS Exec session channels have no ARN until created",
    "ssmmessages:OpenControlChannel": "ECS Exec session channels have no ARN until created",
    "ssmmessages:OpenDataChannel": "ECS Exec session channels have no ARN until created",
    "xray:PutTraceSegments": "X-Ray accepts trace data only on Resource *",
    "xray:PutTelemetryRecords": "X-Ray accepts telemetry only on Resource *",
    "ec2:DescribeAvailabilityZones": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeInstances": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeSubnets": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeSecurityGroups": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeNetworkInterfaces": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeVpcs": "EC2 Describe* calls support no resource-level permission",
    "ec2:DescribeRouteTables": "EC2 Describe* calls support no resource-level permission",
    "ecs:DiscoverPollEndpoint": "the ECS agent endpoint lookup supports only Resource *",
    "ecs:Poll": (
        "aws-cdk-lib's container-instance policy: the agent polls before its instance ARN exists"
    ),
    "ecs:StartTelemetrySession": (
        "aws-cdk-lib's container-instance policy: Container Insights telemetry from the agent"
    ),
    "logs:CreateLogStream": (
        "aws-cdk-lib's container-instance policy: the ECS agent's own logs (task logs use the "
        "execution role, scoped to their log group)"
    ),
    "logs:PutLogEvents": (
        "aws-cdk-lib's container-instance policy: the ECS agent's own logs (task logs use the "
        "execution role, scoped to their log group)"
    ),
}

EKS_CONTROL_PLANE_LOG_TYPES = frozenset(
    {"api", "audit", "authenticator", "controllerManager", "scheduler"}
)
STRONG_TLS_POLICY_MARKERS = ("TLS13", "TLS-1-2")
ROOT_USERS = frozenset({"root", "0"})
# A root container is allowed only as a non-essential init container that keeps no capability
# beyond these file-ownership ones (WebService's volume-permissions container keeps CHOWN).
ROOT_INIT_CAPABILITIES = frozenset({"CHOWN", "FOWNER", "DAC_OVERRIDE"})
DOCKER_DEFAULT_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip


def _get(mapping: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


# ---- EC2 capacity: IMDSv2 and encrypted EBS -------------------------------------------------


def _block_device_problems(mappings: Any, owner: str) -> list[str]:
    ebs = [m for m in as_list(mappings) if isinstance(m, Mapping) and "Ebs" in m]
    if not ebs:
        return [
            f"{owner} declares no EBS block device mapping, so the root volume takes the AMI's "
            "(unencrypted) default; map the root device with Encrypted: true"
        ]
    return [
        f"{owner} maps {m.get('DeviceName', '?')} without Encrypted: true"
        for m in ebs
        if not is_true(_get(m, "Ebs", "Encrypted"))
    ]


def launch_template_imdsv2_and_ebs(resource: Resource, _: EnvironmentFacts) -> list[str]:
    data = resource.properties.get("LaunchTemplateData") or {}
    problems = []
    if _get(data, "MetadataOptions", "HttpTokens") != "required":
        problems.append("MetadataOptions.HttpTokens is not 'required' (IMDSv1 stays reachable)")
    problems += _block_device_problems(data.get("BlockDeviceMappings"), "the launch template")
    for interface in as_list(data.get("NetworkInterfaces")):
        if is_true(_get(interface, "AssociatePublicIpAddress")):
            problems.append("a network interface associates a public IP (compute is private)")
    return problems


def launch_configuration_imdsv2_and_ebs(resource: Resource, _: EnvironmentFacts) -> list[str]:
    props = resource.properties
    problems = []
    if _get(props, "MetadataOptions", "HttpTokens") != "required":
        problems.append("MetadataOptions.HttpTokens is not 'required' (IMDSv1 stays reachable)")
    problems += _block_device_problems(props.get("BlockDeviceMappings"), "the launch config")
    if is_true(props.get("AssociatePublicIpAddress")):
        problems.append("AssociatePublicIpAddress is true (compute is private)")
    return problems


def _launch_template_reference(spec: Any) -> str | None:
    """The launch template an ASG/instance (LaunchTemplateId/-Name) or node group (Id/Name)
    points at."""
    for key in ("LaunchTemplateId", "LaunchTemplateName", "Id", "Name"):
        if found := referenced_id(_get(spec, key)):
            return found
    return None


def capacity_uses_a_checked_launch_template(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Node groups, instances and auto scaling groups get IMDSv2 and encryption only through a
    launch template of the same stack (which the launch template rule checks)."""
    props = resource.properties
    if resource.type == "AWS::AutoScaling::AutoScalingGroup" and props.get(
        "LaunchConfigurationName"
    ):
        lc = resource.sibling(referenced_id(props["LaunchConfigurationName"]))
        return [] if lc else ["uses a launch configuration not defined in this stack"]
    spec = props.get("LaunchTemplate") or _get(
        props, "MixedInstancesPolicy", "LaunchTemplate", "LaunchTemplateSpecification"
    )
    if not spec:
        return [
            "has no launch template, so IMDSv2 and volume encryption fall to service defaults; "
            "give it a launch template with HttpTokens required and encrypted volumes"
        ]
    template = resource.sibling(_launch_template_reference(spec))
    if template is None or template.type != "AWS::EC2::LaunchTemplate":
        return ["references a launch template that is not defined in this stack (cannot verify)"]
    return []


def volume_encrypted(resource: Resource, _: EnvironmentFacts) -> list[str]:
    return [] if is_true(resource.properties.get("Encrypted")) else ["Encrypted is not true"]


# ---- Network exposure ------------------------------------------------------------------------


def private_subnet_no_public_ip(resource: Resource, _: EnvironmentFacts) -> list[str]:
    tags = {t.get("Key"): t.get("Value") for t in as_list(resource.properties.get("Tags"))}
    if tags.get("aws-cdk:subnet-type") == "Public":
        return []
    if is_true(resource.properties.get("MapPublicIpOnLaunch")):
        return ["a non-public subnet maps public IPs on launch"]
    return []


def ecs_service_no_public_ip(resource: Resource, _: EnvironmentFacts) -> list[str]:
    assign = _get(
        resource.properties, "NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp"
    )
    return (
        ["AssignPublicIp is ENABLED (tasks run in private subnets)"] if assign == "ENABLED" else []
    )


def _alb_listener_ports(group: Resource) -> set[int]:
    """Ports of the listeners of the application load balancers `group` is attached to."""
    ports: set[int] = set()
    for balancer in group.siblings("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        if balancer.properties.get("Type", "application") != "application":
            continue
        attached = {referenced_id(g) for g in as_list(balancer.properties.get("SecurityGroups"))}
        if group.logical_id not in attached:
            continue
        for listener in group.siblings("AWS::ElasticLoadBalancingV2::Listener"):
            if referenced_id(listener.properties.get("LoadBalancerArn")) == balancer.logical_id:
                ports.add(int(listener.properties.get("Port", -1)))
    return ports


def _world_rule_problem(rule: Mapping[str, Any], group: Resource | None) -> str | None:
    source = rule.get("CidrIp") or rule.get("CidrIpv6")
    if source not in WORLD:
        return None
    from_port, to_port = rule.get("FromPort"), rule.get("ToPort")
    protocol = str(rule.get("IpProtocol", ""))
    allowed = _alb_listener_ports(group) if group else set()
    if protocol == "tcp" and from_port == to_port and from_port in allowed:
        return None
    ports = "all ports" if protocol == "-1" else f"{protocol} {from_port}-{to_port}"
    where = f"ALB listener ports {sorted(allowed)}" if allowed else "no ALB listener"
    return f"ingress from {source} on {ports} ({where}; only an ALB's listener ports may be open)"


def security_group_not_open_to_world(resource: Resource, _: EnvironmentFacts) -> list[str]:
    if resource.type == "AWS::EC2::SecurityGroup":
        rules = as_list(resource.properties.get("SecurityGroupIngress"))
        group: Resource | None = resource
    else:
        rules = [resource.properties]
        group = resource.sibling(referenced_id(resource.properties.get("GroupId")))
    return [p for r in rules if (p := _world_rule_problem(r, group))]


# ---- Logs -------------------------------------------------------------------------------------


def log_group_retention_and_key(resource: Resource, facts: EnvironmentFacts) -> list[str]:
    problems = []
    if not resource.properties.get("RetentionInDays"):
        problems.append("no RetentionInDays (logs would be kept, and billed, forever)")
    if facts.kms_encrypted_logs and not resource.properties.get("KmsKeyId"):
        problems.append(f"no KmsKeyId, but {facts.name} encrypts log groups with KMS")
    return problems


# ---- Load balancers ---------------------------------------------------------------------------


def alb_drops_invalid_headers_and_logs(resource: Resource, _: EnvironmentFacts) -> list[str]:
    if resource.properties.get("Type", "application") != "application":
        return []
    attributes = {
        a.get("Key"): a.get("Value")
        for a in as_list(resource.properties.get("LoadBalancerAttributes"))
    }
    problems = []
    if not is_true(attributes.get("routing.http.drop_invalid_header_fields.enabled")):
        problems.append("routing.http.drop_invalid_header_fields.enabled is not true")
    if not is_true(attributes.get("access_logs.s3.enabled")):
        problems.append("access_logs.s3.enabled is not true")
    elif not attributes.get("access_logs.s3.bucket"):
        problems.append("access logs are enabled without access_logs.s3.bucket")
    return problems


def listener_uses_https_with_certificate(resource: Resource, _: EnvironmentFacts) -> list[str]:
    props = resource.properties
    if props.get("Certificates"):
        if props.get("Protocol") != "HTTPS":
            return [f"has a certificate but protocol {props.get('Protocol')}"]
        policy = str(props.get("SslPolicy", ""))
        if not any(marker in policy for marker in STRONG_TLS_POLICY_MARKERS):
            return [f"SslPolicy {policy or '(default)'} allows TLS below 1.2"]
        return []
    if props.get("Protocol") != "HTTP":
        return []
    balancer = referenced_id(props.get("LoadBalancerArn"))
    https_siblings = [
        listener
        for listener in resource.siblings("AWS::ElasticLoadBalancingV2::Listener")
        if listener.properties.get("Certificates")
        and referenced_id(listener.properties.get("LoadBalancerArn")) == balancer
    ]
    redirects = all(
        action.get("Type") == "redirect" and _get(action, "RedirectConfig", "Protocol") == "HTTPS"
        for action in as_list(props.get("DefaultActions"))
    )
    if https_siblings and not redirects:
        return ["serves plain HTTP although the load balancer has a certificate; redirect to HTTPS"]
    return []


# ---- ECS --------------------------------------------------------------------------------------


def ecs_containers_hardened(resource: Resource, _: EnvironmentFacts) -> list[str]:
    problems = []
    for container in as_list(resource.properties.get("ContainerDefinitions")):
        name = container.get("Name", "?")
        if is_true(container.get("Privileged")):
            problems.append(f"container {name} is privileged")
        if not is_true(container.get("ReadonlyRootFilesystem")):
            problems.append(f"container {name} has a writable root filesystem")
        user = str(container.get("User", "")).split(":", 1)[0]
        if (not user or user in ROOT_USERS) and not _restricted_root_init(container):
            problems.append(
                f"container {name} runs as root (set User to a non-root uid; only a "
                "non-essential init container keeping at most "
                f"{', '.join(sorted(ROOT_INIT_CAPABILITIES))} may be root)"
            )
        if not _get(container, "LogConfiguration", "LogDriver"):
            problems.append(f"container {name} has no LogConfiguration")
    return problems


def _restricted_root_init(container: Mapping[str, Any]) -> bool:
    """A non-essential container whose capabilities are within ROOT_INIT_CAPABILITIES."""
    if container.get("Essential") is not False:
        return False
    capabilities = _get(container, "LinuxParameters", "Capabilities") or {}
    dropped = set(as_list(capabilities.get("Drop")))
    added = set(as_list(capabilities.get("Add")))
    kept = added if "ALL" in dropped else (DOCKER_DEFAULT_CAPABILITIES - dropped) | added
    return kept <= ROOT_INIT_CAPABILITIES


# ---- EKS --------------------------------------------------------------------------------------


def eks_cluster_hardened(resource: Resource, _: EnvironmentFacts) -> list[str]:
    props = resource.properties
    problems = []
    enabled = {
        t.get("Type") for t in as_list(_get(props, "Logging", "ClusterLogging", "EnabledTypes"))
    }
    missing = sorted(EKS_CONTROL_PLANE_LOG_TYPES - enabled)
    if missing:
        problems.append(f"control-plane log types not enabled: {', '.join(missing)}")
    encrypted = [
        c
        for c in as_list(props.get("EncryptionConfig"))
        if "secrets" in as_list(c.get("Resources")) and _get(c, "Provider", "KeyArn")
    ]
    if not encrypted:
        problems.append("secrets are not envelope-encrypted with a KMS key (EncryptionConfig)")
    vpc = props.get("ResourcesVpcConfig") or {}
    public = vpc.get("EndpointPublicAccess", True)  # the EKS default is a public endpoint
    if is_true(public):
        cidrs = as_list(vpc.get("PublicAccessCidrs"))
        if not cidrs or any(c in WORLD for c in cidrs):
            problems.append("the API endpoint is public to the whole internet")
    return problems


# ---- ECR, S3, KMS -----------------------------------------------------------------------------


def _registry_scans(repository: Resource, facts: EnvironmentFacts) -> bool:
    """Whether a registry-level (enhanced) scanning rule's WILDCARD filter matches the repository's
    name (`*` matches any characters; the platform's construct lists its repositories by name)."""
    name = repository.properties.get("RepositoryName")
    for config in all_resources(facts, ("AWS::ECR::RegistryScanningConfiguration",)):
        for rule in as_list(config.properties.get("Rules")):
            for repository_filter in as_list(rule.get("RepositoryFilters")):
                pattern = repository_filter.get("Filter")
                if pattern == "*" or (
                    isinstance(name, str)
                    and isinstance(pattern, str)
                    and fnmatch.fnmatchcase(name, pattern)
                ):
                    return True
    return False


def ecr_scans_and_is_immutable(resource: Resource, facts: EnvironmentFacts) -> list[str]:
    props = resource.properties
    problems = []
    scan = is_true(_get(props, "ImageScanningConfiguration", "ScanOnPush"))
    if not scan and not _registry_scans(resource, facts):
        problems.append("images are not scanned on push")
    if props.get("ImageTagMutability") != "IMMUTABLE":
        problems.append(f"ImageTagMutability is {props.get('ImageTagMutability', 'MUTABLE')}")
    return problems


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    secure = _get(statement, "Condition", "Bool", "aws:SecureTransport")
    return statement.get("Effect") == "Deny" and str(secure).lower() == "false"


def s3_bucket_private_encrypted_ssl(resource: Resource, _: EnvironmentFacts) -> list[str]:
    props = resource.properties
    problems = []
    block = props.get("PublicAccessBlockConfiguration") or {}
    flags = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    open_flags = [flag for flag in flags if not is_true(block.get(flag))]
    if open_flags:
        problems.append(f"public access not blocked: {', '.join(open_flags)}")
    if not _get(props, "BucketEncryption", "ServerSideEncryptionConfiguration"):
        problems.append("no BucketEncryption")
    policies = [
        policy
        for policy in resource.siblings("AWS::S3::BucketPolicy")
        if referenced_id(policy.properties.get("Bucket")) == resource.logical_id
    ]
    statements = [
        statement
        for policy in policies
        for statement in as_list(_get(policy.properties, "PolicyDocument", "Statement"))
    ]
    if not any(_denies_insecure_transport(s) for s in statements):
        problems.append("no bucket policy denies requests without SSL (aws:SecureTransport)")
    return problems


def kms_key_rotates(resource: Resource, _: EnvironmentFacts) -> list[str]:
    props = resource.properties
    if props.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return []  # AWS rotates only symmetric encryption keys
    return [] if is_true(props.get("EnableKeyRotation")) else ["EnableKeyRotation is not true"]


# ---- IAM --------------------------------------------------------------------------------------


def _policy_documents(resource: Resource) -> list[Any]:
    props = resource.properties
    if resource.type == "AWS::IAM::Role":
        return [p.get("PolicyDocument") for p in as_list(props.get("Policies"))]
    return [props.get("PolicyDocument")]


def iam_wildcard_resources_are_required(resource: Resource, _: EnvironmentFacts) -> list[str]:
    problems = []
    for document in _policy_documents(resource):
        for statement in as_list(_get(document, "Statement")):
            if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource")):
                continue
            unlisted = [
                a for a in as_list(statement.get("Action")) if a not in WILDCARD_RESOURCE_ACTIONS
            ]
            if unlisted:
                problems.append(
                    f"Resource '*' for {', '.join(map(str, unlisted))}: scope it to ARNs, or add "
                    "the action to WILDCARD_RESOURCE_ACTIONS with why the service requires '*'"
                )
    return problems


# ---- The table --------------------------------------------------------------------------------

_ENCRYPTED_ROOT = [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "VolumeSize": 30}}]
_GOOD_LAUNCH_TEMPLATE = {
    "Type": "AWS::EC2::LaunchTemplate",
    "Properties": {
        "LaunchTemplateData": {
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
            "BlockDeviceMappings": _ENCRYPTED_ROOT,
        }
    },
}
_ALB_GROUP = {
    "Type": "AWS::EC2::SecurityGroup",
    "Properties": {
        "GroupDescription": "alb",
        "SecurityGroupIngress": [
            {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
        ],
    },
}
_ALB = {
    "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "Properties": {
        "Type": "application",
        "SecurityGroups": [{"Fn::GetAtt": ["AlbGroup", "GroupId"]}],
        "LoadBalancerAttributes": [
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": {"Ref": "Logs"}},
        ],
    },
}
_HTTPS_LISTENER = {
    "Type": "AWS::ElasticLoadBalancingV2::Listener",
    "Properties": {
        "LoadBalancerArn": {"Ref": "Alb"},
        "Port": 443,
        "Protocol": "HTTPS",
        "Certificates": [{"CertificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/x"}],
        "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}],
    },
}
_HARDENED_CONTAINER = {
    "Name": "app",
    "Image": "app:1",
    "ReadonlyRootFilesystem": True,
    "User": "1000:1000",
    "LogConfiguration": {"LogDriver": "awslogs"},
}
_GOOD_CLUSTER: dict[str, Any] = {
    "Type": "AWS::EKS::Cluster",
    "Properties": {
        "Logging": {
            "ClusterLogging": {
                "EnabledTypes": [{"Type": t} for t in sorted(EKS_CONTROL_PLANE_LOG_TYPES)]
            }
        },
        "EncryptionConfig": [
            {"Resources": ["secrets"], "Provider": {"KeyArn": {"Fn::GetAtt": ["Key", "Arn"]}}}
        ],
        "ResourcesVpcConfig": {"EndpointPublicAccess": False, "EndpointPrivateAccess": True},
    },
}
_BLOCK_ALL = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}
_SSE = {
    "ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
}
_SSL_POLICY = {
    "Type": "AWS::S3::BucketPolicy",
    "Properties": {
        "Bucket": {"Ref": "Bucket"},
        "PolicyDocument": {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    "Resource": "*",
                }
            ]
        },
    },
}


def _policy(statement: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Policy",
        "Properties": {"PolicyDocument": {"Statement": [statement]}},
    }


SECURITY_RULES: tuple[Rule, ...] = (
    Rule(
        id="launch-template-imdsv2-encrypted-private",
        requirement="launch templates require IMDSv2, encrypt every EBS volume, no public IP",
        resource_types=("AWS::EC2::LaunchTemplate",),
        check=launch_template_imdsv2_and_ebs,
        bad={
            "Lt": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {
                    "LaunchTemplateData": {
                        "MetadataOptions": {"HttpTokens": "optional"},
                        "BlockDeviceMappings": _ENCRYPTED_ROOT,
                    }
                },
            }
        },
        good={"Lt": _GOOD_LAUNCH_TEMPLATE},
    ),
    Rule(
        id="launch-configuration-imdsv2-encrypted-private",
        requirement="launch configurations require IMDSv2, encrypt EBS volumes, no public IP",
        resource_types=("AWS::AutoScaling::LaunchConfiguration",),
        check=launch_configuration_imdsv2_and_ebs,
        bad={
            "Lc": {
                "Type": "AWS::AutoScaling::LaunchConfiguration",
                "Properties": {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {}}]},
            }
        },
        good={
            "Lc": {
                "Type": "AWS::AutoScaling::LaunchConfiguration",
                "Properties": {
                    "MetadataOptions": {"HttpTokens": "required"},
                    "BlockDeviceMappings": _ENCRYPTED_ROOT,
                },
            }
        },
    ),
    Rule(
        id="capacity-through-checked-launch-template",
        requirement="node groups, instances and ASGs launch from a launch template of the stack",
        resource_types=(
            "AWS::EKS::Nodegroup",
            "AWS::EC2::Instance",
            "AWS::AutoScaling::AutoScalingGroup",
        ),
        check=capacity_uses_a_checked_launch_template,
        bad={"Ng": {"Type": "AWS::EKS::Nodegroup", "Properties": {"NodeRole": "r"}}},
        good={
            "Lt": _GOOD_LAUNCH_TEMPLATE,
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
    Rule(
        id="ebs-volume-encrypted",
        requirement="every standalone EBS volume is encrypted",
        resource_types=("AWS::EC2::Volume",),
        check=volume_encrypted,
        bad={"V": {"Type": "AWS::EC2::Volume", "Properties": {"Size": 10}}},
        good={"V": {"Type": "AWS::EC2::Volume", "Properties": {"Size": 10, "Encrypted": True}}},
    ),
    Rule(
        id="private-subnet-no-public-ip",
        requirement="only subnets of the public tier map public IPs on launch",
        resource_types=("AWS::EC2::Subnet",),
        check=private_subnet_no_public_ip,
        bad={
            "S": {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "MapPublicIpOnLaunch": True,
                    "Tags": [{"Key": "aws-cdk:subnet-type", "Value": "Private"}],
                },
            }
        },
        good={
            "S": {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "MapPublicIpOnLaunch": True,
                    "Tags": [{"Key": "aws-cdk:subnet-type", "Value": "Public"}],
                },
            }
        },
    ),
    Rule(
        id="ecs-service-no-public-ip",
        requirement="ECS services never assign public IPs to tasks",
        resource_types=("AWS::ECS::Service",),
        check=ecs_service_no_public_ip,
        bad={
            "Svc": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "ENABLED"}}
                },
            }
        },
        good={
            "Svc": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED"}}
                },
            }
        },
    ),
    Rule(
        id="security-group-not-open-to-world",
        requirement="no ingress from 0.0.0.0/0 or ::/0 except an ALB's own listener ports",
        resource_types=("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"),
        check=security_group_not_open_to_world,
        bad={
            "Ssh": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Fn::GetAtt": ["AlbGroup", "GroupId"]},
                    "CidrIp": "0.0.0.0/0",
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                },
            },
            "AlbGroup": _ALB_GROUP,
            "Alb": _ALB,
            "Https": _HTTPS_LISTENER,
        },
        good={"AlbGroup": _ALB_GROUP, "Alb": _ALB, "Https": _HTTPS_LISTENER},
    ),
    Rule(
        id="log-group-retention-and-kms",
        requirement="every log group has a retention, and a KMS key where the env asks for one",
        resource_types=("AWS::Logs::LogGroup",),
        check=log_group_retention_and_key,
        bad={"Lg": {"Type": "AWS::Logs::LogGroup", "Properties": {}}},
        good={
            "Lg": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"RetentionInDays": 7, "KmsKeyId": {"Fn::GetAtt": ["K", "Arn"]}},
            }
        },
        example_facts={"kms_encrypted_logs": True},
    ),
    Rule(
        id="alb-drops-invalid-headers-and-logs",
        requirement="every ALB drops invalid header fields and writes access logs to S3",
        resource_types=("AWS::ElasticLoadBalancingV2::LoadBalancer",),
        check=alb_drops_invalid_headers_and_logs,
        bad={
            "Alb": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {"Scheme": "internet-facing"},
            }
        },
        good={"Alb": _ALB},
    ),
    Rule(
        id="listener-https-with-certificate",
        requirement="a listener with a certificate is HTTPS on TLS 1.2+; HTTP beside it redirects",
        resource_types=("AWS::ElasticLoadBalancingV2::Listener",),
        check=listener_uses_https_with_certificate,
        bad={
            "Https": _HTTPS_LISTENER,
            "Http": {
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {
                    "LoadBalancerArn": {"Ref": "Alb"},
                    "Port": 80,
                    "Protocol": "HTTP",
                    "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}],
                },
            },
        },
        good={
            "Https": _HTTPS_LISTENER,
            "Http": {
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {
                    "LoadBalancerArn": {"Ref": "Alb"},
                    "Port": 80,
                    "Protocol": "HTTP",
                    "DefaultActions": [
                        {
                            "Type": "redirect",
                            "RedirectConfig": {"Protocol": "HTTPS", "StatusCode": "HTTP_301"},
                        }
                    ],
                },
            },
        },
    ),
    Rule(
        id="ecs-container-hardened",
        requirement="every ECS container: unprivileged, read-only root, non-root user, logging",
        resource_types=("AWS::ECS::TaskDefinition",),
        check=ecs_containers_hardened,
        bad={
            "Td": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "ContainerDefinitions": [{**_HARDENED_CONTAINER, "Privileged": True}]
                },
            }
        },
        good={
            "Td": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {"ContainerDefinitions": [_HARDENED_CONTAINER]},
            }
        },
    ),
    Rule(
        id="eks-cluster-hardened",
        requirement="EKS: all five control-plane log types, KMS secrets encryption, no open API",
        resource_types=("AWS::EKS::Cluster",),
        check=eks_cluster_hardened,
        bad={
            "C": {
                **_GOOD_CLUSTER,
                "Properties": {
                    **_GOOD_CLUSTER["Properties"],
                    "ResourcesVpcConfig": {"EndpointPublicAccess": True},
                },
            }
        },
        good={"C": _GOOD_CLUSTER},
    ),
    Rule(
        id="ecr-scan-on-push-immutable",
        requirement="ECR repositories scan on push and have immutable tags",
        resource_types=("AWS::ECR::Repository",),
        check=ecr_scans_and_is_immutable,
        bad={
            "R": {
                "Type": "AWS::ECR::Repository",
                "Properties": {
                    "ImageScanningConfiguration": {"ScanOnPush": True},
                    "ImageTagMutability": "MUTABLE",
                },
            }
        },
        good={
            "R": {
                "Type": "AWS::ECR::Repository",
                "Properties": {
                    "ImageScanningConfiguration": {"ScanOnPush": True},
                    "ImageTagMutability": "IMMUTABLE",
                },
            }
        },
    ),
    Rule(
        id="s3-bucket-private-encrypted-ssl",
        requirement="every bucket blocks public access, is encrypted and denies non-SSL requests",
        resource_types=("AWS::S3::Bucket",),
        check=s3_bucket_private_encrypted_ssl,
        bad={
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"PublicAccessBlockConfiguration": _BLOCK_ALL},
            },
            "Policy": _SSL_POLICY,
        },
        good={
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "PublicAccessBlockConfiguration": _BLOCK_ALL,
                    "BucketEncryption": _SSE,
                },
            },
            "Policy": _SSL_POLICY,
        },
    ),
    Rule(
        id="kms-key-rotates",
        requirement="every customer-managed symmetric KMS key rotates",
        resource_types=("AWS::KMS::Key",),
        check=kms_key_rotates,
        bad={"K": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {}}}},
        good={"K": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}}},
    ),
    Rule(
        id="iam-wildcard-resource-only-where-required",
        requirement="an Allow on Resource '*' only for actions listed in WILDCARD_RESOURCE_ACTIONS",
        resource_types=("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"),
        check=iam_wildcard_resources_are_required,
        bad={"P": _policy({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"})},
        good={
            "P": _policy(
                {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"}
            )
        },
    ),
)
