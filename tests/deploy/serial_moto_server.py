"""`moto_server`'s own application, served one request at a time (run as a script by emulator.py).

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
except one documented addition to moto's CloudFormation backend
(`delete_stack_unless_its_exports_are_imported`).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

_stock_delete_stack = CloudFormationBackend.delete_stack


def imported_export_names(value: Any) -> set[str]:
    """The literal export name of every `Fn::ImportValue` anywhere in a template (or part of one).

    aws-cdk-lib's strong cross-stack references always name the export literally
    (`{"Fn::ImportValue": "<producer>:ExportsOutput..."}`); a computed name is not followed.
    """
    if isinstance(value, list):
        return set().union(*(imported_export_names(item) for item in value))
    if not isinstance(value, dict):
        return set()
    here = {value["Fn::ImportValue"]} if isinstance(value.get("Fn::ImportValue"), str) else set()
    return here.union(*(imported_export_names(item) for item in value.values()))


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


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", required=True)
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    # moto builds a custom resource's ResponseURL from MOTO_PORT, as `moto.server` sets it.
    os.environ["MOTO_PORT"] = str(args.port)
    CloudFormationBackend.delete_stack = delete_stack_unless_its_exports_are_imported  # type: ignore[method-assign,assignment]
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
