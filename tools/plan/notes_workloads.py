"""Notes on workloads: what a deploy does to running services and queues that no rule refuses but
a reader easily misses (tools/plan/notes.py prints them with the others)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.plan.model import Impact, Note
from tools.plan.references import canonical
from tools.plan.transition import Transition

QUEUE = "AWS::SQS::Queue"
ECS_SERVICE = "AWS::ECS::Service"
QUEUE_RETENTION_SHORTENED = "queue-retention-shortened"
SERVICE_CONNECT_ENDPOINT_ADDED = "service-connect-endpoint-added"
# SQS's MessageRetentionPeriod when a queue sets none (AWS::SQS::Queue reference: 4 days).
DEFAULT_RETENTION_SECONDS = 345_600


def workload_notes(transition: Transition) -> list[Note]:
    """_shortened_retention and _new_endpoints."""
    return _shortened_retention(transition) + _new_endpoints(transition)


def _retention(properties: Mapping[str, Any]) -> int | None:
    value = properties.get("MessageRetentionPeriod", DEFAULT_RETENTION_SECONDS)
    return int(value) if isinstance(value, int) or str(value).isdigit() else None


def _shortened_retention(transition: Transition) -> list[Note]:
    """A kept queue whose retention goes down: "will impact existing messages in the queue
    potentially causing them to be expired and deleted if the MessageRetentionPeriod is reduced
    below the age of existing messages" (Amazon SQS API Reference, SetQueueAttributes)."""
    notes = []
    for stack, logical_id, old, new in transition.kept_resources(QUEUE):
        was, now = _retention(old), _retention(new)
        if (stack, logical_id) in transition.renewed or was is None or now is None or now >= was:
            continue
        notes.append(
            Note(
                QUEUE_RETENTION_SHORTENED,
                stack,
                transition.target[stack].path(logical_id),
                f"its message retention goes from {was} to {now} seconds: SQS then deletes every "
                f"message already older than {now} seconds, a backlog left by a stopped consumer "
                "included. Drain the queue first (`aws sqs get-queue-attributes --attribute-names "
                "ApproximateNumberOfMessages`) or keep the retention until it is",
            )
        )
    return notes


def _connect(properties: Mapping[str, Any]) -> Mapping[str, Any]:
    connect = properties.get("ServiceConnectConfiguration") or {}
    return connect if isinstance(connect, Mapping) and connect.get("Enabled") is True else {}


def _new_endpoints(transition: Transition) -> list[Note]:
    """A service added with Service Connect endpoints while services of its namespace keep
    running: "Existing tasks can't resolve and connect to the new endpoint. Only new tasks with a
    Service Connect configuration in the same namespace and that start running after this
    deployment can resolve and connect to this endpoint" (Amazon ECS Developer Guide, "Service
    Connect components", deployment order)."""
    added = []  # (stack, logical id, endpoint names, namespace) of each service added
    for stack in transition.deployed:
        template = transition.target[stack]
        for change in transition.changes.get(stack, ()):
            if change.resource_type != ECS_SERVICE or change.impact != Impact.ADD:
                continue
            connect = _connect(template.resources[change.logical_id].get("Properties") or {})
            names = [
                str(service.get("DiscoveryName") or service.get("PortName"))
                for service in connect.get("Services") or ()
                if isinstance(service, Mapping)
            ]
            if names:
                namespace = canonical(connect.get("Namespace"), stack, transition.target)
                added.append((stack, change.logical_id, names, namespace))
    if not added:
        return []
    running = _running_clients(transition)
    return [
        Note(
            SERVICE_CONNECT_ENDPOINT_ADDED,
            stack,
            transition.target[stack].path(logical_id),
            f"it serves {', '.join(names)} on Service Connect, which the namespace's running "
            f"services resolve only from their next deployment: "
            f"{'; '.join(sorted(running[namespace]))}. Right after the deploy, start one for "
            "each that calls it (`aws ecs update-service --cluster <cluster> --service "
            "<service> --force-new-deployment`)",
        )
        for stack, logical_id, names, namespace in added
        if running.get(namespace)
    ]


def _running_clients(transition: Transition) -> dict[str, list[str]]:
    """Namespace -> the services of every stack (those a STACKS deploy leaves alone included)
    that run in it before and after the deploy, not redeployed by it."""
    running: dict[str, list[str]] = {}
    for stack, template in transition.target.items():
        before = transition.base.get(stack)
        for logical_id, resource in template.resources.items():
            connect = _connect(resource.get("Properties") or {})
            if (
                resource["Type"] != ECS_SERVICE
                or not connect
                or before is None
                or logical_id not in before.resources
                or transition.impact(stack, logical_id) is not None
            ):
                continue
            namespace = canonical(connect.get("Namespace"), stack, transition.target)
            running.setdefault(namespace, []).append(f"{template.label(logical_id)} ({stack})")
    return running
