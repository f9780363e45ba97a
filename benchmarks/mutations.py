"""Does the test suite still catch a broken security property once its snapshots are left out?

    python -m benchmarks.mutations [--only NAME ...]

For each hand mutation below (one security property of the constructs or stacks switched off),
this copies the checkout's tracked files into a temporary directory (the checkout's .venv and
node_modules linked in), applies the mutation there, and runs `make test` (the default tier,
exactly as the Makefile defines it) with `tests/test_snapshots.py` left out and `-x`. It prints a
Markdown table of each mutation, the first test that failed and the platform rules
(`container_constructs/rules/`) its failure names (docs/validation.md has the last table), and
exits 1 when the suite passed with a mutation in place: that property has no test but its
snapshot. A mutation whose text is no longer in its file exits 2 (edit the table).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Added to the Makefile's own pytest command line: snapshots left out, stop at the first failure.
PYTEST_ADDOPTS = "--ignore=tests/test_snapshots.py -x -p no:cacheprovider"
FAILED_LINE = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Mutation:
    """One security property switched off by replacing `before` (found exactly once in `path`)
    with `after`.

    Attributes:
        name: the property it breaks. Required.
        path: the file it edits, relative to the checkout. Required.
        before: the text it replaces. Required.
        after: the text it puts there. Required.
    """

    name: str
    path: str
    before: str
    after: str


MUTATIONS = (
    Mutation(
        name="read-only root filesystem (service container)",
        path="container_constructs/web_service.py",
        before="readonly_root_filesystem=True,",
        after="readonly_root_filesystem=False,",
    ),
    Mutation(
        name="read-only root filesystem (volume init container)",
        path="container_constructs/task_volumes.py",
        before="readonly_root_filesystem=True,",
        after="readonly_root_filesystem=False,",
    ),
    Mutation(
        name="unprivileged container",
        path="container_constructs/web_service.py",
        before="privileged=False,",
        after="privileged=True,",
    ),
    Mutation(
        name="IMDSv2 required (ECS EC2 instances)",
        path="container_constructs/ecs_ec2_cluster.py",
        before="require_imdsv2=True,",
        after="require_imdsv2=False,",
    ),
    Mutation(
        name="IMDSv2 required (EKS nodes)",
        path="container_constructs/eks_cluster.py",
        before="http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,",
        after="http_tokens=ec2.LaunchTemplateHttpTokens.OPTIONAL,",
    ),
    Mutation(
        name="ALB drops invalid header fields",
        path="container_constructs/load_balancer.py",
        before="drop_invalid_header_fields=True,",
        after="drop_invalid_header_fields=False,",
    ),
    Mutation(
        name="deployment circuit breaker with rollback",
        path="container_constructs/web_service.py",
        before="ecs.DeploymentCircuitBreaker(enable=True, rollback=True)",
        after="ecs.DeploymentCircuitBreaker(enable=True, rollback=False)",
    ),
    Mutation(
        name="default security group restricted",
        path="container_constructs/network.py",
        before="restrict_default_security_group=True,",
        after="restrict_default_security_group=False,",
    ),
    Mutation(
        name="EBS encryption (ECS EC2 instances)",
        path="container_constructs/ecs_ec2_cluster.py",
        before="encrypted=True,",
        after="encrypted=False,",
    ),
    Mutation(
        name="EBS encryption (EKS nodes)",
        path="container_constructs/eks_cluster.py",
        before="encrypted=True,",
        after="encrypted=False,",
    ),
    Mutation(
        name="every EKS control-plane log type",
        path="container_constructs/eks_cluster.py",
        before="cluster_logging=list(ALL_CONTROL_PLANE_LOGS),",
        after="cluster_logging=list(ALL_CONTROL_PLANE_LOGS)[1:],",
    ),
    Mutation(
        name="log retention",
        path="container_constructs/common.py",
        before="        retention=retention,\n",
        after="        retention=logs.RetentionDays.INFINITE,\n",
    ),
    Mutation(
        name="removal policy follows the environment (production retains)",
        path="stacks/common.py",
        before="return RemovalPolicy.RETAIN if self.retain_stateful_resources else",
        after="return RemovalPolicy.DESTROY if self.retain_stateful_resources else",
    ),
)


@dataclass(frozen=True)
class Outcome:
    """What the suite did with one mutation in place.

    Attributes:
        mutation: the mutation. Required.
        failed: the first test that failed or errored; None when the suite passed. Required.
        rules: the ids of the platform's rules that its failure output names. Required.
        seconds: how long the run took. Required.
    """

    mutation: Mutation
    failed: str | None
    rules: tuple[str, ...]
    seconds: float


def mutated_copy(mutation: Mutation, destination: Path) -> None:
    """The checkout's tracked files (as they are in the working tree) with `mutation` applied."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    for shared in (".venv", "node_modules"):
        (destination / shared).symlink_to((ROOT / shared).resolve(), target_is_directory=True)
    target = destination / mutation.path
    text = target.read_text(encoding="utf-8")
    if text.count(mutation.before) != 1:
        raise LookupError(f"{mutation.path}: {mutation.before!r} is not there exactly once")
    target.write_text(text.replace(mutation.before, mutation.after), encoding="utf-8")


def run(mutation: Mutation) -> Outcome:
    """`make test` without snapshots in a mutated copy of the checkout."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutation-") as work:
        copy = Path(work)
        mutated_copy(mutation, copy)
        # -o setup: the shared .venv and node_modules are as they are (never reinstalled). Its
        # own process group, so that an interrupted run stops the suite and its synths with it.
        suite = subprocess.Popen(
            ["make", "--no-print-directory", "-o", "setup", "test"],
            cwd=copy,
            env={**os.environ, "PYTEST_ADDOPTS": PYTEST_ADDOPTS},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = suite.communicate()
        finally:
            if suite.poll() is None:
                os.killpg(suite.pid, signal.SIGTERM)
                suite.wait()
    found = FAILED_LINE.search(stdout)
    if suite.returncode != 0 and found is None:
        raise RuntimeError(
            f"{mutation.name}: make test failed without a test failing:\n"
            f"{stdout[-3000:]}{stderr[-3000:]}"
        )
    named = tuple(rule for rule in rule_ids() if re.search(rf"\b{re.escape(rule)}\b", stdout))
    return Outcome(
        mutation,
        found.group(1) if found else None,
        named if found else (),
        time.monotonic() - started,
    )


def rule_ids() -> list[str]:
    """The platform rules' ids, from the checkout's rule pack (loads aws-cdk-lib once)."""
    from container_constructs.rules import RULES

    return sorted(rule.id for rule in RULES)


def table(outcomes: list[Outcome]) -> str:
    rows = [
        f"| {o.mutation.name} | `{o.mutation.path}` | "
        + (f"`{o.failed}`" if o.failed else "**none: survived**")
        + " | "
        + (", ".join(f"`{rule}`" for rule in o.rules) or "-")
        + " |"
        for o in outcomes
    ]
    header = "| mutation | file | first failing test | platform rule in its failure |"
    return "\n".join([header, "| --- | --- | --- | --- |", *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="mutations whose name has NAME")
    args = parser.parse_args(argv)
    # The project's Node first (as the Makefile has it), for jsii when the rule ids are read.
    os.environ["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    chosen = [m for m in MUTATIONS if not args.only or any(part in m.name for part in args.only)]
    outcomes = []
    for mutation in chosen:
        try:
            outcome = run(mutation)
        except LookupError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(
            f"{mutation.name}: {outcome.failed or 'SURVIVED'} ({outcome.seconds:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
        outcomes.append(outcome)
    print(table(outcomes))
    return 1 if any(o.failed is None for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
