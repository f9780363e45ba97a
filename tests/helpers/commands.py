"""Commands tests run in another process and only read the outcome of: a tool as a user runs it,
a fresh interpreter's imports, the diff engine over the plan's hand-made cases. Each is a function
of a directory of its own (its HOME, the files it writes). In a whole `make test` run
tests/helpers/early.py starts them all once the environments are synthesized (started earlier,
they slow collection and those synths down more than they save) and the tests that read them run
last, so that their waiting overlaps the in-process tests; in any other run a test starts the one
it needs when it asks (`early.outcome`)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.cdk_cli import ROOT, offline_environment

# Packages that start jsii (its Node.js process) or come with aws-cdk-lib.
JSII_PACKAGES = ("aws_cdk", "jsii", "constructs", "cdk_nag", "cdk_preflight")
# A process started beside the in-process tests runs at this niceness: it uses the core they leave
# idle, and never slows them down for work nobody waits for yet.
BACKGROUND_NICENESS = 10


def below_the_tests(process: subprocess.Popen[bytes]) -> None:
    """Lower `process` to BACKGROUND_NICENESS (what it starts from now on inherits it)."""
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: no setpriority (Windows)
        os.setpriority(os.PRIO_PROCESS, process.pid, BACKGROUND_NICENESS)


@dataclass(frozen=True)
class Command:
    """What to run (in the project's root) and with which environment (None: this process's)."""

    argv: tuple[str, ...]
    env: dict[str, str] | None = None


def tool_modules() -> list[str]:
    """Every module of tools/, as `python -m` names it."""
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "tools").rglob("*.py")
    )


def _without_credentials(module: str) -> Callable[[Path], Command]:
    """`python -m MODULE --environment sandbox` with no AWS credentials anywhere: every AWS_*
    variable removed and HOME empty (`offline_environment`), config files that do not exist, no
    instance metadata."""

    def command(work: Path) -> Command:
        env = offline_environment(work)
        env.update(
            AWS_CONFIG_FILE=str(work / "none"),
            AWS_SHARED_CREDENTIALS_FILE=str(work / "none"),
            AWS_EC2_METADATA_DISABLED="true",
        )
        return Command((sys.executable, "-m", module, "--environment", "sandbox"), env)

    return command


def _jsii_packages_loaded_after(code: str) -> Callable[[Path], Command]:
    """A fresh interpreter runs `code`, then prints (JSON) which of JSII_PACKAGES it loaded."""
    packages = set(JSII_PACKAGES)
    script = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {packages!r})))"
    )
    return lambda work: Command((sys.executable, "-c", script))


def _imports(*modules: str) -> str:
    return f"import importlib\nfor module in {list(modules)!r}: importlib.import_module(module)"


def _staged_plan(work: Path) -> Command:
    from tests.plan.helpers.assemblies import staged_change

    return Command((sys.executable, "-m", "tools.plan.cli", *staged_change(work)))


def _validation_runs(work: Path) -> Command:
    from tests.helpers.apps import RECORDED_CONTEXT, project_context

    (work / "context.json").write_text(json.dumps(project_context()))
    env = {**os.environ, RECORDED_CONTEXT: str(work / "context.json")}
    return Command((sys.executable, "-m", "tests.helpers.validation_runs", str(work)), env)


COMMANDS: dict[str, Callable[[Path], Command]] = {
    # The plan's hand-made cases, planned by the diff engine (tests/plan/helpers/batch.py).
    "plan-cases": lambda work: Command(
        (sys.executable, "-m", "tests.plan.helpers.batch", str(work / "plans.pickle"))
    ),
    # `make plan --stages` of a staged change (tests/plan/test_stages.py).
    "plan-stages": _staged_plan,
    # The validation cache's synths (tests/test_validation_cache.py).
    "validation-cache-runs": _validation_runs,
    "check-without-credentials": _without_credentials("tools.account.check"),
    "bootstrap-without-credentials": _without_credentials("tools.account.bootstrap"),
    "names-and-tools-imports": _jsii_packages_loaded_after(
        _imports("stacks.names", *tool_modules())
    ),
    "names-and-constructs-imports": _jsii_packages_loaded_after(
        _imports("stacks.names", "constructs")
    ),
    "config-load-imports": _jsii_packages_loaded_after(
        "import platform_config\nplatform_config.load_config('production')"
    ),
}


def loaded_packages(stdout: str) -> list[str]:
    """What a `_jsii_packages_loaded_after` command printed."""
    loaded: list[str] = json.loads(stdout)
    return loaded
