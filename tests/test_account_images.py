"""tools/account/images.py through tools/account/check.py: every image the ECS services run from
the platform's registry must be in its ECR repository, for the architecture their tasks run on
(moto, and fake clients for refused calls)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from platform_config import PlatformConfig, load_config
from platform_config.environments import SAMPLE_IMAGE
from tests.helpers.apps import RECORD
from tests.helpers.fake_session import FakeSession
from tools.account import images
from tools.account.check import check_account, main
from tools.account.images import (
    FOUND,
    MISSING,
    NOT_CHECKED,
    RegistryImage,
    check_images,
    registry_images,
)

REPOSITORY = "cp-sandbox/sample-app"  # the sandbox's sample-app repository, by its ECR name
WEB = "ecs.fargate.services.web.image"
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _config(**services: dict[str, Any]) -> PlatformConfig:
    """The sandbox without the config of record, EKS off: Fargate services by name (each the
    sample behind its own route, with the fields given)."""
    fargate = {
        name: {
            "image": dict(SAMPLE_IMAGE),
            "route": {"priority": priority, "paths": [f"/{name}/*"]},
            **fields,
        }
        for priority, (name, fields) in enumerate(services.items(), 1)
    }
    overrides = {"ecs": {"fargate": {"services": fargate}}, "eks": {"enabled": False}}
    return load_config("sandbox", overrides=overrides, config_dir=None)


def _ours(tag: str, **more: Any) -> dict[str, Any]:
    return {"image": {"repository": "sample-app", "tag": tag}, **more}


def _over_the_record(tag: str) -> dict[str, Any]:
    """A service of the config of record switched to our repository's `tag` (its uri unset)."""
    return {"image": {"uri": None, "digest": None, "repository": "sample-app", "tag": tag}}


class _Registry:
    """moto's ECR, with what moto lacks: GetDownloadUrlForLayer, and the download of the URL it
    gives, answered from the images' configurations pushed here. Operations in `refused` are
    denied; DescribeImages calls are counted."""

    def __init__(self, aws: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ecr = aws.client("ecr", region_name="us-east-1")
        self.configs: dict[str, bytes] = {}
        self.refused: set[str] = set()
        self.described: list[dict[str, Any]] = []
        monkeypatch.setattr(images, "_download", self._download)

    def push(self, tag: str, *architectures: str, single: str | None = None) -> None:
        """Under `tag`: an index of `architectures` (with a BuildKit attestation manifest), or
        the single image of architecture `single`."""
        names = [r["repositoryName"] for r in self.ecr.describe_repositories()["repositories"]]
        if REPOSITORY not in names:
            self.ecr.create_repository(repositoryName=REPOSITORY)
        if single is not None:
            config = json.dumps({"os": "linux", "architecture": single}).encode()
            digest = f"sha256:{hashlib.sha256(config).hexdigest()}"
            self.configs[digest] = config
            manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "config": {"digest": digest}}
            self._put(tag, {**manifest, "layers": []}, MANIFEST)
            return
        platforms = [{"os": "linux", "architecture": arch} for arch in architectures]
        platforms.append({"os": "unknown", "architecture": "unknown"})
        entries = [
            {"mediaType": MANIFEST, "digest": f"sha256:{n:064x}", "size": 1, "platform": p}
            for n, p in enumerate(platforms)
        ]
        self._put(tag, {"schemaVersion": 2, "mediaType": INDEX, "manifests": entries}, INDEX)

    def _put(self, tag: str, manifest: dict[str, Any], media_type: str) -> None:
        self.ecr.put_image(
            repositoryName=REPOSITORY,
            imageManifest=json.dumps(manifest),
            imageManifestMediaType=media_type,
            imageTag=tag,
        )

    def _refuse(self, operation: str) -> None:
        if operation in self.refused:
            error = {"Code": "AccessDeniedException", "Message": "not authorized"}
            raise ClientError({"Error": error}, operation)

    def describe_images(self, **kwargs: Any) -> Any:
        self._refuse("DescribeImages")
        self.described.append(kwargs)
        return self.ecr.describe_images(**kwargs)

    def batch_get_image(self, **kwargs: Any) -> Any:
        self._refuse("BatchGetImage")
        return self.ecr.batch_get_image(**kwargs)

    def get_download_url_for_layer(self, **kwargs: Any) -> Any:
        self._refuse("GetDownloadUrlForLayer")
        return {"downloadUrl": f"https://blobs.invalid/{kwargs['layerDigest']}"}

    def _download(self, url: str) -> bytes:
        return self.configs[url.rsplit("/", 1)[1]]


@pytest.fixture
def registry(aws: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> _Registry:
    return _Registry(aws, monkeypatch)


def _statuses(config: PlatformConfig, session: Any) -> dict[str, tuple[str, str]]:
    return {s.image.path: (s.status, s.reason) for s in check_images(config, session, "111")}


def test_every_registry_image_of_every_kind_with_its_tasks_architecture() -> None:
    """A service's image and its sidecars', on every cluster kind, each with the architecture its
    tasks run on; images pulled by uri are not the registry's."""
    sidecar = {"name": "agent", "image": {"repository": "sample-app", "tag": "agent-1"}}
    config = _config(
        web=_ours("v1", cpu_architecture="arm64", sidecars=[sidecar]),
        public={},
    )
    assert registry_images(config) == [
        RegistryImage(WEB, "fargate/web", REPOSITORY, "v1", "arm64", own=True),
        RegistryImage(
            "ecs.fargate.services.web.sidecars[0].image",
            "fargate/web",
            REPOSITORY,
            "agent-1",
            "arm64",
            own=False,
        ),
    ]
    kms = load_config(
        "sandbox",
        overrides={
            "registry": {"kms_encryption": True},
            "ecs": {"ec2": {"services": {"sample": _over_the_record("v2")}}},
        },
        config_dir=RECORD,
    )
    (ec2,) = [image for image in registry_images(kms) if image.service == "ec2/sample"]
    assert (ec2.repository, ec2.architecture) == ("cp-sandbox/kms/sample-app", "x86_64")


@pytest.mark.integration
def test_a_tag_not_in_the_repository_fails_the_check_until_it_is_pushed(
    aws: boto3.Session, registry: _Registry
) -> None:
    config = _config(web=_ours("v2"))
    session = FakeSession(aws, ecr=registry)
    registry.push("v1", single="amd64")
    report = check_account(config, session)
    account = aws.client("sts").get_caller_identity()["Account"]
    assert report.problems == [
        f"{WEB}: tag v2 is not in ECR repository {REPOSITORY} (account {account}, us-east-1): "
        "every task would stop with CannotPullContainerError and the deployment roll back many "
        "minutes into the deploy; make push-image SERVICE=fargate/web TAG=v2 first, or set a tag "
        "that is there"
    ]
    registry.push("v2", single="amd64")
    (status,) = check_account(config, session).images
    assert (status.status, status.reason) == (FOUND, "")
    assert status.line() == f"{WEB}: found ({REPOSITORY}:v2, linux/amd64)"


@pytest.mark.integration
def test_the_image_must_hold_the_platform_the_tasks_run_on(
    aws: boto3.Session, registry: _Registry
) -> None:
    """An index without the tasks' platform, or a single image of another architecture, is a
    problem; BuildKit's attestation manifests (unknown/unknown) are not platforms."""
    registry.push("amd", "amd64")
    registry.push("both", "amd64", "arm64")
    registry.push("single-amd", single="amd64")
    registry.push("single-arm", single="arm64")
    config = _config(
        arm=_ours("amd", cpu_architecture="arm64"),
        x86=_ours("amd"),
        both=_ours("both", cpu_architecture="arm64"),
        one=_ours("single-amd", cpu_architecture="arm64"),
        graviton=_ours("single-arm", cpu_architecture="arm64"),
    )
    statuses = _statuses(config, FakeSession(aws, ecr=registry))
    for service in ("x86", "both", "graviton"):
        assert statuses[f"ecs.fargate.services.{service}.image"] == (FOUND, "")
    for service, tag in (("arm", "amd"), ("one", "single-amd")):
        status, reason = statuses[f"ecs.fargate.services.{service}.image"]
        assert status == MISSING
        assert reason == (
            f"{REPOSITORY}:{tag} has no linux/arm64 image (it has: linux/amd64), and "
            f"fargate/{service}'s tasks run on arm64: none would start (no image for their "
            f"platform, or exec format error); make push-image SERVICE=fargate/{service} "
            "TAG=<new tag> builds it"
        )


@pytest.mark.integration
def test_a_repository_not_created_yet_is_not_checked_and_no_problem(
    aws: boto3.Session, registry: _Registry
) -> None:
    overrides = {"ecs": {"fargate": {"services": {"sample": _over_the_record("v1")}}}}
    path = "ecs.fargate.services.sample.image"
    config = load_config("sandbox", overrides=overrides, config_dir=RECORD)
    status, reason = _statuses(config, FakeSession(aws, ecr=registry))[path]
    assert status == NOT_CHECKED
    assert "does not exist yet: this deploy's registry stack creates it" in reason
    assert "(image-from-new-repository)" in reason
    assert check_account(config, FakeSession(aws, ecr=registry)).problems == []


@pytest.mark.integration
def test_a_refused_or_failed_lookup_is_not_checked_and_an_image_is_looked_up_once(
    aws: boto3.Session, registry: _Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.push("v1", single="amd64")
    config = _config(web=_ours("v1"), api=_ours("v1"))
    session = FakeSession(aws, ecr=registry)
    registry.refused = {"DescribeImages"}
    statuses = _statuses(config, session)
    assert set(statuses.values()) == {(NOT_CHECKED, "DescribeImages failed: AccessDeniedException")}
    assert check_account(config, session).problems == []
    registry.refused = {"GetDownloadUrlForLayer"}
    registry.described.clear()
    statuses = _statuses(config, session)
    assert len(registry.described) == 1
    assert set(statuses.values()) == {
        (
            FOUND,
            "its platform not read (GetDownloadUrlForLayer: AccessDeniedException): not checked",
        )
    }
    registry.refused = set()

    def unreachable(url: str) -> bytes:
        raise OSError("timed out")

    monkeypatch.setattr(images, "_download", unreachable)
    assert set(_statuses(config, session).values()) == {
        (FOUND, "its configuration not downloaded (timed out): its platform not checked")
    }


def test_only_an_https_url_is_downloaded() -> None:
    with pytest.raises(OSError, match="not an https URL"):
        images._download("file:///etc/passwd")


@pytest.mark.integration
def test_the_report_lists_the_images_and_exits_1_on_a_missing_one(
    aws: boto3.Session,
    registry: _Registry,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    session = FakeSession(aws, ecr=registry)
    assert main(["--environment", "sandbox"], session=session) == 0
    out = capsys.readouterr().out
    assert (
        "Images the services run from the registry:\n  none (every image is pulled by uri: make "
        "image-digests checks those)\n"
    ) in out
    registry.push("v1", single="arm64")
    overrides = tmp_path / "overrides.json"
    sample = _over_the_record("v9")
    overrides.write_text(json.dumps({"ecs": {"fargate": {"services": {"sample": sample}}}}))
    assert main(["--environment", "sandbox", "--overrides", str(overrides)], session=session) == 1
    out = capsys.readouterr().out
    assert f"  ecs.fargate.services.sample.image: missing ({REPOSITORY}:v9, linux/arm64)\n" in out
    assert "  - ecs.fargate.services.sample.image: tag v9 is not in ECR repository" in out
