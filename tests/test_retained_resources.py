"""tools/deploy/retained_resources.py on the in-process production synth; `--resolve` on moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from stacks import names
from tests.helpers.assembly import Assembly
from tools.deploy.retained_resources import (
    NAME_IDENTIFIERS,
    dependencies,
    main,
    retained_named_resources,
    stack_templates,
)
from tools.plan.keys import schemas_dir

# Every retained resource with a fixed name in production, each kept on purpose (docs/deploying.md:
# "Redeploying after destroy in production"). A new one needs the same decision: drop the name,
# or keep it and make sure this tool maps it.
REGISTRY = names.stack_id("production", names.REGISTRY_UNIT)
EC2 = names.stack_id("production", names.ecs_cluster_unit("ec2"))
FARGATE = names.stack_id("production", names.ecs_cluster_unit("fargate"))
EKS = names.stack_id("production", names.EKS_UNIT)
EKS_LOG_GROUP = f"/aws/eks/{names.eks_cluster_name('production')}/cluster"  # named by EKS
# The pull-through cache's repositories follow the registry's removal policy (docs/design.md, D26).
CACHED = [
    names.cached_repository_name("cp-production/kms/ecr-public", path)
    for path in ("docker/library/busybox", "nginx/nginx-unprivileged")
]
EXPECTED = {
    (REGISTRY, "AWS::ECR::Repository", "sample-app"),
    *((REGISTRY, "AWS::ECR::Repository", name) for name in CACHED),
    (EC2, "AWS::Logs::LogGroup", names.exec_log_group_name(EC2)),
    (FARGATE, "AWS::Logs::LogGroup", names.exec_log_group_name(FARGATE)),
    (EKS, "AWS::Logs::LogGroup", EKS_LOG_GROUP),
}


def test_name_identifiers_are_the_cloudformation_primary_identifiers() -> None:
    """`cdk import` identifies a resource by its type's primaryIdentifier (registry schema)."""
    schemas = schemas_dir()
    providers = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    for resource_type, name_property in NAME_IDENTIFIERS.items():
        schema = json.loads(
            (schemas / "resources" / f"{providers[resource_type]}.json").read_text()
        )
        assert schema["primaryIdentifier"] == [f"/properties/{name_property}"], resource_type


def test_production_lists_exactly_the_intended_fixed_names(production: Assembly) -> None:
    named = retained_named_resources(stack_templates(production.outdir, "production"))
    assert {(r.stack, r.type, r.name) for r in named} == EXPECTED


def test_the_kms_keys_they_refer_to_are_imported_with_them(production: Assembly) -> None:
    templates = stack_templates(production.outdir, "production")
    needed = dependencies(templates, retained_named_resources(templates))
    assert {(d.stack, d.type, d.referenced_by.type, d.property) for d in needed} == {
        (
            REGISTRY,
            "AWS::KMS::Key",
            "AWS::ECR::Repository",
            "EncryptionConfiguration",
        ),
        (EC2, "AWS::KMS::Key", "AWS::Logs::LogGroup", "KmsKeyId"),
        (FARGATE, "AWS::KMS::Key", "AWS::Logs::LogGroup", "KmsKeyId"),
        (EKS, "AWS::KMS::Key", "AWS::Logs::LogGroup", "KmsKeyId"),
    }


def test_offline_run_writes_a_mapping_per_stack(
    production: Assembly, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--environment", "production", "--assembly", str(production.outdir)]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    templates = stack_templates(production.outdir, "production")
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == sorted({f"{stack}.json" for stack, _, _ in EXPECTED})
    registry = json.loads((tmp_path / f"{REGISTRY}.json").read_text())
    assert sorted(mapping["RepositoryName"] for mapping in registry.values()) == sorted(
        ["sample-app", *CACHED]
    )
    (logical_id,) = [i for i, m in registry.items() if m == {"RepositoryName": "sample-app"}]
    resource = templates[REGISTRY]["Resources"][logical_id]
    assert resource["Type"] == "AWS::ECR::Repository"
    assert resource["DeletionPolicy"] == "Retain"
    assert (
        'PATH="$PWD/.venv/bin:$PATH" node_modules/.bin/cdk import --app cdk.out '
        f"{REGISTRY} --resource-mapping {tmp_path / f'{REGISTRY}.json'}"
    ) in out
    assert out.count("TO FILL IN:") == 4  # the KMS key ids need the account (--resolve)


@pytest.mark.integration
def test_resolve_reads_the_key_ids_and_skips_what_is_gone(
    production: Assembly,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    aws: boto3.Session,
) -> None:
    """After a destroy: the repository and the EC2 cluster's exec log group remain (with their
    keys); the Fargate and EKS log groups were deleted by hand."""
    kms = aws.client("kms")
    registry_key = kms.create_key(Description="registry")["KeyMetadata"]
    log_key = kms.create_key(Description="logs")["KeyMetadata"]
    aws.client("ecr").create_repository(
        repositoryName="sample-app",
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": registry_key["Arn"]},
    )
    aws.client("logs").create_log_group(
        logGroupName=names.exec_log_group_name(EC2), kmsKeyId=log_key["Arn"]
    )
    argv = ["--environment", "production", "--assembly", str(production.outdir)]
    assert main([*argv, "--out", str(tmp_path)]) == 0  # offline first: four files
    capsys.readouterr()
    assert main([*argv, "--out", str(tmp_path), "--resolve"], session=aws) == 0
    out = capsys.readouterr().out
    assert "TO FILL IN" not in out
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [f"{EC2}.json", f"{REGISTRY}.json"]
    )
    registry = _by_type(production, tmp_path, REGISTRY)
    assert registry == {
        "AWS::ECR::Repository": {"RepositoryName": "sample-app"},
        "AWS::KMS::Key": {"KeyId": registry_key["KeyId"]},
    }
    ecs = _by_type(production, tmp_path, EC2)
    assert ecs == {
        "AWS::Logs::LogGroup": {"LogGroupName": names.exec_log_group_name(EC2)},
        "AWS::KMS::Key": {"KeyId": log_key["KeyId"]},
    }
    assert f"{EKS_LOG_GROUP}  [not in the account: deploy creates it]" in out


def test_a_name_that_is_not_a_literal_is_an_error() -> None:
    templates = {
        names.stack_id("x", names.REGISTRY_UNIT): {
            "Resources": {
                "Repo": {
                    "Type": "AWS::ECR::Repository",
                    "DeletionPolicy": "Retain",
                    "Properties": {"RepositoryName": {"Ref": "AWS::StackName"}},
                }
            }
        }
    }
    with pytest.raises(ValueError, match="not a literal"):
        retained_named_resources(templates)


def test_unnamed_or_deleted_resources_are_not_listed() -> None:
    templates: dict[str, Any] = {
        names.stack_id("x", "logs"): {
            "Resources": {
                "Unnamed": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain"},
                "Deleted": {
                    "Type": "AWS::Logs::LogGroup",
                    "DeletionPolicy": "Delete",
                    "Properties": {"LogGroupName": "/x"},
                },
            }
        }
    }
    assert retained_named_resources(templates) == []


def test_an_assembly_without_the_environment_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--environment", "production", "--assembly", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: {tmp_path} is not a cloud assembly: run `make synth ENV=production`"
    )


def _by_type(production: Assembly, folder: Path, stack: str) -> dict[str, dict[str, str]]:
    mapping = json.loads((folder / f"{stack}.json").read_text())
    resources = stack_templates(production.outdir, "production")[stack]["Resources"]
    return {resources[logical_id]["Type"]: identifier for logical_id, identifier in mapping.items()}
