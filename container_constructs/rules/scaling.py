"""ECS services that auto scaling sizes: the template leaves the task count to it.

CloudFormation sends an `AWS::ECS::Service`'s `DesiredCount` to ECS when it updates the service,
so every deploy that touches a service (a new image, an environment variable) or changes that
number puts a service auto scaling has scaled out back to the template's count at once, under
the load that scaled it out (aws/containers-roadmap#493, aws/aws-cdk#3919; AWS Copilot sets the
count to the running one on every deploy for this reason, aws/copilot-cli#1371). Without one,
"for existing services, if a desired count is not specified, it is omitted from the operation"
and a new service starts at one task (the AWS::ECS::Service resource schema, DesiredCount);
registering the scalable target moves it into [MinCapacity, MaxCapacity] (Application Auto
Scaling API Reference, RegisterScalableTarget).
"""

from __future__ import annotations

from typing import Any

from .containers import SERVICE
from .rule import EnvironmentFacts, Rule
from .template import Resource, references_within

SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
ECS_SERVICE_DIMENSION = "ecs:service:DesiredCount"


def scaled_services(resource: Resource) -> set[str]:
    """The ECS services of `resource`'s template that a scalable target of the same template
    sizes (its ResourceId names the service)."""
    return {
        service
        for target in resource.siblings(SCALABLE_TARGET)
        if target.properties.get("ScalableDimension") == ECS_SERVICE_DIMENSION
        for service in references_within(target.properties.get("ResourceId"))
    }


def count_left_to_scaling(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """An auto-scaled service sets no DesiredCount."""
    count = resource.properties.get("DesiredCount")
    if count is None or resource.logical_id not in scaled_services(resource):
        return []
    return [
        f"sets DesiredCount {count} though auto scaling sizes it: every deploy that updates the "
        "service puts the running count back to it; leave DesiredCount out"
    ]


def _service(**properties: Any) -> dict[str, Any]:
    return {"Type": SERVICE, "Properties": {"Cluster": {"Ref": "Cluster"}, **properties}}


def _target(service: str) -> dict[str, Any]:
    return {
        "Type": SCALABLE_TARGET,
        "Properties": {
            "ScalableDimension": ECS_SERVICE_DIMENSION,
            "ServiceNamespace": "ecs",
            "MinCapacity": 2,
            "MaxCapacity": 10,
            "ResourceId": {
                "Fn::Join": [
                    "",
                    ["service/", {"Ref": "Cluster"}, "/", {"Fn::GetAtt": [service, "Name"]}],
                ]
            },
        },
    }


RULES: tuple[Rule, ...] = (
    Rule(
        id="ecs-service-count-left-to-scaling",
        requirement="an ECS service that auto scaling sizes sets no DesiredCount",
        resource_types=(SERVICE,),
        check=count_left_to_scaling,
        bad={"Svc": _service(DesiredCount=2), "Target": _target("Svc")},
        # A service of fixed size (no scalable target) keeps its count.
        good={
            "Svc": _service(),
            "Target": _target("Svc"),
            "Fixed": _service(DesiredCount=2),
        },
    ),
)
