"""The EKS version tables: when each Kubernetes minor leaves standard and extended support, and
the managed add-on versions per minor. Data only (no aws-cdk-lib import): the config's defaults
and checks, the constructs and the upgrade runbook (docs/eks.md) all read these, so an upgrade
is one edit here plus `eks.kubernetes_version`.

Refresh with the AWS CLI (no account change needed):
    aws eks describe-cluster-versions --query 'clusterVersions[].[clusterVersion,
        endOfStandardSupportDate,endOfExtendedSupportDate]'
    aws eks describe-addon-versions --kubernetes-version 1.NN --addon-name NAME \\
        --query 'addons[0].addonVersions[?compatibilities[?defaultVersion]].addonVersion'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

__all__ = [
    "ADDON_DEFAULTS",
    "ADDON_VERSIONS",
    "ADDON_VERSION_PATTERN",
    "AMI_RELEASE_VERSION_PATTERN",
    "AUTO_MODE_BUILT_IN",
    "DEFAULT_ADDONS",
    "EBS_CSI_DEFAULT_CONFIGURATION",
    "FARGATE_UNSUPPORTED",
    "KUBERNETES_RELEASES",
    "KUBE_PROXY_MAX_MINORS_BEHIND",
    "REQUIRED_ADDONS",
    "STANDARD_SUPPORT_WARNING_DAYS",
    "AddonDefaults",
    "KubernetesRelease",
    "SupportNotice",
    "addon_version_minor",
    "ami_release_problem",
    "default_addon_version",
    "kube_proxy_skew",
    "kubernetes_minor",
    "mode_configuration",
    "support_notice",
]


@dataclass(frozen=True, kw_only=True)
class KubernetesRelease:
    """One Kubernetes minor on EKS (dates in UTC; billing for extended support starts at the
    beginning of `end_of_standard_support`).

    Attributes:
        eks_release: the day EKS released it. Required.
        end_of_standard_support: the first day of extended support. Required.
        end_of_extended_support: the first day EKS no longer runs it. Required.
    """

    eks_release: date
    end_of_standard_support: date
    end_of_extended_support: date


# Amazon EKS user guide, "Amazon EKS Kubernetes release calendar"
# (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar,
# read 2026-12-03): 1.30-1.34 from the page's source (awsdocs/amazon-eks-user-guide,
# latest/ug/versioning/kubernetes-versions.adoc); 1.35 and 1.36 from the same table as
# endoflife.date copies it (endoflife-date/endoflife.date products/amazon-eks.md, 2026-08-22).
# Standard support is 14 months from the EKS release, extended support 12 more.
KUBERNETES_RELEASES: dict[str, KubernetesRelease] = {
    "1.30": KubernetesRelease(
        eks_release=date(2024, 5, 23),
        end_of_standard_support=date(2025, 7, 23),
        end_of_extended_support=date(2026, 7, 23),
    ),
    "1.31": KubernetesRelease(
        eks_release=date(2024, 9, 26),
        end_of_standard_support=date(2025, 11, 26),
        end_of_extended_support=date(2026, 11, 26),
    ),
    "1.32": KubernetesRelease(
        eks_release=date(2025, 1, 23),
        end_of_standard_support=date(2026, 3, 23),
        end_of_extended_support=date(2027, 3, 23),
    ),
    "1.33": KubernetesRelease(
        eks_release=date(2025, 5, 29),
        end_of_standard_support=date(2026, 7, 29),
        end_of_extended_support=date(2027, 7, 29),
    ),
    "1.34": KubernetesRelease(
        eks_release=date(2025, 10, 2),
        end_of_standard_support=date(2026, 12, 2),
        end_of_extended_support=date(2027, 12, 2),
    ),
    "1.35": KubernetesRelease(
        eks_release=date(2026, 1, 27),
        end_of_standard_support=date(2027, 3, 27),
        end_of_extended_support=date(2028, 3, 27),
    ),
    "1.36": KubernetesRelease(
        eks_release=date(2026, 6, 2),
        end_of_standard_support=date(2027, 8, 2),
        end_of_extended_support=date(2028, 8, 2),
    ),
}

# Synth warns this many days before a version's standard support ends (EKS's own notice comes
# "at least 60 days" before, through the AWS Health Dashboard).
STANDARD_SUPPORT_WARNING_DAYS = 90

# AWS::EKS::Addon AddonVersion as EKS names them (cdk-preflight pf-eks-addon-version-format).
ADDON_VERSION_PATTERN = r"^v\d+\.\d+\.\d+-eksbuild\.\d+$"
_ADDON_MAJOR_MINOR = re.compile(r"^v(\d+)\.(\d+)\.")
# How many minor versions kube-proxy may trail the control plane (kube_proxy_skew).
KUBE_PROXY_MAX_MINORS_BEHIND = 3

_MINORS = tuple(KUBERNETES_RELEASES)


def _same_for_all(version: str) -> dict[str, str]:
    return dict.fromkeys(_MINORS, version)


# Managed add-on version per Kubernetes minor (read 2026-12-03). Sources:
# - coredns, kube-proxy: the Amazon EKS user guide's version tables ("Manage CoreDNS", "Manage
#   kube-proxy": https://docs.aws.amazon.com/eks/latest/userguide/managing-coredns.html and
#   managing-kube-proxy.html, their newest stored copies, which list 1.31-1.36; kube-proxy 1.30
#   from the previous copy of the same table).
# - vpc-cni, eks-pod-identity-agent, aws-ebs-csi-driver, metrics-server,
#   amazon-cloudwatch-observability: no AWS page tables these per minor (the VPC CNI page's table
#   lists one version for every minor). The versions are what `aws eks describe-addon-versions`
#   returned as the default for 1.34-1.36 clusters in public configurations that record the
#   command and its date (2026-08 to 2026-10); the VPC CNI, Pod Identity agent and EBS CSI driver
#   are not tied to a Kubernetes minor, so one version serves every row. Check each with the
#   command in this module's docstring before an upgrade; a pinned version EKS does not offer for
#   the cluster's minor fails the add-on update (CloudFormation rolls the stack back).
ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "vpc-cni": _same_for_all("v1.22.4-eksbuild.3"),
    "kube-proxy": {
        "1.30": "v1.30.14-eksbuild.28",
        "1.31": "v1.31.14-eksbuild.20",
        "1.32": "v1.32.13-eksbuild.16",
        "1.33": "v1.33.10-eksbuild.13",
        "1.34": "v1.34.6-eksbuild.13",
        "1.35": "v1.35.3-eksbuild.13",
        "1.36": "v1.36.0-eksbuild.14",
    },
    "coredns": {
        "1.30": "v1.11.4-eksbuild.40",
        "1.31": "v1.11.4-eksbuild.40",
        "1.32": "v1.11.4-eksbuild.40",
        "1.33": "v1.12.4-eksbuild.18",
        "1.34": "v1.13.2-eksbuild.11",
        "1.35": "v1.14.3-eksbuild.3",
        "1.36": "v1.14.3-eksbuild.3",
    },
    "eks-pod-identity-agent": _same_for_all("v1.3.10-eksbuild.3"),
    "aws-ebs-csi-driver": _same_for_all("v1.66.0-eksbuild.1"),
    "metrics-server": {
        **dict.fromkeys(("1.30", "1.31", "1.32", "1.33"), "v0.8.1-eksbuild.14"),
        **dict.fromkeys(("1.34", "1.35", "1.36"), "v0.9.0-eksbuild.11"),
    },
    "amazon-cloudwatch-observability": {
        **dict.fromkeys(_MINORS[:-1], "v6.4.0-eksbuild.1"),
        "1.36": "v6.7.0-eksbuild.1",
    },
}


def addon_version_minor(version: object) -> tuple[int, int] | None:
    """'v1.22.4-eksbuild.3' -> (1, 22); None for anything else (unset, a parameter reference)."""
    match = _ADDON_MAJOR_MINOR.match(version) if isinstance(version, str) else None
    return (int(match[1]), int(match[2])) if match else None


def kubernetes_minor(version: object) -> tuple[int, int] | None:
    """'1.35' -> (1, 35); None for anything else (e.g. a parameter reference)."""
    if not isinstance(version, str):
        return None
    major, _, minor = version.partition(".")
    return (int(major), int(minor)) if major.isdigit() and minor.isdigit() else None


# An EKS optimized AL2023 AMI release: the Kubernetes version it is built for, its patch and its
# build date, e.g. 1.36.4-20260923.
AMI_RELEASE_VERSION_PATTERN = re.compile(r"^(1\.[0-9]+)\.[0-9]+-[0-9]{8}$")


def ami_release_problem(release_version: str, kubernetes_version: str) -> str | None:
    """Why a node group of a `kubernetes_version` cluster cannot run AMI release
    `release_version`, or None. EKS takes only a release built for the group's own version, which
    is always the cluster's: "Requested release version 1.31.3-20250103 is not valid for
    kubernetes version 1.30" (the AWS::EKS::Nodegroup handler, eksctl-io/eksctl#7976), after the
    control plane of an upgrade has moved on."""
    match = AMI_RELEASE_VERSION_PATTERN.match(release_version)
    if match is None:
        return f"'{release_version}' is not an EKS AMI release version such as 1.36.4-20260923"
    if match[1] != kubernetes_version:
        return (
            f"'{release_version}' is an AMI release of Kubernetes {match[1]}, and the cluster runs "
            f"{kubernetes_version}: EKS refuses it; give a {kubernetes_version}.x release (with "
            "every change of kubernetes_version) or leave release_version out for EKS's latest"
        )
    return None


def kube_proxy_skew(version: str, kubernetes_version: str) -> str | None:
    """Why kube-proxy `version` cannot run beside a `kubernetes_version` control plane, or None.

    The Kubernetes version skew policy, which EKS applies to its kube-proxy add-on ("Kube-proxy on
    an Amazon EKS cluster has the same compatibility and skew policy as Kubernetes", Amazon EKS
    user guide, kube-proxy-add-on-self-managed-update.html; https://kubernetes.io/releases/
    version-skew-policy/#kube-proxy): "kube-proxy must not be newer than kube-apiserver" and
    "may be up to three minor versions older".
    """
    proxy, cluster = addon_version_minor(version), kubernetes_minor(kubernetes_version)
    if proxy is None or cluster is None:
        return None
    if proxy > cluster:
        return f"newer than the control plane's Kubernetes {kubernetes_version}"
    if proxy[0] != cluster[0] or cluster[1] - proxy[1] > KUBE_PROXY_MAX_MINORS_BEHIND:
        return (
            f"more than {KUBE_PROXY_MAX_MINORS_BEHIND} minor versions older than the control "
            f"plane's Kubernetes {kubernetes_version}"
        )
    return None


def default_addon_version(addon: str, kubernetes_version: str) -> str | None:
    """The table's version of `addon` for the cluster's Kubernetes minor, or None when the table
    has no row for it (then the version must be given)."""
    return ADDON_VERSIONS.get(addon, {}).get(kubernetes_version)


@dataclass(frozen=True, kw_only=True)
class SupportNotice:
    """What synth says about a Kubernetes version on a given day.

    Attributes:
        level: `error` after extended support ended (EKS no longer creates the version and
            upgrades existing control planes by itself), `warning` from
            STANDARD_SUPPORT_WARNING_DAYS before standard support ends (and during extended
            support), `ok` otherwise. Required.
        message: what to do, with the dates (empty when `ok`). Required.
    """

    level: Literal["ok", "warning", "error"]
    message: str


def support_notice(version: str, today: date) -> SupportNotice:
    """The support phase of `version` on `today` (a version missing from KUBERNETES_RELEASES is
    an error: nothing says it is supported)."""
    release = KUBERNETES_RELEASES.get(version)
    if release is None:
        return SupportNotice(
            level="error",
            message=f"Kubernetes {version} has no row in the EKS release calendar table",
        )
    newer = [minor for minor in _MINORS if _minor(minor) > _minor(version)]
    upgrade = f"upgrade one minor at a time to {newer[0]}" if newer else "no newer minor is known"
    if today >= release.end_of_extended_support:
        return SupportNotice(
            level="error",
            message=(
                f"Kubernetes {version} reached the end of EKS extended support on "
                f"{release.end_of_extended_support.isoformat()}: EKS creates no cluster on it "
                f"and upgrades existing control planes by itself; {upgrade}"
            ),
        )
    if today >= release.end_of_standard_support:
        return SupportNotice(
            level="warning",
            message=(
                f"Kubernetes {version} left EKS standard support on "
                f"{release.end_of_standard_support.isoformat()}; extended support (billed per "
                f"cluster hour, upgrade policy EXTENDED) ends "
                f"{release.end_of_extended_support.isoformat()}; with upgrade policy STANDARD "
                f"EKS upgrades the control plane by itself; {upgrade}"
            ),
        )
    warn_from = release.end_of_standard_support - timedelta(days=STANDARD_SUPPORT_WARNING_DAYS)
    if today >= warn_from:
        days = (release.end_of_standard_support - today).days
        return SupportNotice(
            level="warning",
            message=(
                f"Kubernetes {version} leaves EKS standard support on "
                f"{release.end_of_standard_support.isoformat()} (in {days} days); {upgrade}"
            ),
        )
    return SupportNotice(level="ok", message="")


def _minor(version: str) -> int:
    return int(version.split(".")[1])


# ---- Add-on catalog: what the platform knows about each add-on it installs by default ----


@dataclass(frozen=True, kw_only=True)
class AddonDefaults:
    """What an add-on needs that EKS does not infer.

    Attributes:
        service_account: the add-on's Kubernetes service account that gets a Pod Identity role
            (in the add-on's own namespace). Default: None (it needs no AWS permissions).
        namespace: the namespace the add-on runs in. Default: "kube-system".
        aws_managed_policies: the AWS managed policies AWS documents for that role. Default:
            none.
        before_compute: a DaemonSet the nodes need to become Ready (networking, credentials):
            created before the node groups, since without self-managed bootstrap nothing else
            installs it. The others run on the nodes and wait for them. Default: False.
        configuration: the add-on configuration values the platform sets by default. Default:
            none.
    """

    service_account: str | None = None
    namespace: str = "kube-system"
    aws_managed_policies: tuple[str, ...] = ()
    before_compute: bool = False
    configuration: Mapping[str, Any] = field(default_factory=dict)


# The EBS CSI driver's documented default StorageClass (add-on v1.31.0 and later: "set
# defaultStorageClass.enabled to true", Amazon EKS user guide, Kubernetes 1.30 release notes).
# It provisions gp3; encryption follows the account's EBS encryption-by-default (docs/eks.md).
EBS_CSI_DEFAULT_CONFIGURATION = {"defaultStorageClass": {"enabled": True}}

# Service accounts and policies: Amazon EKS user guide, "Amazon EKS add-ons" and each add-on's
# IAM page (cni-iam-role, ebs-csi, install-CloudWatch-Observability-EKS-addon; read 2026-12-03).
ADDON_DEFAULTS: dict[str, AddonDefaults] = {
    "vpc-cni": AddonDefaults(
        service_account="aws-node",
        aws_managed_policies=("AmazonEKS_CNI_Policy",),
        before_compute=True,
    ),
    "kube-proxy": AddonDefaults(before_compute=True),
    "eks-pod-identity-agent": AddonDefaults(before_compute=True),
    "coredns": AddonDefaults(),
    "aws-ebs-csi-driver": AddonDefaults(
        service_account="ebs-csi-controller-sa",
        aws_managed_policies=("service-role/AmazonEBSCSIDriverPolicy",),
        configuration=EBS_CSI_DEFAULT_CONFIGURATION,
    ),
    "metrics-server": AddonDefaults(),
    "amazon-cloudwatch-observability": AddonDefaults(
        service_account="cloudwatch-agent",
        namespace="amazon-cloudwatch",
        aws_managed_policies=("CloudWatchAgentServerPolicy",),
    ),
}

# What EKS Auto Mode runs itself (Amazon EKS user guide, "Automate cluster infrastructure with
# EKS Auto Mode": pod networking, kube-proxy, DNS, Pod Identity, block storage).
AUTO_MODE_BUILT_IN = (
    "vpc-cni",
    "kube-proxy",
    "coredns",
    "eks-pod-identity-agent",
    "aws-ebs-csi-driver",
)
# What cannot work on Fargate, and why (Amazon EKS user guide, "Fargate considerations").
FARGATE_UNSUPPORTED = {
    "eks-pod-identity-agent": "EKS Pod Identity is not available on Fargate",
    "aws-ebs-csi-driver": "Fargate pods cannot mount EBS volumes",
    "amazon-cloudwatch-observability": "its agents are DaemonSets, which Fargate does not run",
}
# The default add-on set per compute mode; an environment adds more, or removes one, in
# `eks.addons`. amazon-cloudwatch-observability is added by production (environments.py).
DEFAULT_ADDONS = {
    "managed_nodes": (
        "vpc-cni",
        "kube-proxy",
        "coredns",
        "eks-pod-identity-agent",
        "aws-ebs-csi-driver",
        "metrics-server",
    ),
    "fargate": ("vpc-cni", "kube-proxy", "coredns", "metrics-server"),
    "auto_mode": ("metrics-server",),
}
# Add-ons a mode cannot run without (no self-managed copy is bootstrapped).
REQUIRED_ADDONS = {
    "managed_nodes": ("vpc-cni", "kube-proxy", "coredns"),
    "fargate": ("coredns",),
    "auto_mode": (),
}


def mode_configuration(addon: str, mode: str) -> dict[str, Any]:
    """Configuration values an add-on needs in a compute mode: CoreDNS on Fargate runs only with
    `computeType: Fargate` (Amazon EKS user guide, fargate-getting-started)."""
    return {"computeType": "Fargate"} if addon == "coredns" and mode == "fargate" else {}
