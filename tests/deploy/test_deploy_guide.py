"""The deploy guide runs as written: every emulator block of docs/deploying.md, in order, each with
`bash -euo pipefail`, in a copy of the repository (its tracked and untracked files, nothing it
ignores: no cdk.out/ or build/ of this checkout; .venv and node_modules linked), against
moto_server on loopback. Clone to destroy: bootstrap, deploy, verify, the first image pushed and
deployed by changing the config of record (no OVERRIDES anywhere), a new tag written into the
service file and rolled out, destroy, the check that nothing is left. The account-only blocks
are syntax-checked by tests/test_deploy_guide_blocks.py.

The environment holds what a user's shell or CI would, and nothing from this one (no AWS_*, CDK_*,
proxy or make variables):
* the emulator's endpoint and the access key of an IAM user `deployer` made in it (moto answers
  GetCallerIdentity for its own default key with an ARN no IAM principal has, which `make deploy`
  rightly refuses as the EKS stack's deployer-admin parameter);
* STACKS: the stacks the emulator can deploy (all but checkers.EMULATOR_UNDEPLOYABLE_UNITS, as
  test_deploy_local.py deploys them); CDK_DEPLOY_FLAGS "--require-approval never --method=direct"
  (moto's change-set path drops exports) and CDK_DESTROY_FLAGS=--force, CI's non-interactive flags;
* in docker-stub blocks, `docker` is a recorder (tests/helpers/docker_recorder.py): there is no
  Docker daemon or registry here, so what is checked is the commands `make push-image` derives
  from the deployed outputs and the config (the image itself is built in no test); its push puts
  an image's manifest for the platform built into the emulator's ECR, as a push would, which the
  account check of the next `make deploy` reads.

Where moto answers otherwise than AWS, the block's outcome is recorded exactly
(EMULATOR_OUTCOMES, SERVICE_FOLLOWS_ITS_TASK_DEFINITION). The stack updates of the image steps rely
on serial_moto_server.py's changes to moto (each proved necessary in test_checkers.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from platform_config.environments import SAMPLE_IMAGE_DIGEST, SAMPLE_IMAGE_URI
from platform_config.image import split_image_uri
from stacks import names
from tests.deploy.conftest import deployable_stacks
from tests.deploy.helpers.checkers import (
    DESTROY_EXIT_CODE,
    EMULATOR_VERIFY_OUTCOMES,
    EMULATOR_VERIFY_SUBJECT_OUTCOMES,
    VERIFY_EXIT_CODE,
)
from tests.deploy.helpers.cli import emulator_environment
from tests.deploy.helpers.emulator import ACCOUNT, REGION, CustomResourceResponder, MotoServer
from tests.helpers import docker_recorder
from tests.helpers.assembly import Assembly
from tests.helpers.cdk_cli import ROOT
from tests.helpers.guide_blocks import DOCKER_STUB, Block, emulator_blocks
from tools.images.push import native_platform

pytestmark = pytest.mark.deploy

ENVIRONMENT = "sandbox"
SAMPLE_STACK = names.stack_id(ENVIRONMENT, names.ecs_services_unit("fargate", 1))
REGISTRY_STACK = names.stack_id(ENVIRONMENT, names.REGISTRY_UNIT)
REPOSITORY_URI_OUTPUT = names.repository_uri_output("sample-app")
SERVICE_FILE = "config/services/fargate/sample.json"
REGISTRY_HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
REPOSITORY_URI = f"{REGISTRY_HOST}/{names.repository_name('sandbox', 'sample-app', kms=False)}"
# The sample's public image as its task runs it: through the registry's pull-through cache, by
# digest (docs/design.md, D26).
SAMPLE_IMAGE_REFERENCE = (
    f"{REGISTRY_HOST}/"
    + names.cached_repository_name(
        names.pull_through_cache_prefix(ENVIRONMENT, False, "ecr-public"),
        split_image_uri(SAMPLE_IMAGE_URI).path,
    )
    + f"@{SAMPLE_IMAGE_DIGEST}"
)
BLOCK_TIMEOUT = 900

# moto 5.2.5 updates a stack's resource only when its template properties change. A service's
# TaskDefinition is a `Ref` to its task definition, the same text when an image change replaces
# the task definition, so moto's service keeps running the first revision; CloudFormation updates
# the service to the new revision (ECS's rolling deployment). Asserted exactly, so a moto fix
# shows up; the new revision itself, with its image, is checked.
SERVICE_FOLLOWS_ITS_TASK_DEFINITION = False

# make's exit status when a recipe fails (the recipe's own status is in its "Error N" line).
MAKE_FAILED = 2
# Blocks whose outcome on moto differs from AWS, by their first command: the exit status of each
# run (the block runs again while statuses remain, as its user would rerun it), and why.
EMULATOR_OUTCOMES: dict[str, tuple[tuple[int, ...], str]] = {
    "make verify ENV=sandbox": (
        (MAKE_FAILED,),
        f"the tool exits {VERIFY_EXIT_CODE}: moto starts no task and registers no target, and the "
        "eks stack is not deployed (checkers.EMULATOR_VERIFY_OUTCOMES)",
    ),
    "make destroy ENV=sandbox": (
        (MAKE_FAILED, 0),
        f"cdk destroy exits {DESTROY_EXIT_CODE}: moto deletes the VPC before what is in it "
        "(checkers.DESTROY_EXIT_CODE); the guide says to run make destroy again when a stack "
        "fails to delete, and that run exits 0",
    ),
}

# moto 5.2.5 has no GetDownloadUrlForLayer (NotImplementedError, HTTP 500 from the server): the
# account check finds a pushed image but cannot read its configuration, so its platform is not
# checked there (tests/test_account_images.py checks it against a registry that answers).
EMULATOR_IMAGE_PLATFORM = "its platform not read (GetDownloadUrlForLayer: 500): not checked"

# Variables of this process that must not reach the guide's commands besides the AWS, CDK and
# proxy ones emulator_environment drops: make's own (from a `make test-deploy` parent), the
# guide's make variables, bash's startup file, a virtualenv of this shell.
_DROPPED = (
    *("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "BASH_ENV", "PYTHONPATH", "VIRTUAL_ENV"),
    *("ENV", "CONFIG", "OVERRIDES", "STACKS", "SERVICE", "TAG", "CONTEXT"),
)


@dataclass(frozen=True)
class SampleTask:
    """The Fargate sample service's task definition and the one its service runs."""

    arn: str
    app: dict[str, Any]  # the "app" container definition
    service_task_definition: str


@dataclass(frozen=True)
class BlockRun:
    """One run of one guide block, and what the emulator and the working copy held after it."""

    block: Block
    returncode: int
    output: str
    seconds: float
    stacks: dict[str, str]
    sample: SampleTask | None
    docker: list[dict[str, Any]]
    files: dict[str, Any]


@dataclass
class GuideRun:
    workdir: Path
    runs: list[BlockRun] = field(default_factory=list)

    def of(self, command: str) -> list[BlockRun]:
        """The runs of the blocks with a command line starting with `command`."""
        found = [run for run in self.runs if any(c.startswith(command) for c in run.block.commands)]
        assert found, f"no guide block runs {command!r}"
        return found


def copy_checkout(destination: Path) -> Path:
    """The repository as a fresh clone has it: tracked and untracked files (not ignored ones, so
    no cdk.out/ or build/), modification times kept (make's setup stamp stays newer than the
    requirement files), .venv linked to this checkout's and node_modules a tree of hard links to
    its files (about 400 entries): were make's setup to run in the copy after all (a shared
    .venv's stamp removed meanwhile), its `npm ci` would empty the copy's node_modules, not this
    checkout's."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in sorted(set(filter(None, listing.split("\0")))):
        source = ROOT / name
        if name in (".venv", "node_modules") or not source.is_file():
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (destination / ".venv").symlink_to((ROOT / ".venv").resolve())
    shutil.copytree(
        (ROOT / "node_modules").resolve(),
        destination / "node_modules",
        symlinks=True,
        copy_function=os.link,
    )
    return destination


def deployer_credentials(server: MotoServer) -> tuple[str, str]:
    """An access key of IAM user `deployer` in the emulator's account."""
    iam = server.client("iam")
    iam.create_user(UserName="deployer")
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def guide_environment(
    server: MotoServer, home: Path, stacks: tuple[str, ...], docker_log: Path
) -> dict[str, str]:
    """The emulator's environment (tests/deploy/helpers/cli.py: no AWS_*, CDK_* or proxy variables
    of this process), without make's and the guide's variables, with the deployer's key and CI's
    flags."""
    env = emulator_environment(server, home)
    for name in _DROPPED:
        env.pop(name, None)
    access_key, secret_key = deployer_credentials(server)
    env.update(
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY=secret_key,
        STACKS=" ".join(stacks),
        CDK_DEPLOY_FLAGS="--require-approval never --method=direct --progress events",
        CDK_DESTROY_FLAGS="--force",
        DOCKER_RECORDER_LOG=str(docker_log),
        DOCKER_RECORDER_PUSH_TO_ECR="1",
    )
    return env


def stack_statuses(server: MotoServer) -> dict[str, str]:
    cloudformation = server.client("cloudformation")
    return {s["StackName"]: s["StackStatus"] for s in cloudformation.describe_stacks()["Stacks"]}


def camel_case_keys(value: Any) -> Any:
    """`value` with every dict key starting lower-case. moto 5.2.5 registers the task definition
    of a CloudFormation update with the template's keys as they are (`Image`, `User`), unlike
    CreateStack's and the API's (`image`, `user`)."""
    if isinstance(value, list):
        return [camel_case_keys(item) for item in value]
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: camel_case_keys(item) for key, item in value.items()}
    return value


def sample_task(server: MotoServer, stacks: dict[str, str]) -> SampleTask | None:
    """The Fargate sample's task definition (its stack's resource) and its service's, if the
    stack is there."""
    if SAMPLE_STACK not in stacks:
        return None
    resources = {
        r["ResourceType"]: r["PhysicalResourceId"]
        for r in server.client("cloudformation").describe_stack_resources(StackName=SAMPLE_STACK)[
            "StackResources"
        ]
        if r.get("ResourceType", "").startswith("AWS::ECS::") and r.get("PhysicalResourceId")
    }
    ecs = server.client("ecs")
    arn = resources["AWS::ECS::TaskDefinition"]
    task = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    (app,) = [c for c in map(camel_case_keys, task["containerDefinitions"]) if c["name"] == "app"]
    service_arn = resources["AWS::ECS::Service"]  # arn:...:service/CLUSTER/NAME
    (service,) = ecs.describe_services(cluster=service_arn.split("/")[1], services=[service_arn])[
        "services"
    ]
    return SampleTask(arn, app, service["taskDefinition"])


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def run_block(
    server: MotoServer, block: Block, workdir: Path, env: dict[str, str], docker_dir: Path
) -> BlockRun:
    """`bash -euo pipefail` of the block in the working copy; what the emulator and the copy
    hold afterwards."""
    block_env = dict(env)
    if DOCKER_STUB in block.options:
        block_env["PATH"] = f"{docker_dir}{os.pathsep}{env['PATH']}"
    log = Path(env["DOCKER_RECORDER_LOG"])
    log.unlink(missing_ok=True)
    started = time.monotonic()
    completed = subprocess.run(
        ["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", block.body],
        cwd=workdir,
        env=block_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=BLOCK_TIMEOUT,
        check=False,
    )
    seconds = time.monotonic() - started
    stacks = stack_statuses(server)
    docker = docker_recorder.calls(log)
    return BlockRun(
        block,
        completed.returncode,
        completed.stdout,
        seconds,
        stacks,
        sample_task(server, stacks),
        docker,
        {
            "outputs": read_json(workdir / "build" / f"outputs-{ENVIRONMENT}.json"),
            "record": read_json(workdir / "build" / f"deployed-{ENVIRONMENT}.json"),
            "service_file": read_json(workdir / SERVICE_FILE),
        },
    )


@pytest.fixture(scope="module")
def guide(
    moto_server: MotoServer, sandbox: Assembly, tmp_path_factory: pytest.TempPathFactory
) -> GuideRun:
    """Every emulator block of the guide, run in order (see the module doc); a block whose exit
    code is not the expected one stops the run with its output."""
    missing = [tool for tool in ("git", "make", "jq", "aws") if shutil.which(tool) is None]
    assert not missing, f"the deploy guide's commands need {', '.join(missing)} on PATH"
    moto_server.reset()
    root = tmp_path_factory.mktemp("guide")
    workdir = copy_checkout(root / "checkout")
    # The copy shares this checkout's .venv: were its setup stamp stale, the guide's first make
    # would reinstall the packages into it. `make test-deploy` runs setup first.
    stale = subprocess.run(["make", "-q", "setup"], cwd=workdir, check=False).returncode
    assert stale == 0, "the .venv is not set up for the current requirement files: make setup"
    env = guide_environment(
        moto_server, root / "home", deployable_stacks(sandbox), root / "docker.jsonl"
    )
    docker_dir = docker_recorder.install(root / "bin")
    guide_run = GuideRun(workdir)
    with CustomResourceResponder(moto_server):
        for block in emulator_blocks():
            codes, _ = EMULATOR_OUTCOMES.get(block.commands[0], ((0,), ""))
            for code in codes:
                run = run_block(moto_server, block, workdir, env, docker_dir)
                guide_run.runs.append(run)
                print(f"{block.label}: exit {run.returncode} in {run.seconds:.0f}s")
                assert run.returncode == code, (
                    f"{block.label} exited {run.returncode}, expected {code}:\n{block.body}\n"
                    f"{run.output[-8000:]}"
                )
    return guide_run


def test_every_emulator_block_ran_with_its_expected_outcome(guide: GuideRun) -> None:
    """All emulator blocks ran, each as often as EMULATOR_OUTCOMES says (the fixture checked each
    exit code); the total time is printed for the record."""
    blocks = emulator_blocks()
    expected = sum(len(EMULATOR_OUTCOMES.get(b.commands[0], ((0,), ""))[0]) for b in blocks)
    assert len(guide.runs) == expected
    assert [run.block for run in guide.runs] == [
        block for block in blocks for _ in EMULATOR_OUTCOMES.get(block.commands[0], ((0,), ""))[0]
    ]
    print(f"guide: {len(guide.runs)} runs in {sum(run.seconds for run in guide.runs):.0f}s")


def test_bootstrap_makes_the_roles_and_the_toolkit_stack(guide: GuideRun) -> None:
    (run,) = guide.of("make bootstrap")
    assert run.stacks.get("CDKToolkit") == "CREATE_COMPLETE"
    assert "service-linked role ecs.amazonaws.com" in run.output
    assert f"Environment aws://{ACCOUNT}/{REGION} bootstrapped" in run.output


def test_the_first_deploy_deploys_records_and_writes_the_outputs(
    guide: GuideRun, sandbox: Assembly
) -> None:
    """`make deploy ENV=sandbox`: every deployable stack complete, exactly those recorded, the
    outputs file written, and the Fargate sample on the sandbox's public image."""
    run = guide.of("make deploy ENV=sandbox")[0]
    stacks = deployable_stacks(sandbox)
    assert {name: run.stacks.get(name) for name in stacks} == dict.fromkeys(
        stacks, "CREATE_COMPLETE"
    )
    assert not (set(sandbox.all_templates()) - set(stacks)) & set(run.stacks)
    assert sorted(run.files["record"]["stacks"]) == sorted(stacks)
    registry = run.files["outputs"][REGISTRY_STACK]
    assert registry[REPOSITORY_URI_OUTPUT] == REPOSITORY_URI
    assert run.sample is not None
    assert run.sample.app["image"] == SAMPLE_IMAGE_REFERENCE


def test_the_deploy_hands_the_eks_stack_the_deployers_arn(guide: GuideRun) -> None:
    """kubectl right after the deploy: `make deploy` reads who deploys (STS, with the deployer's
    key) and passes that IAM user's ARN as the EKS stack's deployer-admin parameter, the
    cluster-admin access entry (the EKS stack itself is one the emulator cannot deploy:
    EMULATOR_UNDEPLOYABLE_UNITS). Nothing in the config names the deployer."""
    run = guide.of("make deploy ENV=sandbox")[0]
    expected = (
        f"Cluster-admin access entry for the deployer: --parameters "
        f"{names.stack_id(ENVIRONMENT, names.EKS_UNIT)}:{names.DEPLOYER_ADMIN_PARAMETER}="
        f"arn:aws:iam::{ACCOUNT}:user/deployer"
    )
    assert expected in run.output.splitlines()


def test_verify_reports_the_recorded_emulator_outcomes(guide: GuideRun) -> None:
    """`make verify ENV=sandbox` exits 1 on the emulator, each line as recorded."""
    (run,) = guide.of("make verify")
    assert f"verify] Error {VERIFY_EXIT_CODE}" in run.output
    lines = [
        line for line in run.output.splitlines() if line.split(" ", 1)[0] in {"OK", "FAIL", "SKIP"}
    ]
    assert lines
    kinds = set()
    for line in lines:
        status, kind, rest = line.split(maxsplit=2)
        subject = rest.partition(": ")[0]
        expected_status, why = EMULATOR_VERIFY_SUBJECT_OUTCOMES.get(
            (kind, subject), EMULATOR_VERIFY_OUTCOMES[kind]
        )
        assert (status, why in rest) == (expected_status, True), line
        kinds.add(kind)
    assert kinds == set(EMULATOR_VERIFY_OUTCOMES)


def _pushes(run: BlockRun) -> list[list[str]]:
    return [call["argv"] for call in run.docker]


def test_the_first_push_builds_for_the_service_and_pushes_to_the_deployed_repository(
    guide: GuideRun,
) -> None:
    """`make push-image ... SERVICE=fargate/sample TAG=v1`: the repository URI of the deployed
    outputs, the arm64 platform of the sample's config, ECR's login password on docker login's
    stdin, and a warning before any docker call when this machine is not arm64."""
    (run,) = guide.of("cp sample-app/service.json")
    assert _pushes(run) == [
        ["buildx", "version"],
        ["login", "--username", "AWS", "--password-stdin", REGISTRY_HOST],
        [
            "buildx",
            "build",
            "--platform",
            "linux/arm64",
            "--provenance=false",
            "--tag",
            f"{REPOSITORY_URI}:v1",
            "--push",
            "sample-app",
        ],
    ]
    assert run.docker[1]["stdin"] == f"{ACCOUNT}-auth-token"  # moto's ECR password
    warned = "warning: this machine builds" in run.output
    assert warned == (native_platform() != "linux/arm64")
    if warned:
        assert run.output.index("warning: this machine builds") < run.output.index("Running:")
    assert run.files["service_file"] == json.loads(
        (ROOT / "sample-app" / "service.json").read_text(encoding="utf-8")
    )


def test_the_committed_config_deploy_runs_the_pushed_image_non_root_read_only_on_8080(
    guide: GuideRun,
) -> None:
    """`make diff` then `make deploy ENV=sandbox`, no overrides, with the changed service file: a
    new revision of the sample's task definition runs our repository's v1 as user 1000,
    read-only root, port 8080 (which revision moto's service runs:
    SERVICE_FOLLOWS_ITS_TASK_DEFINITION)."""
    (run,) = guide.of("make diff ENV=sandbox")
    assert "Stack " + SAMPLE_STACK in run.output
    sample = run.sample
    assert sample is not None
    assert sample.app["image"] == f"{REPOSITORY_URI}:v1"
    assert sample.app["user"] == "1000"
    assert sample.app["readonlyRootFilesystem"] is True
    assert [m["containerPort"] for m in sample.app["portMappings"]] == [8080]
    first = guide.of("make deploy ENV=sandbox")[0].sample
    assert first is not None
    assert sample.arn != first.arn
    followed = sample.service_task_definition == sample.arn
    assert followed == SERVICE_FOLLOWS_ITS_TASK_DEFINITION
    assert followed or sample.service_task_definition == first.arn


def test_each_deploy_after_a_push_finds_the_pushed_image_in_the_registry(guide: GuideRun) -> None:
    """The account check of `make deploy` finds each tag the guide pushed, for the sample's arm64
    tasks (EMULATOR_IMAGE_PLATFORM: what moto lets it read of the image's platform)."""
    for command, tag in (("make diff ENV=sandbox", "v1"), ("make set-image-tag", "v2")):
        (run,) = guide.of(command)
        repository = REPOSITORY_URI.split("/", 1)[1]
        line = (
            f"  ecs.fargate.services.sample.image: found ({repository}:{tag}, linux/arm64): "
            f"{EMULATOR_IMAGE_PLATFORM}\n"
        )
        assert line in run.output


def test_a_new_tag_is_pushed_set_and_rolled_out(guide: GuideRun) -> None:
    """Push v2, `make set-image-tag` writes it into the service file as the sandbox's tag
    (production's image untouched), `make deploy` registers a new task definition revision with it
    (for the service: SERVICE_FOLLOWS_ITS_TASK_DEFINITION)."""
    (run,) = guide.of("make set-image-tag")
    assert _pushes(run)[-1][6:8] == [f"{REPOSITORY_URI}:v2", "--push"]
    environments = run.files["service_file"]["environments"]
    assert environments["sandbox"]["image"] == {"repository": "sample-app", "tag": "v2"}
    shipped = json.loads((ROOT / "sample-app" / "service.json").read_text(encoding="utf-8"))
    assert environments["production"] == shipped["environments"]["production"]
    before = guide.of("make diff ENV=sandbox")[0].sample
    sample = run.sample
    assert sample is not None
    assert before is not None
    assert sample.app["image"] == f"{REPOSITORY_URI}:v2"
    assert sample.arn != before.arn
    assert (sample.service_task_definition == sample.arn) == SERVICE_FOLLOWS_ITS_TASK_DEFINITION


def test_the_outputs_block_prints_the_outputs_file(guide: GuideRun) -> None:
    (run,) = guide.of("jq . build/outputs-sandbox.json")
    assert json.loads(run.output)[REGISTRY_STACK][REPOSITORY_URI_OUTPUT] == REPOSITORY_URI


def test_destroy_then_nothing_is_left(guide: GuideRun) -> None:
    """`make destroy ENV=sandbox` exits 1 on moto's VPC as recorded, the rerun exits 0, no
    cp-sandbox stack is left, the deploy record is gone, and the guide's check prints nothing."""
    first, second = guide.of("make destroy")
    assert "has dependencies and cannot be deleted" in first.output
    assert f"destroy] Error {DESTROY_EXIT_CODE}" in first.output
    assert not [name for name in second.stacks if name.startswith(names.stack_prefix(ENVIRONMENT))]
    assert second.files["record"] is None
    (check,) = guide.of("aws cloudformation list-stacks")
    assert check.output.strip() == ""
