"""The registry on day two: names that two environments in one account can share it with, a KMS
switch that replaces repositories without a name clash, references that survive a rename, and
the pull-through cache that serves the services' public images (over the VPC endpoints)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from platform_config import load_config
from stacks import names
from tests.helpers.assembly import Assembly

# Per resource type, the properties whose value must be unique in an account and region (each
# one is the type's primary identifier or a name ECR/CloudWatch/EKS refuses twice). Properties
# named like names that are not unique there: IAM inline policy names (per role), scaling policy
# names (per scalable target), add-on names (per cluster), VPC endpoint service names, task
# definition container and volume names (per task definition), an alarm's metric name and a
# topic's display name (labels).
UNIQUE_NAMES = {
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::ECR::PullThroughCacheRule": "EcrRepositoryPrefix",
    "AWS::ECR::RepositoryCreationTemplate": "Prefix",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::EKS::Cluster": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::SNS::Topic": "TopicName",
}
NOT_ACCOUNT_UNIQUE = {"PolicyName", "AddonName", "ServiceName", "MetricName", "DisplayName"}


def _named(assembly: Assembly) -> dict[tuple[str, str], str]:
    """(type, literal name) -> where, for every literal name property of every stack."""
    found: dict[tuple[str, str], str] = {}
    for stack in assembly.stack_templates:
        for logical_id, resource in assembly.template_json(stack)["Resources"].items():
            for key, value in resource.get("Properties", {}).items():
                if not isinstance(value, str) or key in NOT_ACCOUNT_UNIQUE:
                    continue
                if key == UNIQUE_NAMES.get(resource["Type"]) or key.endswith(("Name", "Prefix")):
                    found[(resource["Type"], value)] = f"{stack}/{logical_id}.{key}"
    return found


def test_every_literal_name_is_a_known_kind(assembly: Assembly) -> None:
    """A new literal name property must be judged (unique in an account or not) before it ships:
    it lands in UNIQUE_NAMES or NOT_ACCOUNT_UNIQUE."""
    for (resource_type, _), where in _named(assembly).items():
        key = where.rsplit(".", 1)[1]
        assert UNIQUE_NAMES.get(resource_type) == key, where


def test_two_environments_share_an_account_without_a_name_clash(
    sandbox: Assembly, production: Assembly
) -> None:
    """Both shipped environments deployed in one account and region: no fixed name twice (both
    created ECR repository `sample-app` before; production keeps that name)."""
    clash = set(_named(sandbox)) & set(_named(production))
    assert clash == set()
    assert ("AWS::ECR::Repository", "sample-app") in _named(production)
    assert ("AWS::ECR::Repository", "cp-sandbox/sample-app") in _named(sandbox)


def test_no_stack_imports_from_the_registry(assembly: Assembly) -> None:
    """Other stacks name the repositories by ECR name (stacks/registry_stack.py): replacing or
    renaming one (KMS on) changes no export in use."""
    registry = assembly.stack_name(names.REGISTRY_UNIT)
    for stack in assembly.stack_templates:
        if stack != registry:
            assert f'"{registry}:' not in json.dumps(assembly.template_json(stack)), stack


def test_legacy_exports_keep_their_names_and_values(assembly: Assembly) -> None:
    """What stacks deployed before imported: CDK's export names for the repository's ARN and
    name, with the values they had (the repository under its config name, its ECR name then)."""
    outputs = assembly.template_json(assembly.stack_name(names.REGISTRY_UNIT))["Outputs"]
    registry = assembly.stack_name(names.REGISTRY_UNIT)
    arn = outputs["ExportsOutputFnGetAttRegistrysampleappCC1FB26DArnC7028084"]
    assert arn["Export"]["Name"] == (
        f"{registry}:ExportsOutputFnGetAttRegistrysampleappCC1FB26DArnC7028084"
    )
    parts = arn["Value"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in parts)
    assert text == "arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/sample-app"
    name = outputs["ExportsOutputRefRegistrysampleappCC1FB26DE7861EEF"]
    assert name["Value"] == "sample-app"


def _registry_resources(assembly: Assembly, resource_type: str) -> dict[str, Any]:
    template = assembly.template_json(assembly.stack_name(names.REGISTRY_UNIT))
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def test_the_cache_serves_ecr_public_under_the_environments_prefix(assembly: Assembly) -> None:
    environment = assembly.environment
    prefix = load_config(environment).registry.cache_prefix(environment)
    (rule,) = _registry_resources(assembly, "AWS::ECR::PullThroughCacheRule").values()
    assert rule["Properties"] == {
        "EcrRepositoryPrefix": prefix,
        "UpstreamRegistryUrl": "public.ecr.aws",
    }
    cached = {
        r["Properties"]["RepositoryName"]
        for r in _registry_resources(assembly, "AWS::ECR::Repository").values()
        if r["Properties"]["RepositoryName"].startswith(f"{prefix}/")
    }
    assert cached == {
        f"{prefix}/nginx/nginx-unprivileged",
        f"{prefix}/docker/library/busybox",
    }


def test_the_creation_template_is_like_the_registry(assembly: Assembly) -> None:
    """Scan on push comes from the registry (basic scanning), immutable tags, a lifecycle, the
    registry's encryption (its KMS key with a role ECR creates repositories with)."""
    kms = assembly.environment == "production"
    (template,) = _registry_resources(assembly, "AWS::ECR::RepositoryCreationTemplate").values()
    properties = template["Properties"]
    assert properties["AppliedFor"] == ["PULL_THROUGH_CACHE"]
    assert properties["ImageTagMutability"] == "IMMUTABLE"
    assert properties["EncryptionConfiguration"]["EncryptionType"] == ("KMS" if kms else "AES256")
    policy = json.loads(properties["LifecyclePolicy"])
    assert policy["rules"][0]["selection"]["countType"] == "imageCountMoreThan"
    assert ("CustomRoleArn" in properties) is kms
    roles = [i for i in _registry_resources(assembly, "AWS::IAM::Role") if "CreationRole" in i]
    assert len(roles) == (1 if kms else 0)


def test_cached_repositories_are_encrypted_scanned_and_immutable_like_the_registry(
    assembly: Assembly,
) -> None:
    kms = assembly.environment == "production"
    for resource in _registry_resources(assembly, "AWS::ECR::Repository").values():
        properties = resource["Properties"]
        assert properties["ImageTagMutability"] == "IMMUTABLE"
        assert properties["ImageScanningConfiguration"] == {"ScanOnPush": True}
        encryption = properties.get("EncryptionConfiguration", {"EncryptionType": "AES256"})
        assert encryption["EncryptionType"] == ("KMS" if kms else "AES256")


def test_pulls_go_over_the_vpc_endpoints_when_they_are_on(production: Assembly) -> None:
    """ECR's API and registry endpoints with private DNS and the S3 gateway (layers) carry the
    pulls, with no endpoint policy to narrow the actions (ecr:BatchImportUpstreamImage
    included); a first pull through the cache also needs a route to the internet from the VPC
    ("you need to create a public subnet in the same VPC, with a NAT gateway", Amazon ECR user
    guide, pull through cache considerations), which every environment has."""
    template = production.template_json(production.stack_name(names.NETWORK_UNIT))
    endpoints = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::VPCEndpoint"]
    services = {json.dumps(r["Properties"]["ServiceName"]): r for r in endpoints}
    for service in ("ecr.api", "ecr.dkr"):
        (endpoint,) = [r for key, r in services.items() if key.endswith(f'.{service}"')]
        assert endpoint["Properties"]["PrivateDnsEnabled"] is True
        assert "PolicyDocument" not in endpoint["Properties"]
    (s3,) = [r for r in endpoints if r["Properties"].get("VpcEndpointType") == "Gateway"]
    assert "PolicyDocument" not in s3["Properties"]
    nat = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::NatGateway"]
    assert len(nat) == load_config("production").network.nat_gateways >= 1


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_services_name_their_images_by_digest(environment: str, assemblies: dict[str, Any]) -> None:
    """A tag moved upstream changes nothing that runs: every ECS image is named by digest (the
    cached ones) or is one of the registry's repositories with a tag."""
    assembly = assemblies[environment]
    for kind in ("ec2", "fargate"):
        stack = assembly.stack_name(names.ecs_services_unit(kind, 1))
        for resource in assembly.template_json(stack)["Resources"].values():
            if resource["Type"] != "AWS::ECS::TaskDefinition":
                continue
            for container in resource["Properties"]["ContainerDefinitions"]:
                assert "@sha256:" in json.dumps(container["Image"]), container["Name"]
