"""Data stores and their protection: S3 buckets and their configurations, RDS, AWS Backup and EFS.

Buckets are the stack's when named with its prefix (`<client>-<environment>-`, as the program names every bucket)
or tagged for it; only the client's buckets (`<client>-...`) are asked for their tags. Each configuration a bucket
has is one resource, as the program declares it (`BucketPublicAccessBlock`, `BucketPolicy`...): a bucket without
one, because the configuration was deleted, is a bucket without that resource, which is what the rules look for.
Databases, vaults, plans and file systems are the stack's when tagged for it.

Inputs no AWS API holds are left out: `skipFinalSnapshot` (taken as the program declares it: the rules flag only a
`true`), a vault lock's `changeableForDays`.
"""

from __future__ import annotations

from typing import Any

from connectctl.audit.readers import Reader, Scope, camel, compact, optional, tag_map
from connectctl.audit.view import LiveResource

BUCKET = "aws:s3/bucket:Bucket"
ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING, LOGGING = "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketLogging:BucketLogging"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
WEBSITE = "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration"
DB_CLUSTER, DB_INSTANCE = "aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"
DB_STANDALONE = "aws:rds/instance:Instance"
PARAMETER_GROUP, SUBNET_GROUP = ("aws:rds/clusterParameterGroup:ClusterParameterGroup",
                                 "aws:rds/subnetGroup:SubnetGroup")
VAULT, LOCK = "aws:backup/vault:Vault", "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
VAULT_POLICY, PLAN = "aws:backup/vaultPolicy:VaultPolicy", "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
FILE_SYSTEM, MOUNT_TARGET = "aws:efs/fileSystem:FileSystem", "aws:efs/mountTarget:MountTarget"
EFS_REPLICATION = "aws:efs/replicationConfiguration:ReplicationConfiguration"
EFS_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"


def _bucket_region(s3: Any, name: str) -> str:
    """Where a bucket lives (GetBucketLocation answers null for us-east-1 and `EU` for eu-west-1:
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html)."""
    location = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    found = camel(rule)
    found.pop("iD", None)
    found["id"] = rule.get("ID")
    return compact(found)


def _replication_rule(rule: dict[str, Any]) -> dict[str, Any]:
    found = camel(rule)
    found.pop("iD", None)
    found["id"] = rule.get("ID")
    encryption = (found.get("destination") or {}).get("encryptionConfiguration") or {}
    if "replicaKmsKeyID" in encryption:
        encryption["replicaKmsKeyId"] = encryption.pop("replicaKmsKeyID")
    return compact(found)


def read_buckets(scope: Scope, region: str) -> None:
    """The stack's buckets and every configuration each has (S3's own default encryption included)."""
    s3 = scope.client("s3", region)
    for listed in scope.pages(s3, "list_buckets", "Buckets"):
        name = str(listed["Name"])
        if not name.startswith(f"{scope.client_name}-"):
            continue  # not the client's: no tag is asked of it
        tags = tag_map((optional(s3.get_bucket_tagging, "NoSuchTagSet", Bucket=name) or {}).get("TagSet"))
        if not (scope.prefixed(name) or scope.ours(tags)):
            continue
        home = _bucket_region(s3, name)
        client = scope.client("s3", home)
        arn = f"arn:{scope.partition}:s3:::{name}"
        scope.add(LiveResource(BUCKET, name, home, {"bucket": name, "tags": tags}, name, arn, names=(name,)))
        _bucket_configurations(scope, client, home, name)


def _bucket_configurations(scope: Scope, s3: Any, region: str, name: str) -> None:
    def add(type_: str, inputs: dict[str, Any]) -> None:
        scope.add(LiveResource(type_, name, region, {"bucket": name, **inputs}, name))

    block = optional(s3.get_public_access_block, "NoSuchPublicAccessBlockConfiguration", Bucket=name)
    if block is not None:
        add(ACCESS_BLOCK, camel(block["PublicAccessBlockConfiguration"]))
    policy = optional(s3.get_bucket_policy, "NoSuchBucketPolicy", Bucket=name)
    if policy is not None:
        add(BUCKET_POLICY, {"policy": policy["Policy"]})
    encryption = optional(s3.get_bucket_encryption, "ServerSideEncryptionConfigurationNotFoundError", Bucket=name)
    if encryption is not None:
        rules = [camel(r) for r in encryption["ServerSideEncryptionConfiguration"].get("Rules", [])]
        for rule in rules:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            if "kMSMasterKeyID" in default:
                default["kmsMasterKeyId"] = default.pop("kMSMasterKeyID")
            if "sSEAlgorithm" in default:
                default["sseAlgorithm"] = default.pop("sSEAlgorithm")
        add(ENCRYPTION, {"rules": rules})
    versioning = s3.get_bucket_versioning(Bucket=name)
    if versioning.get("Status"):
        add(VERSIONING, {"versioningConfiguration": compact({"status": versioning["Status"],
                                                             "mfaDelete": versioning.get("MFADelete")})})
    logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
    if logging:
        add(LOGGING, compact({"targetBucket": logging.get("TargetBucket"), "targetPrefix": logging.get("TargetPrefix"),
                              "targetObjectKeyFormat": camel(logging.get("TargetObjectKeyFormat"))}))
    replication = optional(s3.get_bucket_replication, "ReplicationConfigurationNotFoundError", Bucket=name)
    if replication is not None:
        configuration = replication["ReplicationConfiguration"]
        add(REPLICATION, compact({"role": configuration.get("Role"),
                                  "rules": [_replication_rule(r) for r in configuration.get("Rules", [])]}))
    lifecycle = optional(s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration", Bucket=name)
    if lifecycle is not None:
        add(LIFECYCLE, {"rules": [_lifecycle_rule(r) for r in lifecycle.get("Rules", [])]})
    ownership = optional(s3.get_bucket_ownership_controls, "OwnershipControlsNotFoundError", Bucket=name)
    if ownership is not None:
        rules = ownership["OwnershipControls"].get("Rules", [])
        if rules:
            add(OWNERSHIP, {"rule": {"objectOwnership": rules[0].get("ObjectOwnership")}})
    website = optional(s3.get_bucket_website, "NoSuchWebsiteConfiguration", Bucket=name)
    if website is not None:
        website.pop("ResponseMetadata", None)
        add(WEBSITE, camel(website))


def read_databases(scope: Scope, region: str) -> None:
    """RDS clusters and instances tagged for the stack (and the instances of its clusters), with the cluster
    parameter groups and subnet groups they use."""
    rds = scope.client("rds", region)
    clusters = [c for c in scope.pages(rds, "describe_db_clusters", "DBClusters")
                if scope.ours(tag_map(c.get("TagList")))]
    ours = {c["DBClusterIdentifier"] for c in clusters}
    groups: dict[str, None] = {}
    subnet_groups: dict[str, None] = {}
    for cluster in clusters:
        identifier = cluster["DBClusterIdentifier"]
        groups[cluster.get("DBClusterParameterGroup", "")] = None
        subnet_groups[cluster.get("DBSubnetGroup", "")] = None
        scope.add(LiveResource(DB_CLUSTER, identifier, region, compact({
            "clusterIdentifier": identifier, "engine": cluster.get("Engine"),
            "engineVersion": cluster.get("EngineVersion"), "engineMode": cluster.get("EngineMode"),
            "storageEncrypted": cluster.get("StorageEncrypted"), "kmsKeyId": cluster.get("KmsKeyId"),
            "deletionProtection": cluster.get("DeletionProtection"),
            "dbClusterParameterGroupName": cluster.get("DBClusterParameterGroup"),
            "dbSubnetGroupName": cluster.get("DBSubnetGroup"),
            "vpcSecurityGroupIds": [g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups", [])] or None,
            "enabledCloudwatchLogsExports": cluster.get("EnabledCloudwatchLogsExports") or None,
            "iamDatabaseAuthenticationEnabled": cluster.get("IAMDatabaseAuthenticationEnabled"),
            "backupRetentionPeriod": cluster.get("BackupRetentionPeriod"),
            "copyTagsToSnapshot": cluster.get("CopyTagsToSnapshot"), "databaseName": cluster.get("DatabaseName"),
            "masterUsername": cluster.get("MasterUsername"),
            "replicationSourceIdentifier": cluster.get("ReplicationSourceIdentifier"),
            "monitoringInterval": cluster.get("MonitoringInterval"),
            "monitoringRoleArn": cluster.get("MonitoringRoleArn"), "tags": tag_map(cluster.get("TagList"))}),
            identifier, cluster.get("DBClusterArn"), names=(identifier,)))
    for instance in scope.pages(rds, "describe_db_instances", "DBInstances"):
        tags = tag_map(instance.get("TagList"))
        member = instance.get("DBClusterIdentifier")
        if not (scope.ours(tags) or member in ours):
            continue
        identifier = instance["DBInstanceIdentifier"]
        subnet_group = (instance.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
        common = {
            "identifier": identifier, "engine": instance.get("Engine"), "engineVersion": instance.get("EngineVersion"),
            "instanceClass": instance.get("DBInstanceClass"), "publiclyAccessible": instance.get("PubliclyAccessible"),
            "monitoringInterval": instance.get("MonitoringInterval"),
            "monitoringRoleArn": instance.get("MonitoringRoleArn"),
            "performanceInsightsEnabled": instance.get("PerformanceInsightsEnabled"),
            "performanceInsightsKmsKeyId": instance.get("PerformanceInsightsKMSKeyId"),
            "availabilityZone": instance.get("AvailabilityZone"), "tags": tags}
        if member:
            scope.add(LiveResource(DB_INSTANCE, identifier, region, compact({**common, "clusterIdentifier": member}),
                                   identifier, instance.get("DBInstanceArn"), names=(identifier,)))
            continue
        subnet_groups[subnet_group or ""] = None
        scope.add(LiveResource(DB_STANDALONE, identifier, region, compact({
            **common, "storageEncrypted": instance.get("StorageEncrypted"), "kmsKeyId": instance.get("KmsKeyId"),
            "deletionProtection": instance.get("DeletionProtection"), "dbSubnetGroupName": subnet_group,
            "vpcSecurityGroupIds": [g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups", [])] or None,
            "replicateSourceDb": instance.get("ReadReplicaSourceDBInstanceIdentifier")}),
            identifier, instance.get("DBInstanceArn"), names=(identifier,)))
    for name in (g for g in groups if g):
        described = rds.describe_db_cluster_parameter_groups(DBClusterParameterGroupName=name)
        group = described["DBClusterParameterGroups"][0]
        parameters = [compact({"name": p["ParameterName"], "value": p.get("ParameterValue"),
                               "applyMethod": str(p.get("ApplyMethod", "")).lower() or None})
                      for p in scope.pages(rds, "describe_db_cluster_parameters", "Parameters",
                                           DBClusterParameterGroupName=name, Source="user")]
        arn = group.get("DBClusterParameterGroupArn")
        tags = tag_map(rds.list_tags_for_resource(ResourceName=arn).get("TagList")) if arn else {}
        scope.add(LiveResource(PARAMETER_GROUP, name, region, compact({
            "name": name, "family": group.get("DBParameterGroupFamily"), "description": group.get("Description"),
            "parameters": parameters, "tags": tags}), name, arn, names=(name,)))
    for name in (g for g in subnet_groups if g):
        group = rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
        arn = group.get("DBSubnetGroupArn")
        tags = tag_map(rds.list_tags_for_resource(ResourceName=arn).get("TagList")) if arn else {}
        scope.add(LiveResource(SUBNET_GROUP, name, region, compact({
            "name": name, "description": group.get("DBSubnetGroupDescription"),
            "subnetIds": [s["SubnetIdentifier"] for s in group.get("Subnets", [])], "tags": tags}),
            name, arn, names=(name,)))


def _plan_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A backup plan rule with Pulumi's names (`targetVaultName`, `schedule`, `startWindow`, `deleteAfter`...)."""
    def lifecycle(value: dict[str, Any] | None) -> dict[str, Any] | None:
        if not value:
            return None
        return compact({"deleteAfter": value.get("DeleteAfterDays"),
                        "coldStorageAfter": value.get("MoveToColdStorageAfterDays"),
                        "optInToArchiveForSupportedResources": value.get("OptInToArchiveForSupportedResources")})

    return compact({
        "ruleName": rule.get("RuleName"), "targetVaultName": rule.get("TargetBackupVaultName"),
        "schedule": rule.get("ScheduleExpression"),
        "scheduleExpressionTimezone": rule.get("ScheduleExpressionTimezone"),
        "startWindow": rule.get("StartWindowMinutes"), "completionWindow": rule.get("CompletionWindowMinutes"),
        "lifecycle": lifecycle(rule.get("Lifecycle")),
        "copyActions": [compact({"destinationVaultArn": c.get("DestinationBackupVaultArn"),
                                 "lifecycle": lifecycle(c.get("Lifecycle"))}) for c in rule.get("CopyActions", [])]
        or None,
        "enableContinuousBackup": rule.get("EnableContinuousBackup"),
        "recoveryPointTags": rule.get("RecoveryPointTags")})


# A selection's conditions, AWS's names -> Pulumi's (`aws.backup.Selection` `conditions`).
CONDITIONS = {"StringEquals": "stringEquals", "StringLike": "stringLikes", "StringNotEquals": "stringNotEquals",
              "StringNotLike": "stringNotLikes"}


def _selection(plan_id: str, selection: dict[str, Any]) -> dict[str, Any]:
    conditions = selection.get("Conditions") or {}
    return compact({
        "name": selection.get("SelectionName"), "planId": plan_id, "iamRoleArn": selection.get("IamRoleArn"),
        "resources": selection.get("Resources") or None, "notResources": selection.get("NotResources") or None,
        "selectionTags": [{"type": t.get("ConditionType"), "key": t.get("ConditionKey"),
                           "value": t.get("ConditionValue")} for t in selection.get("ListOfTags", [])] or None,
        "conditions": [{CONDITIONS.get(key, key): [{"key": c.get("ConditionKey"), "value": c.get("ConditionValue")}
                                                   for c in values]
                        for key, values in conditions.items() if values}] if any(conditions.values()) else None})


def read_backup(scope: Scope, region: str) -> None:
    """Backup vaults (with their lock and access policy) and plans (with their selections) of the stack."""
    backup = scope.client("backup", region)
    for vault in scope.pages(backup, "list_backup_vaults", "BackupVaultList"):
        name, arn = vault["BackupVaultName"], vault["BackupVaultArn"]
        if not name.startswith(f"{scope.client_name}-"):
            continue
        tags = tag_map(backup.list_tags(ResourceArn=arn).get("Tags"))
        if not (scope.prefixed(name) or scope.ours(tags)):
            continue
        scope.add(LiveResource(VAULT, name, region, compact({
            "name": name, "kmsKeyArn": vault.get("EncryptionKeyArn"), "tags": tags}), name, arn, names=(name,)))
        if vault.get("Locked"):  # ListBackupVaults answers the lock (`BackupVaultListMember`: Locked, Min/Max...)
            scope.add(LiveResource(LOCK, name, region, compact({
                "backupVaultName": name, "minRetentionDays": vault.get("MinRetentionDays"),
                "maxRetentionDays": vault.get("MaxRetentionDays")}), name))
        policy = optional(backup.get_backup_vault_access_policy, "ResourceNotFoundException", BackupVaultName=name)
        if policy is not None and policy.get("Policy"):
            scope.add(LiveResource(VAULT_POLICY, name, region, {"backupVaultName": name, "policy": policy["Policy"]},
                                   name))
    for listed in scope.pages(backup, "list_backup_plans", "BackupPlansList"):
        plan_id, arn, name = listed["BackupPlanId"], listed["BackupPlanArn"], listed["BackupPlanName"]
        if not name.startswith(f"{scope.client_name}-"):
            continue
        tags = tag_map(backup.list_tags(ResourceArn=arn).get("Tags"))
        if not (scope.prefixed(name) or scope.ours(tags)):
            continue
        plan = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]
        scope.add(LiveResource(PLAN, name, region, compact({
            "name": name, "rules": [_plan_rule(r) for r in plan.get("Rules", [])],
            "advancedBackupSettings": camel(plan.get("AdvancedBackupSettings")) or None, "tags": tags}),
            plan_id, arn))
        for listed_selection in scope.pages(backup, "list_backup_selections", "BackupSelectionsList",
                                            BackupPlanId=plan_id):
            selection_id = listed_selection["SelectionId"]
            selection = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
            scope.add(LiveResource(SELECTION, listed_selection.get("SelectionName", selection_id), region,
                                   _selection(plan_id, selection["BackupSelection"]), selection_id))


def read_file_systems(scope: Scope, region: str) -> None:
    """EFS file systems tagged for the stack, with their mount targets, replication and file system policy."""
    efs = scope.client("efs", region)
    for system in scope.pages(efs, "describe_file_systems", "FileSystems"):
        tags = tag_map(system.get("Tags"))
        if not scope.ours(tags):
            continue
        system_id = system["FileSystemId"]
        scope.add(LiveResource(FILE_SYSTEM, system_id, region, compact({
            "creationToken": system.get("CreationToken"), "encrypted": system.get("Encrypted"),
            "kmsKeyId": system.get("KmsKeyId"), "performanceMode": system.get("PerformanceMode"),
            "throughputMode": system.get("ThroughputMode"), "tags": tags}), system_id, system.get("FileSystemArn")))
        for target in scope.pages(efs, "describe_mount_targets", "MountTargets", FileSystemId=system_id):
            target_id = target["MountTargetId"]
            groups = efs.describe_mount_target_security_groups(MountTargetId=target_id)["SecurityGroups"]
            scope.add(LiveResource(MOUNT_TARGET, target_id, region, {
                "fileSystemId": system_id, "subnetId": target.get("SubnetId"), "securityGroups": groups}, target_id))
        replications = optional(lambda **kwargs: list(scope.pages(efs, "describe_replication_configurations",
                                                                  "Replications", **kwargs)),
                                "ReplicationNotFound", FileSystemId=system_id)
        for replication in replications or []:
            destination = (replication.get("Destinations") or [{}])[0]
            scope.add(LiveResource(EFS_REPLICATION, system_id, region, {
                "sourceFileSystemId": system_id, "destination": compact({
                    "region": destination.get("Region"), "fileSystemId": destination.get("FileSystemId")})},
                system_id))
        policy = optional(efs.describe_file_system_policy, "PolicyNotFound", FileSystemId=system_id)
        if policy is not None and policy.get("Policy"):
            scope.add(LiveResource(EFS_POLICY, system_id, region, {"fileSystemId": system_id,
                                                                    "policy": policy["Policy"]}, system_id))


def bucket_calls() -> tuple[str, ...]:
    """The S3 operations `read_buckets` makes, in the order it makes them."""
    return ("ListBuckets", "GetBucketTagging", "GetBucketLocation", "GetPublicAccessBlock", "GetBucketPolicy",
            "GetBucketEncryption", "GetBucketVersioning", "GetBucketLogging", "GetBucketReplication",
            "GetBucketLifecycleConfiguration", "GetBucketOwnershipControls", "GetBucketWebsite")


READERS = (
    # S3 names its IAM actions apart from its operations: the Service Authorization Reference, "Actions defined by
    # Amazon S3" (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
    Reader("buckets", "s3", bucket_calls(), (BUCKET, ACCESS_BLOCK, BUCKET_POLICY, ENCRYPTION, VERSIONING, LOGGING,
                                            REPLICATION, LIFECYCLE, OWNERSHIP, WEBSITE), read_buckets, "global",
           extra={"ListBuckets": "s3:ListAllMyBuckets", "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
                  "GetBucketEncryption": "s3:GetEncryptionConfiguration",
                  "GetBucketReplication": "s3:GetReplicationConfiguration",
                  "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration"}),
    Reader("databases", "rds", ("DescribeDBClusters", "DescribeDBInstances", "DescribeDBClusterParameterGroups",
                                "DescribeDBClusterParameters", "DescribeDBSubnetGroups", "ListTagsForResource"),
           (DB_CLUSTER, DB_INSTANCE, DB_STANDALONE, PARAMETER_GROUP, SUBNET_GROUP), read_databases),
    Reader("backup", "backup", ("ListBackupVaults", "ListTags", "GetBackupVaultAccessPolicy", "ListBackupPlans",
                                "GetBackupPlan", "ListBackupSelections", "GetBackupSelection"),
           (VAULT, LOCK, VAULT_POLICY, PLAN, SELECTION), read_backup),
    Reader("file systems", "efs", ("DescribeFileSystems", "DescribeMountTargets", "DescribeMountTargetSecurityGroups",
                                   "DescribeReplicationConfigurations", "DescribeFileSystemPolicy"),
           (FILE_SYSTEM, MOUNT_TARGET, EFS_REPLICATION, EFS_POLICY), read_file_systems),
)
