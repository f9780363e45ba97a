"""The report of `make verify`: one OK, FAIL or SKIP line per check, and the counts."""

from __future__ import annotations

from dataclasses import dataclass, field

OK, FAIL, SKIP = "OK", "FAIL", "SKIP"


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    kind: str
    subject: str
    status: str
    detail: str

    def render(self) -> str:
        return f"{self.status:<4}  {self.kind:<7}  {self.subject}: {self.detail}"


@dataclass
class Report:
    environment: str
    checks: list[Check] = field(default_factory=list)

    def add(self, kind: str, subject: str, status: str, detail: str) -> None:
        self.checks.append(Check(kind, subject, status, detail))

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.status == FAIL]

    def render(self) -> str:
        counts = {s: sum(c.status == s for c in self.checks) for s in (OK, FAIL, SKIP)}
        lines = [f"Verification of environment '{self.environment}'"]
        lines += [check.render() for check in self.checks]
        lines.append(f"{counts[OK]} OK, {counts[FAIL]} FAIL, {counts[SKIP]} SKIP")
        return "\n".join(lines)
