"""`DataStores`: the environment's buckets, file systems and databases, their copies out of the region, and
the record of who reached them.

Every store is encrypted with the environment key, private, protected and retained, and tagged
`connect:backup: "true"` so the backup plan selects it. Buckets and file systems also replicate
natively to the DR region (copies of continuous backups arrive there as snapshots without
point-in-time restore, so native replication is what keeps their DR copy minutes old). Each store
has its own security group: only services that `use` it get a path (added by the platform).

Evidence of access to client data (ISO/IEC 27001 A.8.15, CSA CCM LOG-08):
- Buckets: S3 server access logging on every store bucket and on its DR replica, into an access-log
  bucket of the environment in the same region (S3 delivers only to a bucket of the source bucket's
  region and account: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html). Chosen
  over CloudTrail data events from the account trail
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/logging-with-S3.html) because:
  1. the account stack may keep no trail at all (`cloudTrail: organization`: the organization's trail is
     not ours to configure), and it does not know the environments. Bucket names are deterministic
     (`bucket_name`), but `<client>-<env>-<store>[-dr]-<account>` shares every prefix a selector could use
     with the log buckets (`<client>-<env>-<zone>-alb-<account>`, `<client>-account-cloudtrail-<account>`,
     the access-log buckets below), so a `resources.ARN StartsWith arn:aws:s3:::<client>-` selector would
     also record the trail's own bucket, which CloudTrail advises excluding
     (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/filtering-data-events.html), and the log
     buckets, unless the account stack listed every environment and store;
  2. the record is configured with the bucket, in the stack that owns it: a new store is covered by the
     same `pulumi up` that creates it, and the pack checks it in the same plan, preview included
     (`data-access-recorded`);
  3. no per-event charge (CloudTrail bills data events per 100,000: https://aws.amazon.com/cloudtrail/pricing/);
     the cost is storage, bounded by the lifecycle. Server access logs also record failed authentications
     and lifecycle actions, which data events do not.
  The trade-off, accepted: delivery is best effort and within hours (logging-with-S3.html above), where
  data events arrive within minutes with signed digests. The access logs are kept where nobody can
  delete or write them (below).
- Access-log buckets: one per region (primary and DR), built whenever the environment has data stores,
  buckets or not, so removing the last bucket never removes a protected log bucket. SSE-S3 (the default
  encryption S3 documents for a server access log destination:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html), ACLs
  disabled with the log delivery service admitted by the bucket policy (same page), versioned, public
  access blocked, TLS only; nobody deletes a log and only AWS services write one; the lifecycle expires
  them after `connect:platform.accessLogs.retentionDays`, the retention the environment already keeps
  access logs for.
- Databases: a cluster parameter group per cluster that loads pgAudit (DDL and role changes, never data),
  logs connections, disconnections and slow statements, exported to an encrypted log group created
  before the cluster; enhanced monitoring on every instance. See `DataStores._database`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.boundary import workload_boundary
from components.config import BucketConfig, DatabaseConfig, DataConfig, FileSystemConfig
from components.network import TenantNetwork

BACKUP_TAG = {"connect:backup": "true"}
LOG_DELIVERY = "logging.s3.amazonaws.com"  # the S3 server access log delivery service principal
MONITORING = "monitoring.rds.amazonaws.com"  # RDS enhanced monitoring
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
MONITORING_INTERVAL = 60  # seconds between enhanced monitoring samples (1, 5, 10, 15, 30 or 60)
SLOW_STATEMENT_MS = 1000  # log_min_duration_statement: statements slower than this reach the log
# pgaudit.log: schema and privilege changes; never read/write/all, the ledger's SQL carries personal data.
PGAUDIT_CLASSES = "ddl,role"


def bucket_name(prefix: str, store: str, account_id: str, dr: bool = False) -> str:
    """Globally unique, readable bucket names: `<client>-<env>-<store>[-dr]-<account>`, at most 63 characters."""
    suffix = f"{'-dr' if dr else ''}-{account_id}"
    return f"{prefix}-{store}"[: 63 - len(suffix)] + suffix


def tls_only(bucket: str) -> dict[str, Any]:
    """The statement every bucket policy of the platform opens with: no request without TLS, from anyone."""
    return {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def never_deleted(sid: str, bucket: str) -> dict[str, Any]:
    """The statement of an evidence bucket: no object of it, nor any version of one, is ever deleted, by anyone."""
    return {"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            "Resource": f"arn:aws:s3:::{bucket}/*"}


def tenant_and_services_only(bucket: str, account_id: str) -> dict[str, Any]:
    """The statement of an evidence bucket: nobody outside the tenant account but an AWS service gets in."""
    return {"Sid": "TenantAccountAndAwsServicesOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account_id},
                          "Bool": {"aws:PrincipalIsAWSService": "false"}}}


def bucket_policy(bucket: str, account_id: str) -> str:
    """TLS only, and no principal outside the tenant account."""
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            tls_only(bucket),
            {"Sid": "TenantAccountOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": resources,
             "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account_id}}},
        ],
    })


def dr_replication_rule(replica_arn: pulumi.Input[str], key_arn: pulumi.Input[str], *, delete_markers: bool,
                        time_control: bool) -> aws.s3.BucketReplicationConfigRuleArgs:
    """The one rule that copies a bucket, KMS-encrypted objects included, to its replica in the DR region.

    `delete_markers`: a deletion reaches the copy (data stores: the copy mirrors the store) or not (the audit
    trail: nothing deleted at the source may vanish from its copy). `time_control`: S3 Replication Time Control
    with its metrics (data stores' 15-minute RPO; `components/dr.py` RPO).
    """
    timing: dict[str, Any] = {}
    if time_control:
        timing = {
            "replication_time": aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                status="Enabled",
                time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(minutes=15)),
            "metrics": aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                status="Enabled",
                event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(minutes=15)),
        }
    return aws.s3.BucketReplicationConfigRuleArgs(
        id="to-dr-region",
        status="Enabled",
        filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
        delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
            status="Enabled" if delete_markers else "Disabled"),
        source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
            sse_kms_encrypted_objects=aws.s3.
            BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(status="Enabled")),
        destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
            bucket=replica_arn,
            storage_class="STANDARD",
            encryption_configuration=aws.s3.
            BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(replica_kms_key_id=key_arn),
            **timing,
        ),
    )


def access_log_bucket_name(prefix: str, region: str, account_id: str) -> str:
    """The environment's server-access-log bucket in `region`: `<client>-<env>-access-logs-<region>-<account>`.

    `access-logs-<region>` has over 20 characters, more than any store name, so no store's bucket (or its
    replica, `<store>-dr`) can take this name.
    """
    return bucket_name(prefix, f"access-logs-{region}", account_id)


def access_log_bucket_policy(bucket: str, account_id: str, sources: str) -> str:
    """S3 log delivery writes the access logs of `sources` (an S3 ARN, `*` allowed) of the tenant account, TLS only,
    and the record holds: no log object is ever deleted (the lifecycle, which no bucket policy governs, expires
    them), nobody but an AWS service writes one, nobody outside the tenant account but an AWS service gets in.

    The delivery statement is AWS's (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html):
    `aws:SourceArn` and `aws:SourceAccount` keep other buckets and accounts from writing through the service.
    """
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            tls_only(bucket),
            {"Sid": "S3ServerAccessLogDelivery", "Effect": "Allow", "Principal": {"Service": LOG_DELIVERY},
             "Action": "s3:PutObject", "Resource": resources[1],
             "Condition": {"ArnLike": {"aws:SourceArn": sources}, "StringEquals": {"aws:SourceAccount": account_id}}},
            never_deleted("AccessLogsAreNeverDeleted", bucket),
            {"Sid": "OnlyAwsServicesWriteLogs", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": resources[1], "Condition": {"Bool": {"aws:PrincipalIsAWSService": "false"}}},
            tenant_and_services_only(bucket, account_id),
        ],
    })


def bucket_encryption(key: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions,
                      kms_key_arn: pulumi.Input[str] | None = None) -> aws.s3.BucketServerSideEncryptionConfiguration:
    """`<key>-encryption`: default encryption with the KMS key and a bucket key, or SSE-S3 without a key."""
    by_default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
    rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=by_default(sse_algorithm="AES256")
    ) if kms_key_arn is None else aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        bucket_key_enabled=True,
        apply_server_side_encryption_by_default=by_default(sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn))
    return aws.s3.BucketServerSideEncryptionConfiguration(f"{key}-encryption", bucket=bucket.id, rules=[rule],
                                                          opts=opts)


def bucket_private(key: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions
                   ) -> tuple[aws.s3.BucketPublicAccessBlock, aws.s3.BucketOwnershipControls]:
    """`<key>-public-access-block` (all four blocks) then `<key>-ownership` (ACLs disabled)."""
    block = aws.s3.BucketPublicAccessBlock(
        f"{key}-public-access-block", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
        ignore_public_acls=True, restrict_public_buckets=True, opts=opts)
    ownership = aws.s3.BucketOwnershipControls(
        f"{key}-ownership", bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=opts)
    return block, ownership


def harden_bucket(key: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions,
                  kms_key_arn: pulumi.Input[str] | None = None
                  ) -> tuple[aws.s3.BucketVersioning, list[pulumi.Resource]]:
    """A bucket's hardening, in this order: `<key>-versioning` (enabled), `<key>-encryption` (`bucket_encryption`),
    `<key>-public-access-block` and `<key>-ownership` (`bucket_private`). Returns the versioning (what replication
    and lifecycle rules wait for) and all four."""
    versioning = aws.s3.BucketVersioning(
        f"{key}-versioning", bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"), opts=opts)
    encryption = bucket_encryption(key, bucket, opts, kms_key_arn)
    return versioning, [versioning, encryption, *bucket_private(key, bucket, opts)]


@dataclass(frozen=True)
class LogBucket:
    """A server-access-log destination: the bucket, and what must exist before S3 accepts it as a target."""

    bucket: aws.s3.Bucket
    name: str
    ready: list[pulumi.Resource]


def log_bucket(key: str, bucket: str, *, account_id: str, sources: str, retention_days: int,
               opts: pulumi.ResourceOptions) -> LogBucket:
    """A hardened bucket that receives S3 server access logs, protected and retained (it is evidence).

    SSE-S3, not the environment key: the encryption S3 documents for log destinations (`access_log_bucket_policy`'s
    page). ACLs disabled: delivery is granted by the bucket policy, which PutBucketLogging's target must have first
    (`ready`). Versioned, so no overwrite loses a record. The lifecycle expires logs after `retention_days` (and
    the versions that expiry leaves a day later), and aborts incomplete uploads after 7 days.
    """
    keep = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True))
    resource = aws.s3.Bucket(key, bucket=bucket, force_destroy=False, tags={"connect:logs": "s3-server-access"},
                             opts=keep)
    versioning, hardening = harden_bucket(key, resource, opts)
    aws.s3.BucketLifecycleConfiguration(
        f"{key}-lifecycle", bucket=resource.id,
        rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-access-logs", status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=retention_days),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=1),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=7),
        )],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[versioning])))
    policy = aws.s3.BucketPolicy(f"{key}-policy", bucket=resource.id,
                                 policy=access_log_bucket_policy(bucket, account_id, sources), opts=opts)
    return LogBucket(resource, bucket, [*hardening, policy])


def access_logging(key: str, source: aws.s3.Bucket, target: LogBucket, prefix: str,
                   opts: pulumi.ResourceOptions) -> aws.s3.BucketLogging:
    """Server access logging of `source` into `target` under `prefix`, keys partitioned by event time
    (`<prefix><account>/<region>/<bucket>/<yyyy>/<mm>/<dd>/...`), which Athena can prune by date."""
    return aws.s3.BucketLogging(
        key, bucket=source.id, target_bucket=target.bucket.id, target_prefix=prefix,
        target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
            partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                partition_date_source="EventTime")),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=target.ready)))


def aurora_family(engine_version: str) -> str:
    """The parameter group family of an Aurora PostgreSQL version: `aurora-postgresql<major>` (17.4 ->
    aurora-postgresql17), as `aws rds describe-db-engine-versions` reports `DBParameterGroupFamily`."""
    return f"aurora-postgresql{engine_version.split('.', 1)[0]}"


def audit_parameters() -> list[aws.rds.ClusterParameterGroupParameterArgs]:
    """The cluster parameters that make the exported `postgresql` log an audit record, each with its reason.

    - `shared_preload_libraries`: pgAudit, keeping `pg_stat_statements` (the default's library, which Performance
      Insights reads SQL statistics from); static, so `pending-reboot`: a running cluster loads pgAudit at its next
      reboot (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Appendix.PostgreSQL.CommonDBATasks.pgaudit.html).
    - `pgaudit.log`: `PGAUDIT_CLASSES`, schema and privilege changes; not `read`/`write`/`all`, which would copy the
      ledger's SQL, personal data included, into the log. `pgaudit.log_parameter` stays off (bind values).
      (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Appendix.PostgreSQL.CommonDBATasks.pgaudit.reference.html)
    - `log_statement`: `none`, written out: pgAudit records those statements with their class and object;
      `log_statement` would log them twice (pgAudit's README).
    - `log_min_duration_statement`: statements slower than `SLOW_STATEMENT_MS`, with their text: rare by design.
    - `log_connections`, `log_disconnections`: who connected, from where, for how long.
    (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_LogAccess.Concepts.PostgreSQL.overview.parameter-groups.html)
    """
    args = aws.rds.ClusterParameterGroupParameterArgs
    return [
        args(name="shared_preload_libraries", value="pg_stat_statements,pgaudit", apply_method="pending-reboot"),
        args(name="pgaudit.log", value=PGAUDIT_CLASSES, apply_method="immediate"),
        args(name="pgaudit.log_parameter", value="0", apply_method="immediate"),
        args(name="log_statement", value="none", apply_method="immediate"),
        args(name="log_min_duration_statement", value=str(SLOW_STATEMENT_MS), apply_method="immediate"),
        args(name="log_connections", value="1", apply_method="immediate"),
        args(name="log_disconnections", value="1", apply_method="immediate"),
    ]


def cluster_log_group_name(identifier: str) -> str:
    """Where RDS exports a cluster's `postgresql` log: `/aws/rds/cluster/<identifier>/postgresql`; RDS writes into
    the group when it exists, so the stack creates it first, encrypted and retained
    (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.CloudWatch.html)."""
    return f"/aws/rds/cluster/{identifier}/postgresql"


def monitoring_trust(account_id: str) -> str:
    """RDS enhanced monitoring of this account's instances publishes OS metrics through the role
    (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Monitoring.OS.Enabling.html)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": MONITORING}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}}]})


@dataclass
class StoreAccess:
    """What a service that uses a store needs: its kind, network path and the names IAM and env vars use."""

    kind: str  # "bucket" | "fileSystem" | "database"
    name: str
    port: int | None = None
    security_group: aws.ec2.SecurityGroup | None = None
    bucket: str | None = None
    file_system: aws.efs.FileSystem | None = None
    access_point: aws.efs.AccessPoint | None = None
    mount_path: str | None = None
    endpoint_parameter: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DatabaseSettings:
    """What every Aurora cluster of the environment shares, in the primary region or restored in the DR region:
    its names and account, its log retention (`connect:platform.logRetentionDays`, like the services' logs) and,
    in production, a reader instance beside the writer."""

    name_prefix: str
    account_id: str
    log_retention_days: int
    is_production: bool


@dataclass
class DataStoresArgs:
    """Inputs: the `connect:data` section; whose environment it is and its two regions; the retention of the
    services' logs and of the access logs (both from `connect:platform`); and the network, the primary and DR
    keys and the DR provider."""

    config: DataConfig
    name_prefix: str
    account_id: str
    region: str
    dr_region: str
    is_production: bool
    log_retention_days: int  # connect:platform.logRetentionDays: the databases' log groups
    access_log_retention_days: int  # connect:platform.accessLogs.retentionDays: the access-log buckets
    network: TenantNetwork
    kms_key_arn: pulumi.Input[str]
    dr_kms_key_arn: pulumi.Input[str]
    dr_provider: aws.Provider

    def database_settings(self) -> DatabaseSettings:
        """What `declare_aurora` needs of the environment."""
        return DatabaseSettings(name_prefix=self.name_prefix, account_id=self.account_id,
                                log_retention_days=self.log_retention_days, is_production=self.is_production)


class DataStores(pulumi.ComponentResource):
    """Buckets (replicated, access-logged), file systems (replicated), Aurora Serverless v2 clusters (audit-logged,
    monitored); keyed by store name. The access-log buckets of both regions are keyed by region."""

    access: dict[str, StoreAccess]
    access_logs: dict[str, LogBucket]  # "primary" and "dr": the server-access-log bucket of each region

    def __init__(self, name: str, args: DataStoresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:data:DataStores", name, None, opts)
        self._name, self._args = name, args
        self.access = {}
        data = args.config
        self.access_logs = self._access_log_buckets()
        for bucket in sorted(data.buckets, key=lambda b: b.name):
            self._bucket(bucket)
        for file_system in sorted(data.file_systems, key=lambda f: f.name):
            self._file_system(file_system)
        for database in sorted(data.databases, key=lambda d: d.name):
            self._database(database)
        self.register_outputs({"stores": sorted(self.access),
                               "accessLogBuckets": {k: v.name for k, v in sorted(self.access_logs.items())}})

    def _access_log_buckets(self) -> dict[str, LogBucket]:
        """The server-access-log bucket of each region; S3 delivers this environment's buckets' logs only (their
        names start with the environment's prefix), kept `connect:platform.accessLogs.retentionDays`."""
        args = self._args
        account, prefix = args.account_id, args.name_prefix
        regions = {"primary": (args.region, pulumi.ResourceOptions(parent=self)),
                   "dr": (args.dr_region, pulumi.ResourceOptions(parent=self, provider=args.dr_provider))}
        return {
            which: log_bucket(f"{self._name}-access-logs-{region}", access_log_bucket_name(prefix, region, account),
                              account_id=account, sources=f"arn:aws:s3:::{prefix}-*",
                              retention_days=args.access_log_retention_days, opts=opts)
            for which, (region, opts) in regions.items()
        }

    def _hardened_bucket(self, key: str, bucket: str, kms_key_arn: pulumi.Input[str], tags: dict[str, str],
                         opts: pulumi.ResourceOptions) -> tuple[aws.s3.Bucket, aws.s3.BucketVersioning]:
        """A versioned, KMS-encrypted, private, owner-enforced, TLS-only bucket of the tenant account.

        Returns the bucket and its versioning: replication must wait for the versioning of both buckets.
        """
        account = self._args.account_id
        resource = aws.s3.Bucket(key, bucket=bucket, force_destroy=False, tags=tags,
                                 opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                                     protect=True, retain_on_delete=True)))
        versioning, _ = harden_bucket(key, resource, opts, kms_key_arn)
        aws.s3.BucketPolicy(f"{key}-policy", bucket=resource.id, policy=bucket_policy(bucket, account), opts=opts)
        return resource, versioning

    def _bucket(self, store: BucketConfig) -> None:
        """The primary bucket, its DR replica bucket and the replication between them."""
        args = self._args
        key = f"{self._name}-{store.name}"
        child = pulumi.ResourceOptions(parent=self)
        dr = pulumi.ResourceOptions(parent=self, provider=args.dr_provider)
        name = bucket_name(args.name_prefix, store.name, args.account_id)
        replica_name = bucket_name(args.name_prefix, store.name, args.account_id, dr=True)
        alias = f"alias/connect/{args.name_prefix}"  # the same alias names the environment key in both regions
        primary, primary_versioning = self._hardened_bucket(key, name, args.kms_key_arn,
                                        {**BACKUP_TAG, "connect:store": store.name}, child)
        replica, replica_versioning = self._hardened_bucket(f"{key}-dr", replica_name, args.dr_kms_key_arn,
                                        {"connect:store": store.name, "connect:replica-of": name}, dr)
        role = aws.iam.Role(
            f"{key}-replication",
            permissions_boundary=workload_boundary(args.account_id),
            description=f"S3 replicates {name} to {replica_name}",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}}}]}),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{key}-replication-policy", role=role.id,
            policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                 "Resource": f"arn:aws:s3:::{name}"},
                {"Effect": "Allow", "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                                               "s3:GetObjectVersionTagging"], "Resource": f"arn:aws:s3:::{name}/*"},
                {"Effect": "Allow", "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                 "Resource": f"arn:aws:s3:::{replica_name}/*"},
                {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], "Resource": "*",
                 "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}}},
            ]}),
            opts=child,
        )
        aws.s3.BucketReplicationConfig(
            f"{key}-replication-config",
            bucket=primary.id,
            role=role.arn,
            rules=[dr_replication_rule(replica.arn, args.dr_kms_key_arn, delete_markers=True, time_control=True)],
            # S3 refuses a replication configuration until versioning is enabled on the source and the
            # destination bucket (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html):
            # without these edges the first `pulumi up` creates them in parallel and can lose the race.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[primary_versioning, replica_versioning]),
        )
        # Every object-level request to the bucket and to its DR copy, recorded in the access-log bucket of its region.
        access_logging(f"{key}-access-logging", primary, self.access_logs["primary"], f"{store.name}/", child)
        access_logging(f"{key}-dr-access-logging", replica, self.access_logs["dr"], f"{store.name}/", dr)
        self.access[store.name] = StoreAccess(kind="bucket", name=store.name, bucket=name)

    def _store_group(self, store: str, what: str) -> aws.ec2.SecurityGroup:
        args = self._args
        return store_group(StorePlacement(owner=self, key=f"{self._name}-{store}", network=args.network,
                                          kms_key_arn=args.kms_key_arn, region=args.region),
                           store, what, args.name_prefix)

    def _file_system(self, store: FileSystemConfig) -> None:
        """Encrypted EFS, a mount target per zone in the data tier, an access point, DR replication."""
        args = self._args
        key = f"{self._name}-{store.name}"
        child = pulumi.ResourceOptions(parent=self)
        file_system = aws.efs.FileSystem(
            key,
            encrypted=True,
            kms_key_id=args.kms_key_arn,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            tags={**BACKUP_TAG, "connect:store": store.name, "Name": f"{args.name_prefix}-{store.name}"},
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        group = self._store_group(store.name, "EFS")
        for zone, subnet in sorted(args.network.subnets["data"].items()):
            aws.efs.MountTarget(f"{key}-mount-{zone}", file_system_id=file_system.id, subnet_id=subnet.id,
                                security_groups=[group.id], opts=child)
        access_point = aws.efs.AccessPoint(
            f"{key}-access-point",
            file_system_id=file_system.id,
            posix_user=aws.efs.AccessPointPosixUserArgs(uid=1000, gid=1000),
            root_directory=aws.efs.AccessPointRootDirectoryArgs(
                path=f"/{store.name}",
                creation_info=aws.efs.AccessPointRootDirectoryCreationInfoArgs(
                    owner_uid=1000, owner_gid=1000, permissions="750")),
            tags={"connect:store": store.name},
            opts=child,
        )
        aws.efs.ReplicationConfiguration(
            f"{key}-replication",
            source_file_system_id=file_system.id,
            destination=aws.efs.ReplicationConfigurationDestinationArgs(
                region=args.dr_region, kms_key_id=args.dr_kms_key_arn),
            opts=child,
        )
        self.access[store.name] = StoreAccess(kind="fileSystem", name=store.name, port=2049, security_group=group,
                                              file_system=file_system, access_point=access_point,
                                              mount_path=store.path)

    def _database(self, store: DatabaseConfig) -> None:
        """Aurora PostgreSQL Serverless v2 in the data subnets (`declare_aurora`)."""
        args = self._args
        self.access[store.name] = declare_aurora(args.database_settings(), store, StorePlacement(
            owner=self, key=f"{self._name}-{store.name}", network=args.network, kms_key_arn=args.kms_key_arn,
            region=args.region))


@dataclass
class StorePlacement:
    """Where a store is declared: the primary's stores, or the DR region's restore of a database's copy."""

    owner: pulumi.Resource  # the parent component
    key: str  # resource-name prefix: `data-<store>` for the primary, `dr-restore-<store>` for the DR restore
    network: TenantNetwork
    kms_key_arn: pulumi.Input[str]
    region: str
    provider: aws.Provider | None = None
    snapshot_identifier: pulumi.Input[str] | None = None  # restore from this cluster snapshot
    monitoring: tuple[aws.iam.Role, aws.iam.RolePolicyAttachment] | None = None  # made beforehand (`monitoring_role`)


def database_parameter(name_prefix: str, store: str) -> str:
    """The SSM parameter holding a database's writer endpoint, the same name in both regions."""
    return f"/connect/{name_prefix}/data/{store}/endpoint"


def monitoring_role(account_id: str, place: StorePlacement, identifier: str
                    ) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
    """The role RDS enhanced monitoring of a cluster's instances assumes, with its managed policy."""
    child = pulumi.ResourceOptions(parent=place.owner, provider=place.provider)
    role = aws.iam.Role(
        f"{place.key}-monitoring", description=f"RDS enhanced monitoring of {identifier}'s instances",
        permissions_boundary=workload_boundary(account_id),
        assume_role_policy=monitoring_trust(account_id), opts=child)
    attachment = aws.iam.RolePolicyAttachment(
        f"{place.key}-monitoring-policy", role=role.name, policy_arn=ENHANCED_MONITORING_POLICY, opts=child)
    return role, attachment


def store_group(place: StorePlacement, store: str, what: str, name_prefix: str) -> aws.ec2.SecurityGroup:
    """A store's own security group: it admits exactly the services that use the store (their rules)."""
    return aws.ec2.SecurityGroup(
        f"{place.key}-sg",
        vpc_id=place.network.vpc.id,
        description=f"{what} {store}: only from the services that use it",
        tags={"Name": f"{name_prefix}-{store}", "connect:tier": "data", "connect:store": store},
        opts=pulumi.ResourceOptions(parent=place.owner, provider=place.provider),
    )


def declare_aurora(settings: DatabaseSettings, store: DatabaseConfig, place: StorePlacement) -> StoreAccess:
    """Aurora PostgreSQL Serverless v2 in the data subnets: encrypted, private, protected, IAM auth, audited.

    Audit: its own cluster parameter group (`audit_parameters`), named after the family so a major upgrade
    brings a new group beside the old one; setting `db_cluster_parameter_group_name` on a running cluster is
    an in-place ModifyDBCluster (it is not in `connectctl.diff.FORCE_NEW`), and pgAudit loads at the next
    reboot. The group is retained on delete: a removed store's cluster is retained and still uses it (RDS
    refuses to delete a group in use). The exported `postgresql` log goes to a log group the stack creates
    first (`cluster_log_group_name`), encrypted with the environment key and kept
    `connect:platform.logRetentionDays` like the services' logs; otherwise RDS would create it unencrypted
    and never expiring. Every instance has enhanced monitoring (`MONITORING_INTERVAL`) through a role of its
    own store, and keeps Performance Insights.
    """
    key, network = place.key, place.network
    child = pulumi.ResourceOptions(parent=place.owner, provider=place.provider)
    identifier = f"{settings.name_prefix}-{store.name}"
    group = store_group(place, store.name, "Aurora PostgreSQL", settings.name_prefix)
    subnet_group = aws.rds.SubnetGroup(
        f"{key}-subnets", name=identifier, description=f"{identifier}: the data tier of every zone",
        subnet_ids=[s.id for _, s in sorted(network.subnets["data"].items())], opts=child)
    family = aurora_family(store.engine_version)
    parameters = aws.rds.ClusterParameterGroup(
        f"{key}-parameters", name=f"{identifier}-{family}", family=family,
        description=f"{identifier}: pgAudit (ddl, role), connections, slow statements",
        parameters=audit_parameters(), tags={"connect:store": store.name},
        opts=pulumi.ResourceOptions(parent=place.owner, provider=place.provider, retain_on_delete=True))
    log_group = aws.cloudwatch.LogGroup(
        f"{key}-logs", name=cluster_log_group_name(identifier), kms_key_id=place.kms_key_arn,
        retention_in_days=settings.log_retention_days, tags={"connect:store": store.name},
        opts=pulumi.ResourceOptions(parent=place.owner, provider=place.provider, protect=True, retain_on_delete=True))
    monitoring, monitoring_policy = place.monitoring or monitoring_role(settings.account_id, place, identifier)
    # A restore takes the database, its users and its master credentials from the snapshot
    # (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html).
    restore: dict[str, Any] = ({"snapshot_identifier": place.snapshot_identifier}
                               if place.snapshot_identifier is not None
                               else {"database_name": store.name.replace("-", "_"), "master_username": "connect_admin"})
    cluster = aws.rds.Cluster(
        key,
        cluster_identifier=identifier,
        engine=store.engine,
        engine_mode="provisioned",
        engine_version=store.engine_version,
        **restore,
        manage_master_user_password=True,
        iam_database_authentication_enabled=True,
        db_subnet_group_name=subnet_group.name,
        vpc_security_group_ids=[group.id],
        storage_encrypted=True,
        kms_key_id=place.kms_key_arn,
        deletion_protection=True,
        backup_retention_period=store.backup_retention_days,
        preferred_backup_window="03:00-04:00",
        copy_tags_to_snapshot=True,
        skip_final_snapshot=False,
        final_snapshot_identifier=f"{identifier}-final",
        db_cluster_parameter_group_name=parameters.name,
        enabled_cloudwatch_logs_exports=["postgresql"],
        serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
            min_capacity=store.min_capacity, max_capacity=store.max_capacity),
        tags={**BACKUP_TAG, "connect:store": store.name},
        # The log group first: RDS creates a missing one itself, unencrypted and kept forever.
        opts=pulumi.ResourceOptions(parent=place.owner, provider=place.provider, protect=True, retain_on_delete=True,
                                    depends_on=[log_group]),
    )
    zones = sorted(network.subnets["data"])
    # An instance's zone is chosen when it is created and kept: adding or removing a zone changes the spread
    # `zones[index % n]` would give, and availabilityZone forces replacement of a running database instance.
    placed = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(ignore_changes=["availabilityZone"]))
    for index in range(2 if settings.is_production else 1):  # writer, plus a reader in production
        aws.rds.ClusterInstance(
            f"{key}-instance-{index + 1}",
            identifier=f"{identifier}-{index + 1}",
            cluster_identifier=cluster.id,
            instance_class="db.serverless",
            engine=aws.rds.EngineType.AURORA_POSTGRESQL,
            engine_version=store.engine_version,
            availability_zone=zones[index % len(zones)],
            publicly_accessible=False,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=place.kms_key_arn,
            monitoring_interval=MONITORING_INTERVAL,
            monitoring_role_arn=monitoring.arn,
            # RDS checks the role's permissions when the instance is created or modified.
            opts=pulumi.ResourceOptions.merge(placed, pulumi.ResourceOptions(depends_on=[monitoring_policy])),
        )
    parameter = database_parameter(settings.name_prefix, store.name)
    aws.ssm.Parameter(f"{key}-endpoint", name=parameter, type="String", value=cluster.endpoint,
                      description=f"Writer endpoint of {identifier}, injected into the services that use it",
                      opts=child)
    parameter_arn = f"arn:aws:ssm:{place.region}:{settings.account_id}:parameter{parameter}"
    return StoreAccess(kind="database", name=store.name, port=5432, security_group=group,
                       endpoint_parameter=parameter, extra={"parameter_arn": parameter_arn})
