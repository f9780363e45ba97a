"""One secret a service's container reads as an environment variable, injected at start from
Secrets Manager or SSM Parameter Store (stacks/ecs_secrets.py imports it)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from container_constructs.checks import (
    MANAGED_POLICIES_PER_ROLE,
    MAX_SECRETS,
    SECRETS_MANAGER_SECRET_NAME,
)
from container_constructs.value_formats import (
    KMS_KEY_ARN_FORMAT,
    SECRETS_MANAGER_SECRET_ARN_FORMAT,
    SSM_PARAMETER_ARN_FORMAT,
    arn_region,
)
from platform_config.base import Section


class SecretConfig(Section):
    """One secret injected into a container as an environment variable: exactly one of
    `secrets_manager_arn`, `secrets_manager_name` or `ssm_parameter_arn`."""

    secrets_manager_arn: str | None = Field(
        default=None,
        description=(
            "Complete secret ARN, with the 6-character suffix Secrets Manager adds "
            "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf); any account/region."
        ),
    )
    secrets_manager_name: str | None = Field(
        default=None,
        description=(
            "Secret name in the environment's own account and region (no suffix); the "
            "execution role may read NAME-??????."
        ),
    )
    json_key: str | None = Field(
        default=None, description="Inject this key of a JSON secret (Secrets Manager only)."
    )
    ssm_parameter_arn: str | None = Field(
        default=None,
        description="Parameter ARN, any account/region: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME.",
    )
    kms_key_arn: str | None = Field(
        default=None,
        description=(
            "Customer-managed KMS key ARN the secret is encrypted with (same region as the "
            "secret): the execution role gets kms:Decrypt on it via Secrets Manager/SSM only "
            "(make deploy checks the secret's key is one of its service's)."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: object) -> object:
        if isinstance(value, str):  # the format before secrets named their kind
            kind = "ssm_parameter_arn" if ":ssm:" in value else "secrets_manager_arn"
            raise ValueError(
                f"'{value}': give the secret as an object naming its kind, e.g. "
                f'{{"{kind}": "{value}"}}; kinds: secrets_manager_arn, secrets_manager_name, '
                "ssm_parameter_arn"
            )
        return value

    @field_validator("secrets_manager_arn")
    @classmethod
    def _complete_arn(cls, value: str | None) -> str | None:
        return SECRETS_MANAGER_SECRET_ARN_FORMAT.check(
            value, note="for a secret of this account/region by name use secrets_manager_name"
        )

    @field_validator("secrets_manager_name")
    @classmethod
    def _secret_name(cls, value: str | None) -> str | None:
        if value is not None and (
            value.startswith("arn:") or not SECRETS_MANAGER_SECRET_NAME.match(value)
        ):
            raise ValueError(
                f"'{value}' is not a Secrets Manager secret name; allowed: 1-512 letters, "
                "digits and /_+=.@- (a complete ARN goes in secrets_manager_arn)"
            )
        return value

    @field_validator("json_key")
    @classmethod
    def _json_key(cls, value: str | None) -> str | None:
        if value is not None and (not value or ":" in value):
            raise ValueError(f"'{value}' is not a JSON key; allowed: a non-empty key without ':'")
        return value

    @field_validator("ssm_parameter_arn")
    @classmethod
    def _parameter_arn(cls, value: str | None) -> str | None:
        return SSM_PARAMETER_ARN_FORMAT.check(value)

    @field_validator("kms_key_arn")
    @classmethod
    def _key_arn(cls, value: str | None) -> str | None:
        return KMS_KEY_ARN_FORMAT.check(value)

    @model_validator(mode="after")
    def _one_kind(self) -> SecretConfig:
        kinds = [
            kind
            for kind in ("secrets_manager_arn", "secrets_manager_name", "ssm_parameter_arn")
            if getattr(self, kind) is not None
        ]
        if len(kinds) != 1:
            given = f"got {', '.join(kinds)}" if kinds else "got none"
            raise ValueError(
                "give exactly one of secrets_manager_arn, secrets_manager_name, "
                f"ssm_parameter_arn; {given}"
            )
        if self.json_key is not None and self.ssm_parameter_arn is not None:
            raise ValueError("json_key: only with secrets_manager_arn or secrets_manager_name")
        region = self.region
        if self.kms_key_arn is not None and region is not None:
            key_region = arn_region(self.kms_key_arn)
            if key_region != region:
                raise ValueError(
                    f"kms_key_arn: the key is in {key_region} but the secret in {region}; "
                    "allowed: a key in the secret's region"
                )
        return self

    @property
    def region(self) -> str | None:
        """The secret's region when its ARN says (None for a name: the environment's region)."""
        arn = self.secrets_manager_arn or self.ssm_parameter_arn
        return arn_region(arn) if arn is not None else None

    @property
    def key_region(self) -> str | None:
        """The region of `kms_key_arn` (None without a key)."""
        return arn_region(self.kms_key_arn) if self.kms_key_arn is not None else None

    @property
    def holding_service(self) -> str:
        """The service that holds the secret and decrypts it for ECS: "ssm" or "secretsmanager"
        (the kms:ViaService prefix of the execution role's grant on `kms_key_arn`)."""
        return "ssm" if self.ssm_parameter_arn is not None else "secretsmanager"

    @property
    def source(self) -> str:
        """The secret or parameter it reads (variables reading keys of one secret share it)."""
        source = self.secrets_manager_arn or self.secrets_manager_name or self.ssm_parameter_arn
        assert source is not None  # _one_kind
        return source


def check_secret_count(secrets: dict[str, SecretConfig]) -> None:
    """At most MAX_SECRETS distinct secrets: each adds statements to the execution role's policy,
    and past IAM's inline quota aws-cdk-lib attaches the rest as managed policies, of which IAM
    attaches MANAGED_POLICIES_PER_ROLE per role by default."""
    sources = {spec.source for spec in secrets.values()}
    if len(sources) > MAX_SECRETS:
        raise ValueError(
            f"secrets: {len(sources)} distinct secrets, at most {MAX_SECRETS}: each adds to the "
            "execution role's policy, which past IAM's 10,240-character inline quota goes into "
            f"managed policies, and IAM attaches at most {MANAGED_POLICIES_PER_ROLE} to a role "
            "(its default quota); allowed: fewer secrets, or keys of one JSON secret (json_key)"
        )
