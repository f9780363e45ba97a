"""The `eks` section: defaults per environment and a clear message for every bad input."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_eks_v2 as eks

from container_constructs.eks_versions import ADDON_VERSIONS, KUBERNETES_RELEASES, kube_proxy_skew
from platform_config import ConfigError, load_config
from platform_config.base import is_graviton
from platform_config.eks import (
    CREATABLE_KUBERNETES_VERSIONS,
    KNOWN_KUBERNETES_VERSIONS,
    KUBECTL_LAYER_PACKAGES,
)

_KUBE_SYSTEM = {"name": "system", "selectors": [{"namespace": "kube-system"}]}


def _message(overrides: dict[str, Any], name: str = "sandbox") -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(name, overrides=overrides)
    return str(caught.value)


def _node_group(**fields: Any) -> dict[str, Any]:
    return {
        "eks": {
            "compute": {"node_groups": [{"name": "ng", "instance_types": ["m7i.large"], **fields}]}
        }
    }


def test_known_versions_are_exactly_the_pinned_libraries() -> None:
    """Our list matches aws_eks_v2.KubernetesVersion of the pinned aws-cdk-lib, no more, no less."""
    for version in KNOWN_KUBERNETES_VERSIONS:
        member = getattr(eks.KubernetesVersion, "V" + version.replace(".", "_"))
        assert member.version == version
    newest = int(KNOWN_KUBERNETES_VERSIONS[-1].split(".")[1])
    assert not hasattr(eks.KubernetesVersion, f"V1_{newest + 1}")


def test_default_version_is_in_standard_support_and_has_a_pinned_kubectl_layer() -> None:
    """1.36 (released 2026) is in EKS standard support on 2026-11-28; its layer is pinned."""
    for name in ("sandbox", "production"):
        version = load_config(name).eks.kubernetes_version
        assert version == "1.36"
        assert version in KUBECTL_LAYER_PACKAGES


def test_kubectl_layer_mapping_matches_requirements(repo_root: Path) -> None:
    """The layer named in platform_config/eks.py is the one pinned (exactly) in requirements.txt."""
    requirements = (repo_root / "requirements.txt").read_text()
    for package in KUBECTL_LAYER_PACKAGES.values():
        assert re.search(rf"^{re.escape(package)}==\d+\.\d+\.\d+$", requirements, re.MULTILINE)


def test_sandbox_defaults_spot_graviton_private_endpoint() -> None:
    section = load_config("sandbox").eks
    group = section.compute.node_groups[0]
    assert section.compute.mode == "managed_nodes"
    assert group.capacity_type == "spot"
    assert group.graviton
    assert section.endpoint.access == "private"
    assert section.access.bootstrap_creator_admin
    assert section.access.deployer_admin
    assert not section.sample_workload.enabled


def test_production_defaults_on_demand_every_zone_private_no_creator_admin() -> None:
    config = load_config("production")
    group = config.eks.compute.node_groups[0]
    assert group.capacity_type == "on_demand"
    assert group.min_size >= len(config.network.availability_zones)
    assert config.eks.endpoint.access == "private"
    assert not config.eks.endpoint.public_access_cidrs
    assert not config.eks.access.bootstrap_creator_admin
    assert not config.eks.access.deployer_admin


@pytest.mark.parametrize(
    ("instance_type", "graviton"),
    [("t4g.large", True), ("m7g.large", True), ("c7gn.xlarge", True), ("x2gd.large", True),
     ("a1.large", True), ("g5g.xlarge", True), ("m7i.large", False), ("g5.xlarge", False),
     ("g4dn.xlarge", False), ("c5n.large", False), ("m7i-flex.large", False)],
)  # fmt: skip
def test_graviton_detection(instance_type: str, graviton: bool) -> None:
    assert is_graviton(instance_type) is graviton


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"eks": {"kubernetes_version": "1.99"}},
            "eks.kubernetes_version: '1.99' is not a Kubernetes version aws-cdk-lib's aws_eks_v2 "
            "knows; allowed: 1.30, 1.31",
        ),
        (
            _node_group(min_size=4, max_size=2, desired_size=3),
            "eks.compute.node_groups.0: min_size (4) must not exceed max_size (2)",
        ),
        (
            _node_group(min_size=1, max_size=3, desired_size=5),
            "eks.compute.node_groups.0: desired_size (5) must be between min_size (1) and "
            "max_size (3)",
        ),
        (
            _node_group(graviton=True),
            "instance_types m7i.large are not Graviton (arm64) but graviton is true",
        ),
        (
            {
                "eks": {
                    "workload_identities": [
                        {
                            "namespace": "kube-system",
                            "service_account": "aws-node",
                            "managed_policy_arns": [
                                "arn:aws:iam::123456789012:policy/reports-reader"
                            ],
                        }
                    ]
                }
            },
            "eks: workload_identities.0: kube-system/aws-node is the service account of add-on "
            "vpc-cni, whose Pod Identity association the add-on makes",
        ),
        (
            _node_group(release_version="1.35.2-20260120"),
            "eks: compute.node_groups.0.release_version: '1.35.2-20260120' is an AMI release of "
            "Kubernetes 1.35, and the cluster runs 1.36: EKS refuses it",
        ),
        (
            _node_group(instance_types=["large"]),
            "eks.compute.node_groups.0.instance_types: large: not an EC2 instance type",
        ),
        (
            {
                "eks": {
                    "compute": {
                        "mode": "fargate",
                        "node_groups": [],
                        "fargate_profiles": [{"name": "apps", "selectors": []}],
                    }
                }
            },
            "eks.compute.fargate_profiles.0.selectors: 0 items is not allowed; "
            "allowed: 1 to 5 items",
        ),
        (
            {
                "eks": {
                    "compute": {
                        "mode": "fargate",
                        "node_groups": [],
                        "fargate_profiles": [{"name": "a", "selectors": [{"namespace": "apps"}]}],
                    }
                }
            },
            "eks.compute: fargate_profiles: mode fargate needs a profile selecting namespace "
            "kube-system",
        ),
        (
            {"eks": {"compute": {"node_groups": []}}},
            "eks.compute: node_groups: mode managed_nodes needs at least one node group",
        ),
        (
            {"eks": {"endpoint": {"public_access_cidrs": ["203.0.113.0/33"]}}},
            "eks.endpoint.public_access_cidrs: '203.0.113.0/33' is not an IPv4 network in CIDR "
            "notation",
        ),
        (
            {"eks": {"endpoint": {"public_access_cidrs": ["203.0.113.1/24"]}}},
            "eks.endpoint.public_access_cidrs: '203.0.113.1/24' is not an IPv4 network",
        ),
        (
            {"eks": {"endpoint": {"access": "public_and_private", "public_access_cidrs": []}}},
            "eks.endpoint: public_access_cidrs: required with access public_and_private",
        ),
        (
            {"eks": {"endpoint": {"public_access_cidrs": ["0.0.0.0/0"]}}},
            "eks.endpoint.public_access_cidrs: '0.0.0.0/0' opens the API endpoint to the whole "
            "internet; allowed: your office or VPN egress CIDRs",
        ),
        (
            {"eks": {"access": {"cluster_admin_role_arns": ["arn:aws:iam::123:role/admin"]}}},
            "eks.access.cluster_admin_role_arns: 'arn:aws:iam::123:role/admin': not an IAM role "
            "ARN",
        ),
        (
            {"eks": {"access": {"cluster_admin_role_arns": ["arn:aws:iam::123456789012:user/x"]}}},
            "not an IAM role ARN; allowed: arn:PARTITION:iam::ACCOUNT:role/NAME such as "
            "arn:aws:iam::123456789012:role/platform-admin",
        ),
        (
            {"eks": {"addon_versions": {"coredns": "v1.14.3-eksbuild.3"}}},
            "eks.addon_versions: unknown field; did you mean 'addons'?; allowed: access, addons, "
            "argocd",
        ),
        (
            {"eks": {"kubernetes_version": "1.35", "sample_workload": {"enabled": True}}},
            "eks: sample_workload: needs the kubectl layer of Kubernetes 1.35 "
            "(aws-cdk.lambda-layer-kubectl-v35); the pinned layer is "
            "aws-cdk.lambda-layer-kubectl-v36 (Kubernetes 1.36)",
        ),
        (
            {"eks": {"sample_workload": {"image": {"repository": "missing", "tag": "1"}}}},
            "eks.sample_workload.image.repository: 'missing' is not one of registry.repositories; "
            "allowed: sample-app",
        ),
        (
            {"eks": {"control_plane_log_retention_days": 8}},
            "eks.control_plane_log_retention_days: 8 is not a CloudWatch Logs retention",
        ),
        (
            {"eks": {"compute": {"mode": "fargate", "fargate_profiles": [_KUBE_SYSTEM]}}},
            "eks.compute: node_groups: only with mode managed_nodes, not fargate",
        ),
        (
            {
                "eks": {
                    "compute": {
                        "mode": "auto_mode",
                        "node_groups": [],
                        "fargate_profiles": [_KUBE_SYSTEM],
                    }
                }
            },
            "eks.compute: fargate_profiles: not with mode auto_mode (Auto Mode runs all pods)",
        ),
    ],
    ids=lambda value: None if isinstance(value, dict) else value[:40],
)
def test_bad_eks_input_is_a_clear_error(overrides: dict[str, Any], message: str) -> None:
    assert message in _message(overrides)


def test_production_rejects_a_malformed_admin_arn_too() -> None:
    message = _message({"eks": {"access": {"cluster_admin_role_arns": ["admin"]}}}, "production")
    assert "Invalid configuration for environment 'production'" in message
    assert "eks.access.cluster_admin_role_arns: 'admin': not an IAM role ARN" in message


def test_repository_image_from_the_registry_is_accepted() -> None:
    config = load_config(
        "sandbox",
        overrides={
            "eks": {"sample_workload": {"image": {"repository": "sample-app", "tag": "v1"}}}
        },
    )
    assert config.eks.sample_workload.image.repository == "sample-app"


def test_versions_eks_no_longer_creates_are_refused() -> None:
    """Found by the config-space test: 1.25 validated, then failed cdk-preflight's
    pf-eks-cluster-version-unsupported at synth (EKS refuses CreateCluster on it)."""
    with pytest.raises(ConfigError) as error:
        load_config("sandbox", overrides={"eks": {"kubernetes_version": "1.29"}})
    assert "eks.kubernetes_version: '1.29': EKS no longer creates clusters on it" in str(
        error.value
    )
    assert load_config("sandbox", overrides={"eks": {"kubernetes_version": "1.30"}})


# ---- Day two: add-ons, workload identities, team access, lifecycle, Argo CD ------------------

ROLE = "arn:aws:iam::123456789012:role/team-a"
FARGATE = {
    "mode": "fargate",
    "node_groups": [],
    "fargate_profiles": [{"name": "system", "selectors": [{"namespace": "kube-system"}]}],
}
AUTO = {"mode": "auto_mode", "node_groups": []}
READ_REPORTS = {
    "namespace": "reports",
    "service_account": "reader",
    "statements": [
        {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::reports-bucket/daily.csv"]}
    ],
}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"eks": {"addons": {"vpc-cni": {"version": "1.22"}}}},
            "eks.addons.vpc-cni.version: '1.22' is not an add-on version such as "
            "v1.22.4-eksbuild.3",
        ),
        (
            {"eks": {"addons": {"coredns": None}}},
            "eks: addons.coredns: managed_nodes needs it (no self-managed copy is bootstrapped)",
        ),
        (
            {"eks": {"addons": {"aws-efs-csi-driver": {}}}},
            "eks: addons.aws-efs-csi-driver.version: required: the platform's table has no "
            "version of aws-efs-csi-driver for Kubernetes 1.36",
        ),
        (
            {"eks": {"addons": {"snapshot-controller": {"configuration": {"x": float("nan")}}}}},
            "eks.addons.snapshot-controller.configuration: not a JSON object",
        ),
        (
            {"eks": {"addons": {"Bad Name": {}}}},
            "eks.addons: 'Bad Name': not EKS add-on names such as metrics-server",
        ),
        (
            {"eks": {"compute": AUTO, "addons": {"vpc-cni": {}}}},
            "eks: addons.vpc-cni: EKS Auto Mode runs vpc-cni itself",
        ),
        (
            {"eks": {"compute": AUTO, "addons": {"aws-ebs-csi-driver": {}}}},
            "eks: addons.aws-ebs-csi-driver: EKS Auto Mode runs aws-ebs-csi-driver itself",
        ),
        (
            {"eks": {"compute": FARGATE, "addons": {"aws-ebs-csi-driver": {}}}},
            "eks: addons.aws-ebs-csi-driver: Fargate pods cannot mount EBS volumes",
        ),
        (
            {"eks": {"compute": FARGATE, "addons": {"vpc-cni": {"pod_identity": {}}}}},
            "eks: addons.vpc-cni.pod_identity: EKS Pod Identity is not available on Fargate",
        ),
        (
            {"eks": {"compute": AUTO, "bootstrap_self_managed_addons": True}},
            "eks: bootstrap_self_managed_addons: true is not allowed with compute mode auto_mode "
            "(Auto Mode runs networking, DNS and kube-proxy itself); allowed: false",
        ),
        (
            {"eks": {"addons": {"kube-proxy": {"version": "v1.37.0-eksbuild.1"}}}},
            "eks: addons.kube-proxy.version: v1.37.0-eksbuild.1 is newer than the control "
            "plane's Kubernetes 1.36, which the Kubernetes version skew policy EKS applies to "
            "kube-proxy refuses; allowed: a v1.33.x to v1.36.x build (the platform's: "
            "v1.36.0-eksbuild.14, or leave version unset)",
        ),
        (
            {"eks": {"addons": {"kube-proxy": {"version": "v1.32.13-eksbuild.16"}}}},
            "eks: addons.kube-proxy.version: v1.32.13-eksbuild.16 is more than 3 minor versions "
            "older than the control plane's Kubernetes 1.36",
        ),
        (
            {"eks": {"compute": FARGATE, "workload_identities": [READ_REPORTS]}},
            "eks: workload_identities: EKS Pod Identity is not available on Fargate",
        ),
        (
            {"eks": {"addons": {"eks-pod-identity-agent": None}}},
            "eks: addons.eks-pod-identity-agent: needed by the Pod Identity roles of vpc-cni, "
            "aws-ebs-csi-driver",
        ),
        (
            {"eks": {"addons": {"metrics-server": {"pod_identity": {}}}}},
            "eks: addons.metrics-server.pod_identity.service_account: required for metrics-server",
        ),
        (
            {"eks": {"addons": {"snapshot-controller": {
                "version": "v8.3.0-eksbuild.1", "pod_identity": {"service_account": "x"}}}}},
            "eks: addons.snapshot-controller.pod_identity: a role for x needs "
            "aws_managed_policies, managed_policy_arns or statements",
        ),
        (
            {"eks": {"workload_identities": [{**READ_REPORTS, "statements": []}]}},
            "eks.workload_identities.0: a workload identity needs managed_policy_arns or "
            "statements",
        ),
        (
            {"eks": {"addons": {"aws-efs-csi-driver": {"version": "v2.1.0-eksbuild.1",
                "pod_identity": {"service_account": "efs-csi-controller-sa",
                                 "aws_managed_policies": ["arn:aws:iam::aws:policy/X"]}}}}},
            "eks.addons.aws-efs-csi-driver.pod_identity.aws_managed_policies: "
            "'arn:aws:iam::aws:policy/X': not an AWS managed policy name",
        ),
        (
            {"eks": {"workload_identities": [READ_REPORTS, READ_REPORTS]}},
            "eks.workload_identities: reports/reader listed twice; EKS allows one Pod Identity "
            "association per service account",
        ),
        (
            {"eks": {"workload_identities": [{**READ_REPORTS, "namespace": "Reports"}]}},
            "eks.workload_identities.0.namespace: 'Reports' is not a Kubernetes namespace name",
        ),
        (
            {"eks": {"workload_identities": [{**READ_REPORTS, "statements": [
                {"actions": ["s3:*"], "resources": ["arn:aws:s3:::reports-bucket"]}]}]}},
            "eks.workload_identities.0.statements.0.actions: 's3:*': wildcards are not allowed",
        ),
        (
            {"eks": {"workload_identities": [{**READ_REPORTS, "statements": [
                {"actions": ["s3:GetObject"], "resources": ["reports-bucket"]}]}]}},
            "eks.workload_identities.0.statements.0.resources: 'reports-bucket' is not an ARN",
        ),
        (
            {"eks": {"workload_identities": [{**READ_REPORTS, "managed_policy_arns": [
                "arn:aws:iam::aws:policy/AmazonS3FullAccess"]}]}},
            "eks.workload_identities.0.managed_policy_arns: "
            "'arn:aws:iam::aws:policy/AmazonS3FullAccess': not a customer managed policy ARN",
        ),
        (
            {"eks": {"access": {"viewer_role_arns": ["arn:aws:iam::123456789012:user/x"]}}},
            "eks.access.viewer_role_arns: 'arn:aws:iam::123456789012:user/x': not an IAM role ARN",
        ),
        (
            {"eks": {"access": {"namespace_access": [
                {"role_arn": "team-a", "namespaces": ["a"]}]}}},
            "eks.access.namespace_access.0.role_arn: 'team-a': not an IAM role ARN",
        ),
        (
            {"eks": {"access": {"namespace_access": [{"role_arn": ROLE, "namespaces": []}]}}},
            "eks.access.namespace_access.0.namespaces: 0 items is not allowed; "
            "allowed: at least 1 item",
        ),
        (
            {"eks": {"access": {"namespace_access": [{"role_arn": ROLE, "namespaces": ["A_b"]}]}}},
            "eks.access.namespace_access.0.namespaces: A_b: not Kubernetes namespace names",
        ),
        (
            {"eks": {"access": {"viewer_role_arns": [ROLE],
                                "namespace_access": [{"role_arn": ROLE, "namespaces": ["a"]}]}}},
            "eks.access: namespace_access: arn:aws:iam::123456789012:role/team-a is also in "
            "viewer_role_arns; EKS allows one access entry per IAM principal",
        ),
        (
            {"eks": {"upgrade_policy": "NONE"}},
            "eks.upgrade_policy: 'NONE' is not allowed; allowed: 'STANDARD', 'EXTENDED'",
        ),
        (
            {"eks": {"control_plane_scaling_tier": "tier-16xl"}},
            "eks.control_plane_scaling_tier: 'tier-16xl' is not allowed; allowed: 'standard', "
            "'tier-xl'",
        ),
        (
            {"eks": {"compute": {"node_groups": [{"name": "ng", "instance_types": ["m7i.large"],
                                                  "release_version": "1.36"}]}}},
            "eks.compute.node_groups.0.release_version: '1.36' is not an EKS AMI release version",
        ),
        (
            {"eks": {"argocd": {"enabled": True}}},
            "eks.argocd: idc_instance_arn: required when enabled (the Argo CD capability signs "
            "users in through IAM Identity Center only)",
        ),
        (
            {"eks": {"argocd": {"enabled": True, "idc_instance_arn": "ssoins-1"}}},
            "eks.argocd.idc_instance_arn: 'ssoins-1' is not an IAM Identity Center instance ARN",
        ),
        (
            {"eks": {"argocd": {"managed_policy_arns": ["arn:aws:iam::aws:policy/AdminAccess"]}}},
            "eks.argocd.managed_policy_arns: 'arn:aws:iam::aws:policy/AdminAccess': not a "
            "customer managed policy ARN",
        ),
        (
            {"eks": {"argocd": {"idc_region": "moon-1"}}},
            "eks.argocd.idc_region: 'moon-1' is not an AWS region name",
        ),
        (
            {"eks": {"argocd": {"role_mappings": [
                {"role": "ADMIN", "identities": [{"id": "g1"}]},
                {"role": "ADMIN", "identities": [{"id": "g2"}]}]}}},
            "eks.argocd: role_mappings: ADMIN mapped twice",
        ),
    ],
    ids=lambda value: None if isinstance(value, dict) else value[:50],
)  # fmt: skip
def test_bad_day_two_input_is_a_clear_error(overrides: dict[str, Any], message: str) -> None:
    assert message in _message(overrides)


def test_every_default_addon_has_a_version_for_every_creatable_kubernetes_version() -> None:
    """The add-on table covers each version the config accepts, in every compute mode, so the
    upgrade path moves every add-on."""
    for version in CREATABLE_KUBERNETES_VERSIONS:
        for compute in ({}, FARGATE, AUTO):
            config = load_config(
                "sandbox", overrides={"eks": {"kubernetes_version": version, "compute": compute}}
            )
            for addon in config.eks.resolved_addons():
                assert addon.version == ADDON_VERSIONS[addon.name][version]


@pytest.mark.parametrize("kubernetes", list(KUBERNETES_RELEASES))
def test_kube_proxy_may_trail_the_control_plane_by_three_minors_never_lead_it(
    kubernetes: str,
) -> None:
    minor = int(kubernetes.split(".")[1])
    allowed = {behind: kube_proxy_skew(f"v1.{minor - behind}.2-eksbuild.1", kubernetes)
               for behind in range(-2, 6)}  # fmt: skip
    assert [behind for behind, skew in allowed.items() if skew is None] == [0, 1, 2, 3]
    assert kube_proxy_skew(f"v2.{minor}.0-eksbuild.1", kubernetes) is not None
    assert kube_proxy_skew("v1.1.0", "1.x") is None  # nothing to compare: not this check's


def test_a_kube_proxy_pinned_within_the_skew_is_installed_as_pinned() -> None:
    config = load_config(
        "sandbox",
        overrides={"eks": {"addons": {"kube-proxy": {"version": "v1.33.10-eksbuild.13"}}}},
    )
    (proxy,) = [a for a in config.eks.resolved_addons() if a.name == "kube-proxy"]
    assert proxy.version == "v1.33.10-eksbuild.13"


def test_addon_map_merges_over_the_defaults() -> None:
    """{} takes the defaults, a version or configuration overrides, null removes, a new name
    adds (with a version when the table has none)."""
    config = load_config(
        "sandbox",
        overrides={
            "eks": {
                "addons": {
                    "metrics-server": None,
                    "coredns": {
                        "version": "v1.14.7-eksbuild.11",
                        "configuration": {"replicaCount": 3},
                    },
                    "aws-ebs-csi-driver": {"configuration": {}},
                    "snapshot-controller": {"version": "v8.3.0-eksbuild.1"},
                    "amazon-cloudwatch-observability": {},
                }
            }
        },
    )
    addons = {addon.name: addon for addon in config.eks.resolved_addons()}
    assert list(addons) == [
        "vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver",
        "snapshot-controller", "amazon-cloudwatch-observability",
    ]  # fmt: skip
    assert addons["coredns"].version == "v1.14.7-eksbuild.11"
    assert addons["coredns"].configuration == {"replicaCount": 3}
    assert addons["aws-ebs-csi-driver"].configuration == {}
    assert addons["aws-ebs-csi-driver"].service_account == "ebs-csi-controller-sa"
    assert addons["amazon-cloudwatch-observability"].aws_managed_policies == (
        "CloudWatchAgentServerPolicy",
    )
    assert addons["snapshot-controller"].service_account is None
    assert addons["vpc-cni"].before_compute
    assert not addons["coredns"].before_compute


def test_an_addon_role_can_be_turned_off_or_extended() -> None:
    statement = {
        "actions": ["kms:Decrypt"],
        "resources": [f"arn:aws:kms:us-east-1:{'1' * 12}:key/k"],
    }
    config = load_config(
        "sandbox",
        overrides={
            "eks": {
                "addons": {
                    "vpc-cni": {"pod_identity": {"enabled": False}},
                    "aws-ebs-csi-driver": {"pod_identity": {"statements": [statement]}},
                }
            }
        },
    )
    addons = {addon.name: addon for addon in config.eks.resolved_addons()}
    assert addons["vpc-cni"].service_account is None
    assert len(addons["aws-ebs-csi-driver"].statements) == 1
    assert addons["aws-ebs-csi-driver"].aws_managed_policies == (
        "service-role/AmazonEBSCSIDriverPolicy",
    )


def test_fargate_and_auto_mode_default_sets() -> None:
    fargate = load_config("sandbox", overrides={"eks": {"compute": FARGATE}}).eks
    assert [a.name for a in fargate.resolved_addons()] == [
        "vpc-cni",
        "kube-proxy",
        "coredns",
        "metrics-server",
    ]
    assert all(a.service_account is None for a in fargate.resolved_addons())
    coredns = next(a for a in fargate.resolved_addons() if a.name == "coredns")
    assert coredns.configuration == {"computeType": "Fargate"}
    auto = load_config("sandbox", overrides={"eks": {"compute": AUTO}}).eks
    assert [a.name for a in auto.resolved_addons()] == ["metrics-server"]


def test_lifecycle_defaults_per_environment() -> None:
    sandbox, production = load_config("sandbox").eks, load_config("production").eks
    assert sandbox.upgrade_policy == production.upgrade_policy == "STANDARD"
    assert (sandbox.deletion_protection, sandbox.zonal_shift) == (False, False)
    assert (production.deletion_protection, production.zonal_shift) == (True, True)
    assert not sandbox.bootstrap_self_managed_addons
    assert "amazon-cloudwatch-observability" in production.addons
    assert "amazon-cloudwatch-observability" not in sandbox.addons


@pytest.mark.parametrize(
    ("today", "version", "refused"),
    [
        (date(2026, 12, 3), "1.31", True),  # extended support ended 2026-11-26
        (date(2026, 11, 25), "1.31", False),  # its last day of extended support
        (date(2026, 12, 3), "1.32", False),  # in extended support: a warning, not an error
        (date(2028, 8, 2), "1.36", True),
    ],
)
def test_versions_past_extended_support_are_refused_on_the_day_given(
    today: date, version: str, refused: bool
) -> None:
    overrides = {"eks": {"kubernetes_version": version}}
    if not refused:
        assert load_config("sandbox", overrides=overrides, today=today)
        return
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=overrides, today=today)
    message = str(caught.value)
    assert f"eks.kubernetes_version: '{version}': Kubernetes {version} reached the end of EKS " in (
        message
    )
    assert "upgrade one minor at a time to" in message or "no newer minor" in message
    assert "allowed:" in message
    # Without a day (tools, property tests) only the static rule applies.
    assert load_config("sandbox", overrides=overrides)
