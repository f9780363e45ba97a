"""Deploy smoke test: the real CDK CLI bootstraps, deploys, redeploys and destroys the sandbox
stacks against moto_server on loopback; boto3 reads back what every synthesized template asked for.

The tests run in file order on one module-scoped deployment: checks first, then the idempotent
redeploy, then destroy.
"""

from __future__ import annotations

import json

import pytest

from tests.deploy.checkers import (
    CHECKERS,
    CUSTOM_RESOURCE_PREFIX,
    EMULATOR_SKIPPED_TYPES,
    DeployedResource,
)
from tests.deploy.conftest import Deployment
from tests.deploy.emulator import ACCOUNT, REGION
from tests.deploy.inventory import take_inventory, template_types

pytestmark = pytest.mark.deploy

COMPLETE = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
TOOLKIT_STACK = "CDKToolkit"
STAGING_BUCKET = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"

# moto 5.2.5 deletes a stack's resources without waiting for dependents, so it tries the VPC before
# what lives in it is gone: the CLI reports "The vpc ... has dependencies and cannot be deleted" and
# exits 1, yet moto no longer lists the stack, and the VPC stays behind (its subnets, routes and
# gateways are gone). Asserted exactly, so a moto fix shows up here.
DESTROY_EXIT_CODE = 1
DESTROY_LEFTOVER_STACKS: dict[str, str] = {}
DESTROY_LEFTOVER_TYPES = ("AWS::EC2::VPC",)


def stack_statuses(deployment: Deployment) -> dict[str, str]:
    cloudformation = deployment.server.client("cloudformation")
    return {s["StackName"]: s["StackStatus"] for s in cloudformation.describe_stacks()["Stacks"]}


def test_bootstrap_creates_the_toolkit_stack(deployment: Deployment) -> None:
    """`cdk bootstrap aws://123456789012/us-east-1` leaves a complete CDKToolkit stack."""
    assert stack_statuses(deployment)[TOOLKIT_STACK] in COMPLETE


def test_every_stack_of_the_assembly_is_deployed_complete(deployment: Deployment) -> None:
    """`cdk deploy --all` put every stack of the sandbox assembly in a complete state."""
    statuses = stack_statuses(deployment)
    expected = set(deployment.assembly.stack_templates)
    assert expected, "the sandbox assembly has no stacks"
    assert {name: statuses.get(name) for name in expected} == dict.fromkeys(
        expected, "CREATE_COMPLETE"
    )


def test_assets_are_published_to_the_staging_bucket(deployment: Deployment) -> None:
    """Every file asset of the assembly was uploaded to the bootstrap bucket by the CLI."""
    expected: set[str] = set()
    for manifest in deployment.assembly.outdir.glob("*.assets.json"):
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
    inventory = take_inventory(deployment.server, deployment.assembly)
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
    inventory = take_inventory(deployment.server, deployment.assembly)
    template = deployment.assembly.template_json(deployment.assembly.stack_name("network"))
    subnets = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::Subnet"]
    assert len(inventory.of_type("AWS::EC2::VPC")) == 1
    assert len(inventory.of_type("AWS::EC2::Subnet")) == len(subnets) > 0
    vpc_id = inventory.of_type("AWS::EC2::VPC")[0].physical_id
    live = deployment.server.client("ec2").describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
    )["Subnets"]
    assert len(live) == len(subnets)


def test_the_emulator_skips_exactly_the_recorded_types(deployment: Deployment) -> None:
    """Template resources moto creates nothing for are all of, and only, the recorded skipped types
    present in the templates (a moto upgrade that adds or drops support fails here)."""
    inventory = take_inventory(deployment.server, deployment.assembly)
    present = template_types(deployment.assembly)
    assert inventory.missing_types == EMULATOR_SKIPPED_TYPES & present, inventory.missing


def test_custom_resources_were_answered_not_executed(deployment: Deployment) -> None:
    """Every `Custom::*` resource was answered by the harness (its Lambda is not run by moto)."""
    expected = {
        (stack, logical_id, resource["Type"])
        for stack, template in deployment.assembly.all_templates().items()
        for logical_id, resource in template["Resources"].items()
        if resource["Type"].startswith(CUSTOM_RESOURCE_PREFIX)
    }
    assert deployment.responder.answered == expected


def test_a_second_deploy_without_change_succeeds(deployment: Deployment) -> None:
    """Idempotence: deploying the unchanged assembly again exits 0, every stack stays complete."""
    deployment.deploy("redeploy").check()
    statuses = stack_statuses(deployment)
    assert all(statuses[name] in COMPLETE for name in deployment.assembly.stack_templates)


def still_exists(deployment: Deployment, resource: DeployedResource) -> bool:
    """Whether the emulator still answers for `resource` (its checker can read it back)."""
    try:
        CHECKERS[resource.resource_type](deployment.server, resource)
    except Exception:
        return False
    return True


def test_destroy_leaves_exactly_the_documented_leftovers(deployment: Deployment) -> None:
    """`cdk destroy --all --force` removes every stack but the ones moto cannot delete, and leaves
    exactly the recorded resources; the outcome is printed for the record."""
    before = take_inventory(deployment.server, deployment.assembly)
    run = deployment.destroy()
    statuses = stack_statuses(deployment)
    left_stacks = {
        name: statuses[name]
        for name in deployment.assembly.stack_templates
        if statuses.get(name, "DELETE_COMPLETE") != "DELETE_COMPLETE"
    }
    leftovers = sorted(
        {
            (resource.stack_name, resource.resource_type)
            for resource in before.deployed
            if resource.resource_type in CHECKERS and still_exists(deployment, resource)
        }
    )
    print(json.dumps({"exit": run.returncode, "stacks": left_stacks, "resources": leftovers}))
    network = deployment.assembly.stack_name("network")
    assert run.returncode == DESTROY_EXIT_CODE
    assert "has dependencies and cannot be deleted" in run.output
    assert left_stacks == DESTROY_LEFTOVER_STACKS
    assert leftovers == [(network, leftover) for leftover in DESTROY_LEFTOVER_TYPES]
