"""The platform's rules run on every synth of any app that adds the plugin (the one line of
docs/fork.md): a task whose container has a writable root filesystem fails `app.synth()` (and the
real CLI's `cdk synth`) naming the construct and `ContainerPlatform::ecs-container-read-only-root`,
and synthesizes once that finding is acknowledged on the task definition."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from aws_cdk import Acknowledgment, App, Environment, Stack, Validations
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs

from container_constructs.rules import ContainerPlatformChecks
from container_constructs.rules.report import render
from tests.helpers.apps import project_app
from tests.helpers.cdk_cli import CDK_BIN, ROOT, offline_environment

RULE = "ContainerPlatform::ecs-container-read-only-root"
REASON = "The legacy image writes its pid file under /run; tracked in the image's own backlog"
FAIL_ON_ERRORS = {"@aws-cdk/core:failSynthOnValidationErrors": True}


def add_writable_root_task(app: App) -> ecs.FargateTaskDefinition:
    """One stack with one Fargate task whose container keeps a writable root filesystem (and is
    otherwise compliant: non-root, logs with retention, kept with its stack)."""
    stack = Stack(app, "Fork", env=Environment(region="us-east-1"))
    return _writable_root_task(stack, "Task")


def _writable_root_task(stack: Stack, task_id: str) -> ecs.FargateTaskDefinition:
    task = ecs.FargateTaskDefinition(stack, task_id)
    task.add_container(
        "app",
        image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx-unprivileged:1.27"),
        user="101",
        readonly_root_filesystem=False,
        logging=ecs.LogDrivers.aws_logs(
            stream_prefix="app",
            log_group=logs.LogGroup(task, "Logs", retention=logs.RetentionDays.ONE_WEEK),
        ),
    )
    return task


def _platform_checks() -> ContainerPlatformChecks:
    return ContainerPlatformChecks(retain_stateful_resources=True, kms_encrypted_logs=False)


def test_a_writable_root_filesystem_fails_synth_naming_the_construct_and_rule(
    tmp_path: Path,
) -> None:
    app = project_app(tmp_path / "cdk.out", **FAIL_ON_ERRORS)
    Validations.of(app).add_plugins(_platform_checks())
    add_writable_root_task(app)
    with pytest.raises(Exception, match="ValidationFailed") as failure:
        app.synth()
    message = str(failure.value)
    assert "container app has a writable root filesystem (ContainerPlatform)" in message
    assert "Fork/Task/Resource" in message
    assert f"Acknowledge with '{RULE}'" in message
    assert message.count("(ContainerPlatform)") == 1, "only the one finding"


def test_acknowledged_on_the_task_definition_it_synthesizes_and_is_reported(
    tmp_path: Path,
) -> None:
    outdir = tmp_path / "cdk.out"
    app = project_app(outdir, **FAIL_ON_ERRORS)
    Validations.of(app).add_plugins(_platform_checks())
    task = add_writable_root_task(app)
    Validations.of(task).acknowledge(Acknowledgment(id=RULE, reason=REASON))
    app.synth()
    table = render(outdir)
    assert f"{RULE}  Fork/Task/Resource" in " ".join(table.split(" " * 3))
    (row,) = [line for line in table.splitlines() if line.startswith(RULE)]
    assert REASON in row
    assert row.endswith("app")
    assert "1 acknowledged finding(s); 0 unacknowledged" in table


def test_an_acknowledgement_covers_its_own_construct_only(tmp_path: Path) -> None:
    """The same finding on a sibling task definition still fails synth: an acknowledgement is
    scoped to the construct it is made on (and its children)."""
    app = project_app(tmp_path / "cdk.out", **FAIL_ON_ERRORS)
    Validations.of(app).add_plugins(_platform_checks())
    task = add_writable_root_task(app)
    _writable_root_task(task.stack, "Other")
    Validations.of(task).acknowledge(Acknowledgment(id=RULE, reason=REASON))
    with pytest.raises(Exception, match="ValidationFailed") as failure:
        app.synth()
    message = str(failure.value)
    assert "Fork/Other/Resource" in message
    assert "Fork/Task/Resource" not in message
    assert message.count("(ContainerPlatform)") == 1


@pytest.mark.integration
def test_the_real_cli_synth_of_such_an_app_fails_with_the_rule(tmp_path: Path) -> None:
    """`cdk synth` by the pinned CLI, as a forked app runs it: the app is a fresh project whose
    app.py adds the plugin with the one line of docs/fork.md."""
    project = tmp_path / "fork"
    project.mkdir()
    (project / "cdk.json").write_text(f'{{"app": "{sys.executable} app.py"}}')
    (project / "app.py").write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            from aws_cdk import App, Validations
            from container_constructs.rules import ContainerPlatformChecks
            from tests.test_rules_plugin import add_writable_root_task

            app = App()
            Validations.of(app).add_plugins(
                ContainerPlatformChecks(retain_stateful_resources=True, kms_encrypted_logs=False)
            )
            add_writable_root_task(app)
            app.synth()
            """
        )
    )
    (tmp_path / "home").mkdir()
    result = subprocess.run(
        [str(CDK_BIN), "synth", "--no-notices", "--quiet"],
        cwd=project,
        env=offline_environment(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Fork/Task/Resource" in output
    assert f"Acknowledge with '{RULE}'" in output
