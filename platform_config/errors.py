"""The one exception type that configuration loading raises, and the "did you mean" its
messages share."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ConfigError(ValueError):
    """Invalid platform configuration.

    The message always names the environment, the field (as a dotted path) and what is allowed,
    one problem per line, so that `cdk synth` can print it and exit non-zero before any construct
    is built.
    """

    def __init__(self, environment: str, problems: list[str]) -> None:
        self.environment = environment
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"Invalid configuration for environment '{environment}':\n{lines}")


def suggestion(key: str, candidates: Iterable[str]) -> str | None:
    """The candidate `key` most likely misspells: one it abbreviates (`env`), else the closest."""
    options = sorted(candidates)
    folded = key.lower().replace("-", "_")
    prefixed = [option for option in options if folded and option.startswith(folded)]
    if prefixed:
        return prefixed[0]
    close = difflib.get_close_matches(folded, options, n=1, cutoff=0.6)
    return close[0] if close else None
