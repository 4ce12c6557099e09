"""`AuditTrail`: the account's CloudTrail trail, when no organization trail covers the account.

One multi-region trail with global service events and log file validation (a digest per hour lets
`aws cloudtrail validate-logs` prove no log file was changed or removed), written to:
- an S3 bucket of the account: versioned, SSE-KMS, public access blocked, ACLs disabled, TLS only,
  open only to the tenant account and to CloudTrail writing this trail (`aws:SourceArn`), and no log
  file deletable by anyone (a Deny no identity policy overrides: removing one means changing the bucket
  policy first, itself a recorded, alarmed call for the break-glass role);
- a CloudWatch log group (queries, metric filters) with the configured retention.
Both are encrypted with a key of their own: the audit key's policy admits CloudTrail for this trail
only, and it does not widen the account key that encrypts the registry. The key, bucket, log group and
trail are protected and retained: the audit record outlives any stack change (switching to
`cloudTrail: organization` needs the trail unprotected on purpose first).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import StackConfig
from components.data import bucket_name, tls_only

KEEP = pulumi.ResourceOptions(protect=True, retain_on_delete=True)


def trail_name(name_prefix: str) -> str:
    """Physical name of the account trail."""
    return f"{name_prefix}-trail"


def trail_arn(name_prefix: str, account_id: str, region: str) -> str:
    """The trail's ARN from known names (its home region is the stack's): readable in preview."""
    return f"arn:aws:cloudtrail:{region}:{account_id}:trail/{trail_name(name_prefix)}"


def log_group_name(name_prefix: str) -> str:
    """The trail's CloudWatch log group."""
    return f"/aws/cloudtrail/{name_prefix}"


def log_group_arn(name_prefix: str, account_id: str, region: str) -> str:
    """The log group's ARN from its name."""
    return f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name(name_prefix)}"


def key_policy(account_id: str, region: str, name_prefix: str) -> str:
    """The audit key: the tenant account administers it; CloudTrail encrypts this trail's log files and
    digests with it; CloudWatch Logs encrypts the trail's log group, nothing else.

    CloudTrail's statements follow AWS's key policy for trails: `aws:SourceArn` names this trail,
    the encryption context names trails of this account.
    """
    trail = trail_arn(name_prefix, account_id, region)
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TenantAccountAdministers", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudTrailEncryptsThisTrail", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceArn": trail},
                           "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                          f"arn:aws:cloudtrail:*:{account_id}:trail/*"}}},
            {"Sid": "CloudTrailDescribesTheKey", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:DescribeKey", "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceArn": trail}}},
            {"Sid": "CloudWatchLogsOfTheTrailLogGroup", "Effect": "Allow",
             "Principal": {"Service": f"logs.{region}.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
             "Resource": "*",
             "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn":
                                         log_group_arn(name_prefix, account_id, region)}}},
        ],
    })


def bucket_policy(bucket: str, account_id: str, trail: str) -> str:
    """TLS only; CloudTrail writes this trail's files (bucket-owner-full-control); no file is ever deleted;
    nobody outside the tenant account but an AWS service gets in."""
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            tls_only(bucket),
            {"Sid": "CloudTrailChecksTheBucketAcl", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
             "Resource": resources[0], "Condition": {"StringEquals": {"aws:SourceArn": trail}}},
            {"Sid": "CloudTrailWritesThisTrail", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account_id}/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail}}},
            {"Sid": "LogFilesAreNeverDeleted", "Effect": "Deny", "Principal": "*",
             "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": resources[1]},
            {"Sid": "TenantAccountAndAwsServicesOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": resources,
             "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account_id},
                           "Bool": {"aws:PrincipalIsAWSService": "false"}}},
        ],
    })


def logs_role_trust(account_id: str, trail: str) -> str:
    """CloudTrail, for this trail only, delivers to the log group."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id, "aws:SourceArn": trail}}}]})


def logs_role_policy(group_arn: str) -> str:
    """Create streams and put events in the trail's log group, nothing else."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{group_arn}:log-stream:*"}]})


class AuditTrail(pulumi.ComponentResource):
    """Key, bucket (hardened), log group, delivery role and the multi-region trail."""

    trail: aws.cloudtrail.Trail
    bucket: aws.s3.Bucket
    log_group: aws.cloudwatch.LogGroup
    arn: str

    def __init__(self, name: str, cfg: StackConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:audit:AuditTrail", name, None, opts)
        assert cfg.access is not None and cfg.access.account_trail  # only built for cloudTrail: account
        account, region, prefix = cfg.tenant.account_id, cfg.region, cfg.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions.merge(child, KEEP)
        self.arn = trail_arn(prefix, account, region)
        key = aws.kms.Key(
            f"{name}-key", description=f"Connect {prefix}: the audit trail's log files, digests and log group",
            enable_key_rotation=True, deletion_window_in_days=30, policy=key_policy(account, region, prefix),
            opts=keep,
        )
        aws.kms.Alias(f"{name}-key-alias", name=f"alias/connect/{prefix}-trail", target_key_id=key.key_id,
                      opts=child)
        bucket = bucket_name(prefix, "cloudtrail", account)
        self.bucket = aws.s3.Bucket(f"{name}-bucket", bucket=bucket, force_destroy=False, opts=keep)
        hardening: list[pulumi.Resource] = [
            aws.s3.BucketVersioning(
                f"{name}-bucket-versioning", bucket=self.bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
                opts=child),
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{name}-bucket-encryption", bucket=self.bucket.id,
                rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    bucket_key_enabled=True,
                    apply_server_side_encryption_by_default=aws.s3.
                    BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn))],
                opts=child),
            aws.s3.BucketPublicAccessBlock(
                f"{name}-bucket-public-access-block", bucket=self.bucket.id, block_public_acls=True,
                block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True, opts=child),
            aws.s3.BucketOwnershipControls(
                f"{name}-bucket-ownership", bucket=self.bucket.id,
                rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child),
            aws.s3.BucketPolicy(f"{name}-bucket-policy", bucket=self.bucket.id,
                                policy=bucket_policy(bucket, account, self.arn), opts=child),
        ]
        access = cfg.access
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=log_group_name(prefix), kms_key_id=key.arn,
            retention_in_days=access.log_retention_days, opts=keep,
        )
        group_arn = log_group_arn(prefix, account, region)
        role = aws.iam.Role(
            f"{name}-logs-delivery", description=f"CloudTrail delivers {trail_name(prefix)} to its log group",
            assume_role_policy=logs_role_trust(account, self.arn), opts=child,
        )
        delivery = aws.iam.RolePolicy(f"{name}-logs-delivery-policy", role=role.id, policy=logs_role_policy(group_arn),
                                      opts=child)
        self.trail = aws.cloudtrail.Trail(
            name,
            name=trail_name(prefix),
            s3_bucket_name=self.bucket.bucket,
            kms_key_id=key.arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            cloud_watch_logs_group_arn=self.log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=role.arn,
            # CloudTrail checks the bucket policy, the key policy and the role when the trail is created.
            opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(depends_on=[*hardening, delivery])),
        )
        self.register_outputs({"trailArn": self.arn, "bucket": bucket})

    def outputs(self) -> dict[str, Any]:
        """Stack outputs of the trail."""
        return {"trailArn": self.arn, "trailBucket": self.bucket.bucket, "trailLogGroup": self.log_group.name}
