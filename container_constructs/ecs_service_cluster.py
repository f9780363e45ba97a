"""What an ECS cluster and its shared ALBs hand to the services that run on them: one typed handle
each, built by the cluster and ALB constructs, or rebuilt from plain values in another stack or
app with `from_attributes`. Also the cluster's ECS Exec session logging, which both cluster kinds
set up the same way and `ServiceCluster.from_attributes` describes again for an imported cluster,
its ECS Service Connect namespace (`add_service_connect`), where services find each other by
name, and where a service's listener rule is made (`ServiceLoadBalancer.add_rule`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct

from container_constructs.listener_routes import SERVICE_RULE_ID, ListenerRoutes, rule_conditions

LaunchType = Literal["fargate", "ec2", "managed_instances"]
TEST_RULE_ID = "TestListenerRule"  # a service's own test rule, without test_routes
Scheme = Literal["http", "https"]


@dataclass(frozen=True, kw_only=True)
class ServiceCluster:
    """Everything a service needs of the cluster it runs on.

    `Ec2Cluster.service_cluster` and `FargateCluster.service_cluster` are the cluster's own;
    `ServiceCluster.from_attributes` rebuilds one in another stack (or app) from plain values, so
    that nothing a service adds there can reach into the cluster's stack.

    Attributes:
        cluster: the ECS cluster. Its ECS Exec configuration is what aws-cdk-lib grants a service's
            task role on (logging to `exec_log_group`). Required.
        launch_type: "fargate", "ec2" or "managed_instances": the kind of task definition and
            service that run on the
            cluster (awsvpc networking on either). Required.
        capacity_provider_strategy: where the services' tasks run: the cluster's default
            strategy. Required.
        exec_log_group: the log group every ECS Exec session of the cluster is logged to (the one
            `cluster`'s ECS Exec configuration names). Default: None, sessions are not logged.
        log_key: the KMS key of the cluster's log groups: it encrypts `exec_log_group`, and
            services may encrypt their own log groups with it. Default: None, no KMS key.
        namespace: the cluster's Cloud Map HTTP namespace for ECS Service Connect: backends
            register in it, the other services join it as clients. Default: None, no Service
            Connect.
        service_connect_security_group: the group every Service Connect task of the cluster
            carries; a backend admits it on its port. Required with `namespace`. Default: None.
    """

    cluster: ecs.ICluster
    launch_type: LaunchType
    capacity_provider_strategy: Sequence[ecs.CapacityProviderStrategy]
    exec_log_group: logs.ILogGroup | None = None
    log_key: kms.IKey | None = None
    namespace: servicediscovery.INamespace | None = None
    service_connect_security_group: ec2.ISecurityGroup | None = None

    @cached_property
    def vpc(self) -> ec2.IVpc:
        """`cluster.vpc`, read once per handle (each read is a jsii round trip, per service)."""
        return self.cluster.vpc

    @property
    def exec_log_encrypted(self) -> bool:
        """Whether ECS Exec session logs go to a KMS-encrypted log group."""
        return self.exec_log_group is not None and self.log_key is not None

    @classmethod
    def from_attributes(
        cls,
        scope: Construct,
        construct_id: str,
        *,
        cluster_name: str,
        vpc: ec2.IVpc,
        launch_type: LaunchType,
        capacity_provider_strategy: Sequence[ecs.CapacityProviderStrategy],
        exec_log_group_name: str | None = None,
        log_key_arn: str | None = None,
        namespace: NamespaceAttributes | None = None,
    ) -> ServiceCluster:
        """Import a cluster into `scope` by its attributes: plain values, or tokens of another
        stack of the same app (which become cross-stack references).

        The imports go straight into `scope`: the cluster as `construct_id`, its exec log group
        as `<construct_id>ExecLogGroup`, the log key as `<construct_id>LogKey`.

        Args:
            cluster_name: the cluster's name. Required.
            vpc: the cluster's VPC. Required.
            launch_type: "fargate", "ec2" or "managed_instances". Required.
            capacity_provider_strategy: the cluster's default strategy. Required.
            exec_log_group_name: the name of the cluster's ECS Exec log group; give it literally
                so that services name it in their policies without a cross-stack reference.
                Default: None, the cluster logs no sessions.
            log_key_arn: ARN of the cluster's log key (see `log_key`). Default: None.
            namespace: the cluster's Service Connect namespace and client security group (see
                `NamespaceAttributes.of`), imported as `<construct_id>Namespace` and
                `<construct_id>ServiceConnectClients`. Default: None, no Service Connect.
        """
        log_key = (
            kms.Key.from_key_arn(scope, f"{construct_id}LogKey", log_key_arn)
            if log_key_arn is not None
            else None
        )
        exec_log_group = (
            logs.LogGroup.from_log_group_name(
                scope, f"{construct_id}ExecLogGroup", exec_log_group_name
            )
            if exec_log_group_name is not None
            else None
        )
        cluster = ecs.Cluster.from_cluster_attributes(
            scope,
            construct_id,
            cluster_name=cluster_name,
            vpc=vpc,
            has_ec2_capacity=launch_type == "ec2",
            execute_command_configuration=(
                exec_logging(exec_log_group, encrypted=log_key is not None)
                if exec_log_group is not None
                else None
            ),
        )
        imported_namespace = None
        clients = None
        if namespace is not None:
            imported_namespace = servicediscovery.HttpNamespace.from_http_namespace_attributes(
                scope,
                f"{construct_id}Namespace",
                namespace_arn=namespace.arn,
                namespace_id=namespace.namespace_id,
                namespace_name=namespace.name,
            )
            clients = ec2.SecurityGroup.from_security_group_id(
                scope,
                f"{construct_id}ServiceConnectClients",
                namespace.security_group_id,
                mutable=False,
            )
        return cls(
            cluster=cluster,
            launch_type=launch_type,
            capacity_provider_strategy=list(capacity_provider_strategy),
            exec_log_group=exec_log_group,
            log_key=log_key,
            namespace=imported_namespace,
            service_connect_security_group=clients,
        )


@dataclass(frozen=True, kw_only=True)
class NamespaceAttributes:
    """A cluster's Service Connect namespace as plain values (or tokens of another stack), for
    `ServiceCluster.from_attributes`.

    Attributes:
        arn: the namespace's ARN. Required.
        namespace_id: its id. Required.
        name: its name. Required.
        security_group_id: the id of the cluster's Service Connect client group. Required.
    """

    arn: str
    namespace_id: str
    name: str
    security_group_id: str

    @classmethod
    def of(cls, cluster: ServiceCluster) -> NamespaceAttributes | None:
        """The attributes of `cluster`'s namespace, or None without Service Connect."""
        namespace, group = cluster.namespace, cluster.service_connect_security_group
        if namespace is None or group is None:
            return None
        return cls(
            arn=namespace.namespace_arn,
            namespace_id=namespace.namespace_id,
            name=namespace.namespace_name,
            security_group_id=group.security_group_id,
        )


def add_service_connect(
    scope: Construct, *, vpc: ec2.IVpc, name: str
) -> tuple[servicediscovery.HttpNamespace, ec2.SecurityGroup]:
    """The cluster's Cloud Map HTTP namespace `name` (`ServiceConnectNamespace`) and the security
    group its Service Connect tasks carry (`ServiceConnectClients`, no ingress; a backend admits
    it on its port). An HTTP namespace: ECS Service Connect needs no DNS, the proxy resolves.

    Args:
        vpc: the cluster's VPC. Required.
        name: the namespace's name, unique among the account's HTTP namespaces in the region.
            Required.
    """
    namespace = servicediscovery.HttpNamespace(
        scope,
        "ServiceConnectNamespace",
        name=name,
        description="ECS Service Connect: the cluster's services by name",
    )
    clients = ec2.SecurityGroup(
        scope,
        "ServiceConnectClients",
        vpc=vpc,
        description="ECS Service Connect clients of the cluster: backends admit this group",
        allow_all_outbound=True,
    )
    return namespace, clients


@dataclass(frozen=True, kw_only=True)
class ServiceLoadBalancer:
    """Everything a service needs of the shared ALB it sits behind.

    `SharedLoadBalancer.service_load_balancer` is the ALB's own;
    `ServiceLoadBalancer.from_attributes` rebuilds one in another stack (or app) from plain
    values.

    Attributes:
        listener: the listener a service adds its rule to. Its connections are the ALB's security
            group: a service's tasks admit that group on their port. Required.
        security_group: the ALB's security group (the one `listener` connects through).
            Required.
        scheme: "https" or "http", the scheme of `listener`. Required.
        dns_name: the ALB's DNS name (a service's URL, unless it routes by host). Required.
        test_listener: the listener of new revisions before they get production traffic
            (blue/green, canary and linear releases). Default: None, rolling releases only.
        target_group_id: the construct id of the target group a service registers behind this
            ALB. A target group serves one load balancer ("You can use each target group with
            only one load balancer", Elastic Load Balancing, target groups for your Application
            Load Balancers, https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html,
            read 2026-12-03), so a service that moves to another ALB in one deploy needs a new
            one: give each ALB a service may sit behind its own id. Default: "TargetGroup".
        test_routes: the same on `test_listener` (service_release.with_test_routes). Default: None.
        routes: where the services of this stack make their rules on `listener`, one per
            priority (`ListenerRoutes`). Default: None, each service makes its own rule
            (`<service>/ListenerRule`), which a rename at the same priority replaces (a new rule
            before the old one is deleted: PriorityInUse).
    """

    listener: elbv2.IApplicationListener
    security_group: ec2.ISecurityGroup
    scheme: Scheme
    dns_name: str
    test_listener: elbv2.IApplicationListener | None = None
    target_group_id: str = "TargetGroup"
    routes: ListenerRoutes | None = None
    test_routes: ListenerRoutes | None = None

    @property
    def test_listener_arn(self) -> str | None:
        """The ARN of `test_listener` (what `from_attributes` takes), or None without one."""
        return self.test_listener.listener_arn if self.test_listener is not None else None

    def with_routes(self, routes: ListenerRoutes) -> ServiceLoadBalancer:
        """This handle, with services making their rules in `routes` (which must be on
        `listener`)."""
        return replace(self, routes=routes)

    def add_rule(
        self,
        service: Construct,
        *,
        priority: int,
        target_group: elbv2.IApplicationTargetGroup,
        path_patterns: Sequence[str] = (),
        host_headers: Sequence[str] = (),
        test: bool = False,
    ) -> elbv2.ApplicationListenerRule:
        """The listener rule of `service` at `priority`, forwarding what `path_patterns` and/or
        `host_headers` match to `target_group`: in `routes` if set, else `<service>/ListenerRule`.
        With `test`, on `test_listener` instead (the blue/green family's test rule, at its
        production rule's priority): in `test_routes`, else `<service>/TestListenerRule`."""
        listener, routes, rule_id = (
            (self.test_listener, self.test_routes, TEST_RULE_ID)
            if test
            else (self.listener, self.routes, SERVICE_RULE_ID)
        )
        if listener is None:
            raise ValueError("a test rule needs the ALB's test listener (test_listener)")
        if routes is not None:
            return routes.add(
                priority=priority,
                target_group=target_group,
                path_patterns=path_patterns,
                host_headers=host_headers,
            )
        return elbv2.ApplicationListenerRule(
            service,
            rule_id,
            listener=listener,
            priority=priority,
            conditions=rule_conditions(path_patterns, host_headers),
            target_groups=[target_group],
        )

    @classmethod
    def from_attributes(
        cls,
        scope: Construct,
        construct_id: str,
        *,
        listener_arn: str,
        security_group_id: str,
        scheme: Scheme,
        dns_name: str,
        test_listener_arn: str | None = None,
        target_group_id: str = "TargetGroup",
    ) -> ServiceLoadBalancer:
        """Import an ALB's listener and security group into `scope` by their attributes: plain
        values, or tokens of another stack of the same app.

        The security group is imported immutable, as `construct_id` straight in `scope`: the
        rule each service adds to its own security group (admit the ALB's group) is named after
        that path, so keep `construct_id` stable. The listener is imported as
        `<construct_id>Listener`.

        Args:
            listener_arn: ARN of the listener services add rules to. Required.
            security_group_id: ID of the ALB's security group. Required.
            scheme: "https" or "http", the listener's. Required.
            dns_name: the ALB's DNS name. Required.
            test_listener_arn: ARN of its test listener, imported as
                `<construct_id>TestListener`. Default: None, no test listener.
            target_group_id: see the attribute. Default: "TargetGroup".
        """
        security_group = ec2.SecurityGroup.from_security_group_id(
            scope, construct_id, security_group_id, mutable=False
        )
        listener = elbv2.ApplicationListener.from_application_listener_attributes(
            scope,
            f"{construct_id}Listener",
            listener_arn=listener_arn,
            security_group=security_group,
        )
        test_listener = (
            elbv2.ApplicationListener.from_application_listener_attributes(
                scope,
                f"{construct_id}TestListener",
                listener_arn=test_listener_arn,
                security_group=security_group,
            )
            if test_listener_arn is not None
            else None
        )
        return cls(
            listener=listener,
            security_group=security_group,
            scheme=scheme,
            dns_name=dns_name,
            test_listener=test_listener,
            target_group_id=target_group_id,
        )


def exec_logging(log_group: logs.ILogGroup, *, encrypted: bool) -> ecs.ExecuteCommandConfiguration:
    """The cluster setting that logs every ECS Exec session to `log_group` (OVERRIDE: sessions are
    logged even if a task definition does not ask for it), `encrypted` with the group's KMS key."""
    return ecs.ExecuteCommandConfiguration(
        logging=ecs.ExecuteCommandLogging.OVERRIDE,
        log_configuration=ecs.ExecuteCommandLogConfiguration(
            cloud_watch_log_group=log_group,
            cloud_watch_encryption_enabled=encrypted,
        ),
    )


def add_exec_log_group(
    scope: Construct,
    *,
    retention: logs.RetentionDays,
    removal_policy: RemovalPolicy,
    encryption_key: kms.IKey | None,
    name: str | None = None,
) -> logs.LogGroup:
    """The log group `ExecLogGroup` of a cluster's ECS Exec sessions (pass it to `exec_logging`).

    Args:
        retention: how long session logs are kept. Required.
        removal_policy: of the log group. Required.
        encryption_key: KMS key of the log group, or None. Required.
        name: the log group's name. Default: None, generated.
    """
    return logs.LogGroup(
        scope,
        "ExecLogGroup",
        log_group_name=name,
        retention=retention,
        removal_policy=removal_policy,
        encryption_key=encryption_key,
    )
