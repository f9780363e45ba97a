"""The optional sample workload of an `EksCluster` (a companion of `eks_cluster.py`): a hardened
Deployment and a ClusterIP Service of an nginx-style image, applied with the cluster's kubectl
provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from container_constructs import defaults


@dataclass(frozen=True, kw_only=True)
class SampleWorkloadSpec:
    """A Deployment + ClusterIP Service (no cloud load balancer, so deletion stays clean).

    Attributes:
        image: image reference; must run as a non-root user. Required.
        container_port: port the container listens on (>= 1024, non-root). Default: 8080.
        replicas: Deployment replicas. Default: 2.
        namespace: namespace created for it. Default: sample.
    """

    image: str
    container_port: int = defaults.CONTAINER_PORT
    replicas: int = defaults.SAMPLE_WORKLOAD_REPLICAS
    namespace: str = defaults.SAMPLE_WORKLOAD_NAMESPACE


def add_sample_workload(
    cluster: eks.Cluster, spec: SampleWorkloadSpec, *, after: Sequence[Construct]
) -> eks.KubernetesManifest:
    """Apply the manifests of `sample_workload_manifests` to `cluster` (construct id
    `SampleWorkload`, which needs the cluster's kubectl provider) once everything in `after`
    (the compute and add-ons its pods need) exists."""
    manifest = cluster.add_manifest("SampleWorkload", *sample_workload_manifests(spec))
    for dependency in after:
        manifest.node.add_dependency(dependency)
    return manifest


def sample_workload_manifests(spec: SampleWorkloadSpec) -> list[dict[str, Any]]:
    """Namespace, Deployment (non-root, read-only root filesystem, probes, resources) and a
    ClusterIP Service of the sample workload."""
    labels = {"app.kubernetes.io/name": "sample", "app.kubernetes.io/part-of": "container-platform"}
    probe = {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 10}
    container = {
        "name": "app",
        "image": spec.image,
        "ports": [{"name": "http", "containerPort": spec.container_port}],
        "resources": {
            "requests": {"cpu": "100m", "memory": "64Mi"},
            "limits": {"memory": "128Mi"},
        },
        "readinessProbe": {**probe, "initialDelaySeconds": 2},
        "livenessProbe": {**probe, "initialDelaySeconds": 10, "failureThreshold": 3},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        # nginx writes its pid and caches under /tmp; a writable emptyDir keeps the root read-only.
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": spec.namespace, "labels": labels},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "sample", "namespace": spec.namespace, "labels": labels},
            "spec": {
                "replicas": spec.replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": 101,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [container],
                        "volumes": [{"name": "tmp", "emptyDir": {}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "sample", "namespace": spec.namespace, "labels": labels},
            "spec": {
                "type": "ClusterIP",
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            },
        },
    ]
