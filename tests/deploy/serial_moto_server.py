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
except one documented addition to moto's template parser (`resolve_get_stack_output`).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.models import cloudformation_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

_stock_clean_json = parsing.clean_json


def resolve_get_stack_output(resource_json: Any, resources_map: parsing.ResourceMap) -> Any:
    """moto 5.2.5's `clean_json` plus `Fn::GetStackOutput`, which it leaves unresolved.

    aws-cdk-lib writes `{"Fn::GetStackOutput": {"StackName", "Region", "OutputName"}}` for a weak
    cross-stack reference; CloudFormation resolves it to that output of the named stack. This reads
    the output from the same moto backend (same account, the named region) and fails the resource
    like CloudFormation when the stack or output does not exist. Everything else is moto's own.
    tests/deploy/test_checkers.py proves stock moto still lacks it, so an upgrade shows up.
    """
    if isinstance(resource_json, dict) and set(resource_json) == {"Fn::GetStackOutput"}:
        reference = _stock_clean_json(resource_json["Fn::GetStackOutput"], resources_map)
        backend = cloudformation_backends[resources_map._account_id][reference["Region"]]
        for stack in backend.stacks.values():
            if stack.name == reference["StackName"] and not stack.status.startswith("DELETE"):
                for output in stack.outputs or []:
                    if output["OutputKey"] == reference["OutputName"]:
                        return output["OutputValue"]
        raise ValueError(f"Fn::GetStackOutput: no output {reference} in the emulator")
    return _stock_clean_json(resource_json, resources_map)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", required=True)
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    # moto builds a custom resource's ResponseURL from MOTO_PORT, as `moto.server` sets it.
    os.environ["MOTO_PORT"] = str(args.port)
    # clean_json recurses through the module global, so nested uses resolve too.
    parsing.clean_json = resolve_get_stack_output
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
