"""tools/images/digests.py: the pinned digests against a registry speaking the OCI distribution
API with anonymous pull tokens (as public.ecr.aws does), faked here: no network."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from container_constructs import defaults
from platform_config.environments import SAMPLE_IMAGE_DIGEST, SAMPLE_IMAGE_URI
from tools.images.digests import ACCEPT, main

OTHER = "sha256:" + "1" * 64


class _Response:
    def __init__(self, headers: dict[str, str], body: bytes = b"") -> None:
        self.headers = Message()
        for key, value in headers.items():
            self.headers[key] = value
        self.body = body

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def read(self) -> bytes:
        return self.body


class FakeRegistry:
    """public.ecr.aws as the distribution API serves it: HEAD /v2/<path>/manifests/<ref> answers
    401 with a Bearer challenge without a token, the manifest's digest with one; the token
    endpoint hands out an anonymous token."""

    def __init__(self, manifests: dict[tuple[str, str], str]) -> None:
        self.manifests = manifests  # (path, tag or digest) -> digest
        self.requests: list[str] = []

    def __call__(self, request: urllib.request.Request) -> _Response:
        url = request.full_url
        self.requests.append(f"{request.get_method()} {url}")
        if url.startswith("https://public.ecr.aws/token/"):
            return _Response({}, json.dumps({"token": "anonymous"}).encode())
        prefix = "https://public.ecr.aws/v2/"
        assert url.startswith(prefix), url
        path, reference = url.removeprefix(prefix).split("/manifests/")
        if request.get_header("Authorization") != "Bearer anonymous":
            challenge = Message()
            challenge["WWW-Authenticate"] = (
                'Bearer realm="https://public.ecr.aws/token/",service="public.ecr.aws",'
                f'scope="repository:{path}:pull"'
            )
            raise urllib.error.HTTPError(url, 401, "Unauthorized", challenge, io.BytesIO())
        assert request.get_header("Accept") == ACCEPT
        digest = self.manifests.get((path, reference))
        if digest is None:
            raise urllib.error.HTTPError(url, 404, "Not Found", Message(), io.BytesIO())
        return _Response({"Docker-Content-Digest": digest})


NGINX = "nginx/nginx-unprivileged"
BUSYBOX = "docker/library/busybox"
BUSYBOX_DIGEST = defaults.VOLUME_PERMISSIONS_IMAGE_DIGEST


def _registry(nginx_tag: str, nginx_pinned_exists: bool = True) -> FakeRegistry:
    manifests = {
        (NGINX, "1.27-alpine"): nginx_tag,
        (BUSYBOX, "1.37"): BUSYBOX_DIGEST,
        (
            BUSYBOX,
            defaults.VOLUME_PERMISSIONS_IMAGE_DIGEST,
        ): defaults.VOLUME_PERMISSIONS_IMAGE_DIGEST,
    }
    if nginx_pinned_exists:
        manifests[(NGINX, SAMPLE_IMAGE_DIGEST)] = SAMPLE_IMAGE_DIGEST
    return FakeRegistry(manifests)


def test_pinned_digests_that_the_tags_still_name_are_ok(capsys: pytest.CaptureFixture[str]) -> None:
    registry = _registry(SAMPLE_IMAGE_DIGEST)
    assert main(["--environment", "sandbox", "--check"], opener=registry) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"OK       {SAMPLE_IMAGE_URI}  {SAMPLE_IMAGE_DIGEST}  (tag now: {SAMPLE_IMAGE_DIGEST})",
        f"OK       {defaults.VOLUME_PERMISSIONS_IMAGE_URI}  "
        f"{defaults.VOLUME_PERMISSIONS_IMAGE_DIGEST}  "
        f"(tag now: {defaults.VOLUME_PERMISSIONS_IMAGE_DIGEST})",
    ]
    # One anonymous token per repository, then the HEADs carry it.
    assert sum("/token/" in r for r in registry.requests) == 2


def test_the_images_are_those_of_the_given_config_of_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--config DIR` (make's CONFIG): a config of record without services leaves only the
    init container's image to check."""
    registry = _registry(SAMPLE_IMAGE_DIGEST)
    assert main(["--environment", "sandbox", "--config", str(tmp_path)], opener=registry) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"OK       {defaults.VOLUME_PERMISSIONS_IMAGE_URI}  ")


def test_a_moved_tag_is_reported_and_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--environment", "sandbox", "--check"], opener=_registry(OTHER)) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(f"MOVED    {SAMPLE_IMAGE_URI}  {SAMPLE_IMAGE_DIGEST}")
    assert f"(tag now: {OTHER}: set image.digest to it to update)" in line


def test_a_gone_digest_fails_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    registry = _registry(OTHER, nginx_pinned_exists=False)
    assert main(["--environment", "sandbox", "--check"], opener=registry) == 1
    assert capsys.readouterr().out.splitlines()[0].startswith("GONE")
    assert main(["--environment", "sandbox"], opener=registry) == 0  # reported, not checked


def test_an_unreachable_registry_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def offline(request: urllib.request.Request) -> Any:
        raise urllib.error.URLError("no route to host")

    assert main(["--environment", "sandbox"], opener=offline) == 1
    assert capsys.readouterr().err.startswith("error: https://public.ecr.aws/v2/nginx/")
