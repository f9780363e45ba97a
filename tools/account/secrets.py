"""Whether each secret the config's ECS services read exists, where the deployer's account can
tell (tools.account.check reports it; ECS fetches a task's secrets when the task starts).

* `secrets_manager_name`: Secrets Manager DescribeSecret by name, in the environment's region.
* `secrets_manager_arn`: DescribeSecret by the ARN, in the ARN's region, when the ARN is of the
  caller's account; another account's secret is its owner's to check.
* `ssm_parameter_arn`: SSM DescribeParameters (Name Equals) in the ARN's region, when the ARN is
  of the caller's account. `...:parameter/a/b` is the parameter `/a/b` (a name with `/` must start
  with one); `...:parameter/name` is `name` or `/name`, which share that ARN: both are asked for.

A secret that exists must be one the service's execution role may decrypt: one encrypted with a
customer managed KMS key needs that key in `kms_key_arn` (tools/account/kms_keys.py).

A secret scheduled for deletion counts as missing (ECS cannot read it). A denied or failed call
leaves the secret "not checked" with the error code, never "found"; the other checks go on. A
secret read by several services is looked up once and reported under every field that reads it.
The value of a secret is never read: the deployer may not be allowed to, and need not.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from platform_config import PlatformConfig
from platform_config.ecs_secret import SecretConfig
from tools.account.findings import FOUND, MISSING, NOT_CHECKED, other_account
from tools.account.kms_keys import EncryptionKey, described_key, encryption_key, key_problem
from tools.account.session import looked_up

_DELETED = "scheduled for deletion"  # a lookup's state, reported as MISSING

# A secret's identity for the one lookup several fields share: (service, region, id).
_Key = tuple[str, str, str]


@dataclass(frozen=True)
class SecretStatus:
    """One config field that reads a secret, what the account says about that secret, and, when
    it is missing or not checked, why (for a missing one: what to do)."""

    path: str  # e.g. ecs.fargate.services.web-api.secrets.API_TOKEN
    secret: str  # what the field names, e.g. "Secrets Manager secret 'NAME' in us-east-1"
    status: str  # FOUND, MISSING or NOT_CHECKED
    reason: str = ""
    key: EncryptionKey | None = None  # a found secret's key
    key_problem: str | None = None  # why the execution role may not decrypt a found secret

    @property
    def problem(self) -> str | None:
        """The problem line of a missing secret, or of one the execution role may not decrypt
        (None otherwise)."""
        if self.status == MISSING:
            return f"{self.path}: {self.reason}"
        return f"{self.path}.kms_key_arn: {self.key_problem}" if self.key_problem else None

    def line(self) -> str:
        """The report line: the field, its status and the secret (with its customer managed
        key), and why it or its key was not checked."""
        if self.status == NOT_CHECKED:
            return f"{self.path}: {self.status} ({self.secret}): {self.reason}"
        return f"{self.path}: {self.status} ({self.secret}{described_key(self.key)})"


@dataclass(frozen=True)
class _Lookup:
    """What one call said: FOUND, MISSING, _DELETED or NOT_CHECKED (with the error)."""

    state: str
    detail: str = ""
    key: str | None = None  # a found secret's KMS key as its description gives it


def service_secrets(config: PlatformConfig) -> list[tuple[str, SecretConfig, frozenset[str]]]:
    """(field path, secret, the keys its service's execution role may decrypt it with) for every
    secret of every service of every cluster, in the order of platform_config.model's
    `_secrets_in_region` (a cluster that is off has no services: the config refuses them). The
    role may decrypt with the `kms_key_arn` of each of the service's secrets held by the same
    service (stacks/ecs_secrets.py `grant_secret_keys`)."""
    found = []
    for kind, cluster in config.ecs.clusters.items():
        for service in cluster.services.values():
            for variable, secret in service.secrets.items():
                granted = frozenset(
                    other.kms_key_arn
                    for other in service.secrets.values()
                    if other.kms_key_arn and other.holding_service == secret.holding_service
                )
                path = f"ecs.{kind}.services.{service.name}.secrets.{variable}"
                found.append((path, secret, granted))
    return found


def check_secrets(config: PlatformConfig, session: Any, account: str) -> list[SecretStatus]:
    """The status of every secret the config's ECS services read, one per field path, with
    `account` the caller's. Raises only botocore's NoCredentialsError."""
    lookups = _Lookups(session)
    return [
        _status(path, secret, granted, config.region, account, lookups)
        for path, secret, granted in service_secrets(config)
    ]


@dataclass
class _Lookups:
    """Each secret's lookup and each key's description, made once however many fields share
    them."""

    session: Any
    secrets: dict[_Key, _Lookup] = field(default_factory=dict)
    keys: dict[tuple[str, str | None], EncryptionKey] = field(default_factory=dict)

    def secret(self, key: _Key, call: Callable[[], _Lookup]) -> _Lookup:
        if key not in self.secrets:
            self.secrets[key] = _guarded(call)
        return self.secrets[key]

    def key(self, region: str, key_id: str | None) -> EncryptionKey:
        if (region, key_id) not in self.keys:
            self.keys[region, key_id] = encryption_key(self.session, region, key_id)
        return self.keys[region, key_id]


def _status(
    path: str,
    secret: SecretConfig,
    granted: Collection[str],
    region: str,
    account: str,
    lookups: _Lookups,
) -> SecretStatus:
    described = _describe(secret, region)
    arn = secret.secrets_manager_arn or secret.ssm_parameter_arn
    if arn is not None:
        region = arn.split(":")[3]
        foreign = other_account(arn, account)
        if foreign:
            return SecretStatus(path, described, NOT_CHECKED, foreign)
    session = lookups.session
    if secret.ssm_parameter_arn is not None:
        names = ssm_parameter_names(secret.ssm_parameter_arn)
        key: _Key = ("ssm", region, secret.ssm_parameter_arn)
        lookup = lookups.secret(key, lambda: _parameter(session, region, names))
    else:
        secret_id = secret.source
        key = ("secretsmanager", region, secret_id)
        lookup = lookups.secret(key, lambda: _secret(session, region, secret_id))
    if lookup.state == FOUND:
        encryption = lookups.key(region, lookup.key)
        problem = key_problem(
            encryption,
            configured=secret.kms_key_arn,
            granted=granted,
            described=described,
            consequence=(
                "the execution role may not decrypt it, so every task of the service would fail "
                "to start (ResourceInitializationError)"
            ),
        )
        return SecretStatus(path, described, FOUND, key=encryption, key_problem=problem)
    if lookup.state == NOT_CHECKED:
        return SecretStatus(path, described, NOT_CHECKED, lookup.detail)
    reason = _missing(secret, region, account, lookup.state == _DELETED)
    return SecretStatus(path, described, MISSING, reason)


def ssm_parameter_names(arn: str) -> list[str]:
    """The parameter names that have this ARN: `parameter/a/b` is `/a/b` only (a name with a `/`
    must start with one); `parameter/name` is `name` or `/name`."""
    rest = arn.split(":", 5)[5].removeprefix("parameter/")
    return [f"/{rest}"] if "/" in rest else [rest, f"/{rest}"]


def secret_name_of_arn(arn: str) -> str:
    """The secret name in a complete Secrets Manager ARN (without the 6-character suffix)."""
    return arn.split(":", 6)[6].rsplit("-", 1)[0]


def _describe(secret: SecretConfig, region: str) -> str:
    if secret.secrets_manager_name is not None:
        return f"Secrets Manager secret '{secret.secrets_manager_name}' in {region}"
    if secret.secrets_manager_arn is not None:
        return f"Secrets Manager secret {secret.secrets_manager_arn}"
    return f"SSM parameter {secret.ssm_parameter_arn}"


def _secret(session: Any, region: str, secret_id: str) -> _Lookup:
    """Secrets Manager's word on the secret (ResourceNotFoundException: see `_guarded`)."""
    client = session.client("secretsmanager", region_name=region)
    described = client.describe_secret(SecretId=secret_id)
    state = _DELETED if described.get("DeletedDate") else FOUND
    return _Lookup(state, key=described.get("KmsKeyId"))


def _parameter(session: Any, region: str, names: list[str]) -> _Lookup:
    client = session.client("ssm", region_name=region)
    pages = client.get_paginator("describe_parameters").paginate(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": names}]
    )
    # DescribeParameters may return empty pages with a NextToken: read them all.
    found = [
        parameter
        for page in pages
        for parameter in page["Parameters"]
        if parameter["Name"] in names
    ]
    if not found:
        return _Lookup(MISSING)
    secure = found[0].get("Type") == "SecureString"
    return _Lookup(FOUND, key=found[0].get("KeyId") if secure else None)


def _guarded(call: Callable[[], _Lookup]) -> _Lookup:
    """`call()`; MISSING on Secrets Manager's "no such secret" (ResourceNotFoundException);
    NOT_CHECKED with the error when AWS refused the call or could not be reached."""
    return looked_up(
        call,
        not_checked=lambda why: _Lookup(NOT_CHECKED, why),
        by_code={"ResourceNotFoundException": _Lookup(MISSING)},
    )


def _missing(secret: SecretConfig, region: str, account: str, deleted: bool) -> str:
    """The problem text of a missing secret (after its field path): what is missing, where, why it
    matters and what to do."""
    where = f"in account {account}, region {region}"
    fails = "every task of the service would fail to start"
    if secret.ssm_parameter_arn is not None:
        names = ssm_parameter_names(secret.ssm_parameter_arn)
        named = " or ".join(f"'{name}'" for name in names)
        return (
            f"SSM parameter {named} ({secret.ssm_parameter_arn}) does not exist {where}: {fails}; "
            f"create it first: aws ssm put-parameter --name {names[0]} --type SecureString "
            f"--value ... --region {region}"
        )
    name = secret.secrets_manager_name or secret_name_of_arn(secret.secrets_manager_arn or "")
    described = f"Secrets Manager secret {secret.secrets_manager_arn or repr(name)}"
    if deleted:
        return (
            f"{described} is scheduled for deletion {where}: {fails}; restore it first: aws "
            f"secretsmanager restore-secret --secret-id {name} --region {region}"
        )
    value, shape = "...", ""
    if secret.json_key is not None:
        value = f'\'{{"{secret.json_key}": "..."}}\''
        shape = f" (its value must be a JSON object holding the key '{secret.json_key}')"
    create = (
        f"aws secretsmanager create-secret --name {name} --secret-string {value} --region {region}"
    )
    if secret.secrets_manager_name is None:  # an ARN: its random suffix is made at creation
        create += ", then put the complete ARN it prints here"
    return f"{described} does not exist {where}: {fails}; create it first{shape}: {create}"
