"""The root configuration object: one validated `PlatformConfig` per environment.

Each section lives in a module of its own (network, and the registry/ecs/eks sections added by their
components); this module only composes them and checks rules that span sections.
"""

from __future__ import annotations

import unicodedata

from pydantic import Field, field_validator, model_validator

from container_constructs.checks import MIN_CLUSTER_ZONES, distinct_cluster_zones, foreign_zones
from container_constructs.value_formats import ACCOUNT_ID_FORMAT, REGION_FORMAT, arn_region
from platform_config.alb_quotas import (
    ALBS_PER_REGION,
    TARGET_GROUPS_PER_REGION,
    TARGET_GROUPS_PER_SERVICE,
)
from platform_config.base import Section
from platform_config.ecs import EcsConfig
from platform_config.ecs_release import OperationsConfig, check_bake_covers_alarms
from platform_config.eks import EksConfig
from platform_config.image import (
    VOLUME_PERMISSIONS_IMAGE,
    ImageConfig,
    cached_paths,
    check_pinned_through_cache,
)
from platform_config.network import NetworkConfig
from platform_config.registry import RegistryConfig

# AWS tag rules (e.g. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-eks-accessentry-tag.html,
# the same text in the ECS API's Tag): key 1 to 128 characters, value 0 to 256, letters, numbers,
# spaces and _ . : / = + - @, no `aws:` prefix in any case on keys or values (reserved for AWS).
# Values need at least 1 character here: the resource schemas of AWS::ECR::Repository and
# AWS::ECS::CapacityProvider tags say minLength 1 (error F3033; an empty value, found by the
# config-space property test, validated and then failed synth).
# At most 50 user tags per resource; `tags` go on every taggable resource, and aws-cdk-lib and the
# constructs add their own to some (Name, aws-cdk:subnet-name, aws-cdk:subnet-type,
# kubernetes.io/role/elb, kubernetes.io/cluster/<name>, ...), so 10 are kept free for those.
MAX_TAGS = 40
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
TAG_SYMBOLS = "_.:/=+-@"


def _tag_problem(text: str, kind: str, longest: int) -> str | None:
    """Why `text` is not a valid tag key or value (`kind`), or None."""
    if not 1 <= len(text) <= longest:
        return f"{kind} must be 1 to {longest} characters, got {len(text)}"
    if text.lower().startswith("aws:"):
        return f"{kind} '{text}' starts with 'aws:', which is reserved for AWS"
    bad = sorted(
        {
            char
            for char in text
            if not (char.isalnum() or unicodedata.category(char).startswith("Z"))
            and char not in TAG_SYMBOLS
        }
    )
    if bad:
        return f"{kind} '{text}' has characters AWS does not allow in tags: {''.join(bad)!r}"
    return None


class PlatformConfig(Section):
    """Everything one environment of the platform is built from."""

    name: str = Field(description="Environment name, set from the key it was selected by.")
    region: str = Field(description="AWS region, e.g. eu-west-1.")
    account: str | None = Field(
        default=None,
        description="12-digit AWS account id; unset keeps the stacks account-agnostic.",
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        description=(
            f"Tags applied to every taggable resource: at most {MAX_TAGS}, keys 1 to "
            f"{MAX_TAG_KEY_LENGTH} and values 0 to {MAX_TAG_VALUE_LENGTH} characters of letters, "
            f"digits, spaces and {' '.join(TAG_SYMBOLS)}, no `aws:` prefix."
        ),
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
    operations: OperationsConfig = Field(
        default_factory=OperationsConfig,
        description="Default release strategy of the services, alarm e-mail subscriptions.",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_release(cls, data: object) -> object:
        """A service without `release` takes the environment's `operations.release`."""
        return with_default_release(data)

    @field_validator("region")
    @classmethod
    def _valid_region(cls, value: str) -> str:
        return REGION_FORMAT.check(value)

    @field_validator("account")
    @classmethod
    def _valid_account(cls, value: str | None) -> str | None:
        return ACCOUNT_ID_FORMAT.check(value)

    @model_validator(mode="after")
    def _valid_tags(self) -> PlatformConfig:
        allowed = (
            f"allowed: keys of 1 to {MAX_TAG_KEY_LENGTH} and values of 1 to "
            f"{MAX_TAG_VALUE_LENGTH} letters, digits, spaces and {' '.join(TAG_SYMBOLS)}, "
            "not starting with 'aws:'"
        )
        for key, value in self.tags.items():
            problem = _tag_problem(key, "key", MAX_TAG_KEY_LENGTH) or _tag_problem(
                value, "value", MAX_TAG_VALUE_LENGTH
            )
            if problem:
                raise ValueError(f"tags.{key}: {problem}; {allowed}")
        if len(self.tags) > MAX_TAGS:
            raise ValueError(
                f"tags: {len(self.tags)} tags; allowed: at most {MAX_TAGS} (AWS allows 50 per "
                "resource, and aws-cdk-lib and the constructs add some of their own)"
            )
        return self

    @model_validator(mode="after")
    def _cross_section_rules(self) -> PlatformConfig:
        foreign = foreign_zones(self.network.availability_zones, self.region)
        if foreign:
            raise ValueError(
                f"network.availability_zones: {', '.join(foreign)} not in region {self.region}; "
                f"allowed: zones named {self.region}a, {self.region}b, ..."
            )
        zone_count = len(self.network.availability_zones)
        nat_gateways = self.network.nat_gateways
        if not 1 <= nat_gateways <= zone_count:
            # 0 leaves the private subnets without egress. Making that work would need the whole
            # interface endpoint set (ECR, S3, logs, STS, ecs, ecs-agent, ecs-telemetry,
            # ssmmessages, eks, eks-auth, ec2, elasticloadbalancing, autoscaling, ...), images
            # from ECR only and EKS nodes that bootstrap offline; none of that is shipped.
            why = (
                " (the ECS agent, image pulls from public registries such as public.ecr.aws and "
                "EKS node bootstrap need internet egress, and no interface endpoint set for "
                "isolated subnets is shipped)"
                if nat_gateways < 1
                else ""
            )
            raise ValueError(
                f"network.nat_gateways: must be 1 to the number of availability zones "
                f"({zone_count}), got {nat_gateways}{why}; allowed: 1 for a sandbox, "
                f"{zone_count} (one per AZ) for production"
            )
        zones = self.eks.control_plane_zones
        if self.eks.enabled and zones is not None:
            outside = [zone for zone in zones if zone not in self.network.availability_zones]
            if outside or not distinct_cluster_zones(zones):
                raise ValueError(
                    f"eks.control_plane_zones: {zones}; allowed: at least {MIN_CLUSTER_ZONES} "
                    f"distinct zones of network.availability_zones "
                    f"({', '.join(self.network.availability_zones)})"
                )
        if self.region in self.registry.replication_regions:
            raise ValueError(
                f"registry.replication_regions: {self.region} is the stack's own region; "
                "allowed: other regions only"
            )
        return self

    @model_validator(mode="after")
    def _albs_within_region_quotas(self) -> PlatformConfig:
        """The environment's ALBs and target groups within the region's default quotas (the
        account's other load balancers, e.g. EKS ingresses, also count: leave room)."""
        clusters = self.ecs.enabled_clusters
        albs = {kind: len(c.assign_load_balancers()) for kind, c in clusters.items()}
        if sum(albs.values()) > ALBS_PER_REGION.limit:
            counts = ", ".join(f"ecs.{kind}: {n}" for kind, n in albs.items())
            raise ValueError(
                f"ecs: {sum(albs.values())} ALBs ({counts}) exceed the region's quota of "
                f"{ALBS_PER_REGION.limit} ('{ALBS_PER_REGION.name}', adjustable); allowed: "
                "fewer load-balancer groups, fewer sparse priority blocks, or a raised quota"
            )
        groups = TARGET_GROUPS_PER_SERVICE * sum(len(c.web_services) for c in clusters.values())
        if groups > TARGET_GROUPS_PER_REGION.limit:
            raise ValueError(
                f"ecs: {groups} target groups exceed the region's quota of "
                f"{TARGET_GROUPS_PER_REGION.limit} ('{TARGET_GROUPS_PER_REGION.name}', adjustable)"
            )
        return self

    @model_validator(mode="after")
    def _scanned_and_immutable(self) -> PlatformConfig:
        # The platform's rules (container_constructs/rules/registry.py) require both: a valid
        # config must never produce a template they reject.
        for index, repository in enumerate(self.registry.repositories):
            if not repository.tag_immutability:
                raise ValueError(
                    f"registry.repositories[{index}].tag_immutability: false is not allowed; "
                    "a mutable tag lets a running service's tag point at other code without a "
                    "deploy. Push a new tag per build (e.g. the commit SHA)"
                )
            if not repository.scan_on_push and self.registry.enhanced_scanning == "off":
                raise ValueError(
                    f"registry.repositories[{index}].scan_on_push: false needs "
                    "registry.enhanced_scanning 'scan-on-push' or 'continuous' (Inspector scans "
                    "instead); allowed with enhanced_scanning 'off': true"
                )
        return self

    @model_validator(mode="after")
    def _releases_judged(self) -> PlatformConfig:
        for kind, cluster in self.ecs.clusters.items():
            for service in cluster.services.values():
                if service.release.shifts_traffic and service.kind != "web":
                    raise ValueError(
                        f"ecs.{kind}.services.{service.name}.release.strategy: "
                        f"'{service.release.strategy}' shifts ALB traffic, which a "
                        f"{service.kind} has none of; allowed: rolling"
                    )
                try:
                    check_bake_covers_alarms(service.release, service.alarms)
                except ValueError as error:
                    raise ValueError(f"ecs.{kind}.services.{service.name}.{error}") from None
        return self

    @model_validator(mode="after")
    def _registry_names_and_cached_images(self) -> PlatformConfig:
        """The registry's ECR names fit and do not collide; ECS images pulled through the
        pull-through cache are pinned by digest (platform_config/registry.py, image.py)."""
        self.registry.check_names(self.name)
        cache = self.registry.pull_through_cache
        if cache is not None:
            for field, image in self.ecs_images():
                check_pinned_through_cache(field, image, cache.upstream_url, self.name)
        return self

    def ecs_images(self) -> list[tuple[str, ImageConfig]]:
        """Each ECS service's image and its sidecars' given images, with their field paths."""
        found: list[tuple[str, ImageConfig]] = []
        for kind, cluster in self.ecs.clusters.items():
            for service in cluster.services.values():
                field = f"ecs.{kind}.services.{service.name}"
                found.append((f"{field}.image", service.image))
                found.extend(
                    (f"{field}.sidecars[{index}].image", sidecar.image)
                    for index, sidecar in enumerate(service.sidecars)
                    if sidecar.image is not None
                )
        return found

    def cached_image_paths(self) -> list[str]:
        """The upstream repositories the pull-through cache serves ECS from (the services' images
        on its upstream and the volume-permissions init container's): the registry creates
        their cached repositories. Empty without a cache."""
        cache = self.registry.pull_through_cache
        if cache is None:
            return []
        images = [image for _, image in self.ecs_images()] + [VOLUME_PERMISSIONS_IMAGE]
        return cached_paths(cache.upstream_url, images)

    @model_validator(mode="after")
    def _images_in_registry(self) -> PlatformConfig:
        known = self.registry.repository_names
        for kind, cluster in self.ecs.clusters.items():
            for service in cluster.services.values():
                images = [("image", service.image)] + [
                    (f"sidecars.{sidecar.name}.image", sidecar.image)
                    for sidecar in service.sidecars
                    if sidecar.image is not None
                ]
                for field, image in images:
                    name = image.repository
                    if name is not None and name not in known:
                        raise ValueError(
                            f"ecs.{kind}.services.{service.name}.{field}.repository: '{name}' is "
                            "not one of registry.repositories; allowed: "
                            f"{', '.join(known) or '(none)'}"
                        )
        return self

    @model_validator(mode="after")
    def _queues_in_region(self) -> PlatformConfig:
        """A worker scales on its queue's CloudWatch metrics, which stay in the queue's region."""
        for kind, cluster in self.ecs.clusters.items():
            for service in cluster.services.values():
                queue = service.queue
                if queue is None or queue.arn is None:
                    continue
                for field, arn in (("arn", queue.arn), ("kms_key_arn", queue.kms_key_arn)):
                    if arn is not None and arn_region(arn) != self.region:
                        raise ValueError(
                            f"ecs.{kind}.services.{service.name}.queue.{field}: in "
                            f"{arn_region(arn)}; allowed: the environment's region "
                            f"{self.region} (the worker scales on the queue's metrics, which "
                            "CloudWatch keeps per region)"
                        )
        return self

    @model_validator(mode="after")
    def _certificates_in_region(self) -> PlatformConfig:
        """An ALB's listener takes ACM certificates of its own region only (ACM user guide:
        certificates are regional resources; to use one with Elastic Load Balancing in a region,
        request or import it in that region): ELB answers CertificateNotFound, and the listener's
        create or update fails in the stack update."""
        for kind, cluster in self.ecs.enabled_clusters.items():
            for field, arn in cluster.certificates():
                if arn_region(arn) != self.region:
                    raise ValueError(
                        f"ecs.{kind}.{field}: the certificate is in {arn_region(arn)}; allowed: "
                        f"a certificate in the environment's region {self.region} (an ALB takes "
                        "certificates of its own region only)"
                    )
        return self

    @model_validator(mode="after")
    def _secrets_in_region(self) -> PlatformConfig:
        for kind, cluster in self.ecs.clusters.items():
            for service in cluster.services.values():
                for variable, secret in service.secrets.items():
                    field = f"ecs.{kind}.services.{service.name}.secrets.{variable}"
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


def with_default_release(data: object) -> object:
    """`data` (a raw environment) with `operations.release` as the `release` of every web
    service that gives none; anything not shaped like an environment is returned as is."""
    if not isinstance(data, dict):
        return data
    operations = data.get("operations")
    default = operations.get("release") if isinstance(operations, dict) else None
    ecs = data.get("ecs")
    if default is None or not isinstance(ecs, dict):
        return data
    clusters = {}
    for kind, cluster in ecs.items():
        services = cluster.get("services") if isinstance(cluster, dict) else None
        if isinstance(services, dict):
            # Only web services shift traffic (an ALB route); the other kinds roll.
            services = {
                name: {"release": default, **service}
                if isinstance(service, dict) and service.get("kind", "web") == "web"
                else service
                for name, service in services.items()
            }
            cluster = {**cluster, "services": services}
        clusters[kind] = cluster
    return {**data, "ecs": clusters}
