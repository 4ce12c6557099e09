"""`AlertsTopic`: where every alarm of the environment goes (the 24x7 SRE team's pager feed).

One SNS topic per environment (and one in the DR region when a warm standby runs there: alarms
and EventBridge rules only publish to topics of their own region), encrypted with that region's
environment key, with the subscribers of `connect:alerts`. Its access policy replaces SNS's
default one: the tenant account manages it, CloudWatch alarms of this account and region publish
to it, and so do exactly the EventBridge rules observability declares (by ARN), nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.config import AlertsConfig

OWNER_ACTIONS = ("sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission",
                 "sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish")


def topic_name(name_prefix: str) -> str:
    """Physical name of the alerts topic (the same in both regions: topics are regional)."""
    return f"{name_prefix}-alerts"


def topic_arn(name_prefix: str, account_id: str, region: str) -> str:
    """The topic's ARN from known names, so its policy is readable in preview (the pack judges it)."""
    return f"arn:aws:sns:{region}:{account_id}:{topic_name(name_prefix)}"


def event_rule_arn(rule_name: str, account_id: str, region: str) -> str:
    """ARN of an EventBridge rule on the default bus."""
    return f"arn:aws:events:{region}:{account_id}:rule/{rule_name}"


def topic_policy(name_prefix: str, account_id: str, region: str, event_rules: Sequence[str] = ()) -> str:
    """Who may use the topic: the tenant account, its CloudWatch alarms here, and the named EventBridge rules.

    Service principals are pinned with `aws:SourceAccount` (the confused-deputy guard) and
    `aws:SourceArn` (alarms of this account and region; rules by exact ARN).
    """
    arn = topic_arn(name_prefix, account_id, region)

    def publishes(sid: str, service: str, source: dict[str, object]) -> dict[str, object]:
        """`service` of this account publishes, from the sources `source` names (`{operator: {aws:SourceArn: ...}}`)."""
        return {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": "sns:Publish",
                "Resource": arn, "Condition": {"StringEquals": {"aws:SourceAccount": account_id}, **source}}

    statements: list[dict[str, object]] = [
        {
            "Sid": "TenantAccountManagesTheTopic",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": list(OWNER_ACTIONS),
            "Resource": arn,
        },
        publishes("CloudWatchAlarmsOfThisAccountPublish", "cloudwatch.amazonaws.com",
                  {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account_id}:alarm:*"}}),
    ]
    if event_rules:
        statements.append(publishes(
            "EventBridgeRulesOfThisEnvironmentPublish", "events.amazonaws.com",
            {"ArnEquals": {"aws:SourceArn": sorted(event_rule_arn(r, account_id, region) for r in event_rules)}}))
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass
class AlertsTopicArgs:
    """Inputs: the subscribers (`connect:alerts`, or the account stack's `connect:access.alerts`), whose topic it is
    and in which region, that region's environment key, and the EventBridge rules that may publish to it."""

    config: AlertsConfig
    name_prefix: str
    account_id: str
    region: str
    kms_key_arn: pulumi.Input[str]
    event_rules: Sequence[str] = field(default_factory=tuple)


class AlertsTopic(pulumi.ComponentResource):
    """An encrypted SNS topic, its access policy and its email/HTTPS subscriptions, keyed by endpoint.

    Not to be confused with `Observability` (components/observability.py), the alarms and rules that publish here:
    the environment stacks give both the Pulumi name "alerts" (the types differ, so the URNs do; both names stay,
    as renaming would replace every resource under them).
    """

    topic: aws.sns.Topic

    def __init__(self, name: str, args: AlertsTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:observability:AlertsTopic", name, None, opts)
        config, name_prefix, account_id, region = args.config, args.name_prefix, args.account_id, args.region
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-topic", name=topic_name(name_prefix), kms_master_key_id=args.kms_key_arn, opts=child
        )
        aws.sns.TopicPolicy(
            f"{name}-topic-policy", arn=self.topic.arn,
            policy=topic_policy(name_prefix, account_id, region, args.event_rules), opts=child,
        )
        endpoints = [("email", e) for e in config.emails] + [("https", u) for u in config.https_endpoints]
        for protocol, endpoint in endpoints:
            key = "".join(c if c.isalnum() else "-" for c in endpoint.removeprefix("https://")).strip("-")
            aws.sns.TopicSubscription(
                f"{name}-{protocol}-{key}"[:200],
                topic=self.topic.arn,
                protocol=protocol,
                endpoint=endpoint,
                endpoint_auto_confirms=False,
                opts=child,
            )
        self.register_outputs({"topicArn": self.topic.arn})
