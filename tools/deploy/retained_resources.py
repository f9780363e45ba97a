"""Retained resources with fixed names, and the `cdk import` resource mappings that adopt them.

    python -m tools.deploy.retained_resources --environment production [--assembly cdk.out]
                                              [--out build/import] [--resolve]

With `retain_stateful_resources` (production), `cdk destroy` leaves registries, log groups, keys and
buckets behind. Most have generated names and are simply orphaned, but a retained resource with a
fixed name blocks the next deploy: CloudFormation tries to create the name again and fails with
"already exists". The platform keeps those names on purpose (docs/deploying.md: "Redeploying after
destroy in production"): the ECR repository's name is what images are pushed to, the ECS Exec log
group's name is how service stacks and the cdk-nag acknowledgement refer to it without a cross-stack
reference, and EKS writes control-plane logs to `/aws/eks/<cluster>/cluster` whatever the template
says. The recovery is to adopt the retained resource into the new stack with `cdk import` before
deploying.

From the synthesized templates (`make synth ENV=production` or `make retained-resources`), this tool
lists every resource with `DeletionPolicy: Retain` and a fixed name, and writes one
`--resource-mapping` file per stack, `{"LogicalId": {"RepositoryName": "sample-app"}}`, for
`cdk import --app cdk.out STACK --resource-mapping FILE`. For a stack that does not exist (after
the destroy) the CLI deploys the stack's current template, empty, plus only the mapped resources
(aws-cdk's ResourceImporter.currentTemplateWithAdditions; unmapped resources are skipped), and
`make deploy` adds the rest.

A named resource that refers to another retained resource of its stack (a log group's `KmsKeyId`,
the repository's `KmsKey`) needs that resource imported with it: CloudFormation cannot import a
template whose references do not resolve. Those are KMS keys with generated ids; `--resolve` reads
each key's id from the retained resource itself (logs DescribeLogGroups, ECR DescribeRepositories)
with the deployer's credentials, and leaves out resources that no longer exist (the deploy creates
them). Without `--resolve` nothing calls AWS and the missing ids are listed instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks import names
from tools.account.session import AccountError, default_session, one_line_errors

# Resource type -> the property that is both its fixed name and its import identifier (the type's
# CloudFormation primaryIdentifier; tests/test_retained_resources.py checks them against the
# registry schemas cfn-lint ships).
NAME_IDENTIFIERS: dict[str, str] = {
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::EKS::Cluster": "Name",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SSM::Parameter": "Name",
}
RETAIN = ("Retain", "RetainExceptOnCreate")


@dataclass(frozen=True)
class RetainedResource:
    """A resource that outlives its stack and whose name is fixed by the template."""

    stack: str
    logical_id: str
    type: str
    name: str
    path: str

    @property
    def identifier(self) -> dict[str, str]:
        return {NAME_IDENTIFIERS[self.type]: self.name}


@dataclass(frozen=True)
class Dependency:
    """A retained resource without a fixed name that a `RetainedResource` refers to: it has to be
    imported together with it, identified by what only the account knows (a KMS key id)."""

    stack: str
    logical_id: str
    type: str
    referenced_by: RetainedResource
    property: str
    description: str


def stack_templates(assembly: Path, environment: str) -> dict[str, dict[str, Any]]:
    """Stack name -> template, for the stacks of `environment` (`names.stack_prefix`)."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    prefix = names.stack_prefix(environment)
    return {
        name: json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        for name, artifact in sorted(manifest["artifacts"].items())
        if artifact["type"] == "aws:cloudformation:stack" and name.startswith(prefix)
    }


def _retained(resource: Mapping[str, Any]) -> bool:
    return resource.get("DeletionPolicy") in RETAIN


def retained_named_resources(templates: Mapping[str, Mapping[str, Any]]) -> list[RetainedResource]:
    """Every resource with DeletionPolicy Retain and a literal fixed name, stack by stack."""
    found = []
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            kind = resource["Type"]
            name_property = NAME_IDENTIFIERS.get(kind)
            if not _retained(resource) or name_property is None:
                continue
            name = resource.get("Properties", {}).get(name_property)
            if name is None:
                continue  # generated name: orphaned by destroy, but no conflict on redeploy
            if not isinstance(name, str):
                raise ValueError(
                    f"{stack}/{logical_id}: {name_property} is {json.dumps(name)}, not a literal; "
                    "give it a literal name or none"
                )
            path = resource.get("Metadata", {}).get("aws:cdk:path", logical_id)
            found.append(RetainedResource(stack, logical_id, kind, name, path))
    return found


def _references(value: Any) -> Iterator[str]:
    """Logical ids that `value` refers to with Ref or Fn::GetAtt."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            yield value["Ref"]
        elif set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            yield target[0] if isinstance(target, list) else str(target).split(".")[0]
        else:
            for item in value.values():
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def dependencies(
    templates: Mapping[str, Mapping[str, Any]], named: Sequence[RetainedResource]
) -> list[Dependency]:
    """The retained, unnamed resources the named ones refer to (in their own stack)."""
    found: dict[tuple[str, str], Dependency] = {}
    named_ids = {(resource.stack, resource.logical_id) for resource in named}
    for resource in named:
        resources = templates[resource.stack]["Resources"]
        properties = resources[resource.logical_id].get("Properties", {})
        for property_name, value in properties.items():
            for target in dict.fromkeys(_references(value)):
                other = resources.get(target)
                key = (resource.stack, target)
                if other is None or key in named_ids or key in found or not _retained(other):
                    continue
                description = str(other.get("Properties", {}).get("Description", ""))
                found[key] = Dependency(
                    resource.stack, target, other["Type"], resource, property_name, description
                )
    return list(found.values())


def _log_group_key(session: Any, region: str, name: str) -> dict[str, str] | None:
    logs = session.client("logs", region_name=region)
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    group = next((group for group in groups if group["logGroupName"] == name), None)
    if group is None:
        return None
    if "kmsKeyId" not in group:
        raise AccountError(f"log group {name} exists but has no KMS key: import it by hand")
    return {"KeyId": str(group["kmsKeyId"]).rsplit("/", 1)[-1]}


def _repository_key(session: Any, region: str, name: str) -> dict[str, str] | None:
    ecr = session.client("ecr", region_name=region)
    try:
        repositories = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    except ecr.exceptions.RepositoryNotFoundException:
        return None
    encryption = repositories[0].get("encryptionConfiguration", {})
    if "kmsKey" not in encryption:
        raise AccountError(f"repository {name} exists but has no KMS key: import it by hand")
    return {"KeyId": str(encryption["kmsKey"]).rsplit("/", 1)[-1]}


def _log_group_exists(session: Any, region: str, name: str) -> bool:
    logs = session.client("logs", region_name=region)
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(group["logGroupName"] == name for group in groups)


def _repository_exists(session: Any, region: str, name: str) -> bool:
    ecr = session.client("ecr", region_name=region)
    try:
        ecr.describe_repositories(repositoryNames=[name])
    except ecr.exceptions.RepositoryNotFoundException:
        return False
    return True


# How to read a dependency's identifier from the retained named resource that refers to it:
# (named type, property) -> function(session, region, name) -> the identifier, or None if the
# named resource no longer exists.
KEY_RESOLVERS: dict[tuple[str, str], Callable[[Any, str, str], dict[str, str] | None]] = {
    ("AWS::Logs::LogGroup", "KmsKeyId"): _log_group_key,
    ("AWS::ECR::Repository", "EncryptionConfiguration"): _repository_key,
}
EXISTS: dict[str, Callable[[Any, str, str], bool]] = {
    "AWS::Logs::LogGroup": _log_group_exists,
    "AWS::ECR::Repository": _repository_exists,
}


@dataclass
class ImportPlan:
    """The mapping per stack, and what is still missing from it."""

    mappings: dict[str, dict[str, dict[str, str]]]
    unresolved: list[Dependency]
    absent: list[RetainedResource]


def plan_imports(
    named: Sequence[RetainedResource],
    needed: Sequence[Dependency],
    session: Any = None,
    region: str | None = None,
) -> ImportPlan:
    """The resource mappings: every named resource (with `session`: every one that still exists)
    and, with `session`, the identifiers of the dependencies read from the account."""
    plan = ImportPlan({}, [], [])
    for resource in named:
        exists = EXISTS.get(resource.type)
        if (
            session is not None
            and exists is not None
            and not exists(session, region or "", resource.name)
        ):
            plan.absent.append(resource)
            continue
        plan.mappings.setdefault(resource.stack, {})[resource.logical_id] = resource.identifier
    for dependency in needed:
        if dependency.referenced_by in plan.absent:
            continue
        resolver = KEY_RESOLVERS.get((dependency.referenced_by.type, dependency.property))
        identifier = None
        if session is not None and resolver is not None:
            identifier = resolver(session, region or "", dependency.referenced_by.name)
        if identifier is None:
            plan.unresolved.append(dependency)
            continue
        plan.mappings.setdefault(dependency.stack, {})[dependency.logical_id] = identifier
    return plan


def write_mappings(plan: ImportPlan, out: Path, environment: str) -> dict[str, Path]:
    """One `<stack>.json` per stack into `out` (replacing the environment's earlier ones)."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f"{names.stack_prefix(environment)}*.json"):
        stale.unlink()
    files = {}
    for stack, mapping in plan.mappings.items():
        path = out / f"{stack}.json"
        path.write_text(json.dumps(mapping, indent=2, sort_keys=True) + "\n")
        files[stack] = path
    return files


def region_of(assembly: Path, stack: str) -> str:
    manifest = json.loads((assembly / "manifest.json").read_text())
    return str(manifest["artifacts"][stack]["environment"]).rsplit("/", 1)[-1]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.deploy.retained_resources",
        description="List retained resources with fixed names; write cdk import resource mappings.",
    )
    parser.add_argument("--environment", required=True, help="environment name, e.g. production")
    parser.add_argument(
        "--assembly", type=Path, default=Path("cdk.out"), help="synthesized cloud assembly"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("build/import"), help="where the mappings are written"
    )
    parser.add_argument(
        "--resolve",
        action="store_true",
        help="read the KMS key ids from the account (deployer's credentials); skip what is gone",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    """0 after listing and writing the mappings; 1 on an error, or with `--resolve` when an id
    could not be read. `session` is for tests."""
    args = parse_args(argv)
    try:
        if not (args.assembly / "manifest.json").exists():
            raise AccountError(
                f"{args.assembly} is not a cloud assembly: run `make synth ENV={args.environment}`"
            )
        templates = stack_templates(args.assembly, args.environment)
        if not templates:
            raise AccountError(
                f"{args.assembly} holds no stack of environment '{args.environment}': run "
                f"`make synth ENV={args.environment}`"
            )
        named = retained_named_resources(templates)
        needed = dependencies(templates, named)
        region = region_of(args.assembly, next(iter(templates)))
        if args.resolve:
            with one_line_errors():
                plan = plan_imports(named, needed, session or default_session(), region)
        else:
            plan = plan_imports(named, needed)
    except (AccountError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        report(
            args.environment, named, needed, plan, write_mappings(plan, args.out, args.environment)
        )
    )
    return 1 if args.resolve and plan.unresolved else 0


def report(
    environment: str,
    named: Sequence[RetainedResource],
    needed: Sequence[Dependency],
    plan: ImportPlan,
    files: Mapping[str, Path],
) -> str:
    if not named:
        return f"Environment '{environment}' has no retained resource with a fixed name."
    lines = [f"Retained resources with fixed names in '{environment}' (kept by cdk destroy):"]
    for resource in named:
        name_property = NAME_IDENTIFIERS[resource.type]
        gone = "  [not in the account: deploy creates it]" if resource in plan.absent else ""
        lines.append(
            f"  {resource.stack}  {resource.logical_id}  {resource.type}  "
            f"{name_property}={resource.name}{gone}"
        )
    if needed:
        lines.append("Imported with them (retained resources they refer to):")
        for dependency in needed:
            lines.append(
                f"  {dependency.stack}  {dependency.logical_id}  {dependency.type}  "
                f"({dependency.referenced_by.logical_id}.{dependency.property}; "
                f"{dependency.description or 'no description'})"
            )
    for dependency in plan.unresolved:
        where = files.get(dependency.stack, Path(f"{dependency.stack}.json"))
        lines.append(
            f"TO FILL IN: {dependency.stack}/{dependency.logical_id} ({dependency.type}) needs its "
            f"id in {where}: rerun with --resolve (credentials), or add "
            f'{{"{dependency.logical_id}": {{"KeyId": "..."}}}} by hand'
        )
    if files:
        lines.append("Resource mappings (after `cdk destroy`, before `make deploy`):")
        for stack, path in files.items():
            # The project's CLI with the project's Node.js (what `make` puts on PATH).
            lines.append(
                f'  PATH="$PWD/.venv/bin:$PATH" node_modules/.bin/cdk import --app cdk.out {stack} '
                f"--resource-mapping {path}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
