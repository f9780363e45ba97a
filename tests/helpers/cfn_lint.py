"""Run the pinned cfn-lint once over many templates with the project's `.cfnlintrc.yaml`."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers.commands import below_the_tests
from tools.gates.lint_templates import CONFIG, cfn_lint_command, stack_templates


@dataclass(frozen=True)
class LintMatch:
    file: str
    rule: str
    level: str
    message: str
    path: str

    def __str__(self) -> str:
        return f"{self.level} {self.rule} {self.file} {self.path}: {self.message}"


def start_cfn_lint(
    templates: Sequence[Path], regions: Sequence[str], config: Path = CONFIG
) -> subprocess.Popen[str]:
    """Start cfn-lint over `templates`, checked against each of `regions` (the environments'
    regions, from their config), with a JSON report on stdout."""
    command = cfn_lint_command(templates, regions, config, "--format", "json")
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )


def finish_cfn_lint(process: subprocess.Popen[str]) -> list[LintMatch]:
    """Every error, warning and informational match of a started cfn-lint run."""
    stdout, stderr = process.communicate()
    return _matches(stdout, stderr, process.returncode)


def _matches(stdout: str, stderr: str, returncode: int | None) -> list[LintMatch]:
    if not stdout.strip():
        raise AssertionError(f"cfn-lint produced no report (exit {returncode}): {stderr}")
    return [
        LintMatch(
            file=Path(match["Filename"]).name,
            rule=match["Rule"]["Id"],
            level=match["Level"],
            message=match["Message"],
            path="/".join(map(str, match["Location"]["Path"] or [])),
        )
        for match in json.loads(stdout)
    ]


# A bucket with an unknown property (E3002) and a dangling Ref (E1020): linted beside the real
# templates to show the gate is not vacuous.
BAD_FRAGMENT: dict[str, Any] = {
    "Resources": {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {"BucketNam": "x", "Tags": [{"Key": "k", "Value": {"Ref": "Nope"}}]},
        }
    }
}
BAD_FRAGMENT_RULES = {"E3002", "E1020"}
BAD_FRAGMENT_FILE = "bad-fragment.template.json"
BAD_FRAGMENT_REGION = "us-east-1"


@dataclass(frozen=True)
class LintRun:
    """One finished cfn-lint run: the files it was given and what it reported."""

    files: list[Path]
    matches: list[LintMatch]


@dataclass(frozen=True)
class StartedGateLint:
    """The gate's cfn-lint run in the background; its report goes to files in `work`, so nothing
    has to read it while it runs."""

    process: subprocess.Popen[bytes]
    files: list[Path]
    work: Path

    def finish(self, timeout: float = 600) -> LintRun:
        self.process.wait(timeout=timeout)
        stdout = (self.work / "report.json").read_text()
        stderr = (self.work / "stderr.txt").read_text()
        return LintRun(self.files, _matches(stdout, stderr, self.process.returncode))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_gate_lint(outdirs: Iterable[Path], work: Path) -> StartedGateLint:
    """Start cfn-lint over every stack template of `outdirs` (each in its stack's region) and the
    known-bad fragment (written to `work`), in one run."""
    templates: dict[Path, str] = {}
    for outdir in outdirs:
        templates.update(stack_templates(outdir))
    fragment = work / BAD_FRAGMENT_FILE
    fragment.write_text(json.dumps(BAD_FRAGMENT))
    files = [*sorted(templates), fragment]
    regions = sorted({*templates.values(), BAD_FRAGMENT_REGION})
    command = cfn_lint_command(files, regions, CONFIG, "--format", "json")
    with (work / "report.json").open("wb") as stdout, (work / "stderr.txt").open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    below_the_tests(process)
    return StartedGateLint(process, files, work)


_IGNORE_ENTRY = re.compile(r"^\s*-\s*([A-Z]\d{4})\s*(#\s*(?P<reason>.*))?$")


def ignored_rules_with_reasons(config_text: str) -> dict[str, str]:
    """Rule id -> the comment beside it, for each entry of `ignore_checks` (empty if no comment)."""
    ignored: dict[str, str] = {}
    in_ignores = False
    for line in config_text.splitlines():
        if re.match(r"^ignore_checks\s*:", line):
            in_ignores = True
            continue
        if in_ignores and re.match(r"^\S", line):
            in_ignores = False
        match = _IGNORE_ENTRY.match(line) if in_ignores else None
        if match:
            ignored[match.group(1)] = (match.group("reason") or "").strip()
    return ignored
