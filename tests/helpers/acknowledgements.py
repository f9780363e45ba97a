"""The rules an acknowledgement must follow in this project: a specific reason, the narrowest
scope, and a finding it suppresses. Reading acknowledgements out of an assembly is the product's
(`container_constructs.rules.report`, which `make nag-report` runs); how aws-cdk-lib records them
is described there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from container_constructs.rules import report
from container_constructs.rules.report import Acknowledgement, collect_acknowledgements

__all__ = [
    "Acknowledgement",
    "acknowledgement_problems",
    "collect_acknowledgements",
    "narrowest_scopes",
    "unacknowledged_violations",
]

ANNOTATION_NAMESPACE = "Annotation"
NAG_PACK_PREFIX = "AwsSolutions-"

# The app's own warnings to its user about a config choice (`Validations.of(c).add_warning(
# "platform:...", ...)`, e.g. a public EKS endpoint in sandbox) are intended synth output: the
# audit lists them but does not fail on them. Any other finding of any plugin fails.
APP_WARNING_PREFIX = "Annotation::platform:"

MIN_REASON_CHARACTERS = 40
MIN_REASON_WORDS = 6
_PLACEHOLDER = re.compile(
    r"\b(todo|fixme|tbd|xxx|for now|temporar(y|ily)|lorem ipsum|to be (fixed|done))\b",
    re.IGNORECASE,
)


def is_app_warning(violation: Mapping[str, Any]) -> bool:
    return str(violation.get("ruleName", "")).startswith(APP_WARNING_PREFIX) and (
        violation.get("severity") == "warning"
    )


def unacknowledged_violations(
    validation_report: Mapping[str, Any], *, include_app_warnings: bool = True
) -> list[str]:
    """One line per unacknowledged finding of any plugin; without the app's own `platform:`
    warnings if asked."""
    skip = None if include_app_warnings else is_app_warning
    return report.unacknowledged_violations(validation_report, skip=skip)


def _common_ancestor(paths: Iterable[str]) -> str:
    parts = [path.split("/") for path in paths]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/".join(common)


def narrowest_scopes(suppressed: Iterable[str]) -> list[str]:
    """Where an acknowledgement of these findings may be made: on their nearest common ancestor,
    or on the L2 constructs that own it as their default child (`Resource`/`Default`), or on the
    principal (role) that owns it as the policy aws-cdk-lib's grants write (its `DefaultPolicy`:
    constructs acknowledge on the role, a public attribute, rather than look the policy up)."""
    scope = _common_ancestor(suppressed)
    scopes = [scope]
    while "/" in scope and scope.rsplit("/", 1)[1] in ("Resource", "Default"):
        scope = scope.rsplit("/", 1)[0]
        scopes.append(scope)
    if "/" in scope and scope.rsplit("/", 1)[1] == "DefaultPolicy":
        scopes.append(scope.rsplit("/", 1)[0])
    return scopes


def reason_problem(reason: str) -> str | None:
    """Why `reason` is not specific enough, or None."""
    text = reason.strip()
    if len(text) < MIN_REASON_CHARACTERS or len(text.split()) < MIN_REASON_WORDS:
        return (
            f"reason '{text}' is too short to be specific (at least {MIN_REASON_WORDS} words, "
            f"{MIN_REASON_CHARACTERS} characters: what the resource needs and why it is safe)"
        )
    if _PLACEHOLDER.search(text):
        return f"reason '{text}' is a placeholder; say what needs the finding and why it is safe"
    return None


def acknowledgement_problems(ack: Acknowledgement) -> list[str]:
    """Why the app's acknowledgement `ack` is not acceptable (empty when it is)."""
    if ack.library_reason is not None:
        return []
    problems = []
    if ack.rule.startswith(f"{ANNOTATION_NAMESPACE}::{NAG_PACK_PREFIX}"):
        bare = ack.rule.split("::", 1)[1]
        problems.append(
            f"cdk-nag rule acknowledged without its plugin prefix, so validation-report.json "
            f"does not record what it suppressed; use id='AwsSolutions::{bare}'"
        )
    if problem := reason_problem(ack.reason):
        problems.append(problem)
    if ack.namespace and ack.namespace != ANNOTATION_NAMESPACE:
        if not ack.suppressed:
            problems.append(f"suppresses no finding in {ack.environment}; remove it")
        elif ack.scope not in (allowed := narrowest_scopes(ack.suppressed)):
            problems.append(
                f"made at {ack.scope}, wider than its findings "
                f"({', '.join(ack.suppressed)}); acknowledge at {' or '.join(allowed)}"
            )
    return problems
