"""Whether EKS offers each managed add-on version the environment installs, for the cluster's
Kubernetes version (tools.account.check reports it before a deploy).

The version is the config's pin or the platform's table (container_constructs/eks_versions.py,
read from AWS pages and public records of `aws eks describe-addon-versions`, which can lag or run
ahead of what a region offers). EKS refuses a version it does not offer for the cluster's minor:
"InvalidParameterException: Addon version specified is not supported", and CloudFormation fails
the AWS::EKS::Addon (UPDATE_FAILED, awslabs/cdk-eks-blueprints#1101), after the cluster was
created or upgraded, many minutes in; even the EKS user guide's table named a kube-proxy build
EKS did not offer (awsdocs/amazon-eks-user-guide#1170). An add-on EKS does not offer for that
minor at all fails the same way ("Addon ... specified is not supported in 1.28 kubernetes
version", its describe-addon-versions answer empty: marcincuber/eks#10).

EKS DescribeAddonVersions(addonName, kubernetesVersion) in the environment's region: the
version must be among the add-on's versions; the problem names the version EKS marks as that
minor's default. A denied or failed call (moto answers "Not yet implemented") leaves the add-on
"not checked", never offered.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from platform_config import PlatformConfig
from tools.account.findings import NOT_CHECKED, Finding
from tools.account.session import value_or_why

OFFERED = "offered"
NOT_OFFERED = "not offered"


@dataclass(frozen=True, kw_only=True)
class AddonStatus(Finding):
    """One add-on the environment installs (its path: eks.addons.NAME.version for a pin,
    eks.addons.NAME for the platform's table), and whether EKS offers its version: OFFERED,
    NOT_OFFERED or NOT_CHECKED."""

    name: str
    version: str
    kubernetes_version: str

    @classmethod
    def missing_status(cls) -> str:
        return NOT_OFFERED

    def line(self) -> str:
        kubernetes = f"Kubernetes {self.kubernetes_version}"
        return f"{self.name} {self.version} ({kubernetes}): {self.status}{self.detail()}"


@dataclass(frozen=True)
class _Offer:
    versions: frozenset[str]
    default: str | None


def check_addons(config: PlatformConfig, session: Any) -> list[AddonStatus]:
    """Each managed add-on the environment installs (none with EKS off) and whether EKS offers
    its version for the cluster's Kubernetes version. Raises only NoCredentialsError."""
    if not config.eks.enabled:
        return []
    eks = session.client("eks", region_name=config.region)
    kubernetes = config.eks.kubernetes_version
    statuses = []
    for addon in config.eks.resolved_addons():
        pinned = config.eks.addons.get(addon.name)
        pin = pinned is not None and pinned.version is not None
        path = f"eks.addons.{addon.name}" + (".version" if pin else "")
        offer = value_or_why(functools.partial(_offer, eks, addon.name, kubernetes))
        common = {
            "path": path,
            "name": addon.name,
            "version": addon.version,
            "kubernetes_version": kubernetes,
        }
        if isinstance(offer, str):
            statuses.append(AddonStatus(**common, status=NOT_CHECKED, reason=offer))
        elif addon.version in offer.versions:
            statuses.append(AddonStatus(**common, status=OFFERED))
        else:
            why = _refusal(addon.name, addon.version, kubernetes, offer, pin)
            statuses.append(AddonStatus(**common, status=NOT_OFFERED, reason=why))
    return statuses


def _refusal(name: str, version: str, kubernetes: str, offer: _Offer, pin: bool) -> str:
    source = (
        "pinned" if pin else "the platform's table (container_constructs/eks_versions.py) names"
    )
    if not offer.versions:
        return (
            f"EKS offers no {name} add-on for Kubernetes {kubernetes} in this region: creating "
            "it would fail the EKS stack after the cluster ('Addon ... specified is not "
            "supported'); remove it or choose a Kubernetes version it supports"
        )
    default = offer.default or sorted(offer.versions)[-1]
    return (
        f"{source} {version}, which EKS does not offer for Kubernetes {kubernetes} in this "
        "region: the add-on's create or update would fail after the cluster ('Addon version "
        f"specified is not supported'); set eks.addons.{name}.version to {default} (EKS's "
        f"default for {kubernetes}; aws eks describe-addon-versions --addon-name {name} "
        f"--kubernetes-version {kubernetes} lists the others)"
    )


def _offer(eks: Any, name: str, kubernetes: str) -> _Offer:
    """What EKS offers of add-on `name` for `kubernetes`."""
    versions: set[str] = set()
    default = None
    pages = eks.get_paginator("describe_addon_versions").paginate(
        addonName=name, kubernetesVersion=kubernetes
    )
    for page in pages:
        for addon in page.get("addons", []):
            for entry in addon.get("addonVersions", []):
                versions.add(entry["addonVersion"])
                for compatibility in entry.get("compatibilities", []):
                    if compatibility.get("clusterVersion") == kubernetes and compatibility.get(
                        "defaultVersion"
                    ):
                        default = entry["addonVersion"]
    return _Offer(frozenset(versions), default)
