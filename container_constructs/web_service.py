"""A containerised HTTP service on an ECS cluster (EC2 or Fargate) behind a shared ALB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from container_constructs import checks, defaults
from container_constructs.ecs_service_cluster import ServiceLoadBalancer
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
from container_constructs.service_release import ServiceReleaseProps, route_to_service
from container_constructs.task_definition import (
    CPU_ARCHITECTURES,
    TaskProps,
    TaskWorkload,
    build_task,
    with_task_attributes,
)

# CPU_ARCHITECTURES is re-exported: stacks import it from here.
__all__ = ["CPU_ARCHITECTURES", "WebService", "WebServiceProps"]


@dataclass(frozen=True, kw_only=True)
class WebServiceProps(TaskProps):
    """Props of `WebService`.

    Attributes:
        load_balancer: the shared ALB to sit behind: the listener to add a rule to and the
            security group the tasks admit (`SharedLoadBalancer.service_load_balancer`, or
            `ServiceLoadBalancer.from_attributes` in another stack). Required.
        listener_priority: the rule's priority, unique on the listener; where the rule is made is
            the load balancer handle's (`ServiceLoadBalancer.add_rule`). Required.
        path_patterns: the rule's path conditions (this or host_headers). Default: none.
        host_headers: the rule's host conditions (this or path_patterns). Default: none.
        container_port: unprivileged port the app listens on (below 1024 only with
            `exceptions.privileged_port`; the service then lets its ALB reach that port).
            Default: 8080.
        health_check_path: ALB health check path. Default: "/".
        health_check_grace: ECS ignores ALB health checks this long after a start. Default: 60s.
        min_tasks: auto scaling minimum, and the count a new service starts at (add_service).
            Default: 1.
        max_tasks: auto scaling maximum. Default: 2.
        cpu_target_percent: CPU utilisation to track. Default: 60.
        requests_per_target: ALB requests per task (per minute) to track. Default: 500.
        release: how ECS releases a new revision (service_release.py); the blue/green family
            needs the ALB's test listener. Default: rolling.
    """

    load_balancer: ServiceLoadBalancer
    listener_priority: int
    path_patterns: Sequence[str] = ()
    host_headers: Sequence[str] = ()
    container_port: int = defaults.CONTAINER_PORT
    health_check_path: str = defaults.HEALTH_CHECK_PATH
    health_check_grace: Duration = field(
        default_factory=lambda: Duration.seconds(defaults.HEALTH_CHECK_GRACE_SECONDS)
    )
    min_tasks: int = defaults.MIN_TASKS
    max_tasks: int = defaults.MAX_TASKS
    cpu_target_percent: int = defaults.CPU_TARGET_PERCENT
    requests_per_target: int = defaults.REQUESTS_PER_TARGET
    release: ServiceReleaseProps = field(default_factory=ServiceReleaseProps)


WebServiceProps.__doc__ = with_task_attributes(WebServiceProps.__doc__)


class WebService(TaskWorkload):
    """An ECS service in private subnets with hardened containers (unprivileged, non-root,
    read-only root, all capabilities dropped; container_constructs/task_definition.py), a
    deployment circuit breaker with rollback (100 %/200 %), a target group and listener rule on
    the shared ALB, and target tracking on CPU and ALB requests per target. Tasks accept traffic
    only from the ALB's security group (the listener's connections), on their container port;
    which ports the ALB may send to is the ALB's own rule (`SharedLoadBalancerProps.
    target_port_range`), so a service adds nothing to the ALB. On a cluster with a Service
    Connect namespace the service joins it as a client (it calls backends by name).

    Attributes:
        service: the ECS service.
        task_definition / container / sidecars: its task, app container and sidecars.
        volume_permissions_container: the init container that chowns the scratch volumes, or
            None (volume_permissions "none", or no scratch volumes of the app's own).
        task_role / execution_role: the app's role and the role ECS pulls and logs with.
        log_group: the application log group.
        security_group: the tasks' security group.
        storage: the EFS storage, or None.
        target_group: the ALB target group (id: the load balancer handle's `target_group_id`).
        listener_rule: the rule routing to `target_group` (made by the load balancer handle).
        scaling: the task count auto scaling.
        alternate: the alternate target group, test rule and release role of a traffic-shifting
            release, or None (rolling).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: WebServiceProps) -> None:
        super().__init__(scope, construct_id)
        _check(props)
        task = build_task(self, props, port=props.container_port)
        self._expose_task(task)
        vpc = props.cluster.vpc

        self.security_group = task_security_group(
            self, props.cluster, "Web service tasks: ingress only from the shared ALB"
        )
        self.storage: EfsStorage | None = add_storage(self, props, task, self.security_group)
        self.service = add_service(
            self,
            task=task,
            cluster=props.cluster,
            security_group=self.security_group,
            enable_execute_command=props.enable_execute_command,
            health_check_grace=props.health_check_grace,
            connect=service_connect(props.cluster, task.log_group),
            release=props.release,
        )
        if self.storage is not None:
            self.service.node.add_dependency(self.storage.file_system.mount_targets_available)

        def new_target_group(construct_id: str) -> elbv2.ApplicationTargetGroup:
            return elbv2.ApplicationTargetGroup(
                self,
                construct_id,
                vpc=vpc,
                port=props.container_port,
                protocol=elbv2.ApplicationProtocol.HTTP,
                target_type=elbv2.TargetType.IP,
                deregistration_delay=Duration.seconds(30),
                health_check=elbv2.HealthCheck(
                    path=props.health_check_path,
                    healthy_http_codes="200-399",
                    interval=Duration.seconds(15),
                    healthy_threshold_count=2,
                    unhealthy_threshold_count=3,
                ),
            )

        routes = route_to_service(
            self,
            service=self.service,
            release=props.release,
            load_balancer=props.load_balancer,
            priority=props.listener_priority,
            path_patterns=props.path_patterns,
            host_headers=props.host_headers,
            container_port=props.container_port,
            new_target_group=new_target_group,
        )
        self.target_group, self.listener_rule = routes.target_group, routes.listener_rule
        self.alternate = routes.alternate
        if props.container_port < checks.UNPRIVILEGED_PORTS[0]:
            # The ALB's own egress covers the unprivileged ports only; this port is the
            # service's exception, so the rule that lets the ALB reach it lives here.
            ec2.CfnSecurityGroupEgress(
                self,
                "AlbEgressToPrivilegedPort",
                group_id=props.load_balancer.security_group.security_group_id,
                ip_protocol="tcp",
                from_port=props.container_port,
                to_port=props.container_port,
                destination_security_group_id=self.security_group.security_group_id,
                description="ALB to the privileged port of this service (its exception)",
            )
        self.scaling = self.service.auto_scale_task_count(
            min_capacity=props.min_tasks, max_capacity=props.max_tasks
        )
        self.scaling.scale_on_cpu_utilization(
            "CpuScaling", target_utilization_percent=props.cpu_target_percent
        )
        self.scaling.scale_on_request_count(
            "RequestScaling",
            requests_per_target=props.requests_per_target,
            target_group=self.target_group,
        )


def _check(props: WebServiceProps) -> None:
    # Each raise here guards direct use of the construct; a validated platform config never
    # reaches one: platform_config rejects the same input first, naming the field (the config
    # space property test, tests/test_config_space.py, synthesizes what it accepts).
    if not props.path_patterns and not props.host_headers:
        raise ValueError("WebService: give path_patterns and/or host_headers for the rule")
    if not props.health_check_path.startswith("/"):
        raise ValueError(
            f"WebService: health_check_path must start with '/', got {props.health_check_path}"
        )
    check_task_count("WebService", props.min_tasks, props.max_tasks)
    check_port("WebService", props.container_port, props)
    check_task_props("WebService", props)
