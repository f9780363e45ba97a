"""The `eks` section: defaults per environment and a clear message for every bad input."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_eks_v2 as eks

from platform_config import ConfigError, load_config
from platform_config.base import is_graviton
from platform_config.eks import KNOWN_KUBERNETES_VERSIONS, KUBECTL_LAYER_PACKAGES

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
            "eks.compute.fargate_profiles.0.selectors: a Fargate profile needs 1 to 5 selectors",
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
            "not an IAM role ARN such as arn:aws:iam::123456789012:role/platform-admin",
        ),
        (
            {"eks": {"addon_versions": {"aws-ebs-csi-driver": "v1"}}},
            "eks.addon_versions: unknown add-on aws-ebs-csi-driver; allowed: vpc-cni, coredns",
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
