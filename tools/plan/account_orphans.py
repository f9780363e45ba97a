"""Fixed names the account already holds outside every stack of the environment, read from the
account when the plan reads its base there (`BASE=deployed`, or `make deploy` without a deploy
record, as on a CI runner).

The ledger of orphaned names (tools/plan/orphans.py) is per checkout: a runner, or a checkout whose
`build/` was cleaned, has none, and a retained repository or log group that `make destroy` left in
production (docs/deploying.md, "Redeploying after destroy in production") would make the next
deploy's create fail ("already exists"), after the stacks before it were deployed. So every
resource the deploy creates with a fixed name that no deployed stack holds is looked up by its
name, with the deployer's credentials, in its stack's region; one that exists is an orphan as if
the ledger listed it, and `fixed-name` refuses the deploy with the way out (adopt it with
`cdk import`, or delete it).

Looked up, by the call that reads one resource by name: ECR repositories (DescribeRepositories),
CloudWatch Logs log groups (DescribeLogGroups by prefix, then the exact name), EKS clusters
(DescribeCluster), ECS clusters (DescribeClusters, ACTIVE only: an inactive one's name is free)
and S3 buckets (HeadBucket: bucket names are global, so a bucket of any account takes the name).
Other named types are not looked up. A lookup that fails (denied, unreachable) finds nothing;
the plan says which were not looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tools.account.session import value_or_why
from tools.plan.keys import resource_keys
from tools.plan.model import FOUND_IN_ACCOUNT, Orphan, State
from tools.plan.orphans import held_names


def _repository(session: Any, region: str | None, name: str) -> bool:
    ecr = session.client("ecr", region_name=region)
    return bool(ecr.describe_repositories(repositoryNames=[name])["repositories"])


def _log_group(session: Any, region: str | None, name: str) -> bool:
    logs = session.client("logs", region_name=region)
    found = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(group["logGroupName"] == name for group in found)


def _eks_cluster(session: Any, region: str | None, name: str) -> bool:
    eks = session.client("eks", region_name=region)
    return bool(eks.describe_cluster(name=name)["cluster"])


def _ecs_cluster(session: Any, region: str | None, name: str) -> bool:
    ecs = session.client("ecs", region_name=region)
    clusters = ecs.describe_clusters(clusters=[name])["clusters"]
    return any(cluster.get("status") == "ACTIVE" for cluster in clusters)


def _bucket(session: Any, region: str | None, name: str) -> bool:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    s3 = session.client("s3", region_name=region)
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False
        if code in ("403", "Forbidden", "AccessDenied"):
            return True  # another account's bucket holds the name
        raise
    return True


# Resource type -> whether a resource of that type and name exists; the error codes that mean
# it does not.
LOOKUPS: dict[str, tuple[Callable[[Any, str | None, str], bool], tuple[str, ...]]] = {
    "AWS::ECR::Repository": (_repository, ("RepositoryNotFoundException",)),
    "AWS::Logs::LogGroup": (_log_group, ()),
    "AWS::EKS::Cluster": (_eks_cluster, ("ResourceNotFoundException",)),
    "AWS::ECS::Cluster": (_ecs_cluster, ("ClusterNotFoundException",)),
    "AWS::S3::Bucket": (_bucket, ()),
}


def account_orphans(
    app: State, base: State, regions: Mapping[str, str | None], session: Any
) -> tuple[list[Orphan], list[str]]:
    """The names the deploy creates that the account holds outside `base` (the deployed
    stacks), as orphans; and the lookups that could not be made, one line each."""
    held = held_names(base)
    orphans: list[Orphan] = []
    unknown: list[str] = []
    for stack_name, stack in app.items():
        for logical_id, resource in stack.resources.items():
            resource_type = str(resource.get("Type", ""))
            if resource_type not in LOOKUPS:
                continue
            for key in resource_keys(stack_name, resource, app):
                literal = key.literal[0] if len(key.literal) == 1 else None
                if key.kind != "name" or key.value in held or not isinstance(literal, str):
                    continue
                found = _exists(session, regions.get(stack_name), resource_type, literal)
                if isinstance(found, str):
                    label = f"{stack_name}/{stack.label(logical_id)} ({resource_type} {literal!r})"
                    unknown.append(f"{label}: {found}")
                elif found:
                    orphans.append(
                        Orphan(
                            stack_name, stack.label(logical_id), resource_type,
                            key.describe(), key.value, FOUND_IN_ACCOUNT,
                        )
                    )  # fmt: skip
    return orphans, unknown


def _exists(session: Any, region: str | None, resource_type: str, name: str) -> bool | str:
    """Whether a `resource_type` named `name` exists in `region`, or why that is not known."""
    exists, absent_codes = LOOKUPS[resource_type]
    return value_or_why(
        lambda: exists(session, region, name), by_code=dict.fromkeys(absent_codes, False)
    )
