"""The EKS stack in both environments (session assemblies), plus the Fargate, Auto Mode and
sample-workload variants synthesized once in-process with cdk-nag failing synth on any error."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Match, Template

from container_constructs.eks_versions import ADDON_VERSIONS
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
TEAM_ROLE = "arn:aws:iam::123456789012:role/team-payments"
VIEWER_ROLE = "arn:aws:iam::123456789012:role/on-call"
IDC_INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
REPORTS_OBJECT = "arn:aws:s3:::reports-bucket/daily.csv"
ARGOCD_POLICY = "arn:aws:iam::123456789012:policy/argocd-repositories"
# The day the "upgrade" variant is synthesized on: 60 days before 1.35 leaves standard support.
WARNING_DAY = date(2027, 1, 26)
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
                },
                # Production's Container Insights add-on runs DaemonSets: not on Fargate.
                "addons": {"amazon-cloudwatch-observability": None},
                # The control plane in two of production's three zones, the pods in all.
                "control_plane_zones": ["us-east-1a", "us-east-1b"],
            }
        },
    ),
    "auto": ("sandbox", {"eks": {"compute": {"mode": "auto_mode", "node_groups": []}}}),
    # KMS-encrypted logs (production) with the kubectl provider's functions and log groups.
    "kms-sample": ("production", {"eks": {"sample_workload": {"enabled": True}}}),
    # Day two: team access, a workload identity, add-on overrides, Argo CD, a scaling tier.
    "day2": (
        "sandbox",
        {
            "eks": {
                "access": {
                    "viewer_role_arns": [VIEWER_ROLE],
                    "namespace_access": [{"role_arn": TEAM_ROLE, "namespaces": ["payments"]}],
                },
                "workload_identities": [
                    {
                        "namespace": "reports",
                        "service_account": "reader",
                        "statements": [
                            {"actions": ["s3:GetObject"], "resources": [REPORTS_OBJECT]}
                        ],
                    }
                ],
                "addons": {
                    "coredns": {"configuration": {"replicaCount": 3}},
                    "metrics-server": None,
                    "snapshot-controller": {"version": "v8.3.0-eksbuild.1"},
                    "amazon-cloudwatch-observability": {},
                    "aws-efs-csi-driver": {
                        "version": "v2.1.0-eksbuild.1",
                        "pod_identity": {
                            "service_account": "efs-csi-controller-sa",
                            "aws_managed_policies": ["service-role/AmazonEFSCSIDriverPolicy"],
                        },
                    },
                },
                "argocd": {
                    "enabled": True,
                    "idc_instance_arn": IDC_INSTANCE,
                    "role_mappings": [{"role": "ADMIN", "identities": [{"id": "platform-admins"}]}],
                    "managed_policy_arns": [ARGOCD_POLICY],
                },
                "upgrade_policy": "EXTENDED",
                "control_plane_scaling_tier": "tier-xl",
            }
        },
    ),
    # One minor below the shipped environments, synthesized on WARNING_DAY (the upgrade path).
    "upgrade": ("production", {"eks": {"kubernetes_version": "1.35"}}),
}
SYNTH_DAYS = {"upgrade": WARNING_DAY}


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
        today = SYNTH_DAYS.get(name)
        config = load_config(environment, overrides=overrides, today=today)
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
            today=today,
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
    for name in ("AmazonEKSWorkerNodePolicy", "ContainerRegistryPullOnly"):
        assert name in policies
    assert "AmazonEC2ContainerRegistryReadOnly" not in policies
    # The VPC CNI runs on its own Pod Identity role (test_vpc_cni_and_ebs_csi_on_pod_identity).
    assert "AmazonEKS_CNI_Policy" not in policies


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


def test_control_plane_zones_keep_the_cluster_while_pods_use_every_zone(
    variants: dict[str, Template],
) -> None:
    """eks.control_plane_zones: the cluster's subnets are those zones' (EKS accepts new ones only
    in the zones it was created in), the Fargate profiles' every private subnet."""
    template = variants["fargate"]
    (cluster,) = template.find_resources("AWS::EKS::Cluster").values()
    cluster_subnets = cluster["Properties"]["ResourcesVpcConfig"]["SubnetIds"]
    for profile in template.find_resources("AWS::EKS::FargateProfile").values():
        subnets = profile["Properties"]["Subnets"]
        assert len(subnets) == 3
        assert cluster_subnets == subnets[:2]


def test_fargate_runs_coredns_on_fargate_and_has_no_pod_identity_agent(
    variants: dict[str, Template],
) -> None:
    template = variants["fargate"]
    template.has_resource_properties(
        "AWS::EKS::Addon",
        {"AddonName": "coredns", "ConfigurationValues": '{"computeType":"Fargate"}'},
    )
    assert _addon_names(template) == ["coredns", "kube-proxy", "metrics-server", "vpc-cni"]
    # No Pod Identity on Fargate: the VPC CNI has no role of its own (and no nodes to run on).
    assert all(
        "PodIdentityAssociations" not in addon["Properties"]
        for addon in template.find_resources("AWS::EKS::Addon").values()
    )


def test_auto_mode_enables_compute_storage_and_load_balancing(
    variants: dict[str, Template],
) -> None:
    cluster = _cluster(variants["auto"])
    assert cluster["ComputeConfig"]["Enabled"] is True
    assert cluster["ComputeConfig"]["NodePools"] == ["system", "general-purpose"]
    assert cluster["StorageConfig"]["BlockStorage"]["Enabled"] is True
    variants["auto"].resource_count_is("AWS::EKS::Nodegroup", 0)
    # Networking, DNS, Pod Identity and block storage are Auto Mode's own.
    assert _addon_names(variants["auto"]) == ["metrics-server"]


# --- add-ons --------------------------------------------------------------------------------------


def _addon_names(template: Template) -> list[str]:
    addons = template.find_resources("AWS::EKS::Addon").values()
    return sorted(addon["Properties"]["AddonName"] for addon in addons)


def _addons(template: Template) -> dict[str, dict[str, Any]]:
    return {
        addon["Properties"]["AddonName"]: addon
        for addon in template.find_resources("AWS::EKS::Addon").values()
    }


def test_default_addon_set_at_the_tables_versions(assembly: Assembly) -> None:
    """The default set, each pinned to the table's version for 1.36, no conflict overwriting
    (nothing self-managed was bootstrapped); Container Insights only in production."""
    addons = _addons(assembly.template(names.EKS_UNIT))
    expected = {
        "vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver",
        "metrics-server",
    }  # fmt: skip
    if assembly.environment == "production":
        expected.add("amazon-cloudwatch-observability")
    assert set(addons) == expected
    for name, addon in addons.items():
        assert addon["Properties"]["AddonVersion"] == ADDON_VERSIONS[name]["1.36"]
        assert addon["Properties"]["PreserveOnDelete"] is False
        assert "ResolveConflicts" not in addon["Properties"]
    configuration = json.loads(addons["aws-ebs-csi-driver"]["Properties"]["ConfigurationValues"])
    assert configuration == {"defaultStorageClass": {"enabled": True}}


def test_no_self_managed_addon_bootstrap(assembly: Assembly) -> None:
    assert _cluster(assembly.template(names.EKS_UNIT))["BootstrapSelfManagedAddons"] is False


def _role(template: Template, reference: Any) -> dict[str, Any]:
    logical_id = reference["Fn::GetAtt"][0]
    role: dict[str, Any] = template.to_json()["Resources"][logical_id]
    assert role["Type"] == "AWS::IAM::Role"
    return role


def _trusts(role: dict[str, Any]) -> tuple[str, list[str]]:
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    return statement["Principal"]["Service"], sorted(statement["Action"])


def test_vpc_cni_and_ebs_csi_on_pod_identity(assembly: Assembly) -> None:
    """Each add-on that calls AWS has its own role, trusted by EKS Pod Identity, with the policy
    AWS documents for it; the node role no longer carries the CNI policy."""
    template = assembly.template(names.EKS_UNIT)
    addons = _addons(template)
    expected = {
        "vpc-cni": ("aws-node", "AmazonEKS_CNI_Policy"),
        "aws-ebs-csi-driver": ("ebs-csi-controller-sa", "AmazonEBSCSIDriverPolicy"),
    }
    if assembly.environment == "production":
        expected["amazon-cloudwatch-observability"] = (
            "cloudwatch-agent",
            "CloudWatchAgentServerPolicy",
        )
    for name, addon in addons.items():
        associations = addon["Properties"].get("PodIdentityAssociations")
        if name not in expected:
            assert associations is None, name
            continue
        service_account, policy = expected[name]
        (association,) = associations
        assert association["ServiceAccount"] == service_account
        role = _role(template, association["RoleArn"])
        assert _trusts(role) == ("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"])
        assert policy in json.dumps(role["Properties"]["ManagedPolicyArns"])
        assert any("EksPodIdentityAgent" in d for d in addon.get("DependsOn", [])), name


def test_addons_nodes_need_come_first_the_rest_wait_for_nodes(assembly: Assembly) -> None:
    """No self-managed copies: the CNI, kube-proxy and the Pod Identity agent exist before the
    node groups (their DaemonSets make nodes Ready); the others schedule pods onto the nodes."""
    resources = assembly.template_json(assembly.stack_name(names.EKS_UNIT))["Resources"]
    nodegroups = {k for k, v in resources.items() if v["Type"] == "AWS::EKS::Nodegroup"}
    addon_ids = {
        v["Properties"]["AddonName"]: k
        for k, v in resources.items()
        if v["Type"] == "AWS::EKS::Addon"
    }
    for name, logical_id in addon_ids.items():
        if name in {"vpc-cni", "kube-proxy", "eks-pod-identity-agent"}:
            for group in nodegroups:
                assert logical_id in resources[group].get("DependsOn", []), (group, name)
        else:
            assert nodegroups <= set(resources[logical_id].get("DependsOn", [])), name


def test_node_groups_follow_the_control_plane_version(assembly: Assembly) -> None:
    """Node groups carry the cluster's version (a bump rolls them after the control plane, which
    they reference); the AMI release is EKS's latest unless configured."""
    template = assembly.template(names.EKS_UNIT)
    version = _cluster(template)["Version"]
    for group in _nodegroups(template):
        assert group["Version"] == version
        assert "ReleaseVersion" not in group


def test_upgrade_policy_standard_deletion_protection_and_zonal_shift_in_production(
    sandbox_eks: Template, production_eks: Template
) -> None:
    sandbox, production = _cluster(sandbox_eks), _cluster(production_eks)
    assert sandbox["UpgradePolicy"] == production["UpgradePolicy"] == {"SupportType": "STANDARD"}
    assert "DeletionProtection" not in sandbox
    assert "ZonalShiftConfig" not in sandbox
    assert production["DeletionProtection"] is True
    assert production["ZonalShiftConfig"] == {"Enabled": True}
    assert "ControlPlaneScalingConfig" not in production


def test_a_minor_upgrade_moves_nodes_and_every_addon(
    variants: dict[str, Template], production_eks: Template
) -> None:
    """1.35 -> 1.36 (the "upgrade" variant is production on 1.35): the control plane, every node
    group and every add-on whose table row differs move together; none is left behind."""
    before, after = variants["upgrade"], production_eks
    assert _cluster(before)["Version"] == "1.35"
    assert [g["Version"] for g in _nodegroups(before)] == ["1.35"]
    assert [g["Version"] for g in _nodegroups(after)] == ["1.36"]
    old, new = _addons(before), _addons(after)
    assert set(old) == set(new)
    for name in old:
        assert old[name]["Properties"]["AddonVersion"] == ADDON_VERSIONS[name]["1.35"]
        assert new[name]["Properties"]["AddonVersion"] == ADDON_VERSIONS[name]["1.36"]


def test_version_nearing_end_of_standard_support_warns(variants_outdir: Path) -> None:
    """On WARNING_DAY 1.35 has 60 days of standard support left: synth warns, naming the date
    and the next minor; the shipped environments (1.36) do not warn today."""
    report = _variants_report(variants_outdir)
    warnings = [
        violation
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        if violation["ruleName"] == "Annotation::platform:eks-version-support"
    ]
    (warning,) = warnings
    assert warning["severity"] == "warning"
    assert (
        "Kubernetes 1.35 leaves EKS standard support on 2027-03-27 (in 60 days)"
        in (warning["description"])
    )
    assert "upgrade one minor at a time to 1.36" in warning["description"]
    assert [c["constructPath"] for c in warning["violatingConstructs"]] == ["upgrade"]


def test_shipped_environments_do_not_warn_about_their_version(assembly: Assembly) -> None:
    rules = [
        violation["ruleName"]
        for report in assembly.validation_report["pluginReports"]
        for violation in report["violations"]
    ]
    assert "Annotation::platform:eks-version-support" not in rules


# --- day two: overrides, workload identities, team access, Argo CD ------------------------------


def test_addon_overrides_add_change_and_remove(variants: dict[str, Template]) -> None:
    addons = _addons(variants["day2"])
    assert "metrics-server" not in addons
    assert addons["snapshot-controller"]["Properties"]["AddonVersion"] == "v8.3.0-eksbuild.1"
    assert "PodIdentityAssociations" not in addons["snapshot-controller"]["Properties"]
    coredns = json.loads(addons["coredns"]["Properties"]["ConfigurationValues"])
    assert coredns == {"replicaCount": 3}
    assert "PodIdentityAssociations" in addons["amazon-cloudwatch-observability"]["Properties"]
    # An add-on the platform does not know, on the AWS managed policy AWS documents for it.
    (association,) = addons["aws-efs-csi-driver"]["Properties"]["PodIdentityAssociations"]
    assert association["ServiceAccount"] == "efs-csi-controller-sa"
    role = _role(variants["day2"], association["RoleArn"])
    assert "AmazonEFSCSIDriverPolicy" in json.dumps(role["Properties"]["ManagedPolicyArns"])


def test_workload_identity_is_a_role_and_an_association(variants: dict[str, Template]) -> None:
    template = variants["day2"]
    ((logical_id, association),) = template.find_resources(
        "AWS::EKS::PodIdentityAssociation"
    ).items()
    # Keyed by namespace and service account, not list position: reordering replaces nothing.
    assert logical_id.startswith("EksWorkloadIdentityreportsreader")
    properties = association["Properties"]
    assert (properties["Namespace"], properties["ServiceAccount"]) == ("reports", "reader")
    role = _role(template, properties["RoleArn"])
    assert _trusts(role) == ("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"])
    policies = [
        policy["Properties"]
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if role_reference_in(policy, properties["RoleArn"]["Fn::GetAtt"][0])
    ]
    (policy,) = policies
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement == {"Action": "s3:GetObject", "Effect": "Allow", "Resource": REPORTS_OBJECT}
    assert any("EksPodIdentityAgent" in d for d in association.get("DependsOn", []))


def role_reference_in(policy: dict[str, Any], role_id: str) -> bool:
    return {"Ref": role_id} in policy["Properties"].get("Roles", [])


def test_viewers_and_namespace_scoped_teams_get_access_entries(
    variants: dict[str, Template],
) -> None:
    template = variants["day2"]
    ((logical_id, viewer),) = template.find_resources(
        "AWS::EKS::AccessEntry", {"Properties": {"PrincipalArn": VIEWER_ROLE}}
    ).items()
    # Keyed by the role, not list position.
    assert logical_id.startswith("EksClusterViewerarnawsiam123456789012roleoncall")
    (policy,) = viewer["Properties"]["AccessPolicies"]
    assert policy["AccessScope"] == {"Type": "cluster"}
    assert "AmazonEKSViewPolicy" in json.dumps(policy["PolicyArn"])
    (team,) = template.find_resources(
        "AWS::EKS::AccessEntry", {"Properties": {"PrincipalArn": TEAM_ROLE}}
    ).values()
    (policy,) = team["Properties"]["AccessPolicies"]
    assert policy["AccessScope"] == {"Type": "namespace", "Namespaces": ["payments"]}
    assert "AmazonEKSEditPolicy" in json.dumps(policy["PolicyArn"])


def test_argocd_capability_with_identity_center_and_its_role(variants: dict[str, Template]) -> None:
    template = variants["day2"]
    (capability,) = template.find_resources("AWS::EKS::Capability").values()
    properties = capability["Properties"]
    assert properties["Type"] == "ARGOCD"
    assert properties["DeletePropagationPolicy"] == "RETAIN"
    argocd = properties["Configuration"]["ArgoCd"]
    assert argocd["AwsIdc"] == {"IdcInstanceArn": IDC_INSTANCE}
    assert argocd["Namespace"] == "argocd"
    assert argocd["RbacRoleMappings"] == [
        {"Role": "ADMIN", "Identities": [{"Id": "platform-admins", "Type": "SSO_GROUP"}]}
    ]
    role = _role(template, properties["RoleArn"])
    assert _trusts(role) == (
        "capabilities.eks.amazonaws.com",
        ["sts:AssumeRole", "sts:TagSession"],
    )
    assert role["Properties"]["ManagedPolicyArns"] == [ARGOCD_POLICY]
    role_id = properties["RoleArn"]["Fn::GetAtt"][0]
    template.has_output(names.ARGOCD_ROLE_OUTPUT, {"Value": {"Fn::GetAtt": [role_id, "Arn"]}})


def test_extended_support_and_a_scaling_tier_when_configured(variants: dict[str, Template]) -> None:
    cluster = _cluster(variants["day2"])
    assert cluster["UpgradePolicy"] == {"SupportType": "EXTENDED"}
    assert cluster["ControlPlaneScalingConfig"] == {"Tier": "tier-xl"}


def test_no_custom_resource_or_lambda_without_the_sample_workload(
    variants: dict[str, Template],
) -> None:
    """Everything of day two is native CloudFormation: no kubectl provider, no custom resource."""
    for name in ("day2", "upgrade", "fargate", "auto"):
        resources = variants[name].to_json()["Resources"].values()
        types = {resource["Type"] for resource in resources}
        assert not {t for t in types if t.startswith("Custom::")}, name
        assert "AWS::Lambda::Function" not in types, name


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


@pytest.mark.parametrize(("variant", "policy"), [("sample", "Delete"), ("kms-sample", "Retain")])
def test_every_log_group_follows_the_environments_removal_policy(
    variants: dict[str, Template], variant: str, policy: str
) -> None:
    """Found by the config-space test: the kubectl provider's log groups (created by aws-cdk-lib)
    were retained in a sandbox, whose `cdk destroy` must leave nothing."""
    log_groups = variants[variant].find_resources("AWS::Logs::LogGroup")
    assert len(log_groups) >= 3  # control plane + the provider's handler and framework
    policies = {(r["DeletionPolicy"], r["UpdateReplacePolicy"]) for r in log_groups.values()}
    assert policies == {(policy, policy)}


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


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        (["us-east-1a"], "control_plane_zones \\['us-east-1a'\\]: at least 2 distinct zones"),
        (["us-east-1a", "us-east-1a"], "at least 2 distinct zones"),
        (["us-east-1a", "us-east-1c"], "control_plane_zones \\['us-east-1c'\\] have no private"),
    ],
)
def test_the_construct_refuses_control_plane_zones_it_cannot_use(
    zones: list[str], message: str
) -> None:
    """Direct use of EksCluster (the config refuses the same first: test_config.py)."""
    from container_constructs.eks_cluster import EksCluster
    from container_constructs.eks_props import EksClusterProps, NodeGroupSpec
    from container_constructs.network import Network, NetworkProps
    from tests.helpers.apps import unit_app

    stack = Stack(unit_app(), "Zones", env=Environment(region="us-east-1"))
    network = Network(
        stack,
        "Network",
        props=NetworkProps(availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=1),
    )
    props = EksClusterProps(
        vpc=network.vpc,
        cluster_name="zones",
        version=eks.KubernetesVersion.of("1.36"),
        node_groups=[NodeGroupSpec(name="system", instance_types=["m7i.large"])],
        control_plane_zones=zones,
    )
    with pytest.raises(ValueError, match=message):
        EksCluster(stack, "Eks", props=props)


def test_the_construct_refuses_an_ami_release_of_another_kubernetes_version() -> None:
    """Direct use of EksCluster (the config refuses the same first: test_config_eks.py)."""
    from container_constructs.eks_cluster import EksCluster
    from container_constructs.eks_props import EksClusterProps, NodeGroupSpec
    from tests.helpers.apps import unit_app

    stack = Stack(unit_app(), "Release", env=Environment(region="us-east-1"))
    props = EksClusterProps(
        vpc=ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"]),
        cluster_name="release",
        version=eks.KubernetesVersion.of("1.36"),
        node_groups=[
            NodeGroupSpec(
                name="system", instance_types=["m7i.large"], release_version="1.35.2-20260120"
            )
        ],
    )
    with pytest.raises(ValueError, match=r"node group system: release_version '1\.35\.2-20260120'"):
        EksCluster(stack, "Eks", props=props)
