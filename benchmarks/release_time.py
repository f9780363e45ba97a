"""Release time of each ECS service, computed from a synthesized cloud assembly (no AWS call).

For each `AWS::ECS::Service` of the templates, from its own properties, its task definition and
its target group (docs/releasing.md "How long a release takes" explains each term):

    start    = TASK_START_SECONDS (assumed: image pull and container start; the templates
               cannot say)
    healthy  = HealthCheckIntervalSeconds x HealthyThresholdCount of the target group
               (Elastic Load Balancing's defaults 30 s x 5)
    shifts   = steps x step bake: canary 1 x CanaryBakeTimeInMinutes; linear as CloudFormation
               counts steps (100/StepPercent - 1 when it divides 100, else floor(100/StepPercent))
               x StepBakeTimeInMinutes; rolling and blue/green 0
    bake     = BakeTimeInMinutes (0 when absent on rolling; ECS's 15 minutes when absent on the
               blue/green family)
    drain    = the target group's deregistration_delay.timeout_seconds (default 300)
    stop     = the largest StopTimeout of the task's containers (default 30, the agent's)
    batches  = rolling only: ceil(100 / (MaximumPercent - 100)) when MinimumHealthyPercent is 100
               (each batch starts, gets healthy, drains and stops before the next); else 1

    serving  = batches x (start + healthy) + (batches - 1) x (drain + stop) + shifts
               (all tasks of the new revision serve all traffic)
    complete = serving + bake + drain + stop (ECS ends the deployment; the old revision is gone)

`python -m benchmarks.release_time DIR` prints the table for the assembly in DIR.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from container_constructs import defaults

ELB_HEALTH_INTERVAL_SECONDS = 30  # Elastic Load Balancing's defaults for target groups
ELB_HEALTHY_THRESHOLD = 5
ELB_DEREGISTRATION_DELAY_SECONDS = 300
ECS_TRAFFIC_SHIFT_BAKE_MINUTES = 15  # ECS's bake time when the blue/green family sets none


@dataclass(frozen=True)
class ReleaseTime:
    """One service's release, in seconds of ECS time."""

    stack: str
    service: str
    strategy: str
    desired: int
    serving: int
    complete: int


def _minutes(value: Any) -> int:
    return int(value or 0) * 60


def _target_group(resources: dict[str, Any], service: dict[str, Any]) -> dict[str, Any]:
    balancers = service["Properties"].get("LoadBalancers") or []
    reference = balancers[0]["TargetGroupArn"] if balancers else None
    if isinstance(reference, dict) and "Ref" in reference:
        return dict(resources[reference["Ref"]]["Properties"])
    return {}


def _stop_timeout(resources: dict[str, Any], service: dict[str, Any]) -> int:
    reference = service["Properties"].get("TaskDefinition")
    task = resources.get(reference.get("Ref", "")) if isinstance(reference, dict) else None
    containers = task["Properties"].get("ContainerDefinitions", []) if task else []
    timeouts = [c.get("StopTimeout", defaults.CONTAINER_STOP_TIMEOUT_SECONDS) for c in containers]
    return int(max(timeouts, default=defaults.CONTAINER_STOP_TIMEOUT_SECONDS))


def _steps(configuration: dict[str, Any], strategy: str) -> tuple[int, int]:
    """(steps, step bake seconds) of a canary or linear release."""
    if strategy == "CANARY":
        canary = configuration.get("CanaryConfiguration", {})
        return 1, _minutes(canary.get("CanaryBakeTimeInMinutes", 10))
    if strategy == "LINEAR":
        linear = configuration.get("LinearConfiguration", {})
        step = float(linear.get("StepPercent", 10.0))
        shifts = 100 / step
        steps = int(shifts) - 1 if shifts == int(shifts) else int(shifts)
        return steps, _minutes(linear.get("StepBakeTimeInMinutes", 6))
    return 0, 0


def service_release_time(stack: str, logical_id: str, resources: dict[str, Any]) -> ReleaseTime:
    """The release time of service `logical_id` of a template's `resources`."""
    service = resources[logical_id]
    properties = service["Properties"]
    configuration = properties.get("DeploymentConfiguration", {})
    strategy = configuration.get("Strategy", "ROLLING")
    group = _target_group(resources, service)
    attributes = {a["Key"]: a["Value"] for a in group.get("TargetGroupAttributes", [])}
    healthy = int(group.get("HealthCheckIntervalSeconds", ELB_HEALTH_INTERVAL_SECONDS)) * int(
        group.get("HealthyThresholdCount", ELB_HEALTHY_THRESHOLD)
    )
    drain = int(
        attributes.get("deregistration_delay.timeout_seconds", ELB_DEREGISTRATION_DELAY_SECONDS)
    )
    stop = _stop_timeout(resources, service)
    default_bake = 0 if strategy == "ROLLING" else ECS_TRAFFIC_SHIFT_BAKE_MINUTES
    bake = _minutes(configuration.get("BakeTimeInMinutes", default_bake))
    steps, step_bake = _steps(configuration, strategy)
    batches = 1
    maximum = int(configuration.get("MaximumPercent", 200))
    if strategy == "ROLLING" and configuration.get("MinimumHealthyPercent", 100) == 100:
        batches = math.ceil(100 / max(maximum - 100, 1))
    start = defaults.TASK_START_SECONDS
    serving = batches * (start + healthy) + (batches - 1) * (drain + stop) + steps * step_bake
    return ReleaseTime(
        stack=stack,
        service=logical_id,
        strategy=strategy.lower(),
        desired=int(properties.get("DesiredCount", 1)),
        serving=serving,
        complete=serving + bake + drain + stop,
    )


def release_times(outdir: Path) -> list[ReleaseTime]:
    """Every ECS service's release time in the cloud assembly `outdir`, by stack and id."""
    times = []
    for path in sorted(outdir.glob("*.template.json")):
        resources = json.loads(path.read_text()).get("Resources", {})
        stack = path.name.removesuffix(".template.json")
        for logical_id, resource in sorted(resources.items()):
            if resource["Type"] == "AWS::ECS::Service":
                times.append(service_release_time(stack, logical_id, resources))
    return times


def render_release_table(rows: list[tuple[str, ReleaseTime]]) -> str:
    """The release times as a Markdown table, each row labelled (environment or variant)."""
    lines = [
        "| app | stack | service | strategy | tasks | serving (s) | complete (s) |",
        "| --- | --- | --- | --- | ---: | ---: | ---: |",
    ]
    for label, t in rows:
        lines.append(
            f"| {label} | {t.stack} | {t.service} | {t.strategy} | {t.desired} | {t.serving} | "
            f"{t.complete} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else "cdk.out")
    print(render_release_table([(directory.name, t) for t in release_times(directory)]))
