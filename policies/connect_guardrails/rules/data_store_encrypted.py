"""data-store-encrypted: every data store of the stack is encrypted at rest with a KMS key of the tenant.

Data stores are judged by what they are (`data_util.KINDS`), never by a tag: S3 buckets that hold data
(every bucket but the log destinations `data_util` recognises; DR replicas included), EFS and FSx file
systems, RDS clusters and instances, DocumentDB and Neptune clusters, DynamoDB tables, EBS volumes, Redshift
clusters and Serverless namespaces, ElastiCache replication groups, serverless caches and clusters, MemoryDB
clusters, OpenSearch/Elasticsearch domains, Kinesis streams, MSK clusters, SQS queues and SNS topics (their
messages wait at rest).

- A bucket needs an `aws:s3/bucketServerSideEncryptionConfiguration` (the bucket fed its `bucket`, or its
  known `bucket` names it), or else the bucket's inline `serverSideEncryptionConfiguration`, with a rule
  whose default encryption is `aws:kms` or `aws:kms:dsse` with `kmsMasterKeyId` set.
- Every other store needs its at-rest switch (`Kind.flag`: `storageEncrypted`, `encrypted`,
  `serverSideEncryption.enabled`, `atRestEncryptionEnabled`, `encryptAtRest.enabled`, `encryptionType: KMS`)
  and its key property (`kmsKeyId`, `kmsKeyArn`, `kmsMasterKeyId`...) set; services that always encrypt need
  the key only (their default is an AWS owned or managed key, not the tenant's). A standalone ElastiCache
  cluster (not in a replication group) cannot be encrypted at rest at all.
Unknown keys (the stack's own key in preview) count as set; known AWS managed keys (`alias/aws/...`) do not.
Log buckets take SSE-S3, the only encryption their delivery services support
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html): left alone.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs

from connect_guardrails.data_util import BUCKET_KIND, Inventory, Store
from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_unknown, plain
from connect_guardrails.util import Index, aws_managed_key, path_value

SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
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


def _rules_problem(sources: list[tuple[Any, tuple[Any, ...], Any]], pending: Pending) -> str | None:
    """Why none of the SSE rules (props, path to the rules, rules) is KMS encryption with a key."""
    reasons: list[str] = []
    undecided: list[tuple[Any, tuple[Any, ...]]] = []
    for props, path, rules in sources:
        if is_unknown(rules):
            undecided.append((props, path))
            continue
        for index, rule in enumerate(rules if isinstance(rules, list) else [rules] if rules else []):
            reason, unknown = _sse_rule(rule)
            if unknown is not None:
                undecided.append((props, (*path, index, *unknown) if isinstance(rules, list) else (*path, *unknown)))
            elif reason is None:
                return None
            else:
                reasons.append(reason)
    if undecided:
        pending.add_all(undecided)
        return None
    return f"its encryption configuration has {'; '.join(reasons) or 'no rule'}"


def _bucket_problem(store: Store, inventory: Inventory, pending: Pending) -> str | None:
    """Why a data bucket is not KMS-encrypted (None: it is, or that depends on unknown values)."""
    bucket = store.resource
    configs = inventory.configs(bucket, SSE_TYPES)
    if configs:
        return _rules_problem([(c.props, ("rules",), plain(get_raw(c.props, "rules"))) for c in configs], pending)
    inline = plain(pending.read(bucket.props, "serverSideEncryptionConfiguration"))
    if is_unknown(inline):
        return None
    if isinstance(inline, dict) and ("rule" in inline or "rules" in inline):
        key = "rule" if "rule" in inline else "rules"
        return _rules_problem([(bucket.props, ("serverSideEncryptionConfiguration", key), inline[key])], pending)
    return "it has no aws.s3.BucketServerSideEncryptionConfiguration"


def _store_problem(store: Store, pending: Pending) -> str | None:
    """Why a store other than a bucket is not encrypted with a key of the tenant."""
    kind, props = store.kind, store.resource.props
    whole = plain(props)
    problems: list[str] = []
    if kind.flag is not None:
        value = path_value(whole, kind.flag)
        name = ".".join(kind.flag)
        if is_unknown(value):
            pending.add(props, *kind.flag)
        elif value != kind.flag_value:
            wanted = "true" if kind.flag_value is True else repr(kind.flag_value)
            problems.append(f"{name} is not {wanted}" if value in (None, False) or kind.flag_value is True
                            else f"{name} is {value!r}, not {wanted}")
    if kind.key is None:
        if not problems:
            return None
        return (f"{problems[0]}: it cannot be encrypted at rest outside a replication group; use an "
                f"aws.elasticache.ReplicationGroup (at_rest_encryption_enabled, kms_key_id) or a ServerlessCache")
    key = _key_problem(path_value(whole, kind.key), ".".join(kind.key))
    if key:
        problems.append(key)
    return "; ".join(problems) or None


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every data store (buckets that hold data, file systems, databases, tables, volumes, caches, streams, queues,
    topics) is encrypted at rest with a KMS key that is not AWS managed."""
    pending = Pending()
    inventory = Inventory.of(Index.of(args.resources))
    for store in inventory.stores():
        if store.kind is BUCKET_KIND:
            problem = _bucket_problem(store, inventory, pending)
        else:
            problem = _store_problem(store, pending)
        if problem:
            report_violation(
                f"data store {store.label}: {problem}; data stores are encrypted with the tenant's KMS key",
                store.resource.urn,
            )
    pending.settle()


RULE = Rule(
    id="data-store-encrypted", severity="medium", check=check,
    description="Every data store (buckets holding data, file systems, databases, tables, volumes, caches, search "
                "domains, streams, queues, topics) is encrypted at rest with the tenant's KMS key.",
    anchors=("CKV_AWS_145", "CKV_AWS_184", "CKV_AWS_327", "CKV_AWS_16", "CKV_AWS_3", "CKV_AWS_119", "CKV_AWS_27",
             "CKV_AWS_26", "FSBP EFS.1", "FSBP RDS.3", "FSBP RDS.27", "FSBP EC2.3", "FSBP DocumentDB.1",
             "FSBP Neptune.1", "FSBP SQS.1", "FSBP SNS.1", "FSBP Kinesis.1", "FSBP Opensearch.1",
             "FSBP ElastiCache.4", "FSBP Redshift.10"),
    iso27001=("A.8.24",), ccm=("CEK-03", "DSP-17"),
    remediation=(
        "Bucket: aws.s3.BucketServerSideEncryptionConfiguration(bucket=bucket.id, rules=[{"
        "'apply_server_side_encryption_by_default': {'sse_algorithm': 'aws:kms', 'kms_master_key_id': key.arn}}]); "
        "EFS: encrypted=True, kms_key_id=key.arn; RDS cluster or instance: storage_encrypted=True, "
        "kms_key_id=key.arn; DynamoDB: server_side_encryption={'enabled': True, 'kms_key_arn': key.arn}; EBS: "
        "encrypted=True, kms_key_id=key.arn; ElastiCache: a replication group with at_rest_encryption_enabled=True, "
        "kms_key_id=key.arn; SQS/SNS: kms_master_key_id=key.arn; others: their at-rest switch and key property."
    ),
)
