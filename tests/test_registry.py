"""The registry stack: repositories, encryption, lifecycle, removal, grants, outputs and the
optional registry-level rules, in both environments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from container_constructs.registry import (
    ContainerRegistry,
    ContainerRegistryProps,
    RepositorySpec,
)
from platform_config import load_config
from stacks import names
from stacks.platform import stack_settings
from stacks.registry_stack import RegistryStack
from tests.helpers.apps import project_app
from tests.helpers.assembly import Assembly

REPOSITORY = "AWS::ECR::Repository"
# Stateful resources: a changed logical ID would replace them (and lose every image).
PINNED_LOGICAL_IDS = {
    "sandbox": {"RegistrysampleappCC1FB26D": REPOSITORY},
    "production": {
        "RegistrysampleappCC1FB26D": REPOSITORY,
        "RegistryEncryptionKey00A927E3": "AWS::KMS::Key",
    },
}
PUSH_ACTIONS = {
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
}
PULL_ACTIONS = {
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
}


def _only(resources: dict[str, Any]) -> dict[str, Any]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.values()))


def _own(template: Template) -> dict[str, Any]:
    """The repositories of `registry.repositories` (not the pull-through cache's)."""
    return {
        logical_id: resource
        for logical_id, resource in template.find_resources(REPOSITORY).items()
        if not logical_id.startswith("RegistryPullThroughCache")
    }


def _ci_role_id(template: Template) -> str:
    (role_id,) = [i for i in template.find_resources("AWS::IAM::Role") if "CiPublisher" in i]
    return role_id


def _lifecycle_rules(repository: dict[str, Any]) -> list[dict[str, Any]]:
    text = repository["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"]
    rules: list[dict[str, Any]] = json.loads(text)["rules"]
    return rules


def _statements(template: Template, role_logical_id: str) -> list[dict[str, Any]]:
    policies = template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role_logical_id}]}}
    )
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


# --- The session's assemblies: the built-in sandbox and production environments -----------------


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_stateful_logical_ids_are_pinned(assemblies: dict[str, Assembly], environment: str) -> None:
    """Renaming a construct must not silently replace a repository or its key."""
    template = assemblies[environment].template(names.REGISTRY_UNIT).to_json()
    for logical_id, resource_type in PINNED_LOGICAL_IDS[environment].items():
        assert template["Resources"][logical_id]["Type"] == resource_type


def test_one_repository_per_configured_name(assembly: Assembly) -> None:
    environment = assembly.environment
    configured = load_config(environment).registry.physical_names(environment)
    repositories = _own(assembly.template(names.REGISTRY_UNIT))
    assert sorted(r["Properties"]["RepositoryName"] for r in repositories.values()) == sorted(
        configured.values()
    )


def test_tags_are_immutable_and_images_scanned_on_push(assembly: Assembly) -> None:
    assembly.template(names.REGISTRY_UNIT).has_resource_properties(
        REPOSITORY,
        {"ImageTagMutability": "IMMUTABLE", "ImageScanningConfiguration": {"ScanOnPush": True}},
    )


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_lifecycle_rules_follow_config_with_correct_priorities(
    assemblies: dict[str, Assembly], environment: str
) -> None:
    """Untagged images expire first (priority 1); the `any` rule must come last (priority 2)."""
    lifecycle = load_config(environment).registry.repositories[0].lifecycle
    repository = _only(_own(assemblies[environment].template(names.REGISTRY_UNIT)))
    untagged, keep_last = _lifecycle_rules(repository)
    assert untagged["rulePriority"] == 1
    assert untagged["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countNumber": lifecycle.untagged_image_expiry_days,
        "countUnit": "days",
    }
    assert keep_last["rulePriority"] == 2
    assert keep_last["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": lifecycle.max_image_count,
    }
    assert untagged["action"] == keep_last["action"] == {"type": "expire"}


def test_sandbox_repository_is_deleted_with_its_images(sandbox: Assembly) -> None:
    """`cdk destroy` leaves nothing: DESTROY plus CloudFormation's native EmptyOnDelete."""
    sandbox.template(names.REGISTRY_UNIT).has_resource(
        REPOSITORY,
        {
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": Match.object_like({"EmptyOnDelete": True}),
        },
    )


def test_emptying_needs_no_custom_resource(assembly: Assembly) -> None:
    """No Lambda-backed auto-delete: the stack holds only native resources."""
    types = {
        r["Type"] for r in assembly.template(names.REGISTRY_UNIT).to_json()["Resources"].values()
    }
    assert types <= {
        REPOSITORY,
        "AWS::KMS::Key",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::ECR::PullThroughCacheRule",
        "AWS::ECR::RepositoryCreationTemplate",
    }


def test_production_repository_is_retained_and_never_emptied(production: Assembly) -> None:
    repository = _only(_own(production.template(names.REGISTRY_UNIT)))
    assert repository["DeletionPolicy"] == repository["UpdateReplacePolicy"] == "Retain"
    assert "EmptyOnDelete" not in repository["Properties"]


def test_sandbox_uses_aes256_and_no_kms_key(sandbox: Assembly) -> None:
    """AES256 is ECR's default encryption, so the template leaves EncryptionConfiguration out."""
    template = sandbox.template(names.REGISTRY_UNIT)
    repository = _only(_own(template))
    assert repository["Properties"].get(
        "EncryptionConfiguration", {"EncryptionType": "AES256"}
    ) == {"EncryptionType": "AES256"}
    template.resource_count_is("AWS::KMS::Key", 0)


def test_production_uses_a_rotating_retained_kms_key(production: Assembly) -> None:
    template = production.template(names.REGISTRY_UNIT)
    template.has_resource_properties(
        REPOSITORY,
        {
            "EncryptionConfiguration": {
                "EncryptionType": "KMS",
                "KmsKey": {"Fn::GetAtt": ["RegistryEncryptionKey00A927E3", "Arn"]},
            }
        },
    )
    template.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": Match.object_like({"EnableKeyRotation": True}),
            "DeletionPolicy": "Retain",
        },
    )


def test_ci_role_trusts_only_this_account_by_default(assembly: Assembly) -> None:
    template = assembly.template(names.REGISTRY_UNIT)
    role = template.find_resources("AWS::IAM::Role")[_ci_role_id(template)]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {
        "AWS": {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
    }


def test_ci_role_may_push_to_the_repositories_and_nothing_else(assembly: Assembly) -> None:
    """Image actions on the repository ARNs; only GetAuthorizationToken (IAM-required) on *."""
    template = assembly.template(names.REGISTRY_UNIT)
    statements = _statements(template, _ci_role_id(template))
    repository_ids = set(_own(template))
    scoped = [s for s in statements if s["Resource"] != "*"]
    wildcard = [s for s in statements if s["Resource"] == "*"]
    assert {a for s in scoped for a in _actions(s)} == PUSH_ACTIONS
    assert {s["Resource"]["Fn::GetAtt"][0] for s in scoped} == repository_ids
    assert [_actions(s) for s in wildcard] == [{"ecr:GetAuthorizationToken"}]
    assert all(s["Effect"] == "Allow" for s in statements)


def test_repositories_have_no_resource_policy_without_cross_account_pull(
    assembly: Assembly,
) -> None:
    for repository in assembly.template(names.REGISTRY_UNIT).find_resources(REPOSITORY).values():
        assert "RepositoryPolicyText" not in repository["Properties"]


def test_no_registry_level_rules_unless_configured(assembly: Assembly) -> None:
    """Scanning and replication exist once per account and region: off unless configured. The
    pull-through cache is on by default, under a prefix of the environment's own."""
    template = assembly.template(names.REGISTRY_UNIT)
    for resource_type in (
        "AWS::ECR::RegistryScanningConfiguration",
        "AWS::ECR::ReplicationConfiguration",
    ):
        template.resource_count_is(resource_type, 0)
    template.resource_count_is("AWS::ECR::PullThroughCacheRule", 1)


def test_outputs_give_the_uri_and_the_push_commands(assembly: Assembly) -> None:
    outputs = assembly.template(names.REGISTRY_UNIT).to_json()["Outputs"]
    uri = outputs[names.repository_uri_output("sample-app")]
    assert uri["Value"]["Fn::Join"][1][-1] == {"Ref": "RegistrysampleappCC1FB26D"}
    commands = outputs[names.repository_push_commands_output("sample-app")]["Value"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else "<token>" for part in commands)
    assert text == (
        "aws ecr get-login-password --region us-east-1 | docker login --username AWS "
        "--password-stdin <token>.dkr.ecr.us-east-1.<token> && "
        "docker tag IMAGE <token>.dkr.ecr.us-east-1.<token>/<token>:TAG && "
        "docker push <token>.dkr.ecr.us-east-1.<token>/<token>:TAG"
    )
    assert {"Ref": "RegistrysampleappCC1FB26D"} in commands


def _findings(report: dict[str, Any], key: str, stack: str) -> list[tuple[str, str]]:
    return [
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin.get(key, [])
        for construct in violation["violatingConstructs"]
        if construct["constructPath"].startswith(f"{stack}/")
    ]


def test_registry_stack_is_nag_clean(assembly: Assembly) -> None:
    """No unacknowledged cdk-nag finding on the registry stack."""
    stack = assembly.stack_name(names.REGISTRY_UNIT)
    assert _findings(assembly.validation_report, "violations", stack) == []


# --- In-process synths of config only overrides can reach ----------------------------------------

OPTIONAL_FEATURES: dict[str, Any] = {
    "registry": {
        "repositories": [
            {"name": "sample-app"},
            {"name": "team/api", "scan_on_push": False},
        ],
        "enhanced_scanning": "continuous",
        "cross_account_pull_accounts": ["111122223333"],
        "replication_regions": ["us-west-2", "eu-west-1"],
        "pull_through_cache": {"upstream": "ecr-public", "repository_prefix": "mirror"},
        "ci_publisher": {"trusted_role_arns": ["arn:aws:iam::444455556666:role/ci-runner"]},
    }
}


class _Synth:
    """A registry stack built from overridden config, with a consumer stack that pulls across
    stacks the way the ECS and EKS stacks do."""

    def __init__(self, outdir: Path, environment: str, overrides: dict[str, Any]) -> None:
        config = load_config(environment, overrides=overrides)
        app = project_app(outdir, nag=True)
        env = Environment(region=config.region)
        self.stack = RegistryStack(
            app,
            "registry",
            settings=stack_settings(config),
            section=config.registry,
            env=env,
        )
        consumer = Stack(app, "consumer", env=env)
        self.execution_role = iam.Role(
            consumer, "ExecutionRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")
        )
        self.stack.repositories["sample-app"].grant_pull(self.execution_role)
        app.synth()
        self.template = Template.from_stack(self.stack)
        self.consumer = Template.from_stack(consumer)
        report = outdir / "validation-report.json"
        self.report = json.loads(report.read_text()) if report.exists() else {"pluginReports": []}


@pytest.fixture(scope="module")
def optional(tmp_path_factory: pytest.TempPathFactory) -> _Synth:
    return _Synth(tmp_path_factory.mktemp("optional"), "production", OPTIONAL_FEATURES)


def _repository_named(template: Template, name: str) -> dict[str, Any]:
    return _only(template.find_resources(REPOSITORY, {"Properties": {"RepositoryName": name}}))


def test_stack_exposes_repositories_by_config_name(optional: _Synth) -> None:
    assert list(optional.stack.repositories) == ["sample-app", "team/api"]
    assert optional.stack.registry.repositories.keys() == optional.stack.repositories.keys()


# Production's repositories without its pin (the override's list replaces production's).
SAMPLE_APP, TEAM_API = "cp-production/kms/sample-app", "cp-production/kms/team/api"


def test_scan_on_push_can_be_turned_off_under_enhanced_scanning(optional: _Synth) -> None:
    properties = _repository_named(optional.template, TEAM_API)["Properties"]
    assert properties["ImageTagMutability"] == "IMMUTABLE"
    assert properties["ImageScanningConfiguration"] == {"ScanOnPush": False}


def test_repositories_share_one_kms_key(optional: _Synth) -> None:
    optional.template.resource_count_is("AWS::KMS::Key", 1)
    keys = {
        json.dumps(r["Properties"]["EncryptionConfiguration"])
        for r in optional.template.find_resources(REPOSITORY).values()
    }
    assert len(keys) == 1


def test_enhanced_scanning_covers_each_repository(optional: _Synth) -> None:
    optional.template.has_resource_properties(
        "AWS::ECR::RegistryScanningConfiguration",
        {
            "ScanType": "ENHANCED",
            "Rules": [
                {
                    "ScanFrequency": "CONTINUOUS_SCAN",
                    "RepositoryFilters": [
                        {"Filter": SAMPLE_APP, "FilterType": "WILDCARD"},
                        {"Filter": TEAM_API, "FilterType": "WILDCARD"},
                    ],
                }
            ],
        },
    )


def test_replication_sends_each_repository_to_each_region(optional: _Synth) -> None:
    account = {"Ref": "AWS::AccountId"}
    optional.template.has_resource_properties(
        "AWS::ECR::ReplicationConfiguration",
        {
            "ReplicationConfiguration": {
                "Rules": [
                    {
                        "Destinations": [
                            {"Region": "us-west-2", "RegistryId": account},
                            {"Region": "eu-west-1", "RegistryId": account},
                        ],
                        "RepositoryFilters": [
                            {"Filter": SAMPLE_APP, "FilterType": "PREFIX_MATCH"},
                            {"Filter": TEAM_API, "FilterType": "PREFIX_MATCH"},
                        ],
                    }
                ]
            }
        },
    )


def test_replication_waits_for_the_repositories(optional: _Synth) -> None:
    replication = _only(optional.template.find_resources("AWS::ECR::ReplicationConfiguration"))
    repositories = set(optional.template.find_resources(REPOSITORY))
    assert repositories <= set(replication["DependsOn"])


def test_pull_through_cache_mirrors_ecr_public(optional: _Synth) -> None:
    optional.template.has_resource_properties(
        "AWS::ECR::PullThroughCacheRule",
        {"EcrRepositoryPrefix": "mirror", "UpstreamRegistryUrl": "public.ecr.aws"},
    )


def test_cross_account_pull_is_a_resource_policy_on_every_repository(optional: _Synth) -> None:
    for name in (SAMPLE_APP, TEAM_API):
        policy = _repository_named(optional.template, name)["Properties"]["RepositoryPolicyText"]
        (statement,) = policy["Statement"]
        assert _actions(statement) == PULL_ACTIONS
        assert statement["Effect"] == "Allow"
        assert json.dumps(statement["Principal"]).count("111122223333") == 1


def test_ci_role_trusts_only_the_configured_roles(optional: _Synth) -> None:
    role = optional.template.find_resources("AWS::IAM::Role")[_ci_role_id(optional.template)]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::444455556666:role/ci-runner"}


def test_ci_role_pushes_to_every_repository(optional: _Synth) -> None:
    statements = _statements(optional.template, _ci_role_id(optional.template))
    scoped = [s for s in statements if s["Resource"] != "*"]
    resources = [
        r
        for s in scoped
        for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    assert {r["Fn::GetAtt"][0] for r in resources} == set(_own(optional.template))


def test_consumer_in_another_stack_pulls_through_a_scoped_grant(optional: _Synth) -> None:
    """The ECS/EKS pattern: `repositories[name].grant_pull(role)` from another stack."""
    statements = [
        s
        for p in optional.consumer.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    scoped = [s for s in statements if s["Resource"] != "*"]
    assert {a for s in scoped for a in _actions(s)} == PULL_ACTIONS
    # The repository's exact ARN, built from its ECR name: no cross-stack reference (nothing a
    # renamed or replaced repository could leave in use), not a wildcard.
    (resource,) = [s["Resource"] for s in scoped]
    assert resource["Fn::Join"][1][-1] == f":repository/{SAMPLE_APP}"
    assert "Fn::ImportValue" not in json.dumps(optional.consumer.to_json())
    assert [_actions(s) for s in statements if s["Resource"] == "*"] == [
        {"ecr:GetAuthorizationToken"}
    ]


def test_optional_features_are_nag_clean(optional: _Synth) -> None:
    assert _findings(optional.report, "violations", "registry") == []


def test_ci_role_can_be_disabled(tmp_path: Path) -> None:
    synth = _Synth(tmp_path, "sandbox", {"registry": {"ci_publisher": {"enabled": False}}})
    assert synth.stack.ci_publisher_role is None
    assert not any("CiPublisher" in i for i in synth.template.find_resources("AWS::IAM::Role"))


# --- The construct on its own: input config validation cannot produce ----------------------------


@pytest.fixture
def stack() -> Stack:
    # A bare App, as a user's; without the built-in template validation, which takes seconds to
    # load (cfn-lint checks the templates the stacks make).
    app = App(builtin_cloud_formation_validation=False)
    return Stack(app, "construct", env=Environment(region="us-east-1"))


def _registry(stack: Stack, **overrides: Any) -> ContainerRegistry:
    props: dict[str, Any] = {
        "repositories": [RepositorySpec(name="api"), RepositorySpec(name="web")]
    }
    return ContainerRegistry(
        stack, "Registry", props=ContainerRegistryProps(**{**props, **overrides})
    )


def test_grants_can_target_named_repositories(stack: Stack) -> None:
    registry = _registry(stack)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    assert len(registry.grant_pull(role, "web")) == 1
    assert len(registry.grant_push_pull(role)) == 2


def test_granting_an_unknown_repository_fails(stack: Stack) -> None:
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    with pytest.raises(ValueError, match="unknown repositories nope; known: api, web"):
        _registry(stack).grant_pull(role, "nope")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"repositories": []}, "repositories needs at least one repository"),
        (
            {"repositories": [RepositorySpec(name="api"), RepositorySpec(name="api")]},
            "duplicate repository names api",
        ),
        ({"repositories": [RepositorySpec(name="API")]}, "'API' is not an ECR repository name"),
        (
            {"repositories": [RepositorySpec(name="api", max_image_count=0)]},
            "'api' lifecycle days and counts must be at least 1",
        ),
        (
            {"cross_account_pull_accounts": ["12"]},
            "cross_account_pull_accounts '12': not a 12-digit AWS account id",
        ),
        ({"replication_regions": ["us-east-1"]}, "includes the stack's own region us-east-1"),
        ({"enhanced_scan_frequency": "DAILY"}, "enhanced_scan_frequency must be one of"),
    ],
)
def test_construct_rejects_bad_props(stack: Stack, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _registry(stack, **overrides)


def test_kms_encryption_without_a_key_creates_a_rotating_one(stack: Stack) -> None:
    registry = _registry(stack, encryption=ecr.RepositoryEncryption.KMS)
    assert registry.encryption_key is not None
    Template.from_stack(stack).has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
