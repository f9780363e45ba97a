"""Deploy smoke test: the real CDK CLI bootstraps, deploys, redeploys and destroys the sandbox
stacks against moto_server on loopback; boto3 reads back what every synthesized template asked for.
The units moto cannot deploy (checkers.EMULATOR_UNDEPLOYABLE_UNITS, with why) are left out, and
which ones that is is asserted. The stacks are linked by strong cross-stack references (exports and
`Fn::ImportValue`); each import is checked against its producer's export, and deleting a producer
whose exports are imported is refused as on CloudFormation (serial_moto_server.py).

The tests run in file order on one module-scoped deployment: checks first, then the idempotent
redeploy, then destroy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from stacks import names
from tests.deploy.conftest import Deployment
from tests.deploy.helpers.checkers import (
    CHECKERS,
    CUSTOM_RESOURCE_PREFIX,
    DESTROY_EXIT_CODE,
    DESTROY_LEFTOVERS,
    EMULATOR_SKIPPED_TYPES,
    EMULATOR_UNDEPLOYABLE_UNITS,
    EMULATOR_UNNAMED_TYPES,
    EMULATOR_VERIFY_OUTCOMES,
    EMULATOR_VERIFY_SUBJECT_OUTCOMES,
    VERIFY_EXIT_CODE,
    DeployedResource,
    exports_of_skipped_resources,
)
from tests.deploy.helpers.cli import CliRun, destroy_args
from tests.deploy.helpers.emulator import ACCOUNT, REGION
from tests.deploy.helpers.exports import imported_export_names
from tests.deploy.helpers.inventory import Inventory, take_inventory, template_types
from tests.helpers.cdk_cli import ROOT
from tools.deploy.deployed_stacks import destroy_groups, extra_stacks, prune, read_record, record

pytestmark = pytest.mark.deploy

COMPLETE = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
TOOLKIT_STACK = "CDKToolkit"
STAGING_BUCKET = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"


def stack_statuses(deployment: Deployment) -> dict[str, str]:
    cloudformation = deployment.server.client("cloudformation")
    return {s["StackName"]: s["StackStatus"] for s in cloudformation.describe_stacks()["Stacks"]}


def test_bootstrap_creates_the_toolkit_stack(deployment: Deployment) -> None:
    """`cdk bootstrap aws://123456789012/us-east-1` leaves a complete CDKToolkit stack."""
    assert stack_statuses(deployment)[TOOLKIT_STACK] in COMPLETE


def test_every_deployable_stack_is_deployed_complete(deployment: Deployment) -> None:
    """`cdk deploy` put every stack the emulator can take in a complete state."""
    statuses = stack_statuses(deployment)
    expected = set(deployment.stacks)
    assert {name: statuses.get(name) for name in expected} == dict.fromkeys(
        expected, "CREATE_COMPLETE"
    )


def test_the_emulator_cannot_take_exactly_the_recorded_stacks(deployment: Deployment) -> None:
    """The stacks left out are exactly the recorded units; the network and registry stacks and
    every ECS stack (all but the recorded ones) are deployed."""
    assembly = deployment.assembly
    left_out = set(assembly.all_templates()) - set(deployment.stacks)
    assert left_out == {assembly.stack_name(unit) for unit in EMULATOR_UNDEPLOYABLE_UNITS}
    assert {
        assembly.stack_name(unit)
        for unit in (
            names.NETWORK_UNIT,
            names.REGISTRY_UNIT,
            names.ecs_cluster_unit("ec2"),
            names.ecs_cluster_unit("fargate"),
        )
    } <= set(deployment.stacks)


def deployed_exports(deployment: Deployment) -> dict[str, dict[str, str]]:
    """Every export the emulator lists, name -> its ListExports entry (Value absent if none)."""
    cloudformation = deployment.server.client("cloudformation")
    return {
        export["Name"]: export
        for page in cloudformation.get_paginator("list_exports").paginate()
        for export in page["Exports"]
    }


def physical_ids(deployment: Deployment, stack_name: str) -> dict[str, str]:
    cloudformation = deployment.server.client("cloudformation")
    return {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
        if r.get("LogicalResourceId") and r.get("PhysicalResourceId")
    }


def test_no_template_uses_weak_references(deployment: Deployment) -> None:
    """The sandbox is synthesized with strong references only: no `Fn::GetStackOutput` (moto
    5.2.5 does not resolve it and the harness no longer teaches it)."""
    for name, template in deployment.assembly.all_templates().items():
        assert "Fn::GetStackOutput" not in json.dumps(template), name


def test_strong_cross_stack_references_resolve_to_the_producer_exports(
    deployment: Deployment,
) -> None:
    """Deployed stacks use `Fn::ImportValue`, and every import of every deployed stack names an
    export the emulator lists, made by the producer stack the name starts with, whose value is what
    the producer's own resource is (a `Ref` export: that resource's physical id). The ALB subnets
    resolve to the network stack's subnets and the Fargate service's cluster to ecs-fargate's."""
    assembly = deployment.assembly
    templates = assembly.all_templates()
    importers = {name for name in deployment.stacks if imported_export_names(templates[name])}
    assert importers >= {
        assembly.stack_name(unit)
        for unit in (
            names.ecs_cluster_unit("ec2"),
            names.ecs_cluster_unit("fargate"),
            names.ecs_services_unit("fargate", 1),
        )
    }
    exports = deployed_exports(deployment)
    cloudformation = deployment.server.client("cloudformation")
    checked = 0
    for consumer in sorted(importers):
        for name in sorted(imported_export_names(templates[consumer])):
            producer = name.split(":", 1)[0]
            assert producer in deployment.stacks, (consumer, name)
            export = exports[name]
            (stack,) = cloudformation.describe_stacks(StackName=producer)["Stacks"]
            assert export["ExportingStackId"] == stack["StackId"], name
            (output,) = [
                o
                for o in templates[producer]["Outputs"].values()
                if o.get("Export", {}).get("Name") == name
            ]
            assert export.get("Value"), name
            if "Ref" in output["Value"]:
                assert export["Value"] == physical_ids(deployment, producer)[output["Value"]["Ref"]]
            checked += 1
    assert checked > 0
    inventory = take_inventory(deployment.server, assembly, deployment.stacks)
    network_subnets = {
        resource.physical_id
        for resource in inventory.of_type("AWS::EC2::Subnet")
        if resource.stack_name == assembly.stack_name(names.NETWORK_UNIT)
    }
    balancers = inventory.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert balancers
    for balancer in balancers:
        assert "Fn::ImportValue" in json.dumps(balancer.properties["Subnets"])
        subnets = balancer.resolve(balancer.properties["Subnets"])
        assert subnets
        assert set(subnets) <= network_subnets, balancer.describe()
    (service,) = [
        s
        for s in inventory.of_type("AWS::ECS::Service")
        if s.stack_name == assembly.stack_name(names.ecs_services_unit("fargate", 1))
    ]
    assert "Fn::ImportValue" in service.properties["Cluster"]
    (cluster,) = [
        c
        for c in inventory.of_type("AWS::ECS::Cluster")
        if c.stack_name == assembly.stack_name(names.ecs_cluster_unit("fargate"))
    ]
    assert service.resolve(service.properties["Cluster"]) == cluster.physical_id


def test_moto_lists_exactly_the_exports_of_skipped_resources_without_a_value(
    deployment: Deployment,
) -> None:
    """The exports the emulator lists with no Value are exactly those whose Value is a `Ref` or
    `Fn::GetAtt` of a resource of a skipped type (checkers.exports_of_skipped_resources)."""
    templates = deployment.assembly.all_templates()
    expected = set().union(
        *(exports_of_skipped_resources(templates[name]) for name in deployment.stacks)
    )
    exports = deployed_exports(deployment)
    valueless = {name for name, export in exports.items() if "Value" not in export}
    assert valueless == expected
    assert valueless


def test_the_ec2_services_stack_is_left_out_for_the_valueless_capacity_provider_export(
    deployment: Deployment,
) -> None:
    """The recorded reason ecs-ec2-services-1 is not deployed: of the exports it imports, exactly
    those of ecs-ec2's capacity provider (a type moto skips) are listed with no value (so its
    CreateStack would fail "No export named ... found.", proved in test_checkers.py), and there is
    at least one; every other import has a value."""
    assembly = deployment.assembly
    producer = assembly.template_json(assembly.stack_name(names.ecs_cluster_unit("ec2")))
    imported = imported_export_names(
        assembly.template_json(assembly.stack_name(names.ecs_services_unit("ec2", 1)))
    )
    exports = deployed_exports(deployment)
    assert imported <= set(exports)
    valueless = {name for name in imported if "Value" not in exports[name]}
    assert valueless
    assert valueless == exports_of_skipped_resources(producer) & imported
    for output in producer["Outputs"].values():
        if output.get("Export", {}).get("Name") in valueless:
            resource = producer["Resources"][output["Value"]["Ref"]]
            assert resource["Type"] == "AWS::ECS::CapacityProvider"


def test_the_eks_stack_is_left_out_for_its_tagged_kms_key_not_its_imports(
    deployment: Deployment,
) -> None:
    """The recorded reason eks is not deployed: every export it imports is deployed with a value,
    and it has a tagged `AWS::KMS::Key` (which moto's CreateStack fails on, test_checkers.py)."""
    template = deployment.assembly.template_json(deployment.assembly.stack_name(names.EKS_UNIT))
    exports = deployed_exports(deployment)
    imported = imported_export_names(template)
    assert imported
    assert all(exports.get(name, {}).get("Value") for name in imported), imported
    keys = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    assert any(key["Properties"].get("Tags") for key in keys)


def test_the_alarms_stack_is_left_out_for_its_tagged_kms_key_and_nothing_imports_it(
    deployment: Deployment,
) -> None:
    """The recorded reason the alarms stack is not deployed: its topic's `AWS::KMS::Key` is
    tagged (test_checkers.py: moto's CreateStack fails on it); the service stacks deployed without
    it, since they name its topic by ARN rather than import an export."""
    assembly = deployment.assembly
    alarms = assembly.stack_name(names.ALARMS_UNIT)
    template = assembly.template_json(alarms)
    keys = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    assert any(key["Properties"].get("Tags") for key in keys)
    assert "Outputs" not in template or not any(
        "Export" in output for output in template["Outputs"].values()
    )
    services = assembly.stack_name(names.ecs_services_unit("fargate", 1))
    assert services in deployment.stacks
    imported = imported_export_names(assembly.template_json(services))
    assert imported
    assert not [name for name in imported if name.startswith(f"{alarms}:")]


# What moto 5.2.5's CloudFormation would create of the sandbox's eks stack were its tagged KMS
# key accepted: the IAM roles (cluster, nodes, the add-ons' Pod Identity roles) and policies, the
# keys, log group, launch template, security group and aws_eks_v2's SSM ordering parameter.
EKS_TYPES_MOTO_MODELS = {
    "AWS::EC2::LaunchTemplate",
    "AWS::EC2::SecurityGroup",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::SSM::Parameter",
}


def test_what_the_emulator_could_deploy_of_the_eks_stack(deployment: Deployment) -> None:
    """Recorded, so a moto release that models EKS shows up: every AWS::EKS::* type of the eks
    stack (cluster, node group, add-ons, access entry) is one moto creates nothing for, so even
    with its KMS model fixed no cluster, add-on or Pod Identity association would exist; the rest
    of the stack is of types moto models."""
    template = deployment.assembly.template_json(deployment.assembly.stack_name(names.EKS_UNIT))
    types = {resource["Type"] for resource in template["Resources"].values()}
    eks_types = {t for t in types if t.startswith("AWS::EKS::")}
    assert eks_types == {
        "AWS::EKS::AccessEntry",
        "AWS::EKS::Addon",
        "AWS::EKS::Cluster",
        "AWS::EKS::Nodegroup",
    }
    assert eks_types <= EMULATOR_SKIPPED_TYPES
    assert types - eks_types == EKS_TYPES_MOTO_MODELS
    assert not EKS_TYPES_MOTO_MODELS & EMULATOR_SKIPPED_TYPES


def test_no_left_out_stack_reaches_the_emulator(deployment: Deployment) -> None:
    """`--exclusively` kept the CLI from deploying a stack the emulator would get wrong."""
    statuses = stack_statuses(deployment)
    left_out = set(deployment.assembly.stack_templates) - set(deployment.stacks)
    assert left_out
    assert not left_out & set(statuses)


def test_assets_are_published_to_the_staging_bucket(deployment: Deployment) -> None:
    """Every file asset of the deployed stacks was uploaded to the bootstrap bucket by the CLI."""
    expected: set[str] = set()
    for name in deployment.stacks:
        manifest = deployment.assembly.outdir / f"{name}.assets.json"
        for asset in json.loads(manifest.read_text())["files"].values():
            for destination in asset["destinations"].values():
                expected.add(destination["objectKey"])
    s3 = deployment.server.client("s3")
    stored = {
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=STAGING_BUCKET)
        for item in page.get("Contents", [])
    }
    assert expected
    assert expected <= stored


def test_every_template_resource_the_emulator_keeps_has_the_template_settings(
    deployment: Deployment,
) -> None:
    """Each created resource has a physical id; each type with a checker reads back as templated."""
    inventory = take_inventory(deployment.server, deployment.assembly, deployment.stacks)
    failures: list[str] = []
    for resource in inventory.deployed:
        checker = CHECKERS.get(resource.resource_type)
        if checker is None:
            continue
        try:
            checker(deployment.server, resource)
        except Exception as error:
            failures.append(f"{type(error).__name__}: {error}")
    assert not failures, "\n".join(failures)


def test_the_vpc_and_its_subnets_are_read_back(deployment: Deployment) -> None:
    """The network stack's VPC and every subnet were found and checked (not silently skipped)."""
    inventory = take_inventory(deployment.server, deployment.assembly, deployment.stacks)
    template = deployment.assembly.template_json(deployment.assembly.stack_name(names.NETWORK_UNIT))
    subnets = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::Subnet"]
    assert len(inventory.of_type("AWS::EC2::VPC")) == 1
    assert len(inventory.of_type("AWS::EC2::Subnet")) == len(subnets) > 0
    vpc_id = inventory.of_type("AWS::EC2::VPC")[0].physical_id
    live = deployment.server.client("ec2").describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
    )["Subnets"]
    assert len(live) == len(subnets)


def test_the_emulator_skips_exactly_the_recorded_types(deployment: Deployment) -> None:
    """Template resources with no physical id are all of, and only, the recorded skipped and
    unnamed types present in the templates (a moto upgrade that changes either fails here)."""
    inventory = take_inventory(deployment.server, deployment.assembly, deployment.stacks)
    present = template_types(deployment.assembly, deployment.stacks)
    expected = (EMULATOR_SKIPPED_TYPES | EMULATOR_UNNAMED_TYPES) & present
    assert inventory.missing_types == expected, inventory.missing


def test_the_ecs_resources_are_read_back(deployment: Deployment) -> None:
    """Every ECS cluster, task definition, service, load balancer and launch template of the
    deployed stacks was found and checked (not silently skipped)."""
    inventory = take_inventory(deployment.server, deployment.assembly, deployment.stacks)
    for kind in (
        "AWS::ECS::Cluster",
        "AWS::ECS::TaskDefinition",
        "AWS::ECS::Service",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::EC2::LaunchTemplate",
    ):
        templated = [
            logical_id
            for name, template in deployment.assembly.all_templates().items()
            if name in deployment.stacks
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] == kind
        ]
        assert len(inventory.of_type(kind)) == len(templated) > 0, kind


def test_custom_resources_were_answered_not_executed(deployment: Deployment) -> None:
    """Every `Custom::*` resource was answered by the harness (its Lambda is not run by moto)."""
    expected = {
        (stack, logical_id, resource["Type"])
        for stack, template in deployment.assembly.all_templates().items()
        if stack in deployment.stacks
        for logical_id, resource in template["Resources"].items()
        if resource["Type"].startswith(CUSTOM_RESOURCE_PREFIX)
    }
    assert deployment.responder.answered == expected


def test_verify_deployment_reports_the_recorded_emulator_outcomes(deployment: Deployment) -> None:
    """`python -m tools.verify.deployment --environment sandbox` with the emulator's credentials and
    AWS_ENDPOINT_URL (as `make verify` runs it): one line per deployed stack, ECS service, target
    group and `...Url` output, found from the deployed stacks, each with the recorded outcome."""
    run = subprocess.run(
        [sys.executable, "-m", "tools.verify.deployment", "--environment", "sandbox"],
        cwd=ROOT,
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    print(run.stdout, run.stderr)
    assert run.returncode == VERIFY_EXIT_CODE, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "Verification of environment 'sandbox'"
    checks: dict[str, list[tuple[str, str, str]]] = {}
    for line in lines[1:-1]:
        status, kind, rest = line.split(maxsplit=2)
        subject, _, detail = rest.partition(": ")
        checks.setdefault(kind, []).append((status, subject, detail))
    assert set(checks) == set(EMULATOR_VERIFY_OUTCOMES)
    for kind, outcome in EMULATOR_VERIFY_OUTCOMES.items():
        for line in checks[kind]:
            status, why = EMULATOR_VERIFY_SUBJECT_OUTCOMES.get((kind, line[1]), outcome)
            assert line[0] == status, (kind, line)
            assert why in line[2], (kind, line)
    templates = deployment.assembly.all_templates()

    def count(resource_type: str) -> int:
        return sum(
            resource["Type"] == resource_type
            for name in deployment.stacks
            for resource in templates[name]["Resources"].values()
        )

    assert [subject for _, subject, _ in checks["stack"]] == sorted(deployment.stacks)
    assert [subject for _, subject, _ in checks["cluster"]] == [
        "ecs.ec2",
        "ecs.fargate",
        "ecs.managed_instances",
    ]
    assert len(checks["ecs"]) == count("AWS::ECS::Service") > 0
    for _, _, detail in checks["ecs"]:
        assert "runningCount 0 != desiredCount" in detail
    assert len(checks["targets"]) == count("AWS::ElasticLoadBalancingV2::TargetGroup") > 0
    urls = sum(
        key.endswith(names.SERVICE_URL_OUTPUT_SUFFIX)
        for name in deployment.stacks
        for key in templates[name].get("Outputs", {})
    )
    assert len(checks["url"]) == urls > 0
    assert len(checks["eks"]) == 1
    failed = sum(len(checks[kind]) for kind in ("ecs", "targets", "eks"))
    skipped = len(checks["url"]) + len(EMULATOR_VERIFY_SUBJECT_OUTCOMES)
    ok = len(checks["stack"]) + len(checks["cluster"]) - len(EMULATOR_VERIFY_SUBJECT_OUTCOMES)
    assert lines[-1] == f"{ok} OK, {failed} FAIL, {skipped} SKIP"


def test_a_second_deploy_without_change_succeeds(deployment: Deployment) -> None:
    """Idempotence: deploying the unchanged assembly again exits 0, every stack stays complete."""
    deployment.deploy("redeploy").check()
    statuses = stack_statuses(deployment)
    assert all(statuses[name] in COMPLETE for name in deployment.stacks)


def expected_refusal(deployment: Deployment, producer: str) -> str:
    """CloudFormation's reason for refusing to delete `producer`: its first export (template
    order) that a deployed stack imports, and every deployed stack importing it."""
    templates = deployment.assembly.all_templates()
    for output in templates[producer].get("Outputs", {}).values():
        name = output.get("Export", {}).get("Name")
        importers = sorted(
            consumer
            for consumer in deployment.stacks
            if consumer != producer and name in imported_export_names(templates[consumer])
        )
        if importers:
            return f"Export {name} cannot be deleted as it is in use by {' and '.join(importers)}"
    raise AssertionError(f"no deployed stack imports an export of {producer}")


def test_destroying_only_the_network_stack_is_refused_while_its_exports_are_imported(
    deployment: Deployment,
) -> None:
    """Strong references: `cdk destroy` of the network stack alone fails with CloudFormation's
    "Export ... cannot be deleted as it is in use by ..." (taught to moto by the harness,
    serial_moto_server.py) while the ECS stacks import its exports, and so does a boto3
    DeleteStack; every stack stays complete and the VPC stays."""
    network = deployment.assembly.stack_name(names.NETWORK_UNIT)
    reason = expected_refusal(deployment, network)
    assert deployment.assembly.stack_name(names.ecs_cluster_unit("fargate")) in reason
    run = deployment.cdk("destroy-network", *destroy_args(deployment.assembly.outdir, [network]))
    assert run.returncode != 0
    assert f"Failed to destroy {network}: CREATE_COMPLETE ({reason})" in run.output
    cloudformation = deployment.server.client("cloudformation")
    cloudformation.delete_stack(StackName=network)
    (stack,) = cloudformation.describe_stacks(StackName=network)["Stacks"]
    assert stack["StackStatusReason"] == reason
    statuses = stack_statuses(deployment)
    assert all(statuses[name] in COMPLETE for name in deployment.stacks)
    inventory = take_inventory(deployment.server, deployment.assembly, deployment.stacks)
    (vpc,) = inventory.of_type("AWS::EC2::VPC")
    assert still_exists(deployment, vpc)


def still_exists(deployment: Deployment, resource: DeployedResource) -> bool:
    """Whether the emulator still answers for `resource` (its checker can read it back)."""
    try:
        CHECKERS[resource.resource_type](deployment.server, resource)
    except Exception:
        return False
    return True


@dataclass(frozen=True)
class DestroyOutcome:
    run: CliRun
    left_stacks: dict[str, str]
    leftovers: list[tuple[str, str]]


def destroy(deployment: Deployment, phase: str, before: Inventory) -> DestroyOutcome:
    """`cdk destroy` of the deployed stacks; which of them and of `before`'s checked resources the
    emulator still has afterwards (printed for the record)."""
    run = deployment.destroy(phase)
    statuses = stack_statuses(deployment)
    left_stacks = {
        name: statuses[name]
        for name in deployment.stacks
        if statuses.get(name, "DELETE_COMPLETE") != "DELETE_COMPLETE"
    }
    leftovers = sorted(
        {
            (resource.stack_name, resource.resource_type)
            for resource in before.deployed
            if resource.resource_type in CHECKERS and still_exists(deployment, resource)
        }
    )
    record = {"exit": run.returncode, "stacks": left_stacks, "resources": leftovers}
    print(phase, json.dumps(record))
    print(run.output[-4000:])
    return DestroyOutcome(run, left_stacks, leftovers)


@pytest.fixture(scope="module")
def inventory_before_destroy(deployment: Deployment) -> Inventory:
    return take_inventory(deployment.server, deployment.assembly, deployment.stacks)


def recorded_leftovers(deployment: Deployment) -> list[tuple[str, str]]:
    assembly = deployment.assembly
    return sorted((assembly.stack_name(unit), kind) for unit, kind in DESTROY_LEFTOVERS)


def test_destroy_first_removes_a_recorded_stack_the_current_config_lacks(
    deployment: Deployment, inventory_before_destroy: Inventory, tmp_path: Path
) -> None:
    """`make destroy`'s first step and `make destroy-stacks` with the real CLI: the deployed
    assembly recorded as `make deploy` records it (tools.deploy.deployed_stacks), a current config
    without the Fargate services stack (as when only an override made it), the recorded group of
    that stack, and `cdk destroy --app <recorded copy> --exclusively <that stack> --force`
    removes exactly that stack; the others stay complete (the later tests destroy them). The
    record then keeps every stack but that one (prune, on the emulator)."""
    assembly = deployment.assembly
    build = tmp_path / "build"
    written = record("sandbox", assembly.outdir, build)
    (copy,) = written["assemblies"]
    only_recorded = assembly.stack_name(names.ecs_services_unit("fargate", 1))
    current = [name for name in assembly.stack_templates if name != only_recorded]
    assert extra_stacks(read_record("sandbox", build), current) == [(copy, [only_recorded])]
    assert destroy_groups(written, [only_recorded]) == [(copy, [only_recorded])]
    deployment.cdk(
        "destroy-recorded", "destroy", "--app", copy, "--exclusively", only_recorded, "--force"
    ).check()
    statuses = stack_statuses(deployment)
    assert statuses.get(only_recorded, "DELETE_COMPLETE") == "DELETE_COMPLETE"
    assert all(statuses[name] in COMPLETE for name in deployment.stacks if name != only_recorded)
    left = prune("sandbox", _EmulatorSession(deployment), build)
    assert only_recorded not in left
    assert set(left) == set(deployment.stacks) - {only_recorded}


@dataclass
class _EmulatorSession:
    """What `prune` asks of a boto3 session, answered by the emulator."""

    deployment: Deployment

    def client(self, service: str, region_name: str | None = None) -> object:
        return self.deployment.server.client(service)


def test_destroy_fails_on_the_network_stack_as_recorded(
    deployment: Deployment, inventory_before_destroy: Inventory
) -> None:
    """`cdk destroy --force` of the deployed stacks exits 1 on the network stack's VPC as recorded;
    no stack is listed any more, and only the recorded resources are left. The CLI deletes the
    importers before their producers, so no export is in use when its stack is deleted."""
    outcome = destroy(deployment, "destroy", inventory_before_destroy)
    assert "cannot be deleted as it is in use by" not in outcome.run.output
    assert outcome.run.returncode == DESTROY_EXIT_CODE
    assert "has dependencies and cannot be deleted" in outcome.run.output
    assert outcome.left_stacks == {}
    assert outcome.leftovers == recorded_leftovers(deployment)


def test_a_second_destroy_succeeds_and_leaves_only_the_recorded_resources(
    deployment: Deployment, inventory_before_destroy: Inventory
) -> None:
    """Running `cdk destroy` again exits 0 and leaves no stack and only the recorded resources."""
    outcome = destroy(deployment, "destroy-again", inventory_before_destroy)
    assert outcome.run.returncode == 0
    assert outcome.left_stacks == {}
    assert outcome.leftovers == recorded_leftovers(deployment)
