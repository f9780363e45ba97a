"""tools/plan/account_orphans.py: each fixed name the deploy creates, looked up in the account by
its type's read call (moto), and reported as an orphan only when no deployed stack holds it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.helpers.fake_session import FakeSession
from tests.plan.helpers.templates import log_group, repository, stack, state
from tools.plan.account_orphans import account_orphans
from tools.plan.model import FOUND_IN_ACCOUNT, State

REGIONS = {"app": "us-east-1"}


def _named(resource_type: str, prop: str, name: str) -> dict[str, Any]:
    return {"Type": resource_type, "Properties": {prop: name}}


def _app() -> State:
    return state(
        stack(
            "app",
            {
                "Repo": repository("team/app"),
                "Logs": log_group("/aws/team/app"),
                "Other": log_group("/aws/team/app-2"),
                "Bucket": _named("AWS::S3::Bucket", "BucketName", "team-app-bucket"),
                "Cluster": _named("AWS::ECS::Cluster", "ClusterName", "team"),
                "Eks": _named("AWS::EKS::Cluster", "Name", "team-eks"),
                "Generated": log_group(),
            },
        )
    )


@pytest.mark.integration
def test_each_type_is_looked_up_by_its_exact_name(aws: boto3.Session) -> None:
    """A log group whose name only starts with the name is not it; an ECS cluster deleted
    (INACTIVE) frees its name; a generated name is not looked up."""
    aws.client("ecr").create_repository(repositoryName="team/app")
    aws.client("logs").create_log_group(logGroupName="/aws/team/app-2-old")
    aws.client("logs").create_log_group(logGroupName="/aws/team/app")
    aws.client("s3").create_bucket(Bucket="team-app-bucket")
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName="team")
    ecs.delete_cluster(cluster="team")
    orphans, unknown = account_orphans(_app(), {}, REGIONS, aws)
    assert unknown == []
    assert {orphan.path: orphan.why for orphan in orphans} == {
        "Repo": FOUND_IN_ACCOUNT,
        "Logs": FOUND_IN_ACCOUNT,
        "Bucket": FOUND_IN_ACCOUNT,
    }


@pytest.mark.integration
def test_a_name_a_deployed_stack_holds_is_not_looked_up(aws: boto3.Session) -> None:
    aws.client("ecr").create_repository(repositoryName="team/app")
    deployed = state(stack("app", {"Repo": repository("team/app")}))
    orphans, _ = account_orphans(_app(), deployed, REGIONS, FakeSession(aws, ecr=_Refusing()))
    assert [orphan.path for orphan in orphans] == []


class _Refusing:
    """A client whose every call is denied."""

    def __getattr__(self, name: str) -> Any:
        def refuse(**_: Any) -> Any:
            error = {"Code": "AccessDeniedException", "Message": "not authorized"}
            raise ClientError({"Error": error}, "Describe")

        return refuse


@pytest.mark.integration
def test_a_lookup_that_fails_finds_nothing_and_says_so(aws: boto3.Session) -> None:
    orphans, unknown = account_orphans(_app(), {}, REGIONS, FakeSession(aws, ecr=_Refusing()))
    assert orphans == []
    assert unknown == [
        "app/Repo (AWS::ECR::Repository 'team/app'): Describe failed: AccessDeniedException"
    ]
