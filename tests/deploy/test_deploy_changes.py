"""Day-two changes applied to the deployed sandbox on the emulator, each planned first by
`python -m tools.plan.cli` against what the last deploy recorded (as `make deploy` runs it):

1. a clean change (a Fargate service's CPU and memory, and an ECR repository added; catalogue
   entries service-size and repository-added) plans clean, deploys, and every deployed resource
   reads back as the new templates say;
2. HTTPS on (catalogue https-on) plans clean and deploys: the listener the services import keeps
   its ARN and export and moves to HTTPS on 443 in place, a redirect listener joins it on 80, the
   service's rule stays on it;
3. HTTPS off (catalogue https-off) plans clean in two stages (in one deploy the listener would
   take port 80 back while the redirect listener still holds it): the first stage, written by the
   plan, deletes the redirect listener; the change then moves the same listener back to HTTP 80;
4. a service renamed at its priority (catalogue service-rename) plans clean and deploys: its
   listener rule is the same resource, updated to forward to the new target group (a new rule at
   the priority the old one holds would be refused: PriorityInUse, which moto checks too).

What moto cannot show: the order inside an update (it removes, then adds, then modifies, where
CloudFormation creates and updates first and removes last) and ELB's refusal of a second listener
on a port, so the plan's staging of HTTPS off is the proof of it (and
tests/test_day_two_ecs.py's reading of the templates); moto keeps a listener an update removes from
the stack (no delete handler), so its removal is read from the stack; and moto replaces a security
group on every update, so the export of the ALB's security group id changes here where
CloudFormation updates its ingress in place.

The tests run in file order on one module-scoped deployment (tests/deploy/conftest.py). The
after-configs are synthesized in this process with the validation plugins off (the templates are
the same; the gates are tested elsewhere). moto's gaps that matter here are recorded in
tests/deploy/test_checkers.py (it never deletes a listener rule an update removes).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from platform_config.environments import ENVIRONMENTS
from stacks import names
from tests.deploy.conftest import Deployment
from tests.deploy.helpers.checkers import CHECKERS
from tests.deploy.helpers.cli import CliRun, deploy_args
from tests.deploy.helpers.inventory import take_inventory
from tests.helpers.assembly import Assembly
from tests.helpers.cdk_cli import ROOT
from tests.plan.helpers.catalogue import fargate, service
from tools.deploy.deployed_stacks import record

pytestmark = pytest.mark.deploy

ENVIRONMENT = "sandbox"
FARGATE = names.stack_id(ENVIRONMENT, names.ecs_cluster_unit("fargate"))
FARGATE_SERVICES = names.stack_id(ENVIRONMENT, names.ecs_services_unit("fargate", 1))
REGISTRY = names.stack_id(ENVIRONMENT, names.REGISTRY_UNIT)


@dataclass
class Changes:
    """The deployment, the deploy record the plans read, and every plan and deploy made."""

    deployment: Deployment
    build: Path
    work: Path
    plans: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    deploys: dict[str, CliRun] = field(default_factory=dict)
    assemblies: dict[str, Assembly] = field(default_factory=dict)

    def synth(self, name: str, overrides: dict[str, Any]) -> Assembly:
        """The sandbox with `overrides`, synthesized in this process (validation plugins off)."""
        import stacks.platform
        from tests.helpers.apps import synth_environment

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(stacks.platform, "add_validations", lambda *args, **kwargs: None)
            outdir = synth_environment(ENVIRONMENT, self.work / name, overrides)
        self.assemblies[name] = Assembly(ENVIRONMENT, outdir)
        return self.assemblies[name]

    def plan(
        self, name: str, assembly: Assembly, stages: Path | None = None
    ) -> tuple[int, dict[str, Any]]:
        """`python -m tools.plan.cli` of the deployed stacks of `assembly` against the record
        (with `stages`, writing a staged change's first stages there, as `make deploy` does)."""
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "tools.plan.cli",
                "--environment",
                ENVIRONMENT,
                "--assembly",
                str(assembly.outdir),
                "--stacks",
                " ".join(self.deployment.stacks),
                "--build",
                str(self.build),
                "--json",
                *(("--stages", str(stages)) if stages else ()),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode in (0, 2), run.stderr
        self.plans[name] = (run.returncode, json.loads(run.stdout))
        return self.plans[name]

    def deploy(self, name: str, assembly: Assembly) -> CliRun:
        """`cdk deploy` of the deployable stacks of `assembly`; recorded as `make deploy` does
        when it succeeds."""
        run = self.deployment.cdk(name, *deploy_args(assembly.outdir, self.deployment.stacks))
        self.deploys[name] = run
        if run.returncode == 0:
            record(ENVIRONMENT, assembly.outdir, self.build, list(self.deployment.stacks))
        return run

    def deploy_stage(self, name: str, directory: Path) -> CliRun:
        """A first stage as `make deploy` runs it: `cdk deploy --app DIR --exclusively` of the
        stacks in DIR/STACKS, recorded when it succeeds."""
        stacks = (directory / "STACKS").read_text(encoding="utf-8").split()
        run = self.deployment.cdk(name, *deploy_args(directory, stacks))
        self.deploys[name] = run
        if run.returncode == 0:
            record(ENVIRONMENT, directory, self.build, stacks)
        return run

    def statuses(self) -> dict[str, str]:
        cloudformation = self.deployment.server.client("cloudformation")
        return {
            s["StackName"]: s["StackStatus"] for s in cloudformation.describe_stacks()["Stacks"]
        }


@pytest.fixture(scope="module")
def changes(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Changes:
    """The deployed sandbox recorded as `make deploy` records it."""
    work = tmp_path_factory.mktemp("changes")
    build = work / "build"
    build.mkdir()
    record(ENVIRONMENT, deployment.assembly.outdir, build, list(deployment.stacks))
    return Changes(deployment, build, work)


def clean_change(name: str = "sample") -> dict[str, Any]:
    """The Fargate sample at 512 CPU / 1024 MiB (named `name`), and an `orders` repository."""
    # The config of record's sample, at its priority and path.
    sample = service(name, 1, "/*", cpu=512, memory_mib=1024)
    repositories = [*ENVIRONMENTS[ENVIRONMENT]["registry"]["repositories"], {"name": "orders"}]
    return {**fargate(sample), "registry": {"repositories": repositories}}


# moto does not move an ECS service to its task definition's new revision (recorded by the guide
# test: SERVICE_FOLLOWS_ITS_TASK_DEFINITION), so the service is not read back after an update; the
# new revision is.
NOT_READ_BACK_AFTER_AN_UPDATE = frozenset({"AWS::ECS::Service"})


def resources_read_back(changes: Changes, assembly: Assembly) -> list[str]:
    """The problems of each deployed resource with a checker against `assembly`'s templates."""
    inventory = take_inventory(changes.deployment.server, assembly, changes.deployment.stacks)
    failures = []
    for resource in inventory.deployed:
        checker = CHECKERS.get(resource.resource_type)
        if checker is None or resource.resource_type in NOT_READ_BACK_AFTER_AN_UPDATE:
            continue
        try:
            checker(changes.deployment.server, resource)
        except Exception as error:
            failures.append(f"{type(error).__name__}: {error}")
    return failures


def _actions(document: dict[str, Any], stack: str) -> list[tuple[str, str, str]]:
    (found,) = [s for s in document["stacks"] if s["name"] == stack]
    return [(r["action"], r["type"], r["logical_id"]) for r in found["resources"]]


def test_a_clean_change_plans_clean_deploys_and_reads_back(changes: Changes) -> None:
    """The Fargate sample at 512 CPU / 1024 MiB and an `orders` repository: the plan replaces the
    task definition and adds the repository, refuses nothing; the deploy succeeds and every
    resource with a checker reads back as the new templates say."""
    after = changes.synth("clean", clean_change())
    code, document = changes.plan("clean", after)
    assert code == 0, document["refusals"]
    assert not document["refusals"]
    assert ("add", "AWS::ECR::Repository") in {a[:2] for a in _actions(document, REGISTRY)}
    assert ("replace", "AWS::ECS::TaskDefinition") in {
        a[:2] for a in _actions(document, FARGATE_SERVICES)
    }
    changes.deploy("clean", after).check()
    assert resources_read_back(changes, after) == []
    inventory = take_inventory(changes.deployment.server, after, changes.deployment.stacks)
    (task,) = [
        t for t in inventory.of_type("AWS::ECS::TaskDefinition") if t.stack_name == FARGATE_SERVICES
    ]
    described = changes.deployment.server.client("ecs").describe_task_definition(
        taskDefinition=task.physical_id
    )["taskDefinition"]
    assert (described["revision"], described["memory"]) == (2, "1024")
    repositories = {
        r["repositoryName"]
        for r in changes.deployment.server.client("ecr").describe_repositories()["repositories"]
    }
    assert names.repository_name(ENVIRONMENT, "orders", kms=False) in repositories


LISTENER = "AWS::ElasticLoadBalancingV2::Listener"


def stack_listeners(changes: Changes) -> dict[str, str]:
    """The Fargate cluster stack's listeners but its test listener (a listener of its own port,
    8080 or 8443, that no rolling service has a rule on): logical id -> ARN."""
    cloudformation = changes.deployment.server.client("cloudformation")
    resources = cloudformation.describe_stack_resources(StackName=FARGATE)["StackResources"]
    return {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in resources
        if r.get("ResourceType") == LISTENER and "Test" not in r["LogicalResourceId"]
    }


def listener(changes: Changes, arn: str) -> dict[str, Any]:
    elbv2 = changes.deployment.server.client("elbv2")
    (found,) = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"]
    return dict(found)


def rule_priorities(changes: Changes, arn: str) -> list[str]:
    elbv2 = changes.deployment.server.client("elbv2")
    rules = elbv2.describe_rules(ListenerArn=arn)["Rules"]
    return sorted(rule["Priority"] for rule in rules if not rule["IsDefault"])


def exports(changes: Changes) -> dict[str, str]:
    """Every export but those of a security group id (moto replaces the group on any update)."""
    cloudformation = changes.deployment.server.client("cloudformation")
    return {
        export["Name"]: export.get("Value", "")
        for page in cloudformation.get_paginator("list_exports").paginate()
        for export in page["Exports"]
        if "SecurityGroup" not in export["Name"]
    }


@pytest.fixture(scope="module")
def certificate(changes: Changes) -> str:
    """A certificate the emulator's ACM holds (moto checks it when a listener turns HTTPS)."""
    acm = changes.deployment.server.client("acm")
    return str(acm.request_certificate(DomainName="app.example.com")["CertificateArn"])


def with_load_balancer(load_balancer: dict[str, Any]) -> dict[str, Any]:
    """The clean change's config with the Fargate cluster's default group set so."""
    overrides = copy.deepcopy(clean_change())
    overrides["ecs"]["fargate"]["load_balancer"] = load_balancer
    return overrides


@pytest.fixture(scope="module")
def before_https(changes: Changes) -> dict[str, Any]:
    """The Fargate ALB's one listener and every export, as the clean change left them."""
    ((serving, arn),) = stack_listeners(changes).items()
    return {"serving": serving, "arn": arn, "exports": exports(changes)}


def test_https_on_plans_clean_and_moves_the_listener_in_place(
    changes: Changes, certificate: str, before_https: dict[str, Any]
) -> None:
    """The plan refuses nothing and leaves the services stack's resources alone; the deploy
    updates the listener the services import to HTTPS on 443 (same ARN, same export), adds the
    redirect listener on 80, and the service's rule stays on its listener."""
    arn = before_https["arn"]
    assert (listener(changes, arn)["Port"], rule_priorities(changes, arn)) == (80, ["1"])
    https_on = changes.synth("https-on", with_load_balancer({"certificate_arn": certificate}))
    code, document = changes.plan("https-on", https_on)
    assert code == 0, document["refusals"]
    assert _actions(document, FARGATE_SERVICES) == []
    changes.deploy("https-on", https_on).check()
    statuses = changes.statuses()
    assert (statuses[FARGATE], statuses[FARGATE_SERVICES]) == ("UPDATE_COMPLETE",) * 2
    listeners = stack_listeners(changes)
    assert listeners[before_https["serving"]] == arn
    serving = listener(changes, arn)
    assert (serving["Port"], serving["Protocol"]) == (443, "HTTPS")
    assert [c["CertificateArn"] for c in serving["Certificates"]] == [certificate]
    (redirect,) = (a for key, a in listeners.items() if key != before_https["serving"])
    assert listener(changes, redirect)["Port"] == 80
    assert listener(changes, redirect)["DefaultActions"][0]["Type"] == "redirect"
    assert rule_priorities(changes, arn) == ["1"]
    assert arn in before_https["exports"].values()
    assert exports(changes) == before_https["exports"]


def test_https_off_plans_clean_and_deploys_in_two_stages(
    changes: Changes, certificate: str, before_https: dict[str, Any]
) -> None:
    """The plan refuses nothing and stages the change (tools/plan/stages.py): `--stages` writes
    stage 1, the cluster stack as deployed without the redirect listener, published under its
    own template hash; deployed as `make deploy` does, stage 1 leaves only the services'
    listener (still HTTPS 443), and the change itself then moves it back to HTTP 80: the same
    ARN and export, its rule on it."""
    off = changes.assemblies["clean"]  # the clean change's config: no certificate
    stages = changes.work / "stages"
    (redirect,) = set(stack_listeners(changes)) - {before_https["serving"]}
    code, document = changes.plan("https-off", off, stages)
    assert code == 0, document["refusals"]
    assert not document["refusals"]
    first, last = document["stages"]
    assert first["stacks"] == [FARGATE]
    assert [r["logical_id"] for r in first["removes"]] == [redirect]
    assert not last["removes"]
    assert sorted(p.name for p in stages.iterdir()) == ["1"]
    assert (stages / "1" / "STACKS").read_text().split() == [FARGATE]
    changes.deploy_stage("https-off-stage-1", stages / "1").check()
    arn = before_https["arn"]
    assert stack_listeners(changes) == {before_https["serving"]: arn}
    assert listener(changes, arn)["Port"] == 443
    code, document = changes.plan("https-off-after-stage-1", off, stages)
    assert code == 0, document["refusals"]
    assert document["stages"] == []
    assert not stages.exists()
    changes.deploy("https-off", off).check()
    assert stack_listeners(changes) == {before_https["serving"]: arn}
    serving = listener(changes, arn)
    assert (serving["Port"], serving["Protocol"]) == (80, "HTTP")
    assert rule_priorities(changes, arn) == ["1"]
    assert exports(changes) == before_https["exports"]
    statuses = changes.statuses()
    assert (statuses[FARGATE], statuses[FARGATE_SERVICES]) == ("UPDATE_COMPLETE",) * 2


RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"


def stack_resources(changes: Changes, stack: str, kind: str) -> dict[str, str]:
    """The resources of `kind` CloudFormation lists in `stack`: logical id -> physical id."""
    cloudformation = changes.deployment.server.client("cloudformation")
    resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    return {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in resources
        if r.get("ResourceType") == kind
    }


def forwards_to(changes: Changes, listener_arn: str) -> dict[str, tuple[str, str]]:
    """The listener's rules by priority: (rule ARN, the target group it forwards to)."""
    elbv2 = changes.deployment.server.client("elbv2")
    return {
        rule["Priority"]: (rule["RuleArn"], rule["Actions"][0]["TargetGroupArn"])
        for rule in elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]
        if not rule["IsDefault"]
    }


def test_a_renamed_service_keeps_its_rule_which_forwards_to_its_new_target_group(
    changes: Changes, before_https: dict[str, Any]
) -> None:
    """Catalogue service-rename on the deployed sandbox: the sample becomes `web` at the same
    priority. The plan refuses nothing (the sandbox's log groups are not retained) and updates
    the rule in place; the deploy creates web's target group and ECS service, and the same rule
    (same ARN, priority 1) now forwards to the new target group. Before rules were keyed by
    priority, the new service's rule was a new resource at a priority the old one held, which
    ELB (and moto) refuse: PriorityInUse."""
    arn = before_https["arn"]
    ((rule_id, rule_arn),) = stack_resources(changes, FARGATE_SERVICES, RULE).items()
    ((old_group_id, old_group),) = stack_resources(changes, FARGATE_SERVICES, TARGET_GROUP).items()
    assert forwards_to(changes, arn) == {"1": (rule_arn, old_group)}

    renamed = changes.synth("rename", clean_change("web"))
    code, document = changes.plan("rename", renamed)
    assert code == 0, document["refusals"]
    actions = {
        (action, logical_id) for action, _, logical_id in _actions(document, FARGATE_SERVICES)
    }
    assert ("update", rule_id) in actions
    assert ("delete", old_group_id) in actions
    assert not {a for a in actions if a[1] == rule_id and a[0] != "update"}
    changes.deploy("rename", renamed).check()
    assert changes.statuses()[FARGATE_SERVICES] == "UPDATE_COMPLETE"

    assert stack_resources(changes, FARGATE_SERVICES, RULE) == {rule_id: rule_arn}
    ((new_group_id, new_group),) = stack_resources(changes, FARGATE_SERVICES, TARGET_GROUP).items()
    assert new_group_id.startswith(names.service_construct_id("web"))
    assert forwards_to(changes, arn) == {"1": (rule_arn, new_group)}
    # moto keeps no load balancer on an ECS service (its CloudFormation handler drops them):
    # web's service is read back as a new, active service.
    ecs = changes.deployment.server.client("ecs")
    ((web_id, web),) = stack_resources(changes, FARGATE_SERVICES, "AWS::ECS::Service").items()
    assert web_id.startswith(names.service_construct_id("web"))
    (described,) = ecs.describe_services(cluster=web.split("/")[1], services=[web])["services"]
    assert described["status"] == "ACTIVE"
