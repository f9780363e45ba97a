"""ECR repositories: images scanned on push (by the repository or by a registry-level scanning
rule of the same template that matches it) and tags that cannot be moved."""

from __future__ import annotations

import fnmatch
from typing import Any

from .rule import EnvironmentFacts, Rule
from .template import Resource, get, is_true, mappings

REPOSITORY = "AWS::ECR::Repository"
SCANNING = "AWS::ECR::RegistryScanningConfiguration"


def _registry_scans(repository: Resource) -> bool:
    """Whether a registry-level (enhanced) scanning rule's WILDCARD filter of the same template
    matches the repository's name (`*` matches any characters; the platform's registry construct
    lists its repositories by name, beside them)."""
    name = repository.properties.get("RepositoryName")
    for config in repository.siblings(SCANNING):
        for rule in mappings(config.properties.get("Rules")):
            for repository_filter in mappings(rule.get("RepositoryFilters")):
                pattern = repository_filter.get("Filter")
                if pattern == "*" or (
                    isinstance(name, str)
                    and isinstance(pattern, str)
                    and fnmatch.fnmatchcase(name, pattern)
                ):
                    return True
    return False


def scan_on_push(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """Images are scanned on push, by the repository or by a registry rule that matches it."""
    if is_true(get(resource.properties, "ImageScanningConfiguration", "ScanOnPush")):
        return []
    return [] if _registry_scans(resource) else ["images are not scanned on push"]


def immutable_tags(resource: Resource, _: EnvironmentFacts) -> list[str]:
    """The repository has immutable image tags."""
    mutability = resource.properties.get("ImageTagMutability", "MUTABLE")
    return [] if mutability == "IMMUTABLE" else [f"ImageTagMutability is {mutability}"]


def repository(scan: bool, mutability: str) -> dict[str, Any]:
    """A repository fragment named team/api."""
    return {
        "Type": REPOSITORY,
        "Properties": {
            "RepositoryName": "team/api",
            "ImageScanningConfiguration": {"ScanOnPush": scan},
            "ImageTagMutability": mutability,
        },
    }


def registry_scanning(filter_pattern: str) -> dict[str, Any]:
    """A registry scanning configuration fragment with one WILDCARD filter."""
    return {
        "Type": SCANNING,
        "Properties": {
            "ScanType": "ENHANCED",
            "Rules": [
                {
                    "ScanFrequency": "SCAN_ON_PUSH",
                    "RepositoryFilters": [{"Filter": filter_pattern, "FilterType": "WILDCARD"}],
                }
            ],
        },
    }


RULES: tuple[Rule, ...] = (
    Rule(
        id="ecr-scan-on-push",
        requirement="ECR repositories scan images on push (or a registry scanning rule does)",
        resource_types=(REPOSITORY,),
        check=scan_on_push,
        bad={"R": repository(False, "IMMUTABLE"), "Scan": registry_scanning("other/*")},
        good={"R": repository(False, "IMMUTABLE"), "Scan": registry_scanning("team/*")},
    ),
    Rule(
        id="ecr-immutable-tags",
        requirement="ECR repositories have immutable image tags",
        resource_types=(REPOSITORY,),
        check=immutable_tags,
        bad={"R": repository(True, "MUTABLE")},
        good={"R": repository(True, "IMMUTABLE")},
    ),
)
