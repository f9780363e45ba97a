"""The defaults of the constructs' props, each defined once; the platform's config sections
(`platform_config`) default to the same values by reading them here.

Plain values only (numbers, strings, tuples; durations as seconds or days, which the constructs
convert): this module imports only `typing`, so loading a config never loads aws-cdk-lib. What the
platform deliberately sets otherwise per environment (the nginx sample's uid 101, production's
retention) is in platform_config/environments.py. A default of "nothing" (no certificate, no
secrets, no extra accounts) is written where it is used.
"""

from __future__ import annotations

from typing import Final, Literal

# Logs: every log group the constructs create (application, ECS Exec sessions, VPC flow logs,
# EKS control plane). A value CloudWatch Logs accepts (checks.LOG_RETENTION_DAYS).
LOG_RETENTION_DAYS: Final = 30

# Web services (WebServiceProps; config ecs.<kind>.services.<name>).
CONTAINER_PORT: Final = 8080  # unprivileged: a non-root process cannot bind a port below 1024
USER: Final = "1000"  # non-root; numeric, so the volume-permissions init container can chown to it
TASK_CPU: Final = 256  # the smallest Fargate task (CPU units)
TASK_MEMORY_MIB: Final = 512
CPU_ARCHITECTURE: Final[Literal["x86_64", "arm64"]] = "x86_64"
WRITABLE_PATHS: Final = ("/tmp",)  # scratch volumes under the read-only root filesystem
# The volume-permissions init container's image (Fargate; task_volumes.py): tiny, multi-arch
# (x86_64 and arm64), has `chown`; pinned by the digest of the index its tag named when pinned
# (the digest Docker Hub's library/busybox:1.37 is pinned to in public repositories, e.g.
# "busybox:1.37@sha256:9db7b599..."; ECR Public's docker/library copies Docker's official images).
# Not checked against ECR Public offline: `make image-digests` checks it.
VOLUME_PERMISSIONS_IMAGE_URI: Final = "public.ecr.aws/docker/library/busybox:1.37"
VOLUME_PERMISSIONS_IMAGE_DIGEST: Final = (
    "sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0"
)
# EC2: each writable path is a tmpfs of at most this size; its pages count toward the container's
# memory limit (Fargate: task volumes on the task's ephemeral storage, 20 GiB).
SCRATCH_TMPFS_SIZE_MIB: Final = 64
HEALTH_CHECK_PATH: Final = "/"
HEALTH_CHECK_GRACE_SECONDS: Final = 60  # a starting task is not replaced for failing checks
MIN_TASKS: Final = 1
MAX_TASKS: Final = 2
# What ECS starts a new service at: its template sets no DesiredCount (service_base.add_service),
# so CloudFormation's default of one task applies until the scalable target moves it to min_tasks.
NEW_SERVICE_TASKS: Final = 1
CPU_TARGET_PERCENT: Final = 60  # leaves headroom for the time a scale-out takes
REQUESTS_PER_TARGET: Final = 500  # ALB requests per task per minute
ENABLE_EXECUTE_COMMAND: Final = True
# Rolling deployments (not props): the running count never drops, and a whole new task set starts
# beside the old one, so ALB targets and EC2 capacity must hold twice max_tasks.
DEPLOYMENT_MINIMUM_HEALTHY_PERCENT: Final = 100
DEPLOYMENT_MAXIMUM_PERCENT: Final = 200

# Releases (ServiceReleaseProps; config ecs.<kind>.services.<name>.release and operations.release).
# Rolling is the cheap, fast default (a one-task sandbox release in under 2 minutes of ECS time,
# benchmarks/release_time.py); production sets a traffic-shifting strategy (environments.py).
RELEASE_STRATEGY: Final[Literal["rolling", "blue_green", "canary", "linear"]] = "rolling"
# A bake time at least as long as the deployment alarms' window lets them judge each step: ECS
# rolls back on an alarm only while a step bakes (service_release.py).
BAKE_TIME_MINUTES: Final = 0  # rolling: the circuit breaker and alarms judge as tasks start
CANARY_PERCENT: Final = 10.0  # ECS: 0.1-100.0 in steps of 0.1
LINEAR_STEP_PERCENT: Final = 25.0  # ECS: 3.0-100.0 in steps of 0.1
# The port of each ALB's test listener (blue/green family: the new revision before it gets
# production traffic), admitted from the VPC only; one per scheme of the production listener.
TEST_LISTENER_PORT_HTTP: Final = 8080
TEST_LISTENER_PORT_HTTPS: Final = 8443
# Release time (benchmarks/release_time.py): what the templates do not say, assumed.
TASK_START_SECONDS: Final = 30  # image pull and container start of a small image
CONTAINER_STOP_TIMEOUT_SECONDS: Final = 30  # the ECS agent's default (ECS_CONTAINER_STOP_TIMEOUT)

# Alarms (ServiceAlarmsProps; config ecs.<kind>.services.<name>.alarms).
ALARM_PERIOD_SECONDS: Final = 60
ALARM_EVALUATION_PERIODS: Final = 3  # 3 of 3 one-minute periods: a judgment window of 3 minutes
TARGET_5XX_PERCENT: Final = 5.0  # of the target group's requests
TARGET_5XX_MIN_REQUESTS: Final = 10  # per period; fewer requests never breach (one error of 3)
P99_RESPONSE_SECONDS: Final = 2.0
UNHEALTHY_TARGETS: Final = 1
CPU_HIGH_PERCENT: Final = 90
MEMORY_HIGH_PERCENT: Final = 90
QUEUE_AGE_SECONDS: Final = 300  # workers: the oldest message waits longer than this
# Service kinds (config ecs.<kind>.services.<name>.kind): a web service behind an ALB route, a
# backend other services reach by name through ECS Service Connect, a queue worker, a scheduled job.
SERVICE_KIND: Final[Literal["web", "backend", "worker", "job"]] = "web"

# Container settings every kind shares (TaskProps; config ecs.<kind>.services.<name>).
# The container health check, as ECS runs it (its own defaults; ECS API HealthCheck).
HEALTH_CHECK_INTERVAL_SECONDS: Final = 30
HEALTH_CHECK_TIMEOUT_SECONDS: Final = 5
HEALTH_CHECK_RETRIES: Final = 3
HEALTH_CHECK_START_PERIOD_SECONDS: Final = 0
SIDECAR_USER: Final = "1000"  # sidecars run non-root like the app
# EC2 tasks have no task-level memory here, so each container needs its own: a sidecar's hard
# limit, on top of the app's memory_mib (the config's EC2 capacity check counts it).
SIDECAR_EC2_MEMORY_MIB: Final = 256
EFS_BACKUPS_IN_PRODUCTION: Final = True  # AWS Backup's daily plan for EFS where resources are kept
EFS_DIRECTORY_PERMISSIONS: Final = (
    "750"  # the access point's root directory, owned by the app's user
)

# Workers (WorkerServiceProps; config kind worker).
QUEUE_MAX_RECEIVE_COUNT: Final = 5  # receives before a message moves to the dead-letter queue
QUEUE_VISIBILITY_TIMEOUT_SECONDS: Final = 30  # SQS's own default
QUEUE_RETENTION_DAYS: Final = 4  # SQS's own default
DEAD_LETTER_RETENTION_DAYS: Final = 14  # SQS's maximum: time to inspect and redrive failures
BACKLOG_PER_TASK: Final = 10  # visible messages per running task that target tracking keeps

# Scheduled jobs (ScheduledJobProps; config kind job).
SCHEDULE_TIME_ZONE: Final = "UTC"
SCHEDULE_RETRY_ATTEMPTS: Final = 2
SCHEDULE_MAX_EVENT_AGE_SECONDS: Final = (
    3600  # an invocation not delivered within an hour is dropped
)

# ECS clusters (Ec2ClusterProps, FargateClusterProps; config ecs.ec2, ecs.fargate).
CONTAINER_INSIGHTS: Final[Literal["enabled", "enhanced"]] = "enabled"
MACHINE_IMAGE: Final[Literal["al2023", "bottlerocket"]] = "al2023"  # ECS-optimized AL2023
# The machine image release each kind is pinned to (a deploy changes the AMI only when this or
# the config's machine_image_version changes). AL2023: the ECS-optimized AMI of aws/amazon-ecs-ami
# release 20260922 (al2023-ami-ecs-hvm-2023.0.20260922-kernel-6.1-x86_64 / -arm64); its
# release-specific public SSM parameters are in the copy of AWS's parameters moto 5.2.5 ships
# (moto/ssm/resources/ecs/optimized_amis/us-east-1.json.gz, read 2026-12-04), which is how the
# name format and the release were checked offline (newer releases exist: 20261113 on
# https://github.com/aws/amazon-ecs-ami/releases). Bottlerocket v1.61.0 (2026-05-18,
# https://github.com/bottlerocket-os/bottlerocket/releases/tag/v1.61.0): its parameter could not
# be checked offline.
MACHINE_IMAGE_VERSIONS: Final = {"al2023": "2023.0.20260922", "bottlerocket": "1.61.0"}
# Instance refresh on a launch template change: wait this long after a new instance is InService
# before replacing the next (the ECS agent registers within about a minute of boot).
INSTANCE_WARMUP_SECONDS: Final = 120
MIN_INSTANCES: Final = 0  # no instance while no task runs
MAX_INSTANCES: Final = 2
TARGET_CAPACITY_PERCENT: Final = 100  # managed scaling fills instances before adding one
SPOT: Final = False
ON_DEMAND_BASE_CAPACITY: Final = 0
# ECS keeps instances that run tasks from scale-in; it also blocks an unattended `cdk destroy`
# (aws/aws-cdk#18179), which is why the sandbox turns it off.
MANAGED_TERMINATION_PROTECTION: Final = True
ROOT_VOLUME_GIB: Final = 30

# ECS Managed Instances (ManagedInstancesClusterProps): instance attributes ECS picks types by.
MANAGED_INSTANCES_MIN_VCPUS: Final = 2
MANAGED_INSTANCES_MAX_VCPUS: Final = 8
MANAGED_INSTANCES_MIN_MEMORY_GIB: Final = 4

# Shared load balancers (SharedLoadBalancerProps; config ecs.<kind>.load_balancer(s)).
INTERNAL_LOAD_BALANCER: Final = False  # internet-facing
IDLE_TIMEOUT_SECONDS: Final = 60  # Elastic Load Balancing's own default
ACCESS_LOG_RETENTION_DAYS: Final = 90
HTTP_REDIRECT: Final = True  # with a certificate, port 80 redirects to HTTPS

# Network (NetworkProps; config network).
VPC_CIDR: Final = "10.0.0.0/16"
VPC_ENDPOINTS: Final = False  # interface endpoints cost per hour and AZ; the S3 gateway is free

# Registry (RepositorySpec, ContainerRegistryProps; config registry).
REPOSITORY_ENCRYPTION: Final[Literal["AES256", "KMS"]] = "AES256"  # ECR's EncryptionType
TAG_IMMUTABILITY: Final = True  # a tag always names the same image
SCAN_ON_PUSH: Final = True
UNTAGGED_IMAGE_EXPIRY_DAYS: Final = 14
MAX_IMAGE_COUNT: Final = 100

# EKS (EksClusterProps, NodeGroupSpec, SampleWorkloadSpec; config eks).
EKS_COMPUTE_MODE: Final[Literal["managed_nodes", "fargate", "auto_mode"]] = "managed_nodes"
# A change replaces the cluster (a create-only property of AWS::EKS::Cluster).
BOOTSTRAP_CREATOR_ADMIN: Final = False
NODE_GRAVITON: Final = False
NODE_CAPACITY_TYPE: Final[Literal["on_demand", "spot"]] = "on_demand"
NODE_MIN_SIZE: Final = 1
NODE_MAX_SIZE: Final = 3
NODE_DESIRED_SIZE: Final = 2
NODE_DISK_SIZE_GIB: Final = 20  # EKS managed node groups' own default
SAMPLE_WORKLOAD_REPLICAS: Final = 2
SAMPLE_WORKLOAD_NAMESPACE: Final = "sample"
# No self-managed vpc-cni, kube-proxy and coredns at creation: the managed add-ons are the only
# copy. Create-only, like BOOTSTRAP_CREATOR_ADMIN.
BOOTSTRAP_SELF_MANAGED_ADDONS: Final = False
# STANDARD: EKS upgrades the control plane when standard support ends (no extended-support fee).
EKS_UPGRADE_POLICY: Final[Literal["STANDARD", "EXTENDED"]] = "STANDARD"
EKS_DELETION_PROTECTION: Final = False  # production sets it (environments.py)
EKS_ZONAL_SHIFT: Final = False
NAMESPACE_ACCESS_POLICY: Final[Literal["edit", "admin", "view"]] = "edit"
ARGOCD_NAMESPACE: Final = "argocd"
# The add-on set per compute mode, each add-on's version per Kubernetes minor, service account
# and AWS policy are tables, not scalars: their one home is container_constructs/eks_versions.py
# (standard library only too).
