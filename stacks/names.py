"""The names the platform gives that something outside one stack module depends on.

Stack names, the construct ids that become logical ids, CloudFormation output keys, parameter
names and the fixed physical names the tools need: the stacks build with these, and the tools
(`tools/`) and tests find synthesized or deployed stacks, outputs and parameters by them, so each
is spelled here once. Changing one renames a stack, an output or a logical id (CloudFormation
replaces a resource whose logical id changes; the snapshot tests show it).

Imports nothing from aws-cdk-lib: the tools load it without starting jsii.
"""

from __future__ import annotations

import re

from platform_config.ecs_placement import DEFAULT_GROUP
from platform_config.registry import KMS_COMPONENT

PROJECT = "cp"

# Units: the part of a stack name after `<project>-<environment>-`, one per deployable unit.
NETWORK_UNIT = "network"
REGISTRY_UNIT = "registry"
EKS_UNIT = "eks"
ALARMS_UNIT = "alarms"  # the environment's alarm topic


def ecs_cluster_unit(kind: str) -> str:
    """The unit of the cluster stack of ECS cluster `kind` ("ec2", "fargate",
    "managed_instances"), e.g. ecs-ec2, ecs-managed-instances (stack names allow no '_')."""
    return f"ecs-{kind.replace('_', '-')}"


def ecs_services_unit(kind: str, number: int) -> str:
    """The unit of service stack `number` of ECS cluster `kind`, e.g. ecs-fargate-services-1."""
    return f"{ecs_cluster_unit(kind)}-services-{number}"


def ecs_workload_unit(kind: str, service_kind: str, service: str) -> str:
    """The unit of the stack of its own that a service of every kind but web has (backend,
    worker, job), e.g. ecs-fargate-worker-orders-worker: from its cluster, kind and name only,
    so adding or removing other services never moves it. Never a services-N unit (the kind
    comes first)."""
    return f"{ecs_cluster_unit(kind)}-{service_kind}-{service}"


def stack_prefix(environment: str) -> str:
    """What every stack name of `environment` starts with, e.g. `cp-sandbox-`."""
    return f"{PROJECT}-{environment}-"


def stack_id(environment: str, unit: str) -> str:
    """The stack of `unit` in `environment`: `<project>-<environment>-<unit>`, e.g.
    cp-sandbox-network. The construct id and the CloudFormation stack name."""
    return f"{stack_prefix(environment)}{unit}"


# Construct ids of the stacks' top-level constructs (their logical ids start with these).
NETWORK_CONSTRUCT = "Network"
REGISTRY_CONSTRUCT = "Registry"
CI_PUBLISHER_ROLE_CONSTRUCT = "CiPublisherRole"
EC2_CLUSTER_CONSTRUCT = "Ec2Cluster"
FARGATE_CLUSTER_CONSTRUCT = "FargateCluster"
MANAGED_INSTANCES_CLUSTER_CONSTRUCT = "ManagedInstancesCluster"
IMPORTED_CLUSTER_CONSTRUCT = "Cluster"  # the cluster as a service stack imports it
EKS_CONSTRUCT = "Eks"
KUBECTL_LAYER_CONSTRUCT = "KubectlLayer"
LOG_KEY_CONSTRUCT = "LogKey"  # a stack's log-encryption key, where the environment has one
DEPLOYER_ADMIN_CONSTRUCT = "DeployerAdmin"  # the EKS access entry of the deployer
ALARM_TOPIC_CONSTRUCT = "AlarmTopic"
CLUSTER_DASHBOARD_CONSTRUCT = "Dashboard"
SERVICE_ALARMS_CONSTRUCT = "Alarms"  # inside the service's construct: no id of its own in the stack


def service_construct_id(service: str) -> str:
    """The construct id of ECS service `service` (e.g. web-app: ServiceWebApp): from its name
    only, so adding, removing or moving other services never shifts its logical ids. Two names
    equal once hyphens are removed would share it, and a name equal to another's plus `-url`
    would take the id of the other's URL output: the config refuses both
    (`platform_config.ecs_cluster.check_construct_ids`)."""
    return "Service" + "".join(part.capitalize() for part in service.split("-"))


def service_queue_import_construct_id(service: str) -> str:
    """The construct id of the queue a worker `service` is given by ARN, imported into its
    stack."""
    return f"{service_construct_id(service)}GivenQueue"


def service_secret_construct_id(service: str, variable: str) -> str:
    """The construct id of the imported secret or parameter behind `variable` of `service`. The
    ':' (in no service construct id or output key) keeps it apart from every other id of the
    stack, and from other services' secrets whose names and variables would join to the same text
    (service ab's variable XSecretY, service ab-secret-x's Y). An imported secret adds no resource,
    so the id reaches no template."""
    return f"{service_construct_id(service)}Secret:{variable}"


# The default group's first ALB keeps the ids the single shared ALB had before load-balancer
# groups, so the templates of existing environments did not change.
FIRST_LOAD_BALANCER = (DEFAULT_GROUP, 1)


def _load_balancer_id(prefix: str, key: tuple[str, int]) -> str:
    """`prefix` for the first ALB, else `prefix<Group>Alb<number>`: group names are lowercase
    letters and digits, so the capital A of "Alb" keeps every (group, number) apart (group
    default2's ALB 1 is Default2Alb1, group default's ALB 21 is DefaultAlb21)."""
    group, number = key
    if (group, number) == FIRST_LOAD_BALANCER:
        return prefix
    return f"{prefix}{group.capitalize()}Alb{number}"


def load_balancer_construct_id(key: tuple[str, int]) -> str:
    """The construct id of ALB `key` (group, number) in its cluster stack."""
    return _load_balancer_id("SharedLoadBalancer", key)


def load_balancer_import_construct_id(key: tuple[str, int]) -> str:
    """The construct id of ALB `key` as a service stack imports it (listener, security group)."""
    return _load_balancer_id("LoadBalancerSecurityGroup", key)


def routes_construct_id(key: tuple[str, int]) -> str:
    """The construct id, in a service stack, of the listener rules its services have on ALB `key`
    (`ListenerRoutes`; each rule's id is its priority): Routes, RoutesInternalAlb1, ..."""
    return _load_balancer_id("Routes", key)


def test_routes_construct_id(key: tuple[str, int]) -> str:
    """The construct id of the test rules (blue/green family) its services have on ALB `key`'s
    test listener, by priority like `routes_construct_id`: TestRoutes, TestRoutesInternalAlb1..."""
    return _load_balancer_id("TestRoutes", key)


def target_group_construct_id(key: tuple[str, int]) -> str:
    """The construct id, in a service's construct, of its target group behind ALB `key`: one per
    ALB, since a target group serves one load balancer (`ServiceLoadBalancer.target_group_id`).
    TargetGroup for the first ALB, the id services had before."""
    return _load_balancer_id("TargetGroup", key)


# CloudFormation output keys.
CLUSTER_NAME_OUTPUT = "ClusterName"  # ECS cluster stacks and the EKS stack
UPDATE_KUBECONFIG_OUTPUT = "UpdateKubeconfigCommand"  # EKS stack
ARGOCD_ROLE_OUTPUT = "ArgoCdRoleArn"  # EKS stack, with the Argo CD capability
SERVICE_URL_OUTPUT_SUFFIX = "Url"


def load_balancer_dns_output(key: tuple[str, int]) -> str:
    """The cluster stack's output with the DNS name of ALB `key` (group, number):
    LoadBalancerDnsName for the first."""
    return _load_balancer_id("LoadBalancerDnsName", key)


def service_url_output(service: str) -> str:
    """The service stack's output with the URL of `service`, e.g. ServiceWebAppUrl."""
    return f"{service_construct_id(service)}{SERVICE_URL_OUTPUT_SUFFIX}"


# A worker's queue URL and a job's schedule name: outputs that are not URLs to probe (the
# `make verify` URL check takes the outputs ending in SERVICE_URL_OUTPUT_SUFFIX).
def service_queue_output(service: str) -> str:
    """The stack's output with the URL of worker `service`'s queue, e.g. ServiceOrdersQueue."""
    return f"{service_construct_id(service)}Queue"


def service_schedule_output(service: str) -> str:
    """The stack's output with the name of job `service`'s schedule, e.g. ServiceReportSchedule."""
    return f"{service_construct_id(service)}Schedule"


def service_endpoint_output(service: str) -> str:
    """The stack's output with the Service Connect address of backend `service`
    (http://NAME:PORT, from the cluster's other services), e.g. ServiceOrdersEndpoint."""
    return f"{service_construct_id(service)}Endpoint"


def queue_url_variable(worker: str) -> str:
    """The environment variable with the URL of worker `worker`'s queue in a service that may
    send to it, e.g. orders-worker: QUEUE_URL_ORDERS_WORKER."""
    return "QUEUE_URL_" + worker.upper().replace("-", "_")


def repository_output_id(repository: str) -> str:
    """Repository `repository` in PascalCase, what its outputs start with (sample-app:
    SampleApp). Names that differ only in separators share it (the config refuses them)."""
    return "".join(part.capitalize() for part in re.split(r"[^a-z0-9]+", repository) if part)


def repository_uri_output(repository: str) -> str:
    """The registry stack's output with the URI of `repository`, e.g. SampleAppRepositoryUri."""
    return f"{repository_output_id(repository)}RepositoryUri"


def repository_push_commands_output(repository: str) -> str:
    """The registry stack's output with the commands that push to `repository`."""
    return f"{repository_output_id(repository)}PushCommands"


# Parameters and conditions.
DEPLOYER_ADMIN_PARAMETER = "DeployerAdminArn"  # EKS stack; `make deploy` sets it
DEPLOYER_ADMIN_CONDITION = f"{DEPLOYER_ADMIN_PARAMETER}Set"


# Fixed physical names.
def eks_cluster_name(environment: str) -> str:
    """The EKS cluster's name in `environment` (kubeconfig commands and the control-plane log
    group use it), e.g. cp-sandbox."""
    return f"{PROJECT}-{environment}"


def service_alarm_prefix(services_stack_name: str, service: str) -> str:
    """What the names of `service`'s alarms start with: its stack's name and its own, e.g.
    cp-sandbox-ecs-fargate-services-1-sample (alarm names are unique per account and region; a
    service that moves to another stack gets new alarms before the old ones are deleted, so the
    stack is part of the name). Its cluster's dashboard finds the alarms by these names."""
    return f"{services_stack_name}-{service}"


def alarm_topic_name(environment: str) -> str:
    """The environment's alarm topic, e.g. cp-sandbox-alarms: a fixed name, so that service
    stacks name it in their alarm actions by ARN without importing an export (the alarms stack
    can then change, or fail on the emulator, without holding the service stacks)."""
    return f"{PROJECT}-{environment}-alarms"


def dashboard_name(cluster_stack_name: str) -> str:
    """The CloudWatch dashboard of the cluster of stack `cluster_stack_name` (its own name)."""
    return cluster_stack_name


def service_connect_namespace(cluster_stack_name: str) -> str:
    """The Cloud Map HTTP namespace of the cluster of stack `cluster_stack_name` (unique per
    account and region, like the stack name), e.g. cp-sandbox-ecs-fargate."""
    return cluster_stack_name


def exec_log_group_name(cluster_stack_name: str) -> str:
    """The ECS Exec log group of the cluster of stack `cluster_stack_name`: a fixed name, so
    service stacks name it in their task role policies without a cross-stack reference (and the
    cdk-nag acknowledgement can name it exactly)."""
    return f"/aws/ecs/exec/{cluster_stack_name}"


# The registry's names (ECR names are unique per account and region, so each carries the
# environment; docs/design.md, D21).
REGISTRY_KMS_COMPONENT = KMS_COMPONENT


def registry_namespace(environment: str, kms: bool) -> str:
    """What every default ECR name of `environment` starts with: cp-<env>, and cp-<env>/kms for a
    KMS-encrypted registry. The encryption is in the name because ECR cannot change a
    repository's encryption (EncryptionConfiguration is create-only): turning KMS on or off
    replaces each repository, and a new name lets the new one be created beside the old one."""
    base = f"{PROJECT}-{environment}"
    return f"{base}/{REGISTRY_KMS_COMPONENT}" if kms else base


def repository_name(environment: str, repository: str, kms: bool) -> str:
    """The ECR name of config repository `repository` in `environment`, unless its config pins one
    (`physical_name`): e.g. cp-sandbox/sample-app, cp-staging/kms/api."""
    return f"{registry_namespace(environment, kms)}/{repository}"


def pull_through_cache_prefix(environment: str, kms: bool, upstream: str) -> str:
    """The default ECR prefix of the pull-through cache of upstream `upstream` (ecr-public, k8s,
    quay) in `environment`, e.g. cp-sandbox/ecr-public (at most 30 characters: ECR's limit)."""
    return f"{registry_namespace(environment, kms)}/{upstream}"


def cached_repository_name(prefix: str, upstream_path: str) -> str:
    """The ECR name under which the cache keeps upstream repository `upstream_path`, e.g.
    cp-sandbox/ecr-public/nginx/nginx-unprivileged (ECR's pull-through naming)."""
    return f"{prefix}/{upstream_path}"


# Repositories whose ECR name changed keep, for the stacks that imported them before, the exports
# CDK made for those imports (value: the ARN or name under the old name, unchanged): a consumer
# deployed before reads them until its next deploy, which drops the import. RegistryStack.
LEGACY_REPOSITORY_EXPORTS = ("Arn", "Ref")
