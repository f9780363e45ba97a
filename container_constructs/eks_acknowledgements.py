"""cdk-nag acknowledgements of an `EksCluster` (a companion of `eks_cluster.py`): the AWS managed
policies EKS requires on its roles, and what aws-cdk-lib's own kubectl provider brings.

None depends on aws-cdk-lib's internal construct ids, so an aws-cdk-lib upgrade cannot silently
break one. Each is made on a public attribute (`Cluster.role`, `FargateProfile.
pod_execution_role`, `IKubectlProvider.role`), on a construct we hold that contains the findings
(the cluster for the Auto Mode node role it keeps to itself, the kubectl provider), or on the
provider's handler, found as the function whose role is the provider's public `role`. Finding
ids that embed a synthesized value (a logical id, an `Fn::If` with its condition) are rendered
from that value the way cdk-nag renders it, and only for the policies named here: a renamed
internal moves its id along, and a new finding fails synth instead of being acknowledged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

NAG = "AwsSolutions::AwsSolutions"
CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
# What aws_eks_v2 attaches to the cluster role, and to the node role it creates (and does not
# expose), in Auto Mode.
AUTO_MODE_CLUSTER_POLICIES = (
    "AmazonEKSComputePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
)
AUTO_MODE_NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly")
FARGATE_POD_EXECUTION_POLICIES = ("AmazonEKSFargatePodExecutionRolePolicy",)

# The kubectl provider's two functions (its kubectl handler and the custom-resource framework's
# entry point) both carry these.
_PROVIDER_POLICIES = {
    "service-role/AWSLambdaBasicExecutionRole": "aws-cdk-lib's kubectl provider Lambdas log "
    "with this policy",
    "service-role/AWSLambdaVPCAccessExecutionRole": "the kubectl provider Lambdas run in the VPC "
    "to reach the private API endpoint",
}
# The kubectl handler's role (`IKubectlProvider.role`) also carries these.
_HANDLER_ROLE_POLICIES = {
    "AmazonEC2ContainerRegistryReadOnly": "aws-cdk-lib's kubectl handler pulls Helm charts from "
    "ECR with it",
    "AmazonElasticContainerRegistryPublicReadOnly": "aws-cdk-lib's kubectl handler may pull "
    "public Helm charts from ECR Public (attached only in partitions that have it)",
}


def managed_policy_finding(name: str) -> str:
    """cdk-nag's IAM4 id for the AWS managed policy `name` attached by name, e.g.
    `service-role/AWSLambdaBasicExecutionRole`."""
    return f"{NAG}-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]"


def acknowledge_service_policies(
    scope: IConstruct, names: Sequence[str], *, holder: str = "this role"
) -> None:
    """Acknowledge cdk-nag's IAM4 on `scope` (a role, or a construct containing the role
    `holder` names) for the AWS managed policies EKS requires: they are the documented,
    AWS-maintained permission sets of the cluster, node and pod execution roles (a hand-written
    copy would drift as EKS adds features)."""
    for name in names:
        Validations.of(scope).acknowledge(
            Acknowledgment(
                id=managed_policy_finding(name),
                reason=f"{name} is the AWS-maintained policy EKS documents for {holder}",
            )
        )


def acknowledge_pull_grant(role: iam.IRole) -> None:
    """Acknowledge IAM5 on the policy an ECR pull grant gave `role` (call after granting)."""
    Validations.of(role).acknowledge(
        Acknowledgment(
            id=f"{NAG}-IAM5[Resource::*]",
            reason="ecr:GetAuthorizationToken supports no resource-level permissions; image "
            "pulls themselves are scoped to the granted repositories",
        )
    )


def acknowledge_cluster_roles(cluster: eks.Cluster, *, auto_mode: bool) -> None:
    """Acknowledge the AWS managed policies of the cluster role and, in Auto Mode, of the node
    role aws_eks_v2 creates inside the cluster construct."""
    acknowledge_service_policies(
        cluster.role, [*CLUSTER_POLICIES, *(AUTO_MODE_CLUSTER_POLICIES if auto_mode else ())]
    )
    if auto_mode:
        acknowledge_service_policies(
            cluster, AUTO_MODE_NODE_POLICIES, holder="the Auto Mode node role of this cluster"
        )


def acknowledge_kubectl_provider(provider: eks.IKubectlProvider) -> None:
    """Acknowledge what cdk-nag reports on aws-cdk-lib's kubectl provider, which we cannot change
    short of forking it: the managed policies of its functions' roles, the handler's runtime
    (pinned by aws-cdk-lib to match its layers) and the framework's invoke permission on the
    handler's versions."""
    role = provider.role
    if role is None:  # an imported provider: nothing of it is in this app
        return
    for name, reason in _PROVIDER_POLICIES.items():
        Validations.of(provider).acknowledge(
            Acknowledgment(id=managed_policy_finding(name), reason=reason)
        )
    _acknowledge_attached_policies(role, _HANDLER_ROLE_POLICIES)
    handler = _function_with_role(provider, role)
    if handler is None:  # its findings then fail synth: nothing is acknowledged blindly
        return
    Validations.of(handler).acknowledge(
        Acknowledgment(
            id=f"{NAG}-L1",
            reason="aws-cdk-lib pins the kubectl handler's Python runtime to match its layers",
        )
    )
    versions = nag_rendering(Stack.of(handler).resolve(f"{handler.function_arn}:*"))
    Validations.of(provider).acknowledge(
        Acknowledgment(
            id=f"{NAG}-IAM5[Resource::{versions}]",
            reason="the provider framework invokes versions of its own kubectl handler only",
        )
    )


def nag_rendering(value: Any) -> str:
    """A resolved CloudFormation value as cdk-nag writes it into a finding id (its
    `flattenCfnReference`): Fn::Join joined, Ref and Fn::GetAtt as `<Id>` and `<Id.Attr>`,
    Fn::Sub's `${...}` as `<...>`, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if value.get("Fn::Join"):
            delimiter, items = value["Fn::Join"]
            return str(delimiter).join(nag_rendering(item) for item in items)
        if value.get("Fn::Sub"):
            return nag_rendering(value["Fn::Sub"])
        if value.get("Fn::GetAtt"):
            resource, attribute = value["Fn::GetAtt"]
            return f"<{nag_rendering(resource)}.{nag_rendering(attribute)}>"
        if value.get("Fn::ImportValue"):
            return nag_rendering(value["Fn::ImportValue"])
        if value.get("Ref"):
            return f"<{nag_rendering(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _acknowledge_attached_policies(role: iam.IRole, reasons: Mapping[str, str]) -> None:
    """IAM4 for each AWS managed policy of `role` named in `reasons`, with the id cdk-nag gives
    its ARN as attached (which may be conditional)."""
    resource = role.node.default_child
    if not isinstance(resource, iam.CfnRole):
        return
    arns = Stack.of(resource).resolve(resource.managed_policy_arns) or []
    for rendered in (nag_rendering(arn) for arn in arns):
        for name, reason in reasons.items():
            if re.search(rf":iam::aws:policy/{re.escape(name)}(?=$|\")", rendered):
                Validations.of(role).acknowledge(
                    Acknowledgment(id=f"{NAG}-IAM4[Policy::{rendered}]", reason=reason)
                )


def _function_with_role(scope: IConstruct, role: iam.IRole) -> lambda_.Function | None:
    """The function under `scope` that runs as `role`, if exactly one does."""
    found = [
        child
        for child in scope.node.find_all()
        if isinstance(child, lambda_.Function)
        and child.role is not None
        and child.role.node.path == role.node.path
    ]
    return found[0] if len(found) == 1 else None
