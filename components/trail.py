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

Who reads the record, and where it survives:
- the trail bucket's server access logs go to a log bucket of their own, and its DR copy's to one in that
  region (`log_bucket` of components/data.py: SSE-S3, versioned, nobody deletes or writes a log but S3's
  delivery, expired after `connect:access.logRetentionDays`), so every read of an audit file is itself
  recorded (Security Hub CloudTrail.7 / CIS: "S3 bucket access logging on the CloudTrail S3 bucket",
  https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html). Logging into the
  trail bucket itself would log its own deliveries, a loop S3 advises against
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html);
- the trail bucket replicates to a bucket in the tenant's DR region (`connect:tenant.drRegion`), encrypted
  there with an audit key of that region (same alias, like the environment keys), hardened like the
  original and with the same "no log file is ever deleted" statement, so losing the home region loses no
  evidence (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html).
  Delete markers are not replicated: a deletion in the home region (which the bucket policy already
  refuses) never hides the copy. No Replication Time Control: the copy is evidence, not a recovery point
  with an RPO, and RTC is charged per GB. The DR region's resources use the `dr` provider, the name the
  environment stacks give theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.boundary import workload_boundary
from components.config import AccessConfig
from components.data import (
    LogBucket,
    access_logging,
    bucket_name,
    dr_replication_rule,
    harden_bucket,
    log_bucket,
    never_deleted,
    tenant_and_services_only,
    tls_only,
)

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
            never_deleted("LogFilesAreNeverDeleted", bucket),
            tenant_and_services_only(bucket, account_id),
        ],
    })


def replica_bucket_name(name_prefix: str, account_id: str) -> str:
    """The trail bucket's copy in the DR region: `<client>-account-cloudtrail-dr-<account>`."""
    return bucket_name(name_prefix, "cloudtrail", account_id, dr=True)


def access_log_bucket_name(name_prefix: str, account_id: str) -> str:
    """Where the trail bucket's server access logs go: `<client>-account-cloudtrail-access-logs-<account>`."""
    return bucket_name(name_prefix, "cloudtrail-access-logs", account_id)


def replica_bucket_policy(bucket: str, account_id: str) -> str:
    """The copy keeps the original's guarantees: TLS only, no log file ever deleted, nobody outside the tenant
    account but an AWS service. Only replication writes to it (through the tenant account's replication role)."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            tls_only(bucket),
            never_deleted("LogFilesAreNeverDeleted", bucket),
            tenant_and_services_only(bucket, account_id),
        ],
    })


def replica_key_policy(account_id: str) -> str:
    """The DR region's audit key: the tenant account administers it and its IAM policies grant its use (the
    replication role encrypts the copies with it); no service principal needs it directly."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "TenantAccountAdministers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
         "Action": "kms:*", "Resource": "*"}]})


def replication_trust(account_id: str) -> str:
    """S3 replication of this account assumes the role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}}]})


def replication_policy(source: str, replica: str, key_alias: str) -> str:
    """Read the trail bucket's versions, write them to the copy, and use the audit keys (the alias names both)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
         "Resource": f"arn:aws:s3:::{source}"},
        {"Effect": "Allow", "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                                       "s3:GetObjectVersionTagging"], "Resource": f"arn:aws:s3:::{source}/*"},
        {"Effect": "Allow", "Action": ["s3:ReplicateObject", "s3:ReplicateTags"],
         "Resource": f"arn:aws:s3:::{replica}/*"},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], "Resource": "*",
         "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": key_alias}}},
    ]})


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


@dataclass
class AuditTrailArgs:
    """Inputs: the account stack's `connect:access` section (its `cloudTrail: account` and log retention), whose
    account and regions, and the DR region's provider (the stack's `dr` provider) for the trail bucket's copy."""

    config: AccessConfig
    name_prefix: str
    account_id: str
    region: str
    dr_region: str
    dr_provider: aws.Provider


class AuditTrail(pulumi.ComponentResource):
    """Key, bucket (hardened, access-logged, replicated to the DR region), log group, delivery role and the
    multi-region trail."""

    trail: aws.cloudtrail.Trail
    bucket: aws.s3.Bucket
    replica: aws.s3.Bucket
    access_logs: LogBucket
    replica_access_logs: LogBucket
    log_group: aws.cloudwatch.LogGroup
    arn: str

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:audit:AuditTrail", name, None, opts)
        assert args.config.account_trail  # only built for cloudTrail: account
        account, region, prefix = args.account_id, args.region, args.name_prefix
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
        versioning, hardening = harden_bucket(f"{name}-bucket", self.bucket, child, key.arn)
        hardening.append(aws.s3.BucketPolicy(f"{name}-bucket-policy", bucket=self.bucket.id,
                                             policy=bucket_policy(bucket, account, self.arn), opts=child))
        access = args.config
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=log_group_name(prefix), kms_key_id=key.arn,
            retention_in_days=access.log_retention_days, opts=keep,
        )
        group_arn = log_group_arn(prefix, account, region)
        role = aws.iam.Role(
            f"{name}-logs-delivery", description=f"CloudTrail delivers {trail_name(prefix)} to its log group",
            permissions_boundary=workload_boundary(account),
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
        self.access_logs = log_bucket(f"{name}-access-logs", access_log_bucket_name(prefix, account),
                                      account_id=account, sources=f"arn:aws:s3:::{bucket}",
                                      retention_days=access.log_retention_days, opts=child)
        access_logging(f"{name}-bucket-access-logging", self.bucket, self.access_logs, "cloudtrail/", child)
        self.replica = self._replicate(name, args, versioning)
        self.register_outputs({"trailArn": self.arn, "bucket": bucket,
                               "replicaBucket": replica_bucket_name(prefix, account),
                               "accessLogBucket": self.access_logs.name})

    def _replicate(self, name: str, args: AuditTrailArgs, versioning: aws.s3.BucketVersioning) -> aws.s3.Bucket:
        """The trail bucket's copy in the DR region, its own audit key there, and the replication (module docstring).

        Replication waits for the versioning of both buckets: S3 refuses it before
        (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html).
        """
        account, prefix, dr_region = args.account_id, args.name_prefix, args.dr_region
        child = pulumi.ResourceOptions(parent=self)
        dr = pulumi.ResourceOptions(parent=self, provider=args.dr_provider)
        keep = pulumi.ResourceOptions.merge(dr, KEEP)
        alias = f"alias/connect/{prefix}-trail"  # one alias names the audit key in both regions
        key = aws.kms.Key(
            f"{name}-dr-key", description=f"Connect {prefix} ({dr_region}): the copy of the audit trail's log files",
            enable_key_rotation=True, deletion_window_in_days=30, policy=replica_key_policy(account), opts=keep)
        aws.kms.Alias(f"{name}-dr-key-alias", name=alias, target_key_id=key.key_id, opts=dr)
        source, target = bucket_name(prefix, "cloudtrail", account), replica_bucket_name(prefix, account)
        replica = aws.s3.Bucket(f"{name}-replica", bucket=target, force_destroy=False, opts=keep)
        replica_versioning, _ = harden_bucket(f"{name}-replica", replica, dr, key.arn)
        aws.s3.BucketPolicy(f"{name}-replica-policy", bucket=replica.id,
                            policy=replica_bucket_policy(target, account), opts=dr)
        # Reads of the copy are recorded too, in its own region (S3 delivers access logs nowhere else).
        self.replica_access_logs = log_bucket(
            f"{name}-dr-access-logs", bucket_name(prefix, "cloudtrail-access-logs", account, dr=True),
            account_id=account, sources=f"arn:aws:s3:::{target}", retention_days=args.config.log_retention_days,
            opts=dr)
        access_logging(f"{name}-replica-access-logging", replica, self.replica_access_logs, "cloudtrail/", dr)
        role = aws.iam.Role(
            f"{name}-replication", description=f"S3 replicates {source} to {target}",
            permissions_boundary=workload_boundary(account),
            assume_role_policy=replication_trust(account), opts=child)
        aws.iam.RolePolicy(f"{name}-replication-policy", role=role.id,
                           policy=replication_policy(source, target, alias), opts=child)
        aws.s3.BucketReplicationConfig(
            f"{name}-replication",
            bucket=self.bucket.id,
            role=role.arn,
            rules=[dr_replication_rule(replica.arn, key.arn, delete_markers=False, time_control=False)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning, replica_versioning]),
        )
        return replica

    def outputs(self) -> dict[str, Any]:
        """Stack outputs of the trail."""
        return {"trailArn": self.arn, "trailBucket": self.bucket.bucket, "trailLogGroup": self.log_group.name,
                "trailReplicaBucket": self.replica.bucket, "trailAccessLogBucket": self.access_logs.bucket.bucket}
