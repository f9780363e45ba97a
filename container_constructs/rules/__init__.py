"""The platform's own rules as an aws-cdk-lib validation plugin, and a cache of findings.

- `ContainerPlatformChecks`: security, removal-policy and CloudFormation-quota rules over every
  template, in the style of a cdk-nag pack (one module per family of rules, `RULES` in `pack`).
  A finding fails synth naming the construct path and `ContainerPlatform::<rule-id>`.
- `ValidationCache`, `CachedNagPack`, `CachedStagePlugin`: any plugin's findings kept per
  template, so that an unchanged template is not validated again (docs/validation.md).

This package imports aws-cdk-lib, constructs, jsii and the standard library only.
"""

from .cache import ValidationCache
from .cached import PerTemplatePlugin
from .cached_nag import CachedNagPack
from .cached_stage_plugin import CachedStagePlugin
from .pack import PLUGIN_NAME, RULES, ContainerPlatformChecks
from .rule import EnvironmentFacts, Rule, TemplateRule

__all__ = [
    "PLUGIN_NAME",
    "RULES",
    "CachedNagPack",
    "CachedStagePlugin",
    "ContainerPlatformChecks",
    "EnvironmentFacts",
    "PerTemplatePlugin",
    "Rule",
    "TemplateRule",
    "ValidationCache",
]
