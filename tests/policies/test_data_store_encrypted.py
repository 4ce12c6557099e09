"""data-store-encrypted: data-store buckets, file systems and DB clusters are encrypted with a KMS key.

Each program holds several independent stores, one case each, so the pack runs once per mode.
"""

from __future__ import annotations

import functools

import pytest

from connectctl.engine.analyzer import Violation
from tests.policies.data_programs import (
    bucket,
    db_cluster,
    file_system,
    key,
    providers,
    with_urn,
)
from tests.policies.harness import assert_one_mandatory, evaluate, findings, notes

POLICY = "data-store-encrypted"


def _compliant() -> None:
    p, _ = providers()
    k = key(p)
    bucket(p, "documents", k, policy=None, public_block=None)
    bucket(p, "archive", k, sse="aws:kms:dsse", policy=None, public_block=None)
    bucket(p, "access-logs", None, data=False, sse="AES256", policy=None, public_block=None)  # not a data store
    file_system(p, k, replicate_to=None)
    db_cluster(p, k)


@pytest.mark.parametrize("preview", [True, False])
def test_encrypted_data_stores_pass(preview: bool) -> None:
    """KMS and DSSE buckets, an encrypted file system and cluster; an SSE-S3 bucket that holds no data."""
    found = evaluate(_compliant, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _violating() -> None:
    p, _ = providers()
    k = key(p)
    bucket(p, "sse-s3", k, sse="AES256", policy=None, public_block=None)
    bucket(p, "no-sse", k, sse=None, policy=None, public_block=None)
    bucket(p, "no-key", None, policy=None, public_block=None)
    file_system(p, k, "fs-unencrypted", encrypted=False, replicate_to=None)
    file_system(p, None, "fs-no-key", replicate_to=None)
    db_cluster(p, k, "db-unencrypted", encrypted=False)
    db_cluster(p, None, "db-no-key")


CASES: dict[str, tuple[str, str]] = {
    "bucket-sse-s3": ("aws:s3/bucket:Bucket::sse-s3", "sseAlgorithm 'AES256', not 'aws:kms'"),
    "bucket-no-sse": ("aws:s3/bucket:Bucket::no-sse", "it has no aws.s3.BucketServerSideEncryptionConfiguration"),
    "bucket-no-key": ("aws:s3/bucket:Bucket::no-key", "its encryption configuration has no kmsMasterKeyId"),
    "fs-unencrypted": ("aws:efs/fileSystem:FileSystem::fs-unencrypted",
                       "data store EFS file system 'fs-unencrypted': encrypted is not true"),
    "fs-no-key": ("aws:efs/fileSystem:FileSystem::fs-no-key", "data store EFS file system 'fs-no-key': no kmsKeyId"),
    "db-unencrypted": ("aws:rds/cluster:Cluster::db-unencrypted",
                       "data store DB cluster 'db-unencrypted': storageEncrypted is not true"),
    "db-no-key": ("aws:rds/cluster:Cluster::db-no-key", "data store DB cluster 'db-no-key': no kmsKeyId"),
}


@functools.cache
def _violations(preview: bool) -> list[Violation]:
    return findings(evaluate(_violating, preview=preview), POLICY)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_unencrypted_data_store_is_violation(preview: bool, case: str) -> None:
    urn, phrase = CASES[case]
    assert_one_mandatory(with_urn(_violations(preview), urn), urn, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_one_finding_per_unencrypted_store(preview: bool) -> None:
    assert len(_violations(preview)) == len(CASES)
