"""The `eks.endpoint` and `eks.access` sub-sections: who reaches the API server, and who gets
which EKS access policy (access entries)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from container_constructs import defaults
from container_constructs.checks import ipv4_network
from container_constructs.value_formats import IAM_ROLE_ARN_FORMAT
from platform_config.base import Section
from platform_config.eks_addons import K8S_NAME

_K8S_NAME = K8S_NAME


class EndpointConfig(Section):
    """Who can reach the Kubernetes API server. Changed in place (the cluster is kept)."""

    access: Literal["public_and_private", "private"] = Field(
        default="private",
        description="private: from the VPC only. public_and_private: also public_access_cidrs.",
    )
    public_access_cidrs: list[str] = Field(
        default_factory=list,
        description="IPv4 CIDRs allowed to the public endpoint (only with public_and_private).",
    )

    @field_validator("public_access_cidrs")
    @classmethod
    def _valid_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            if ipv4_network(cidr, example="203.0.113.0/24").prefixlen == 0:
                raise ValueError(
                    f"'{cidr}' opens the API endpoint to the whole internet; allowed: your "
                    "office or VPN egress CIDRs, e.g. 203.0.113.7/32"
                )
        return value

    @model_validator(mode="after")
    def _cidrs_match_access(self) -> EndpointConfig:
        if self.access == "public_and_private" and not self.public_access_cidrs:
            raise ValueError(
                "public_access_cidrs: required with access public_and_private "
                "(the CIDRs allowed to reach the public endpoint)"
            )
        if self.access == "private" and self.public_access_cidrs:
            raise ValueError("public_access_cidrs: only with access public_and_private")
        return self


def _role_arn_problem(value: list[str]) -> str | None:
    return IAM_ROLE_ARN_FORMAT.problem_of_each(value)


class NamespaceAccessConfig(Section):
    """A team's IAM role with an EKS access policy in its namespaces only."""

    role_arn: str = Field(description="The team's IAM role ARN.")
    namespaces: list[str] = Field(min_length=1, description="Namespaces the policy applies in.")
    policy: Literal["edit", "admin", "view"] = Field(
        default=defaults.NAMESPACE_ACCESS_POLICY,
        description="edit: AmazonEKSEditPolicy, admin: AmazonEKSAdminPolicy (also RBAC in the "
        "namespace), view: AmazonEKSViewPolicy.",
    )

    @field_validator("role_arn")
    @classmethod
    def _valid_arn(cls, value: str) -> str:
        problem = _role_arn_problem([value])
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("namespaces")
    @classmethod
    def _valid_namespaces(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not _K8S_NAME.match(name)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not Kubernetes namespace names")
        duplicates = sorted({name for name in value if value.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate namespaces {', '.join(duplicates)}")
        return value


class AccessConfig(Section):
    """Cluster authentication is always API mode (access entries); no aws-auth ConfigMap. EKS
    allows one access entry per IAM principal: a role appears in one list only."""

    cluster_admin_role_arns: list[str] = Field(
        default_factory=list,
        description="IAM role ARNs given AmazonEKSClusterAdminPolicy through access entries.",
    )
    viewer_role_arns: list[str] = Field(
        default_factory=list,
        description="IAM role ARNs given read-only AmazonEKSViewPolicy on the whole cluster.",
    )
    namespace_access: list[NamespaceAccessConfig] = Field(
        default_factory=list,
        description="Teams' roles with an access policy scoped to their namespaces.",
    )
    bootstrap_creator_admin: bool = Field(
        default=defaults.BOOTSTRAP_CREATOR_ADMIN,
        description=(
            "Make the deploying principal (the CloudFormation execution role) a cluster admin. "
            "Changing it replaces the cluster: with the cluster's fixed name the update fails, so "
            "destroy the EKS stack first, then deploy (its workloads go with it)."
        ),
    )
    deployer_admin: bool = Field(
        default=False,
        description=(
            "Give the person who deploys a cluster-admin access entry, so kubectl works right "
            "after `make deploy`: the EKS stack takes a DeployerAdminArn parameter (default "
            "empty: no entry), which `make deploy` sets to the caller's IAM user or role ARN "
            "(python -m tools.account.caller_arn, at deploy time; synth looks nothing up). The "
            "next deploy by someone else moves the entry to them. A caller listed in this "
            "section gets no second entry (EKS keeps one per principal); listing one whose "
            "deployer entry is deployed takes two deploys (`make deploy` stops and says which)."
        ),
    )

    @field_validator("cluster_admin_role_arns", "viewer_role_arns")
    @classmethod
    def _valid_arns(cls, value: list[str]) -> list[str]:
        problem = _role_arn_problem(value)
        if problem:
            raise ValueError(problem)
        duplicates = sorted({arn for arn in value if value.count(arn) > 1})
        if duplicates:
            raise ValueError(f"duplicate role ARNs: {', '.join(duplicates)}")
        return value

    @model_validator(mode="after")
    def _one_entry_per_role(self) -> AccessConfig:
        lists = {
            "cluster_admin_role_arns": self.cluster_admin_role_arns,
            "viewer_role_arns": self.viewer_role_arns,
            "namespace_access": [entry.role_arn for entry in self.namespace_access],
        }
        seen: dict[str, str] = {}
        for field, arns in lists.items():
            for arn in arns:
                if arn in seen and (seen[arn] != field or field == "namespace_access"):
                    raise ValueError(
                        f"{field}: {arn} is also in {seen[arn]}; EKS allows one access entry per "
                        "IAM principal: give each role one place (for several namespaces, list "
                        "them in one namespace_access entry)"
                    )
                seen[arn] = field
        return self
