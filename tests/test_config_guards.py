"""Issue #13: every `raise ValueError` a construct or stack could hit on a validated config has a
config rule that rejects the input first, with a message naming the environment and the field.
(The raises that no config can reach say why at the raise; see each construct's `_check`.)"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from platform_config import ENVIRONMENTS, ConfigError, load_config


def _ec2(**changes: Any) -> dict[str, Any]:
    return {"ecs": {"ec2": changes}}


def _fargate_service(**changes: Any) -> dict[str, Any]:
    service = copy.deepcopy(ENVIRONMENTS["sandbox"]["ecs"]["fargate"]["services"][0])
    service.update(changes)
    return {"ecs": {"fargate": {"services": [service]}}}


def _eks_compute(**compute: Any) -> dict[str, Any]:
    return {"eks": {"compute": compute}}


_GROUP = {"name": "ng", "instance_types": ["m7i.large"]}

# (raise site, overrides, what the ConfigError says)
GUARDS: list[tuple[str, dict[str, Any], str]] = [
    (
        "Ec2Cluster: instance_types needs at least one",
        _ec2(instance_types=[], spot=False),
        "ecs.ec2.instance_types: List should have at least 1 item",
    ),
    (
        "Ec2Cluster: target_capacity_percent must be 1-100",
        _ec2(target_capacity_percent=0),
        "ecs.ec2.target_capacity_percent: must be 1-100 (percent), got 0",
    ),
    (
        "Ec2Cluster: min_instances exceeds max_instances",
        _ec2(min_instances=3, max_instances=2),
        "ecs.ec2: min_instances (3) must not exceed max_instances (2)",
    ),
    (
        "Ec2Cluster: instance_types must share one CPU architecture",
        _ec2(instance_types=["t3.small", "t4g.small"]),
        "ecs.ec2.instance_types: mixes x86_64 (t3.small) and arm64/Graviton (t4g.small); "
        "allowed: instance types of one CPU architecture",
    ),
    (
        "ec2.InstanceType.architecture: Malformed instance type identifier",
        _ec2(instance_types=["u-6tb1.metal", "u-9tb1.metal"]),
        "ecs.ec2.instance_types: 'u-6tb1.metal': aws-cdk-lib cannot tell this instance type's "
        "CPU architecture",
    ),
    (
        "FargateCluster: default_strategy needs at least one provider",
        {"ecs": {"fargate": {"default_strategy": []}}},
        "ecs.fargate.default_strategy: List should have at least 1 item",
    ),
    (
        "WebService: give path_patterns and/or host_headers",
        _fargate_service(route={"priority": 1}),
        "ecs.fargate.services.0.route: route needs at least one of 'paths' or 'hosts'",
    ),
    (
        "WebService: health_check_path must start with '/'",
        _fargate_service(health_check_path="health"),
        "ecs.fargate.services.0.health_check_path: 'health' must start with '/'",
    ),
    (
        "WebService: min_tasks exceeds max_tasks",
        _fargate_service(scaling={"min_tasks": 3, "max_tasks": 2}),
        "ecs.fargate.services.0.scaling: min_tasks (3) must not exceed max_tasks (2)",
    ),
    (
        "WebService: desired_tasks outside [min_tasks, max_tasks]",
        _fargate_service(scaling={"min_tasks": 1, "max_tasks": 2, "desired_tasks": 3}),
        "ecs.fargate.services.0.scaling: desired_tasks (3) must be within",
    ),
    (
        "WebService: user is root",
        _fargate_service(user="root:root"),
        "ecs.fargate.services.0.user: 'root:root' runs as root",
    ),
    (
        "retention_days: not a CloudWatch Logs retention",
        _fargate_service(log_retention_days=8),
        "ecs.fargate.services.0.log_retention_days: 8 is not a CloudWatch Logs retention; "
        "allowed: 1, 3, 5",
    ),
    (
        "EcsServicesStack._repository: repository was not passed to the stack",
        _fargate_service(image={"repository": "other", "tag": "1.0"}),
        "ecs.fargate.services[0].image.repository: 'other' is not one of registry.repositories",
    ),
    (
        "Network: availability_zones needs at least two zones",
        {"network": {"availability_zones": ["us-east-1a"]}},
        "network.availability_zones: List should have at least 2 items",
    ),
    (
        "Network: nat_gateways must be 0 to the number of zones",
        {"network": {"nat_gateways": 3}},
        # The construct allows 0 (isolated subnets); config refuses it too (test_config.py).
        "network.nat_gateways: must be 1 to the number of availability zones (2), got 3",
    ),
    (
        "Network: vpc_cidr must be /16 to /20",
        {"network": {"vpc_cidr": "10.0.0.0/24"}},
        "network.vpc_cidr: prefix length must be /16 to /20, got /24",
    ),
    (
        "ContainerRegistry: repositories needs at least one repository",
        {"registry": {"repositories": []}},
        "registry.repositories: List should have at least 1 item",
    ),
    (
        "ContainerRegistry: duplicate repository names",
        {"registry": {"repositories": [{"name": "sample-app"}, {"name": "sample-app"}]}},
        "registry.repositories: duplicate repository names: sample-app",
    ),
    (
        "ContainerRegistry: not an ECR repository name",
        {"registry": {"repositories": [{"name": "Sample_App"}]}},
        "registry.repositories.0.name: 'Sample_App' is not an ECR repository name",
    ),
    (
        "ContainerRegistry: lifecycle days and counts must be at least 1",
        {
            "registry": {
                "repositories": [{"name": "sample-app", "lifecycle": {"max_image_count": 0}}]
            }
        },
        "registry.repositories.0.lifecycle.max_image_count: must be at least 1, got 0",
    ),
    (
        "ContainerRegistry: not account ids",
        {"registry": {"cross_account_pull_accounts": ["12345"]}},
        "registry.cross_account_pull_accounts: '12345' not a 12-digit AWS account id",
    ),
    (
        "ContainerRegistry: replication_regions includes the stack's own region",
        {"registry": {"replication_regions": ["us-east-1"]}},
        "registry.replication_regions: us-east-1 is the stack's own region",
    ),
    (
        "RegistryStack: repositories would share the output id",
        {"registry": {"repositories": [{"name": "sample-app"}, {"name": "sampleapp"}]}},
        "registry.repositories: 'sample-app' and 'sampleapp' differ only in separators",
    ),
    (
        "EksCluster: compute_mode managed_nodes needs node_groups",
        _eks_compute(mode="managed_nodes", node_groups=[]),
        "eks.compute: node_groups: mode managed_nodes needs at least one node group",
    ),
    (
        "EksCluster: node_groups need compute_mode managed_nodes",
        _eks_compute(
            mode="fargate",
            fargate_profiles=[{"name": "system", "selectors": [{"namespace": "kube-system"}]}],
        ),
        "eks.compute: node_groups: only with mode managed_nodes, not fargate",
    ),
    (
        "EksCluster: fargate_profiles cannot be combined with auto_mode",
        _eks_compute(
            mode="auto_mode",
            node_groups=[],
            fargate_profiles=[{"name": "system", "selectors": [{"namespace": "kube-system"}]}],
        ),
        "eks.compute: fargate_profiles: not with mode auto_mode",
    ),
    (
        "EksCluster: node group needs min_size <= desired_size <= max_size",
        _eks_compute(node_groups=[{**_GROUP, "min_size": 1, "max_size": 2, "desired_size": 3}]),
        "eks.compute.node_groups.0: desired_size (3) must be between min_size (1) and max_size (2)",
    ),
    (
        "EksCluster: Fargate profile has no selectors",
        _eks_compute(
            mode="fargate", node_groups=[], fargate_profiles=[{"name": "p", "selectors": []}]
        ),
        "eks.compute.fargate_profiles.0.selectors: a Fargate profile needs 1 to 5 selectors",
    ),
    (
        "EksCluster: sample_workload needs kubectl_layer / eks_stack.kubectl_layer: none pinned",
        {"eks": {"kubernetes_version": "1.35", "sample_workload": {"enabled": True}}},
        "eks: sample_workload: needs the kubectl layer of Kubernetes 1.35",
    ),
    (
        "EksCluster: bootstrap_self_managed_addons cannot be combined with auto_mode",
        {
            "eks": {
                "compute": {"mode": "auto_mode", "node_groups": []},
                "bootstrap_self_managed_addons": True,
            }
        },
        "eks: bootstrap_self_managed_addons: true is not allowed with compute mode auto_mode",
    ),
    (
        "EksCluster: workload_identities need Pod Identity, not on Fargate",
        {
            "eks": {
                "compute": {
                    "mode": "fargate",
                    "node_groups": [],
                    "fargate_profiles": [
                        {"name": "system", "selectors": [{"namespace": "kube-system"}]}
                    ],
                },
                "workload_identities": [
                    {
                        "namespace": "apps",
                        "service_account": "app",
                        "managed_policy_arns": ["arn:aws:iam::123456789012:policy/app"],
                    }
                ],
            }
        },
        "eks: workload_identities: EKS Pod Identity is not available on Fargate",
    ),
    (
        "eks_stack.image_reference: repository was not handed to the EKS stack",
        {"eks": {"sample_workload": {"image": {"repository": "other", "tag": "1.0"}}}},
        "eks.sample_workload.image.repository: 'other' is not one of registry.repositories",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [pytest.param(overrides, message, id=site) for site, overrides, message in GUARDS],
)
def test_config_rejects_what_a_construct_would_raise_on(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("sandbox", overrides=overrides)
    text = str(caught.value)
    assert text.startswith("Invalid configuration for environment 'sandbox':\n")
    assert message in text, text
