"""The hand-made (before, after) states the plan's unit tests plan, all in one run of the diff
engine (its first diff loads the resource specification: about 2 s per Node.js process): each
rule's failing and passing cases (RULE_CASES, tests/plan/test_rules.py) and the planner's
requests (PLANNER_CASES, tests/plan/test_planner.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from tests.plan.helpers.templates import (
    Resource,
    addon,
    argocd_capability,
    ecr_image,
    eks_cluster,
    elastic_ip,
    export,
    gateway_attachment,
    https_listener,
    imported,
    internet_gateway,
    listener,
    listener_certificate,
    listener_rule,
    load_balancer,
    log_group,
    nat_gateway,
    node_group,
    pull_through_rule,
    queue_reading,
    ref,
    released_service,
    repository,
    retained_queue,
    stack,
    state,
    subnet,
    task_definition,
    topic,
    vpc,
)
from tools.plan.model import FOUND_IN_ACCOUNT, Orphan, StackTemplate, State
from tools.plan.orphans import orphaned
from tools.plan.planner import Request

E1, E2 = "producer:ExportsOutputRefTopic1", "producer:ExportsOutputRefTopic2"
# The day every case is planned on: Kubernetes 1.32 and 1.34 are in extended support, 1.35 and
# 1.36 on standard support (container_constructs/eks_versions.py).
PLAN_DAY = date(2026, 12, 5)


@dataclass(frozen=True)
class Case:
    base: State
    app: State
    refused: tuple[str, ...]
    stacks: tuple[str, ...] | None = None
    stages: int = 0  # a staged deploy's stages (tools/plan/stages.py); 0: one deploy
    orphaned: tuple[Orphan, ...] = ()  # the ledger of orphaned names (tools/plan/orphans.py)


def _network(*zones: str) -> StackTemplate:
    """Stack `net`: a 10.0.0.0/16 VPC with a /24 subnet in each of `zones`, in order."""
    subnets = {
        chr(ord("A") + index): subnet(zone, f"10.0.{index}.0/24")
        for index, zone in enumerate(zones)
    }
    return stack("net", {"Vpc": vpc("10.0.0.0/16"), **subnets})


def _public_network(cidr: str, *, dns: bool = False) -> StackTemplate:
    """Stack `net`: a VPC on `cidr` with an internet gateway and a NAT gateway in its one subnet
    (the subnet on the VPC's first /24), as the platform's network has them."""
    first = cidr.split("/")[0]
    vpc_resource = vpc(cidr)
    if dns:
        vpc_resource["Properties"]["EnableDnsHostnames"] = True
    resources = {
        "Vpc": vpc_resource,
        "A": subnet("r-1a", f"{first}/24"),
        "Igw": internet_gateway(),
        "Attachment": gateway_attachment(),
        "Eip": elastic_ip(),
        "Nat": nat_gateway("A"),
    }
    return stack("net", resources)


def _producer(*exported: str, replaced: bool = False) -> dict[str, object]:
    resources = {"Topic1": topic("renamed" if replaced else None), "Topic2": topic()}
    outputs = {f"Out{name[-1]}": export(name, ref(f"Topic{name[-1]}")) for name in exported}
    return {"resources": resources, "outputs": outputs}


def _pair(
    base_exports: tuple[str, ...],
    app_exports: tuple[str, ...],
    *,
    uses: str,
    replaced: bool = False,
) -> tuple[State, State]:
    before = _producer(*base_exports)
    after = _producer(*app_exports, replaced=replaced)
    base = state(
        stack("producer", before["resources"], outputs=before["outputs"]),  # type: ignore[arg-type]
        stack("consumer", {"Queue": queue_reading(imported(E1))}, depends_on=("producer",)),
    )
    app = state(
        stack("producer", after["resources"], outputs=after["outputs"]),  # type: ignore[arg-type]
        stack("consumer", {"Queue": queue_reading(imported(uses))}, depends_on=("producer",)),
    )
    return base, app


def _left_app() -> tuple[State, State]:
    """The producer drops E1 while consumer, its only importer, leaves the app."""
    base, app = _pair((E1,), (E2,), uses=E1)
    return base, {"producer": app["producer"]}


def _one_importer_left_app() -> tuple[State, State]:
    """The producer drops E1 (keeping its topic): consumer moves to E2, other, which imports E1
    too, leaves the app."""
    base, app = _pair((E1,), (E2,), uses=E2)
    other = stack("other", {"Queue": queue_reading(imported(E1))}, depends_on=("producer",))
    return {**base, "other": other}, app


def _listener_state(rules: dict[str, tuple[int, str]], name: str = "svc") -> State:
    """A cluster stack with an ALB listener and a services stack with `rules` (logical id ->
    (priority, path)) importing it."""
    cluster = stack(
        "cluster",
        {"Alb": load_balancer(), "Listener": listener()},
        outputs={"L": export("cluster:Listener", ref("Listener"))},
    )
    services = stack(
        name,
        {
            logical_id: listener_rule(imported("cluster:Listener"), priority, path)
            for logical_id, (priority, path) in rules.items()
        },
        depends_on=("cluster",),
    )
    return state(cluster, services)


def _eks(version: str, *, group: str | None, addons: str | None) -> State:
    resources = {
        "Cluster": eks_cluster(version),
        "Nodes": node_group(group),
        "Cni": addon("vpc-cni", addons),
    }
    return state(stack("eks", resources))


def _addons(**versions: str | None) -> State:
    """Stack `eks`: a 1.36 cluster and one add-on per keyword (its name with dashes) at its
    version (None: AddonVersion not set)."""
    resources = {"Cluster": eks_cluster("1.36")}
    for key, version in versions.items():
        resources[key.title().replace("_", "")] = addon(key.replace("_", "-"), version)
    return state(stack("eks", resources))


def _policy(version: str, support_type: str | None) -> State:
    return state(stack("eks", {"Cluster": eks_cluster(version, support_type)}))


def _argocd(capability: Resource) -> State:
    return state(stack("eks", {"Cluster": eks_cluster("1.36"), "ArgoCd": capability}))


def _auto_mode(enabled: bool | None, *, name: str = "cp-test", nodes: bool = False) -> State:
    """Stack `eks`: a 1.36 cluster `name` with EKS Auto Mode's three settings `enabled` as
    aws_eks_v2 writes them (None: not set; the network config keeps its create-only IpFamily),
    and with `nodes` a managed node group."""
    cluster = eks_cluster("1.36")
    properties = cluster["Properties"]
    properties["Name"] = name
    properties["KubernetesNetworkConfig"] = {"IpFamily": "ipv4"}
    if enabled is not None:
        properties["ComputeConfig"] = {"Enabled": enabled}
        if enabled:
            properties["ComputeConfig"].update(
                NodePools=["system", "general-purpose"], NodeRoleArn="arn:auto-nodes"
            )
        properties["KubernetesNetworkConfig"]["ElasticLoadBalancing"] = {"Enabled": enabled}
        properties["StorageConfig"] = {"BlockStorage": {"Enabled": enabled}}
    resources = {"Cluster": cluster, **({"Nodes": node_group("1.36")} if nodes else {})}
    return state(stack("eks", resources))


def _upgraded(version: str, *, labels: str = "a", disk: int = 20) -> State:
    """Stack `eks`: a cluster on `version` with a node group on it (with `labels` and launched
    from a template of root volume size `disk`), as the platform writes them."""
    group = node_group(version)
    group["Properties"].update(
        Labels={"tier": labels},
        LaunchTemplate={
            "Id": ref("Template"),
            "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]},
        },
    )
    template = {
        "Type": "AWS::EC2::LaunchTemplate",
        "Properties": {
            "LaunchTemplateData": {
                "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": disk}}]
            }
        },
    }
    return state(
        stack("eks", {"Cluster": eks_cluster(version), "Nodes": group, "Template": template})
    )


def _efs(user: str, *, file_system: str = "Fs", root: str = "/data") -> State:
    """Stack `svc`: a retained file system `file_system` and the platform's access point on it,
    as `user` on `root` (mode 750, created owned by `user`)."""
    access_point = {
        "Type": "AWS::EFS::AccessPoint",
        "Properties": {
            "FileSystemId": ref(file_system),
            "PosixUser": {"Uid": user, "Gid": user},
            "RootDirectory": {
                "Path": root,
                "CreationInfo": {"OwnerUid": user, "OwnerGid": user, "Permissions": "750"},
            },
        },
    }
    file_system_resource = {
        "Type": "AWS::EFS::FileSystem",
        "Properties": {"Encrypted": True},
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    }
    return state(stack("svc", {file_system: file_system_resource, "AccessPoint": access_point}))


def _zoned_cluster(*subnets: str) -> State:
    """Stack `eks`: subnets A and B in r-1a, C in r-1b, D in r-1c, and a cluster on `subnets`."""
    cluster = eks_cluster("1.36")
    cluster["Properties"]["ResourcesVpcConfig"] = {"SubnetIds": [ref(s) for s in subnets]}
    resources = {
        "Vpc": vpc("10.0.0.0/16"),
        "A": subnet("r-1a", "10.0.0.0/24"),
        "B": subnet("r-1a", "10.0.1.0/24"),
        "C": subnet("r-1b", "10.0.2.0/24"),
        "D": subnet("r-1c", "10.0.3.0/24"),
        "Cluster": cluster,
    }
    return state(stack("eks", resources))


def _https_listeners(*, https: bool) -> dict[str, Resource]:
    """The services' listener (443 with HTTPS, else 80) with a rule on it, and with HTTPS the
    redirect listener on 80, made after it."""
    resources: dict[str, Resource] = {
        "Alb": load_balancer(),
        "Http": listener(port=443 if https else 80),
        "Rule": listener_rule(ref("Http"), 1),
    }
    if https:
        resources["Redirect"] = {**listener(), "DependsOn": ["Http"]}
    return resources


# The certificates of the listener-certificate cases: the listener's default, and A, B, C for SNI.
DEFAULT_CERTIFICATE, CERTIFICATE_A, CERTIFICATE_B, CERTIFICATE_C = (
    f"arn:aws:acm:r-1:111122223333:certificate/{name}" for name in ("d", "a", "b", "c")
)


def _sni(
    certificates: dict[str, str], *, default: str = DEFAULT_CERTIFICATE, balancer: str = "Alb"
) -> State:
    """Stack `lb`: load balancers Alb and Alb2, the HTTPS listener `Http` on `balancer` with
    `default`, and a ListenerCertificate on it per item of `certificates` (logical id ->
    certificate), as `Additional1`, `Additional2` (by place) or `CertA` (by certificate)."""
    resources = {
        "Alb": load_balancer(),
        "Alb2": load_balancer(),
        "Http": https_listener(default, balancer),
        **{
            logical_id: listener_certificate(ref("Http"), arn)
            for logical_id, arn in certificates.items()
        },
    }
    return state(stack("lb", resources, outputs={"L": export("lb:Http", ref("Http"))}))


def _sni_moved(*, to_services: bool) -> State:
    """Certificate A on the listener by a resource of stack `lb`, or (`to_services`) of stack
    `svc`, deployed after it, through the listener's export."""
    lb = _sni({} if to_services else {"CertA": CERTIFICATE_A})["lb"]
    resources = {"Topic": topic()}
    if to_services:
        resources["CertA"] = listener_certificate(imported("lb:Http"), CERTIFICATE_A)
    return state(lb, stack("svc", resources, depends_on=("lb",)))


# What an earlier deploy that removed the retained repository `env/app` left in the ledger.
_ORPHANED = tuple(
    orphaned(
        state(stack("registry", {"T": topic(), "Repo": repository("env/app", retain=True)})),
        state(stack("registry", {"T": topic()})),
        ["registry"],
    )
)

RULE_CASES: dict[str, Case] = {
    # export-in-use
    "export removed while imported": Case(*_pair((E1,), (E2,), uses=E2), ("export-in-use",)),
    "export removed while its only importer left the app": Case(
        *_left_app(), ("export-in-use", "stack-left-app")
    ),
    "export removed while one importer moves and another left the app": Case(
        *_one_importer_left_app(), ("export-in-use", "stack-left-app")
    ),
    "export kept for one deploy (export_value)": Case(*_pair((E1,), (E1, E2), uses=E2), ()),
    "export removed while its importer moves to one deployed already": Case(
        *_pair((E1, E2), (E2,), uses=E2), ("export-in-use",)
    ),
    "export removed while its importer, not deployed, would move to one deployed already": Case(
        *_pair((E1, E2), (E2,), uses=E2), ("export-in-use",), stacks=("producer",)
    ),
    "exported resource replaced while imported": Case(
        *_pair((E1,), (E1,), uses=E1, replaced=True), ("export-in-use",)
    ),
    "export removed that nothing imports": Case(
        state(stack("producer", {"Topic1": topic()}, outputs={"O": export(E1, ref("Topic1"))})),
        state(stack("producer", {"Topic1": topic()})),
        (),
    ),
    # fixed-name
    "named repository replaced": Case(
        state(stack("registry", {"Repo": repository("app")})),
        state(stack("registry", {"Repo": repository("app", kms=True)})),
        ("fixed-name",),
    ),
    # A create-only property below a top-level one (the capability's Configuration/ArgoCd/
    # Namespace): the diff engine calls it an update, the resource schema a replacement, under
    # the capability's name in its cluster.
    "capability replaced by a nested create-only property": Case(
        _argocd(argocd_capability()),
        _argocd(argocd_capability("gitops")),
        ("fixed-name", "unique-key"),
    ),
    # Under a new name it still takes its type, one per cluster.
    "capability replaced under a new name": Case(
        _argocd(argocd_capability()),
        _argocd(argocd_capability("gitops", name="argocd-gitops")),
        ("unique-key",),
    ),
    "capability updated in place (no create-only property)": Case(
        _argocd(argocd_capability()),
        _argocd(
            {
                **argocd_capability(),
                "Properties": {**argocd_capability()["Properties"], "RoleArn": "arn:other"},
            }
        ),
        (),
    ),
    "named repository under a new logical id": Case(
        state(stack("registry", {"Repo": repository("app")})),
        state(stack("registry", {"RepoRenamed": repository("app")})),
        ("fixed-name",),
    ),
    "retained named repository under a new logical id": Case(
        state(stack("registry", {"Repo": repository("app", retain=True)})),
        state(stack("registry", {"RepoRenamed": repository("app", retain=True)})),
        ("fixed-name", "stateful-retained"),
    ),
    # image-from-new-repository
    "a service moves to a repository the same deploy creates": Case(
        state(
            stack("registry", {"Repo": repository("env/app")}),
            stack("svc", {"Task": task_definition(ecr_image("env/app"))}, depends_on=("registry",)),
        ),
        state(
            stack("registry", {"Repo": repository("env/kms/app")}),
            stack(
                "svc", {"Task": task_definition(ecr_image("env/kms/app"))}, depends_on=("registry",)
            ),
        ),
        ("image-from-new-repository",),
    ),
    "a new service on a repository that exists, and one through a pull-through cache": Case(
        state(stack("registry", {"Repo": repository("env/app")})),
        state(
            stack(
                "registry",
                {
                    "Repo": repository("env/app"),
                    "Cache": pull_through_rule("env/ecr-public"),
                    "Cached": repository("env/ecr-public/nginx/nginx"),
                },
            ),
            stack(
                "svc",
                {
                    "Task": task_definition(ecr_image("env/app")),
                    "Proxy": task_definition(ecr_image("env/ecr-public/nginx/nginx", "1.27")),
                },
                depends_on=("registry",),
            ),
        ),
        (),
    ),
    # subnet-cidr-in-use
    "a zone swapped: a subnet replaced on its own address": Case(
        state(_network("r-1a", "r-1b")),
        state(_network("r-1a", "r-1c")),
        ("subnet-cidr-in-use",),
    ),
    "a zone added on a free address, and a new VPC's subnets": Case(
        state(
            _network("r-1a"),
            stack("other", {"Vpc": vpc("10.1.0.0/16"), "A": subnet("r-1a", "10.1.0.0/24")}),
        ),
        state(
            _network("r-1a", "r-1b"),
            stack("other", {"Vpc": vpc("10.2.0.0/16"), "A": subnet("r-1a", "10.2.0.0/24")}),
        ),
        (),
    ),
    # unique-key: an internet gateway, an Elastic IP
    "the VPC's CIDR changed: its gateway and address taken again by the replacements": Case(
        state(_public_network("10.0.0.0/16")),
        state(_public_network("10.1.0.0/16")),
        ("unique-key",),
    ),
    "the VPC updated in place keeps its gateway attachment and NAT gateway": Case(
        state(_public_network("10.0.0.0/16")),
        state(_public_network("10.0.0.0/16", dns=True)),
        (),
    ),
    # fixed-name, the ledger: a repository removed (retained) by an earlier deploy, added back.
    "a name an orphaned repository holds, taken again": Case(
        state(stack("registry", {"T": topic()})),
        state(stack("registry", {"T": topic(), "Repo": repository("env/app", retain=True)})),
        ("fixed-name",),
        orphaned=_ORPHANED,
    ),
    # fixed-name, the account: the plan reading the account found the name held outside every
    # stack (tools/plan/account_orphans.py), with no ledger here.
    "a name the account holds outside every stack, taken": Case(
        state(stack("registry", {"T": topic()})),
        state(stack("registry", {"T": topic(), "Repo": repository("env/app", retain=True)})),
        ("fixed-name",),
        orphaned=tuple(replace(orphan, why=FOUND_IN_ACCOUNT) for orphan in _ORPHANED),
    ),
    # Compared with the account (BASE=deployed), the ledger can list a name its holder, adopted
    # with `cdk import`, holds in its stack again: replacing that holder is one refusal, its own.
    "a held name in the ledger, its holder replaced": Case(
        state(stack("registry", {"T": topic(), "Repo": repository("env/app", retain=True)})),
        state(
            stack("registry", {"T": topic(), "Repo": repository("env/app", kms=True, retain=True)})
        ),
        ("fixed-name", "stateful-retained"),
        orphaned=_ORPHANED,
    ),
    "a name the orphaned repository does not hold": Case(
        state(stack("registry", {"T": topic()})),
        state(stack("registry", {"T": topic(), "Repo": repository("env/other", retain=True)})),
        (),
        orphaned=_ORPHANED,
    ),
    "unnamed repository replaced": Case(
        state(stack("registry", {"Repo": repository()})),
        state(stack("registry", {"Repo": repository(kms=True)})),
        (),
    ),
    "named log group moved to a stack that deploys after the old one's": Case(
        state(stack("a", {"Logs": log_group("/app"), "T": topic()}), stack("b", {"T": topic()})),
        state(
            stack("a", {"T": topic()}),
            stack("b", {"T": topic(), "Logs": log_group("/app")}, depends_on=("a",)),
        ),
        (),
    ),
    "named log group moved to a stack with no order to the old one's": Case(
        state(stack("a", {"Logs": log_group("/app"), "T": topic()}), stack("b", {"T": topic()})),
        state(stack("a", {"T": topic()}), stack("b", {"T": topic(), "Logs": log_group("/app")})),
        ("fixed-name",),
    ),
    "named log group still held by a stack that left the app": Case(
        state(stack("a", {"Logs": log_group("/app")})),
        state(stack("b", {"Logs": log_group("/app")})),
        ("fixed-name", "stack-left-app"),
    ),
    # stack-left-app
    "a stack the app no longer has": Case(
        state(stack("a", {"T": topic()}), stack("b", {"T": topic()})),
        state(stack("a", {"T": topic()})),
        ("stack-left-app",),
    ),
    "a stack with retained resources the app no longer has": Case(
        state(
            stack("a", {"T": topic()}), stack("worker", {"Queue": retained_queue(), "T": topic()})
        ),
        state(stack("a", {"T": topic()})),
        ("stack-left-app",),
    ),
    "a stack the app no longer has, imported by one that stays": Case(
        state(
            stack("producer", {"Topic1": topic()}, outputs={"O": export(E1, ref("Topic1"))}),
            stack("consumer", {"Queue": queue_reading(imported(E1))}, depends_on=("producer",)),
        ),
        state(stack("consumer", {"Queue": queue_reading("literal")})),
        ("stack-left-app",),
    ),
    "a stack the app no longer has, imported by one not deployed": Case(
        state(
            stack("producer", {"Topic1": topic()}, outputs={"O": export(E1, ref("Topic1"))}),
            stack("consumer", {"Queue": queue_reading(imported(E1))}, depends_on=("producer",)),
            stack("other", {"T": topic()}),
        ),
        state(
            stack("consumer", {"Queue": queue_reading("literal")}), stack("other", {"T": topic()})
        ),
        ("stack-left-app",),
        stacks=("other",),
    ),
    "a stack not in STACKS": Case(
        state(stack("a", {"T": topic()}), stack("b", {"T": topic()})),
        state(stack("a", {"T": topic("x")}), stack("b", {"T": topic("y")})),
        (),
        stacks=("a",),
    ),
    # unique-key
    "renamed rule takes its predecessor's priority": Case(
        _listener_state({"RuleOld": (1, "/*")}),
        _listener_state({"RuleNew": (1, "/*")}),
        ("unique-key",),
    ),
    "two rules swap priorities": Case(
        _listener_state({"RuleA": (1, "/a/*"), "RuleB": (2, "/b/*")}),
        _listener_state({"RuleA": (2, "/a/*"), "RuleB": (1, "/b/*")}),
        ("unique-key",),
    ),
    "a rule moves to a free priority": Case(
        _listener_state({"RuleA": (1, "/a/*"), "RuleB": (2, "/b/*")}),
        _listener_state({"RuleA": (3, "/a/*"), "RuleB": (2, "/b/*")}),
        (),
    ),
    "a new rule at a priority its old stack keeps": Case(
        _listener_state({"Rule": (1, "/*")}, name="svc1"),
        _listener_state({"Rule": (1, "/*")}, name="svc2"),
        ("stack-left-app", "unique-key"),
    ),
    # The services' listener moving 80 -> 443 in place (HTTPS on) while a redirect listener takes
    # 80: clean when the redirect listener depends on it, so it is made after the move.
    "a listener takes a port another leaves in the same update, after it": Case(
        state(stack("lb", {"Alb": load_balancer(), "Http": listener()})),
        state(
            stack(
                "lb",
                {
                    "Alb": load_balancer(),
                    "Http": listener(port=443),
                    "Redirect": {**listener(), "DependsOn": ["Http"]},
                },
            )
        ),
        (),
    ),
    "a listener takes a port another leaves in the same update, in no order": Case(
        state(stack("lb", {"Alb": load_balancer(), "Http": listener()})),
        state(
            stack(
                "lb",
                {"Alb": load_balancer(), "Http": listener(port=443), "Redirect": listener()},
            )
        ),
        ("unique-key",),
    ),
    "a second listener on a port of the load balancer": Case(
        state(stack("lb", {"Alb": load_balancer(), "Http": listener()})),
        state(stack("lb", {"Alb": load_balancer(), "Http": listener(), "Web": listener()})),
        ("unique-key",),
    ),
    # Staged (tools/plan/stages.py): the listener holding the port is deleted in a stage of its
    # own first, with what references it.
    "a new listener takes the port of one the update deletes": Case(
        state(stack("lb", {"Alb": load_balancer(), "Http": listener()})),
        state(stack("lb", {"Alb": load_balancer(), "Web": listener()})),
        (),
        stages=2,
    ),
    "HTTPS off: the listener moves back to the redirect listener's port": Case(
        state(stack("lb", _https_listeners(https=True))),
        state(stack("lb", _https_listeners(https=False))),
        (),
        stages=2,
    ),
    "not staged when the first stage would be refused (an export in use)": Case(
        state(
            stack(
                "lb",
                {"Alb": load_balancer(), "Http": listener()},
                outputs={"L": export("lb:Http", ref("Http"))},
            ),
            stack("svc", {"Rule": listener_rule(imported("lb:Http"), 1)}, depends_on=("lb",)),
        ),
        state(
            stack("lb", {"Alb": load_balancer(), "Web": listener()}),
            stack("svc", {"Q": topic()}, depends_on=("lb",)),
        ),
        ("export-in-use", "unique-key"),
    ),
    "not staged: a rule's priority (the sequence keeps the route served)": Case(
        _listener_state({"RuleOld": (1, "/*")}),
        _listener_state({"RuleNew": (1, "/*")}),
        ("unique-key",),
    ),
    # listener-certificate-detached
    "certificates by place: the first of two dropped": Case(
        _sni({"Additional1": CERTIFICATE_A, "Additional2": CERTIFICATE_B}),
        _sni({"Additional1": CERTIFICATE_B}),
        ("listener-certificate-detached",),
    ),
    "certificates by place: reordered": Case(
        _sni({"Additional1": CERTIFICATE_A, "Additional2": CERTIFICATE_B}),
        _sni({"Additional1": CERTIFICATE_B, "Additional2": CERTIFICATE_A}),
        ("listener-certificate-detached",),
    ),
    # The one-time move of positional resources to keyed ones: created, then the old deleted.
    "certificates moved from places to keys": Case(
        _sni({"Additional1": CERTIFICATE_A, "Additional2": CERTIFICATE_B}),
        _sni({"CertA": CERTIFICATE_A, "CertB": CERTIFICATE_B}),
        ("listener-certificate-detached",),
    ),
    "an additional certificate made the listener's default": Case(
        _sni({"CertB": CERTIFICATE_B}),
        _sni({"CertA": CERTIFICATE_A}, default=CERTIFICATE_B),
        ("listener-certificate-detached",),
    ),
    "certificates by key: the first of two dropped, another added": Case(
        _sni({"CertA": CERTIFICATE_A, "CertB": CERTIFICATE_B}),
        _sni({"CertB": CERTIFICATE_B, "CertC": CERTIFICATE_C}),
        (),
    ),
    "a certificate removed that nothing else attaches": Case(
        _sni({"Additional1": CERTIFICATE_A}), _sni({}), ()
    ),
    "a certificate's resource moved to a stack deployed after its old one": Case(
        _sni_moved(to_services=False), _sni_moved(to_services=True), ()
    ),
    "a certificate's resource moved to a stack deployed before its old one": Case(
        _sni_moved(to_services=True),
        _sni_moved(to_services=False),
        ("listener-certificate-detached",),
    ),
    # A listener replaced (moved to another load balancer) takes its certificates along: the old
    # resources leave the old listener, which is deleted.
    "certificates of a replaced listener": Case(
        _sni({"CertA": CERTIFICATE_A}), _sni({"CertA": CERTIFICATE_A}, balancer="Alb2"), ()
    ),
    # stateful-retained
    "retained repository replaced": Case(
        state(stack("registry", {"Repo": repository(retain=True)})),
        state(stack("registry", {"Repo": repository(kms=True, retain=True)})),
        ("stateful-retained",),
    ),
    "retained log group removed": Case(
        state(stack("logs", {"Logs": log_group(retain=True), "T": topic()})),
        state(stack("logs", {"T": topic()})),
        ("stateful-retained",),
    ),
    "retained worker queue removed": Case(
        state(stack("worker", {"Queue": retained_queue(), "T": topic()})),
        state(stack("worker", {"T": topic()})),
        ("stateful-retained",),
    ),
    "repository replaced where nothing is retained": Case(
        state(stack("registry", {"Repo": repository()})),
        state(stack("registry", {"Repo": repository(kms=True)})),
        (),
    ),
    # kubernetes-version
    "upgrade leaving node groups and add-ons behind": Case(
        _eks("1.34", group=None, addons=None),
        _eks("1.35", group=None, addons=None),
        ("kubernetes-version",),
    ),
    "upgrade with node groups and add-ons following": Case(
        _eks("1.34", group="1.34", addons="v1.19.0-eksbuild.1"),
        _eks("1.35", group="1.35", addons="v1.19.2-eksbuild.1"),
        (),
    ),
    "upgrade whose node groups had no Version before": Case(
        _eks("1.34", group=None, addons="v1"),
        _eks("1.35", group="1.35", addons="v2"),
        ("kubernetes-version",),
    ),
    "two minors at once": Case(
        _eks("1.34", group="1.34", addons="v1"),
        _eks("1.36", group="1.36", addons="v2"),
        ("kubernetes-version",),
    ),
    # eks-addon-version
    "vpc-cni two minors up": Case(
        _addons(vpc_cni="v1.20.0-eksbuild.1"),
        _addons(vpc_cni="v1.22.4-eksbuild.3"),
        ("eks-addon-version",),
    ),
    "vpc-cni two minors down": Case(
        _addons(vpc_cni="v1.22.4-eksbuild.3"),
        _addons(vpc_cni="v1.20.0-eksbuild.1"),
        ("eks-addon-version",),
    ),
    "vpc-cni to another major": Case(
        _addons(vpc_cni="v1.22.4-eksbuild.3"),
        _addons(vpc_cni="v2.0.0-eksbuild.1"),
        ("eks-addon-version",),
    ),
    "pod identity agent two minors up, vpc-cni one": Case(
        _addons(vpc_cni="v1.21.1-eksbuild.1", eks_pod_identity_agent="v1.1.0-eksbuild.1"),
        _addons(vpc_cni="v1.22.4-eksbuild.3", eks_pod_identity_agent="v1.3.10-eksbuild.3"),
        ("eks-addon-version",),
    ),
    "vpc-cni one minor down, pod identity agent a patch up": Case(
        _addons(vpc_cni="v1.22.4-eksbuild.3", eks_pod_identity_agent="v1.3.4-eksbuild.1"),
        _addons(vpc_cni="v1.21.1-eksbuild.1", eks_pod_identity_agent="v1.3.10-eksbuild.3"),
        (),
    ),
    "coredns two minors up, vpc-cni pinned where it was not": Case(
        _addons(coredns="v1.12.4-eksbuild.18", vpc_cni=None),
        _addons(coredns="v1.14.3-eksbuild.3", vpc_cni="v1.22.4-eksbuild.3"),
        (),
    ),
    # eks-upgrade-policy
    "extended support disabled in extended support": Case(
        _policy("1.32", "EXTENDED"), _policy("1.32", "STANDARD"), ("eks-upgrade-policy",)
    ),
    "extended support disabled by default, upgrading in the same deploy": Case(
        _policy("1.34", None), _policy("1.35", "STANDARD"), ("eks-upgrade-policy",)
    ),
    "extended support disabled on standard support": Case(
        _policy("1.35", "EXTENDED"), _policy("1.35", "STANDARD"), ()
    ),
    "extended support enabled in extended support": Case(
        _policy("1.32", "STANDARD"), _policy("1.32", "EXTENDED"), ()
    ),
    # eks-cluster-zones
    "cluster onto a subnet of a new zone": Case(
        _zoned_cluster("A", "C"), _zoned_cluster("A", "C", "D"), ("eks-cluster-zones",)
    ),
    "cluster onto other subnets of its zones": Case(
        _zoned_cluster("A", "C"), _zoned_cluster("B", "C"), ()
    ),
    # eks-auto-mode-off
    "auto mode turned off": Case(
        _auto_mode(True), _auto_mode(False, nodes=True), ("eks-auto-mode-off",)
    ),
    "auto mode turned off, its settings left unset": Case(
        _auto_mode(True), _auto_mode(None, nodes=True), ("eks-auto-mode-off",)
    ),
    "auto mode turned on": Case(_auto_mode(False, nodes=True), _auto_mode(True), ()),
    # A cluster replaced (renamed) or removed goes with its nodes whatever Auto Mode says: other
    # rules' business.
    "auto mode off on a replaced cluster": Case(
        _auto_mode(True), _auto_mode(False, name="cp-test-2", nodes=True), ()
    ),
    "auto mode cluster removed": Case(_auto_mode(True), state(stack("eks", {"T": topic()})), ()),
    # efs-access-point-owner
    "efs access point as another user": Case(
        _efs("101"), _efs("65532"), ("efs-access-point-owner",)
    ),
    "efs access point as another user on another directory": Case(
        _efs("101"), _efs("65532", root="/data2"), ()
    ),
    "efs access point as the same user": Case(_efs("101"), _efs("101"), ()),
    # A new file system (another logical id) is another directory; the old one is retained
    # (stateful-retained's business).
    "efs access point as another user on a new file system": Case(
        _efs("101"), _efs("65532", file_system="Fs2"), ("stateful-retained",)
    ),
    # eks-node-group-version-alone
    "node group upgraded with its labels": Case(
        _upgraded("1.35"), _upgraded("1.36", labels="b"), ("eks-node-group-version-alone",)
    ),
    "node group upgraded with a new launch template version": Case(
        _upgraded("1.35"), _upgraded("1.36", disk=50), ("eks-node-group-version-alone",)
    ),
    "node group upgraded alone": Case(_upgraded("1.35"), _upgraded("1.36"), ()),
    "node group labels and launch template changed alone": Case(
        _upgraded("1.36"), _upgraded("1.36", labels="b", disk=50), ()
    ),
    "downgrade": Case(
        _eks("1.35", group="1.35", addons="v1"),
        _eks("1.34", group="1.34", addons="v1"),
        ("kubernetes-version",),
    ),
}


# The planner's cases: a producer that drops its export and a registry whose named repository is
# replaced (tests/plan/test_planner.py).
EXPORT = E1
PLANNER_BASE = state(
    stack("producer", {"Topic1": topic()}, outputs={"O": export(EXPORT, ref("Topic1"))}),
    stack("consumer", {"Queue": queue_reading(imported(EXPORT))}, depends_on=("producer",)),
    stack("registry", {"Repo": repository("app")}),
)
PLANNER_APP = state(
    stack("producer", {"Topic1": topic(), "Topic2": topic()}),
    stack("consumer", {"Queue": queue_reading("literal")}, depends_on=("producer",)),
    stack("registry", {"Repo": repository("app", kms=True)}),
)


def _released(strategy: str, path: str, port: int = 8080) -> State:
    """A service released by `strategy` with its production rule on `path`, forwarding to its
    target group on `port` (another port replaces the group)."""
    rule = listener_rule(ref("Listener"), 1, path)
    rule["Properties"]["Actions"] = [{"Type": "forward", "TargetGroupArn": ref("Group")}]
    resources = {
        "Alb": load_balancer(),
        "Listener": listener(),
        "Group": {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": {"Port": port, "Protocol": "HTTP", "VpcId": "vpc-1"},
        },
        "Rule": rule,
        "Service": released_service(strategy),
    }
    return state(stack("svc", resources))


PLANNER_CASES: dict[str, Request] = {
    "first deploy": Request("test", {}, PLANNER_APP, "nothing"),
    "everything": Request("test", PLANNER_BASE, PLANNER_APP, "base"),
    "accepted": Request(
        "test", PLANNER_BASE, PLANNER_APP, "base", accept=("fixed-name", "export-in-use")
    ),
    "consumer only": Request("test", PLANNER_BASE, PLANNER_APP, "base", stacks=("consumer",)),
    "unchanged": Request("test", PLANNER_BASE, PLANNER_BASE, "base"),
    "left the app": Request("test", PLANNER_BASE, {"registry": PLANNER_BASE["registry"]}, "base"),
    # The production rule of a service ECS shifts traffic for, changed (and of a rolling one).
    "shifted route": Request(
        "test", _released("CANARY", "/a/*"), _released("CANARY", "/b/*"), "base"
    ),
    "rolling route": Request(
        "test", _released("ROLLING", "/a/*"), _released("ROLLING", "/b/*"), "base"
    ),
    # Its port changed: the target group is replaced, and CloudFormation updates the rule that
    # forwards to it (the diff engine does not list the rule).
    "shifted port": Request(
        "test", _released("CANARY", "/a/*"), _released("CANARY", "/a/*", port=9090), "base"
    ),
    # An EKS downgrade: EKS refuses it whatever PLAN_ACCEPT says.
    "downgrade accepted": Request(
        "test",
        RULE_CASES["downgrade"].base,
        RULE_CASES["downgrade"].app,
        "base",
        accept=("kubernetes-version",),
    ),
}


def all_requests() -> dict[str, Request]:
    """Every hand-made case as a plan request, by name (the two sets' names are distinct)."""
    rules = {
        name: Request(
            "test", case.base, case.app, name, case.stacks, orphaned=case.orphaned, today=PLAN_DAY
        )
        for name, case in RULE_CASES.items()
    }
    assert not set(rules) & set(PLANNER_CASES)
    return {**rules, **PLANNER_CASES}
