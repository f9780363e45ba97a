"""image-from-new-repository: a task definition the deploy registers runs an image from an ECR
repository that the same deploy creates, so the repository is empty when the tasks start.

CloudFormation waits for an ECS service's new tasks to reach a steady state during the update;
a task whose image is not in its repository fails to start ("CannotPullContainerError: ...
not found", Amazon ECS developer guide, "Amazon ECS stopped task errors: CannotPullContainer
task errors", read 2026-12-04), the deployment circuit breaker rolls the service back and the
stack update fails. This happens when a repository is renamed, when the registry's KMS
encryption is turned on (which gives each repository a new name), and when a new repository and
a service that runs from it are deployed together. A repository under a pull-through cache
rule's prefix is left out: ECR fills it on the first pull (container_constructs/
pull_through_cache.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tools.plan.model import Refusal, State, resources_of_type
from tools.plan.transition import Transition

RULE_ID = "image-from-new-repository"
TITLE = "a service's image in a repository the same deploy creates (empty until pushed)"
ACCEPT_WHEN = (
    "the image is in the new repository before the service's stack deploys by other means "
    "(a replication rule, a push between the stacks' deploys)"
)
REPOSITORY = "AWS::ECR::Repository"
CACHE_RULE = "AWS::ECR::PullThroughCacheRule"
TASK_DEFINITION = "AWS::ECS::TaskDefinition"


def _named(state: State, resource_type: str, field: str) -> Iterator[tuple[str, str, str]]:
    """(stack, logical id, literal `field`) of every `resource_type` in `state`."""
    for stack, logical_id, resource in resources_of_type(state, resource_type):
        value = resource.get("Properties", {}).get(field)
        if isinstance(value, str):
            yield stack, logical_id, value


def check(transition: Transition) -> list[Refusal]:
    existing = {name for _, _, name in _named(transition.base, REPOSITORY, "RepositoryName")}
    prefixes = {
        prefix for _, _, prefix in _named(transition.target, CACHE_RULE, "EcrRepositoryPrefix")
    }
    created = {
        name: (stack, logical_id)
        for stack, logical_id, name in _named(transition.target, REPOSITORY, "RepositoryName")
        if stack in transition.deployed
        and name not in existing
        and not any(name.startswith(f"{prefix}/") for prefix in prefixes)
    }
    refusals = []
    for stack in transition.deployed:
        target = transition.target[stack]
        for logical_id, resource in target.resources.items():
            if resource.get("Type") != TASK_DEFINITION or not transition.impact(stack, logical_id):
                continue
            for container in resource.get("Properties", {}).get("ContainerDefinitions", []):
                image = json.dumps(container.get("Image"))
                for name, holder in created.items():
                    if f"/{name}:" in image or f"/{name}@" in image:
                        refusals.append(
                            _refusal(transition, stack, logical_id, container, name, holder)
                        )
    return refusals


def _refusal(
    transition: Transition,
    stack: str,
    logical_id: str,
    container: dict[str, Any],
    name: str,
    holder: tuple[str, str],
) -> Refusal:
    path = transition.target[stack].label(logical_id)
    repository = transition.target[holder[0]].label(holder[1])
    reason = (
        f"{path}'s container {container.get('Name')} runs an image from {name}, which this "
        f"deploy creates ({repository}): the repository is empty when the service's new tasks "
        "start, they cannot pull the image, the circuit breaker rolls the service back and the "
        "stack update fails"
    )
    steps = (
        f"Create the repository first: `make deploy STACKS={holder[0]}` (where it replaces "
        "another repository the service runs from, that one goes in the same deploy: running "
        "tasks keep their image, new ones cannot start until step 3).",
        "Push the image the service runs into it: `make push-image SERVICE=<cluster>/<service> "
        "TAG=<its tag>` (docs/releasing.md).",
        "Then `make deploy`.",
    )
    return Refusal(RULE_ID, stack, transition.target[stack].path(logical_id), reason, steps)
