"""The built-in environments: the one place where per-environment platform settings live.

Values here are raw data, validated by `PlatformConfig` when an environment is loaded. A field left
out takes the model's default (documented on the model). Add an environment by adding a key. What
runs on the clusters is not here: services live in the config of record (`config/services/`,
platform_config/record.py), and `config/environments/<name>.json` can change these values per
repository without editing this module.
"""

from __future__ import annotations

from typing import Any

DEFAULT_ENVIRONMENT = "sandbox"

# A public image that starts on a fresh account without a push: nginx as uid 101 on port 8080,
# writing only to /tmp and /var/cache/nginx (given as writable volumes under a read-only root).
# The shipped sample services run it (config/services/*/sample.json); tests and benchmarks too.
# ECS pulls it through the registry's pull-through cache, by the digest of the multi-arch index
# the tag named when it was pinned: the digest nginxinc/nginx-unprivileged:1.27-alpine is pinned
# to in public repositories (e.g. "nginx-unprivileged:1.27-alpine@sha256:65e3e85d..."; NGINX
# publishes the same builds to Docker Hub and ECR Public). Not checked against ECR Public offline:
# `make image-digests ENV=...` compares it with what the tag names there now.
SAMPLE_IMAGE_URI = "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine"
SAMPLE_IMAGE_DIGEST = "sha256:65e3e85dbaed8ba248841d9d58a899b6197106c23cb0ff1a132b7bfe0547e4c0"

# The image field of a service that runs the sample image (tests and benchmarks).
SAMPLE_IMAGE: dict[str, str] = {"uri": SAMPLE_IMAGE_URI, "digest": SAMPLE_IMAGE_DIGEST}

# The rule at priority 1 keeps the logical id the sample's listener rule had before rules were
# keyed by priority (docs/design.md, D20): an environment deployed then updates it
# in place, whatever service the config of record puts at priority 1.
LEGACY_LISTENER_RULES: dict[str, str] = {"1": "sample"}  # JSON's keys, as config files give them

ENVIRONMENTS: dict[str, dict[str, Any]] = {
    "sandbox": {
        "region": "us-east-1",
        "tags": {"project": "container-platform", "environment": "sandbox"},
        "retain_stateful_resources": False,
        "kms_encrypted_logs": False,
        "network": {
            "vpc_cidr": "10.10.0.0/16",
            "availability_zones": ["us-east-1a", "us-east-1b"],
            "nat_gateways": 1,
            "vpc_endpoints": False,
            "flow_log_retention_days": 7,
        },
        "registry": {
            "repositories": [
                {
                    "name": "sample-app",
                    "lifecycle": {"untagged_image_expiry_days": 3, "max_image_count": 20},
                }
            ],
            "kms_encryption": False,
            # Deployed when other stacks imported the repository's ARN: keep those exports until
            # every stack has been deployed with this version once (docs/design.md, D21).
            "legacy_exports": True,
        },
        "ecs": {
            "ec2": {
                "machine_image": "al2023",
                # awsvpc: one ENI per task; each of these holds 2 tasks (t3a.small: only 1), so
                # 2 instances fit a deployment of 2 x max_tasks (ecs.ec2 config validation).
                "instance_types": ["t3.small", "t3a.medium", "t3.medium"],
                "min_instances": 0,
                "max_instances": 2,
                "target_capacity_percent": 100,
                "spot": True,
                "on_demand_base_capacity": 0,
                "managed_termination_protection": False,
                "exec_log_retention_days": 7,
                "legacy_listener_rules": LEGACY_LISTENER_RULES,
            },
            "fargate": {
                "default_strategy": [
                    {"capacity_provider": "FARGATE_SPOT", "weight": 4},
                    {"capacity_provider": "FARGATE", "weight": 1},
                ],
                "exec_log_retention_days": 7,
                "legacy_listener_rules": LEGACY_LISTENER_RULES,
            },
        },
        # Spot Graviton managed nodes: the same node/add-on path as production at a few cents an
        # hour. The API endpoint is private until you add your egress CIDR (docs/deploying.md):
        # {"eks": {"endpoint": {"access": "public_and_private", "public_access_cidrs": [...]}}}.
        "eks": {
            "kubernetes_version": "1.36",
            "compute": {
                "mode": "managed_nodes",
                "node_groups": [
                    {
                        "name": "spot-arm64",
                        "instance_types": ["t4g.large", "m7g.large", "m6g.large"],
                        "graviton": True,
                        "capacity_type": "spot",
                        "min_size": 1,
                        "max_size": 3,
                        "desired_size": 2,
                    }
                ],
            },
            "endpoint": {"access": "private"},
            # The deployer (make deploy passes their ARN) and CloudFormation's role are admins.
            "access": {"bootstrap_creator_admin": True, "deployer_admin": True},
            "control_plane_log_retention_days": 7,
        },
    },
    "production": {
        "region": "us-east-1",
        "tags": {"project": "container-platform", "environment": "production"},
        "retain_stateful_resources": True,
        "kms_encrypted_logs": True,
        "network": {
            "vpc_cidr": "10.20.0.0/16",
            "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
            "nat_gateways": 3,
            "vpc_endpoints": True,
            "flow_log_retention_days": 365,
        },
        "registry": {
            "repositories": [
                {
                    "name": "sample-app",
                    # Production's repository exists under this name: a new name would replace
                    # it (a new, empty repository; the old one retained with the images).
                    # Repositories added later get the default cp-production/kms/<name>.
                    "physical_name": "sample-app",
                    "lifecycle": {"untagged_image_expiry_days": 14, "max_image_count": 200},
                }
            ],
            "kms_encryption": True,
            "legacy_exports": True,
        },
        "ecs": {
            "ec2": {
                "machine_image": "al2023",
                "instance_types": ["m7i.large", "m6i.large"],
                "min_instances": 3,
                "max_instances": 12,
                "target_capacity_percent": 90,
                "spot": False,
                "managed_termination_protection": True,
                "exec_log_retention_days": 365,
                "legacy_listener_rules": LEGACY_LISTENER_RULES,
            },
            "fargate": {
                "default_strategy": [
                    {"capacity_provider": "FARGATE", "weight": 1, "base": 2},
                ],
                "container_insights": "enhanced",
                "exec_log_retention_days": 365,
                "legacy_listener_rules": LEGACY_LISTENER_RULES,
            },
        },
        # Canary releases: 10 % of production traffic on the new revision for one alarm window
        # (3 minutes), then all of it for another; a deployment alarm in either rolls back.
        "operations": {
            "release": {
                "strategy": "canary",
                "canary_percent": 10.0,
                "step_bake_minutes": 3,
                "bake_time_minutes": 3,
            }
        },
        # On-demand nodes in every AZ, private API endpoint, admins only through access entries
        # (set eks.access.cluster_admin_role_arns to your administrators' roles).
        "eks": {
            "kubernetes_version": "1.36",
            "compute": {
                "mode": "managed_nodes",
                "node_groups": [
                    {
                        "name": "on-demand",
                        "instance_types": ["m7i.large"],
                        "capacity_type": "on_demand",
                        "min_size": 3,
                        "max_size": 9,
                        "desired_size": 3,
                        "disk_size_gib": 50,
                    }
                ],
            },
            "endpoint": {"access": "private"},
            "access": {"bootstrap_creator_admin": False, "deployer_admin": False},
            # The default add-on set (EBS CSI driver, metrics server included) plus Container
            # Insights; the upgrade policy stays STANDARD (the model's default).
            "addons": {"amazon-cloudwatch-observability": {}},
            "deletion_protection": True,
            "zonal_shift": True,
            "control_plane_log_retention_days": 365,
        },
    },
}
