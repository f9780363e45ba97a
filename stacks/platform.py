"""Compose the platform's stacks for one environment. The only place that knows all stacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, IPolicyValidationPlugin, Stack, Stage, Tags, Validations
from aws_cdk import aws_sqs as sqs

from container_constructs.rules import (
    CachedNagPack,
    CachedStagePlugin,
    ContainerPlatformChecks,
    ValidationCache,
)
from platform_config import PlatformConfig
from stacks import names
from stacks.common import StackSettings
from stacks.ecs_operations import AlarmsStack
from stacks.ecs_stacks import (
    Ec2ClusterStack,
    EcsClusterStack,
    EcsServicesStack,
    FargateClusterStack,
    ManagedInstancesClusterStack,
)
from stacks.eks_stack import EksStack
from stacks.images import ImageSources
from stacks.network_stack import NetworkStack
from stacks.registry_stack import RegistryStack

# The cluster stack of each cluster kind of `ecs` (platform_config.ecs.CLUSTER_KINDS).
CLUSTER_STACKS: dict[str, type[EcsClusterStack[Any]]] = {
    "ec2": Ec2ClusterStack,
    "fargate": FargateClusterStack,
    "managed_instances": ManagedInstancesClusterStack,
}


@dataclass(frozen=True)
class Platform:
    """The stacks of one environment, by role (a cluster that is off has no stacks)."""

    network: NetworkStack
    registry: RegistryStack
    alarms: AlarmsStack
    ecs_clusters: dict[str, EcsClusterStack[Any]] = field(default_factory=dict)
    ecs_services: dict[str, list[EcsServicesStack]] = field(default_factory=dict)
    eks: EksStack | None = None

    @property
    def stacks(self) -> list[Stack]:
        service_stacks = [stack for group in self.ecs_services.values() for stack in group]
        optional = [self.eks] if self.eks is not None else []
        return [
            self.network,
            self.registry,
            self.alarms,
            *self.ecs_clusters.values(),
            *service_stacks,
            *optional,
        ]


def stack_settings(config: PlatformConfig) -> StackSettings:
    """The environment-wide settings every stack of `config`'s environment shares."""
    return StackSettings(
        environment=config.name,
        region=config.region,
        retain_stateful_resources=config.retain_stateful_resources,
        kms_encrypted_logs=config.kms_encrypted_logs,
    )


# The validation plugins' names: their findings are acknowledged as `<name>::<rule-id>`.
AWS_SOLUTIONS = "AwsSolutions"  # cdk-nag's AwsSolutionsChecks
PREFLIGHT = "cdk-preflight"
PREFLIGHT_STRICT = True  # also fail on the validation engine's own ERROR/FATAL findings


def _aws_solutions(app: App) -> IPolicyValidationPlugin:
    # Imported where it is used: with a cache that knows every template, cdk-nag is never loaded
    # (about 0.3 s of a synth).
    from cdk_nag import AwsSolutionsChecks

    return AwsSolutionsChecks(app)


def aws_solutions_pack(app: App, cache: ValidationCache) -> CachedNagPack:
    """cdk-nag's AwsSolutions checks on `app`, their findings per template kept in `cache`."""
    return CachedNagPack(lambda: _aws_solutions(app), name=AWS_SOLUTIONS, cache=cache)


def add_validations(
    app: App, settings: StackSettings, *, cache_directory: Path | None = None
) -> None:
    """The checks every synth runs; an unacknowledged error fails it.

    - cdk-nag's AwsSolutions rules (security and reliability practice).
    - Deploy-time rules: cdk-preflight's Rego pack (constraints resource schemas miss, each
      reproduced against real AWS) and, with `strict`, every ERROR/FATAL finding of the
      CloudFormation validation engine bundled with aws-cdk-lib (`@aws/cloudformation-validate`)
      with its default rules. Both rule sets run in one pass of that one engine: the app turns
      aws-cdk-lib's own registration of the same engine off (`App(builtin_cloud_formation_
      validation=False)`), which would run it a second time and, by default, only warn.
    - The platform's own rules (`ContainerPlatformChecks`: security properties, removal policies
      that follow `settings.retain_stateful_resources`, KMS on logs where
      `settings.kms_encrypted_logs`, CloudFormation quotas).

    Acknowledge a finding on the narrowest construct with `Validations.of(construct).acknowledge(
    Acknowledgment(id="<plugin>::<rule-id>", reason=...))`, e.g. `cdk-preflight::<rule-id>` or
    `ContainerPlatform::<rule-id>`. With `cache_directory`, each plugin's findings for a template
    are kept there and an unchanged template is not validated again (the same findings;
    `container_constructs.rules.cache`); without it, every synth validates every template.
    """

    # cdk-preflight is imported where it is used, as cdk-nag (aws_solutions_pack).
    def deploy_time_rules(stage: Stage) -> None:
        from cdk_preflight import Preflight

        Preflight.apply(stage, strict=PREFLIGHT_STRICT)

    cache = ValidationCache(cache_directory) if cache_directory else None
    platform_checks = ContainerPlatformChecks(
        retain_stateful_resources=settings.retain_stateful_resources,
        kms_encrypted_logs=settings.kms_encrypted_logs,
        cache=cache,
    )
    if cache is None:
        Validations.of(app).add_plugins(_aws_solutions(app))
        deploy_time_rules(app)
        Validations.of(app).add_plugins(platform_checks)
        return
    Validations.of(app).add_plugins(
        aws_solutions_pack(app, cache),
        CachedStagePlugin(
            name=PREFLIGHT,
            register=deploy_time_rules,
            settings={"strict": PREFLIGHT_STRICT},
            distributions=("cdk-preflight",),
            cache=cache,
        ),
        platform_checks,
    )


def build_platform(
    app: App,
    config: PlatformConfig,
    *,
    today: date | None = None,
    validation_cache: Path | None = None,
) -> Platform:
    """Add every stack of `config`'s environment to `app`, with the checks of `add_validations`
    (their findings kept per template in `validation_cache` when given). `today` (app.py's date)
    dates the Kubernetes version support warnings; None: none."""
    settings = stack_settings(config)
    add_validations(app, settings, cache_directory=validation_cache)
    env = Environment(account=config.account, region=config.region)
    network = NetworkStack(
        app,
        names.stack_id(config.name, names.NETWORK_UNIT),
        settings=settings,
        section=config.network,
        env=env,
        description=f"Container platform ({config.name}): shared VPC, flow logs, endpoints",
    )
    registry = RegistryStack(
        app,
        names.stack_id(config.name, names.REGISTRY_UNIT),
        settings=settings,
        section=config.registry,
        cached_image_paths=config.cached_image_paths(),
        env=env,
        description=f"Container platform ({config.name}): ECR repositories and CI publisher role",
    )
    alarms = AlarmsStack(
        app,
        names.stack_id(config.name, names.ALARMS_UNIT),
        settings=settings,
        section=config.operations,
        env=env,
        description=f"Container platform ({config.name}): the alarm topic",
    )
    ecs_clusters, ecs_services = build_ecs(
        app, config, settings, network, env, registry.image_sources, alarms
    )
    for group in ecs_services.values():
        for stack in group:  # images come from the registry (by name: no implied dependency)
            stack.add_stack_dependency(registry)
    eks = None
    if config.eks.enabled:
        eks = EksStack(
            app,
            names.stack_id(config.name, names.EKS_UNIT),
            settings=settings,
            section=config.eks,
            vpc=network.vpc,
            repositories=registry.repositories,
            today=today,
            env=env,
            description=f"Container platform ({config.name}): EKS cluster, nodes and add-ons",
        )
        eks.add_stack_dependency(registry)
    platform = Platform(
        network=network,
        registry=registry,
        alarms=alarms,
        ecs_clusters=ecs_clusters,
        ecs_services=ecs_services,
        eks=eks,
    )
    for key, value in sorted(config.tags.items()):
        Tags.of(app).add(key, value)
    return platform


def build_ecs(
    app: App,
    config: PlatformConfig,
    settings: StackSettings,
    network: NetworkStack,
    env: Environment,
    images: ImageSources,
    alarms: AlarmsStack,
) -> tuple[dict[str, EcsClusterStack[Any]], dict[str, list[EcsServicesStack]]]:
    """Per cluster kind that is on: the cluster stack `ecs-<kind>` and its `ecs-<kind>-services-N`
    stacks (none for a cluster that is off)."""
    sections = config.ecs.enabled_clusters
    clusters: dict[str, EcsClusterStack[Any]] = {
        kind: CLUSTER_STACKS[kind](
            app,
            names.stack_id(config.name, names.ecs_cluster_unit(kind)),
            settings=settings,
            section=sections[kind],
            vpc=network.vpc,
            vpc_cidr=config.network.vpc_cidr,
            kind=kind,
            env=env,
            description=(
                f"Container platform ({config.name}): ECS on {kind}"
                + (", shared ALB" if sections[kind].assign_load_balancers() else "")
            ),
        )
        for kind in sections
    }
    services: dict[str, list[EcsServicesStack]] = {}
    for kind, cluster_stack in clusters.items():
        section = sections[kind]
        common = {
            "settings": settings,
            "section": section,
            "cluster": cluster_stack.service_cluster,
            "load_balancers": cluster_stack.service_load_balancers,
            "exec_log_group_name": cluster_stack.exec_log_group_name,
            "images": images,
            "alarms": alarms,
            "env": env,
        }
        # Backends, workers and jobs first, a stack each, workers before their senders: a
        # sender's stack reads the worker's queue.
        queues: dict[str, sqs.IQueue] = {}
        workloads = []
        for service in section.workload_stacks():
            stack = EcsServicesStack(
                app,
                names.stack_id(
                    config.name, names.ecs_workload_unit(kind, service.kind, service.name)
                ),
                services=[service],
                queues=dict(queues),
                description=(
                    f"Container platform ({config.name}): ECS {kind} {service.kind} {service.name}"
                ),
                **common,  # type: ignore[arg-type]
            )
            queues.update(stack.queues)
            workloads.append(stack)
        services[kind] = [
            EcsServicesStack(
                app,
                names.stack_id(config.name, names.ecs_services_unit(kind, number)),
                services=group,
                queues=dict(queues),
                description=(
                    f"Container platform ({config.name}): ECS {kind} services, group {number}"
                ),
                **common,  # type: ignore[arg-type]
            )
            for number, group in section.assign_service_stacks().items()
        ] + workloads
    return clusters, services
