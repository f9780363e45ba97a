"""What the account-check tests create in moto's account: a customer managed KMS key, and the
environment's network stack (the sign that it is deployed)."""

from __future__ import annotations

import json
from typing import Any

from stacks import names


def customer_managed_key(aws: Any, alias: str) -> str:
    """A customer managed KMS key in us-east-1 with `alias`; its ARN."""
    kms = aws.client("kms", region_name="us-east-1")
    arn = str(kms.create_key()["KeyMetadata"]["Arn"])
    kms.create_alias(AliasName=alias, TargetKeyId=arn)
    return arn


def deploy_network_stack(aws: Any, environment: str) -> None:
    """The environment's network stack exists (a stand-in with one resource)."""
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    aws.client("cloudformation").create_stack(
        StackName=names.stack_id(environment, names.NETWORK_UNIT),
        TemplateBody=json.dumps(template),
    )
