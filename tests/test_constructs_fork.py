"""Every construct works outside our app: in a foreign `App`/`Stack`, another region and account,
with an imported VPC instead of our network stack, and synthesizes cdk-nag clean.

All cases are built in ONE app (one stack per case) and synthesized once per session. A merged
construct is covered by adding one `ForkCase` to `FORK_CASES`. The whole wiring, as docs/fork.md
shows it, runs in tests/test_fork_doc.py; the last tests here pin what a foreign app may lack: a
VPC CIDR, a stack region, the partition-literals feature flag.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Annotations, App, Duration, Environment, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk.assertions import Template
from constructs import Construct

from container_constructs.backend_service import BackendService, BackendServiceProps
from container_constructs.common import LogEncryptionKey, secure_log_group
from container_constructs.ecs_ec2_cluster import Ec2Cluster, Ec2ClusterProps
from container_constructs.ecs_fargate_cluster import FargateCluster, FargateClusterProps
from container_constructs.eks_cluster import EksCluster, EksClusterProps, NodeGroupSpec
from container_constructs.load_balancer import SharedLoadBalancer, SharedLoadBalancerProps
from container_constructs.network import Network, NetworkProps
from container_constructs.registry import (
    ContainerRegistry,
    ContainerRegistryProps,
    RepositorySpec,
)
from container_constructs.scheduled_job import ScheduledJob, ScheduledJobProps
from container_constructs.web_service import WebService, WebServiceProps
from container_constructs.worker_service import WorkerService, WorkerServiceProps
from tests.helpers.apps import project_app, validation_violations

FOREIGN_ENV = Environment(account="111122223333", region="eu-west-1")
ZONES = ["eu-west-1a", "eu-west-1b"]


@dataclass(frozen=True)
class ForkCase:
    """One construct built the way a user of the package would build it.

    Attributes:
        name: the case's stack name (`Fork<name>`). Required.
        build: builds the construct in the given stack with the given imported VPC. Required.
        creates: a CloudFormation type the construct must create (proves the stack isn't empty).
            Required.
    """

    name: str
    build: Callable[[Stack, ec2.IVpc], Any]
    creates: str


def _encrypted_log_group(stack: Stack, _vpc: ec2.IVpc) -> None:
    key = LogEncryptionKey(stack, "LogKey", removal_policy=RemovalPolicy.DESTROY).key
    secure_log_group(
        stack,
        "Logs",
        retention=logs.RetentionDays.ONE_WEEK,
        removal_policy=RemovalPolicy.DESTROY,
        encryption_key=key,
    )


def _registry(stack: Stack, _vpc: ec2.IVpc) -> None:
    """KMS-encrypted repositories and a pull grant to a role of the user's own."""
    registry = ContainerRegistry(
        stack,
        "Registry",
        props=ContainerRegistryProps(
            repositories=[RepositorySpec(name="team/api"), RepositorySpec(name="team/worker")],
            encryption=ecr.RepositoryEncryption.KMS,
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )
    puller = iam.Role(stack, "Puller", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    registry.grant_pull(puller, "team/api")


def _ec2_cluster(stack: Stack, vpc: ec2.IVpc) -> None:
    Ec2Cluster(
        stack,
        "Ec2Cluster",
        props=Ec2ClusterProps(
            vpc=vpc,
            instance_types=["t3.small", "t3a.small"],
            spot=True,
            managed_termination_protection=False,
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )


def _fargate_cluster(stack: Stack, vpc: ec2.IVpc) -> None:
    FargateCluster(
        stack,
        "FargateCluster",
        props=FargateClusterProps(
            vpc=vpc,
            default_strategy=[
                ecs.CapacityProviderStrategy(capacity_provider="FARGATE", base=1, weight=1),
                ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=3),
            ],
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )


def _load_balancer(stack: Stack, vpc: ec2.IVpc) -> None:
    SharedLoadBalancer(
        stack,
        "LoadBalancer",
        props=SharedLoadBalancerProps(
            vpc=vpc,
            certificate_arn="arn:aws:acm:eu-west-1:111122223333:certificate/"
            "0f0f0f0f-0f0f-0f0f-0f0f-0f0f0f0f0f0f",
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )


def _web_service(stack: Stack, vpc: ec2.IVpc) -> None:
    """A web service on a Fargate cluster behind a shared ALB, all in the user's one stack."""
    cluster = FargateCluster(
        stack,
        "FargateCluster",
        props=FargateClusterProps(vpc=vpc, removal_policy=RemovalPolicy.DESTROY),
    )
    balancer = SharedLoadBalancer(
        stack,
        "LoadBalancer",
        props=SharedLoadBalancerProps(vpc=vpc, removal_policy=RemovalPolicy.DESTROY),
    )
    WebService(
        stack,
        "WebService",
        props=WebServiceProps(
            cluster=cluster.service_cluster,
            load_balancer=balancer.service_load_balancer,
            listener_priority=10,
            path_patterns=["/*"],
            image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx-unprivileged:1.27"),
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )


def _service_kinds(stack: Stack, vpc: ec2.IVpc) -> None:
    """A backend on Service Connect, a worker on its own queue with EFS storage, scaling from
    zero, and a scheduled job, on one Fargate cluster of the user's stack."""
    cluster = FargateCluster(
        stack,
        "FargateCluster",
        props=FargateClusterProps(
            vpc=vpc, removal_policy=RemovalPolicy.DESTROY, service_connect_namespace="fork"
        ),
    ).service_cluster
    image = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:1.37")
    common: dict[str, Any] = {
        "cluster": cluster,
        "image": image,
        "removal_policy": RemovalPolicy.DESTROY,
    }
    BackendService(stack, "Backend", props=BackendServiceProps(**common, discovery_name="api"))
    WorkerService(
        stack, "Worker", props=WorkerServiceProps(**common, min_tasks=0, efs_path="/data")
    )
    ScheduledJob(
        stack,
        "Job",
        props=ScheduledJobProps(
            **common, schedule=scheduler.ScheduleExpression.rate(Duration.days(1))
        ),
    )


def _eks_cluster(stack: Stack, vpc: ec2.IVpc) -> None:
    EksCluster(
        stack,
        "Eks",
        props=EksClusterProps(
            vpc=vpc,
            cluster_name="fork-eks",
            version=eks.KubernetesVersion.V1_36,
            node_groups=[NodeGroupSpec(name="general", instance_types=["m7i.large"])],
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )
    # What a user of an existing VPC does: tag its subnets for load balancer discovery outside
    # this app (our Network construct does it itself) and say so.
    Annotations.of(stack).acknowledge_warning(
        "@aws-cdk/aws-eks:clusterMustManuallyTagSubnet",
        "the imported VPC's subnets carry kubernetes.io/role/(internal-)elb tags set outside",
    )


FORK_CASES: list[ForkCase] = [
    ForkCase(
        "Network",
        lambda stack, _vpc: Network(stack, "Network", props=NetworkProps(availability_zones=ZONES)),
        "AWS::EC2::VPC",
    ),
    ForkCase(
        "NetworkPrivate",
        lambda stack, _vpc: Network(
            stack,
            "Network",
            props=NetworkProps(
                availability_zones=ZONES,
                vpc_cidr="10.42.0.0/20",
                nat_gateways=0,
                vpc_endpoints=True,
                log_encryption_key=LogEncryptionKey(stack, "LogKey").key,
            ),
        ),
        "AWS::EC2::VPCEndpoint",
    ),
    ForkCase("LogEncryptionKey", _encrypted_log_group, "AWS::KMS::Key"),
    ForkCase("ContainerRegistry", _registry, "AWS::ECR::Repository"),
    ForkCase("Ec2Cluster", _ec2_cluster, "AWS::ECS::CapacityProvider"),
    ForkCase("FargateCluster", _fargate_cluster, "AWS::ECS::ClusterCapacityProviderAssociations"),
    ForkCase("SharedLoadBalancer", _load_balancer, "AWS::ElasticLoadBalancingV2::LoadBalancer"),
    ForkCase("WebService", _web_service, "AWS::ECS::Service"),
    ForkCase("ServiceKinds", _service_kinds, "AWS::Scheduler::Schedule"),
    ForkCase("EksCluster", _eks_cluster, "AWS::EKS::Nodegroup"),
]


def imported_vpc(scope: Construct) -> ec2.IVpc:
    """A VPC that exists elsewhere, described by its ids (no lookup, no network stack)."""
    return ec2.Vpc.from_vpc_attributes(
        scope,
        "ImportedVpc",
        vpc_id="vpc-0f0f0f0f0f0f0f0f0",
        vpc_cidr_block="10.99.0.0/16",
        availability_zones=ZONES,
        public_subnet_ids=["subnet-0a0a0a0a0a0a0a0a1", "subnet-0a0a0a0a0a0a0a0a2"],
        public_subnet_route_table_ids=["rtb-0a0a0a0a0a0a0a0a1", "rtb-0a0a0a0a0a0a0a0a2"],
        private_subnet_ids=["subnet-0b0b0b0b0b0b0b0b1", "subnet-0b0b0b0b0b0b0b0b2"],
        private_subnet_route_table_ids=["rtb-0b0b0b0b0b0b0b0b1", "rtb-0b0b0b0b0b0b0b0b2"],
    )


class ForeignStack(Stack):
    """A stack of somebody else's app: nothing of ours but the construct under test."""


@dataclass(frozen=True)
class ForkSynth:
    outdir: Path
    templates: dict[str, dict[str, Any]]
    nag_violations: list[dict[str, Any]]


@pytest.fixture(scope="session")
def fork_synth(tmp_path_factory: pytest.TempPathFactory) -> ForkSynth:
    """One app with one stack per case, synthesized once with cdk-nag and cdk.json's flags."""
    outdir = tmp_path_factory.mktemp("fork") / "cdk.out"
    app = project_app(outdir, nag=True)
    for case in FORK_CASES:
        stack = ForeignStack(app, f"Fork{case.name}", env=FOREIGN_ENV)
        case.build(stack, imported_vpc(stack))
    assembly = app.synth()
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    return ForkSynth(outdir, templates, validation_violations(outdir))


@pytest.mark.parametrize("case", FORK_CASES, ids=lambda case: case.name)
def test_construct_builds_in_a_foreign_app(fork_synth: ForkSynth, case: ForkCase) -> None:
    template = Template.from_json(fork_synth.templates[f"Fork{case.name}"])
    assert template.find_resources(case.creates), f"Fork{case.name} has no {case.creates}"


@pytest.mark.parametrize("case", FORK_CASES, ids=lambda case: case.name)
def test_construct_is_nag_clean_in_a_foreign_app(fork_synth: ForkSynth, case: ForkCase) -> None:
    """No unacknowledged cdk-nag (or other validation plugin) finding in the case's stack."""
    stack = f"Fork{case.name}"
    findings = [
        f"{violation['plugin']} {violation['ruleName']} at {construct['constructPath']}"
        for violation in fork_synth.nag_violations
        for construct in violation.get("violatingConstructs", [])
        if construct["constructPath"].split("/")[0] == stack
    ]
    assert findings == []


def test_foreign_stacks_target_the_foreign_region(fork_synth: ForkSynth) -> None:
    manifest = json.loads((fork_synth.outdir / "manifest.json").read_text())
    environments = {
        artifact["environment"]
        for artifact in manifest["artifacts"].values()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert environments == {"aws://111122223333/eu-west-1"}


# --- what a foreign app may lack -----------------------------------------------------------------


def _vpc_without_cidr(stack: Stack) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(
        stack,
        "VpcWithoutCidr",
        vpc_id="vpc-0f0f0f0f0f0f0f0f0",
        availability_zones=ZONES,
        public_subnet_ids=["subnet-0a0a0a0a0a0a0a0a1", "subnet-0a0a0a0a0a0a0a0a2"],
        public_subnet_route_table_ids=["rtb-0a0a0a0a0a0a0a0a1", "rtb-0a0a0a0a0a0a0a0a2"],
    )


def test_load_balancer_names_the_cidr_an_imported_vpc_lacks() -> None:
    stack = ForeignStack(App(), "NoCidr", env=FOREIGN_ENV)
    with pytest.raises(
        ValueError,
        match=r"^SharedLoadBalancer: the VPC has no CIDR block, .*: import the VPC with "
        r"vpc_cidr_block=\.\.\. in ec2\.Vpc\.from_vpc_attributes$",
    ):
        SharedLoadBalancer(
            stack,
            "LoadBalancer",
            props=SharedLoadBalancerProps(vpc=_vpc_without_cidr(stack)),
        )


def test_load_balancer_takes_a_vpc_cidr_that_is_a_token() -> None:
    """A CIDR known only at deploy time (here imported from another stack's output) is a CIDR."""
    # aws-cdk-lib's built-in template validation is off (loading it takes about 3 s): this test is
    # about the CIDR. docs/fork.md's app, with it on, is synthesized by tests/test_fork_doc.py.
    stack = ForeignStack(
        App(builtin_cloud_formation_validation=False), "TokenCidr", env=FOREIGN_ENV
    )
    cidr = Fn.import_value("SharedVpcCidr")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0f0f0f0f0f0f0f0f0",
        vpc_cidr_block=cidr,
        availability_zones=ZONES,
        public_subnet_ids=["subnet-0a0a0a0a0a0a0a0a1", "subnet-0a0a0a0a0a0a0a0a2"],
    )
    assert Token.is_unresolved(vpc.vpc_cidr_block)
    SharedLoadBalancer(stack, "LoadBalancer", props=SharedLoadBalancerProps(vpc=vpc))
    Template.from_stack(stack).has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "SecurityGroupEgress": [
                {"CidrIp": {"Fn::ImportValue": "SharedVpcCidr"}, "FromPort": 1024, "ToPort": 65535}
            ]
        },
    )


def test_load_balancer_in_an_environment_agnostic_stack_asks_for_a_region() -> None:
    """aws-cdk-lib's access logging needs the region; say so, and how to give it."""
    stack = ForeignStack(App(), "Agnostic")
    with pytest.raises(
        ValueError,
        match=r"^SharedLoadBalancer: stack Agnostic has no region, which ALB access logging "
        r"needs .*: give the stack env=Environment\(region=\.\.\.\)$",
    ):
        SharedLoadBalancer(
            stack,
            "LoadBalancer",
            props=SharedLoadBalancerProps(vpc=imported_vpc(stack)),
        )


def test_web_service_is_nag_clean_without_partition_literals(tmp_path: Path) -> None:
    """An app without @aws-cdk/core:enablePartitionLiterals (older than the flag) sees the
    partition as a token, which cdk-nag writes as <AWS::Partition> in the ECS Exec finding."""
    app = project_app(tmp_path, nag=True, **{"@aws-cdk/core:enablePartitionLiterals": False})
    stack = ForeignStack(app, "NoPartitionLiterals", env=FOREIGN_ENV)
    assert Token.is_unresolved(stack.partition)
    _web_service(stack, imported_vpc(stack))
    app.synth()
    findings = [
        f"{violation['plugin']} {violation['ruleName']} at {construct['constructPath']}"
        for violation in validation_violations(tmp_path)
        for construct in violation.get("violatingConstructs", [])
    ]
    assert findings == []
