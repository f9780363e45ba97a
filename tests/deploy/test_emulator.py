"""The emulator harness: loopback only, a bounded start, stops exactly the process it started."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.deploy.helpers.cli import emulator_environment
from tests.deploy.helpers.emulator import LOOPBACK, MotoServer, free_loopback_port

pytestmark = pytest.mark.deploy


def test_a_server_that_cannot_bind_fails_fast_and_is_reaped(tmp_path: Path) -> None:
    """moto_server on a port already taken exits; start() raises instead of waiting forever."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        server = MotoServer(int(taken.getsockname()[1]), tmp_path / "moto.log")
        with pytest.raises((RuntimeError, TimeoutError)):
            server.start(ready_timeout=30)
        server.stop()
    assert server.process is not None
    assert server.process.poll() is not None


def test_stop_ends_the_started_process(moto_server: MotoServer, tmp_path: Path) -> None:
    """A second server is started and stopped; the session's server keeps answering."""
    other = MotoServer(free_loopback_port(), tmp_path / "other.log")
    other.start(ready_timeout=60)
    assert other.process is not None
    other.stop()
    assert other.process.returncode is not None
    assert moto_server.api("GET", "/moto-api/config") is not None


def test_the_cli_environment_points_only_at_loopback(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user's AWS profile, credentials and proxies never reach the CLI; endpoints are local."""
    monkeypatch.setenv("AWS_PROFILE", "real-account")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    env = emulator_environment(moto_server, tmp_path / "home")
    assert "AWS_PROFILE" not in env
    assert "HTTPS_PROXY" not in env
    assert "https_proxy" not in env
    endpoints = [value for key, value in env.items() if key.startswith("AWS_ENDPOINT_URL")]
    assert len(endpoints) == 2
    assert {urlparse(url).hostname for url in endpoints} <= {LOOPBACK, "localhost"}
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert env["HOME"] == str(tmp_path / "home")
