"""The EKS stack in both environments (session assemblies), plus the Fargate, Auto Mode and
sample-workload variants synthesized once in-process with cdk-nag failing synth on any error."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Environment, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk.assertions import Match, Template

from platform_config import load_config
from stacks import names
from stacks.eks_stack import DEPLOYER_ADMIN_ARN_PATTERN, EksStack
from stacks.network_stack import NetworkStack
from stacks.platform import stack_settings
from tests.helpers.acknowledgements import (
    acknowledgement_problems,
    collect_acknowledgements,
    unacknowledged_violations,
)
from tests.helpers.apps import project_app
from tests.helpers.assembly import Assembly

ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
ADMIN_ARN = "arn:aws:iam::123456789012:role/platform-admin"
OFFICE_CIDR = "198.51.100.0/24"
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "sample": (
        "sandbox",
        {
            "eks": {
                "access": {"cluster_admin_role_arns": [ADMIN_ARN]},
                "endpoint": {"access": "public_and_private", "public_access_cidrs": [OFFICE_CIDR]},
                "sample_workload": {
                    "enabled": True,
                    "image": {"repository": "sample-app", "tag": "v1"},
                },
            }
        },
    ),
    "fargate": (
        "production",
        {
            "eks": {
                "compute": {
                    "mode": "fargate",
                    "node_groups": [],
                    "fargate_profiles": [
                        {"name": "system", "selectors": [{"namespace": "kube-system"}]},
                        {
                            "name": "apps",
                            "selectors": [{"namespace": "apps", "labels": {"tier": "web"}}],
                        },
                    ],
                }
            }
        },
    ),
    "auto": ("sandbox", {"eks": {"compute": {"mode": "auto_mode", "node_groups": []}}}),
    # KMS-encrypted logs (production) with the kubectl provider's functions and log groups.
    "kms-sample": ("production", {"eks": {"sample_workload": {"enabled": True}}}),
}


@pytest.fixture(scope="module")
def variants_outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The assembly of one App, cdk-nag on and failing synth on errors, with one EKS stack per
    variant."""
    outdir = tmp_path_factory.mktemp("eks-variants")
    app = project_app(
        outdir,
        nag=True,
        **{"@aws-cdk/core:failSynthOnValidationErrors": True},
    )
    env = Environment(region="us-east-1")
    registry = Stack(app, "registry", env=env)
    repositories = {"sample-app": ecr.Repository(registry, "SampleApp")}
    for name, (environment, overrides) in VARIANTS.items():
        config = load_config(environment, overrides=overrides)
        network = NetworkStack(
            app,
            f"{name}-network",
            settings=stack_settings(config),
            section=config.network,
            env=env,
        )
        EksStack(
            app,
            name,
            settings=stack_settings(config),
            section=config.eks,
            vpc=network.vpc,
            repositories=repositories,
            env=env,
        )
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def variants(variants_outdir: Path) -> dict[str, Template]:
    return {
        name: Template.from_json(
            json.loads((variants_outdir / f"{name}.template.json").read_text())
        )
        for name in VARIANTS
    }


@pytest.fixture(scope="module")
def sandbox_eks(sandbox: Assembly) -> Template:
    return sandbox.template(names.EKS_UNIT)


@pytest.fixture(scope="module")
def production_eks(production: Assembly) -> Template:
    return production.template(names.EKS_UNIT)


def _cluster(template: Template) -> dict[str, Any]:
    clusters = template.find_resources("AWS::EKS::Cluster")
    assert len(clusters) == 1
    properties: dict[str, Any] = next(iter(clusters.values()))["Properties"]
    return properties


def _nodegroups(template: Template) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template.find_resources("AWS::EKS::Nodegroup").values()]


# --- cluster: version, logging, encryption, endpoint, authentication -----------------------------


def test_cluster_runs_the_configured_version(assembly: Assembly) -> None:
    assert _cluster(assembly.template(names.EKS_UNIT))["Version"] == "1.36"


def test_all_five_control_plane_log_types(assembly: Assembly) -> None:
    logging = _cluster(assembly.template(names.EKS_UNIT))["Logging"]["ClusterLogging"][
        "EnabledTypes"
    ]
    assert sorted(entry["Type"] for entry in logging) == sorted(ALL_LOG_TYPES)


def test_secrets_are_envelope_encrypted_with_a_rotating_customer_key(assembly: Assembly) -> None:
    template = assembly.template(names.EKS_UNIT)
    encryption = _cluster(template)["EncryptionConfig"]
    assert encryption[0]["Resources"] == ["secrets"]
    key_id = encryption[0]["Provider"]["KeyArn"]["Fn::GetAtt"][0]
    key = template.to_json()["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True


def test_public_endpoint_is_limited_to_config_cidrs(variants: dict[str, Template]) -> None:
    """Sandbox with the user's egress CIDR (the deploy guide's override): public and private."""
    access = _cluster(variants["sample"])["ResourcesVpcConfig"]
    assert access["EndpointPublicAccess"] is True
    assert access["EndpointPrivateAccess"] is True
    assert access["PublicAccessCidrs"] == [OFFICE_CIDR]


def test_sandbox_endpoint_is_private_until_cidrs_are_configured(sandbox_eks: Template) -> None:
    """No universal CIDR is safe to ship: the API opens only to CIDRs the user adds."""
    access = _cluster(sandbox_eks)["ResourcesVpcConfig"]
    assert access["EndpointPublicAccess"] is False
    assert access["EndpointPrivateAccess"] is True


def test_production_endpoint_is_private_only(production_eks: Template) -> None:
    access = _cluster(production_eks)["ResourcesVpcConfig"]
    assert access["EndpointPublicAccess"] is False
    assert access["EndpointPrivateAccess"] is True
    assert "PublicAccessCidrs" not in access


def test_authentication_is_api_mode(assembly: Assembly) -> None:
    """Access entries only: no aws-auth ConfigMap."""
    access = _cluster(assembly.template(names.EKS_UNIT))["AccessConfig"]
    assert access["AuthenticationMode"] == "API"


def test_creator_admin_only_in_sandbox(sandbox_eks: Template, production_eks: Template) -> None:
    sandbox_access = _cluster(sandbox_eks)["AccessConfig"]
    production_access = _cluster(production_eks)["AccessConfig"]
    assert sandbox_access["BootstrapClusterCreatorAdminPermissions"] is True
    assert production_access["BootstrapClusterCreatorAdminPermissions"] is False


def test_production_warns_that_nobody_is_admin(production: Assembly) -> None:
    """Default production has no admin role ARNs: synth says so (set them before deploying)."""
    rules = [
        violation["ruleName"]
        for report in production.validation_report["pluginReports"]
        for violation in report["violations"]
    ]
    assert "Annotation::platform:eks-no-admin" in rules


def test_admin_role_arns_get_cluster_admin_access_entries(variants: dict[str, Template]) -> None:
    entries = variants["sample"].find_resources(
        "AWS::EKS::AccessEntry", {"Properties": {"PrincipalArn": ADMIN_ARN}}
    )
    (entry,) = entries.values()
    (policy,) = entry["Properties"]["AccessPolicies"]
    assert policy["AccessScope"] == {"Type": "cluster"}
    assert "AmazonEKSClusterAdminPolicy" in json.dumps(policy["PolicyArn"])


def test_no_access_entries_without_admin_roles(assembly: Assembly) -> None:
    """Only the deployer's entry, created at deploy time when its parameter is set."""
    entries = assembly.template(names.EKS_UNIT).find_resources("AWS::EKS::AccessEntry")
    condition = names.DEPLOYER_ADMIN_CONDITION
    assert all(entry.get("Condition") == condition for entry in entries.values())


def test_sandbox_takes_the_deployer_as_admin_at_deploy_time(sandbox_eks: Template) -> None:
    """eks.access.deployer_admin: a deployer-admin parameter (default empty: nothing is
    created), and a cluster-admin access entry for it under the condition that it is set."""
    parameters = sandbox_eks.to_json()["Parameters"]
    parameter = parameters[names.DEPLOYER_ADMIN_PARAMETER]
    assert parameter["Type"] == "String"
    assert parameter["Default"] == ""
    assert parameter["AllowedPattern"] == DEPLOYER_ADMIN_ARN_PATTERN
    assert sandbox_eks.to_json()["Conditions"][names.DEPLOYER_ADMIN_CONDITION] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": names.DEPLOYER_ADMIN_PARAMETER}, ""]}]
    }
    (entry,) = sandbox_eks.find_resources(
        "AWS::EKS::AccessEntry",
        {"Properties": {"PrincipalArn": {"Ref": names.DEPLOYER_ADMIN_PARAMETER}}},
    ).values()
    assert entry["Condition"] == names.DEPLOYER_ADMIN_CONDITION
    (cluster_id,) = sandbox_eks.find_resources("AWS::EKS::Cluster")
    assert entry["Properties"]["ClusterName"] == {"Ref": cluster_id}
    (policy,) = entry["Properties"]["AccessPolicies"]
    assert policy["AccessScope"] == {"Type": "cluster"}
    assert "AmazonEKSClusterAdminPolicy" in json.dumps(policy["PolicyArn"])


def test_production_has_no_deployer_parameter(production_eks: Template) -> None:
    assert names.DEPLOYER_ADMIN_PARAMETER not in production_eks.to_json().get("Parameters", {})
    production_eks.resource_count_is("AWS::EKS::AccessEntry", 0)


@pytest.mark.parametrize(
    ("arn", "allowed"),
    [
        ("", True),
        ("arn:aws:iam::123456789012:role/admin", True),
        (
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b",
            True,
        ),
        ("arn:aws:iam::123456789012:user/alice", True),
        ("arn:aws-cn:iam::123456789012:role/admin", True),
        ("arn:aws:sts::123456789012:assumed-role/admin/alice", False),
        ("arn:aws:iam::123456789012:root", False),
        ("admin", False),
    ],
)
def test_deployer_parameter_pattern(arn: str, allowed: bool) -> None:
    """CloudFormation refuses a value outside the pattern before creating anything."""
    assert bool(re.fullmatch(DEPLOYER_ADMIN_ARN_PATTERN, arn)) is allowed


def test_control_plane_and_nodes_only_in_private_subnets(assembly: Assembly) -> None:
    template = assembly.template(names.EKS_UNIT)
    subnets = _cluster(template)["ResourcesVpcConfig"]["SubnetIds"]
    groups = _nodegroups(template)
    for reference in [*subnets, *(s for g in groups for s in g["Subnets"])]:
        assert "PrivateSubnet" in json.dumps(reference)
        assert "PublicSubnet" not in json.dumps(reference)
    zones = load_config(assembly.environment).network.availability_zones
    assert all(len(group["Subnets"]) == len(zones) for group in groups)


def test_control_plane_log_group_is_precreated_with_retention(
    sandbox_eks: Template, production_eks: Template
) -> None:
    """EKS would create /aws/eks/<name>/cluster itself, without retention, and leave it behind."""
    sandbox_eks.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "LogGroupName": f"/aws/eks/{names.eks_cluster_name('sandbox')}/cluster",
                "RetentionInDays": 7,
            },
            "DeletionPolicy": "Delete",
        },
    )
    production_eks.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "LogGroupName": f"/aws/eks/{names.eks_cluster_name('production')}/cluster",
                "RetentionInDays": 365,
                "KmsKeyId": Match.any_value(),
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_stateful_logical_ids_are_pinned(assembly: Assembly) -> None:
    """Renaming these replaces the cluster (and with it every workload) or orphans the key."""
    resources = assembly.template_json(assembly.stack_name(names.EKS_UNIT))["Resources"]
    assert resources["EksClusterB2BDED5B"]["Type"] == "AWS::EKS::Cluster"
    assert resources["EksSecretsKey89C78FFD"]["Type"] == "AWS::KMS::Key"
    assert resources["EksControlPlaneLogsDB7AEF19"]["Type"] == "AWS::Logs::LogGroup"


def test_secrets_key_retained_only_in_production(
    sandbox_eks: Template, production_eks: Template
) -> None:
    sandbox_eks.has_resource("AWS::KMS::Key", {"DeletionPolicy": "Delete"})
    production_eks.has_resource("AWS::KMS::Key", {"DeletionPolicy": "Retain"})


# --- compute --------------------------------------------------------------------------------------


def test_sandbox_nodes_are_spot_graviton_al2023(sandbox_eks: Template) -> None:
    (group,) = _nodegroups(sandbox_eks)
    assert group["AmiType"] == "AL2023_ARM_64_STANDARD"
    assert group["CapacityType"] == "SPOT"
    assert group["InstanceTypes"] == ["t4g.large", "m7g.large", "m6g.large"]
    assert group["ScalingConfig"] == {"MinSize": 1, "MaxSize": 3, "DesiredSize": 2}


def test_production_nodes_are_on_demand_x86_al2023(production_eks: Template) -> None:
    (group,) = _nodegroups(production_eks)
    assert group["AmiType"] == "AL2023_x86_64_STANDARD"  # CloudFormation's spelling
    assert group["CapacityType"] == "ON_DEMAND"
    assert group["InstanceTypes"] == ["m7i.large"]
    assert group["ScalingConfig"] == {"MinSize": 3, "MaxSize": 9, "DesiredSize": 3}


def test_node_launch_template_requires_imdsv2_and_encrypts_the_root_volume(
    assembly: Assembly,
) -> None:
    template = assembly.template(names.EKS_UNIT)
    (group,) = _nodegroups(template)
    assert "LaunchTemplate" in group
    assert "DiskSize" not in group
    template.has_resource_properties(
        "AWS::EC2::LaunchTemplate",
        {
            "LaunchTemplateData": Match.object_like(
                {
                    "MetadataOptions": {
                        "HttpEndpoint": "enabled",
                        "HttpTokens": "required",
                        "HttpPutResponseHopLimit": 1,
                    },
                    "BlockDeviceMappings": [
                        {
                            "DeviceName": "/dev/xvda",
                            "Ebs": Match.object_like({"Encrypted": True, "VolumeType": "gp3"}),
                        }
                    ],
                }
            )
        },
    )


def test_node_role_pulls_only(assembly: Assembly) -> None:
    """Pull-only ECR access (not ReadOnly), plus what nodes need to join and run the VPC CNI."""
    node_roles = [
        role
        for role in assembly.template(names.EKS_UNIT).find_resources("AWS::IAM::Role").values()
        if "ec2.amazonaws.com" in json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
    ]
    assert len(node_roles) == 1
    policies = json.dumps(node_roles[0]["Properties"]["ManagedPolicyArns"])
    for name in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "ContainerRegistryPullOnly"):
        assert name in policies
    assert "AmazonEC2ContainerRegistryReadOnly" not in policies


def test_fargate_profiles_with_selectors_in_private_subnets(variants: dict[str, Template]) -> None:
    template = variants["fargate"]
    template.resource_count_is("AWS::EKS::Nodegroup", 0)
    template.resource_count_is("AWS::EKS::FargateProfile", 2)
    template.has_resource_properties(
        "AWS::EKS::FargateProfile",
        {
            "Selectors": [{"Namespace": "apps", "Labels": [{"Key": "tier", "Value": "web"}]}],
            "Subnets": Match.any_value(),
        },
    )
    profiles = template.find_resources("AWS::EKS::FargateProfile")
    assert all(
        "PublicSubnet" not in json.dumps(p["Properties"]["Subnets"]) for p in profiles.values()
    )


def test_fargate_runs_coredns_on_fargate_and_has_no_pod_identity_agent(
    variants: dict[str, Template],
) -> None:
    template = variants["fargate"]
    template.has_resource_properties(
        "AWS::EKS::Addon",
        {"AddonName": "coredns", "ConfigurationValues": '{"computeType":"Fargate"}'},
    )
    assert _addon_names(template) == ["coredns", "kube-proxy", "vpc-cni"]


def test_auto_mode_enables_compute_storage_and_load_balancing(
    variants: dict[str, Template],
) -> None:
    cluster = _cluster(variants["auto"])
    assert cluster["ComputeConfig"]["Enabled"] is True
    assert cluster["ComputeConfig"]["NodePools"] == ["system", "general-purpose"]
    assert cluster["StorageConfig"]["BlockStorage"]["Enabled"] is True
    variants["auto"].resource_count_is("AWS::EKS::Nodegroup", 0)
    assert _addon_names(variants["auto"]) == []


# --- add-ons --------------------------------------------------------------------------------------


def _addon_names(template: Template) -> list[str]:
    addons = template.find_resources("AWS::EKS::Addon").values()
    return sorted(addon["Properties"]["AddonName"] for addon in addons)


def test_managed_addons_at_eks_default_versions(assembly: Assembly) -> None:
    template = assembly.template(names.EKS_UNIT)
    assert _addon_names(template) == ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    for addon in template.find_resources("AWS::EKS::Addon").values():
        assert "AddonVersion" not in addon["Properties"]
        assert addon["Properties"]["PreserveOnDelete"] is False
        assert addon["Properties"]["ResolveConflicts"] == "OVERWRITE"


def test_pod_scheduling_addons_wait_for_nodes(assembly: Assembly) -> None:
    template = assembly.template_json(assembly.stack_name(names.EKS_UNIT))["Resources"]
    nodegroups = {k for k, v in template.items() if v["Type"] == "AWS::EKS::Nodegroup"}
    for resource in template.values():
        if resource["Type"] == "AWS::EKS::Addon" and resource["Properties"]["AddonName"] in {
            "coredns",
            "eks-pod-identity-agent",
        }:
            assert nodegroups <= set(resource.get("DependsOn", []))


# --- sample workload ------------------------------------------------------------------------------


def test_no_kubectl_provider_by_default(assembly: Assembly) -> None:
    """The sample workload is off by default: no kubectl Lambda or 50 MB layer asset."""
    template = assembly.template(names.EKS_UNIT)
    template.resource_count_is("AWS::Lambda::Function", 0)
    template.resource_count_is("Custom::AWSCDK-EKS-KubernetesResource", 0)


def test_sample_workload_is_a_hardened_deployment_and_clusterip_service(
    variants: dict[str, Template],
) -> None:
    (resource,) = (
        variants["sample"].find_resources("Custom::AWSCDK-EKS-KubernetesResource").values()
    )
    text = json.dumps(resource["Properties"]["Manifest"])
    for expected in (
        '\\"kind\\":\\"Deployment\\"',
        '\\"type\\":\\"ClusterIP\\"',
        '\\"readOnlyRootFilesystem\\":true',
        '\\"runAsNonRoot\\":true',
        '\\"readinessProbe\\"',
        '\\"livenessProbe\\"',
        '\\"requests\\"',
        '\\"containerPort\\":8080',
    ):
        assert expected in text
    assert "LoadBalancer" not in text


def test_sample_workload_pulls_our_repository_image(variants: dict[str, Template]) -> None:
    (resource,) = (
        variants["sample"].find_resources("Custom::AWSCDK-EKS-KubernetesResource").values()
    )
    text = json.dumps(resource["Properties"]["Manifest"])
    assert ":v1" in text
    assert "dkr.ecr" in text
    node_policies = variants["sample"].find_resources("AWS::IAM::Policy")
    assert any("ecr:BatchGetImage" in json.dumps(p) for p in node_policies.values())


def test_kubectl_handler_runs_in_private_subnets(variants: dict[str, Template]) -> None:
    variants["sample"].has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Description": Match.string_like_regexp("kubectl"),
            "VpcConfig": {"SubnetIds": Match.any_value(), "SecurityGroupIds": Match.any_value()},
        },
    )


# --- outputs --------------------------------------------------------------------------------------


def test_outputs_cluster_name_and_kubeconfig_command(assembly: Assembly) -> None:
    name = names.eks_cluster_name(assembly.environment)
    template = assembly.template(names.EKS_UNIT)
    template.has_output(names.CLUSTER_NAME_OUTPUT, {"Value": name})
    template.has_output(
        names.UPDATE_KUBECONFIG_OUTPUT,
        {"Value": f"aws eks update-kubeconfig --region us-east-1 --name {name}"},
    )


def test_no_cdk_nag_errors(assembly: Assembly) -> None:
    errors = [
        violation
        for report in assembly.validation_report["pluginReports"]
        for violation in report["violations"]
        if violation["severity"] == "error"
    ]
    assert errors == []


def test_every_log_group_is_kms_encrypted_where_logs_are(variants: dict[str, Template]) -> None:
    """Found by the config-space test: the kubectl provider's log groups (created by aws-cdk-lib)
    were the only unencrypted ones when an environment encrypts logs."""
    log_groups = variants["kms-sample"].find_resources("AWS::Logs::LogGroup")
    assert len(log_groups) >= 3  # control plane + the provider's handler and framework
    unencrypted = [name for name, r in log_groups.items() if "KmsKeyId" not in r["Properties"]]
    assert unencrypted == []


# --- cdk-nag acknowledgements of the variants -----------------------------------------------------

# aws_eks_v2 does not expose the Auto Mode node role or the kubectl provider's framework function:
# their findings are acknowledged on the construct we hold that contains them (see
# container_constructs/eks_acknowledgements.py), wider than the audit's narrowest scope.
HELD_SCOPES = ("/Eks/Cluster", "/Eks/Cluster/KubectlProvider")


def _variants_report(outdir: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((outdir / "validation-report.json").read_text())
    return report


def test_variants_have_no_unacknowledged_findings(variants_outdir: Path) -> None:
    """Warnings too (synth fails on errors): with Fargate, Auto Mode and the kubectl provider."""
    report = _variants_report(variants_outdir)
    assert unacknowledged_violations(report, include_app_warnings=False) == []


def test_every_variant_acknowledgement_is_specific_narrow_and_needed(variants_outdir: Path) -> None:
    """The audit of tests/test_gate_nag.py on the variants: each acknowledgement of aws-cdk-lib's
    own resources still suppresses a finding, so the acknowledged set stays the minimum."""
    manifest = json.loads((variants_outdir / "manifest.json").read_text())
    report = _variants_report(variants_outdir)
    problems = [
        f"{ack.label}: {problem}"
        for ack in collect_acknowledgements("variants", variants_outdir, manifest, report)
        for problem in acknowledgement_problems(ack)
        if not (ack.scope.endswith(HELD_SCOPES) and "wider than its findings" in problem)
    ]
    assert problems == []
