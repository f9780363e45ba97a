"""The managed add-ons of an `EksCluster` (a companion of `eks_cluster.py`), as data: one
`AddonSpec` per add-on (name, version, configuration values, optional Pod Identity role), so a
fork adds an add-on without editing the construct. `default_addon_specs` gives the platform's
set for a compute mode from the tables in `eks_versions.py`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_constructs.eks_identity import PodIdentityRoleSpec, pod_identity_role
from container_constructs.eks_versions import (
    ADDON_DEFAULTS,
    DEFAULT_ADDONS,
    default_addon_version,
    mode_configuration,
)

__all__ = ["AddonPodIdentity", "AddonSpec", "ComputeMode", "add_addons", "default_addon_specs"]

ComputeMode = Literal["managed_nodes", "fargate", "auto_mode"]


@dataclass(frozen=True, kw_only=True)
class AddonPodIdentity:
    """A Pod Identity role for an add-on's service account.

    Attributes:
        service_account: the add-on's service account (in the add-on's namespace). Required.
        permissions: the role's policies. Required.
    """

    service_account: str
    permissions: PodIdentityRoleSpec


@dataclass(frozen=True, kw_only=True)
class AddonSpec:
    """One EKS managed add-on.

    Attributes:
        name: the EKS add-on name (`aws eks describe-addon-versions` lists them). Required.
        version: `vX.Y.Z-eksbuild.N`; pin it, so an upgrade is a template change. Default: None
            (EKS's default for the cluster version at creation, never moved afterwards).
        configuration: configuration values (the add-on's JSON schema:
            `aws eks describe-addon-configuration`). Default: none.
        pod_identity: a role for the add-on's service account. Default: None.
        before_compute: create it before the node groups and Fargate profiles (a DaemonSet the
            nodes need to become Ready); otherwise it waits for them. Default: False.
    """

    name: str
    version: str | None = None
    configuration: Mapping[str, Any] = field(default_factory=dict)
    pod_identity: AddonPodIdentity | None = None
    before_compute: bool = False


def default_addon_specs(mode: ComputeMode, kubernetes_version: str) -> list[AddonSpec]:
    """The platform's add-ons for `mode` at the table's versions for `kubernetes_version`, with
    the Pod Identity roles AWS documents (none on Fargate, which has no Pod Identity)."""
    specs = []
    for name in DEFAULT_ADDONS[mode]:
        defaults = ADDON_DEFAULTS[name]
        identity = None
        if defaults.service_account and mode != "fargate":
            identity = AddonPodIdentity(
                service_account=defaults.service_account,
                permissions=PodIdentityRoleSpec(aws_managed_policies=defaults.aws_managed_policies),
            )
        configuration = {**defaults.configuration, **mode_configuration(name, mode)}
        specs.append(
            AddonSpec(
                name=name,
                version=default_addon_version(name, kubernetes_version),
                configuration=configuration,
                pod_identity=identity,
                before_compute=defaults.before_compute,
            )
        )
    return specs


def add_addons(
    scope: Construct,
    cluster: eks.Cluster,
    *,
    addons: Sequence[AddonSpec],
    compute: Sequence[Construct],
    take_over_self_managed: bool,
) -> tuple[dict[str, eks.Addon], dict[str, iam.Role]]:
    """Create each add-on in `scope` with the PascalCase of its name as construct id (its role
    `<Id>PodIdentityRole`). `before_compute` ones come before everything in `compute` (node
    groups, Fargate profiles), the others after; an add-on on Pod Identity waits for the agent.
    With `take_over_self_managed` (a cluster that bootstrapped self-managed vpc-cni, kube-proxy
    and coredns), conflicts resolve by overwriting them. Returns the add-ons and the roles by
    add-on name."""
    created: dict[str, eks.Addon] = {}
    roles: dict[str, iam.Role] = {}
    for spec in addons:
        construct_id = _pascal(spec.name)
        addon = eks.Addon(
            scope,
            construct_id,
            # aws_eks_v2.Cluster implements ICluster; its jsii typing misses one member.
            cluster=cast(eks.ICluster, cluster),
            addon_name=spec.name,
            addon_version=spec.version,
            configuration_values=dict(spec.configuration) or None,
            preserve_on_delete=False,
        )
        resource = addon.node.default_child
        assert isinstance(resource, eks.CfnAddon)
        if take_over_self_managed:
            resource.resolve_conflicts = "OVERWRITE"
        if spec.pod_identity is not None:
            role = pod_identity_role(
                scope,
                f"{construct_id}PodIdentityRole",
                description=f"the {spec.name} add-on's service account",
                spec=spec.pod_identity.permissions,
            )
            resource.pod_identity_associations = [
                eks.CfnAddon.PodIdentityAssociationProperty(
                    role_arn=role.role_arn, service_account=spec.pod_identity.service_account
                )
            ]
            roles[spec.name] = role
        for construct in compute:
            if spec.before_compute:
                construct.node.add_dependency(addon)
            else:
                addon.node.add_dependency(construct)
        created[spec.name] = addon
    agent = created.get("eks-pod-identity-agent")
    if agent is not None:
        for name in roles:
            created[name].node.add_dependency(agent)
    return created, roles


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
