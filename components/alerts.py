"""`AlertsTopic`: where every alarm of the environment goes (the 24x7 SRE team's pager feed).

One SNS topic per environment, encrypted with the environment key, with the subscribers of
`connect:alerts`. The VPN's tunnel alarms are its first publishers; observability adds the rest.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.vpn_config import AlertsConfig


class AlertsTopic(pulumi.ComponentResource):
    """An encrypted SNS topic and its email/HTTPS subscriptions, keyed by endpoint."""

    topic: aws.sns.Topic

    def __init__(self, name: str, config: AlertsConfig, name_prefix: str, kms_key_arn: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:observability:AlertsTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-topic", name=f"{name_prefix}-alerts", kms_master_key_id=kms_key_arn, opts=child
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
