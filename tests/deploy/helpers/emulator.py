"""The deploy smoke test's AWS emulator: `moto_server` on 127.0.0.1, owned by one Popen handle.

Only loopback is ever addressed: the server binds 127.0.0.1 and clients get `http://127.0.0.1:PORT`.
moto is asked not to use Docker for Lambda; with no Docker socket here it runs no handler at all.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from tests.helpers.cdk_cli import ROOT

ACCOUNT = "123456789012"
REGION = "us-east-1"
LOOPBACK = "127.0.0.1"
# moto_server's application served one request at a time (serial_moto_server.py: why), run as a
# module from the repository's root so that it imports the test helpers it shares.
SERIAL_SERVER = "tests.deploy.helpers.serial_moto_server"


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclass
class MotoServer:
    """One `moto_server` process started by this test run (and only that one is ever stopped).

    It serves one request at a time (serial_moto_server.py): moto's CloudFormation builds a
    stack's resources inside CreateStack and is not safe against a concurrent read of that stack.
    """

    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, ready_timeout: float = 60.0) -> None:
        """Start the server from this venv's Python and wait, bounded, until it answers."""
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", SERIAL_SERVER, "-H", LOOPBACK, "-p", str(self.port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"moto_server exited {self.process.returncode}: {self.log_tail()}"
                )
            try:
                self.api("GET", "/moto-api/config")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
                continue
            # Lambda without Docker: custom resources are answered by CustomResourceResponder.
            self.api("POST", "/moto-api/config", {"lambda": {"use_docker": False}})
            return
        self.stop()
        raise TimeoutError(f"moto_server did not answer on {self.endpoint} in {ready_timeout}s")

    def stop(self, grace: float = 10.0) -> None:
        """Terminate the process this object started; kill it if it ignores that."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=grace)

    def api(self, method: str, path: str, body: Any = None, service: str | None = None) -> Any:
        """Call moto's own HTTP API (config, reset), or with `service` a raw path of that service:
        moto routes an unsigned request by the credential scope of its Authorization header."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.endpoint}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if service:
            scope = f"testing/20260101/{REGION}/{service}/aws4_request"
            request.add_header(
                "Authorization",
                f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0",
            )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def reset(self) -> None:
        """Forget every resource (moto's `POST /moto-api/reset`)."""
        self.api("POST", "/moto-api/reset")
        self.api("POST", "/moto-api/config", {"lambda": {"use_docker": False}})

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def client(self, service: str) -> Any:
        """A boto3 client of `service` bound to this emulator with dummy credentials."""
        return boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=REGION,
        ).client(service, endpoint_url=self.endpoint)


@dataclass
class CustomResourceResponder:
    """Answers SUCCESS for every Lambda-backed `Custom::*` resource the emulator waits on.

    moto runs a custom resource's Lambda handler only in Docker, which this machine does not have
    (and which could reach the internet), so without this a stack would stay CREATE_IN_PROGRESS
    forever. The handler's own work (e.g. emptying the default security group) is therefore NOT
    exercised; every answered resource is recorded in `answered` so the test can report it.
    """

    server: MotoServer
    interval: float = 0.5
    answered: set[tuple[str, str, str]] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> CustomResourceResponder:
        self._thread = threading.Thread(target=self._run, name="custom-resources", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        cloudformation = self.server.client("cloudformation")
        while not self._stop.wait(self.interval):
            try:
                self._answer_pending(cloudformation)
            except Exception:
                continue

    def _answer_pending(self, cloudformation: Any) -> None:
        for stack in cloudformation.describe_stacks()["Stacks"]:
            if not stack["StackStatus"].endswith("_IN_PROGRESS"):
                continue
            resources = cloudformation.describe_stack_resources(StackName=stack["StackId"])
            for resource in resources["StackResources"]:
                # moto lists a resource of a type it skips (e.g. AWS::S3::BucketPolicy) with no
                # logical id or type; it is nothing to answer, and must not end the scan before a
                # custom resource listed after it (as the bucket policy precedes auto-delete).
                resource_type = resource.get("ResourceType", "")
                if not resource_type.startswith("Custom::") or "LogicalResourceId" not in resource:
                    continue
                key = (stack["StackName"], resource["LogicalResourceId"], resource_type)
                if resource["ResourceStatus"].endswith("_IN_PROGRESS"):
                    self.server.api(
                        "POST",
                        f"/cloudformation_{REGION}/cfnresponse?stack={stack['StackId']}",
                        {
                            "Status": "SUCCESS",
                            "StackId": stack["StackId"],
                            "LogicalResourceId": resource["LogicalResourceId"],
                            "PhysicalResourceId": resource.get("PhysicalResourceId", ""),
                            "Data": {},
                        },
                        service="cloudformation",
                    )
                    self.answered.add(key)
