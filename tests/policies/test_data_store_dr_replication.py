"""data-store-dr-replication: data buckets and file systems replicate to another region, DB clusters are backed up.

Each program holds several independent stores, one case each, so the pack runs once per mode and config.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from connectctl.engine.analyzer import Violation
from tests.policies.data_programs import (
    DR_REGION,
    backup,
    db_cluster,
    file_system,
    key,
    providers,
    replicated_bucket,
    with_urn,
)
from tests.policies.harness import assert_one_mandatory, evaluate, findings, notes

POLICY = "data-store-dr-replication"
DR_CONFIG = {POLICY: {"drRegion": DR_REGION}}


def _compliant() -> None:
    p, dr = providers()
    k = key(p)
    replicated_bucket(p, dr, "documents")
    replicated_bucket(p, dr, "uploads", named=False)  # auto-named: every ARN unknown in preview
    file_system(p, k)
    db_cluster(p, k)
    backup(p, dr, lock=False)  # its selection picks the cluster by tag


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("config", [None, DR_CONFIG], ids=["any-other-region", "configured-dr-region"])
def test_replicated_data_stores_pass(preview: bool, config: dict[str, Any] | None) -> None:
    found = evaluate(_compliant, preview=preview, pack_config=config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _violating() -> None:
    p, dr = providers()
    k = key(p)
    replicated_bucket(p, dr, "not-replicated", replication=False)
    replicated_bucket(p, dr, "same-region", to_primary=True)
    replicated_bucket(p, dr, "disabled", status="Disabled")
    file_system(p, k, "fs-not-replicated", replicate_to=None)
    file_system(p, k, "fs-same-region", replicate_to="us-east-1")
    db_cluster(p, k, "db-not-selected")  # no backup selection in this stack


CASES: dict[str, tuple[str, str]] = {
    "bucket-not-replicated": ("aws:s3/bucket:Bucket::not-replicated", "it has no aws.s3.BucketReplicationConfig"),
    "bucket-same-region": ("aws:s3/bucket:Bucket::same-region", "it replicates only to us-east-1"),
    "bucket-rule-disabled": ("aws:s3/bucket:Bucket::disabled", "its replication configuration has no Enabled rule"),
    "fs-not-replicated": ("aws:efs/fileSystem:FileSystem::fs-not-replicated",
                          "it has no aws.efs.ReplicationConfiguration"),
    "fs-same-region": ("aws:efs/fileSystem:FileSystem::fs-same-region", "it replicates only to us-east-1"),
    "db-not-selected": ("aws:rds/cluster:Cluster::db-not-selected", "no aws.backup.Selection covers it"),
}


@functools.cache
def _violations(preview: bool) -> list[Violation]:
    return findings(evaluate(_violating, preview=preview), POLICY)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_unreplicated_data_store_is_violation(preview: bool, case: str) -> None:
    urn, phrase = CASES[case]
    assert_one_mandatory(with_urn(_violations(preview), urn), urn, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_one_finding_per_unreplicated_store(preview: bool) -> None:
    assert len(_violations(preview)) == len(CASES)


@pytest.mark.parametrize("preview", [True, False])
def test_replica_outside_the_configured_dr_region_is_violation(preview: bool) -> None:
    def program() -> None:
        p, dr = providers()
        replicated_bucket(p, dr)
        file_system(p, key(p))

    found = findings(evaluate(program, preview=preview, pack_config={POLICY: {"drRegion": "eu-west-1"}}), POLICY)
    assert len(found) == 2, found
    assert_one_mandatory(with_urn(found, "aws:s3/bucket:Bucket::documents"), "Bucket::documents",
                         "it replicates only to us-west-2; replicate it (aws.s3.BucketReplicationConfig) to a bucket "
                         "in the DR region eu-west-1")
    assert_one_mandatory(with_urn(found, "aws:efs/fileSystem:FileSystem::shared"), "FileSystem::shared",
                         "it replicates only to us-west-2")
