"""The one exception type that configuration loading raises."""

from __future__ import annotations


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
