"""CloudFormation quotas a template must stay under, checked with a message naming stack and count.

https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
"""

from __future__ import annotations

from typing import Any

MAX_RESOURCES = 500  # "under 500": the quota itself is 500
MAX_TEMPLATE_BYTES = 1_048_576  # 1 MB, the quota for a template body uploaded through S3
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200


def limit_problems(stack: str, template: dict[str, Any], size_bytes: int) -> list[str]:
    """Every quota `template` (of `size_bytes` on disk) breaks, each naming the stack and count."""
    problems = []
    resources = len(template.get("Resources", {}))
    if resources >= MAX_RESOURCES:
        problems.append(f"{stack}: {resources} resources, must stay under {MAX_RESOURCES}")
    if size_bytes >= MAX_TEMPLATE_BYTES:
        problems.append(f"{stack}: template is {size_bytes} bytes, must be under 1 MB")
    for section, limit in (("Parameters", MAX_PARAMETERS), ("Outputs", MAX_OUTPUTS)):
        count = len(template.get(section, {}))
        if count > limit:
            problems.append(f"{stack}: {count} {section.lower()}, at most {limit} allowed")
    return problems
