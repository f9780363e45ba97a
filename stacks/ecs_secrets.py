"""A web service's secrets from its config: each imported into the service stack as the
`ecs.Secret` its container reads, and the execution role's decrypt grant on their keys."""

from __future__ import annotations

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from platform_config.ecs_service import ServiceConfig
from stacks import names


def service_secrets(scope: Construct, service: ServiceConfig) -> dict[str, ecs.Secret]:
    """The service's secrets by variable, each imported into `scope` so that aws-cdk-lib's grant
    to the execution role names exactly it: a complete ARN as given, a name as NAME-?????? in the
    stack's account and region, a parameter by its full ARN (account and region kept)."""
    secrets: dict[str, ecs.Secret] = {}
    for variable, spec in sorted(service.secrets.items()):
        construct_id = names.service_secret_construct_id(service.name, variable)
        if spec.ssm_parameter_arn is not None:
            parameter = ssm.StringParameter.from_string_parameter_arn(
                scope, construct_id, spec.ssm_parameter_arn
            )
            secrets[variable] = ecs.Secret.from_ssm_parameter(parameter)
            continue
        if spec.secrets_manager_arn is not None:
            secret = secretsmanager.Secret.from_secret_complete_arn(
                scope, construct_id, spec.secrets_manager_arn
            )
        else:
            assert spec.secrets_manager_name is not None  # SecretConfig: exactly one kind
            secret = secretsmanager.Secret.from_secret_name_v2(
                scope, construct_id, spec.secrets_manager_name
            )
        secrets[variable] = ecs.Secret.from_secrets_manager(secret, spec.json_key)
    return secrets


def grant_secret_keys(role: iam.IRole, service: ServiceConfig, region: str) -> None:
    """kms:Decrypt on each customer-managed key of the service's secrets, only through the
    service that holds the secret (kms:ViaService) in the key's region (`region`, the stack's,
    for a secret named without an ARN)."""
    services_by_key: dict[str, set[str]] = {}
    for spec in service.secrets.values():
        if spec.kms_key_arn is None:
            continue
        key_region = spec.key_region or region
        via = f"{spec.holding_service}.{key_region}.amazonaws.com"
        services_by_key.setdefault(spec.kms_key_arn, set()).add(via)
    for key_arn, via_services in sorted(services_by_key.items()):
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key_arn],
                conditions={"StringEquals": {"kms:ViaService": sorted(via_services)}},
            )
        )
