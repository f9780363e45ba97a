"""Typed, validated configuration of the container platform, one object per environment.

Only `app.py` (and tests) import this package; constructs receive plain typed props.
"""

from platform_config.environments import DEFAULT_ENVIRONMENT, ENVIRONMENTS
from platform_config.errors import ConfigError
from platform_config.layers import Layer, deep_merge
from platform_config.loader import ResolvedConfig, load_config, resolve_config
from platform_config.model import PlatformConfig
from platform_config.record import DEFAULT_CONFIG_DIR

__all__ = [
    "DEFAULT_CONFIG_DIR",
    "DEFAULT_ENVIRONMENT",
    "ENVIRONMENTS",
    "ConfigError",
    "Layer",
    "PlatformConfig",
    "ResolvedConfig",
    "deep_merge",
    "load_config",
    "resolve_config",
]
