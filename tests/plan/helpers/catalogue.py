"""The catalogue of day-two changes (issue 25): each a (before, after) config of a shipped
environment, as overrides merged over it like `OVERRIDES=` files, with what `make plan` must say:
clean, or refused by exactly the rules named (each refusal with its sequence). CI plans every
entry (tests/plan/test_catalogue.py); docs/changing.md is the reader's version.

An entry that is refused today because the platform lacks a fix names that fix in `fixed_by`; when
the fix lands, its entry flips to clean (`refused=()`) in the same change.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platform_config.environments import ENVIRONMENTS
from platform_config.layers import deep_merge
from platform_config.record import DEFAULT_CONFIG_DIR
from stacks import names

Overrides = dict[str, Any]

ROOT = Path(__file__).resolve().parents[3]

CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-1111-2222-3333-444455556666"
# Two more certificates for the HTTPS listener (SNI), and the Fargate ALB's HTTPS with some.
MORE_CERTIFICATES = tuple(
    CERTIFICATE.replace("0f0e0d0c", prefix) for prefix in ("0a0a0a0a", "0b0b0b0b")
)


def https_with(*additional: str) -> Overrides:
    """The Fargate cluster's ALB with CERTIFICATE and the `additional` certificates."""
    balancer = {"certificate_arn": CERTIFICATE, "additional_certificate_arns": list(additional)}
    return {"ecs": {"fargate": {"load_balancer": balancer}}}


# The shipped Fargate sample's service file in the config of record (config/), which every
# catalogue synth reads, as the sandbox sees it.
_RECORD_FARGATE = ROOT / DEFAULT_CONFIG_DIR / "services" / "fargate"


def _record_services() -> tuple[str, ...]:
    """The Fargate services the config of record gives the sandbox."""
    return tuple(sorted(path.stem for path in _RECORD_FARGATE.glob("*.json")))


def _fargate_sample(environment: str = "sandbox") -> dict[str, Any]:
    shared = json.loads((_RECORD_FARGATE / "sample.json").read_text(encoding="utf-8"))
    per_environment = shared.pop("environments")
    return deep_merge(shared, per_environment[environment])


def service(name: str, priority: int, path: str, **extra: Any) -> dict[str, Any]:
    """A sandbox Fargate service like the shipped sample (its image, user, sizes), at `priority`
    on `path` (`name` is its key in the cluster's services, not a field)."""
    return {
        **_fargate_sample(),
        "name": name,
        "route": {"priority": priority, "paths": [path]},
        **extra,
    }


def production_service(name: str, priority: int, path: str, **extra: Any) -> dict[str, Any]:
    """A production Fargate service like its shipped sample, at `priority` on `path`."""
    return {
        **_fargate_sample("production"),
        "name": name,
        "route": {"priority": priority, "paths": [path]},
        **extra,
    }


def workload(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    """A sandbox Fargate service of `kind` like the shipped sample otherwise (no route; a job has
    no scaling either: it runs one task per schedule)."""
    dropped = {"route", "scaling"} if kind == "job" else {"route"}
    sample = {key: value for key, value in _fargate_sample().items() if key not in dropped}
    return {**sample, "name": name, "kind": kind, **extra}


def fargate(*services: dict[str, Any], **section: Any) -> Overrides:
    """Overrides giving the sandbox's Fargate cluster exactly `services`: services merge by name,
    so each of the config of record's services not among them is removed explicitly (null)."""
    by_name: dict[str, Any] = dict.fromkeys(_record_services())
    for entry in services:
        body = copy.deepcopy(entry)
        by_name[body.pop("name")] = body
    return {"ecs": {"fargate": {"services": by_name, **section}}}


# The services baseline: the shipped sample at priority 50 (its "/*" catches what no earlier rule
# does), in stack services-5 (its own `stack`: a priority beyond the first services_per_stack
# names it), and an `api` service at 1 (services-1), so that services can be added before the
# catch-all without being shadowed. Priority 1's rule keeps the shipped sample's logical id
# (legacy_listener_rules); 2 and above are keyed by their priority.
SAMPLE = service("sample", 50, "/*", stack=5)
API = service("api", 1, "/api/*")
ADMIN = service("admin", 2, "/admin/*")
TWO_SERVICES = fargate(API, SAMPLE)
WORKER = workload("thumbnails", "worker")
NIGHTLY = {"expression": "cron(0 3 * * ? *)", "time_zone": "Europe/Berlin"}
JOB = workload("reports", "job", schedule=NIGHTLY)
BACKEND = workload("pricing", "backend")
PRODUCTION_SAMPLE = production_service("sample", 50, "/*", stack=5)
INTERNAL_GROUP = {"internal": {"internal": True}}
API_INTERNAL = service("api", 1, "/api/*", load_balancer="internal")
ALL_INTERNAL = fargate(
    API_INTERNAL, {**SAMPLE, "load_balancer": "internal"}, load_balancers=INTERNAL_GROUP
)
INTERNAL_DEFAULT = fargate(API, SAMPLE, load_balancer={"internal": True})
FARGATE_SERVICES_1 = names.ecs_services_unit("fargate", 1)
WORKER_STACK = names.ecs_workload_unit("fargate", "worker", WORKER["name"])
# The sandbox's network and every stack that runs in it (all but the registry and the alarms).
NETWORK_AND_USERS = (
    names.NETWORK_UNIT,
    names.ecs_cluster_unit("ec2"),
    names.ecs_cluster_unit("fargate"),
    names.ecs_services_unit("ec2", 1),
    FARGATE_SERVICES_1,
    names.EKS_UNIT,
)
TWO_ZONES = ["us-east-1a", "us-east-1b"]
THREE_ZONES = {"network": {"availability_zones": [*TWO_ZONES, "us-east-1c"]}}
CANARY = {"strategy": "canary", "step_bake_minutes": 3, "bake_time_minutes": 3}

# The sandbox's EKS node group and the EKS changes' values.
NODE_GROUP = ENVIRONMENTS["sandbox"]["eks"]["compute"]["node_groups"][0]
ADMIN_ROLE = "arn:aws:iam::111122223333:role/platform-admins"
SRE_ROLE = "arn:aws:iam::111122223333:role/sre"
ORDERS_IDENTITY = {
    "namespace": "orders",
    "service_account": "orders",
    "managed_policy_arns": ["arn:aws:iam::111122223333:policy/orders"],
}
OFFICE_CIDR = "198.51.100.7/32"
PUBLIC_ENDPOINT = {"access": "public_and_private", "public_access_cidrs": ["203.0.113.0/24"]}
ARGOCD = {"enabled": True, "idc_instance_arn": "arn:aws:sso:::instance/ssoins-1234567890abcdef"}


# EKS Auto Mode instead of the sandbox's node group.
AUTO_MODE = {"eks": {"compute": {"mode": "auto_mode", "node_groups": []}}}


def node_group(**fields: Any) -> Overrides:
    """Overrides giving the sandbox's EKS node group `fields`."""
    return {"eks": {"compute": {"node_groups": [{**NODE_GROUP, **fields}]}}}


def eks_access(**fields: Any) -> Overrides:
    return {"eks": {"access": fields}}


@dataclass(frozen=True)
class Step:
    """One deploy of a sequence: the config (overrides over the environment), and the stacks
    deployed (None: all) and rules accepted, as `make deploy STACKS=... PLAN_ACCEPT=...`."""

    overrides: Overrides
    stacks: tuple[str, ...] | None = None  # by unit, e.g. ("eks",)
    accept: tuple[str, ...] = ()
    # Stacks destroyed before the deploy, by unit (`make destroy-stacks STACKS=...`, one command).
    destroy: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """One day-two change: `after` deployed over `before` (both overrides over `environment`)."""

    id: str
    title: str
    after: Overrides
    before: Overrides = field(default_factory=dict)
    environment: str = "sandbox"
    refused: tuple[str, ...] = ()  # rule ids that refuse it; () = plans clean
    # The missing fix that changes the outcome (a refused entry plans clean, a note goes away).
    fixed_by: str = ""
    notes: tuple[str, ...] = ()  # note ids the plan prints
    # For a refused change, the deploys that work today when they need no code change: each
    # plans clean (or refused only by the rules it accepts) after the one before, and the last
    # one's config is `after`. docs/changing.md shows them.
    sequence: tuple[Step, ...] = ()
    # A change `make deploy` deploys in stages (tools/plan/stages.py): how many; 0 = one deploy.
    stages: int = 0


CATALOGUE: tuple[Change, ...] = (
    Change(
        "https-on",
        "HTTPS on: a certificate on the Fargate cluster's ALB",
        after={"ecs": {"fargate": {"load_balancer": {"certificate_arn": CERTIFICATE}}}},
    ),
    Change(
        "https-off",
        "HTTPS off: the certificate removed again",
        before={"ecs": {"fargate": {"load_balancer": {"certificate_arn": CERTIFICATE}}}},
        after={},
        # The services' listener moves back to 80 while the redirect listener, deleted only at
        # the end of one update, would still hold it (DuplicateListener): the redirect listener
        # goes first, in a stage of its own.
        stages=2,
    ),
    Change(
        "https-off-without-redirect",
        "HTTPS off for an ALB without the HTTP redirect listener",
        before={
            "ecs": {
                "fargate": {
                    "load_balancer": {"certificate_arn": CERTIFICATE, "http_redirect": False}
                }
            }
        },
        after={},
    ),
    # Each additional certificate is attached by a resource named after it: one added or removed
    # (the first of two too) adds or deletes its own resource only
    # (listener-certificate-detached refuses what would take one off the listener).
    Change(
        "https-certificate-added",
        "HTTPS: an additional certificate (SNI) added to the Fargate cluster's ALB",
        before=https_with(),
        after=https_with(MORE_CERTIFICATES[0]),
    ),
    Change(
        "https-certificate-removed",
        "HTTPS: the first of two additional certificates removed",
        before=https_with(*MORE_CERTIFICATES),
        after=https_with(MORE_CERTIFICATES[1]),
    ),
    Change(
        "service-add",
        "a service added to a services stack",
        before=TWO_SERVICES,
        after=fargate(API, ADMIN, SAMPLE),
    ),
    Change(
        "service-remove",
        "a service removed",
        before=fargate(API, ADMIN, SAMPLE),
        after=fargate(ADMIN, SAMPLE),
    ),
    Change(
        "service-remove-last-of-stack",
        "the last service of a services stack removed",
        before=TWO_SERVICES,
        after=fargate(SAMPLE),
        refused=("stack-left-app",),
        sequence=(Step(fargate(SAMPLE), destroy=(FARGATE_SERVICES_1,)),),
    ),
    Change(
        "service-remove-last-of-cluster",
        "the EC2 cluster's only service removed",
        after={"ecs": {"ec2": {"services": {"sample": None}}}},
        # Its services stack leaves the app (stack-left-app) while it still imports what the
        # cluster stack stops exporting with its last service (export-in-use): destroy it first.
        refused=("export-in-use", "stack-left-app"),
        sequence=(
            Step(
                {"ecs": {"ec2": {"services": {"sample": None}}}},
                destroy=(names.ecs_services_unit("ec2", 1),),
            ),
        ),
    ),
    Change(
        "service-rename",
        "a service renamed (same priority)",
        before=fargate(API, ADMIN, SAMPLE),
        after=fargate(service("orders", 1, "/api/*"), ADMIN, SAMPLE),
    ),
    Change(
        "service-rename-keyed-rule",
        "a service renamed whose rule is keyed by its priority",
        before=fargate(API, ADMIN, SAMPLE),
        after=fargate(API, service("reports", 2, "/admin/*"), SAMPLE),
    ),
    Change(
        "production-service-rename",
        "production: a service renamed (its log group is retained)",
        environment="production",
        before=fargate(production_service("api", 1, "/api/*"), PRODUCTION_SAMPLE),
        after=fargate(production_service("orders", 1, "/api/*"), PRODUCTION_SAMPLE),
        # The old log group leaves the template and stays, with its logs (DeletionPolicy Retain).
        refused=("stateful-retained",),
        sequence=(
            Step(
                fargate(production_service("orders", 1, "/api/*"), PRODUCTION_SAMPLE),
                accept=("stateful-retained",),
            ),
        ),
    ),
    Change(
        "service-scaling",
        "a service's task count range (min_tasks 1 -> 2, max_tasks 2 -> 4)",
        # The scalable target's range updates in place. The service sets no DesiredCount
        # (ContainerPlatform::ecs-service-count-left-to-scaling), so its running count stays
        # where auto scaling has it, raised to the new minimum if below.
        after={
            "ecs": {
                "fargate": {"services": {"sample": {"scaling": {"min_tasks": 2, "max_tasks": 4}}}}
            }
        },
    ),
    Change(
        "service-user-with-efs",
        "the user of a service with EFS storage (101 -> 65532)",
        before=fargate(service("sample", 1, "/*", efs={"path": "/data"})),
        after=fargate(service("sample", 1, "/*", user="65532", efs={"path": "/data"})),
        # The access point is replaced as the new user on /data, which EFS created owned by 101.
        refused=("efs-access-point-owner",),
        sequence=(
            # Reaching this config as is means giving up the directory's data (accepted); keeping
            # it is another config: efs.owner, the next entry.
            Step(
                fargate(service("sample", 1, "/*", user="65532", efs={"path": "/data"})),
                accept=("efs-access-point-owner",),
            ),
        ),
    ),
    Change(
        "service-user-with-efs-owner",
        "the user of a service with EFS storage, its access point kept as the deployed owner",
        before=fargate(service("sample", 1, "/*", efs={"path": "/data"})),
        after=fargate(
            service("sample", 1, "/*", user="65532", efs={"path": "/data", "owner": "101"})
        ),
    ),
    Change(
        "service-priority",
        "a service's route priority changed within its stack's block",
        before=TWO_SERVICES,
        after=fargate(service("api", 3, "/api/*"), SAMPLE),
    ),
    Change(
        "service-priority-swap",
        "two services of one stack swap priorities in one deploy (their rules update in place)",
        before=fargate(API, ADMIN, SAMPLE),
        after=fargate(service("api", 2, "/api/*"), service("admin", 1, "/admin/*"), SAMPLE),
    ),
    Change(
        "service-priority-swap-across-stacks",
        "two services of different stacks swap priorities in one deploy",
        before=fargate(API, ADMIN, service("batch", 3, "/batch/*", stack=2), SAMPLE),
        after=fargate(
            service("api", 3, "/api/*"), ADMIN, service("batch", 1, "/batch/*", stack=2), SAMPLE
        ),
        refused=("unique-key",),
        sequence=(
            Step(
                fargate(
                    service("api", 4, "/api/*"),
                    ADMIN,
                    service("batch", 3, "/batch/*", stack=2),
                    SAMPLE,
                )
            ),
            Step(
                fargate(
                    service("api", 4, "/api/*"),
                    ADMIN,
                    service("batch", 1, "/batch/*", stack=2),
                    SAMPLE,
                )
            ),
            Step(
                fargate(
                    service("api", 3, "/api/*"),
                    ADMIN,
                    service("batch", 1, "/batch/*", stack=2),
                    SAMPLE,
                )
            ),
        ),
    ),
    Change(
        "service-priority-other-stack",
        "a service's priority moved beyond its stack's block (1 -> 11): it stays in its stack",
        before=TWO_SERVICES,
        after=fargate(service("api", 11, "/api/*", stack=1), SAMPLE),
    ),
    Change(
        "service-stack-move",
        "a service moved to another stack (stack: 1 -> 2) at its priority",
        before=fargate(API, ADMIN, SAMPLE),
        after=fargate(service("api", 1, "/api/*", stack=2), ADMIN, SAMPLE),
        # Its new rule at priority 1 may be created before the old stack gives it up.
        refused=("unique-key",),
        sequence=(
            Step(fargate(service("api", 3, "/api/*", stack=2), ADMIN, SAMPLE)),
            Step(fargate(service("api", 1, "/api/*", stack=2), ADMIN, SAMPLE)),
        ),
    ),
    Change(
        "release-canary",
        "a service switched from rolling to canary releases (alternate target group, test rule)",
        before=TWO_SERVICES,
        after=fargate(service("api", 1, "/api/*", release=CANARY), SAMPLE),
    ),
    Change(
        "release-rolling",
        "a service switched from canary back to rolling releases",
        before=fargate(service("api", 1, "/api/*", release=CANARY), SAMPLE),
        after=TWO_SERVICES,
    ),
    Change(
        "canary-service-route",
        "a canary-released service's route (its paths)",
        before=fargate(service("api", 1, "/api/*", release=CANARY), SAMPLE),
        after=fargate(service("api", 1, "/v2/*", release=CANARY), SAMPLE),
        # Clean, with a note: CloudFormation writes the production rule's forward back over the
        # weights ECS set at the last release (tools/plan/notes.py).
        notes=("shifted-rule-rewritten",),
    ),
    Change(
        "canary-service-port",
        "a canary-released service's container port",
        before=fargate(service("api", 1, "/api/*", release=CANARY), SAMPLE),
        after=fargate(service("api", 1, "/api/*", release=CANARY, container_port=9090), SAMPLE),
        # Its target groups are replaced, and CloudFormation updates the production rule that
        # forwards to them (not listed by the diff engine): the same note.
        notes=("shifted-rule-rewritten",),
    ),
    Change(
        "service-port",
        "a service's container port",
        before=TWO_SERVICES,
        after=fargate(service("api", 1, "/api/*", container_port=9090), SAMPLE),
    ),
    Change(
        "service-cpu-architecture",
        "a service's CPU architecture (arm64 -> x86_64)",
        before=TWO_SERVICES,
        after=fargate(service("api", 1, "/api/*", cpu_architecture="x86_64"), SAMPLE),
    ),
    Change(
        "service-size",
        "a service's CPU and memory",
        before=TWO_SERVICES,
        after=fargate(service("api", 1, "/api/*", cpu=512, memory_mib=1024), SAMPLE),
    ),
    Change(
        "service-load-balancer-group",
        "a service moved to another load-balancer group (a new internal ALB)",
        before=TWO_SERVICES,
        after=fargate(
            service("api", 1, "/api/*", load_balancer="internal"),
            SAMPLE,
            load_balancers=INTERNAL_GROUP,
        ),
    ),
    Change(
        "alb-internal",
        "the cluster's ALB made internal (its scheme is create-only: a new load balancer)",
        before=TWO_SERVICES,
        after=INTERNAL_DEFAULT,
        # The new ALB and listeners change the exports the services' stacks import, and the CDK
        # deploys the cluster stack first (export-in-use). The services move to an internal group
        # and back, each stack leaving an ALB deployed alone first (its new template imports only
        # what is exported already).
        refused=("export-in-use",),
        sequence=(
            Step(fargate(API_INTERNAL, SAMPLE, load_balancers=INTERNAL_GROUP)),
            Step(ALL_INTERNAL, stacks=(names.ecs_services_unit("fargate", 5),)),
            Step(ALL_INTERNAL),
            Step(
                deep_merge(
                    ALL_INTERNAL, {"ecs": {"fargate": {"load_balancer": {"internal": True}}}}
                )
            ),
            Step(
                INTERNAL_DEFAULT, stacks=(FARGATE_SERVICES_1, names.ecs_services_unit("fargate", 5))
            ),
            Step(INTERNAL_DEFAULT),
        ),
    ),
    Change(
        "services-new-alb",
        "a service that opens a new ALB (a new load-balancer group)",
        before=TWO_SERVICES,
        after=fargate(
            API,
            SAMPLE,
            service("partners", 3, "/partners/*", load_balancer="internal"),
            load_balancers=INTERNAL_GROUP,
        ),
    ),
    Change(
        "services-new-stack",
        "a service that opens a new services stack (stack: 2)",
        before=TWO_SERVICES,
        after=fargate(API, SAMPLE, service("batch", 11, "/batch/*", stack=2)),
    ),
    Change(
        "worker-add",
        "a worker added (its own stack: a queue, its dead-letter queue, backlog scaling)",
        before=TWO_SERVICES,
        after=fargate(API, SAMPLE, WORKER),
    ),
    Change(
        "worker-queue-retention-shorter",
        "a worker's own queue keeps messages 1 day instead of 4",
        before=fargate(API, SAMPLE, WORKER),
        after=fargate(API, SAMPLE, {**WORKER, "queue": {"retention_days": 1}}),
        # Clean, with a note: SQS deletes the messages older than the new retention.
        notes=("queue-retention-shortened",),
    ),
    Change(
        "worker-remove",
        "a worker removed",
        before=fargate(API, SAMPLE, WORKER),
        after=TWO_SERVICES,
        # Its stack leaves the app, and cdk deploy never deletes a stack: destroy it.
        refused=("stack-left-app",),
        sequence=(Step(TWO_SERVICES, destroy=(WORKER_STACK,)),),
    ),
    Change(
        "worker-remove-with-sender",
        "a worker removed with the send_to of the service that sent to its queue",
        before=fargate({**API, "send_to": [WORKER["name"]]}, SAMPLE, WORKER),
        after=TWO_SERVICES,
        # The sender's stack imports the worker's queue: CloudFormation refuses to delete the
        # worker's stack until the sender, deployed alone, no longer does.
        refused=("stack-left-app",),
        sequence=(
            Step(TWO_SERVICES, stacks=(FARGATE_SERVICES_1,), accept=("stack-left-app",)),
            Step(TWO_SERVICES, destroy=(WORKER_STACK,)),
        ),
    ),
    Change(
        "worker-to-job",
        "a worker turned into a scheduled job (same name)",
        before=fargate(API, SAMPLE, WORKER),
        after=fargate(API, SAMPLE, workload(WORKER["name"], "job", schedule=NIGHTLY)),
        # A kind has a stack of its own: the job's stack is new, the worker's leaves the app.
        refused=("stack-left-app",),
        sequence=(
            Step(
                fargate(API, SAMPLE, workload(WORKER["name"], "job", schedule=NIGHTLY)),
                destroy=(WORKER_STACK,),
            ),
        ),
    ),
    Change(
        "job-add",
        "a scheduled job added (EventBridge Scheduler runs its task)",
        before=TWO_SERVICES,
        after=fargate(API, SAMPLE, JOB),
    ),
    Change(
        "job-schedule",
        "a scheduled job's schedule",
        before=fargate(API, SAMPLE, JOB),
        after=fargate(API, SAMPLE, {**JOB, "schedule": {"expression": "rate(6 hours)"}}),
    ),
    Change(
        "backend-add",
        "the cluster's first backend (its Service Connect namespace; web services become clients)",
        before=TWO_SERVICES,
        after=fargate(API, SAMPLE, BACKEND),
    ),
    Change(
        "backend-add-second",
        "a second backend beside the first",
        before=fargate(API, SAMPLE, BACKEND),
        after=fargate(API, SAMPLE, BACKEND, workload("inventory", "backend")),
        # Clean, with a note: the services already in the namespace are not redeployed, and only
        # tasks started after the new endpoint exists resolve it (tools/plan/notes_workloads.py).
        notes=("service-connect-endpoint-added",),
    ),
    Change(
        "backend-remove-last",
        "the cluster's last backend removed (its Service Connect namespace goes)",
        before=fargate(API, SAMPLE, BACKEND),
        after=TWO_SERVICES,
        # The cluster stack drops the namespace and the clients' group that the web services'
        # stacks import, and is deployed before them (export-in-use): the backend's stack goes
        # first, then the web services alone (their new templates import neither).
        refused=("export-in-use", "stack-left-app"),
        sequence=(
            Step(
                TWO_SERVICES,
                stacks=(FARGATE_SERVICES_1, names.ecs_services_unit("fargate", 5)),
                destroy=(names.ecs_workload_unit("fargate", "backend", BACKEND["name"]),),
            ),
            Step(TWO_SERVICES),
        ),
    ),
    Change(
        "kubernetes-upgrade",
        "Kubernetes minor upgrade 1.34 -> 1.35",
        before={"eks": {"kubernetes_version": "1.34"}},
        after={"eks": {"kubernetes_version": "1.35"}},
    ),
    Change(
        "kubernetes-upgrade-again",
        "the next Kubernetes minor upgrade 1.35 -> 1.36, right after",
        before={"eks": {"kubernetes_version": "1.35"}},
        after={},
    ),
    Change(
        "kubernetes-skip-minor",
        "Kubernetes 1.34 -> 1.36 in one deploy",
        before={"eks": {"kubernetes_version": "1.34"}},
        after={},
        refused=("kubernetes-version",),
        sequence=(
            # One minor per deploy, each moving the node groups and add-ons with the control
            # plane, so each plans clean.
            Step({"eks": {"kubernetes_version": "1.35"}}),
            Step({}),
        ),
    ),
    Change(
        "kubernetes-upgrade-with-node-group-change",
        "Kubernetes 1.35 -> 1.36 with a node group's labels and disk size changed too",
        before={"eks": {"kubernetes_version": "1.35"}},
        after=node_group(labels={"tier": "general"}, disk_size_gib=50),
        refused=("eks-node-group-version-alone",),
        sequence=(
            # The version alone (the group's other settings as deployed), then the rest.
            Step({}),
            Step(node_group(labels={"tier": "general"}, disk_size_gib=50)),
        ),
    ),
    Change(
        "ec2-instance-types",
        "the EC2 cluster's instance types",
        after={"ecs": {"ec2": {"instance_types": ["t3.medium", "t3a.medium"]}}},
    ),
    Change(
        "ec2-machine-image",
        "the EC2 cluster's machine image (al2023 -> bottlerocket)",
        after={"ecs": {"ec2": {"machine_image": "bottlerocket"}}},
    ),
    Change(
        "eks-node-group-instance-types",
        "an EKS node group's instance types",
        after=node_group(instance_types=["m7g.large", "m6g.large"]),
    ),
    # The EKS cluster's other day-two changes. What CloudFormation does is the diff engine's; what
    # EKS then does: each entry's comment. A node group's name is generated (aws_eks_v2 sets no
    # NodegroupName), so one replaced (InstanceTypes, AmiType, CapacityType, DiskSize and Subnets
    # are create-only) is created next to the old one, which is drained and deleted at the end.
    Change(
        "eks-auto-mode-on",
        "EKS Auto Mode turned on (compute.mode managed_nodes -> auto_mode)",
        # ComputeConfig, StorageConfig and KubernetesNetworkConfig.ElasticLoadBalancing update in
        # place (UpdateClusterConfig; the schema makes only IpFamily and ServiceIpv4Cidr of
        # KubernetesNetworkConfig create-only); the node group and the add-ons Auto Mode runs
        # itself are deleted at the end.
        after=AUTO_MODE,
    ),
    Change(
        "eks-auto-mode-off",
        "EKS Auto Mode turned off (compute.mode auto_mode -> managed_nodes)",
        # The same settings update in place the other way, and EKS then terminates the Auto Mode
        # nodes and deletes their load balancers; the node group and the add-ons are created
        # after the cluster's update (eks-auto-mode-off). Only accepted: the config has no node
        # groups beside Auto Mode to move the workloads to first.
        before=AUTO_MODE,
        after={},
        refused=("eks-auto-mode-off",),
        sequence=(Step({}, accept=("eks-auto-mode-off",)),),
    ),
    Change(
        "eks-endpoint-public",
        "the EKS API endpoint opened to CIDRs (private -> public_and_private)",
        # ResourcesVpcConfig updates in place (UpdateClusterConfig).
        after={"eks": {"endpoint": PUBLIC_ENDPOINT}},
    ),
    Change(
        "eks-endpoint-cidrs",
        "the EKS public endpoint's CIDRs",
        before={"eks": {"endpoint": PUBLIC_ENDPOINT}},
        after={"eks": {"endpoint": {**PUBLIC_ENDPOINT, "public_access_cidrs": [OFFICE_CIDR]}}},
    ),
    Change(
        "eks-node-group-sizes",
        "an EKS node group's minimum, maximum and desired sizes",
        # ScalingConfig updates in place (UpdateNodegroupConfig).
        after=node_group(min_size=2, max_size=6, desired_size=3),
    ),
    Change(
        "eks-node-group-disk-size",
        "an EKS node group's disk size",
        # A new launch template version; the group updates to it with a rolling node update.
        after=node_group(disk_size_gib=50),
    ),
    Change(
        "eks-node-group-architecture",
        "an EKS node group's architecture (Graviton -> x86_64: AmiType and instance types)",
        after=node_group(graviton=False, instance_types=["m7i.large"]),
    ),
    Change(
        "eks-node-group-capacity-type",
        "an EKS node group's capacity type (spot -> on_demand)",
        after=node_group(capacity_type="on_demand"),
    ),
    Change(
        "eks-node-group-labels",
        "an EKS node group's Kubernetes labels",
        after=node_group(labels={"team": "platform"}),
    ),
    Change(
        "eks-node-group-renamed",
        "an EKS node group renamed (a new group, then the old one deleted)",
        after=node_group(name="general-arm64"),
    ),
    Change(
        "eks-addon-added",
        "an EKS add-on added (amazon-cloudwatch-observability, with its Pod Identity role)",
        after={"eks": {"addons": {"amazon-cloudwatch-observability": {}}}},
    ),
    Change(
        "eks-addon-removed",
        "a default EKS add-on removed (metrics-server)",
        after={"eks": {"addons": {"metrics-server": None}}},
    ),
    Change(
        "eks-addon-two-minors",
        "the VPC CNI add-on's pinned version (v1.20) removed: the platform's v1.22 in one step",
        before={"eks": {"addons": {"vpc-cni": {"version": "v1.20.0-eksbuild.1"}}}},
        after={},
        # EKS updates the VPC CNI one minor version at a time (eks-addon-version): through v1.21.
        refused=("eks-addon-version",),
        sequence=(
            Step({"eks": {"addons": {"vpc-cni": {"version": "v1.21.1-eksbuild.7"}}}}),
            Step({}),
        ),
    ),
    Change(
        "eks-cluster-admin-added",
        "a cluster admin role added (an access entry)",
        after=eks_access(cluster_admin_role_arns=[ADMIN_ROLE]),
    ),
    Change(
        "eks-cluster-admin-removed-first",
        "the first of two cluster admin roles removed",
        before=eks_access(cluster_admin_role_arns=[ADMIN_ROLE, SRE_ROLE]),
        after=eks_access(cluster_admin_role_arns=[SRE_ROLE]),
        # Admins' access entries are positional: the second role moves to the first entry, which
        # is replaced (PrincipalArn is create-only) while the second still holds the principal;
        # EKS allows one access entry per principal (fixed-name: the schema's primary identifier).
        refused=("fixed-name",),
        sequence=(
            Step(eks_access(cluster_admin_role_arns=[ADMIN_ROLE])),
            Step(eks_access(cluster_admin_role_arns=[SRE_ROLE])),
        ),
    ),
    Change(
        "eks-admin-to-viewer",
        "a cluster admin role made a viewer in one deploy",
        before=eks_access(cluster_admin_role_arns=[ADMIN_ROLE]),
        after=eks_access(viewer_role_arns=[ADMIN_ROLE]),
        # The viewer's entry is created before the admin's is deleted: the principal's second.
        refused=("fixed-name",),
        sequence=(Step({}), Step(eks_access(viewer_role_arns=[ADMIN_ROLE]))),
    ),
    Change(
        "eks-workload-identity-added",
        "a workload identity added (an IAM role and a Pod Identity association)",
        after={"eks": {"workload_identities": [ORDERS_IDENTITY]}},
    ),
    Change(
        "eks-workload-identity-service-account",
        "a workload identity's service account renamed (a new association, the old one deleted)",
        before={"eks": {"workload_identities": [ORDERS_IDENTITY]}},
        after={"eks": {"workload_identities": [{**ORDERS_IDENTITY, "service_account": "api"}]}},
    ),
    Change(
        "eks-argocd-on",
        "the Argo CD capability on",
        after={"eks": {"argocd": ARGOCD}},
    ),
    Change(
        "eks-argocd-namespace",
        "the Argo CD capability's namespace",
        before={"eks": {"argocd": ARGOCD}},
        after={"eks": {"argocd": {**ARGOCD, "namespace": "gitops"}}},
        # Configuration/ArgoCd/Namespace (and AwsIdc) are create-only: CloudFormation creates a
        # second capability, under the same name and of the same type, before it deletes the old
        # one; EKS allows neither (CreateCapability). Off for one deploy, then on again.
        refused=("fixed-name", "unique-key"),
        sequence=(Step({}), Step({"eks": {"argocd": {**ARGOCD, "namespace": "gitops"}}})),
    ),
    Change(
        "eks-sample-workload-on",
        "the EKS sample workload on (the kubectl provider and its access entry with it)",
        after={"eks": {"sample_workload": {"enabled": True}}},
    ),
    Change(
        "eks-sample-workload-off",
        "the EKS sample workload off",
        # The manifest depends on the kubectl provider and its access entry, so CloudFormation
        # deletes it (kubectl delete) before them.
        before={"eks": {"sample_workload": {"enabled": True}}},
        after={},
    ),
    Change(
        "eks-upgrade-policy-extended",
        "the EKS upgrade policy STANDARD -> EXTENDED",
        after={"eks": {"upgrade_policy": "EXTENDED"}},
    ),
    # Clean while the shipped version is on standard support; on a version in extended support
    # EKS refuses it (eks-upgrade-policy, tests/plan/helpers/cases.py).
    Change(
        "eks-upgrade-policy-standard",
        "the EKS upgrade policy EXTENDED -> STANDARD",
        before={"eks": {"upgrade_policy": "EXTENDED"}},
        after={},
    ),
    Change(
        "eks-deletion-protection-on",
        "EKS deletion protection on",
        after={"eks": {"deletion_protection": True}},
    ),
    Change(
        "eks-zonal-shift-on",
        "EKS zonal shift on",
        after={"eks": {"zonal_shift": True}},
    ),
    Change(
        "eks-control-plane-log-retention",
        "the EKS control plane logs' retention",
        after={"eks": {"control_plane_log_retention_days": 30}},
    ),
    Change(
        "availability-zone-added",
        "a third availability zone",
        after=THREE_ZONES,
        # The EKS cluster's private subnets gain the new zone, which EKS refuses: a cluster's
        # subnets stay in the zones it was created in (eks-cluster-zones). The control plane in
        # every zone takes a new cluster: its stack destroyed, then the change deployed; the next
        # entry keeps the cluster.
        refused=("eks-cluster-zones",),
        sequence=(Step(THREE_ZONES, destroy=(names.EKS_UNIT,)),),
    ),
    Change(
        "availability-zone-added-control-plane-kept",
        "a third availability zone, the EKS control plane kept in the first two",
        after={**THREE_ZONES, "eks": {"control_plane_zones": TWO_ZONES}},
    ),
    Change(
        "vpc-cidr-changed",
        "the VPC's address range (network.vpc_cidr)",
        after={"network": {"vpc_cidr": "10.30.0.0/16"}},
        # A new VPC: every stack in it imports the old one's id (export-in-use), and the new
        # VPC's gateway attachment and NAT gateway would take the internet gateway and the
        # Elastic IP their old copies hold until the cleanup (unique-key). The network is rebuilt:
        # what runs in it destroyed with it, then deployed again.
        refused=("export-in-use", "unique-key"),
        sequence=(Step({"network": {"vpc_cidr": "10.30.0.0/16"}}, destroy=NETWORK_AND_USERS),),
    ),
    Change(
        "ecs-exec-on",
        "ECS Exec turned on for the services",
        before=fargate(
            {**_fargate_sample(), "name": "sample", "enable_execute_command": False},
        ),
        after={},
    ),
    Change(
        "vpc-endpoints-on",
        "VPC interface endpoints on",
        after={"network": {"vpc_endpoints": True}},
    ),
    Change(
        "kms-encrypted-logs-on",
        "KMS-encrypted log groups on",
        after={"kms_encrypted_logs": True},
    ),
    Change(
        "production-kms-encrypted-logs-off",
        "production: KMS-encrypted log groups off (the key is retained)",
        environment="production",
        after={"kms_encrypted_logs": False},
        # Each cluster stack drops its log key, whose ARN its services' stacks import
        # (export-in-use): they go first, alone. The keys leave their stacks and stay in the
        # account (stateful-retained): what they encrypted needs them to decrypt.
        refused=("export-in-use", "stateful-retained"),
        sequence=(
            Step(
                {"kms_encrypted_logs": False},
                stacks=(names.ecs_services_unit("ec2", 1), FARGATE_SERVICES_1),
            ),
            Step({"kms_encrypted_logs": False}, accept=("stateful-retained",)),
        ),
    ),
    Change(
        "registry-kms-on",
        "the registry encrypted with KMS",
        # Clean: the repositories' names carry the encryption (cp-<env>/kms/<name>), so each
        # replacement gets a new name, and no stack imports a repository (docs/design.md, D22).
        # The images are re-pushed; cached images come back on first pull.
        after={"registry": {"kms_encryption": True}},
    ),
    Change(
        "repository-added",
        "an ECR repository added",
        after={
            "registry": {
                "repositories": [
                    *ENVIRONMENTS["sandbox"]["registry"]["repositories"],
                    {"name": "orders"},
                ]
            }
        },
    ),
    Change(
        "production-repository-removed",
        "production: an ECR repository removed (retained)",
        environment="production",
        before={
            "registry": {
                "repositories": [
                    *ENVIRONMENTS["production"]["registry"]["repositories"],
                    {"name": "orders"},
                ]
            }
        },
        after={},
        # No stack imports a repository (the EKS stack names its ARN), so only the retained
        # repository's orphaning is refused.
        refused=("stateful-retained",),
        sequence=(Step({}, accept=("stateful-retained",)),),
    ),
    Change(
        "production-https-on",
        "production: HTTPS on for the EC2 cluster's ALB",
        environment="production",
        after={"ecs": {"ec2": {"load_balancer": {"certificate_arn": CERTIFICATE}}}},
    ),
)


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table (docs/changing.md's `plan-catalogue` block)."""
    lines = [
        "| change | environment | `make plan` today | changes with |",
        "| --- | --- | --- | --- |",
    ]
    for change in CATALOGUE:
        outcome = (
            "refused: " + ", ".join(f"`{rule}`" for rule in change.refused)
            if change.refused
            else "clean"
        )
        if change.stages:
            outcome += f", deployed in {change.stages} stages"
        if change.notes:
            outcome += " (note: " + ", ".join(f"`{note}`" for note in change.notes) + ")"
        if change.sequence:
            outcome += f"; {len(change.sequence)}-step sequence tested"
        lines.append(
            f"| `{change.id}`: {change.title} | {change.environment} | {outcome} | "
            f"{change.fixed_by or '-'} |"
        )
    return "\n".join(lines) + "\n"
