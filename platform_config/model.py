"""The root configuration object: one validated `PlatformConfig` per environment.

Each section lives in a module of its own (network, and the registry/ecs/eks sections added by their
components); this module only composes them and checks rules that span sections.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from platform_config.base import Section
from platform_config.ecs import EcsConfig
from platform_config.eks import EksConfig
from platform_config.network import NetworkConfig
from platform_config.registry import RegistryConfig

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")


class PlatformConfig(Section):
    """Everything one environment of the platform is built from."""

    name: str = Field(description="Environment name, set from the key it was selected by.")
    region: str = Field(description="AWS region, e.g. eu-west-1.")
    account: str | None = Field(
        default=None,
        description="12-digit AWS account id; unset keeps the stacks account-agnostic.",
    )
    tags: dict[str, str] = Field(
        default_factory=dict, description="Tags applied to every taggable resource."
    )
    retain_stateful_resources: bool = Field(
        description=(
            "Retain registries, buckets, log groups and keys on stack deletion (production). "
            "False makes `cdk destroy` remove them, emptying repositories and buckets first."
        ),
    )
    kms_encrypted_logs: bool = Field(
        description="Encrypt CloudWatch log groups with a customer-managed, rotating KMS key.",
    )
    network: NetworkConfig
    registry: RegistryConfig = Field(default_factory=RegistryConfig)
    ecs: EcsConfig
    eks: EksConfig = Field(default_factory=EksConfig)

    @field_validator("region")
    @classmethod
    def _valid_region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError(f"'{value}' is not an AWS region name such as eu-west-1")
        return value

    @field_validator("account")
    @classmethod
    def _valid_account(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT.match(value):
            raise ValueError(f"'{value}' is not a 12-digit AWS account id")
        return value

    @model_validator(mode="after")
    def _cross_section_rules(self) -> PlatformConfig:
        zone_pattern = re.compile(rf"^{re.escape(self.region)}[a-z]$")
        foreign = [zone for zone in self.network.availability_zones if not zone_pattern.match(zone)]
        if foreign:
            raise ValueError(
                f"network.availability_zones: {', '.join(foreign)} not in region {self.region}; "
                f"allowed: zones named {self.region}a, {self.region}b, ..."
            )
        zone_count = len(self.network.availability_zones)
        if not 0 <= self.network.nat_gateways <= zone_count:
            raise ValueError(
                f"network.nat_gateways: must be 0 to the number of availability zones "
                f"({zone_count}), got {self.network.nat_gateways}"
            )
        if self.region in self.registry.replication_regions:
            raise ValueError(
                f"registry.replication_regions: {self.region} is the stack's own region; "
                "allowed: other regions only"
            )
        return self

    @model_validator(mode="after")
    def _images_in_registry(self) -> PlatformConfig:
        known = self.registry.repository_names
        for kind, cluster in (("ec2", self.ecs.ec2), ("fargate", self.ecs.fargate)):
            for index, service in enumerate(cluster.services):
                name = service.image.repository
                if name is not None and name not in known:
                    raise ValueError(
                        f"ecs.{kind}.services[{index}].image.repository: '{name}' is not one of "
                        f"registry.repositories; allowed: {', '.join(known) or '(none)'}"
                    )
        return self

    @model_validator(mode="after")
    def _secrets_in_region(self) -> PlatformConfig:
        for kind, cluster in (("ec2", self.ecs.ec2), ("fargate", self.ecs.fargate)):
            for index, service in enumerate(cluster.services):
                for variable, secret in service.secrets.items():
                    field = f"ecs.{kind}.services.{index}.secrets.{variable}"
                    if secret.ssm_parameter_arn is not None and secret.region != self.region:
                        raise ValueError(
                            f"{field}.ssm_parameter_arn: the parameter is in {secret.region}; "
                            f"allowed: a parameter in the environment's region {self.region} "
                            "(any account; aws-cdk-lib imports parameters of the stack's region)"
                        )
                    key_region = secret.key_region
                    if secret.secrets_manager_name is not None and key_region not in (
                        None,
                        self.region,
                    ):
                        raise ValueError(
                            f"{field}.kms_key_arn: the key is in {key_region} but a secret named "
                            "by secrets_manager_name is in the environment's region "
                            f"{self.region}; allowed: a key in {self.region}"
                        )
        return self

    @model_validator(mode="after")
    def _eks_image_in_registry(self) -> PlatformConfig:
        repository = self.eks.sample_workload.image.repository
        if repository is not None and repository not in self.registry.repository_names:
            allowed = ", ".join(self.registry.repository_names) or "none configured"
            raise ValueError(
                f"eks.sample_workload.image.repository: '{repository}' is not one of "
                f"registry.repositories; allowed: {allowed}"
            )
        return self
