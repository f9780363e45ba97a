"""The SNS topic an environment's alarms notify: encrypted with a key CloudWatch may use, SSL only,
with optional e-mail subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class AlarmTopicProps:
    """Props of `AlarmTopic`.

    Attributes:
        emails: addresses subscribed to the topic (each confirms by e-mail). Default: none.
        removal_policy: of the topic's KMS key. Default: RETAIN.
        topic_name: the topic's name. Default: None, generated.
    """

    emails: Sequence[str] = ()
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    topic_name: str | None = None


class AlarmTopic(Construct):
    """A topic for CloudWatch alarms. A topic encrypted with the AWS-managed SNS key cannot
    receive alarms (CloudWatch may not use that key), so it has a rotating customer-managed key
    whose policy lets CloudWatch encrypt messages; the topic policy refuses requests without TLS
    and lets CloudWatch alarms of this account publish (https://docs.aws.amazon.com/
    AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html, "encrypted topic", read
    2026-12-03).

    Attributes:
        topic: the topic.
        key: its KMS key.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: AlarmTopicProps | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        props = props or AlarmTopicProps()
        stack = Stack.of(self)
        cloudwatch = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the alarm topic; CloudWatch alarms publish to it",
            enable_key_rotation=True,
            removal_policy=props.removal_policy,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsEncrypt",
                principals=[cloudwatch],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # a key policy's resource is always the key itself
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=props.topic_name,
            display_name="Container platform alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[cloudwatch],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )
        for address in props.emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(address))
