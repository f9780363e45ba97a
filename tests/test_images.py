"""tools/images/ (`make push-image`, `make set-image-tag`) and the sample app it builds.

`docker` is tests/helpers/docker_recorder.py on PATH: no Docker daemon or registry exists where the
tests run, so what is checked is the commands derived from the config and the deploy outputs (and
their order: every warning before the first docker call). ECR is moto in-process.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from platform_config import load_config
from platform_config.environments import SAMPLE_IMAGE_URI
from stacks import names
from tests.helpers import docker_recorder
from tests.helpers.apps import RECORD, synth_environment
from tools.images.dockerfile import DockerfileFacts, dockerfile_warnings, read_dockerfile
from tools.images.push import main, native_platform, repository_uri, target_platform
from tools.images.service import ImageError, find_service, parse_service, validate_tag
from tools.images.set_tag import main as set_tag_main
from tools.images.set_tag import set_tag

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample-app"
ACCOUNT = "123456789012"
HOST = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
URI = f"{HOST}/sample-app"
REGISTRY_STACK = names.stack_id("sandbox", names.REGISTRY_UNIT)
REPOSITORY_URI_OUTPUT = names.repository_uri_output("sample-app")


def sample_record(directory: Path) -> Path:
    """A copy of the repository's config of record with sample-app/service.json as the Fargate
    sample's service file, as the deploy guide's `cp` makes it."""
    shutil.copytree(RECORD, directory)
    shutil.copyfile(SAMPLE / "service.json", directory / "services" / "fargate" / "sample.json")
    return directory


# --- the sample app ---------------------------------------------------------------------------


def test_the_sample_dockerfile_runs_non_root_on_8080() -> None:
    facts = read_dockerfile((SAMPLE / "Dockerfile").read_text(encoding="utf-8"))
    assert facts.user is not None
    assert facts.user.isdigit()
    assert int(facts.user) > 0
    assert facts.ports == {8080}


def test_the_sample_config_runs_the_sample_image_as_its_user_on_its_port(tmp_path: Path) -> None:
    """sample-app/service.json, as the Fargate sample's service file, points the sandbox's Fargate
    sample at our repository, as the Dockerfile's user, on the port it EXPOSEs, with only /tmp
    writable (the root is read-only); production runs what it ran before."""
    record = sample_record(tmp_path / "config")
    config = load_config("sandbox", config_dir=record)
    service = find_service(config, "fargate", "sample")
    facts = read_dockerfile((SAMPLE / "Dockerfile").read_text(encoding="utf-8"))
    assert service.image.repository in config.registry.repository_names
    assert service.user == facts.user
    assert service.container_port == 8080
    assert facts.ports == {service.container_port}
    assert service.writable_paths == ["/tmp"]
    assert dockerfile_warnings(facts, service, "fargate/sample") == []
    assert target_platform(config, "fargate", service) == "linux/arm64"
    assert load_config("production", config_dir=record) == load_config(
        "production", config_dir=RECORD
    )


@pytest.mark.integration
def test_the_sample_service_synthesizes_read_only_non_root_on_8080(tmp_path: Path) -> None:
    """The task definition the sandbox gets with sample-app/service.json: our repository's v1,
    arm64, read-only root filesystem, the Dockerfile's user, port 8080."""
    record = sample_record(tmp_path / "config")
    outdir = synth_environment("sandbox", tmp_path / "cdk.out", config_dir=record)
    services_stack = names.stack_id("sandbox", names.ecs_services_unit("fargate", 1))
    template = json.loads((outdir / f"{services_stack}.template.json").read_text(encoding="utf-8"))
    (task,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ECS::TaskDefinition"
    ]
    (app,) = [c for c in task["ContainerDefinitions"] if c["Name"] == "app"]
    assert app["ReadonlyRootFilesystem"] is True
    assert app["User"] == read_dockerfile((SAMPLE / "Dockerfile").read_text()).user
    assert [m["ContainerPort"] for m in app["PortMappings"]] == [8080]
    # Our repository by its ECR name (names.py), not through an export of the registry stack.
    repository = names.repository_name("sandbox", "sample-app", kms=False)
    assert app["Image"]["Fn::Join"][1][-1] == f"/{repository}:v1"
    assert "Fn::ImportValue" not in json.dumps(task)
    assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"


@pytest.fixture
def sample_server() -> Iterator[tuple[subprocess.Popen[str], int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(SAMPLE / "server.py")],
        env={**os.environ, "PORT": str(port), "PYTHONDONTWRITEBYTECODE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_the_sample_server_answers_and_stops_on_sigterm(
    sample_server: tuple[subprocess.Popen[str], int],
) -> None:
    """GET and HEAD of any path (the ALB health check: /) answer 200 with JSON; SIGTERM (how ECS
    stops a task) ends it promptly with 0."""
    process, port = sample_server
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        body = json.loads(response.read())
    assert body["service"] == "sample-app"
    assert body["path"] == "/"
    head = urllib.request.Request(f"http://127.0.0.1:{port}/any/path", method="HEAD")
    with urllib.request.urlopen(head, timeout=5) as response:
        assert response.status == 200
        assert response.read() == b""
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert process.stdout is not None
    output = process.stdout.read()
    assert f"listening on port {port}" in output
    assert "SIGTERM: stopping" in output


# --- derived values ---------------------------------------------------------------------------


def test_service_and_tag_arguments_are_checked() -> None:
    assert parse_service("fargate/sample") == ("fargate", "sample")
    assert parse_service("ec2/api-v2") == ("ec2", "api-v2")
    for bad in ("sample", "eks/sample", "fargate/", ""):
        with pytest.raises(ImageError, match="managed_instances/NAME, fargate/NAME or ec2/NAME"):
            parse_service(bad)
    assert validate_tag("v1.2_3-rc") == "v1.2_3-rc"
    for bad in ("", "-v1", ".v1", "v 1", "v1:2", "x" * 129):
        with pytest.raises(ImageError, match="is not an image tag"):
            validate_tag(bad)


def test_an_unknown_service_names_the_ones_there() -> None:
    config = load_config("sandbox", config_dir=RECORD)
    with pytest.raises(ImageError, match=r"no service fargate/api \(it has: fargate/sample\)"):
        find_service(config, "fargate", "api")


def test_the_platform_is_the_services_architecture() -> None:
    """Fargate: the service's cpu_architecture; EC2: the cluster's instance types; Managed
    Instances: the cluster's cpu_architecture (whatever the EC2 cluster's instances are)."""
    sandbox = load_config("sandbox", config_dir=RECORD)
    assert target_platform(sandbox, "fargate", find_service(sandbox, "fargate", "sample")) == (
        "linux/arm64"
    )
    assert target_platform(sandbox, "ec2", find_service(sandbox, "ec2", "sample")) == (
        "linux/amd64"
    )
    x86 = load_config(
        "sandbox",
        overrides={"ecs": {"fargate": {"services": {"sample": {"cpu_architecture": "x86_64"}}}}},
        config_dir=RECORD,
    )
    service = find_service(x86, "fargate", "sample")
    assert target_platform(x86, "fargate", service) == "linux/amd64"
    graviton = load_config(
        "sandbox",
        overrides={"ecs": {"ec2": {"instance_types": ["t4g.small", "t4g.medium"]}}},
        config_dir=RECORD,
    )
    service = find_service(graviton, "ec2", "sample")
    assert target_platform(graviton, "ec2", service) == "linux/arm64"
    web = find_service(sandbox, "fargate", "sample").model_dump(exclude_defaults=True)
    web.pop("name")
    other_instance_types = {
        "arm64": ["t3.small", "t3.medium"],
        "x86_64": ["t4g.small", "t4g.medium"],
    }
    for architecture, expected in (("arm64", "linux/arm64"), ("x86_64", "linux/amd64")):
        managed = load_config(
            "sandbox",
            overrides={
                "ecs": {
                    "managed_instances": {
                        "enabled": True,
                        "cpu_architecture": architecture,
                        "services": {"web": {**web, "cpu_architecture": "x86_64"}},
                    },
                    "ec2": {"instance_types": other_instance_types[architecture]},
                }
            },
            config_dir=RECORD,
        )
        service = find_service(managed, "managed_instances", "web")
        assert target_platform(managed, "managed_instances", service) == expected


def test_the_native_platform_of_a_machine() -> None:
    assert native_platform("x86_64") == native_platform("AMD64") == "linux/amd64"
    assert native_platform("aarch64") == native_platform("arm64") == "linux/arm64"
    assert native_platform("riscv64") is None


def test_the_repository_uri_is_read_from_the_deploy_outputs(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs-sandbox.json"
    with pytest.raises(ImageError, match="does not exist: `make deploy` writes it"):
        repository_uri(outputs, "sample-app")
    outputs.write_text("{not json")
    with pytest.raises(ImageError, match="cannot read"):
        repository_uri(outputs, "sample-app")
    network = names.stack_id("sandbox", names.NETWORK_UNIT)
    outputs.write_text(json.dumps({network: {"VpcId": "vpc-1"}}))
    with pytest.raises(ImageError, match=f"has no {REPOSITORY_URI_OUTPUT} output"):
        repository_uri(outputs, "sample-app")
    outputs.write_text(json.dumps({REGISTRY_STACK: {REPOSITORY_URI_OUTPUT: URI, "Other": "x"}}))
    assert repository_uri(outputs, "sample-app") == URI


def test_the_dockerfile_facts_are_the_final_stages() -> None:
    text = """# build
FROM python:3.13 AS build
USER 2000
EXPOSE 9000
FROM python:3.13-alpine
COPY --from=build /x /x
EXPOSE 8080/tcp \\
       8443
user 1000:1000
"""
    assert read_dockerfile(text) == DockerfileFacts("1000:1000", frozenset({8080, 8443}))
    assert read_dockerfile("FROM scratch\n") == DockerfileFacts(None, frozenset())


def test_dockerfile_warnings_name_the_disagreement(tmp_path: Path) -> None:
    record = sample_record(tmp_path / "config")
    service = find_service(load_config("sandbox", config_dir=record), "fargate", "sample")
    root = dockerfile_warnings(DockerfileFacts(None, frozenset({8080})), service, "fargate/sample")
    assert len(root) == 1
    assert "runs as root (no USER)" in root[0]
    other = dockerfile_warnings(DockerfileFacts("101", frozenset({80})), service, "fargate/sample")
    assert len(other) == 2
    assert "USER is 101 but fargate/sample runs it as 1000" in other[0]
    assert "EXPOSEs 80 but fargate/sample sends traffic to port 8080" in other[1]
    named = dockerfile_warnings(DockerfileFacts("app", frozenset({8080})), service, "x")
    assert "numeric non-root USER" in named[0]


# --- push ---------------------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory like the repository after the deploy guide's `make deploy` and `cp` of
    sample-app/service.json: the sample app, the config of record with the Fargate sample on our
    repository, and the deploy outputs; `docker` is the recorder."""
    (tmp_path / "sample-app").mkdir()
    for name in ("Dockerfile", "server.py"):
        (tmp_path / "sample-app" / name).write_text((SAMPLE / name).read_text())
    sample_record(tmp_path / "config")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "outputs-sandbox.json").write_text(
        json.dumps({REGISTRY_STACK: {REPOSITORY_URI_OUTPUT: URI}})
    )
    bin_dir = docker_recorder.install(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_RECORDER_LOG", str(tmp_path / "docker.jsonl"))
    monkeypatch.delenv("DOCKER_RECORDER_FAIL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def ecr(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")


PUSH = [
    "--environment",
    "sandbox",
    "--service",
    "fargate/sample",
    "--tag",
    "v1",
]


def argv(workdir: Path) -> list[list[str]]:
    return [call["argv"] for call in docker_recorder.calls(workdir / "docker.jsonl")]


def test_push_logs_in_with_the_ecr_password_and_builds_for_the_service(
    workdir: Path,
    ecr: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """On an arm64 machine: no warning; buildx is checked, docker logs in to the registry host
    with ECR's password on stdin, and buildx builds linux/arm64 and pushes URI:TAG."""
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert main(PUSH, session=ecr) == 0
    calls = docker_recorder.calls(workdir / "docker.jsonl")
    assert [call["argv"] for call in calls] == [
        ["buildx", "version"],
        ["login", "--username", "AWS", "--password-stdin", HOST],
        [
            "buildx",
            "build",
            "--platform",
            "linux/arm64",
            "--provenance=false",
            "--tag",
            f"{URI}:v1",
            "--push",
            "sample-app",
        ],
    ]
    assert calls[1]["stdin"] == f"{ACCOUNT}-auth-token"  # moto's ECR password
    out, err = capfd.readouterr()
    assert "warning" not in err
    assert f"Pushed {URI}:v1" in out
    assert "Roll it out: make deploy ENV=sandbox\n" in out


def test_push_warns_before_any_docker_call_on_another_architecture(
    workdir: Path,
    ecr: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """An x86_64 machine building the arm64 service: the emulation warning is printed even when
    the first docker call (the buildx check) fails, so before it; with docker working, the build
    still targets arm64."""
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setenv("DOCKER_RECORDER_FAIL", "buildx version")
    assert main(PUSH, session=ecr) == 1
    err = capfd.readouterr().err
    assert "warning: this machine builds linux/amd64 natively but fargate/sample runs" in err
    assert "tonistiigi/binfmt" in err
    assert argv(workdir) == [["buildx", "version"]]
    monkeypatch.delenv("DOCKER_RECORDER_FAIL")
    assert main(PUSH, session=ecr) == 0
    err = capfd.readouterr().err
    assert err.index("warning: this machine builds") < err.index("docker login")
    assert argv(workdir)[-1][3] == "linux/arm64"


def test_push_names_the_rollout_steps_for_a_new_tag(
    workdir: Path,
    ecr: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert main([*PUSH[:-1], "v2"], session=ecr) == 0
    assert argv(workdir)[-1][6] == f"{URI}:v2"
    assert (
        "Roll it out: make set-image-tag ENV=sandbox SERVICE=fargate/sample TAG=v2, then make "
        "deploy ENV=sandbox\n"
    ) in capsys.readouterr().out


def test_push_warns_when_the_dockerfile_disagrees_with_the_service(
    workdir: Path,
    ecr: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    dockerfile = workdir / "sample-app" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("USER 1000", "USER 0"))
    assert main(PUSH, session=ecr) == 0
    err = capfd.readouterr().err
    assert err.index("warning: the Dockerfile's final stage runs as 0") < err.index("docker ")


def test_dry_run_prints_the_commands_and_runs_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert main([*PUSH, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (
        f"Would run: aws ecr get-login-password --region us-east-1 | docker login --username AWS "
        f"--password-stdin {HOST}"
    ) in out
    assert f"--platform linux/arm64 --provenance=false --tag {URI}:v1 --push sample-app" in out
    assert argv(workdir) == []


def test_push_stops_on_a_failing_docker_step(
    workdir: Path,
    ecr: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No buildx: stop before logging in. A failing build: exit 1 naming it."""
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    monkeypatch.setenv("DOCKER_RECORDER_FAIL", "buildx version")
    assert main(PUSH, session=ecr) == 1
    assert "install the buildx plugin" in capsys.readouterr().err
    assert argv(workdir) == [["buildx", "version"]]
    monkeypatch.setenv("DOCKER_RECORDER_FAIL", "buildx build")
    assert main(PUSH, session=ecr) == 1
    assert "error: docker buildx build exited with 1" in capsys.readouterr().err


def test_push_refuses_what_it_cannot_push(
    workdir: Path, ecr: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """A service on a public image (the sandbox's default), a context without a Dockerfile, and no
    deploy outputs: one line each, no docker call."""
    shipped = ["--config", str(RECORD), "--service", "fargate/sample", "--tag", "v1"]
    assert main(["--environment", "sandbox", *shipped])
    err = capsys.readouterr().err
    assert "runs public.ecr.aws/nginx/nginx-unprivileged" in err
    assert f"in its service file first ({RECORD}/services/fargate/sample.json" in err
    assert main([*PUSH, "--context", "config"], session=ecr) == 1
    assert "config/Dockerfile does not exist" in capsys.readouterr().err
    (workdir / "build" / "outputs-sandbox.json").unlink()
    assert main(PUSH, session=ecr) == 1
    assert "build/outputs-sandbox.json does not exist" in capsys.readouterr().err
    assert argv(workdir) == []


def test_push_without_docker_on_path_says_so(
    workdir: Path,
    ecr: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(workdir / "nothing"))
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert main(PUSH, session=ecr) == 1
    assert "docker is not on PATH" in capsys.readouterr().err


# --- set-tag ------------------------------------------------------------------------------------


def write(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
    return path


def test_set_tag_writes_the_environments_tag_into_the_service_file(tmp_path: Path) -> None:
    """Only the environment's tag changes in the service file (a one-line diff); the other
    environments run what they ran."""
    record = sample_record(tmp_path / "config")
    path = record / "services" / "fargate" / "sample.json"
    before = path.read_text()
    production = load_config("production", config_dir=record)
    change = set_tag("sandbox", record, None, "fargate/sample", "v2")
    assert (change.file, change.repository, change.old_tag, change.new_tag) == (
        path,
        "sample-app",
        "v1",
        "v2",
    )
    changed = [
        (old, new)
        for old, new in zip(before.splitlines(), path.read_text().splitlines(), strict=True)
        if old != new
    ]
    assert changed == [('        "tag": "v1"', '        "tag": "v2"')]
    assert load_config("sandbox", config_dir=record).ecs.fargate.services["sample"].image.tag == (
        "v2"
    )
    assert load_config("production", config_dir=record) == production


def test_set_tag_of_a_shared_repository_image_adds_the_environments_tag(tmp_path: Path) -> None:
    """A service whose shared values name the repository gets the tag as the environment's own
    value, merged over the shared image."""
    record = tmp_path / "config"
    shared = {
        "image": {"repository": "sample-app", "tag": "v1"},
        "route": {"priority": 1, "paths": ["/*"]},
        "environments": {"sandbox": {}, "production": {}},
    }
    (record / "services" / "fargate").mkdir(parents=True)
    path = write(record / "services" / "fargate" / "web.json", shared)
    set_tag("sandbox", record, None, "fargate/web", "v7")
    assert json.loads(path.read_text())["environments"] == {
        "sandbox": {"image": {"tag": "v7"}},
        "production": {},
    }
    images = {
        name: load_config(name, config_dir=record).ecs.fargate.services["web"].image
        for name in ("sandbox", "production")
    }
    assert (images["sandbox"].repository, images["sandbox"].tag) == ("sample-app", "v7")
    assert images["production"].tag == "v1"


def test_set_tag_through_make_prints_the_deploy_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = sample_record(tmp_path / "config")
    argv = ["--environment", "sandbox", "--config", str(record)]
    assert set_tag_main([*argv, "--service", "fargate/sample", "--tag", "v3"]) == 0
    path = record / "services" / "fargate" / "sample.json"
    assert (
        f"{path}: fargate/sample in 'sandbox' runs sample-app:v1 -> sample-app:v3. Commit it, then "
        f"roll it out: make deploy ENV=sandbox CONFIG={record}"
    ) in capsys.readouterr().out
    assert json.loads(path.read_text())["environments"]["sandbox"]["image"]["tag"] == "v3"


def test_set_tag_refuses_and_leaves_the_files_alone(tmp_path: Path) -> None:
    """A service not in the config of record, not run in the environment, on a URI image, an
    overrides file whose image would win, a config invalid already, a bad tag, a misspelt
    environment (refused as such, not answered with advice to add it): one-line errors, files
    unchanged."""
    record = sample_record(tmp_path / "config")
    files = {path: path.read_text() for path in record.rglob("*.json")}
    with pytest.raises(ImageError, match=r"web\.json does not exist: the service is not in"):
        set_tag("sandbox", record, None, "fargate/web", "v2")
    with pytest.raises(
        ImageError, match=r"did you mean 'fargate/sample'\?; have: .*fargate/sample"
    ):
        set_tag("sandbox", record, None, "fargate/smaple", "v2")
    only_sandbox = record / "services" / "fargate" / "sample.json"
    data = json.loads(only_sandbox.read_text())
    with pytest.raises(ImageError, match=re.escape(f"runs {SAMPLE_IMAGE_URI} in 'production'")):
        set_tag("production", record, None, "fargate/sample", "v2")
    with pytest.raises(ImageError, match=re.escape(f"runs {SAMPLE_IMAGE_URI} in 'sandbox'")):
        set_tag("sandbox", record, None, "ec2/sample", "v2")
    wins = write(
        tmp_path / "wins.json",
        {"ecs": {"fargate": {"services": {"sample": {"image": {"tag": "x"}}}}}},
    )
    with pytest.raises(ImageError, match=rf"{wins} sets the image of fargate/sample, which wins"):
        set_tag("sandbox", record, str(wins), "fargate/sample", "v2")
    invalid = write(tmp_path / "invalid.json", {"network": {"nat_gateways": 9}})
    with pytest.raises(ImageError, match="the config is invalid before the change"):
        set_tag("sandbox", record, str(invalid), "fargate/sample", "v2")
    with pytest.raises(ImageError, match="is not an image tag"):
        set_tag("sandbox", record, None, "fargate/sample", "v 2")
    misspelt = "environment: unknown environment 'prod'; allowed: production, sandbox"
    with pytest.raises(ImageError, match=re.escape(misspelt)):
        set_tag("prod", record, None, "fargate/sample", "v2")
    assert {path: path.read_text() for path in record.rglob("*.json")} == files
    del data["environments"]["production"]
    write(only_sandbox, data)
    with pytest.raises(ImageError, match="does not run fargate/sample in environment 'production'"):
        set_tag("production", record, None, "fargate/sample", "v2")
