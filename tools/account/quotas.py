"""Whether the account's vCPU quotas hold the compute the environment runs (tools.account.check
reports it before a deploy).

Each quota below caps the vCPUs of one kind of capacity an account runs in a region, and it is
often small in a new account. Past it, capacity does not launch: Fargate refuses the task ("You've
reached the limit on the number of vCPUs you can run concurrently", in the service's events), EC2
the instance (VcpuLimitExceeded), so the ECS deployment, the capacity provider's scale-out or the
EKS node group waits for capacity that never comes, and the stack update fails long after it
started. Sources, read 2026-12-05: the Amazon ECS Developer Guide, "Amazon ECS service quotas"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html: "Fargate
On-Demand vCPU resource count", "Fargate Spot vCPU resource count"); the Amazon EC2 guide,
"Amazon EC2 instance type quotas" (https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html:
"Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", "All Standard (A, C, D, H,
I, M, R, T, Z) Spot Instance Requests", counted in vCPUs).

What the environment needs of each, from the config, in vCPUs:

* least: what every deploy needs, the services at their minimum task count (a new one starts at
  one task, `defaults.NEW_SERVICE_TASKS`, even where the minimum is 0) with a
  deployment's second task set beside them (maximum percent 200: the new tasks start before the
  old stop), the EC2 cluster at `min_instances` of its smallest type, each EKS node group at its
  `desired_size` of its smallest type. More than the quota: the deploy cannot complete, a problem.
* most: at the config's maximum, `max_tasks` with a deployment's second task set (and one run of
  each job), `max_instances` and `max_size` of the largest types. More than the quota: scaling out
  stops at the quota; reported, not a problem.

Fargate tasks go to FARGATE or FARGATE_SPOT as the cluster's capacity provider strategy places
them (its `base` first, the rest in proportion to the weights); EC2 instances are on demand, or
Spot above `on_demand_base_capacity`; node groups by `capacity_type`. The quota is the applied
value (Service Quotas GetServiceQuota).

What else the account runs counts against the same quota. GetServiceQuota names the CloudWatch
metric that reflects each quota's usage (its `UsageMetric`, "MetricInfo" in the Service Quotas API
reference, https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_MetricInfo.html,
read 2026-12-05: namespace, name, dimensions and the statistic "we recommend you use when
determining quota usage"); for Fargate it is `AWS/Usage` ResourceCount, vCPU by class ("AWS
Fargate usage metrics", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/monitoring-fargate-usage.html).
The check reads its newest datapoint of the last USAGE_WINDOW (none there: nothing running).
Before the environment's first deploy (its network stack, which every stack of it needs, does not
exist) all of that usage is other workloads', and it is added to what the environment needs.
Once the environment is deployed the usage includes its own running capacity: what it runs now
is subtracted where it can be enumerated exactly (tools/account/own_usage.py), and where it
cannot, the usage is reported only, never counting the environment's capacity twice. Not
counted: instance families with quotas of their own (G, P, Inf, ...), the Managed Instances
cluster, and EKS Auto Mode or Fargate pods (their capacity is not in the config). A quota (or
its usage) that cannot be read is "not checked" (not counted), never a problem.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from container_constructs import defaults
from platform_config import PlatformConfig
from platform_config.ecs import CapacityProviderShare
from stacks import names
from tools.account.instance_types import instance_vcpus, is_standard
from tools.account.session import described_stack, looked_up, value_or_why

# How far back the usage metric's newest datapoint is looked for (the usage metrics are published
# every minute while something runs), and the period of its datapoints.
USAGE_WINDOW = datetime.timedelta(minutes=15)
USAGE_PERIOD_SECONDS = 60


# What follows from capacity past a vCPU quota.
VCPU_PAST = (
    "capacity past it does not launch, so the deploy would wait for it until the stack update fails"
)


@dataclass(frozen=True)
class Quota:
    """A Service Quotas quota, by service code and quota code; what it counts, and what follows
    from needing more than it."""

    service: str
    code: str
    name: str
    unit: str = "vCPUs"
    past: str = VCPU_PAST


FARGATE_ON_DEMAND = Quota("fargate", "L-3032A538", "Fargate On-Demand vCPU resource count")
FARGATE_SPOT = Quota("fargate", "L-36FBB829", "Fargate Spot vCPU resource count")
EC2_ON_DEMAND = Quota(
    "ec2", "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"
)
EC2_SPOT = Quota(
    "ec2", "L-34B43A08", "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"
)
FARGATE_QUOTAS = {"FARGATE": FARGATE_ON_DEMAND, "FARGATE_SPOT": FARGATE_SPOT}


@dataclass
class Need:
    """What the environment needs of one quota, and the config paths that need it."""

    least: float = 0.0
    most: float = 0.0
    uses: list[str] = field(default_factory=list)

    def add(self, least: float, most: float, use: str) -> None:
        self.least += least
        self.most += most
        if use not in self.uses:
            self.uses.append(use)


@dataclass(frozen=True)
class Usage:
    """What the account runs now against a quota, and how much of it is the environment's own."""

    value: float | None  # None: not read
    own: float | None = 0.0  # the environment's share of `value`; None: not known
    reason: str = ""  # why `value` or `own` is not known

    @property
    def counted(self) -> float:
        """The usage added to what the environment needs: other workloads' only (none when the
        environment's share is not known: never its own capacity twice)."""
        if self.value is None or self.own is None:
            return 0.0
        return max(0.0, self.value - self.own)

    def describe(self) -> str:
        if self.value is None:
            return f"in use not read ({self.reason})"
        used = f"in use {_number(self.value)}"
        if self.own is None:
            return f"{used}, this environment's share not known ({self.reason})"
        if not self.own:
            return f"{used} by other workloads"
        return f"{used}, {_number(self.own)} of it this environment's"


NOT_READ = Usage(None, reason="not looked up")
# What the environment runs now against a quota (vCPUs, load balancers, ...), or why that is not
# known (tools/account/own_usage.py).
OwnUsage = Callable[[Quota], "float | str"]


def nothing_deployed(_quota: Quota) -> float | str:
    """The OwnUsage of an environment that is not deployed: nothing of it runs."""
    return 0.0


def usage(total: float | str, quota: Quota, own: OwnUsage) -> Usage:
    """The account's `total` usage of `quota` (or why it was not read), with the environment's
    share of it."""
    if isinstance(total, str):
        return Usage(None, reason=total)
    mine = own(quota)
    return Usage(total, None, mine) if isinstance(mine, str) else Usage(total, mine)


@dataclass(frozen=True)
class QuotaStatus:
    """One quota: what the environment needs, the account's value and usage, and what that
    means."""

    quota: Quota
    need: Need
    value: float | None  # None: not read
    reason: str = ""  # why not read
    usage: Usage = NOT_READ

    @property
    def problem(self) -> str | None:
        if self.value is None or self.need.least + self.usage.counted <= self.value:
            return None
        others = (
            f" and other workloads use {_number(self.usage.counted)} of it now"
            if self.usage.counted
            else ""
        )
        return (
            f"{', '.join(self.need.uses)}: needs at least {_number(self.need.least)} "
            f"{self.quota.unit} of '{self.quota.name}' ({self.quota.service} {self.quota.code}), "
            f"and the account's quota is {_number(self.value)}{others}: {self.quota.past}; "
            "request an increase in Service Quotas, or lower what the config runs"
        )

    def line(self) -> str:
        least, most = _number(self.need.least), _number(self.need.most)
        needs = least if least == most else f"{least} to {most}"
        head = f"{self.quota.code} {self.quota.name}: needs {needs} {self.quota.unit}"
        if self.value is None:
            return f"{head}, not checked: {self.reason}"
        if self.need.least + self.usage.counted > self.value:
            state = "too small"
        elif self.need.most + self.usage.counted > self.value:
            state = "scaling out to the maximum stops at the quota"
        else:
            state = "ok"
        return (
            f"{head}, quota {_number(self.value)}, {self.usage.describe()}: {state} "
            f"({', '.join(self.need.uses)})"
        )


def _number(value: float) -> str:
    return f"{value:g}"


def strategy_shares(tasks: float, strategy: Iterable[CapacityProviderShare]) -> dict[str, float]:
    """How many of `tasks` each capacity provider runs: the one with a base first, up to it; the
    rest in proportion to the weights."""
    shares = list(strategy)
    placed: dict[str, float] = {
        share.capacity_provider: min(tasks, float(share.base)) for share in shares
    }
    rest = tasks - sum(placed.values())
    weights = sum(share.weight for share in shares)
    for share in shares:
        placed[share.capacity_provider] += rest * share.weight / weights if weights else 0.0
    return placed


def needs(config: PlatformConfig, vcpus: Mapping[str, int]) -> dict[Quota, Need]:
    """What the environment needs of each quota; `vcpus` gives each instance type's vCPUs."""
    found: dict[Quota, Need] = {}

    def need(quota: Quota) -> Need:
        return found.setdefault(quota, Need())

    fargate = config.ecs.fargate
    if fargate.enabled:
        for service in fargate.services.values():
            scaling = service.scaling
            if service.kind == "job":
                least, most = 0.0, 1.0
            else:
                running = max(scaling.min_tasks, defaults.NEW_SERVICE_TASKS)
                least = defaults.DEPLOYMENT_MAXIMUM_PERCENT * running / 100
                most = float(scaling.deployment_tasks)
            per_task = service.cpu / 1024
            low = strategy_shares(least, fargate.default_strategy)
            high = strategy_shares(most, fargate.default_strategy)
            use = f"ecs.fargate.services.{service.name}"
            for provider, quota in FARGATE_QUOTAS.items():
                if high.get(provider):
                    need(quota).add(
                        low.get(provider, 0.0) * per_task, high[provider] * per_task, use
                    )
    ec2 = config.ecs.ec2
    if ec2.enabled:
        on_demand = ec2.on_demand_base_capacity if ec2.spot else ec2.max_instances
        _instances(
            need,
            vcpus,
            ec2.instance_types,
            "ecs.ec2",
            ec2.min_instances,
            ec2.max_instances,
            on_demand,
        )
    if config.eks.enabled and config.eks.compute.mode == "managed_nodes":
        for index, group in enumerate(config.eks.compute.node_groups):
            on_demand = group.max_size if group.capacity_type == "on_demand" else 0
            _instances(
                need,
                vcpus,
                group.instance_types,
                f"eks.compute.node_groups[{index}]",
                group.desired_size,
                group.max_size,
                on_demand,
            )
    return found


def _instances(
    need: Callable[[Quota], Need],
    vcpus: Mapping[str, int],
    instance_types: list[str],
    use: str,
    least: int,
    most: int,
    on_demand: int,
) -> None:
    """Instances of `instance_types` (least..most of them, the first `on_demand` on demand, the
    rest Spot) in the Standard quotas; types of other families are left out."""
    counted = [vcpus[name] for name in instance_types if is_standard(name) and name in vcpus]
    if not counted:
        return
    smallest, largest = min(counted), max(counted)
    low_on_demand = min(least, on_demand)
    high_on_demand = min(most, on_demand)
    if high_on_demand:
        need(EC2_ON_DEMAND).add(low_on_demand * smallest, high_on_demand * largest, use)
    if most > high_on_demand:
        need(EC2_SPOT).add(
            (least - low_on_demand) * smallest, (most - high_on_demand) * largest, use
        )


def check_quotas(
    config: PlatformConfig, session: Any, instance_types: Iterable[str], own: OwnUsage
) -> list[QuotaStatus]:
    """Each quota the environment needs, the account's value of it and its usage (`own`: the
    environment's share). Raises only botocore's NoCredentialsError (an unreadable quota or
    usage is "not checked")."""
    ec2 = session.client("ec2", region_name=config.region)
    vcpus = instance_vcpus(ec2, instance_types)
    needed = needs(config, vcpus)
    if not needed:
        return []
    client = session.client("service-quotas", region_name=config.region)
    cloudwatch = session.client("cloudwatch", region_name=config.region)
    statuses = []
    for quota, need in needed.items():
        value, metric, reason = quota_value(client, quota)
        used = (
            usage(_metric_total(cloudwatch, metric), quota, own) if value is not None else NOT_READ
        )
        statuses.append(QuotaStatus(quota, need, value, reason, used))
    return statuses


def quota_value(client: Any, quota: Quota) -> tuple[float | None, dict[str, Any], str]:
    """The applied value of `quota` and its usage metric (GetServiceQuota), or None and why it
    was not read."""

    def applied() -> tuple[float | None, dict[str, Any], str]:
        answer = client.get_service_quota(ServiceCode=quota.service, QuotaCode=quota.code)
        return float(answer["Quota"]["Value"]), answer["Quota"].get("UsageMetric") or {}, ""

    return looked_up(applied, not_checked=lambda why: (None, {}, why), by_code={})


def not_deployed(session: Any, config: PlatformConfig) -> bool | str:
    """True when the environment is not deployed (no network stack), False when it is; why, when
    that cannot be told (the usage is then not counted)."""
    cloudformation = session.client("cloudformation", region_name=config.region)
    network = names.stack_id(config.name, names.NETWORK_UNIT)

    absent = value_or_why(lambda: described_stack(cloudformation, network) is None)
    return absent if isinstance(absent, bool) else f"whether {network} exists not read: {absent}"


def _metric_total(cloudwatch: Any, metric: Mapping[str, Any]) -> float | str:
    """The newest datapoint of the quota's usage `metric` (CloudWatch GetMetricStatistics, the
    statistic Service Quotas recommends) in the last USAGE_WINDOW, 0 with none there; or why it
    was not read."""
    if not metric.get("MetricNamespace") or not metric.get("MetricName"):
        return "the quota names no usage metric"
    statistic = metric.get("MetricStatisticRecommendation") or "Maximum"
    end = datetime.datetime.now(datetime.UTC)

    def newest() -> float:
        answer = cloudwatch.get_metric_statistics(
            Namespace=metric["MetricNamespace"],
            MetricName=metric["MetricName"],
            Dimensions=[
                {"Name": name, "Value": value}
                for name, value in sorted((metric.get("MetricDimensions") or {}).items())
            ],
            StartTime=end - USAGE_WINDOW,
            EndTime=end,
            Period=USAGE_PERIOD_SECONDS,
            Statistics=[statistic],
        )
        points = sorted(answer.get("Datapoints", []), key=lambda point: point["Timestamp"])
        return float(points[-1][statistic]) if points else 0.0

    return value_or_why(newest)
