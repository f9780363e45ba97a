"""HTTPS on and off for the Fargate cluster's ALB, applied to the deployed sandbox on the emulator
as `cdk deploy` updates of every deployed stack (the catalogue pair https-on / https-off):

1. a certificate on the default group: the cluster and services stacks update; the listener the
   services import keeps its ARN and export and moves to HTTPS on 443 (updated in place); a
   redirect listener on 80 joins it; the services' rule stays on that listener;
2. HTTPS off in its two deploys: first the redirect listener goes (`http_redirect: false`), then
   the certificate: the same listener is back on HTTP 80, and the stacks are the sandbox's again.

What moto cannot show: the order inside an update (it removes, then adds, then modifies, where
CloudFormation creates and updates first and removes last), and ELB's refusal of a second listener
on a port; tests/test_day_two_ecs.py reads those from the templates. moto also keeps a listener
an update removes from the stack (no delete handler for AWS::ElasticLoadBalancingV2::Listener), so
the redirect listener's removal is read from the stack, not from ELB. And moto replaces a security
group on every update (its CloudFormation update deletes and recreates it), so the export of the
ALB's security group id changes here where CloudFormation updates the group's ingress in place
(SecurityGroupIngress is not a create-only property: tests/test_day_two_ecs.py checks the
templates for that); every other export, the listener's first, must keep its value.

The tests run in file order on one module-scoped deployment (tests/deploy/conftest.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from platform_config.environments import ENVIRONMENTS
from stacks import names
from tests.apps import synth_environment
from tests.assembly import Assembly
from tests.deploy.cli import deploy_args
from tests.deploy.conftest import Deployment

pytestmark = pytest.mark.deploy

ENVIRONMENT = "sandbox"
CLUSTER = names.stack_id(ENVIRONMENT, names.ecs_cluster_unit("fargate"))
SERVICES = names.stack_id(ENVIRONMENT, names.ecs_services_unit("fargate", 1))
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"


def _overrides(load_balancer: dict[str, Any]) -> dict[str, Any]:
    fargate = copy.deepcopy(ENVIRONMENTS[ENVIRONMENT]["ecs"]["fargate"])
    fargate["load_balancer"] = load_balancer
    return {"ecs": {"fargate": fargate}}


class Switch:
    """The deployment, the certificate the emulator issued, and the listeners seen so far."""

    def __init__(self, deployment: Deployment, certificate: str, work: Any) -> None:
        self.deployment = deployment
        self.certificate = certificate
        self.work = work

    def synth(self, name: str, load_balancer: dict[str, Any]) -> Assembly:
        outdir = synth_environment(ENVIRONMENT, self.work / name, _overrides(load_balancer))
        return Assembly(ENVIRONMENT, outdir)

    def deploy(self, name: str, assembly: Assembly) -> None:
        self.deployment.cdk(name, *deploy_args(assembly.outdir, self.deployment.stacks)).check()

    def stack_listeners(self) -> dict[str, str]:
        """The cluster stack's listeners: logical id -> ARN."""
        cloudformation = self.deployment.server.client("cloudformation")
        resources = cloudformation.describe_stack_resources(StackName=CLUSTER)["StackResources"]
        return {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in resources
            if r.get("ResourceType") == LISTENER
        }

    def listener(self, arn: str) -> dict[str, Any]:
        elbv2 = self.deployment.server.client("elbv2")
        (found,) = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"]
        return dict(found)

    def rule_priorities(self, arn: str) -> list[str]:
        elbv2 = self.deployment.server.client("elbv2")
        rules = elbv2.describe_rules(ListenerArn=arn)["Rules"]
        return sorted(rule["Priority"] for rule in rules if not rule["IsDefault"])

    def exports(self) -> dict[str, str]:
        cloudformation = self.deployment.server.client("cloudformation")
        return {
            export["Name"]: export.get("Value", "")
            for page in cloudformation.get_paginator("list_exports").paginate()
            for export in page["Exports"]
        }

    def exports_changed(self, before: dict[str, str]) -> set[str]:
        """The exports whose value differs from `before`, but those of a security group id (moto
        replaces the group on any update)."""
        now = self.exports()
        return {
            name
            for name in before.keys() | now.keys()
            if before.get(name) != now.get(name) and "SecurityGroup" not in name
        }

    def statuses(self) -> dict[str, str]:
        cloudformation = self.deployment.server.client("cloudformation")
        stacks = cloudformation.describe_stacks()["Stacks"]
        return {s["StackName"]: s["StackStatus"] for s in stacks}


@pytest.fixture(scope="module")
def switch(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Switch:
    acm = deployment.server.client("acm")
    certificate = acm.request_certificate(DomainName="app.example.com")["CertificateArn"]
    return Switch(deployment, certificate, tmp_path_factory.mktemp("https"))


@pytest.fixture(scope="module")
def before(switch: Switch) -> dict[str, Any]:
    """What the sandbox's first deploy made: the one listener, its rule, every export."""
    ((serving, arn),) = switch.stack_listeners().items()
    return {"serving": serving, "arn": arn, "exports": switch.exports()}


def test_https_on_updates_the_listener_the_services_import_in_place(
    switch: Switch, before: dict[str, Any]
) -> None:
    assert switch.listener(before["arn"])["Port"] == 80
    assert switch.rule_priorities(before["arn"]) == ["1"]
    switch.deploy("https-on", switch.synth("https-on", {"certificate_arn": switch.certificate}))
    statuses = switch.statuses()
    assert {name: statuses[name] for name in (CLUSTER, SERVICES)} == dict.fromkeys(
        (CLUSTER, SERVICES), "UPDATE_COMPLETE"
    )
    listeners = switch.stack_listeners()
    assert listeners[before["serving"]] == before["arn"]  # the same listener
    serving = switch.listener(before["arn"])
    assert (serving["Port"], serving["Protocol"]) == (443, "HTTPS")
    assert [c["CertificateArn"] for c in serving["Certificates"]] == [switch.certificate]
    (redirect,) = (arn for logical_id, arn in listeners.items() if logical_id != before["serving"])
    assert switch.listener(redirect)["Port"] == 80
    assert switch.listener(redirect)["DefaultActions"][0]["Type"] == "redirect"
    assert switch.rule_priorities(before["arn"]) == ["1"]  # the service's rule never moved
    assert before["arn"] in before["exports"].values()
    assert switch.exports_changed(before["exports"]) == set()


def test_https_off_in_two_deploys_returns_to_the_same_listener(
    switch: Switch, before: dict[str, Any]
) -> None:
    no_redirect = {"certificate_arn": switch.certificate, "http_redirect": False}
    switch.deploy("https-no-redirect", switch.synth("https-no-redirect", no_redirect))
    assert switch.stack_listeners() == {before["serving"]: before["arn"]}
    assert switch.listener(before["arn"])["Port"] == 443
    switch.deploy("https-off", switch.deployment.assembly)  # the sandbox as first deployed
    assert switch.stack_listeners() == {before["serving"]: before["arn"]}
    serving = switch.listener(before["arn"])
    assert (serving["Port"], serving["Protocol"]) == (80, "HTTP")
    assert switch.rule_priorities(before["arn"]) == ["1"]
    assert switch.exports_changed(before["exports"]) == set()
    statuses = switch.statuses()
    assert all(statuses[name].endswith("_COMPLETE") for name in switch.deployment.stacks)
    assert not any("ROLLBACK" in statuses[name] for name in switch.deployment.stacks)
