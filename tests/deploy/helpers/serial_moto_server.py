"""`moto_server`'s own application, served one request at a time (emulator.py runs this module).

Why not `python -m moto.server`: it always serves requests on parallel threads, and moto 5.2.5's
CloudFormation is not safe for that. `CreateStack` builds a stack's resources inside the request,
through a lazy `ResourceMap` that creates a resource the first time anything reads it, and the stack
is already listed as CREATE_IN_PROGRESS while that runs. A `DescribeStackResources` or
`DescribeStacks` (outputs) arriving meanwhile (the custom-resource responder polls both) creates
the resources not reached yet a second time on its own thread: duplicate VPCs and subnets
("InvalidSubnet.Conflict"), and a second `Custom::` resource that replaces the first in the stack's
custom-resource table while the resource map keeps the first. The SUCCESS answer then completes
the replacement, the map waits on the original forever, and the stack never leaves
CREATE_IN_PROGRESS. Serving one request at a time makes each CreateStack atomic to every reader,
as it is on AWS. Nothing else changes: same application, same request handler, same backends,
except eight documented changes to moto's CloudFormation: two refusals CloudFormation makes
(`delete_stack_unless_its_exports_are_imported`, `update_stack_unless_it_drops_an_export_in_use`),
four that updating stacks as the CDK CLI does needs
(`resolve_update_parameters_keeping_defaults`, `update_stack_and_its_exports`,
`delete_change_set_if_it_exists`, `update_task_definition_with_api_keys`), one property deleting a
stack honours (`delete_resource_emptying_a_repository`) and one default creating an ECS service
takes (`create_service_at_cloudformations_default_count`), each proved necessary against stock moto
in tests/deploy/test_checkers.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import ResourceMap
from moto.core.utils import pascal_to_camelcase, remap_nested_keys
from moto.ecs.models import Service, TaskDefinition
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

from tests.deploy.helpers.exports import imported_export_names

_stock_delete_stack = CloudFormationBackend.delete_stack
_stock_resolve_update_parameters = CloudFormationBackend._resolve_update_parameters
_stock_delete_change_set = CloudFormationBackend.delete_change_set
_stock_update_stack = CloudFormationBackend.update_stack
_stock_update_task_definition = TaskDefinition.update_from_cloudformation_json
_stock_delete_resource = ResourceMap._delete_resource
_stock_create_service = Service.create_from_cloudformation_json


def exports_in_use(backend: CloudFormationBackend, stack: Stack) -> dict[str, list[str]]:
    """Each export of `stack` that another stack of the backend imports -> the importers' names."""
    in_use: dict[str, list[str]] = {}
    for export in stack.exports:
        importers = sorted(
            other.name
            for other in backend.stacks.values()
            if other.stack_id != stack.stack_id
            and not other.status.startswith("DELETE")
            and export.name in imported_export_names(other.template_dict)
        )
        if importers:
            in_use[export.name] = importers
    return in_use


def delete_stack_unless_its_exports_are_imported(
    backend: CloudFormationBackend, name_or_stack_id: str
) -> None:
    """moto 5.2.5's `delete_stack`, but a stack whose export another live stack imports is kept.

    CloudFormation refuses that deletion: DeleteStack is accepted, the stack keeps its resources
    and its status (e.g. CREATE_COMPLETE) with the reason "Export <name> cannot be deleted as it is
    in use by <stack>" (two importers: "<a> and <b>"), which the CDK CLI reports as "Failed to
    destroy <stack>: CREATE_COMPLETE (Export ...)" (the message as aws-cdk#604 quotes it). Stock
    moto deletes the stack and drops its exports, leaving the importers dangling;
    tests/deploy/test_checkers.py proves that, so a moto upgrade shows up.
    """
    for stack in list(backend.stacks.values()):
        if name_or_stack_id not in (stack.stack_id, stack.name):
            continue
        in_use = exports_in_use(backend, stack)
        if in_use:
            name, importers = next(iter(in_use.items()))
            reason = f"Export {name} cannot be deleted as it is in use by {' and '.join(importers)}"
            # DescribeStacks serializes the Stack's `status_reason` as StackStatusReason.
            stack.status_reason = reason  # type: ignore[attr-defined]
            stack._add_stack_event(stack.status, resource_status_reason=reason)
            return
    _stock_delete_stack(backend, name_or_stack_id)


def resolve_update_parameters_keeping_defaults(
    backend: CloudFormationBackend, instance: Any, incoming_params: list[dict[str, Any]]
) -> dict[str, str]:
    """moto 5.2.5's parameter resolution of UpdateStack and CreateChangeSet, but a parameter
    passed with `UsePreviousValue` that the stack was created without (its template default) is
    left to its default again instead of failing.

    The CDK CLI passes every parameter of the deployed stack that the deploy does not set with
    `UsePreviousValue: true`, e.g. the `BootstrapVersion` every CDK stack declares with a default.
    CloudFormation then keeps the previous value: for a parameter created with its default, that
    default. moto keeps only the parameters CreateStack was given (`Stack.parameters`), so it
    raises KeyError and answers HTTP 500: no CDK stack could be updated (`cdk deploy` of a changed
    template) and no change set created (`cdk diff`); tests/deploy/test_checkers.py proves that,
    so a moto upgrade shows up. Resolving the default again gives the same value unless the new
    template changes the default (CloudFormation would keep the old one).
    """
    kept = [
        parameter
        for parameter in incoming_params
        if not parameter.get("UsePreviousValue", False)
        or parameter["ParameterKey"] in instance.parameters
    ]
    resolved: dict[str, str] = _stock_resolve_update_parameters(backend, instance, kept)
    return resolved


def exports_dropped_in_use(
    backend: CloudFormationBackend, stack: Stack, template: str
) -> dict[str, list[str]]:
    """Each export of `stack` that another live stack imports and `template` (its update) no longer
    declares -> the importers' names. (A declared export whose value the update changes is not
    followed: that needs the updated resources' physical ids.)"""
    outputs = Stack.parse_template(template).get("Outputs") or {}
    declared = {output.get("Export", {}).get("Name") for output in outputs.values()}
    return {
        name: users
        for name, users in exports_in_use(backend, stack).items()
        if name not in declared
    }


def update_stack_unless_it_drops_an_export_in_use(
    backend: CloudFormationBackend,
    name: str,
    template: str,
    role_arn: str | None,
    parameters: list[dict[str, Any]],
    tags: dict[str, str] | None,
) -> Stack:
    """`update_stack_and_its_exports`, but an update that removes an export another live stack
    imports is refused and rolled back, as CloudFormation does.

    CloudFormation fails such an update and rolls it back: the stack ends UPDATE_ROLLBACK_COMPLETE
    with the event reason "Export <name> cannot be deleted as it is in use by <stack>" (as
    aws/aws-cdk#3414 and #7602 quote the CLI's output), its resources and exports as before.
    Stock moto 5.2.5 applies the update and drops the export; tests/deploy/test_checkers.py proves
    that, so a moto upgrade shows up. `make plan` refuses the same change (export-in-use).
    """
    stack: Stack = backend.get_stack(name)
    dropped = exports_dropped_in_use(backend, stack, template)
    if not dropped:
        return update_stack_and_its_exports(backend, name, template, role_arn, parameters, tags)
    export, importers = next(iter(dropped.items()))
    reason = f"Export {export} cannot be deleted as it is in use by {' and '.join(importers)}"
    stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack.status_reason = reason  # type: ignore[attr-defined]
    return stack


def update_stack_and_its_exports(
    backend: CloudFormationBackend,
    name: str,
    template: str,
    role_arn: str | None,
    parameters: list[dict[str, Any]],
    tags: dict[str, str] | None,
) -> Stack:
    """moto 5.2.5's UpdateStack, then the region's exports made what the updated stack exports.

    Stock moto registers a stack's exports only at CreateStack: an export an update adds is not
    listed and no `Fn::ImportValue` finds it ("No export named ... found."), an export whose value
    changed keeps the old value, and DeleteStack of the updated stack fails with KeyError on the
    export it never registered (HTTP 500). A CDK app adds such exports whenever a stack starts to
    read another stack's resource (e.g. a service pointed at the registry's repository reads its
    name); CloudFormation adds, changes and removes them with the update. (An update removing an
    export another stack imports is refused before this: see
    `update_stack_unless_it_drops_an_export_in_use`.)
    """
    stack: Stack = _stock_update_stack(backend, name, template, role_arn, parameters, tags)
    for export_name, export in list(backend.exports.items()):
        if export.exporting_stack_id == stack.stack_id:
            del backend.exports[export_name]
    for export in stack.exports:
        backend.exports[export.name] = export
    return stack


def delete_change_set_if_it_exists(backend: CloudFormationBackend, change_set_name: str) -> None:
    """moto 5.2.5's DeleteChangeSet, but deleting a change set that does not exist succeeds.

    So it does on CloudFormation for a stack that exists (ministackorg/ministack#1625 measured it;
    the API reference lists no not-found error), and the CDK CLI relies on it: `cdk diff` and a
    change-set deploy first delete "the existing change set with name cdk-diff-change-set if it
    exists". Stock moto raises UnboundLocalError (HTTP 500) for an unknown name, which the CLI
    retries with backoff for about 40 seconds per stack before it falls back to a template diff;
    tests/deploy/test_checkers.py proves that, so a moto upgrade shows up.
    """
    known = change_set_name in backend.change_sets or any(
        change_set.change_set_name == change_set_name for change_set in backend.change_sets.values()
    )
    if known:
        _stock_delete_change_set(backend, change_set_name)


def update_task_definition_with_api_keys(
    cls: type[TaskDefinition],
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> TaskDefinition:
    """moto 5.2.5's CloudFormation update of an `AWS::ECS::TaskDefinition`, with the container
    definitions and volumes in the ECS API's keys, as its create has them.

    Stock moto registers the updated revision with the template's keys (`Name`, `Image`), which
    the ECS API's response model does not know: DescribeTaskDefinition of the new revision shows
    containers without name or image, so no test can see which image an update rolled out.
    tests/deploy/test_checkers.py proves that, so a moto upgrade shows up.
    """
    properties = dict(cloudformation_json["Properties"])
    for key in ("ContainerDefinitions", "Volumes"):
        if key in properties:
            properties[key] = remap_nested_keys(properties[key], pascal_to_camelcase)
    updated: TaskDefinition = _stock_update_task_definition(
        original_resource,
        new_resource_name,
        {**cloudformation_json, "Properties": properties},
        account_id,
        region_name,
    )
    return updated


def delete_resource_emptying_a_repository(
    resource_map: ResourceMap, parsed_resource: Any, resource_json: dict[str, Any]
) -> None:
    """moto 5.2.5's deletion of a stack's resource, but an `AWS::ECR::Repository` with
    `EmptyOnDelete: true` is deleted with its images, as CloudFormation does.

    CloudFormation's AWS::ECR::Repository reference, EmptyOnDelete: "If true, deleting the
    repository force deletes the contents of the repository. If false, the repository must be
    empty before attempting to delete it." Stock moto ignores the property: DeleteStack fails with
    RepositoryNotEmptyException and leaves the repository, so a sandbox registry (EmptyOnDelete,
    stacks/registry_stack.py) with an image pushed could not be destroyed on the emulator;
    tests/deploy/test_checkers.py proves that, so a moto upgrade shows up.
    """
    properties = resource_json.get("Properties") or {}
    if resource_json.get("Type") == "AWS::ECR::Repository" and properties.get("EmptyOnDelete") in (
        True,
        "true",
    ):
        from moto.ecr.models import ecr_backends

        backend = ecr_backends[resource_map._account_id][resource_map._region_name]
        backend.delete_repository(parsed_resource.name, force=True)
        return
    _stock_delete_resource(resource_map, parsed_resource, resource_json)


def create_service_at_cloudformations_default_count(
    cls: type[Service],
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Service:
    """moto 5.2.5's CloudFormation create of an `AWS::ECS::Service`, but one without
    `DesiredCount` (and not a daemon) starts at one task, as CloudFormation creates it.

    The AWS::ECS::Service resource schema, DesiredCount: "For new services, if a desired count is
    not specified, a default value of ``1`` is used." Stock moto creates it at 0, so a platform
    service (its template sets no count: auto scaling owns it, container_constructs/
    service_base.py) would wrongly verify as steady at 0/0 on the emulator;
    tests/deploy/test_checkers.py proves that, so a moto upgrade shows up.
    """
    properties = cloudformation_json.get("Properties") or {}
    if properties.get("DesiredCount") is None and properties.get("SchedulingStrategy") != "DAEMON":
        properties = {**properties, "DesiredCount": 1}
    created: Service = _stock_create_service(
        resource_name,
        {**cloudformation_json, "Properties": properties},
        account_id,
        region_name,
        **kwargs,
    )
    return created


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", required=True)
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    # moto builds a custom resource's ResponseURL from MOTO_PORT, as `moto.server` sets it.
    os.environ["MOTO_PORT"] = str(args.port)
    CloudFormationBackend.delete_stack = delete_stack_unless_its_exports_are_imported  # type: ignore[method-assign,assignment]
    CloudFormationBackend._resolve_update_parameters = resolve_update_parameters_keeping_defaults  # type: ignore[method-assign,assignment]
    CloudFormationBackend.delete_change_set = delete_change_set_if_it_exists  # type: ignore[method-assign,assignment]
    CloudFormationBackend.update_stack = update_stack_unless_it_drops_an_export_in_use  # type: ignore[method-assign,assignment]
    TaskDefinition.update_from_cloudformation_json = classmethod(  # type: ignore[method-assign,assignment]
        update_task_definition_with_api_keys
    )
    ResourceMap._delete_resource = delete_resource_emptying_a_repository  # type: ignore[method-assign,assignment]
    Service.create_from_cloudformation_json = classmethod(  # type: ignore[method-assign,assignment]
        create_service_at_cloudformations_default_count
    )
    application = DomainDispatcherApplication(create_backend_app)
    application.debug = True  # type: ignore[attr-defined]  # as moto.server.main
    run_simple(
        args.host,
        args.port,
        application,
        threaded=False,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
