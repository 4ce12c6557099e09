"""The environment's customer-managed KMS key.

One key per environment encrypts its logs (and later its registries, backups and data), so a
client's data is never readable with another client's key. The key policy admits the tenant
account and, for CloudWatch Logs, only log groups of that account and region; CloudWatch and
EventBridge of that account may use it to publish to the encrypted alerts topic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


def key_policy(account_id: str, region: str, partition: str = "aws") -> str:
    """Key policy: the tenant account administers it; CloudWatch Logs may use it for its log groups; CloudWatch
    alarms and EventBridge rules of the account may publish to the encrypted alerts topic.

    SNS encrypts each message with this key on behalf of the publishing service, so both publishers need
    a data key (and `Decrypt` to reuse it); `aws:SourceAccount` keeps other accounts' alarms and rules out.
    """
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TenantAccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                    }
                },
            },
            *({
                "Sid": f"{publisher}PublishToTheAlertsTopic",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            } for publisher, service in (("CloudWatchAlarms", "cloudwatch.amazonaws.com"),
                                         ("EventBridgeRules", "events.amazonaws.com"))),
        ],
    })


@dataclass
class EnvironmentKeyArgs:
    """Inputs: whose key it is and where. `region` is the key's own region (the stack's, or the DR region's for the
    DR key); `name_prefix` names the alias, which is the same in both regions (aliases are regional)."""

    name_prefix: str
    account_id: str
    region: str


class EnvironmentKey(pulumi.ComponentResource):
    """A rotating symmetric KMS key and its alias; protected and retained, since losing it loses data."""

    key: aws.kms.Key
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: EnvironmentKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:security:EnvironmentKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = aws.kms.Key(
            f"{name}",
            description=f"Connect {args.name_prefix} ({args.region}): logs, registries, backups and data",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(args.account_id, args.region),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=True, retain_on_delete=True)),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/connect/{args.name_prefix}",
            target_key_id=self.key.key_id,
            opts=child,
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})
