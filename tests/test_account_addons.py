"""tools/account/addons.py through tools/account/check.py: every EKS add-on version the
environment installs must be one EKS offers for the cluster's Kubernetes version (a fake EKS
client answering DescribeAddonVersions: moto answers "Not yet implemented")."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from platform_config import PlatformConfig, load_config
from tests.helpers.apps import RECORD
from tests.helpers.fake_session import FakeSession
from tools.account.addons import NOT_CHECKED, NOT_OFFERED, OFFERED, check_addons
from tools.account.check import check_account


class _Eks:
    """DescribeAddonVersions from `offered`: add-on -> [(version, default for the asked
    Kubernetes version)], in pages of one version (as a paginator must read them all)."""

    def __init__(self, offered: dict[str, list[tuple[str, bool]]], *, refuse: bool = False):
        self.offered = offered
        self.refuse = refuse
        self.asked: list[tuple[str, str]] = []

    def get_paginator(self, operation: str) -> Any:
        assert operation == "describe_addon_versions"
        return self

    def paginate(self, *, addonName: str, kubernetesVersion: str) -> Any:  # noqa: N803
        if self.refuse:
            error = {"Code": "AccessDeniedException", "Message": "not authorized"}
            raise ClientError({"Error": error}, "DescribeAddonVersions")
        self.asked.append((addonName, kubernetesVersion))
        versions = self.offered.get(addonName, [])
        if not versions:
            return iter([{"addons": []}])
        return iter(
            {
                "addons": [
                    {
                        "addonName": addonName,
                        "addonVersions": [
                            {
                                "addonVersion": version,
                                "compatibilities": [
                                    {"clusterVersion": kubernetesVersion, "defaultVersion": default}
                                ],
                            }
                        ],
                    }
                ]
            }
            for version, default in versions
        )


def _config(**eks: Any) -> PlatformConfig:
    return load_config("sandbox", overrides={"eks": eks}, config_dir=RECORD)


def _offering(config: PlatformConfig, **changes: list[tuple[str, bool]]) -> _Eks:
    """EKS offering every add-on's resolved version (as the default), with `changes` in place of
    some add-ons' offers."""
    offered = {addon.name: [(addon.version, True)] for addon in config.eks.resolved_addons()}
    return _Eks({**offered, **{name.replace("_", "-"): v for name, v in changes.items()}})


def test_every_add_on_is_asked_for_the_clusters_version_and_offered_passes() -> None:
    config = _config()
    eks = _offering(config)
    statuses = check_addons(config, FakeSession(None, eks=eks))
    names = [addon.name for addon in config.eks.resolved_addons()]
    assert [s.name for s in statuses] == names
    assert eks.asked == [(name, config.eks.kubernetes_version) for name in names]
    assert {s.status for s in statuses} == {OFFERED}
    assert check_addons(_config(enabled=False), FakeSession(None, eks=eks)) == []


def test_a_version_eks_does_not_offer_is_a_problem_naming_its_default() -> None:
    """The platform's table's version (no pin) and a pin, each refused with EKS's default for
    the cluster's version; an add-on EKS does not offer at all names no version."""
    config = _config(addons={"vpc-cni": {"version": "v1.21.0-eksbuild.1"}})
    kubernetes = config.eks.kubernetes_version
    eks = _offering(
        config,
        vpc_cni=[("v1.21.1-eksbuild.2", False), ("v1.22.4-eksbuild.3", True)],
        kube_proxy=[("v9.9.9-eksbuild.1", True)],
        coredns=[],
    )
    statuses = {s.name: s for s in check_addons(config, FakeSession(None, eks=eks))}
    pinned = statuses["vpc-cni"]
    assert (pinned.path, pinned.status) == ("eks.addons.vpc-cni.version", NOT_OFFERED)
    assert pinned.problem == (
        f"eks.addons.vpc-cni.version: pinned v1.21.0-eksbuild.1, which EKS does not offer for "
        f"Kubernetes {kubernetes} in this region: the add-on's create or update would fail after "
        "the cluster ('Addon version specified is not supported'); set "
        f"eks.addons.vpc-cni.version to v1.22.4-eksbuild.3 (EKS's default for {kubernetes}; aws "
        f"eks describe-addon-versions --addon-name vpc-cni --kubernetes-version {kubernetes} "
        "lists the others)"
    )
    table = statuses["kube-proxy"]
    assert table.path == "eks.addons.kube-proxy"
    assert (table.problem or "").startswith(
        "eks.addons.kube-proxy: the platform's table (container_constructs/eks_versions.py) "
        f"names {table.version}, which EKS does not offer"
    )
    assert "set eks.addons.kube-proxy.version to v9.9.9-eksbuild.1" in (table.problem or "")
    assert (statuses["coredns"].problem or "").startswith(
        f"eks.addons.coredns: EKS offers no coredns add-on for Kubernetes {kubernetes}"
    )


@pytest.mark.integration
def test_the_account_check_reports_them_and_a_refused_lookup_is_not_checked(
    aws: boto3.Session,
) -> None:
    config = _config()
    stale = _offering(config, metrics_server=[("v0.0.1-eksbuild.1", True)])
    report = check_account(config, FakeSession(aws, eks=stale))
    assert [p.split(":")[0] for p in report.problems] == ["eks.addons.metrics-server"]
    refused = check_account(config, FakeSession(aws, eks=_Eks({}, refuse=True)))
    assert refused.problems == []
    assert {(s.status, s.reason) for s in refused.addons} == {
        (NOT_CHECKED, "DescribeAddonVersions failed: AccessDeniedException")
    }
    on_moto = check_account(config, aws)  # moto: "Not yet implemented"
    assert {s.status for s in on_moto.addons} == {NOT_CHECKED}
