"""The app `cdk synth --app` runs for tests/helpers/cdk_cli.py `cli_context`: it writes the context
the CLI hands an app to the file named by its argument, and synthesizes nothing.

It reads the context where aws-cdk-lib's App does: CDK_CONTEXT_JSON, updated with the JSON file
that CONTEXT_OVERFLOW_LOCATION_ENV names when the CLI moved (part of) it there. Standard library
only, so it starts in milliseconds.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(record: str) -> None:
    context = json.loads(os.environ.get("CDK_CONTEXT_JSON") or "{}")
    overflow = os.environ.get("CONTEXT_OVERFLOW_LOCATION_ENV")
    if overflow:
        context.update(json.loads(Path(overflow).read_text()))
    Path(record).write_text(json.dumps(context, indent=2, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
