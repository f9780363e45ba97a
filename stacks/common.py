"""What every stack of an environment shares, handed to each stack as one typed argument.

Only `stacks/platform.py` reads the whole environment config; it builds one `StackSettings` and
gives every stack that and its own config section.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

from container_constructs.common import LogEncryptionKey
from stacks import names


@dataclass(frozen=True, kw_only=True)
class StackSettings:
    """The environment-wide choices a stack makes the same way as every other stack.

    Attributes:
        environment: the environment's name, e.g. "sandbox".
        region: the environment's region.
        retain_stateful_resources: RETAIN stateful resources (production) or DESTROY them.
        kms_encrypted_logs: encrypt each stack's log groups with a key of its own.
    """

    environment: str
    region: str
    retain_stateful_resources: bool
    kms_encrypted_logs: bool

    @property
    def removal_policy(self) -> RemovalPolicy:
        """RETAIN stateful resources in environments that keep them, DESTROY elsewhere."""
        return RemovalPolicy.RETAIN if self.retain_stateful_resources else RemovalPolicy.DESTROY

    def log_encryption_key(self, scope: Construct) -> kms.IKey | None:
        """A rotating KMS key (construct id `LogKey`) for the log groups of `scope`'s stack where
        the environment asks for one, else None."""
        if not self.kms_encrypted_logs:
            return None
        return LogEncryptionKey(
            scope, names.LOG_KEY_CONSTRUCT, removal_policy=self.removal_policy
        ).key
