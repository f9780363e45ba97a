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

from platform_config import PlatformConfig, deep_merge, load_config


class AccountError(Exception):
    """A problem reported as one line (no traceback): credentials, permissions, the CLI."""


NO_CREDENTIALS = (
    "no AWS credentials found: configure a profile (AWS_PROFILE) or export credentials, then rerun"
)


def overrides_files(value: str | Path | None) -> list[Path]:
    """The files of a comma-separated `--overrides A.json,B.json` (like app.py's
    `-c config_overrides=A.json,B.json`), in order."""
    return [Path(part.strip()) for part in str(value or "").split(",") if part.strip()]


def read_overrides(value: str | Path | None) -> dict[str, Any]:
    """The JSON objects of `--overrides A.json,B.json` deep-merged in order (objects merge, lists
    and other values replace; as app.py merges `-c config_overrides=`), or {}."""
    overrides: dict[str, Any] = {}
    for path in overrides_files(value):
        try:
            layer = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise AccountError(f"--overrides: cannot read {path}: {error}") from None
        if not isinstance(layer, dict):
            raise AccountError(f"--overrides: {path} must hold a JSON object")
        overrides = deep_merge(overrides, layer)
    return overrides


def environment_config(environment: str, overrides: str | Path | None) -> PlatformConfig:
    """The validated config of `environment` with the comma-separated overrides files merged over
    it in order (raises ConfigError)."""
    return load_config(environment, overrides=read_overrides(overrides))


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
