"""The plan's hand-made cases planned in one process, as the plan's unit tests read them: every
case of tests/plan/helpers/cases.py by `make_plans` (one run of the diff engine) and each of
NETWORK_CHANGES diffed by the engine alone (a second run, one stack per case).

`python -m tests.plan.helpers.batch OUT` pickles both into OUT: tests/helpers/commands.py runs it
beside the suite ("plan-cases"), so the engine's Node.js processes overlap the in-process tests;
`load()` reads its outcome."""

from __future__ import annotations

import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.early import Outcome
from tools.plan.model import Impact, Plan, ResourceChange, StackTemplate

# A cluster's KubernetesNetworkConfig after the deploy (before: `IpFamily: ipv4` alone), and the
# cluster's impact. Auto Mode's load balancing: the schema makes only IpFamily and ServiceIpv4Cidr
# create-only, though the engine's specification marks the whole property as replacing.
NETWORK_CHANGES: dict[str, tuple[dict[str, object], Impact]] = {
    "load-balancing": (
        {"IpFamily": "ipv4", "ElasticLoadBalancing": {"Enabled": True}},
        Impact.UPDATE,
    ),
    "ip-family": ({"IpFamily": "ipv6"}, Impact.REPLACE),
    "service-cidr": ({"IpFamily": "ipv4", "ServiceIpv4Cidr": "172.20.0.0/16"}, Impact.REPLACE),
}


@dataclass(frozen=True)
class Batch:
    planned: dict[str, Plan]  # by case name
    network_changes: dict[str, tuple[ResourceChange, ...]]  # by NETWORK_CHANGES name


def cluster(network: dict[str, object]) -> StackTemplate:
    """An EKS cluster with `network` and an add-on that names it."""
    properties = {
        "Name": "c",
        "RoleArn": "arn:aws:iam::111122223333:role/eks",
        "ResourcesVpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"]},
        "KubernetesNetworkConfig": network,
    }
    addon = {"ClusterName": {"Ref": "Cluster"}, "AddonName": "metrics-server"}
    template = {
        "Resources": {
            "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": properties},
            "Addon": {"Type": "AWS::EKS::Addon", "Properties": addon},
        }
    }
    return StackTemplate("eks", template)


def compute() -> Batch:
    from tests.plan.helpers.cases import all_requests
    from tools.plan.engine import StackPair, diff_stacks
    from tools.plan.planner import make_plans

    requests = all_requests()
    planned = dict(zip(requests, make_plans(list(requests.values())), strict=True))
    before = cluster({"IpFamily": "ipv4"})
    pairs = [StackPair(name, before, cluster(new)) for name, (new, _) in NETWORK_CHANGES.items()]
    return Batch(planned, diff_stacks(pairs)[1])


def load(outcome: Outcome) -> Batch:
    """What the command "plan-cases" wrote."""
    if outcome.returncode != 0:
        raise AssertionError(f"planning the hand-made cases failed:\n{outcome.stderr}")
    planned, network_changes = pickle.loads((outcome.work / "plans.pickle").read_bytes())
    return Batch(planned, network_changes)


if __name__ == "__main__":
    computed = compute()  # pickled as plain data: this module runs as __main__ here
    Path(sys.argv[1]).write_bytes(pickle.dumps((computed.planned, computed.network_changes)))
