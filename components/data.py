"""`DataStores`: the environment's buckets, file systems and databases, and their copies out of the region.

Every store is encrypted with the environment key, private, protected and retained, and tagged
`connect:backup: "true"` so the backup plan selects it. Buckets and file systems also replicate
natively to the DR region (copies of continuous backups arrive there as snapshots without
point-in-time restore, so native replication is what keeps their DR copy minutes old). Each store
has its own security group: only services that `use` it get a path (added by the platform).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import StackConfig
from components.data_config import BucketConfig, DatabaseConfig, FileSystemConfig
from components.network import TenantNetwork

BACKUP_TAG = {"connect:backup": "true"}


def bucket_name(prefix: str, store: str, account_id: str, dr: bool = False) -> str:
    """Globally unique, readable bucket names: `<client>-<env>-<store>[-dr]-<account>`, at most 63 characters."""
    suffix = f"{'-dr' if dr else ''}-{account_id}"
    return f"{prefix}-{store}"[: 63 - len(suffix)] + suffix


def tls_only(bucket: str) -> dict[str, Any]:
    """The statement every bucket policy of the platform opens with: no request without TLS, from anyone."""
    return {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


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


@dataclass
class DataStoresArgs:
    """Inputs: validated config, the network, the primary and DR keys and the DR provider."""

    config: StackConfig
    network: TenantNetwork
    kms_key_arn: pulumi.Input[str]
    dr_kms_key_arn: pulumi.Input[str]
    dr_provider: aws.Provider


class DataStores(pulumi.ComponentResource):
    """Buckets (replicated), file systems (replicated), Aurora Serverless v2 clusters; keyed by store name."""

    access: dict[str, StoreAccess]

    def __init__(self, name: str, args: DataStoresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:data:DataStores", name, None, opts)
        self._name, self._args = name, args
        self.access = {}
        data = args.config.data
        for bucket in sorted(data.buckets, key=lambda b: b.name):
            self._bucket(bucket)
        for file_system in sorted(data.file_systems, key=lambda f: f.name):
            self._file_system(file_system)
        for database in sorted(data.databases, key=lambda d: d.name):
            self._database(database)
        self.register_outputs({"stores": sorted(self.access)})

    def _hardened_bucket(self, key: str, bucket: str, kms_key_arn: pulumi.Input[str], tags: dict[str, str],
                         opts: pulumi.ResourceOptions) -> tuple[aws.s3.Bucket, aws.s3.BucketVersioning]:
        """A versioned, KMS-encrypted, private, owner-enforced, TLS-only bucket of the tenant account.

        Returns the bucket and its versioning: replication must wait for the versioning of both buckets.
        """
        account = self._args.config.tenant.account_id
        resource = aws.s3.Bucket(key, bucket=bucket, force_destroy=False, tags=tags,
                                 opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                                     protect=True, retain_on_delete=True)))
        versioning = aws.s3.BucketVersioning(
            f"{key}-versioning", bucket=resource.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"), opts=opts)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{key}-encryption", bucket=resource.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                bucket_key_enabled=True,
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn))],
            opts=opts,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{key}-public-access-block", bucket=resource.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=opts)
        aws.s3.BucketOwnershipControls(
            f"{key}-ownership", bucket=resource.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=opts)
        aws.s3.BucketPolicy(f"{key}-policy", bucket=resource.id, policy=bucket_policy(bucket, account), opts=opts)
        return resource, versioning

    def _bucket(self, store: BucketConfig) -> None:
        """The primary bucket, its DR replica bucket and the replication between them."""
        cfg, args = self._args.config, self._args
        key = f"{self._name}-{store.name}"
        child = pulumi.ResourceOptions(parent=self)
        dr = pulumi.ResourceOptions(parent=self, provider=args.dr_provider)
        name = bucket_name(cfg.name_prefix, store.name, cfg.tenant.account_id)
        replica_name = bucket_name(cfg.name_prefix, store.name, cfg.tenant.account_id, dr=True)
        alias = f"alias/connect/{cfg.name_prefix}"  # the same alias names the environment key in both regions
        primary, primary_versioning = self._hardened_bucket(key, name, args.kms_key_arn,
                                        {**BACKUP_TAG, "connect:store": store.name}, child)
        replica, replica_versioning = self._hardened_bucket(f"{key}-dr", replica_name, args.dr_kms_key_arn,
                                        {"connect:store": store.name, "connect:replica-of": name}, dr)
        role = aws.iam.Role(
            f"{key}-replication",
            description=f"S3 replicates {name} to {replica_name}",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": cfg.tenant.account_id}}}]}),
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
            rules=[aws.s3.BucketReplicationConfigRuleArgs(
                id="to-dr-region",
                status="Enabled",
                filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                    status="Enabled"),
                source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                    sse_kms_encrypted_objects=aws.s3.
                    BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(status="Enabled")),
                destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                    bucket=replica.arn,
                    storage_class="STANDARD",
                    encryption_configuration=aws.s3.
                    BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                        replica_kms_key_id=args.dr_kms_key_arn),
                    replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                        status="Enabled",
                        time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(minutes=15)),
                    metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                        status="Enabled",
                        event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
                            minutes=15)),
                ),
            )],
            # S3 refuses a replication configuration until versioning is enabled on the source and the
            # destination bucket (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html):
            # without these edges the first `pulumi up` creates them in parallel and can lose the race.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[primary_versioning, replica_versioning]),
        )
        self.access[store.name] = StoreAccess(kind="bucket", name=store.name, bucket=name)

    def _store_group(self, store: str, what: str) -> aws.ec2.SecurityGroup:
        cfg, network = self._args.config, self._args.network
        return aws.ec2.SecurityGroup(
            f"{self._name}-{store}-sg",
            vpc_id=network.vpc.id,
            description=f"{what} {store}: only from the services that use it",
            tags={"Name": f"{cfg.name_prefix}-{store}", "connect:tier": "data", "connect:store": store},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _file_system(self, store: FileSystemConfig) -> None:
        """Encrypted EFS, a mount target per zone in the data tier, an access point, DR replication."""
        cfg, args = self._args.config, self._args
        key = f"{self._name}-{store.name}"
        child = pulumi.ResourceOptions(parent=self)
        file_system = aws.efs.FileSystem(
            key,
            encrypted=True,
            kms_key_id=args.kms_key_arn,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            tags={**BACKUP_TAG, "connect:store": store.name, "Name": f"{cfg.name_prefix}-{store.name}"},
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
                region=cfg.tenant.dr_region, kms_key_id=args.dr_kms_key_arn),
            opts=child,
        )
        self.access[store.name] = StoreAccess(kind="fileSystem", name=store.name, port=2049, security_group=group,
                                              file_system=file_system, access_point=access_point,
                                              mount_path=store.path)

    def _database(self, store: DatabaseConfig) -> None:
        """Aurora PostgreSQL Serverless v2 in the data subnets: encrypted, private, protected, IAM auth."""
        cfg, args = self._args.config, self._args
        key = f"{self._name}-{store.name}"
        child = pulumi.ResourceOptions(parent=self)
        identifier = f"{cfg.name_prefix}-{store.name}"
        group = self._store_group(store.name, "Aurora PostgreSQL")
        subnet_group = aws.rds.SubnetGroup(
            f"{key}-subnets", name=identifier, description=f"{identifier}: the data tier of every zone",
            subnet_ids=[s.id for _, s in sorted(args.network.subnets["data"].items())], opts=child)
        cluster = aws.rds.Cluster(
            key,
            cluster_identifier=identifier,
            engine=store.engine,
            engine_mode="provisioned",
            engine_version=store.engine_version,
            database_name=store.name.replace("-", "_"),
            master_username="connect_admin",
            manage_master_user_password=True,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[group.id],
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            deletion_protection=True,
            backup_retention_period=store.backup_retention_days,
            preferred_backup_window="03:00-04:00",
            copy_tags_to_snapshot=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{identifier}-final",
            enabled_cloudwatch_logs_exports=["postgresql"],
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=store.min_capacity, max_capacity=store.max_capacity),
            tags={**BACKUP_TAG, "connect:store": store.name},
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        zones = sorted(args.network.subnets["data"])
        # An instance's zone is chosen when it is created and kept: adding or removing a zone changes the spread
        # `zones[index % n]` would give, and availabilityZone forces replacement of a running database instance.
        placed = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(ignore_changes=["availabilityZone"]))
        for index in range(2 if cfg.tenant.is_production else 1):  # writer, plus a reader in production
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
                performance_insights_kms_key_id=args.kms_key_arn,
                opts=placed,
            )
        parameter = f"/connect/{cfg.name_prefix}/data/{store.name}/endpoint"
        aws.ssm.Parameter(f"{key}-endpoint", name=parameter, type="String", value=cluster.endpoint,
                          description=f"Writer endpoint of {identifier}, injected into the services that use it",
                          opts=child)
        parameter_arn = f"arn:aws:ssm:{cfg.region}:{cfg.tenant.account_id}:parameter{parameter}"
        self.access[store.name] = StoreAccess(kind="database", name=store.name, port=5432, security_group=group,
                                              endpoint_parameter=parameter, extra={"parameter_arn": parameter_arn})
