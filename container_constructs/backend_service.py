"""A service the cluster's other services call by name, with no load balancer: an ECS Service
Connect server in the cluster's namespace (`http://<discovery name>:<port>` from any task that
joined it)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from container_constructs import defaults
from container_constructs.efs_storage import EfsStorage
from container_constructs.service_base import (
    add_service,
    add_storage,
    check_port,
    check_task_count,
    check_task_props,
    service_connect,
    task_security_group,
)
from container_constructs.task_definition import (
    TaskProps,
    TaskWorkload,
    build_task,
    with_task_attributes,
)


@dataclass(frozen=True, kw_only=True)
class BackendServiceProps(TaskProps):
    """Props of `BackendService`.

    Attributes:
        discovery_name: the name the cluster's other services call it by (Service Connect
            discovery and DNS name). Required.
        container_port: the port the app listens on (and the callers call). Default: 8080.
        min_tasks: auto scaling minimum, and the count a new service starts at (add_service).
            Default: 1.
        max_tasks: auto scaling maximum. Default: 2.
        cpu_target_percent: CPU utilisation to track. Default: 60.
    """

    discovery_name: str
    container_port: int = defaults.CONTAINER_PORT
    min_tasks: int = defaults.MIN_TASKS
    max_tasks: int = defaults.MAX_TASKS
    cpu_target_percent: int = defaults.CPU_TARGET_PERCENT


BackendServiceProps.__doc__ = with_task_attributes(BackendServiceProps.__doc__)


class BackendService(TaskWorkload):
    """An ECS service with the hardened task (container_constructs/task_definition.py), in
    private subnets, a deployment circuit breaker with rollback, reachable only through ECS
    Service Connect: its tasks admit the cluster's Service Connect client group on its port and
    nothing else. Target tracking on CPU. Needs a cluster with a namespace
    (`service_connect_namespace` of the cluster construct).

    Attributes:
        service: the ECS service.
        task_definition / container / sidecars: its task, app container and sidecars.
        volume_permissions_container: the init container that chowns the scratch volumes, or
            None (volume_permissions "none", or no scratch volumes of the app's own).
        task_role / execution_role: the app's role and the role ECS pulls and logs with.
        log_group: the application log group.
        security_group: the tasks' security group.
        storage: the EFS storage, or None.
        scaling: the task count auto scaling.
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: BackendServiceProps) -> None:
        super().__init__(scope, construct_id)
        _check(props)
        task = build_task(self, props, port=props.container_port)
        self._expose_task(task)
        self.security_group = task_security_group(
            self, props.cluster, "Backend tasks: ingress only from Service Connect clients"
        )
        clients = props.cluster.service_connect_security_group
        assert clients is not None  # _check
        self.security_group.add_ingress_rule(
            clients,
            ec2.Port.tcp(props.container_port),
            f"Service Connect clients to {props.discovery_name}",
        )
        self.storage: EfsStorage | None = add_storage(self, props, task, self.security_group)
        self.service = add_service(
            self,
            task=task,
            cluster=props.cluster,
            security_group=self.security_group,
            enable_execute_command=props.enable_execute_command,
            connect=service_connect(
                props.cluster,
                task.log_group,
                server=(props.discovery_name, props.container_port),
            ),
        )
        if self.storage is not None:
            self.service.node.add_dependency(self.storage.file_system.mount_targets_available)
        self.scaling = self.service.auto_scale_task_count(
            min_capacity=props.min_tasks, max_capacity=props.max_tasks
        )
        self.scaling.scale_on_cpu_utilization(
            "CpuScaling", target_utilization_percent=props.cpu_target_percent
        )


def _check(props: BackendServiceProps) -> None:
    # Guards direct use; platform_config refuses the same input first, naming the field.
    if props.cluster.namespace is None or props.cluster.service_connect_security_group is None:
        raise ValueError(
            "BackendService: the cluster has no Service Connect namespace; give the cluster "
            "construct a service_connect_namespace"
        )
    check_task_count("BackendService", props.min_tasks, props.max_tasks)
    check_port("BackendService", props.container_port, props)
    check_task_props("BackendService", props)
