"""Each cluster is optional (`ecs.ec2`, `ecs.fargate`, `eks`: `enabled`), and a cluster whose
services need no load balancer has none. Two whole platforms, synthesized once each (integration
tier): a Fargate-only production (EC2 cluster and EKS off, the EC2 sample removed explicitly) and
a sandbox whose Fargate cluster runs no service. Each is checked against the config contract
(cdk-nag, cdk-preflight, the CloudFormation validation engine, the platform's security rules,
quotas, ALB subnets; tests/helpers/contract.py) and cfn-lint, and the tools that read an
assembly (the diagram, `make retained-resources`) follow what exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from platform_config import load_config
from stacks import names
from tests.helpers.apps import RECORD, synth_environment
from tests.helpers.contract import contract_problems, lint_problems, start_lint
from tools.deploy.retained_resources import retained_named_resources, stack_templates
from tools.docs import diagram
from tools.gates.lint_templates import stack_templates as linted_templates

pytestmark = pytest.mark.integration

FARGATE_ONLY = {
    "ecs": {"ec2": {"enabled": False, "services": {"sample": None}}},
    "eks": {"enabled": False},
}
NO_FARGATE_SERVICE = {"ecs": {"fargate": {"services": {"sample": None}}}, "eks": {"enabled": False}}
ALB = "AWS::ElasticLoadBalancingV2::LoadBalancer"


def _synth(environment: str, overrides: dict[str, Any], outdir: Path) -> Path:
    synth_environment(environment, outdir, overrides, RECORD)
    config = load_config(environment, overrides=overrides, config_dir=RECORD)
    problems = contract_problems(
        outdir,
        name=environment,
        kms_logs=config.kms_encrypted_logs,
        retain=config.retain_stateful_resources,
    )
    problems += lint_problems(start_lint(linted_templates(outdir)))
    assert not problems, "\n".join(problems)
    return outdir


@pytest.fixture(scope="module")
def fargate_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth("production", FARGATE_ONLY, tmp_path_factory.mktemp("fargate-only"))


@pytest.fixture(scope="module")
def no_fargate_service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth("sandbox", NO_FARGATE_SERVICE, tmp_path_factory.mktemp("no-fargate-service"))


def _templates(outdir: Path, environment: str) -> dict[str, dict[str, Any]]:
    return stack_templates(outdir, environment)


def _of_type(template: dict[str, Any], kind: str) -> list[str]:
    return [key for key, value in template["Resources"].items() if value["Type"] == kind]


def _unit(environment: str, unit: str) -> str:
    return names.stack_id(environment, unit)


def test_a_fargate_only_environment_has_no_ec2_cluster_and_no_ec2_alb(fargate_only: Path) -> None:
    """Exactly the network, the registry, the alarms and the Fargate cluster with its services;
    one ALB, the Fargate cluster's; no Auto Scaling group or capacity provider anywhere."""
    templates = _templates(fargate_only, "production")
    assert sorted(templates) == sorted(
        _unit("production", unit)
        for unit in (
            names.NETWORK_UNIT,
            names.REGISTRY_UNIT,
            names.ALARMS_UNIT,
            names.ecs_cluster_unit("fargate"),
            names.ecs_services_unit("fargate", 1),
        )
    )
    albs = {name: len(_of_type(template, ALB)) for name, template in templates.items()}
    assert {name: count for name, count in albs.items() if count} == {
        _unit("production", names.ecs_cluster_unit("fargate")): 1
    }
    everything = json.dumps(templates)
    for kind in ("AWS::AutoScaling::AutoScalingGroup", "AWS::ECS::CapacityProvider"):
        assert f'"{kind}"' not in everything, kind
    assert names.ecs_cluster_unit("ec2") not in everything


def test_the_tools_follow_the_stacks_that_exist(fargate_only: Path) -> None:
    """The diagram draws no EC2 cluster; `make retained-resources` lists the Fargate cluster's
    exec log group, the repository and the pull-through cache's repositories of the Fargate
    sample's images, nothing of EC2 or EKS."""
    block = diagram.generate(fargate_only)[1]
    assert "ECS cluster<br/>FargateCluster/Cluster" in block
    assert "Ec2Cluster" not in block
    assert "EKS cluster" not in block
    retained = retained_named_resources(_templates(fargate_only, "production"))
    fargate = _unit("production", names.ecs_cluster_unit("fargate"))
    registry = _unit("production", names.REGISTRY_UNIT)
    cache = names.pull_through_cache_prefix("production", True, "ecr-public")
    assert {(r.stack, r.name) for r in retained} == {
        (registry, "sample-app"),
        *(
            (registry, names.cached_repository_name(cache, path))
            for path in ("docker/library/busybox", "nginx/nginx-unprivileged")
        ),
        (fargate, names.exec_log_group_name(fargate)),
    }


def test_a_cluster_without_a_web_service_has_no_alb_bucket_or_alb_output(
    no_fargate_service: Path,
) -> None:
    """The Fargate cluster stays (its cluster and ECS Exec log group) with no load balancer, no
    access-log bucket, no ALB output, and no service stack; the EC2 cluster keeps its ALB."""
    templates = _templates(no_fargate_service, "sandbox")
    cluster = templates[_unit("sandbox", names.ecs_cluster_unit("fargate"))]
    assert _of_type(cluster, "AWS::ECS::Cluster")
    assert not _of_type(cluster, ALB)
    assert not _of_type(cluster, "AWS::S3::Bucket")
    assert names.load_balancer_dns_output(names.FIRST_LOAD_BALANCER) not in cluster["Outputs"]
    assert names.CLUSTER_NAME_OUTPUT in cluster["Outputs"]
    assert cluster["Description"] == "Container platform (sandbox): ECS on fargate"
    assert _unit("sandbox", names.ecs_services_unit("fargate", 1)) not in templates
    ec2 = templates[_unit("sandbox", names.ecs_cluster_unit("ec2"))]
    assert len(_of_type(ec2, ALB)) == 1
    assert ec2["Description"] == "Container platform (sandbox): ECS on ec2, shared ALB"
