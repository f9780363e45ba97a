"""Compose the platform's stacks for one environment. The only place that knows all stacks."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from platform_config import PlatformConfig
from stacks.network_stack import NetworkStack
from stacks.registry_stack import RegistryStack


@dataclass(frozen=True)
class Platform:
    """The stacks of one environment, by role."""

    network: NetworkStack
    registry: RegistryStack

    @property
    def stacks(self) -> list[Stack]:
        return [self.network, self.registry]


def stack_id(config: PlatformConfig, unit: str) -> str:
    """Stack names are `<project>-<environment>-<unit>`, e.g. `cp-sandbox-network`."""
    return f"cp-{config.name}-{unit}"


def build_platform(app: App, config: PlatformConfig) -> Platform:
    """Add every stack of `config`'s environment to `app`, with cdk-nag AwsSolutions checks."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    env = Environment(account=config.account, region=config.region)
    network = NetworkStack(
        app,
        stack_id(config, "network"),
        config=config,
        env=env,
        description=f"Container platform ({config.name}): shared VPC, flow logs, endpoints",
    )
    registry = RegistryStack(
        app,
        stack_id(config, "registry"),
        config=config,
        env=env,
        description=f"Container platform ({config.name}): ECR repositories and CI publisher role",
    )
    platform = Platform(network=network, registry=registry)
    for key, value in sorted(config.tags.items()):
        Tags.of(app).add(key, value)
    return platform
