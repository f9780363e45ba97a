"""Whether each image the config's ECS services run from the platform's registry (an `image` with
`repository` and `tag`, a service's or a sidecar's) is in its ECR repository, built for the CPU
architecture the service's tasks run on (tools.account.check reports it before a deploy).

ECS pulls a task's images when the task starts. An image that is not in its repository stops
every task of the new deployment with CannotPullContainerError, the deployment circuit breaker
rolls it back after its failed tasks, and the stack update fails many minutes in. Sources, read
2026-12-05: the Amazon ECS Developer Guide, "CannotPullContainer task errors in Amazon ECS"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html: "Check
that the image exists in the repository"); the ECS agent's message for it (aws/amazon-ecs-agent,
`formatImageDoesNotExistError`: "The task can't pull the image. Check whether the image exists.").

* Looked up with ECR DescribeImages by tag, in the environment's region and the caller's account
  (where the platform's repositories are): ImageNotFoundException is a missing image.
* A repository that does not exist yet is "not checked": the deploy's registry stack creates it,
  and `make plan` refuses a service that runs from a repository the same deploy creates
  (`image-from-new-repository`, tools/plan/rules/image_source.py).
* Architecture: the image must hold one for linux/<the architecture the service's tasks run on>
  (`ClusterConfig.task_cpu_architecture`). A multi-platform image (an OCI image index or a Docker
  manifest list) names the platform of each image it holds and a pull takes the task's (OCI image
  spec, image-index.md, `platform`); with none for it the pull fails (containerd: "no match for
  platform in manifest: not found"). A single-platform image (what `make push-image` pushes, with
  `--provenance=false`) names its platform in its configuration blob (OCI image spec, config.md,
  `architecture` and `os`); one of another architecture fails the pull or starts a container that
  stops at once ("exec format error"). The manifest is read with ECR BatchGetImage, a single
  image's configuration with GetDownloadUrlForLayer and a download of that pre-signed URL; where
  either is refused or fails, the platform is "not checked" (the image is found), never a problem.
* A denied or failed call leaves the image "not checked" with the error code, never "found". An
  image several fields name is looked up once.
"""

from __future__ import annotations

import functools
import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from platform_config import PlatformConfig
from platform_config.image import ImageConfig
from tools.account.findings import FOUND, MISSING, NOT_CHECKED, Finding
from tools.account.session import looked_up

# The manifests that list an image per platform (OCI image index, Docker manifest list).
INDEX_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
DOWNLOAD_TIMEOUT_SECONDS = 20
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # an image configuration is a few KiB
# A config CPU architecture -> the OCI platform `architecture` built for it.
OCI_ARCHITECTURES = {"x86_64": "amd64", "arm64": "arm64"}


@dataclass(frozen=True)
class RegistryImage:
    """One config field that names an image of the platform's registry."""

    path: str  # e.g. ecs.fargate.services.api.image or ...api.sidecars[0].image
    service: str  # SERVICE as the image tools take it, e.g. fargate/api
    repository: str  # its ECR name
    tag: str
    architecture: str  # the tasks' CPU architecture: x86_64 or arm64
    own: bool  # the service's own image (make push-image pushes it), not a sidecar's


@dataclass(frozen=True, kw_only=True)
class ImageStatus(Finding):
    """One field, what the registry says of its image and, when missing or not checked, why (a
    found image's reason: why its platform was not read)."""

    image: RegistryImage

    def line(self) -> str:
        named = f"{self.image.repository}:{self.image.tag}, linux/{_oci(self.image.architecture)}"
        if self.status == MISSING:
            return f"{self.image.path}: {self.status} ({named})"
        detail = f": {self.reason}" if self.reason else ""
        return f"{self.image.path}: {self.status} ({named}){detail}"


@dataclass(frozen=True)
class _Lookup:
    """What the registry holds under a tag: its state, and the platforms its image holds
    ("os/architecture"; None when they could not be read, and `detail` says why)."""

    state: str  # FOUND, MISSING (no such tag), "no repository" or NOT_CHECKED
    platforms: frozenset[str] | None = None
    detail: str = ""


_NO_REPOSITORY = "no repository"


def _oci(architecture: str) -> str:
    return OCI_ARCHITECTURES[architecture]


def registry_images(config: PlatformConfig) -> list[RegistryImage]:
    """Every field of an ECS service (and its sidecars) that names an image of the platform's
    registry, with the ECR name of its repository and the architecture its tasks run on."""
    ecr_names = config.registry.physical_names(config.name)
    found = []
    for kind, cluster in config.ecs.clusters.items():
        for service in cluster.services.values():
            field = f"ecs.{kind}.services.{service.name}"
            images: list[tuple[str, ImageConfig]] = [(f"{field}.image", service.image)]
            images.extend(
                (f"{field}.sidecars[{index}].image", sidecar.image)
                for index, sidecar in enumerate(service.sidecars)
                if sidecar.image is not None
            )
            architecture = cluster.task_cpu_architecture(service)
            for index, (path, image) in enumerate(images):
                if image.repository is None or image.tag is None:
                    continue
                found.append(
                    RegistryImage(
                        path=path,
                        service=f"{kind}/{service.name}",
                        repository=ecr_names[image.repository],
                        tag=image.tag,
                        architecture=architecture,
                        own=index == 0,
                    )
                )
    return found


def check_images(config: PlatformConfig, session: Any, account: str) -> list[ImageStatus]:
    """The status of every registry image the config's ECS services run, one per field, with
    `account` the caller's. Raises only botocore's NoCredentialsError."""
    ecr = session.client("ecr", region_name=config.region)
    lookups: dict[tuple[str, str], _Lookup] = {}
    statuses = []
    for image in registry_images(config):
        key = (image.repository, image.tag)
        if key not in lookups:
            lookups[key] = _guarded(functools.partial(_lookup, ecr, *key))
        statuses.append(_status(image, lookups[key], account, config.region))
    return statuses


def _of(image: RegistryImage, status: str, reason: str = "") -> ImageStatus:
    return ImageStatus(image=image, path=image.path, status=status, reason=reason)


def _status(image: RegistryImage, lookup: _Lookup, account: str, region: str) -> ImageStatus:
    where = f"ECR repository {image.repository} (account {account}, {region})"
    if lookup.state == _NO_REPOSITORY:
        return _of(
            image,
            NOT_CHECKED,
            f"{where} does not exist yet: this deploy's registry stack creates it, and make plan "
            "refuses a service that runs from it before its image is pushed "
            "(image-from-new-repository)",
        )
    if lookup.state == NOT_CHECKED:
        return _of(image, NOT_CHECKED, lookup.detail)
    if lookup.state == MISSING:
        push = (
            f"make push-image SERVICE={image.service} TAG={image.tag}" if image.own else "push it"
        )
        return _of(
            image,
            MISSING,
            f"tag {image.tag} is not in {where}: every task would stop with "
            "CannotPullContainerError and the deployment roll back many minutes into the deploy; "
            f"{push} first, or set a tag that is there",
        )
    wanted = f"linux/{_oci(image.architecture)}"
    if lookup.platforms is None:
        return _of(image, FOUND, lookup.detail)
    if wanted not in lookup.platforms:
        has = ", ".join(sorted(lookup.platforms)) or "none"
        push = (
            f"make push-image SERVICE={image.service} TAG=<new tag> builds it"
            if image.own
            else "push a build of it under a new tag"
        )
        return _of(
            image,
            MISSING,
            f"{image.repository}:{image.tag} has no {wanted} image (it has: {has}), and "
            f"{image.service}'s tasks run on {image.architecture}: none would start (no image "
            f"for their platform, or exec format error); {push}",
        )
    return _of(image, FOUND)


def _lookup(ecr: Any, repository: str, tag: str) -> _Lookup:
    described = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    details = described.get("imageDetails") or [{}]
    media_type = str(details[0].get("imageManifestMediaType") or "")
    platforms, why = _platforms(ecr, repository, tag, media_type)
    return _Lookup(FOUND, platforms, why)


def _platforms(
    ecr: Any, repository: str, tag: str, media_type: str
) -> tuple[frozenset[str] | None, str]:
    """The os/architecture pairs the image under `tag` holds (one for a single-platform image),
    or None and why they could not be read."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    accepted = {"acceptedMediaTypes": [media_type]} if media_type else {}
    try:
        got = ecr.batch_get_image(
            repositoryName=repository, imageIds=[{"imageTag": tag}], **accepted
        )
        manifest = json.loads(got["images"][0]["imageManifest"])
        if media_type in INDEX_MEDIA_TYPES:
            return _index_platforms(manifest["manifests"]), ""
        if "architecture" in manifest:  # Docker's schema 1 names it in the manifest
            return frozenset({f"linux/{manifest['architecture']}"}), ""
        blob = ecr.get_download_url_for_layer(
            repositoryName=repository, layerDigest=manifest["config"]["digest"]
        )
        config = json.loads(_download(blob["downloadUrl"]))
        return frozenset({f"{config['os']}/{config['architecture']}"}), ""
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        return None, f"its platform not read ({error.operation_name}: {code}): not checked"
    except OSError as error:  # the download (urllib's URLError and timeouts are OSErrors)
        return None, f"its configuration not downloaded ({error}): its platform not checked"
    except (IndexError, KeyError, TypeError, ValueError):
        return None, "its manifest or configuration not understood: its platform not checked"


def _index_platforms(entries: Any) -> frozenset[str]:
    """The platforms an image index (or manifest list) names, without BuildKit's attestation
    manifests (provenance, SBOM), which carry unknown/unknown."""
    return frozenset(
        f"{entry['platform'].get('os')}/{entry['platform'].get('architecture')}"
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("platform"), dict)
        and entry["platform"].get("os") != "unknown"
    )


def _download(url: str) -> bytes:
    """The body at `url`: an image configuration, from the pre-signed S3 URL ECR gives."""
    if not url.startswith("https://"):
        raise OSError(f"not an https URL: {url[:40]}")
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
        body: bytes = response.read(MAX_CONFIG_BYTES)
    return body


def _guarded(call: Callable[[], _Lookup]) -> _Lookup:
    """`call()`; ECR's "no such tag" is MISSING and "no such repository" not created yet;
    NOT_CHECKED with the error when AWS refused the call or could not be reached."""
    return looked_up(
        call,
        not_checked=lambda why: _Lookup(NOT_CHECKED, detail=why),
        by_code={
            "ImageNotFoundException": _Lookup(MISSING),
            "RepositoryNotFoundException": _Lookup(_NO_REPOSITORY),
        },
    )
