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
as it is on AWS. Nothing else changes: same application, same request handler, same backends.
"""

from __future__ import annotations

import argparse
import os
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", required=True)
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    # moto builds a custom resource's ResponseURL from MOTO_PORT, as `moto.server` sets it.
    os.environ["MOTO_PORT"] = str(args.port)
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
