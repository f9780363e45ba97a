"""CloudFormation quotas a template must stay under, each finding naming the count and the quota.

https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
"""

from __future__ import annotations

from .rule import TemplateRule
from .template import TemplateBody, resources_section

MAX_RESOURCES = 500  # "under 500": the quota itself is 500
MAX_TEMPLATE_BYTES = 1_048_576  # 1 MB, the quota for a template body uploaded through S3
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200


def quota_problems(template: TemplateBody, size_bytes: int) -> list[str]:
    """Every quota `template` (of `size_bytes`) breaks, each naming the count and the quota."""
    problems = []
    resources = len(resources_section(template))
    if resources >= MAX_RESOURCES:
        problems.append(f"{resources} resources, must stay under {MAX_RESOURCES}")
    if size_bytes >= MAX_TEMPLATE_BYTES:
        problems.append(f"template is {size_bytes} bytes, must be under 1 MB")
    for section, limit in (("Parameters", MAX_PARAMETERS), ("Outputs", MAX_OUTPUTS)):
        entries = template.get(section)
        count = len(entries) if isinstance(entries, dict) else 0
        if count > limit:
            problems.append(f"{count} {section.lower()}, at most {limit} allowed")
    return problems


RULES: tuple[TemplateRule, ...] = (
    TemplateRule(
        id="cloudformation-quotas",
        requirement="every template under 500 resources, 1 MB, 200 parameters and 200 outputs",
        check=quota_problems,
        bad={f"R{i}": {"Type": "AWS::SNS::Topic"} for i in range(MAX_RESOURCES)},
        good={f"R{i}": {"Type": "AWS::SNS::Topic"} for i in range(MAX_RESOURCES - 1)},
    ),
)
