"""An Application Load Balancer (internet-facing or internal) shared by a cluster's services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from container_constructs import defaults
from container_constructs.checks import UNPRIVILEGED_PORTS
from container_constructs.ecs_service_cluster import Scheme, ServiceLoadBalancer

# Construct ids of (the listener services attach to, the HTTP->HTTPS redirect listener). The
# first is the id the ALB's only listener had when it served plain HTTP, and it keeps it with a
# certificate: turning HTTPS on or off changes that listener's port, protocol and certificates in
# place (the only create-only property of AWS::ElasticLoadBalancingV2::Listener is
# LoadBalancerArn: `createOnlyProperties` of its CloudFormation resource schema, as cfn-lint ships
# it), so its ARN, the export service stacks import it by and their rules on it survive.
LISTENER_IDS = ("Http", "Redirect")
# The ids of an ALB deployed with a certificate before the serving listener kept one id: services
# on `Https`, the redirect `Http`. Such an ALB keeps them (SharedLoadBalancerProps.listener_ids).
HTTPS_FIRST_LISTENER_IDS = ("Https", "Http")


@dataclass(frozen=True, kw_only=True)
class SharedLoadBalancerProps:
    """Props of `SharedLoadBalancer`.

    Attributes:
        vpc: the VPC; the ALB goes to its public subnets (internal: its private ones), and its
            security group sends to the VPC's CIDR, so an imported VPC needs `vpc_cidr_block`.
            Required.
        target_port_range: the TCP ports (first, last) the ALB's security group may reach,
            only inside the VPC: its targets' ports. A range rather than the attached services'
            ports, so that the ALB never changes as services come and go (each service's own
            security group admits the ALB on its port only) and its egress stays one rule
            (a rule per service would meet the quota of 60 rules per security group).
            Default: 1024-65535, every unprivileged port (`checks.UNPRIVILEGED_PORTS`).
        certificate_arn: ACM certificate. Set: the listener is HTTPS on 443 (recommended TLS
            policy), with a permanent HTTP->HTTPS redirect on 80 unless `http_redirect` is off.
            Default: None, plain HTTP on 80.
        additional_certificate_arns: more ACM certificates for the HTTPS listener (SNI); only
            with `certificate_arn`. Literal ARNs, each once: each is attached by a
            ListenerCertificate of its own whose construct id is the certificate's
            (`additional_certificate_id`), so adding, removing or reordering certificates only
            adds or deletes the resources of those that come or go. Default: none.
        http_redirect: with `certificate_arn`, a second listener on 80 redirecting to HTTPS.
            It is created after the listener has moved to 443 (turning HTTPS on is one deploy);
            turning HTTPS off while it exists is two deploys: first without it, then without the
            certificate (the listener cannot take port 80 before the redirect listener, deleted
            only at the end of the update, gives it up: DuplicateListener); this app's
            `make deploy` stages them itself (docs/design.md D28). Default: True.
        listener_ids: construct ids of (the listener services attach to, the redirect listener):
            `LISTENER_IDS`, or `HTTPS_FIRST_LISTENER_IDS` for an ALB deployed with a certificate
            before the listener kept one id, so that it updates in place. Changing them replaces
            the listeners. Default: LISTENER_IDS.
        internal: scheme internal in the private subnets, listener ports open to
            `internal_cidr` only. Default: False, internet-facing in the public subnets.
        internal_cidr: the IPv4 CIDR an internal ALB's listener ports admit; give the VPC's
            CIDR as a literal so that checks such as cdk-nag's can read it. Default: None, the
            VPC's CIDR (`vpc.vpc_cidr_block`, a cross-stack token for an imported VPC).
        idle_timeout: connection idle timeout. Default: 60 seconds.
        access_log_expiration: how long access log objects are kept. Default: 90 days.
        removal_policy: of the access-log bucket; with DESTROY it is emptied on deletion.
            Default: RETAIN.
        test_listener: add a test listener (the blue/green family's route to a new revision
            before production traffic): the production listener's protocol and default
            certificate on port 8443 (HTTPS) or 8080 (HTTP), admitting the VPC's CIDR only.
            Default: True.
    """

    vpc: ec2.IVpc
    target_port_range: tuple[int, int] = UNPRIVILEGED_PORTS
    certificate_arn: str | None = None
    additional_certificate_arns: Sequence[str] = ()
    http_redirect: bool = defaults.HTTP_REDIRECT
    listener_ids: tuple[str, str] = LISTENER_IDS
    internal: bool = defaults.INTERNAL_LOAD_BALANCER
    internal_cidr: str | None = None
    idle_timeout: Duration = field(
        default_factory=lambda: Duration.seconds(defaults.IDLE_TIMEOUT_SECONDS)
    )
    access_log_expiration: Duration = field(
        default_factory=lambda: Duration.days(defaults.ACCESS_LOG_RETENTION_DAYS)
    )
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    test_listener: bool = True


class SharedLoadBalancer(Construct):
    """An ALB that services share: each adds its own target group and listener rule to `listener`.

    Drops invalid header fields, writes access logs to an encrypted, SSL-only, private bucket,
    answers unmatched requests with 404. The security group admits the internet (internal: the
    VPC CIDR) only on the listener ports and sends only to the target port range inside the VPC.
    Access logging needs the stack's region: the log bucket's policy names the Elastic Load
    Balancing account of that region.

    Attributes:
        load_balancer: the ALB.
        security_group: the ALB's security group.
        listener: the listener services attach rules to: HTTPS on 443 with a certificate, else
            HTTP on 80; one resource either way (`LISTENER_IDS`).
        redirect_listener: the HTTP->HTTPS redirect listener on 80 (None without a certificate
            or with `http_redirect` off).
        test_listener: the test listener (None without one).
        access_log_bucket: the bucket of the access logs.
        scheme: "https" or "http", the scheme of `listener`.
        service_load_balancer: what services behind this ALB take
            (`WebServiceProps.load_balancer`).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: SharedLoadBalancerProps
    ) -> None:
        super().__init__(scope, construct_id)
        first, last = props.target_port_range
        # Unreachable from config: the cluster stacks keep the default range.
        if not 1 <= first <= last <= 65535:
            raise ValueError(
                "SharedLoadBalancer: target_port_range must be (first, last) with "
                f"1 <= first <= last <= 65535, got {props.target_port_range}"
            )
        if props.additional_certificate_arns and props.certificate_arn is None:
            raise ValueError("SharedLoadBalancer: additional_certificate_arns need certificate_arn")
        _check_additional_certificates(props.additional_certificate_arns)
        if not props.http_redirect and props.certificate_arn is None:
            raise ValueError("SharedLoadBalancer: http_redirect off needs certificate_arn")
        if len(set(props.listener_ids)) != 2:
            raise ValueError(f"SharedLoadBalancer: listener_ids must differ: {props.listener_ids}")
        stack = Stack.of(self)
        if Token.is_unresolved(stack.region):
            raise ValueError(
                f"SharedLoadBalancer: stack {stack.stack_name} has no region, which ALB access "
                "logging needs (the log bucket's policy names the Elastic Load Balancing account "
                "of the region): give the stack env=Environment(region=...)"
            )
        vpc_cidr = _vpc_cidr(props.vpc)
        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,  # ALB log delivery supports SSE-S3 only
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=props.access_log_expiration)],
            removal_policy=props.removal_policy,
            auto_delete_objects=props.removal_policy == RemovalPolicy.DESTROY,
        )
        Validations.of(self.access_log_bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-S1",
                reason="This bucket is the access-log destination; logging it to another bucket "
                "only moves the question one bucket further",
            )
        )
        if props.internal:
            description = "Internal ALB: listener ports from the VPC, target ports in the VPC"
        else:
            description = "Shared ALB: listener ports from the internet, target ports in the VPC"
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=props.vpc,
            description=description,
            allow_all_outbound=False,
        )
        https = props.certificate_arn is not None
        redirect = https and props.http_redirect
        listener_ports = ([80] if redirect or not https else []) + ([443] if https else [])
        for port in listener_ports:
            if props.internal:
                self.security_group.add_ingress_rule(
                    ec2.Peer.ipv4(props.internal_cidr or vpc_cidr),
                    ec2.Port.tcp(port),
                    f"Listener port {port} from the VPC",
                )
            else:
                self.security_group.add_ingress_rule(
                    ec2.Peer.any_ipv4(),
                    ec2.Port.tcp(port),
                    f"Listener port {port} from the internet",
                )
        if not props.internal:
            Validations.of(self.security_group).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-EC23",
                    reason="Internet-facing ALB: the listener ports (only) are open to the "
                    "internet",
                )
            )
        self.security_group.add_egress_rule(
            ec2.Peer.ipv4(vpc_cidr),
            ec2.Port.tcp(first) if first == last else ec2.Port.tcp_range(first, last),
            f"Targets on port {first} inside the VPC"
            if first == last
            else f"Targets on ports {first}-{last} inside the VPC",
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=props.vpc,
            internet_facing=not props.internal,
            vpc_subnets=ec2.SubnetSelection(subnet_type=_subnet_type(props)),
            security_group=self.security_group,
            drop_invalid_header_fields=True,
            idle_timeout=props.idle_timeout,
        )
        self.load_balancer.log_access_logs(self.access_log_bucket)
        not_found = elbv2.ListenerAction.fixed_response(
            404, content_type="text/plain", message_body="Not found"
        )
        serving_id, redirect_id = props.listener_ids
        self.redirect_listener: elbv2.ApplicationListener | None = None
        if props.certificate_arn is not None:
            self.listener = self.load_balancer.add_listener(
                serving_id,
                port=443,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[elbv2.ListenerCertificate.from_arn(props.certificate_arn)],
                ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
                default_action=not_found,
                open=False,
            )
            for arn in props.additional_certificate_arns:
                # Not `listener.add_certificates`, which names them by their place in the list.
                elbv2.ApplicationListenerCertificate(
                    self.listener,
                    additional_certificate_id(arn),
                    listener=self.listener,
                    certificates=[elbv2.ListenerCertificate.from_arn(arn)],
                )
            if redirect:
                self.redirect_listener = self.load_balancer.add_listener(
                    redirect_id,
                    port=80,
                    protocol=elbv2.ApplicationProtocol.HTTP,
                    default_action=elbv2.ListenerAction.redirect(
                        protocol="HTTPS", port="443", permanent=True
                    ),
                    open=False,
                )
                # Created (or updated) only after the listener has left port 80: turning HTTPS on
                # moves it from 80 to 443 in the same update, and ELB refuses a second listener
                # on a port ("DuplicateListener", CreateListener and ModifyListener in the
                # Elastic Load Balancing API reference,
                # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyListener.html,
                # read 2026-12-03). On the listener's resource only, not on its additional
                # certificates (its children): adding or removing one leaves this listener as is.
                serving = self.listener.node.default_child
                assert serving is not None
                self.redirect_listener.node.add_dependency(serving)
            self.scheme: Scheme = "https"
        else:
            self.listener = self.load_balancer.add_listener(
                serving_id,
                port=80,
                protocol=elbv2.ApplicationProtocol.HTTP,
                default_action=not_found,
                open=False,
            )
            self.scheme = "http"
        self.test_listener: elbv2.ApplicationListener | None = None
        if props.test_listener:
            self.test_listener = _add_test_listener(
                self, props, vpc_cidr=props.internal_cidr or vpc_cidr, default_action=not_found
            )
        self.service_load_balancer = ServiceLoadBalancer(
            listener=self.listener,
            security_group=self.security_group,
            scheme=self.scheme,
            dns_name=self.load_balancer.load_balancer_dns_name,
            test_listener=self.test_listener,
        )


def additional_certificate_id(certificate_arn: str) -> str:
    """The construct id of the ListenerCertificate that attaches `certificate_arn` to the HTTPS
    listener: `Certificate-` and the certificate's own id, the last part of its ARN (an ACM
    certificate's ID, an IAM server certificate's name), unique in the account and region as the
    listener's certificates are. Keyed by the certificate rather than by its place in the list,
    as aws-cdk-lib's `add_certificates` names them (`<id>1`, `<id>2`, ...): with places, dropping
    the first of two certificates updates the first resource to the second certificate and
    deletes the second resource, and CloudFormation's update of a ListenerCertificate removes
    certificates it should keep ("ListenerCertificate updates remove existing listener
    certificates", aws-cloudformation/cloudformation-coverage-roadmap#865, open) while the delete
    removes its certificate by ARN, whoever else claims it: the listener ends without the
    certificate the stack says it has. Keyed, a certificate's resource is only ever created or
    deleted with it. What still detaches one (the move of resources deployed with places to these
    ids) the plan refuses: tools/plan/rules/listener_certificate.py."""
    return "Certificate-" + certificate_arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _check_additional_certificates(arns: Sequence[str]) -> None:
    """Refuse an additional certificate given as a token (its resource is named after its ARN,
    which a token does not tell at synth) or listed twice (as another ARN with the same id)."""
    seen: dict[str, str] = {}
    for arn in arns:
        if Token.is_unresolved(arn):
            raise ValueError(
                "SharedLoadBalancer: additional_certificate_arns must be literal ARNs (each "
                "certificate's resource is named after its ARN), got a token"
            )
        key = additional_certificate_id(arn)
        if key in seen:
            raise ValueError(
                f"SharedLoadBalancer: additional_certificate_arns lists certificate {arn} "
                + ("twice" if seen[key] == arn else f"and {seen[key]}, of the same id")
                + "; allowed: each certificate once"
            )
        seen[key] = arn


def _add_test_listener(
    shared: SharedLoadBalancer,
    props: SharedLoadBalancerProps,
    *,
    vpc_cidr: str,
    default_action: elbv2.ListenerAction,
) -> elbv2.ApplicationListener:
    """A listener on a port of its own rather than a header rule on the production listener:
    rule priorities are per listener, so each service's test rule takes its production rule's
    priority and conditions and the two listeners route alike, with no second set of priorities
    to allocate; and a new revision is reachable from the VPC only before ECS shifts production
    traffic to it."""
    https = props.certificate_arn is not None
    port = defaults.TEST_LISTENER_PORT_HTTPS if https else defaults.TEST_LISTENER_PORT_HTTP
    shared.security_group.add_ingress_rule(
        ec2.Peer.ipv4(vpc_cidr), ec2.Port.tcp(port), f"Test listener port {port} from the VPC"
    )
    # Only the default certificate: SNI certificates count toward the ALB's certificate quota
    # once per listener, and a test client inside the VPC can accept the default one.
    return shared.load_balancer.add_listener(
        "Test",
        port=port,
        protocol=elbv2.ApplicationProtocol.HTTPS if https else elbv2.ApplicationProtocol.HTTP,
        certificates=(
            [elbv2.ListenerCertificate.from_arn(props.certificate_arn)]
            if props.certificate_arn is not None
            else None
        ),
        ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS if https else None,
        default_action=default_action,
        open=False,
    )


def _vpc_cidr(vpc: ec2.IVpc) -> str:
    """The VPC's IPv4 CIDR: a literal, or a token (a VPC of another stack, or imported with a
    token); a VPC imported without `vpc_cidr_block` has none, and reading it raises."""
    try:
        return vpc.vpc_cidr_block
    except RuntimeError as error:  # how jsii surfaces aws-cdk-lib's error
        if "CannotPerformOperationVpcCidr" not in str(error):
            raise
        raise ValueError(
            "SharedLoadBalancer: the VPC has no CIDR block, which the ALB's security group needs "
            "(it sends only to the target ports inside the VPC): import the VPC with "
            "vpc_cidr_block=... in ec2.Vpc.from_vpc_attributes"
        ) from error


def _subnet_type(props: SharedLoadBalancerProps) -> ec2.SubnetType:
    if not props.internal:
        return ec2.SubnetType.PUBLIC
    if props.vpc.private_subnets:
        return ec2.SubnetType.PRIVATE_WITH_EGRESS
    return ec2.SubnetType.PRIVATE_ISOLATED
