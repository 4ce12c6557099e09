"""data-store-encrypted: the stack's data stores are encrypted with a KMS key of the tenant.

Data stores are the resources tagged `connect:backup: "true"` (what AWS Backup selects):
- an `aws:s3/bucket:Bucket` needs an `aws:s3/bucketServerSideEncryptionConfiguration` (the bucket fed
  its `bucket`, or its known `bucket` names it) with a rule whose default encryption is `aws:kms` or
  `aws:kms:dsse` with `kmsMasterKeyId` set;
- an `aws:efs/fileSystem:FileSystem` needs `encrypted` true and `kmsKeyId` set;
- an `aws:rds/cluster:Cluster` needs `storageEncrypted` true and `kmsKeyId` set.
Unknown keys (the stack's own key in preview) count as set; known AWS managed keys (`alias/aws/...`) do
not. Buckets not tagged as data stores (the load balancer's access logs, which take SSE-S3) are left alone.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.util import (
    BUCKET_TYPES,
    Pending,
    attached_to,
    aws_managed_key,
    bucket_names,
    get_raw,
    is_data_store,
    is_unknown,
    of_type,
    plain,
)

SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
DB_CLUSTER = "aws:rds/cluster:Cluster"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def _key_problem(value: Any, key: str) -> str | None:
    value = plain(value)
    if value in (None, "", [], {}):
        return f"no {key}"
    if aws_managed_key(value):
        return f"{key} {value!r} is an AWS managed key"
    return None


def _sse_rule(rule: Any) -> tuple[str | None, tuple[str, ...] | None]:
    """(why one SSE rule is not KMS default encryption with a key, where a deciding unknown sits)."""
    default = rule.get("applyServerSideEncryptionByDefault") if isinstance(rule, dict) else None
    if is_unknown(default):
        return None, ("applyServerSideEncryptionByDefault",)
    if not isinstance(default, dict):
        return "no default encryption", None
    algorithm = default.get("sseAlgorithm")
    if is_unknown(algorithm):
        return None, ("applyServerSideEncryptionByDefault", "sseAlgorithm")
    if algorithm not in KMS_ALGORITHMS:
        return f"sseAlgorithm {algorithm!r}, not 'aws:kms'", None
    return _key_problem(default.get("kmsMasterKeyId"), "kmsMasterKeyId"), None


def _bucket_problem(bucket: PolicyResource, resources: list[PolicyResource], pending: Pending) -> str | None:
    """Why a data-store bucket is not KMS-encrypted (None: it is, or that depends on unknown values)."""
    configs = attached_to(resources, SSE_TYPES, "bucket", bucket, bucket_names(bucket))
    if not configs:
        return "it has no aws.s3.BucketServerSideEncryptionConfiguration"
    reasons: list[str] = []
    undecided: list[tuple[Any, tuple[Any, ...]]] = []
    for config in configs:
        rules = plain(get_raw(config.props, "rules"))
        if is_unknown(rules):
            undecided.append((config.props, ("rules",)))
            continue
        for index, rule in enumerate(rules or []):
            reason, unknown = _sse_rule(rule)
            if unknown is not None:
                undecided.append((config.props, ("rules", index, *unknown)))
            elif reason is None:
                return None
            else:
                reasons.append(reason)
    if undecided:
        for props, path in undecided:
            pending.add(props, *path)
        return None
    return f"its encryption configuration has {'; '.join(reasons) or 'no rule'}"


def _flag_problem(store: PolicyResource, flag: str, pending: Pending) -> str | None:
    problems: list[str] = []
    value = get_raw(store.props, flag)
    if is_unknown(value):
        pending.add(store.props, flag)
    elif value is not True:
        problems.append(f"{flag} is not true")
    key = _key_problem(get_raw(store.props, "kmsKeyId"), "kmsKeyId")
    if key:
        problems.append(key)
    return "; ".join(problems) or None


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Data-store buckets: KMS default encryption with a key; file systems and DB clusters: encrypted with a key."""
    pending = Pending()
    resources = list(args.resources)
    kinds = {FILE_SYSTEM: ("EFS file system", "encrypted"), DB_CLUSTER: ("DB cluster", "storageEncrypted")}
    for store in of_type(resources, *BUCKET_TYPES, FILE_SYSTEM, DB_CLUSTER):
        if not is_data_store(store):
            continue
        if store.resource_type in BUCKET_TYPES:
            what, problem = "bucket", _bucket_problem(store, resources, pending)
        else:
            what, flag = kinds[store.resource_type]
            problem = _flag_problem(store, flag, pending)
        if problem:
            report_violation(
                f"data store {what} '{store.name}': {problem}; data stores are encrypted with the tenant's KMS key",
                store.urn,
            )
    pending.settle()


RULE = Rule(
    id="data-store-encrypted",
    description="Data stores (S3 buckets, EFS file systems, Aurora clusters) are encrypted with the tenant's "
                "KMS key.",
    kind="stack",
    level="mandatory",
    severity="medium",
    owner="operator",
    anchors=("CKV_AWS_145", "CKV_AWS_184", "CKV_AWS_327", "FSBP EFS.1", "FSBP RDS.27"),
    iso27001=("A.8.24",),
    ccm=("CEK-03", "DSP-17"),
    remediation=(
        "Bucket: aws.s3.BucketServerSideEncryptionConfiguration(bucket=bucket.id, rules=[{"
        "'apply_server_side_encryption_by_default': {'sse_algorithm': 'aws:kms', 'kms_master_key_id': key.arn}}]); "
        "EFS: encrypted=True, kms_key_id=key.arn; Aurora: storage_encrypted=True, kms_key_id=key.arn."
    ),
    unwaivable=False,
    check=check,
)
