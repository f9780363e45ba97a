"""What every lookup of the account check reports about one config field: found, missing (a
problem, with what to do) or not checked (why), and the one line of the report."""

from __future__ import annotations

from dataclasses import dataclass

FOUND = "found"
MISSING = "missing"
NOT_CHECKED = "not checked"


def other_account(arn: str, account: str) -> str | None:
    """Why `arn` is not checked when it is of an account other than the caller's `account` (its
    owner's to check), or None when it is the caller's."""
    owner = arn.split(":")[4]
    return f"in account {owner}: its owner's to check" if owner != account else None


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One config field the account check looked up. `reason` is the problem when the status is
    MISSING (a line of the report's problems), and why not when it is NOT_CHECKED."""

    path: str  # the config field, e.g. eks.access.viewer_role_arns[0]
    status: str  # FOUND, MISSING or NOT_CHECKED (a module may name FOUND and MISSING its own way)
    reason: str = ""

    @property
    def problem(self) -> str | None:
        return f"{self.path}: {self.reason}" if self.status == self.missing_status() else None

    @classmethod
    def missing_status(cls) -> str:
        return MISSING

    def detail(self) -> str:
        """ ": why" when not checked, else nothing (a problem is listed with the problems)."""
        return f": {self.reason}" if self.status == NOT_CHECKED else ""
