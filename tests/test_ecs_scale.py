"""Scale-out: 50 services spread over service stacks within CloudFormation's limits, and adding
service 51 moves nothing. Synthesized in-process once per module (two apps: 50 and 51 services),
with extras exercised on the same apps: HTTPS, an ECR image, injected secrets, three services on
one EC2-cluster ALB. About 13 s: marked `scale`, run by `make test-scale` (and .ci/run) with the
250-service proof, deselected from other runs (tests/conftest.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from platform_config import ENVIRONMENTS, load_config
from platform_config.ecs_placement import priority_block
from platform_config.environments import SAMPLE_IMAGE
from stacks import names
from tests.helpers.apps import synth_environment

pytestmark = pytest.mark.scale

CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-1111-2222-3333-444455556666"
SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-password-AbCdEf"
PARAMETER = "arn:aws:ssm:us-east-1:111122223333:parameter/app/api-key"
MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES = 1_000_000


def _fargate_service(number: int) -> dict[str, Any]:
    """Service `number`, at that priority, in stack N of its block of 10."""
    service: dict[str, Any] = {
        "image": dict(SAMPLE_IMAGE),
        "route": {"priority": number, "paths": [f"/svc-{number}/*"]},
        "health_check_path": f"/svc-{number}/",
        "stack": priority_block(number, 10),
    }
    if number == 1:
        service["image"] = {"repository": "sample-app", "tag": "1.0.0"}
        service["secrets"] = {
            "DB_PASSWORD": {"secrets_manager_arn": SECRET},
            "API_KEY": {"ssm_parameter_arn": PARAMETER},
        }
    return service


def _overrides(service_count: int) -> dict[str, Any]:
    fargate = dict(ENVIRONMENTS["sandbox"]["ecs"]["fargate"])
    fargate["services"] = {f"svc-{n}": _fargate_service(n) for n in range(1, service_count + 1)}
    fargate["load_balancer"] = {"certificate_arn": CERTIFICATE}
    ec2 = dict(ENVIRONMENTS["sandbox"]["ecs"]["ec2"])
    ec2["services"] = {
        name: {
            "image": dict(SAMPLE_IMAGE),
            "route": {"priority": priority, "paths": [f"/{name}/*"]},
        }
        for priority, name in enumerate(["alpha", "beta", "gamma"], start=1)
    }
    # Deployments of 3 x 2 tasks need 12 awsvpc task slots: 6 instances of 2 (config check).
    ec2["max_instances"] = 6
    return {"ecs": {"fargate": fargate, "ec2": ec2}}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("scale")
    return {
        count: synth_environment("sandbox", root / str(count), _overrides(count), None)
        for count in (50, 51)
    }


def _templates(outdir: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in sorted(outdir.glob(f"{names.stack_prefix('sandbox')}*.template.json"))
    }


def _stack(unit: str) -> str:
    return names.stack_id("sandbox", unit)


def _service_stacks(outdir: Path, count: int) -> dict[str, str]:
    """Service name -> the stack holding it (the one with its URL output)."""
    config = load_config("sandbox", overrides=_overrides(count))
    services = [*config.ecs.fargate.services.values(), *config.ecs.ec2.services.values()]
    url_outputs = {names.service_url_output(service.name): service.name for service in services}
    placement: dict[str, str] = {}
    for name, template in _templates(outdir).items():
        for output in template.get("Outputs", {}):
            if output in url_outputs:
                placement[url_outputs[output]] = name
    return placement


def test_every_stack_stays_under_cloudformation_limits(synthesized: dict[int, Path]) -> None:
    for outdir in synthesized.values():
        for path in outdir.glob("*.template.json"):
            template = json.loads(path.read_text())
            assert len(template.get("Resources", {})) < MAX_RESOURCES, path.name
            assert path.stat().st_size < MAX_TEMPLATE_BYTES, path.name


def test_fifty_services_spread_over_five_stacks(synthesized: dict[int, Path]) -> None:
    placement = _service_stacks(synthesized[50], 50)
    fargate = {s: stack for s, stack in placement.items() if s.startswith("svc-")}
    assert len(fargate) == 50
    assert sorted(set(fargate.values())) == [
        _stack(names.ecs_services_unit("fargate", n)) for n in range(1, 6)
    ]


def test_service_51_moves_nothing(synthesized: dict[int, Path]) -> None:
    before, after = _service_stacks(synthesized[50], 50), _service_stacks(synthesized[51], 51)
    assert {name: after[name] for name in before} == before
    assert after["svc-51"] == _stack(names.ecs_services_unit("fargate", 6))


def test_service_51_changes_no_logical_id_or_resource(synthesized: dict[int, Path]) -> None:
    """Every stack of the 50-service app has the same resources in the 51-service app, but the
    cluster's dashboard, which lists its services (D27) and is updated in place."""
    before, after = _templates(synthesized[50]), _templates(synthesized[51])
    assert set(after) - set(before) == {_stack(names.ecs_services_unit("fargate", 6))}

    def _without_dashboard(resources: dict[str, Any]) -> dict[str, Any]:
        return {k: r for k, r in resources.items() if r["Type"] != "AWS::CloudWatch::Dashboard"}

    for name, template in before.items():
        assert set(after[name]["Resources"]) == set(template["Resources"]), name
        assert _without_dashboard(after[name]["Resources"]) == _without_dashboard(
            template["Resources"]
        ), name


def test_all_services_share_their_clusters_alb(synthesized: dict[int, Path]) -> None:
    templates = _templates(synthesized[51])
    albs = {
        name
        for name, template in templates.items()
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer"
    }
    clusters = {kind: _stack(names.ecs_cluster_unit(kind)) for kind in ("ec2", "fargate")}
    assert albs == set(clusters.values())
    for kind, cluster in clusters.items():
        listeners = {
            json.dumps(resource["Properties"]["ListenerArn"])
            for name, template in templates.items()
            if name.startswith(cluster) and name != cluster
            for resource in template["Resources"].values()
            if resource["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"
        }
        assert len(listeners) == 1, kind
        assert cluster in listeners.pop()


def test_three_ec2_services_on_one_alb(synthesized: dict[int, Path]) -> None:
    template = _templates(synthesized[51])[_stack(names.ecs_services_unit("ec2", 1))]
    rules = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"
    ]
    assert sorted(rule["Priority"] for rule in rules) == [1, 2, 3]
    assert len({json.dumps(rule["ListenerArn"]) for rule in rules}) == 1


def test_https_listener_and_redirect_with_a_certificate(synthesized: dict[int, Path]) -> None:
    template = _templates(synthesized[51])[_stack(names.ecs_cluster_unit("fargate"))]
    listeners = {
        k: r["Properties"]
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::ElasticLoadBalancingV2::Listener"
    }
    https_id = next(k for k, listener in listeners.items() if listener["Port"] == 443)
    https = listeners[https_id]
    http = next(listener for listener in listeners.values() if listener["Port"] == 80)
    assert https["Protocol"] == "HTTPS"
    assert https["Certificates"] == [{"CertificateArn": CERTIFICATE}]
    assert http["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"
    assert http["DefaultActions"][0]["RedirectConfig"]["StatusCode"] == "HTTP_301"
    group = next(
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::EC2::SecurityGroup"
    )
    public = [r for r in group["SecurityGroupIngress"] if r.get("CidrIp") == "0.0.0.0/0"]
    assert sorted(rule["FromPort"] for rule in public) == [80, 443]
    # The release test listener (D27) admits the VPC only.
    assert [r["FromPort"] for r in group["SecurityGroupIngress"] if r not in public] == [8443]
    rule = next(
        r["Properties"]
        for r in _templates(synthesized[51])[_stack(names.ecs_services_unit("fargate", 1))][
            "Resources"
        ].values()
        if r["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"
    )
    # The services import the HTTPS listener: the one listener they had on HTTP, moved to 443.
    assert f"Ref{https_id}" in json.dumps(rule["ListenerArn"])


def _service_one(synthesized: dict[int, Path]) -> dict[str, dict[str, Any]]:
    """svc-1's resources (not svc-10 to svc-19's, whose logical IDs share the prefix)."""
    template = _templates(synthesized[51])[_stack(names.ecs_services_unit("fargate", 1))]
    prefix = re.escape(names.service_construct_id("svc-1"))
    return {k: v for k, v in template["Resources"].items() if re.match(rf"{prefix}(?!\d)", k)}


# The logical id prefix of svc-1's execution role policy.
EXECUTION_POLICY = f"{names.service_construct_id('svc-1')}ExecutionRoleDefaultPolicy"


def _imports(value: Any) -> set[str]:
    """The export names a template value reads with Fn::ImportValue."""
    if isinstance(value, dict):
        if set(value) == {"Fn::ImportValue"}:
            return {value["Fn::ImportValue"]}
        return {name for item in value.values() for name in _imports(item)}
    if isinstance(value, list):
        return {name for item in value for name in _imports(item)}
    return set()


def test_ecr_image_pull_is_granted_to_the_execution_role(synthesized: dict[int, Path]) -> None:
    """The image and the pull grant name the registry's repository by its name (cp-<env>/<name>),
    with no cross-stack reference (D21), scoped to that one repository."""
    resources = _service_one(synthesized)
    definition = next(r for r in resources.values() if r["Type"] == "AWS::ECS::TaskDefinition")
    image = json.dumps(definition["Properties"]["ContainerDefinitions"][0]["Image"])
    assert image.endswith('/cp-sandbox/sample-app:1.0.0"]]}')
    assert "Fn::ImportValue" not in image
    assert "Fn::GetStackOutput" not in image
    policy = next(
        r
        for k, r in resources.items()
        if k.startswith(f"{names.service_construct_id('svc-1')}ExecutionRoleDefaultPolicy")
    )
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    pull = next(s for s in statements if "ecr:BatchGetImage" in s["Action"])
    repositories = {
        json.dumps(arn).rsplit(":repository/", 1)[1].split('"')[0] for arn in pull["Resource"]
    }
    # The app's repository and the init container's image through the pull-through cache (D26).
    assert repositories == {"cp-sandbox/sample-app", "cp-sandbox/ecr-public/docker/library/busybox"}
    assert "Fn::ImportValue" not in json.dumps(pull["Resource"])


def test_secrets_are_injected_from_their_arns(synthesized: dict[int, Path]) -> None:
    resources = _service_one(synthesized)
    definition = next(r for r in resources.values() if r["Type"] == "AWS::ECS::TaskDefinition")
    secrets = {
        s["Name"]: json.dumps(s["ValueFrom"])
        for s in definition["Properties"]["ContainerDefinitions"][0]["Secrets"]
    }
    assert secrets["DB_PASSWORD"] == json.dumps(SECRET)
    assert secrets["API_KEY"] == json.dumps(PARAMETER)
    policy = next(
        r
        for k, r in resources.items()
        if k.startswith(f"{names.service_construct_id('svc-1')}ExecutionRoleDefaultPolicy")
    )
    actions = json.dumps(policy["Properties"]["PolicyDocument"])
    assert "secretsmanager:GetSecretValue" in actions
    assert "ssm:GetParameters" in actions


def test_nag_clean_at_scale(synthesized: dict[int, Path]) -> None:
    report = json.loads((synthesized[51] / "validation-report.json").read_text())
    violations = [v for r in report["pluginReports"] for v in r.get("violations", [])]
    assert not violations, [v["ruleName"] for v in violations]
