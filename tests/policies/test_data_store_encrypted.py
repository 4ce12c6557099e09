"""data-store-encrypted: every data store, judged by what it is, is encrypted with a KMS key of the tenant.

Each program holds several independent stores, one case each, so the pack runs once per mode.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.data_programs import bucket, db_cluster, file_system, key, providers
from tests.policies.harness import TAGS, assert_one_mandatory, case_tests, evaluate, findings, notes, pinned

POLICY = "data-store-encrypted"


def _log_target(p: aws.Provider, source: aws.s3.Bucket, name: str = "access-logs") -> aws.s3.Bucket:
    """An SSE-S3 bucket that receives `source`'s server access logs: a log destination, not a data store."""
    logs = bucket(p, name, None, data=False, sse="AES256", policy=None, public_block=None)
    aws.s3.BucketLogging(f"{name}-of-source", bucket=source.id, target_bucket=logs.id, target_prefix="s3/",
                         opts=pinned(p))
    return logs


def _elb_log_bucket(p: aws.Provider) -> aws.s3.Bucket:
    """An SSE-S3 bucket whose policy admits ELB log delivery: a log destination even before a load balancer uses it."""
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": "arn:aws:s3:::connect-alb-logs/*"}]})
    return bucket(p, "alb-logs", None, data=False, sse="AES256", policy=policy, public_block=None)


def _other_stores(p: aws.Provider, k: aws.kms.Key | None, suffix: str = "", **changes: Any) -> None:
    """One store of each other type, encrypted with `k`; `changes[type] = kwargs` overrides one."""
    key_arn = k.arn if k is not None else None

    def args(kind: str, **base: Any) -> dict[str, Any]:
        return {**base, **changes.get(kind, {})}

    aws.rds.Instance(f"pg{suffix}", **args("instance", engine="postgres", instance_class="db.t4g.micro",
                     allocated_storage=20, username="connect", manage_master_user_password=True,
                     storage_encrypted=True, kms_key_id=key_arn), tags=TAGS, opts=pinned(p, protect=True))
    aws.dynamodb.Table(f"table{suffix}", **args("table", hash_key="id", attributes=[{"name": "id", "type": "S"}],
                       billing_mode="PAY_PER_REQUEST",
                       server_side_encryption={"enabled": True, "kms_key_arn": key_arn}), tags=TAGS, opts=pinned(p))
    aws.ebs.Volume(f"volume{suffix}", **args("volume", availability_zone="us-east-1a", size=10, encrypted=True,
                   kms_key_id=key_arn), tags=TAGS, opts=pinned(p))
    aws.sqs.Queue(f"queue{suffix}", **args("queue", kms_master_key_id=key_arn), tags=TAGS, opts=pinned(p))
    aws.elasticache.ReplicationGroup(f"cache{suffix}", **args("cache", description="cache", node_type="cache.t4g.micro",
                                     at_rest_encryption_enabled=True, kms_key_id=key_arn), tags=TAGS, opts=pinned(p))
    aws.kinesis.Stream(f"stream{suffix}", **args("stream", shard_count=1, encryption_type="KMS", kms_key_id=key_arn),
                       tags=TAGS, opts=pinned(p))
    aws.opensearch.Domain(f"search{suffix}", **args("search", encrypt_at_rest={"enabled": True, "kms_key_id": key_arn}),
                          tags=TAGS, opts=pinned(p))


def _compliant() -> None:
    p, _ = providers()
    k = key(p)
    documents = bucket(p, "documents", k, policy=None, public_block=None)
    bucket(p, "archive", k, sse="aws:kms:dsse", policy=None, public_block=None)
    bucket(p, "untagged", k, data=False, policy=None, public_block=None)  # data without the backup tag: judged
    _log_target(p, documents)  # SSE-S3: a log destination
    _elb_log_bucket(p)
    file_system(p, k, replicate_to=None)
    db_cluster(p, k)
    _other_stores(p, k)
    aws.sns.Topic("topic", kms_master_key_id=k.arn, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_encrypted_data_stores_pass(preview: bool) -> None:
    """KMS and DSSE buckets (tagged for backup or not), log buckets on SSE-S3, and every other store type encrypted
    with the tenant's key."""
    found = evaluate(_compliant, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _violating() -> None:
    p, _ = providers()
    k = key(p)
    bucket(p, "sse-s3", k, sse="AES256", policy=None, public_block=None)
    bucket(p, "no-sse", k, sse=None, policy=None, public_block=None)
    bucket(p, "no-key", None, policy=None, public_block=None)
    bucket(p, "untagged-sse-s3", k, data=False, sse="AES256", policy=None, public_block=None)
    file_system(p, k, "fs-unencrypted", encrypted=False, replicate_to=None)
    file_system(p, None, "fs-no-key", replicate_to=None)
    db_cluster(p, k, "db-unencrypted", encrypted=False)
    db_cluster(p, None, "db-no-key")
    _other_stores(p, k, "-plain", instance={"storage_encrypted": False, "kms_key_id": None},
                  table={"server_side_encryption": None}, volume={"encrypted": False, "kms_key_id": None},
                  queue={"kms_master_key_id": None, "sqs_managed_sse_enabled": True},
                  cache={"at_rest_encryption_enabled": False, "kms_key_id": None},
                  stream={"encryption_type": "NONE", "kms_key_id": None},
                  search={"encrypt_at_rest": {"enabled": False}})
    aws.elasticache.Cluster("memcached", engine="memcached", node_type="cache.t4g.micro", num_cache_nodes=1,
                            tags=TAGS, opts=pinned(p))
    aws.sns.Topic("topic-aws-key", kms_master_key_id="alias/aws/sns", tags=TAGS, opts=pinned(p))


CASES: dict[str, tuple[str, str]] = {
    "bucket-sse-s3": ("aws:s3/bucket:Bucket::sse-s3", "sseAlgorithm 'AES256', not 'aws:kms'"),
    "bucket-no-sse": ("aws:s3/bucket:Bucket::no-sse", "it has no aws.s3.BucketServerSideEncryptionConfiguration"),
    "bucket-no-key": ("aws:s3/bucket:Bucket::no-key", "its encryption configuration has no kmsMasterKeyId"),
    "bucket-untagged": ("aws:s3/bucket:Bucket::untagged-sse-s3", "sseAlgorithm 'AES256', not 'aws:kms'"),
    "fs-unencrypted": ("aws:efs/fileSystem:FileSystem::fs-unencrypted",
                       "data store EFS file system 'fs-unencrypted': encrypted is not true"),
    "fs-no-key": ("aws:efs/fileSystem:FileSystem::fs-no-key", "data store EFS file system 'fs-no-key': no kmsKeyId"),
    "db-unencrypted": ("aws:rds/cluster:Cluster::db-unencrypted",
                       "data store DB cluster 'db-unencrypted': storageEncrypted is not true"),
    "db-no-key": ("aws:rds/cluster:Cluster::db-no-key", "data store DB cluster 'db-no-key': no kmsKeyId"),
    "rds-instance": ("aws:rds/instance:Instance::pg-plain",
                     "data store DB instance 'pg-plain': storageEncrypted is not true; no kmsKeyId"),
    "dynamodb": ("aws:dynamodb/table:Table::table-plain",
                 "serverSideEncryption.enabled is not true; no serverSideEncryption.kmsKeyArn"),
    "ebs": ("aws:ebs/volume:Volume::volume-plain", "data store EBS volume 'volume-plain': encrypted is not true"),
    "sqs-managed-sse": ("aws:sqs/queue:Queue::queue-plain", "data store SQS queue 'queue-plain': no kmsMasterKeyId"),
    "elasticache-group": ("aws:elasticache/replicationGroup:ReplicationGroup::cache-plain",
                          "atRestEncryptionEnabled is not true"),
    "elasticache-cluster": ("aws:elasticache/cluster:Cluster::memcached", "cannot be encrypted at rest"),
    "kinesis": ("aws:kinesis/stream:Stream::stream-plain", "encryptionType is 'NONE', not 'KMS'"),
    "opensearch": ("aws:opensearch/domain:Domain::search-plain", "encryptAtRest.enabled is not true"),
    "sns-aws-key": ("aws:sns/topic:Topic::topic-aws-key", "kmsMasterKeyId 'alias/aws/sns' is an AWS managed key"),
}


test_unencrypted_data_store_is_violation, test_one_finding_per_unencrypted_store = case_tests(_violating, POLICY, CASES)


def _untagged_file_system() -> None:
    """The outside reader's case: dropping the backup tag no longer exempts an unencrypted file system."""
    p, _ = providers()
    aws.efs.FileSystem("untagged-fs", encrypted=False, tags=TAGS, opts=pinned(p, protect=True))


@pytest.mark.parametrize("preview", [True, False])
def test_untagged_file_system_is_judged(preview: bool) -> None:
    urn = "aws:efs/fileSystem:FileSystem::untagged-fs"
    found = findings(evaluate(_untagged_file_system, preview=preview), POLICY)
    assert_one_mandatory(found, urn, "encrypted is not true; no kmsKeyId")
