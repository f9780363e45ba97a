"""The URL check of `make verify`: every service URL output answers 2xx, probed on the service's
health check path when its route forwards that path to it."""

from __future__ import annotations

import fnmatch
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence

from platform_config import PlatformConfig
from stacks import names
from tools.verify.deployed import DeployedStack
from tools.verify.report import FAIL, OK, SKIP, Report


def health_url(url: str, config: PlatformConfig | None, output_key: str, stack: str = "") -> str:
    """Where to probe the service whose URL output is `output_key` (`names.service_url_output`)
    in `stack`: its health check path on the URL's host when one of its route's paths forwards
    that path to it, else the URL. The service is looked up in the cluster of `stack` (a services
    stack of `ecs-<kind>`), or in every cluster when `stack` names none."""
    if config is None:
        return url
    clusters = {
        kind: cluster
        for kind, cluster in config.ecs.clusters.items()
        if stack.startswith(names.stack_id(config.name, names.ecs_cluster_unit(kind)) + "-")
    } or config.ecs.clusters
    for cluster in clusters.values():
        service = next(
            (s for s in cluster.web_services if names.service_url_output(s.name) == output_key),
            None,
        )
        if service is None:
            continue
        path = service.health_check_path
        patterns = service.web_route.paths or ["/*"]
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns):
            return urllib.parse.urljoin(url, path)
    return url


Probe = Callable[[str, float], int]


def http_status(url: str, timeout: float) -> int:
    """The final status of a GET of `url`, redirects followed (urllib's default handlers)."""
    request = urllib.request.Request(url, headers={"User-Agent": "cp-verify-deployment"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def probe_url(
    url: str,
    attempts: int,
    timeout: float,
    retry_delay: float,
    probe: Probe = http_status,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, str]:
    """(answered 2xx, what happened) after at most `attempts` tries."""
    last = "not tried"
    for attempt in range(1, attempts + 1):
        try:
            status = probe(url, timeout)
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            last = f"{type(error).__name__}: {reason}"
        else:
            if 200 <= status < 300:
                return True, f"HTTP {status} (attempt {attempt}/{attempts})"
            last = f"HTTP {status}"
        if attempt < attempts:
            sleep(retry_delay)
    return False, f"{last} after {attempts} attempt(s), {timeout:g}s timeout each"


def check_urls(
    report: Report,
    stacks: Sequence[DeployedStack],
    config: PlatformConfig | None,
    *,
    skip_reason: str | None,
    attempts: int,
    timeout: float,
    retry_delay: float,
    probe: Probe = http_status,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    urls = [
        (stack.name, key, value)
        for stack in stacks
        for key, value in sorted(stack.outputs.items())
        if key.endswith(names.SERVICE_URL_OUTPUT_SUFFIX)
    ]
    if not urls:
        report.add(
            "url",
            "service URLs",
            SKIP,
            f"no stack output ending in '{names.SERVICE_URL_OUTPUT_SUFFIX}'",
        )
    for stack_name, key, url in urls:
        target = health_url(url, config, key, stack_name)
        subject = f"{stack_name} {key} {target}"
        if skip_reason:
            report.add("url", subject, SKIP, skip_reason)
            continue
        answered, detail = probe_url(target, attempts, timeout, retry_delay, probe, sleep)
        report.add("url", subject, OK if answered else FAIL, detail)
