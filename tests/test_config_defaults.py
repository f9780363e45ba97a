"""Constructs own their defaults: a config field that maps 1:1 onto a construct prop defaults to
the prop's default (what the platform deliberately sets otherwise, such as the nginx sample's uid
101, is set per environment in platform_config/environments.py). The config keeps the values as
literals, since importing the constructs (aws-cdk-lib) would add about 2 s to loading a config;
this table makes any drift fail."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from pydantic import BaseModel

from container_constructs.common import retention_days
from container_constructs.ecs_ec2_cluster import Ec2ClusterProps
from container_constructs.ecs_fargate_cluster import FargateClusterProps
from container_constructs.eks_cluster import EksClusterProps, NodeGroupSpec, SampleWorkloadSpec
from container_constructs.load_balancer import SharedLoadBalancerProps
from container_constructs.network import NetworkProps
from container_constructs.registry import ContainerRegistryProps, RepositorySpec
from container_constructs.web_service import WebServiceProps
from platform_config import ENVIRONMENTS, load_config
from platform_config.ecs import (
    ClusterConfig,
    Ec2ClusterConfig,
    LoadBalancerConfig,
    RouteConfig,
    ScalingConfig,
    ServiceConfig,
)
from platform_config.eks import (
    AccessConfig,
    ComputeConfig,
    EksConfig,
    EndpointConfig,
    NodeGroupConfig,
    SampleWorkloadConfig,
)
from platform_config.network import NetworkConfig
from platform_config.registry import LifecycleConfig, RegistryConfig, RepositoryConfig


def _same(value: Any) -> Any:
    return value


def _tuple(value: Any) -> Any:
    return tuple(value)


def _seconds(value: Any) -> Any:
    return value.to_seconds() if isinstance(value, Duration) else value


def _days(value: Any) -> Any:
    return value.to_days() if isinstance(value, Duration) else value


def _insights(value: Any) -> Any:
    return value.value.lower() if isinstance(value, ecs.ContainerInsights) else value


def _architecture(value: Any) -> Any:
    if isinstance(value, ecs.CpuArchitecture):
        return "arm64" if value == ecs.CpuArchitecture.ARM64 else "x86_64"
    return value


def _retention(value: Any) -> Any:
    return retention_days(value) if isinstance(value, int) else value


def _kms(value: Any) -> Any:
    if isinstance(value, ecr.RepositoryEncryption):
        return value.value == "KMS"
    return value


# (config model, field, props class, prop, how both sides are made comparable)
Normalize = Callable[[Any], Any]
MAPPED: list[tuple[type[BaseModel], str, type[Any], str, Normalize]] = [
    # ecs.ec2 -> Ec2ClusterProps
    (Ec2ClusterConfig, "machine_image", Ec2ClusterProps, "machine_image", _same),
    (Ec2ClusterConfig, "min_instances", Ec2ClusterProps, "min_instances", _same),
    (Ec2ClusterConfig, "max_instances", Ec2ClusterProps, "max_instances", _same),
    (
        Ec2ClusterConfig,
        "target_capacity_percent",
        Ec2ClusterProps,
        "target_capacity_percent",
        _same,
    ),
    (Ec2ClusterConfig, "spot", Ec2ClusterProps, "spot", _same),
    (
        Ec2ClusterConfig,
        "on_demand_base_capacity",
        Ec2ClusterProps,
        "on_demand_base_capacity",
        _same,
    ),
    (
        Ec2ClusterConfig,
        "managed_termination_protection",
        Ec2ClusterProps,
        "managed_termination_protection",
        _same,
    ),
    (Ec2ClusterConfig, "root_volume_gib", Ec2ClusterProps, "root_volume_gib", _same),
    # ecs.<kind> -> both cluster constructs
    (ClusterConfig, "container_insights", Ec2ClusterProps, "container_insights", _insights),
    (ClusterConfig, "container_insights", FargateClusterProps, "container_insights", _insights),
    (ClusterConfig, "exec_log_retention_days", Ec2ClusterProps, "exec_log_retention", _retention),
    (
        ClusterConfig,
        "exec_log_retention_days",
        FargateClusterProps,
        "exec_log_retention",
        _retention,
    ),
    # ecs.<kind>.load_balancer -> SharedLoadBalancerProps
    (LoadBalancerConfig, "certificate_arn", SharedLoadBalancerProps, "certificate_arn", _same),
    (LoadBalancerConfig, "internal", SharedLoadBalancerProps, "internal", _same),
    (
        LoadBalancerConfig,
        "additional_certificate_arns",
        SharedLoadBalancerProps,
        "additional_certificate_arns",
        _tuple,
    ),
    (
        LoadBalancerConfig,
        "idle_timeout_seconds",
        SharedLoadBalancerProps,
        "idle_timeout",
        _seconds,
    ),
    (
        LoadBalancerConfig,
        "access_log_retention_days",
        SharedLoadBalancerProps,
        "access_log_expiration",
        _days,
    ),
    # ecs.<kind>.services[] -> WebServiceProps
    (ServiceConfig, "container_port", WebServiceProps, "container_port", _same),
    (ServiceConfig, "user", WebServiceProps, "user", _same),
    (ServiceConfig, "cpu", WebServiceProps, "cpu", _same),
    (ServiceConfig, "memory_mib", WebServiceProps, "memory_mib", _same),
    (ServiceConfig, "cpu_architecture", WebServiceProps, "cpu_architecture", _architecture),
    (ServiceConfig, "writable_paths", WebServiceProps, "writable_paths", _tuple),
    (ServiceConfig, "secrets", WebServiceProps, "secrets", _same),
    (ServiceConfig, "health_check_path", WebServiceProps, "health_check_path", _same),
    (
        ServiceConfig,
        "health_check_grace_seconds",
        WebServiceProps,
        "health_check_grace",
        _seconds,
    ),
    (ServiceConfig, "enable_execute_command", WebServiceProps, "enable_execute_command", _same),
    (ServiceConfig, "log_retention_days", WebServiceProps, "log_retention", _retention),
    (RouteConfig, "paths", WebServiceProps, "path_patterns", _tuple),
    (RouteConfig, "hosts", WebServiceProps, "host_headers", _tuple),
    (ScalingConfig, "min_tasks", WebServiceProps, "min_tasks", _same),
    (ScalingConfig, "max_tasks", WebServiceProps, "max_tasks", _same),
    (ScalingConfig, "desired_tasks", WebServiceProps, "desired_tasks", _same),
    (ScalingConfig, "cpu_target_percent", WebServiceProps, "cpu_target_percent", _same),
    (ScalingConfig, "requests_per_target", WebServiceProps, "requests_per_target", _same),
    # network -> NetworkProps
    (NetworkConfig, "vpc_cidr", NetworkProps, "vpc_cidr", _same),
    (NetworkConfig, "vpc_endpoints", NetworkProps, "vpc_endpoints", _same),
    (NetworkConfig, "flow_log_retention_days", NetworkProps, "flow_log_retention", _retention),
    # registry -> ContainerRegistryProps / RepositorySpec
    (RegistryConfig, "kms_encryption", ContainerRegistryProps, "encryption", _kms),
    (
        RegistryConfig,
        "cross_account_pull_accounts",
        ContainerRegistryProps,
        "cross_account_pull_accounts",
        _tuple,
    ),
    (RegistryConfig, "replication_regions", ContainerRegistryProps, "replication_regions", _tuple),
    (RegistryConfig, "pull_through_cache", ContainerRegistryProps, "pull_through_cache", _same),
    (RepositoryConfig, "tag_immutability", RepositorySpec, "tag_immutability", _same),
    (RepositoryConfig, "scan_on_push", RepositorySpec, "scan_on_push", _same),
    (
        LifecycleConfig,
        "untagged_image_expiry_days",
        RepositorySpec,
        "untagged_image_expiry_days",
        _same,
    ),
    (LifecycleConfig, "max_image_count", RepositorySpec, "max_image_count", _same),
    # eks -> EksClusterProps / NodeGroupSpec / SampleWorkloadSpec
    (ComputeConfig, "mode", EksClusterProps, "compute_mode", _same),
    (AccessConfig, "cluster_admin_role_arns", EksClusterProps, "cluster_admin_role_arns", _tuple),
    (AccessConfig, "bootstrap_creator_admin", EksClusterProps, "bootstrap_creator_admin", _same),
    (AccessConfig, "viewer_role_arns", EksClusterProps, "viewer_role_arns", _tuple),
    (AccessConfig, "namespace_access", EksClusterProps, "namespace_access", _tuple),
    (
        EksConfig,
        "bootstrap_self_managed_addons",
        EksClusterProps,
        "bootstrap_self_managed_addons",
        _same,
    ),
    (EksConfig, "workload_identities", EksClusterProps, "workload_identities", _tuple),
    (EksConfig, "upgrade_policy", EksClusterProps, "upgrade_support_type", _same),
    (EksConfig, "deletion_protection", EksClusterProps, "deletion_protection", _same),
    (EksConfig, "zonal_shift", EksClusterProps, "zonal_shift", _same),
    (
        EksConfig,
        "control_plane_scaling_tier",
        EksClusterProps,
        "control_plane_scaling_tier",
        _same,
    ),
    (EksConfig, "control_plane_log_retention_days", EksClusterProps, "log_retention", _retention),
    (NodeGroupConfig, "graviton", NodeGroupSpec, "graviton", _same),
    (NodeGroupConfig, "min_size", NodeGroupSpec, "min_size", _same),
    (NodeGroupConfig, "max_size", NodeGroupSpec, "max_size", _same),
    (NodeGroupConfig, "desired_size", NodeGroupSpec, "desired_size", _same),
    (NodeGroupConfig, "disk_size_gib", NodeGroupSpec, "disk_size_gib", _same),
    (NodeGroupConfig, "labels", NodeGroupSpec, "labels", _same),
    (NodeGroupConfig, "release_version", NodeGroupSpec, "release_version", _same),
    (SampleWorkloadConfig, "container_port", SampleWorkloadSpec, "container_port", _same),
    (SampleWorkloadConfig, "replicas", SampleWorkloadSpec, "replicas", _same),
    (SampleWorkloadConfig, "namespace", SampleWorkloadSpec, "namespace", _same),
]


def _model_default(model: type[BaseModel], name: str) -> Any:
    field = model.model_fields[name]
    return field.get_default(call_default_factory=True)


def _prop_default(props: type[Any], name: str) -> Any:
    field = {f.name: f for f in dataclasses.fields(props)}[name]
    if field.default is not dataclasses.MISSING:
        return field.default
    assert field.default_factory is not dataclasses.MISSING, f"{props.__name__}.{name} required"
    return field.default_factory()


@pytest.mark.parametrize(
    ("model", "field", "props", "prop", "normalize"),
    [
        pytest.param(*row, id=f"{row[0].__name__}.{row[1]}->{row[2].__name__}.{row[3]}")
        for row in MAPPED
    ],
)
def test_config_default_is_the_constructs(
    model: type[BaseModel], field: str, props: type[Any], prop: str, normalize: Normalize
) -> None:
    assert normalize(_model_default(model, field)) == normalize(_prop_default(props, prop))


def test_special_mappings() -> None:
    """Defaults whose mapping is not 1:1 still agree: capacity_type on_demand is spot False, and
    no public CIDRs is the construct's private endpoint (public_access_cidrs None)."""
    assert _model_default(NodeGroupConfig, "capacity_type") == "on_demand"
    assert _prop_default(NodeGroupSpec, "spot") is False
    assert _model_default(EndpointConfig, "access") == "private"
    assert _model_default(EndpointConfig, "public_access_cidrs") == []
    assert _prop_default(EksClusterProps, "public_access_cidrs") is None
    assert _model_default(RegistryConfig, "enhanced_scanning") == "off"
    assert _prop_default(ContainerRegistryProps, "enhanced_scan_frequency") is None


def test_every_mapped_field_with_a_default_is_in_the_table() -> None:
    """A prop that the stacks fill from a config field with a default must be listed above."""
    listed = {(model, field) for model, field, *_ in MAPPED}
    listed |= {
        (NodeGroupConfig, "capacity_type"),
        (EndpointConfig, "access"),
        (EndpointConfig, "public_access_cidrs"),
        (RegistryConfig, "enhanced_scanning"),
    }
    not_construct_props = {  # platform-level choices with no construct default to follow
        (ServiceConfig, "name"),
        (ServiceConfig, "image"),
        (ServiceConfig, "scaling"),
        (ClusterConfig, "load_balancer"),
        (ClusterConfig, "services"),
        (ClusterConfig, "services_per_stack"),
        (ClusterConfig, "load_balancers"),  # more groups: more SharedLoadBalancers
        (ClusterConfig, "services_per_load_balancer"),  # placement: which ALB, not how
        (ServiceConfig, "load_balancer"),  # placement: which ALB
        (RegistryConfig, "repositories"),
        (RegistryConfig, "ci_publisher"),
        (RepositoryConfig, "lifecycle"),
        (EksConfig, "enabled"),
        (EksConfig, "kubernetes_version"),
        (EksConfig, "compute"),
        (EksConfig, "endpoint"),
        (EksConfig, "access"),
        (AccessConfig, "deployer_admin"),  # a deploy-time parameter of the stack, not a prop
        (EksConfig, "sample_workload"),
        # merged over the compute mode's default set; the construct's None is that same set
        # (default_addon_specs), compared in tests/test_eks_addons.py
        (EksConfig, "addons"),
        (EksConfig, "argocd"),  # a section: off by default, the construct's None
        (ComputeConfig, "node_groups"),
        (ComputeConfig, "fargate_profiles"),
        (SampleWorkloadConfig, "enabled"),
        (SampleWorkloadConfig, "image"),
    }
    models = {
        Ec2ClusterConfig, ClusterConfig, LoadBalancerConfig, ServiceConfig, RouteConfig,
        ScalingConfig, NetworkConfig, RegistryConfig, RepositoryConfig, LifecycleConfig,
        ComputeConfig, AccessConfig, EksConfig, NodeGroupConfig, SampleWorkloadConfig,
        EndpointConfig,
    }  # fmt: skip
    missing = sorted(
        f"{model.__name__}.{name}"
        for model in models
        for name, info in model.model_fields.items()
        if not info.is_required()
        and name in inspect.get_annotations(model)
        and (model, name) not in listed | not_construct_props
    )
    assert not missing, f"add to MAPPED (or to not_construct_props, saying why): {missing}"


def test_sample_services_keep_running_nginx_as_101() -> None:
    """The sample image needs uid 101 and /var/cache/nginx: set per environment, not defaulted."""
    for name in ENVIRONMENTS:
        config = load_config(name)
        for service in config.ecs.ec2.services + config.ecs.fargate.services:
            assert service.user == "101"
            assert service.writable_paths == ["/tmp", "/var/cache/nginx"]
    assert not load_config("sandbox").ecs.ec2.managed_termination_protection
    assert load_config("production").ecs.ec2.managed_termination_protection
