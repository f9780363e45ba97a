"""What the account-check tests create in moto's account (a customer managed KMS key, the
environment's network stack as the sign that it is deployed, datapoints of a quota's usage
metric) and the Service Quotas client moto lacks (it knows no quota values)."""

from __future__ import annotations

import datetime
import json
from typing import Any

from botocore.exceptions import ClientError

from stacks import names
from tools.account.quotas import EC2_ON_DEMAND, EC2_SPOT, FARGATE_ON_DEMAND, FARGATE_SPOT


def customer_managed_key(aws: Any, alias: str) -> str:
    """A customer managed KMS key in us-east-1 with `alias`; its ARN."""
    kms = aws.client("kms", region_name="us-east-1")
    arn = str(kms.create_key()["KeyMetadata"]["Arn"])
    kms.create_alias(AliasName=alias, TargetKeyId=arn)
    return arn


def deploy_network_stack(aws: Any, environment: str) -> None:
    """The environment's network stack exists (a stand-in with one resource)."""
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    aws.client("cloudformation").create_stack(
        StackName=names.stack_id(environment, names.NETWORK_UNIT),
        TemplateBody=json.dumps(template),
    )


def usage_metric(service: str, usage_class: str) -> dict[str, Any]:
    """A vCPU quota's UsageMetric as GetServiceQuota answers it (AWS/Usage ResourceCount)."""
    return {
        "MetricNamespace": "AWS/Usage",
        "MetricName": "ResourceCount",
        "MetricDimensions": {
            "Service": service,
            "Type": "Resource",
            "Resource": "vCPU",
            "Class": usage_class,
        },
        "MetricStatisticRecommendation": "Maximum",
    }


USAGE_METRICS = {
    FARGATE_ON_DEMAND.code: usage_metric("Fargate", "Standard/OnDemand"),
    FARGATE_SPOT.code: usage_metric("Fargate", "Standard/Spot"),
    EC2_ON_DEMAND.code: usage_metric("EC2", "Standard/OnDemand"),
    EC2_SPOT.code: usage_metric("EC2", "Standard/Spot"),
}


class FakeServiceQuotas:
    """Service Quotas answering `values` by quota code, with each quota's usage metric; codes in
    `refused` are denied."""

    def __init__(
        self, values: dict[str, float], refused: tuple[str, ...] = (), metrics: bool = True
    ) -> None:
        self.values = values
        self.refused = refused
        self.metrics = metrics

    def get_service_quota(self, *, ServiceCode: str, QuotaCode: str) -> dict[str, Any]:  # noqa: N803
        if QuotaCode in self.refused:
            error = {"Code": "AccessDeniedException", "Message": "not authorized"}
            raise ClientError({"Error": error}, "GetServiceQuota")
        if QuotaCode not in self.values:  # as moto answers every quota
            error = {"Code": "NoSuchResourceException", "Message": "not known"}
            raise ClientError({"Error": error}, "GetServiceQuota")
        quota = {
            "ServiceCode": ServiceCode,
            "QuotaCode": QuotaCode,
            "Value": self.values[QuotaCode],
        }
        if self.metrics and QuotaCode in USAGE_METRICS:
            quota["UsageMetric"] = USAGE_METRICS[QuotaCode]
        return {"Quota": quota}


def running(aws: Any, quota_code: str, *points: tuple[int, float]) -> None:
    """Datapoints of the quota's usage metric: (minutes ago, vCPUs running)."""
    metric = USAGE_METRICS[quota_code]
    now = datetime.datetime.now(datetime.UTC)
    aws.client("cloudwatch").put_metric_data(
        Namespace=metric["MetricNamespace"],
        MetricData=[
            {
                "MetricName": metric["MetricName"],
                "Dimensions": [
                    {"Name": name, "Value": value}
                    for name, value in metric["MetricDimensions"].items()
                ],
                "Value": value,
                "Timestamp": now - datetime.timedelta(minutes=minutes),
            }
            for minutes, value in points
        ],
    )
