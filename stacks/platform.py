"""Compose the platform's stacks for one environment. The only place that knows all stacks."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from platform_config import PlatformConfig
from stacks.eks_stack import EksStack
from stacks.network_stack import NetworkStack


@dataclass(frozen=True)
class Platform:
    """The stacks of one environment, by role."""

    network: NetworkStack
    eks: EksStack | None = None

    @property
    def stacks(self) -> list[Stack]:
        return [stack for stack in (self.network, self.eks) if stack is not None]


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
    eks = None
    if config.eks.enabled:
        eks = EksStack(
            app,
            stack_id(config, "eks"),
            config=config,
            vpc=network.vpc,
            repositories={},  # the registry stack's repositories, by name, once it exists
            env=env,
            description=f"Container platform ({config.name}): EKS cluster, nodes and add-ons",
        )
    platform = Platform(network=network, eks=eks)
    for key, value in sorted(config.tags.items()):
        Tags.of(app).add(key, value)
    return platform
