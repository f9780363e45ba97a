"""What the tools that call AWS share (the account tools beside this module, and those of
tools.deploy, tools.verify and tools.images): the environment's config with its config of record
and overrides files, the boto3 session, and one-line errors instead of tracebacks.

These tools run with the deployer's credentials, never at synth (synth is offline).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from platform_config import DEFAULT_CONFIG_DIR, PlatformConfig, load_config
from platform_config.layers import Layer
from platform_config.loader import OverridesError, read_overrides_files

T = TypeVar("T")


class AccountError(Exception):
    """A problem reported as one line (no traceback): credentials, permissions, the CLI."""


NO_CREDENTIALS = (
    "no AWS credentials found: configure a profile (AWS_PROFILE) or export credentials, then rerun"
)


def read_overrides(value: str | Path | None) -> list[Layer]:
    """The JSON objects of `--overrides A.json,B.json`, in order, read exactly as app.py reads
    `-c config_overrides=` (platform_config.loader.read_overrides_files), or []."""
    try:
        return read_overrides_files(str(value or ""))
    except OverridesError as error:
        raise AccountError(f"--overrides: {error}") from None


def add_environment_options(parser: argparse.ArgumentParser) -> None:
    """The options every account tool takes: the environment, its config of record and its
    overrides files."""
    parser.add_argument("--environment", required=True, help="environment name, e.g. sandbox")
    parser.add_argument(
        "--config",
        default=DEFAULT_CONFIG_DIR,
        help=(
            "the config of record, what each environment runs (as -c config=DIR; default "
            f"{DEFAULT_CONFIG_DIR})"
        ),
    )
    parser.add_argument(
        "--overrides",
        help=(
            "JSON files A.json,B.json merged over the environment's config in order "
            "(as -c config_overrides=A.json,B.json)"
        ),
    )


def environment_config(
    environment: str,
    overrides: str | Path | None,
    config_dir: str | Path | None = DEFAULT_CONFIG_DIR,
) -> PlatformConfig:
    """The validated config of `environment`: the config of record in `config_dir` (none when
    None) and the comma-separated overrides files merged over it in order (raises ConfigError)."""
    return load_config(
        environment,
        overrides=read_overrides(overrides),
        config_dir=Path(config_dir) if config_dir is not None else None,
    )


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


def looked_up(
    call: Callable[[], T], *, not_checked: Callable[[str], T], by_code: Mapping[str, T]
) -> T:
    """`call()`, for a lookup whose failure leaves one thing unchecked rather than stopping the
    whole check: AWS's error code answers as `by_code` says (e.g. "no such secret"), any other
    refusal (AccessDenied, ...) or an endpoint that cannot be reached gives `not_checked(why)`.
    Missing credentials still raise (the whole check needs them)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
    )

    try:
        return call()
    except NoCredentialsError:
        raise
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in by_code:
            return by_code[code]
        return not_checked(f"{error.operation_name} failed: {code}")
    except BotoCoreError as error:
        return not_checked(f"{type(error).__name__}: {error}")


def value_or_why(call: Callable[[], T], *, by_code: Mapping[str, T] | None = None) -> T | str:
    """`looked_up` for a lookup whose answer is a value or, when AWS refused the call or could
    not be reached, why (a string); `by_code` as for `looked_up`."""

    def answer() -> T | str:
        return call()

    def why(reason: str) -> T | str:
        return reason

    codes: Mapping[str, T | str] = by_code or {}
    return looked_up(answer, not_checked=why, by_code=codes)


def described_stack(cloudformation: Any, name: str) -> dict[str, Any] | None:
    """CloudFormation's description of stack `name` (DescribeStacks through the `cloudformation`
    client), or None when it has no stack by that name (it answers "... does not exist")."""
    from botocore.exceptions import ClientError

    try:
        (described,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error.response.get("Error", {}).get("Message", "")):
            return None
        raise
    return dict(described)


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
