"""The built-in environments: the one place where per-environment defaults live.

Values here are raw data, validated by `PlatformConfig` when an environment is loaded. A field left
out takes the model's default (documented on the model). Add an environment by adding a key.
"""

from __future__ import annotations

from typing import Any

DEFAULT_ENVIRONMENT = "sandbox"

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
                    "lifecycle": {"untagged_image_expiry_days": 14, "max_image_count": 200},
                }
            ],
            "kms_encryption": True,
        },
    },
}
