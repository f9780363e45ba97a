"""The `eks.addons` rules: which add-ons a compute mode runs (the defaults merged with the
config's map), what each resolves to, and the refusals with what is allowed instead."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from container_constructs.eks_versions import (
    ADDON_DEFAULTS,
    AUTO_MODE_BUILT_IN,
    DEFAULT_ADDONS,
    FARGATE_UNSUPPORTED,
    KUBE_PROXY_MAX_MINORS_BEHIND,
    REQUIRED_ADDONS,
    default_addon_version,
    kube_proxy_skew,
    kubernetes_minor,
    mode_configuration,
)
from platform_config.eks_addons import AddonConfig, PolicyStatementConfig

POD_IDENTITY_AGENT = "eks-pod-identity-agent"
KUBE_PROXY = "kube-proxy"


@dataclass(frozen=True, kw_only=True)
class ResolvedAddon:
    """One add-on as it is installed: every default filled in."""

    name: str
    version: str
    configuration: Mapping[str, Any]
    service_account: str | None
    aws_managed_policies: tuple[str, ...]
    managed_policy_arns: tuple[str, ...]
    statements: tuple[PolicyStatementConfig, ...]
    before_compute: bool


def wanted_addons(mode: str, addons: Mapping[str, AddonConfig | None]) -> dict[str, AddonConfig]:
    """The mode's default set, then `addons` merged over it (None removes one), in order."""
    wanted: dict[str, AddonConfig] = {name: AddonConfig() for name in DEFAULT_ADDONS[mode]}
    for name, addon in addons.items():
        if addon is None:
            wanted.pop(name, None)
        else:
            wanted[name] = addon
    return wanted


def resolve_addons(
    mode: str, kubernetes_version: str, addons: Mapping[str, AddonConfig | None]
) -> list[ResolvedAddon]:
    """Every add-on to install, defaults filled in (call on a validated config: addon_problems
    has refused every add-on this cannot resolve)."""
    resolved = []
    for name, addon in wanted_addons(mode, addons).items():
        defaults = ADDON_DEFAULTS.get(name)
        version = addon.version or default_addon_version(name, kubernetes_version)
        assert version is not None  # addon_problems: "no version for ..."
        configuration = dict(
            addon.configuration
            if addon.configuration is not None
            else (defaults.configuration if defaults else {})
        )
        configuration = {**mode_configuration(name, mode), **configuration}
        identity = addon.pod_identity
        service_account = None
        aws_policies: tuple[str, ...] = ()
        arns: tuple[str, ...] = ()
        statements: tuple[PolicyStatementConfig, ...] = ()
        enabled = identity.enabled if identity is not None else mode != "fargate"
        if enabled:
            service_account = (identity.service_account if identity else None) or (
                defaults.service_account if defaults else None
            )
            if service_account is not None:
                if defaults and defaults.service_account == service_account:
                    aws_policies = defaults.aws_managed_policies
                if identity is not None:
                    aws_policies = tuple(
                        dict.fromkeys([*aws_policies, *identity.aws_managed_policies])
                    )
                    arns = tuple(identity.managed_policy_arns)
                    statements = tuple(identity.statements)
        resolved.append(
            ResolvedAddon(
                name=name,
                version=version,
                configuration=configuration,
                service_account=service_account,
                aws_managed_policies=aws_policies,
                managed_policy_arns=arns,
                statements=statements,
                before_compute=bool(defaults and defaults.before_compute),
            )
        )
    return resolved


def addon_problems(
    *,
    mode: str,
    kubernetes_version: str,
    addons: Mapping[str, AddonConfig | None],
    workload_identities: int,
) -> list[str]:
    """Why the add-ons (and Pod Identity users) cannot work in `mode`, each naming the field."""
    problems: list[str] = []
    for name, addon in addons.items():
        field = f"addons.{name}"
        if addon is None:
            if name in REQUIRED_ADDONS[mode]:
                problems.append(
                    f"{field}: {mode} needs it (no self-managed copy is bootstrapped); allowed: "
                    "change its version or configuration, not remove it"
                )
            continue
        if mode == "auto_mode" and name in AUTO_MODE_BUILT_IN:
            problems.append(
                f"{field}: EKS Auto Mode runs {name} itself (networking, DNS, Pod Identity and "
                "block storage are built in); allowed in auto_mode: other add-ons such as "
                "metrics-server and amazon-cloudwatch-observability"
            )
        elif mode == "fargate" and name in FARGATE_UNSUPPORTED:
            problems.append(f"{field}: {FARGATE_UNSUPPORTED[name]}; allowed: managed_nodes mode")
        if addon.version is None and default_addon_version(name, kubernetes_version) is None:
            problems.append(
                f"{field}.version: required: the platform's table has no version of {name} for "
                f"Kubernetes {kubernetes_version}; allowed: one `aws eks describe-addon-versions "
                f"--addon-name {name} --kubernetes-version {kubernetes_version}` lists"
            )
        skew = (
            kube_proxy_skew(addon.version, kubernetes_version)
            if name == KUBE_PROXY and addon.version
            else None
        )
        if skew:
            problems.append(_kube_proxy_problem(field, addon.version, skew, kubernetes_version))
        identity = addon.pod_identity
        if identity is not None and identity.enabled:
            if mode == "fargate":
                problems.append(
                    f"{field}.pod_identity: EKS Pod Identity is not available on Fargate; "
                    "allowed: enabled false, or managed_nodes or auto_mode"
                )
            known = ADDON_DEFAULTS.get(name)
            if identity.service_account is None and (known is None or not known.service_account):
                problems.append(
                    f"{field}.pod_identity.service_account: required for {name} (the platform "
                    "knows no service account of it that calls AWS)"
                )
            elif (
                identity.service_account
                and (known is None or identity.service_account != known.service_account)
                and not identity.aws_managed_policies
                and not identity.managed_policy_arns
                and not identity.statements
            ):
                problems.append(
                    f"{field}.pod_identity: a role for {identity.service_account} needs "
                    "aws_managed_policies, managed_policy_arns or statements"
                )
    if mode == "fargate" and workload_identities:
        problems.append(
            "workload_identities: EKS Pod Identity is not available on Fargate; allowed: "
            "managed_nodes or auto_mode (or an empty list)"
        )
    if mode == "managed_nodes" and POD_IDENTITY_AGENT not in wanted_addons(mode, addons):
        users = [
            addon.name
            for addon in resolve_addons_safely(mode, kubernetes_version, addons)
            if addon.service_account
        ]
        if users or workload_identities:
            who = ", ".join([*users, *(["workload_identities"] if workload_identities else [])])
            problems.append(
                f"addons.{POD_IDENTITY_AGENT}: needed by the Pod Identity roles of {who}; "
                "allowed: keep it, or set those roles' pod_identity.enabled false"
            )
    return problems


def _kube_proxy_problem(field: str, version: str | None, skew: str, kubernetes_version: str) -> str:
    cluster = kubernetes_minor(kubernetes_version)
    assert cluster is not None  # kube_proxy_skew found a skew against it
    major, minor = cluster
    oldest = f"v{major}.{max(minor - KUBE_PROXY_MAX_MINORS_BEHIND, 0)}"
    default = default_addon_version(KUBE_PROXY, kubernetes_version)
    platform = f" (the platform's: {default}, or leave version unset)" if default else ""
    return (
        f"{field}.version: {version} is {skew}, which the Kubernetes version skew policy EKS "
        f"applies to kube-proxy refuses; allowed: a {oldest}.x to v{major}.{minor}.x build"
        f"{platform}"
    )


def resolve_addons_safely(
    mode: str, kubernetes_version: str, addons: Mapping[str, AddonConfig | None]
) -> list[ResolvedAddon]:
    """resolve_addons over the add-ons that have a version (for the checks above)."""
    resolvable = {
        name: addon
        for name, addon in wanted_addons(mode, addons).items()
        if addon.version or default_addon_version(name, kubernetes_version)
    }
    return resolve_addons(mode, kubernetes_version, {**dict.fromkeys(addons), **resolvable})
