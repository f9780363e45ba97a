"""What the account tools (bootstrap_account, account_check) share: the config they load, the
session they use, and one-line errors instead of tracebacks.

These tools run with the deployer's credentials before a deploy, never at synth (synth is offline).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from platform_config import PlatformConfig, load_config


class AccountError(Exception):
    """A problem reported as one line (no traceback): credentials, permissions, the CLI."""


NO_CREDENTIALS = (
    "no AWS credentials found: configure a profile (AWS_PROFILE) or export credentials, then rerun"
)


def read_overrides(path: Path | None) -> dict[str, Any]:
    """The JSON object in `path` (like app.py's `-c config_overrides=FILE.json`), or {}."""
    if path is None:
        return {}
    try:
        overrides = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise AccountError(f"--overrides: cannot read {path}: {error}") from None
    if not isinstance(overrides, dict):
        raise AccountError(f"--overrides: {path} must hold a JSON object")
    return overrides


def environment_config(environment: str, overrides_file: Path | None) -> PlatformConfig:
    """The validated config of `environment` with the overrides file merged (raises ConfigError)."""
    return load_config(environment, overrides=read_overrides(overrides_file))


def default_session() -> Any:
    """A boto3 session from the usual credential chain (profile, environment, SSO, ...)."""
    import boto3  # type: ignore[import-untyped]

    return boto3.Session()


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn botocore's credential, client and connection errors into `AccountError`."""
    from botocore.exceptions import (  # type: ignore[import-untyped]
        BotoCoreError,
        ClientError,
        NoCredentialsError,
    )

    try:
        yield
    except NoCredentialsError:
        raise AccountError(NO_CREDENTIALS) from None
    except ClientError as error:
        detail = error.response.get("Error", {})
        raise AccountError(
            f"{error.operation_name} failed: {detail.get('Code')}: {detail.get('Message')}"
        ) from None
    except BotoCoreError as error:
        raise AccountError(str(error)) from None


def caller_account(session: Any, config: PlatformConfig) -> str:
    """The account of the credentials in use; it must be `config.account` when that is set."""
    sts = session.client("sts", region_name=config.region)
    account = str(sts.get_caller_identity()["Account"])
    if config.account is not None and account != config.account:
        raise AccountError(
            f"the credentials are of account {account}, but environment '{config.name}' "
            f"deploys to account {config.account}"
        )
    return account
