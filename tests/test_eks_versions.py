"""The EKS version tables (container_constructs/eks_versions.py): the support calendar and its
warnings and errors on a given day, the add-on table and catalog, and docs/eks.md quoting them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from container_constructs.eks_addons import default_addon_specs
from container_constructs.eks_versions import (
    ADDON_DEFAULTS,
    ADDON_VERSION_PATTERN,
    ADDON_VERSIONS,
    AUTO_MODE_BUILT_IN,
    DEFAULT_ADDONS,
    FARGATE_UNSUPPORTED,
    KUBERNETES_RELEASES,
    REQUIRED_ADDONS,
    STANDARD_SUPPORT_WARNING_DAYS,
    ami_release_problem,
    support_notice,
)
from platform_config import load_config
from platform_config.eks import CREATABLE_KUBERNETES_VERSIONS

MODES = ("managed_nodes", "fargate", "auto_mode")
COMPUTE = {
    "managed_nodes": {},
    "fargate": {
        "mode": "fargate",
        "node_groups": [],
        "fargate_profiles": [{"name": "system", "selectors": [{"namespace": "kube-system"}]}],
    },
    "auto_mode": {"mode": "auto_mode", "node_groups": []},
}


def test_calendar_is_14_months_standard_then_12_extended() -> None:
    for version, release in KUBERNETES_RELEASES.items():
        assert release.eks_release < release.end_of_standard_support, version
        months = (release.end_of_standard_support.year - release.eks_release.year) * 12 + (
            release.end_of_standard_support.month - release.eks_release.month
        )
        assert months == 14, version
        extended = release.end_of_extended_support
        assert (extended.year, extended.month, extended.day) == (
            release.end_of_standard_support.year + 1,
            release.end_of_standard_support.month,
            release.end_of_standard_support.day,
        ), version


def test_every_creatable_version_has_a_calendar_row() -> None:
    assert set(CREATABLE_KUBERNETES_VERSIONS) <= set(KUBERNETES_RELEASES)
    assert CREATABLE_KUBERNETES_VERSIONS[-1] == "1.36"


@pytest.mark.parametrize(
    ("days_before_end_of_standard", "level"),
    [
        (STANDARD_SUPPORT_WARNING_DAYS + 1, "ok"),
        (STANDARD_SUPPORT_WARNING_DAYS, "warning"),
        (1, "warning"),
        (0, "warning"),  # extended support (and its billing) starts that day
        (-364, "warning"),
    ],
)
def test_support_notice_around_the_end_of_standard_support(
    days_before_end_of_standard: int, level: str
) -> None:
    release = KUBERNETES_RELEASES["1.35"]
    today = release.end_of_standard_support - timedelta(days=days_before_end_of_standard)
    notice = support_notice("1.35", today)
    assert notice.level == level
    if level == "ok":
        assert notice.message == ""
    else:
        assert "2027-03-27" in notice.message
        assert "upgrade one minor at a time to 1.36" in notice.message


def test_support_notice_is_an_error_from_the_end_of_extended_support() -> None:
    release = KUBERNETES_RELEASES["1.31"]
    assert support_notice("1.31", release.end_of_extended_support - timedelta(days=1)).level == (
        "warning"
    )
    notice = support_notice("1.31", release.end_of_extended_support)
    assert notice.level == "error"
    assert "reached the end of EKS extended support on 2026-11-26" in notice.message
    assert "upgrade one minor at a time to 1.32" in notice.message
    assert "no newer minor is known" in support_notice("1.36", date(2028, 8, 2)).message
    assert support_notice("1.99", date(2026, 12, 3)).level == "error"


def test_every_addon_version_looks_like_one_eks_names() -> None:
    for name, versions in ADDON_VERSIONS.items():
        assert set(versions) == set(KUBERNETES_RELEASES), name
        for version in versions.values():
            assert re.fullmatch(ADDON_VERSION_PATTERN, version), (name, version)


def test_kube_proxy_follows_the_kubernetes_minor() -> None:
    """kube-proxy is built per minor: its version's minor is the cluster's."""
    for minor, version in ADDON_VERSIONS["kube-proxy"].items():
        assert version.startswith(f"v{minor}."), (minor, version)


def test_catalog_is_consistent() -> None:
    for mode in MODES:
        assert set(DEFAULT_ADDONS[mode]) <= set(ADDON_DEFAULTS)
        assert set(DEFAULT_ADDONS[mode]) <= set(ADDON_VERSIONS)
        assert set(REQUIRED_ADDONS[mode]) <= set(DEFAULT_ADDONS[mode])
    assert not set(DEFAULT_ADDONS["auto_mode"]) & set(AUTO_MODE_BUILT_IN)
    assert not set(DEFAULT_ADDONS["fargate"]) & set(FARGATE_UNSUPPORTED)


@pytest.mark.parametrize("mode", MODES)
def test_construct_defaults_are_the_configs(mode: str) -> None:
    """EksClusterProps(addons=None) gives a fork the add-ons the config resolves by default."""
    config = load_config("sandbox", overrides={"eks": {"compute": COMPUTE[mode]}}).eks
    resolved = [
        (a.name, a.version, dict(a.configuration), a.service_account, a.aws_managed_policies)
        for a in config.resolved_addons()
    ]
    specs = [
        (
            s.name,
            s.version,
            dict(s.configuration),
            s.pod_identity.service_account if s.pod_identity else None,
            tuple(s.pod_identity.permissions.aws_managed_policies) if s.pod_identity else (),
        )
        for s in default_addon_specs(mode, "1.36")  # type: ignore[arg-type]
    ]
    assert specs == resolved


def _markdown_table(text: str, heading: str) -> list[list[str]]:
    """The rows (cells) of the first table after `heading`."""
    section = text[text.index(heading) :]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # without the header and its rule


def test_docs_quote_the_addon_table(repo_root: Path) -> None:
    text = (repo_root / "docs" / "eks.md").read_text(encoding="utf-8")
    rows = _markdown_table(text, "### Add-on versions per Kubernetes minor")
    minors = list(KUBERNETES_RELEASES)
    assert {row[0] for row in rows} == set(ADDON_VERSIONS)
    for name, *cells in rows:
        resolved: list[str] = []
        for cell in cells:
            resolved.append(resolved[-1] if cell == "same" else cell)
        assert dict(zip(minors, resolved, strict=True)) == ADDON_VERSIONS[name], name


def test_docs_quote_the_calendar(repo_root: Path) -> None:
    text = (repo_root / "docs" / "eks.md").read_text(encoding="utf-8")
    rows = _markdown_table(text, "## Version lifecycle")
    quoted = {row[0]: tuple(date.fromisoformat(cell) for cell in row[1:]) for row in rows}
    assert quoted == {
        version: (r.eks_release, r.end_of_standard_support, r.end_of_extended_support)
        for version, r in KUBERNETES_RELEASES.items()
    }


def test_app_dates_the_version_check_with_the_day_it_runs_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """app.py passes its day to the config: on the end of 1.36's extended support the shipped
    sandbox is refused, exit 1, no assembly (the clock is read in app.py only)."""
    import app
    from tests.helpers.apps import RECORD, project_app

    monkeypatch.chdir(tmp_path)
    outdir = tmp_path / "cdk.out"
    assert app.main(project_app(outdir, config=str(RECORD)), today=date(2028, 8, 2)) == 1
    stderr = capsys.readouterr().err
    assert (
        "eks.kubernetes_version: '1.36': Kubernetes 1.36 reached the end of EKS extended support "
        "on 2028-08-02"
    ) in stderr
    assert not (tmp_path / "cdk.out" / "manifest.json").exists()


@pytest.mark.parametrize(
    ("release", "problem"),
    [
        ("1.36.4-20260923", None),
        ("1.35.2-20260120", "is an AMI release of Kubernetes 1.35, and the cluster runs 1.36"),
        ("1.36.4", "is not an EKS AMI release version"),
        ("1.3.4-20260923", "is an AMI release of Kubernetes 1.3, and the cluster runs 1.36"),
    ],
)
def test_an_ami_release_must_be_of_the_clusters_version(release: str, problem: str | None) -> None:
    found = ami_release_problem(release, "1.36")
    assert found is None if problem is None else problem in (found or "")
