"""Small data-store and backup building blocks for the data rules' tests: compliant by default, one knob each.

Shaped like the program the platform builds: a primary provider (us-east-1) and a DR provider
(us-west-2) pinned to the same account; per data bucket versioning, KMS default encryption, a public
access block, a TLS-only policy and replication to a hardened DR bucket; EFS with KMS and replication;
Aurora with KMS; a vault per region, a plan whose rules copy to the DR vault and a tag selection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from tests.policies.harness import ACCOUNT, TAGS, pinned, provider

DR_REGION = "us-west-2"
DATA_TAGS = {**TAGS, "connect:backup": "true"}
SELECTION_TAGS: Any = [{"type": "STRINGEQUALS", "key": "connect:backup", "value": "true"}]
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/connect-backup"


def providers() -> tuple[aws.Provider, aws.Provider]:
    """The primary (us-east-1) and DR (us-west-2) providers, pinned to the tenant account."""
    return provider(), aws.Provider("dr", region=DR_REGION, allowed_account_ids=[ACCOUNT])


def key(p: aws.Provider, name: str = "key") -> aws.kms.Key:
    """The environment's KMS key in the provider's region."""
    return aws.kms.Key(name, enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))


def tls_only_policy(bucket: aws.s3.Bucket, *, condition: dict[str, Any] | None = None) -> pulumi.Output[str]:
    """Deny s3:* to everyone on the bucket and its objects unless the request uses TLS."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
        "Condition": condition if condition is not None else {"Bool": {"aws:SecureTransport": "false"}},
    }]})


def bucket(p: aws.Provider, name: str, kms: aws.kms.Key | None, *, data: bool = True, named: bool = True,
           sse: str | None = "aws:kms", public_block: bool | None = True, policy: Any = "tls") -> aws.s3.Bucket:
    """A hardened bucket: versioning, default encryption (`sse`, None: none), public access block, TLS-only.

    `policy`: "tls" for the TLS-only statement, None for no bucket policy, or any policy value.
    """
    b = aws.s3.Bucket(name, bucket=f"connect-{name}" if named else None, tags=DATA_TAGS if data else TAGS,
                      opts=pinned(p, protect=True))
    aws.s3.BucketVersioning(f"{name}-versioning", bucket=b.id, versioning_configuration={"status": "Enabled"},
                            opts=pinned(p))
    if sse is not None:
        default: dict[str, Any] = {"sse_algorithm": sse}
        if sse.startswith("aws:kms") and kms is not None:
            default["kms_master_key_id"] = kms.arn
        sse_rules: Any = [{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": True}]
        aws.s3.BucketServerSideEncryptionConfiguration(f"{name}-sse", bucket=b.id, rules=sse_rules, opts=pinned(p))
    if public_block is not None:
        aws.s3.BucketPublicAccessBlock(f"{name}-public-access", bucket=b.id, block_public_acls=True,
                                       block_public_policy=True, ignore_public_acls=True,
                                       restrict_public_buckets=public_block, opts=pinned(p))
    if policy is not None:
        document = tls_only_policy(b) if policy == "tls" else policy
        aws.s3.BucketPolicy(f"{name}-policy", bucket=b.id, policy=document, opts=pinned(p))
    return b


def replicated_bucket(p: aws.Provider, dr: aws.Provider, name: str = "documents", *, status: str = "Enabled",
                      to_primary: bool = False, replication: bool = True, named: bool = True) -> aws.s3.Bucket:
    """A data bucket replicated to a hardened DR bucket (under `dr`, or under `p` when `to_primary`)."""
    source = bucket(p, name, key(p, f"{name}-key"), named=named)
    if not replication:
        return source
    target_provider = p if to_primary else dr
    target = bucket(target_provider, f"{name}-dr", key(target_provider, f"{name}-dr-key"), data=False, named=named)
    aws.s3.BucketReplicationConfig(
        f"{name}-replication", bucket=source.id, role=ROLE_ARN,
        rules=[{"id": "dr", "status": status, "destination": {"bucket": target.arn}}],
        opts=pinned(p))
    return source


def file_system(p: aws.Provider, kms: aws.kms.Key | None, name: str = "shared", *, encrypted: bool = True,
                replicate_to: str | None = DR_REGION) -> aws.efs.FileSystem:
    """An encrypted data-store file system, replicated to `replicate_to` (None: not replicated)."""
    fs = aws.efs.FileSystem(name, encrypted=encrypted, kms_key_id=kms.arn if kms is not None else None,
                            tags=DATA_TAGS, opts=pinned(p, protect=True))
    if replicate_to is not None:
        aws.efs.ReplicationConfiguration(f"{name}-replication", source_file_system_id=fs.id,
                                         destination={"region": replicate_to}, opts=pinned(p))
    return fs


def db_cluster(p: aws.Provider, kms: aws.kms.Key | None, name: str = "orders", *, encrypted: bool = True,
               public: bool = False) -> aws.rds.Cluster:
    """An Aurora PostgreSQL data-store cluster with one instance (`<name>-1`)."""
    cluster = aws.rds.Cluster(
        name, engine="aurora-postgresql", engine_version="16.6", storage_encrypted=encrypted,
        kms_key_id=kms.arn if kms is not None else None, deletion_protection=True, master_username="connect",
        manage_master_user_password=True, serverlessv2_scaling_configuration={"min_capacity": 0.5,
                                                                               "max_capacity": 4},
        tags=DATA_TAGS, opts=pinned(p, protect=True))
    aws.rds.ClusterInstance(f"{name}-1", cluster_identifier=cluster.id, engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                            instance_class="db.serverless", publicly_accessible=public, tags=TAGS, opts=pinned(p))
    return cluster


def vault(p: aws.Provider, name: str, kms: aws.kms.Key | None, *, lock: bool = True,
          lock_days: int | None = 35) -> aws.backup.Vault:
    """A backup vault with the region's key, locked (governance mode) unless `lock` is False."""
    v = aws.backup.Vault(name, kms_key_arn=kms.arn if kms is not None else None, tags=TAGS,
                         opts=pinned(p, protect=True))
    if lock:
        aws.backup.VaultLockConfiguration(f"{name}-lock", backup_vault_name=v.name, min_retention_days=lock_days,
                                          opts=pinned(p))
    return v


def backup_rule(target: aws.backup.Vault, copy_to: pulumi.Input[str] | None, *, name: str = "daily",
                schedule: str | None = "cron(0 5 * * ? *)", delete_after: int | None = 35,
                continuous: bool | None = None) -> dict[str, Any]:
    """One plan rule into `target`, copied to `copy_to` (a vault ARN; None: no copy action)."""
    rule: dict[str, Any] = {"rule_name": name, "target_vault_name": target.name}
    if schedule is not None:
        rule["schedule"] = schedule
    if delete_after is not None:
        rule["lifecycle"] = {"delete_after": delete_after}
    if continuous is not None:
        rule["enable_continuous_backup"] = continuous
    if copy_to is not None:
        rule["copy_actions"] = [{"destination_vault_arn": copy_to, "lifecycle": {"delete_after": 35}}]
    return rule


Rules = Callable[[aws.backup.Vault, aws.backup.Vault], list[dict[str, Any]]]


def vaults(p: aws.Provider, dr: aws.Provider, *, lock: bool = True, dr_vault_provider: aws.Provider | None = None
           ) -> tuple[aws.backup.Vault, aws.backup.Vault]:
    """The primary vault and the DR vault (under `dr`, or `dr_vault_provider`), each with its region's key."""
    dr_provider = dr_vault_provider or dr
    return (vault(p, "backups", key(p), lock=lock),
            vault(dr_provider, "backups-dr", key(dr_provider, "dr-key"), lock=lock))


def plan(p: aws.Provider, name: str, rules: list[dict[str, Any]], *, selection: bool = True) -> aws.backup.Plan:
    """A backup plan, selected (tag selection of the data stores) unless `selection` is False."""
    plan_rules: Any = rules  # plain dicts in the SDK's snake_case input shape
    created = aws.backup.Plan(name, rules=plan_rules, tags=TAGS, opts=pinned(p))
    if selection:
        aws.backup.Selection(f"{name}-selection", plan_id=created.id, name=name, iam_role_arn=ROLE_ARN,
                             selection_tags=SELECTION_TAGS, resources=["*"], opts=pinned(p))
    return created


def backup(p: aws.Provider, dr: aws.Provider, *, rules: Rules | None = None, selection: bool = True,
           dr_vault_provider: aws.Provider | None = None, lock: bool = True) -> aws.backup.Plan:
    """Vaults in both regions, a plan 'daily' and a tag selection.

    `rules(primary_vault, dr_vault)` gives the plan's rules; default: one daily rule copied to the DR vault.
    """
    primary, dr_vault = vaults(p, dr, lock=lock, dr_vault_provider=dr_vault_provider)
    plan_rules = rules(primary, dr_vault) if rules is not None else [backup_rule(primary, dr_vault.arn)]
    return plan(p, "daily", plan_rules, selection=selection)


def literal_policy(statement: dict[str, Any], bucket_name: str = "connect-logs") -> str:
    """A known bucket policy (a literal bucket name: known in preview too)."""
    base = {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket_name}", f"arn:aws:s3:::{bucket_name}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    base.update(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": [base]})

