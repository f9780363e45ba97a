"""Typed, validated configuration of the container platform, one object per environment.

Only `app.py` (and tests) import this package; constructs receive plain typed props.
"""

from platform_config.environments import DEFAULT_ENVIRONMENT, ENVIRONMENTS
from platform_config.errors import ConfigError
from platform_config.loader import deep_merge, load_config
from platform_config.model import PlatformConfig

__all__ = [
    "DEFAULT_ENVIRONMENT",
    "ENVIRONMENTS",
    "ConfigError",
    "PlatformConfig",
    "deep_merge",
    "load_config",
]
