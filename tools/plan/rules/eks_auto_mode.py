"""eks-auto-mode-off: EKS Auto Mode turned off on an existing cluster.

"You can disable EKS Auto Mode on an existing EKS Cluster. This is a destructive operation. EKS
will terminate all EC2 instances operated by EKS Auto Mode. EKS will delete all Load Balancers
operated by EKS Auto Mode. EKS will not delete EBS volumes provisioned by EKS Auto Mode" (Amazon
EKS user guide, "Disable EKS Auto Mode",
https://docs.aws.amazon.com/eks/latest/userguide/auto-disable.html, read 2026-12-05). aws_eks_v2
writes Auto Mode as three settings of the cluster, ComputeConfig.Enabled,
KubernetesNetworkConfig.ElasticLoadBalancing.Enabled and StorageConfig.BlockStorage.Enabled, true
with eks.compute.mode auto_mode and false with the other modes; they update in place
(UpdateClusterConfig, tools/plan/schema_impact.py), so the deploy succeeds and takes the workloads
down: every pod on Auto Mode nodes stops until other nodes are up, and the node groups or Fargate
profiles of the new mode name the cluster, so CloudFormation creates them only after its update
(the platform's managed node groups also depend on the add-ons). Every Service or Ingress whose
load balancer Auto Mode made loses it, and the platform installs no AWS Load Balancer Controller
to make another. The same page gives the check for security groups Auto Mode failed to delete,
which the last step quotes. A cluster replaced or removed is not this rule's business
(fixed-name, stateful-retained, stack-left-app).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.plan.model import Refusal
from tools.plan.transition import Transition

RULE_ID = "eks-auto-mode-off"
TITLE = (
    "EKS Auto Mode turned off on an existing cluster (EKS terminates its nodes and deletes its "
    "load balancers)"
)
ACCEPT_WHEN = (
    "the workloads on Auto Mode nodes may go down (nothing runs there yet, or they were moved to "
    "node groups created beforehand, in an earlier deploy) and no load balancer Auto Mode made "
    "is still needed"
)
CLUSTER = "AWS::EKS::Cluster"
# Auto Mode's settings of AWS::EKS::Cluster, as aws_eks_v2 writes them (EKS enables or disables
# the three together).
SETTINGS = (
    ("ComputeConfig", "Enabled"),
    ("KubernetesNetworkConfig", "ElasticLoadBalancing", "Enabled"),
    ("StorageConfig", "BlockStorage", "Enabled"),
)
COMPUTE = SETTINGS[0]


def enabled(properties: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    """Whether the setting at `path` is true (absent, false or not a literal: not enabled)."""
    value: Any = properties
    for step in path:
        value = value.get(step) if isinstance(value, Mapping) else None
    return value is True


def check(transition: Transition) -> list[Refusal]:
    refusals = []
    for stack, logical_id, old_properties, new_properties in transition.kept_resources(CLUSTER):
        if (stack, logical_id) in transition.renewed:
            continue
        if enabled(old_properties, COMPUTE) and not enabled(new_properties, COMPUTE):
            refusals.append(_refusal(transition, stack, logical_id, old_properties, new_properties))
    return refusals


def _refusal(
    transition: Transition,
    stack: str,
    cluster: str,
    old_properties: Mapping[str, Any],
    new_properties: Mapping[str, Any],
) -> Refusal:
    after = transition.target[stack]
    turned_off = ", ".join(
        ".".join(path)
        for path in SETTINGS
        if enabled(old_properties, path) and not enabled(new_properties, path)
    )
    reason = (
        f"{after.label(cluster)} turns EKS Auto Mode off ({turned_off} no longer true): EKS "
        "terminates every EC2 instance Auto Mode operates and deletes every load balancer it "
        "operates, so the pods on its nodes are down until other nodes are up (node groups and "
        "Fargate profiles are created after the cluster's update) and Services and Ingresses "
        "lose their load balancers (the platform installs no AWS Load Balancer Controller to "
        "make new ones)"
    )
    name = new_properties.get("Name")
    cluster_name = name if isinstance(name, str) else "<cluster>"
    steps = (
        "Keep eks.compute.mode auto_mode until what runs on Auto Mode nodes may go down and no "
        "load balancer Auto Mode made is needed: first move what must stay up to nodes Auto "
        "Mode does not run (node groups made in an earlier deploy, outside this config, which "
        "has none beside Auto Mode), and the clients of those load balancers elsewhere.",
        f"Then `make deploy PLAN_ACCEPT={RULE_ID}`: EKS terminates the Auto Mode nodes and "
        "deletes their load balancers, and the new mode's nodes come up after the cluster.",
        "After it, delete what Auto Mode left: the EBS volumes it provisioned, once their data is "
        "not needed, and any security group it failed to delete (`aws ec2 "
        f"describe-security-groups --filters Name=tag:eks:eks-cluster-name,Values={cluster_name} "
        "Name=tag-key,Values=ingress.eks.amazonaws.com/resource,service.eks.amazonaws.com/"
        "resource`).",
    )
    return Refusal(RULE_ID, stack, after.path(cluster), reason, steps)
