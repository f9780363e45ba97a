"""Validation findings on disk, one entry per (plugin, template) key.

An entry holds a plugin's raw findings for one template, before aws-cdk-lib applies
acknowledgements; the key is a digest of the template's bytes and of everything else that
decides those findings (see `container_constructs.rules.cached`). The directory can be deleted at
any time: a missing entry is validated again. Writers write a temporary file and rename it over
the entry (atomic on POSIX and Windows), so concurrent synths never read a half-written entry; an
entry that does not parse or names another key is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

ENTRY_FORMAT = 1
# Violations as aws-cdk-lib's PolicyViolation, in JSON: ruleName, description, severity, fix,
# ruleMetadata, violatingResources [{resourceLogicalId, constructPath, templatePath, locations}].
Violation = dict[str, Any]


def digest(*parts: str | bytes) -> str:
    """A SHA-256 of `parts`, each length-prefixed so that no two part lists collide."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


class ValidationCache:
    """Raw validation findings by key, as JSON files under `directory` (created on first write).

    Safe to delete (`rm -rf` the directory): entries are recomputed on the next synth.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[Violation] | None:
        """The findings stored under `key`, or None (absent, unreadable, corrupt or foreign)."""
        try:
            entry = json.loads(self._path(key).read_bytes())
        except (OSError, ValueError):
            return None
        if (
            not isinstance(entry, dict)
            or entry.get("format") != ENTRY_FORMAT
            or entry.get("key") != key
            or not isinstance(entry.get("violations"), list)
        ):
            return None
        violations: list[Violation] = entry["violations"]
        return violations

    def put(self, key: str, violations: list[Violation]) -> None:
        """Store `violations` under `key`; a write that fails leaves the cache as it was."""
        path = self._path(key)
        entry = {"format": ENTRY_FORMAT, "key": key, "violations": violations}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    json.dump(entry, file, sort_keys=True)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            return  # a cache that cannot be written only costs the next synth its validation
