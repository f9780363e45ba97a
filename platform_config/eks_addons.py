"""Sub-sections of `eks` for what runs on the cluster: managed add-ons as data, Pod Identity
permissions (add-ons and workloads), and the Argo CD capability. The defaults (the add-on set
per compute mode, versions per Kubernetes minor, each add-on's service account and AWS policy)
are the tables of container_constructs/eks_versions.py."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.eks_versions import ADDON_VERSION_PATTERN
from container_constructs.value_formats import (
    IAM_CUSTOMER_POLICY_ARN_FORMAT,
    IDENTITY_CENTER_INSTANCE_ARN_FORMAT,
    REGION_FORMAT,
    RESOURCE_ARN_FORMAT,
)
from platform_config.base import Section

K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# A service account name is a DNS-1123 subdomain
# (cdk-preflight pf-eks-podidentity-service-account-format).
_K8S_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_ADDON_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_ADDON_VERSION = re.compile(ADDON_VERSION_PATTERN)
_ACTION = re.compile(r"^[a-zA-Z0-9-]+:[A-Za-z0-9]+$")
_AWS_POLICY_NAME = re.compile(r"^([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,128}$")
_IDENTITY_ID = re.compile(r"^[a-zA-Z0-9-]{1,64}$")
# EKS limits ConfigurationValues (AWS::EKS::Addon resource schema: maxLength not given; the EKS
# API's CreateAddon documents none either), so this bound only keeps templates readable.
MAX_CONFIGURATION_CHARS = 16384
LEAST_PRIVILEGE = (
    "wildcards are not allowed in inline statements (least privilege, cdk-nag AwsSolutions-IAM5); "
    "allowed: exact actions such as s3:GetObject and exact resource ARNs; put what needs a "
    "wildcard in a customer managed policy and list it in managed_policy_arns"
)


def customer_policy_arns(value: list[str]) -> list[str]:
    """`value` if every item is a customer managed policy ARN, else a ValueError saying so."""
    return IAM_CUSTOMER_POLICY_ARN_FORMAT.check_each(
        value, note="AWS managed policies are granted only where AWS documents them for an add-on"
    )


class PolicyStatementConfig(Section):
    """One inline IAM policy statement, least privilege: no wildcards."""

    effect: Literal["Allow", "Deny"] = Field(default="Allow", description="Allow or Deny.")
    actions: list[str] = Field(min_length=1, description="Exact actions, e.g. s3:GetObject.")
    resources: list[str] = Field(min_length=1, description="Exact resource ARNs.")

    @field_validator("actions")
    @classmethod
    def _exact_actions(cls, value: list[str]) -> list[str]:
        for action in value:
            if "*" in action:
                raise ValueError(f"'{action}': {LEAST_PRIVILEGE}")
            if not _ACTION.match(action):
                raise ValueError(f"'{action}' is not an IAM action such as s3:GetObject")
        return value

    @field_validator("resources")
    @classmethod
    def _exact_resources(cls, value: list[str]) -> list[str]:
        for resource in value:
            if "*" in resource:
                raise ValueError(f"'{resource}': {LEAST_PRIVILEGE}")
            RESOURCE_ARN_FORMAT.check(resource)
        return value


class PermissionsConfig(Section):
    """AWS permissions of a Pod Identity role: customer managed policies and inline statements."""

    managed_policy_arns: list[str] = Field(
        default_factory=list,
        description="Customer managed policy ARNs (arn:aws:iam::<account>:policy/<name>).",
    )
    statements: list[PolicyStatementConfig] = Field(
        default_factory=list, description="Inline statements (exact actions and ARNs)."
    )

    @field_validator("managed_policy_arns")
    @classmethod
    def _policy_arns(cls, value: list[str]) -> list[str]:
        return customer_policy_arns(value)


class AddonPodIdentityConfig(PermissionsConfig):
    """The Pod Identity role of an add-on's service account."""

    enabled: bool = Field(default=True, description="false: the add-on gets no role.")
    aws_managed_policies: list[str] = Field(
        default_factory=list,
        description="AWS managed policy names AWS documents for this add-on (e.g. "
        "service-role/AmazonEFSCSIDriverPolicy), added to the platform's defaults.",
    )
    service_account: str | None = Field(
        default=None,
        description="The add-on's service account; default: the one the platform knows "
        "(vpc-cni aws-node, aws-ebs-csi-driver ebs-csi-controller-sa, "
        "amazon-cloudwatch-observability cloudwatch-agent).",
    )

    @field_validator("service_account")
    @classmethod
    def _valid_service_account(cls, value: str | None) -> str | None:
        if value is not None and not _K8S_SUBDOMAIN.match(value):
            raise ValueError(f"'{value}' is not a Kubernetes service account name")
        return value

    @field_validator("aws_managed_policies")
    @classmethod
    def _policy_names(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not _AWS_POLICY_NAME.match(name)]
        if bad:
            raise ValueError(
                f"{', '.join(repr(name) for name in bad)}: not an AWS managed policy name such "
                "as service-role/AmazonEFSCSIDriverPolicy (the name, not the ARN)"
            )
        return value


class AddonConfig(Section):
    """One EKS managed add-on. An empty object takes every default."""

    version: str | None = Field(
        default=None,
        description="vX.Y.Z-eksbuild.N; default: the platform's table for the cluster's "
        "Kubernetes minor (container_constructs/eks_versions.py), required for add-ons not in it. "
        "kube-proxy: not newer than the cluster's minor, at most 3 minors older; vpc-cni and "
        "eks-pod-identity-agent move one minor per deploy (make plan refuses more).",
    )
    configuration: dict[str, Any] | None = Field(
        default=None,
        description="Configuration values, a JSON object of the add-on's schema "
        "(aws eks describe-addon-configuration); default: the platform's (aws-ebs-csi-driver: "
        "its default gp3 StorageClass), {} for none.",
    )
    pod_identity: AddonPodIdentityConfig | None = Field(
        default=None,
        description="The add-on's Pod Identity role; default: the AWS-documented policy for "
        "vpc-cni, aws-ebs-csi-driver and amazon-cloudwatch-observability, none for the others.",
    )

    @field_validator("version")
    @classmethod
    def _valid_version(cls, value: str | None) -> str | None:
        if value is not None and not _ADDON_VERSION.match(value):
            raise ValueError(f"'{value}' is not an add-on version such as v1.22.4-eksbuild.3")
        return value

    @field_validator("configuration")
    @classmethod
    def _json_object(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        try:
            text = json.dumps(value, allow_nan=False, sort_keys=True)
        except (TypeError, ValueError) as error:
            raise ValueError(f"not a JSON object: {error}") from None
        if len(text) > MAX_CONFIGURATION_CHARS:
            raise ValueError(
                f"{len(text)} characters as JSON; allowed: at most {MAX_CONFIGURATION_CHARS}"
            )
        return value


class WorkloadIdentityConfig(PermissionsConfig):
    """AWS permissions for the pods of one service account (EKS Pod Identity: a role trusting
    pods.eks.amazonaws.com and an association; nothing to annotate in Kubernetes)."""

    namespace: str = Field(description="Kubernetes namespace of the service account.")
    service_account: str = Field(description="The service account the pods run as.")

    @field_validator("namespace")
    @classmethod
    def _valid_namespace(cls, value: str) -> str:
        if not K8S_NAME.match(value):
            raise ValueError(f"'{value}' is not a Kubernetes namespace name")
        return value

    @field_validator("service_account")
    @classmethod
    def _valid_service_account(cls, value: str) -> str:
        if not _K8S_SUBDOMAIN.match(value):
            raise ValueError(f"'{value}' is not a Kubernetes service account name")
        return value

    @model_validator(mode="after")
    def _some_permission(self) -> WorkloadIdentityConfig:
        if not self.managed_policy_arns and not self.statements:
            raise ValueError(
                "a workload identity needs managed_policy_arns or statements (a role with no "
                "permissions gives the pods nothing)"
            )
        return self


class ArgoCdIdentityConfig(Section):
    """An IAM Identity Center user or group."""

    id: str = Field(description="Identity Center user or group id (identitystore).")
    type: Literal["SSO_USER", "SSO_GROUP"] = Field(
        default="SSO_GROUP", description="User or group."
    )

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _IDENTITY_ID.match(value):
            raise ValueError(f"'{value}' is not an Identity Center user or group id")
        return value


class ArgoCdRoleMappingConfig(Section):
    """Who gets an Argo CD role."""

    role: Literal["ADMIN", "EDITOR", "VIEWER"] = Field(description="The Argo CD role.")
    identities: list[ArgoCdIdentityConfig] = Field(min_length=1)


class ArgoCdConfig(Section):
    """The EKS Argo CD capability (managed GitOps). Users sign in through IAM Identity Center;
    docs/eks.md shows how to point it at a Git repository."""

    enabled: bool = Field(default=False, description="Create the Argo CD capability.")
    idc_instance_arn: str | None = Field(
        default=None,
        description="IAM Identity Center instance ARN (aws sso-admin list-instances); "
        "required when enabled (Argo CD has no local users on EKS).",
    )
    idc_region: str | None = Field(
        default=None, description="The Identity Center instance's region; default: the cluster's."
    )
    namespace: str = Field(
        default=defaults.ARGOCD_NAMESPACE, description="Where Argo CD keeps Applications."
    )
    role_mappings: list[ArgoCdRoleMappingConfig] = Field(
        default_factory=list, description="Identity Center users and groups per Argo CD role."
    )
    managed_policy_arns: list[str] = Field(
        default_factory=list,
        description="Customer managed policies for the capability's role (CodeConnections or "
        "Secrets Manager repositories); none for public repositories.",
    )

    @field_validator("managed_policy_arns")
    @classmethod
    def _policy_arns(cls, value: list[str]) -> list[str]:
        return customer_policy_arns(value)

    @field_validator("idc_instance_arn")
    @classmethod
    def _valid_instance(cls, value: str | None) -> str | None:
        return IDENTITY_CENTER_INSTANCE_ARN_FORMAT.check(value)

    @field_validator("idc_region")
    @classmethod
    def _valid_region(cls, value: str | None) -> str | None:
        return REGION_FORMAT.check(value)

    @field_validator("namespace")
    @classmethod
    def _valid_namespace(cls, value: str) -> str:
        if not K8S_NAME.match(value):
            raise ValueError(f"'{value}' is not a Kubernetes namespace name")
        return value

    @model_validator(mode="after")
    def _usable(self) -> ArgoCdConfig:
        if self.enabled and self.idc_instance_arn is None:
            raise ValueError(
                "idc_instance_arn: required when enabled (the Argo CD capability signs users "
                "in through IAM Identity Center only); allowed: your instance's ARN from "
                "`aws sso-admin list-instances`"
            )
        roles = [mapping.role for mapping in self.role_mappings]
        duplicates = sorted({role for role in roles if roles.count(role) > 1})
        if duplicates:
            raise ValueError(f"role_mappings: {', '.join(duplicates)} mapped twice; list once")
        return self


def valid_addon_name(name: str) -> bool:
    return bool(_ADDON_NAME.match(name))
