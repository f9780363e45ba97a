"""Per-environment choices every stack makes the same way, derived from the config in one place."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

from container_constructs.common import LogEncryptionKey
from platform_config import PlatformConfig


def removal_policy(config: PlatformConfig) -> RemovalPolicy:
    """RETAIN stateful resources in environments that keep them (production), DESTROY elsewhere."""
    return RemovalPolicy.RETAIN if config.retain_stateful_resources else RemovalPolicy.DESTROY


def log_encryption_key(scope: Construct, config: PlatformConfig) -> kms.IKey | None:
    """A rotating KMS key for the stack's log groups where the environment asks for one."""
    if not config.kms_encrypted_logs:
        return None
    return LogEncryptionKey(scope, "LogKey", removal_policy=removal_policy(config)).key
