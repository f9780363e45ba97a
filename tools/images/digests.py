"""The digests the environment's images are pinned to, against what their registries hold now.

    python -m tools.images.digests --environment sandbox [--config DIR] [--overrides A.json,B.json]
        [--check]

`make image-digests` runs it (ENV, CONFIG, OVERRIDES). For each image the ECS services run by
`uri`, and the volume-permissions init container's, it asks the image's registry (the OCI
distribution API, with the anonymous pull token public registries such as public.ecr.aws hand
out) for the digest its tag names now and whether the pinned digest still exists, and prints one
line per image:

    OK    public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine  sha256:65e3...  (tag: sha256:65e3...)
    MOVED public.ecr.aws/...:1.37  sha256:9db7...  (tag now: sha256:1234...: pin it to update)
    GONE  ...                       the pinned digest is not in the registry: tasks cannot start

The pin is what runs: a moved tag changes nothing until the config's `image.digest` is set to
the new digest (that is an update, deployed like any other). `--check` exits 1 when a pinned
digest is gone or unpinned (tasks pulling it would fail to start); run it before a deploy. It
needs network access to the registries, not AWS credentials.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from platform_config import ConfigError
from platform_config.image import VOLUME_PERMISSIONS_IMAGE, ImageConfig
from tools.account.session import AccountError, add_environment_options, environment_config

# The manifest media types a multi-architecture image's tag names (an OCI index or a Docker
# manifest list) and a single image's: asked for in this order, the registry answers the one the
# tag points at, and its digest is the one ECS pulls by (OCI distribution spec, "Pulling
# manifests"; Docker-Content-Digest header).
ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
TIMEOUT_SECONDS = 20

Opener = Callable[[urllib.request.Request], Any]


class DigestError(Exception):
    """A registry that cannot be asked (network, refusal): reported as one line."""


@dataclass(frozen=True)
class Finding:
    """One image: what it is pinned to and what its registry holds."""

    reference: str  # the config's uri
    pinned: str | None
    current: str | None  # the digest the tag names now
    pinned_exists: bool

    @property
    def status(self) -> str:
        if self.pinned is None:
            return "UNPINNED"
        if not self.pinned_exists:
            return "GONE"
        return "OK" if self.current in (None, self.pinned) else "MOVED"

    def line(self) -> str:
        tag = f"tag now: {self.current}" if self.current else "tag not found"
        if self.status == "MOVED":
            tag += ": set image.digest to it to update"
        if self.status == "GONE":
            tag += "; the pinned digest is not in the registry: tasks cannot start"
        return f"{self.status:<8} {self.reference}  {self.pinned or '-'}  ({tag})"


class Registry:
    """The OCI distribution API of one registry host, anonymous pull tokens on a 401."""

    def __init__(self, host: str, opener: Opener = urllib.request.urlopen) -> None:
        self.host = "registry-1.docker.io" if host == "docker.io" else host
        self.opener = opener
        self.tokens: dict[str, str] = {}

    def digest(self, path: str, reference: str) -> str | None:
        """The digest `reference` (a tag or a digest) names in repository `path`, or None when the
        registry does not have it."""
        url = f"https://{self.host}/v2/{path}/manifests/{reference}"
        headers = {"Accept": ACCEPT}
        for attempt in range(2):
            if path in self.tokens:
                headers["Authorization"] = f"Bearer {self.tokens[path]}"
            request = urllib.request.Request(url, headers=headers, method="HEAD")
            try:
                with self.opener(request) as response:
                    value = response.headers.get("Docker-Content-Digest")
                    return str(value) if value else None
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    return None
                if error.code == 401 and attempt == 0:
                    self.tokens[path] = self._token(error.headers.get("WWW-Authenticate", ""))
                    continue
                raise DigestError(f"{url}: HTTP {error.code}") from None
            except (urllib.error.URLError, TimeoutError) as error:
                raise DigestError(f"{url}: {error}") from None
        raise DigestError(f"{url}: refused with a token")

    def _token(self, challenge: str) -> str:
        """An anonymous token from the `Bearer realm=...,service=...,scope=...` challenge."""
        fields = dict(_CHALLENGE.findall(challenge))
        if not challenge.startswith("Bearer ") or "realm" not in fields:
            raise DigestError(f"{self.host}: no anonymous token offered ({challenge or 'none'})")
        query = "&".join(f"{key}={fields[key]}" for key in ("service", "scope") if key in fields)
        request = urllib.request.Request(f"{fields['realm']}?{query}")
        try:
            with self.opener(request) as response:
                body = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as error:
            raise DigestError(f"{fields['realm']}: {error}") from None
        return str(body.get("token") or body.get("access_token") or "")


def pinned_images(images: Sequence[ImageConfig]) -> list[ImageConfig]:
    """Each image given by `uri` once (the init container's included by the caller)."""
    seen: dict[tuple[str, str | None], ImageConfig] = {}
    for image in images:
        if image.uri is not None:
            seen.setdefault((image.uri, image.digest), image)
    return list(seen.values())


def findings(
    images: Sequence[ImageConfig], opener: Opener = urllib.request.urlopen
) -> list[Finding]:
    registries: dict[str, Registry] = {}
    result = []
    for image in pinned_images(images):
        name = image.name
        registry = registries.setdefault(name.registry, Registry(name.registry, opener))
        current = registry.digest(name.path, name.tag or "latest")
        exists = image.digest is not None and registry.digest(name.path, image.digest) is not None
        result.append(Finding(str(image.uri), image.digest, current, exists))
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.images.digests",
        description="Compare the environment's pinned image digests with their registries.",
    )
    add_environment_options(parser)
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a pinned digest is gone from its registry, or an image is unpinned",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, opener: Opener = urllib.request.urlopen) -> int:
    args = parse_args(argv)
    try:
        config = environment_config(args.environment, args.overrides, args.config)
        images = [image for _, image in config.ecs_images()] + [VOLUME_PERMISSIONS_IMAGE]
        found = findings(images, opener)
    except (AccountError, ConfigError, DigestError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for finding in found:
        print(finding.line())
    bad = [f for f in found if f.status in ("GONE", "UNPINNED")]
    return 1 if args.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
