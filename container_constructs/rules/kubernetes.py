"""EKS clusters: every control-plane log type on, secrets envelope-encrypted with a KMS key, and
an API endpoint that is private or restricted to some CIDRs."""

from __future__ import annotations

from typing import Any

from .network import WORLD
from .rule import EnvironmentFacts, Rule
from .template import Resource, as_list, get, is_true, mappings

CLUSTER = "AWS::EKS::Cluster"
EKS_CONTROL_PLANE_LOG_TYPES = frozenset(
    {"api", "audit", "authenticator", "controllerManager", "scheduler"}
)


def control_plane_logging(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """All five control-plane log types are enabled."""
    types = mappings(get(resource.properties, "Logging", "ClusterLogging", "EnabledTypes"))
    missing = sorted(EKS_CONTROL_PLANE_LOG_TYPES - {t.get("Type") for t in types})
    return [f"control-plane log types not enabled: {', '.join(missing)}"] if missing else []


def secrets_encrypted(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Secrets are envelope-encrypted with a KMS key."""
    encrypted = [
        c
        for c in mappings(resource.properties.get("EncryptionConfig"))
        if "secrets" in as_list(c.get("Resources")) and get(c, "Provider", "KeyArn")
    ]
    if encrypted:
        return []
    return ["secrets are not envelope-encrypted with a KMS key (EncryptionConfig)"]


def endpoint_restricted(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """The API endpoint is private, or public only to CIDRs narrower than the internet."""
    vpc = resource.properties.get("ResourcesVpcConfig") or {}
    if not is_true(vpc.get("EndpointPublicAccess", True)):  # EKS defaults to a public endpoint
        return []
    cidrs = as_list(vpc.get("PublicAccessCidrs"))
    if cidrs and not any(c in WORLD for c in cidrs):
        return []
    return ["the API endpoint is public to the whole internet"]


GOOD_CLUSTER: dict[str, Any] = {
    "Type": CLUSTER,
    "Properties": {
        "Logging": {
            "ClusterLogging": {
                "EnabledTypes": [{"Type": t} for t in sorted(EKS_CONTROL_PLANE_LOG_TYPES)]
            }
        },
        "EncryptionConfig": [
            {"Resources": ["secrets"], "Provider": {"KeyArn": {"Fn::GetAtt": ["Key", "Arn"]}}}
        ],
        "ResourcesVpcConfig": {"EndpointPublicAccess": False, "EndpointPrivateAccess": True},
    },
}


def _cluster(**properties: Any) -> dict[str, dict[str, Any]]:
    """The good cluster with `properties` replaced (None removes one)."""
    merged = {**GOOD_CLUSTER["Properties"], **properties}
    return {
        "C": {"Type": CLUSTER, "Properties": {k: v for k, v in merged.items() if v is not None}}
    }


RULES: tuple[Rule, ...] = (
    Rule(
        id="eks-control-plane-logging",
        requirement="EKS clusters send all five control-plane log types to CloudWatch Logs",
        resource_types=(CLUSTER,),
        check=control_plane_logging,
        bad=_cluster(Logging={"ClusterLogging": {"EnabledTypes": [{"Type": "api"}]}}),
        good=_cluster(),
    ),
    Rule(
        id="eks-secrets-encrypted",
        requirement="EKS clusters envelope-encrypt Kubernetes secrets with a KMS key",
        resource_types=(CLUSTER,),
        check=secrets_encrypted,
        bad=_cluster(EncryptionConfig=None),
        good=_cluster(),
    ),
    Rule(
        id="eks-endpoint-restricted",
        requirement="the EKS API endpoint is private or open only to listed CIDRs",
        resource_types=(CLUSTER,),
        check=endpoint_restricted,
        bad=_cluster(ResourcesVpcConfig={"EndpointPublicAccess": True}),
        good=_cluster(),
    ),
)
