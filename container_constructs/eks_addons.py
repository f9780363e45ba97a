"""The managed add-ons of an `EksCluster` (a companion of `eks_cluster.py`): the set each compute
mode needs, taking over what EKS installs itself at cluster creation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

ComputeMode = Literal["managed_nodes", "fargate", "auto_mode"]


def add_managed_addons(
    scope: Construct,
    cluster: eks.Cluster,
    *,
    compute_mode: ComputeMode,
    versions: Mapping[str, str],
    compute: Sequence[Construct],
) -> dict[str, eks.Addon]:
    """The vpc-cni, kube-proxy and coredns add-ons (coredns on Fargate in fargate mode), plus
    eks-pod-identity-agent with managed nodes; none in Auto Mode, which runs networking, DNS,
    kube-proxy and pod identity itself. Each is created in `scope` with the PascalCase of its
    name as construct id, at `versions[name]` or EKS's default version; coredns and the pod
    identity agent wait for `compute` (node groups, Fargate profiles). By add-on name."""
    if compute_mode == "auto_mode":
        return {}
    wanted: dict[str, Mapping[str, Any] | None] = {
        "vpc-cni": None,
        "kube-proxy": None,
        "coredns": {"computeType": "Fargate"} if compute_mode == "fargate" else None,
    }
    if compute_mode == "managed_nodes":
        wanted["eks-pod-identity-agent"] = None  # Pod Identity is not supported on Fargate
    addons: dict[str, eks.Addon] = {}
    for name, configuration in wanted.items():
        addon = eks.Addon(
            scope,
            _pascal(name),
            # aws_eks_v2.Cluster implements ICluster; its jsii typing misses one member.
            cluster=cast(eks.ICluster, cluster),
            addon_name=name,
            addon_version=versions.get(name),
            configuration_values=configuration,
            preserve_on_delete=False,
        )
        # EKS installs self-managed vpc-cni, kube-proxy and coredns at cluster creation; the
        # managed add-on takes them over with EKS's defaults instead of failing on a conflict.
        cfn_addon = addon.node.default_child
        if isinstance(cfn_addon, eks.CfnAddon):
            cfn_addon.resolve_conflicts = "OVERWRITE"
        if name in {"coredns", "eks-pod-identity-agent"}:
            # Their pods need somewhere to run before the add-on can become ACTIVE.
            for dependency in compute:
                addon.node.add_dependency(dependency)
        addons[name] = addon
    return addons


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
