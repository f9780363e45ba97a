"""A base read from the account: the template CloudFormation holds for each stack of the app
(GetTemplate, as `cdk diff` reads it). For a deploy from a machine without this checkout's deploy
record (a CI runner): `make deploy` falls back to it, and `make plan BASE=deployed` asks for it.
Needs the deployer's credentials; stacks the app no longer has are not looked for."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tools.account.session import described_stack
from tools.deploy.deployed_stacks import assembly_regions
from tools.plan.model import StackTemplate, State

DEPLOYED = "deployed"
# Statuses of a stack that has no deployed template (yet, or any more).
ABSENT = ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE")


def deployed_base(
    app: Mapping[str, StackTemplate], assembly: Path, session: Any
) -> tuple[State, str]:
    """Each stack of `app` as CloudFormation holds it in the stack's region; a stack it does not
    have is left out (it is added by the deploy)."""
    regions = assembly_regions(assembly)
    found: dict[str, StackTemplate] = {}
    for name, stack in app.items():
        cloudformation = session.client("cloudformation", region_name=regions.get(name))
        described = described_stack(cloudformation, name)
        if described is None or described["StackStatus"] in ABSENT:
            continue
        body = cloudformation.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
        found[name] = StackTemplate(name, _as_dict(body), stack.dependencies)
    return found, f"the stacks deployed in the account ({len(found)} of {len(app)} found)"


def _as_dict(body: Any) -> dict[str, Any]:
    """botocore answers a JSON template as a mapping, another as text (CDK writes JSON)."""
    loaded: dict[str, Any] = json.loads(json.dumps(body) if isinstance(body, Mapping) else body)
    return loaded
