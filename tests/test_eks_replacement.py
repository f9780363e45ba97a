"""The EKS cluster has a fixed name, so the config must say which of its fields replace it."""

from __future__ import annotations

import json
from pathlib import Path

from platform_config.eks import AccessConfig, EksConfig
from tools.plan.keys import schemas_dir

ROOT = Path(__file__).resolve().parent.parent


def _create_only_properties() -> list[str]:
    """AWS::EKS::Cluster's createOnlyProperties ("Update requires: Replacement") in the registry
    schema the pinned cfn-lint ships."""
    schemas = schemas_dir()
    providers = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    schema = json.loads(
        (schemas / "resources" / f"{providers['AWS::EKS::Cluster']}.json").read_text()
    )
    return [path.removeprefix("/properties/") for path in schema["createOnlyProperties"]]


def test_the_config_names_every_property_that_replaces_the_cluster() -> None:
    source = (ROOT / "platform_config" / "eks.py").read_text()
    for path in _create_only_properties():
        assert path.rsplit("/", 1)[-1] in source, path


def test_the_field_that_replaces_the_cluster_says_so() -> None:
    description = AccessConfig.model_fields["bootstrap_creator_admin"].description or ""
    assert "Changing it replaces the cluster: with the cluster's fixed name the update fails" in (
        description
    )
    assert "BootstrapClusterCreatorAdminPermissions" in "/".join(_create_only_properties())
    assert "bootstrap_creator_admin and bootstrap_self_managed_addons" in (EksConfig.__doc__ or "")
    bootstrap = EksConfig.model_fields["bootstrap_self_managed_addons"].description or ""
    assert "Create-only: changing it replaces the cluster, which its fixed name makes fail" in (
        bootstrap
    )
    assert "BootstrapSelfManagedAddons" in _create_only_properties()
