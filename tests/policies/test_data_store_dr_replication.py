"""data-store-dr-replication: every data store is selected by a backup plan of the stack; data buckets and file
systems also replicate to another region.

Each program holds several independent stores, one case each, so the pack runs once per mode and config.
"""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from connectctl.engine.analyzer import Violation
from tests.policies.data_programs import (
    DATA_TAGS,
    DR_REGION,
    ROLE_ARN,
    SELECTION_TAGS,
    backup,
    bucket,
    db_cluster,
    file_system,
    key,
    providers,
    replicated_bucket,
)
from tests.policies.harness import TAGS, assert_one_mandatory, case_tests, evaluate, findings, notes, pinned, with_urn

POLICY = "data-store-dr-replication"
DR_CONFIG = {POLICY: {"drRegion": DR_REGION}}
NOT_SELECTED = "it is not selected by any backup plan"


def _table(p: aws.Provider, name: str, tags: dict[str, str]) -> aws.dynamodb.Table:
    return aws.dynamodb.Table(name, hash_key="id", attributes=[{"name": "id", "type": "S"}],
                              billing_mode="PAY_PER_REQUEST", tags=tags, opts=pinned(p, protect=True))


def _compliant() -> None:
    p, dr = providers()
    k = key(p)
    replicated_bucket(p, dr, "documents")
    replicated_bucket(p, dr, "uploads", named=False)  # auto-named: every ARN unknown in preview
    file_system(p, k)
    db_cluster(p, k)
    _table(p, "orders", DATA_TAGS)
    aws.ebs.Volume("scratch", availability_zone="us-east-1a", size=10, encrypted=True, tags=DATA_TAGS,
                   opts=pinned(p))
    bucket(p, "alb-logs", None, data=False, sse="AES256",
           policy='{"Statement": [{"Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"}, '
                  '"Action": "s3:PutObject", "Resource": "arn:aws:s3:::connect-alb-logs/*"}]}')  # a log bucket
    aws.sqs.Queue("jobs", tags=TAGS, opts=pinned(p))  # AWS Backup does not protect queues: nothing to select
    backup(p, dr, lock=False)  # its selection picks the stores by tag


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
    # The backup tag dropped: the store is judged all the same, and not backed up.
    aws.rds.Cluster("db-not-selected", engine="aurora-postgresql", storage_encrypted=True, kms_key_id=k.arn,
                    master_username="connect", manage_master_user_password=True, tags=TAGS,
                    opts=pinned(p, protect=True))
    untagged = bucket(p, "untagged", key(p, "untagged-key"), data=False)
    target = bucket(dr, "untagged-dr", key(dr, "untagged-dr-key"), data=False)
    aws.s3.BucketReplicationConfig("untagged-replication", bucket=untagged.id, role=ROLE_ARN,
                                   rules=[{"id": "dr", "status": "Enabled", "destination": {"bucket": target.arn}}],
                                   opts=pinned(p))
    aws.efs.FileSystem("fs-untagged", encrypted=True, kms_key_id=k.arn, tags=TAGS, opts=pinned(p, protect=True))
    _table(p, "table-untagged", TAGS)
    aws.rds.Instance("pg-untagged", engine="postgres", instance_class="db.t4g.micro", allocated_storage=20,
                     username="connect", manage_master_user_password=True, storage_encrypted=True, kms_key_id=k.arn,
                     tags=TAGS, opts=pinned(p, protect=True))
    backup(p, dr, lock=False)


CASES: dict[str, tuple[str, str]] = {
    "bucket-not-replicated": ("aws:s3/bucket:Bucket::not-replicated", "it has no aws.s3.BucketReplicationConfig"),
    "bucket-same-region": ("aws:s3/bucket:Bucket::same-region", "it replicates only to us-east-1"),
    "bucket-rule-disabled": ("aws:s3/bucket:Bucket::disabled", "its replication configuration has no Enabled rule"),
    "fs-not-replicated": ("aws:efs/fileSystem:FileSystem::fs-not-replicated",
                          "it has no aws.efs.ReplicationConfiguration"),
    "fs-same-region": ("aws:efs/fileSystem:FileSystem::fs-same-region", "it replicates only to us-east-1"),
    "db-not-selected": ("aws:rds/cluster:Cluster::db-not-selected", f"DB cluster 'db-not-selected': {NOT_SELECTED}"),
    "bucket-untagged": ("aws:s3/bucket:Bucket::untagged", f"S3 bucket 'untagged': {NOT_SELECTED}"),
    "fs-untagged": ("aws:efs/fileSystem:FileSystem::fs-untagged", NOT_SELECTED),
    "table-untagged": ("aws:dynamodb/table:Table::table-untagged", f"DynamoDB table 'table-untagged': {NOT_SELECTED}"),
    "rds-instance-untagged": ("aws:rds/instance:Instance::pg-untagged", f"DB instance 'pg-untagged': {NOT_SELECTED}"),
}


test_unreplicated_data_store_is_violation, test_one_finding_per_unreplicated_store = case_tests(
    _violating, POLICY, CASES)


@pytest.mark.parametrize("preview", [True, False])
def test_replica_outside_the_configured_dr_region_is_violation(preview: bool) -> None:
    def program() -> None:
        p, dr = providers()
        replicated_bucket(p, dr)
        file_system(p, key(p))
        backup(p, dr, lock=False)

    found = findings(evaluate(program, preview=preview, pack_config={POLICY: {"drRegion": "eu-west-1"}}), POLICY)
    assert len(found) == 2, found
    assert_one_mandatory(with_urn(found, "aws:s3/bucket:Bucket::documents"), "Bucket::documents",
                         "it replicates only to us-west-2; replicate it (aws.s3.BucketReplicationConfig) to a bucket "
                         "in the DR region eu-west-1")
    assert_one_mandatory(with_urn(found, "aws:efs/fileSystem:FileSystem::shared"), "FileSystem::shared",
                         "it replicates only to us-west-2")


def _selections(p: aws.Provider, dr: aws.Provider, plan: aws.backup.Plan) -> None:
    """Selections that select nothing of the tagged stores: by region, exclusion, another tag, another plan."""
    aws.backup.Selection("dr-region-selection", plan_id=plan.id, name="dr", iam_role_arn=ROLE_ARN,
                         selection_tags=SELECTION_TAGS, opts=pinned(dr))
    aws.backup.Selection("other-plan", plan_id="plan-of-another-stack", name="other", iam_role_arn=ROLE_ARN,
                         selection_tags=SELECTION_TAGS, opts=pinned(p))
    aws.backup.Selection("conditions", plan_id=plan.id, name="conditions", iam_role_arn=ROLE_ARN, resources=["*"],
                         conditions=[{"string_equals": [{"key": "aws:ResourceTag/connect:backup", "value": "true"}],
                                      "string_not_equals": [{"key": "aws:ResourceTag/connect:store",
                                                             "value": "excluded"}]}],
                         opts=pinned(p))


def _selection_semantics() -> None:
    p, dr = providers()
    k = key(p)
    primary = aws.backup.Vault("vault", kms_key_arn=k.arn, tags=TAGS, opts=pinned(p))
    plan = aws.backup.Plan("plan", rules=[{"rule_name": "daily", "target_vault_name": primary.name,
                                           "schedule": "cron(0 5 * * ? *)"}], tags=TAGS, opts=pinned(p))
    _selections(p, dr, plan)
    _table(p, "selected", {**DATA_TAGS, "connect:store": "kept"})  # the conditions select it
    _table(p, "excluded", {**DATA_TAGS, "connect:store": "excluded"})  # StringNotEquals keeps it out
    listed = _table(p, "listed", TAGS)  # named in a selection's resources
    aws.backup.Selection("by-arn", plan_id=plan.id, name="by-arn", iam_role_arn=ROLE_ARN, resources=[listed.arn],
                         opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_selection_semantics(preview: bool) -> None:
    """Conditions (AND, negations), resources by ARN, the selection's region and plan decide what is selected."""
    found = findings(evaluate(_selection_semantics, preview=preview), POLICY)
    assert_one_mandatory(found, "aws:dynamodb/table:Table::excluded", NOT_SELECTED)


# --- lifecycle rules: what the backups and replicas protect is not deleted on a timer ----------------------

KEEPS = {"id": "colder", "status": "Enabled", "filter": {"prefix": ""},
         "transitions": [{"days": 90, "storage_class": "GLACIER_IR"}],
         "expiration": {"expired_object_delete_marker": True},
         "abort_incomplete_multipart_upload": {"days_after_initiation": 7}}
EXPIRES = {"id": "cleanup", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": 1}}
NONCURRENT = {"id": "old-versions", "status": "Enabled", "filter": {"prefix": "exports/"},
              "noncurrent_version_expiration": {"noncurrent_days": 30}}
DELETES = "deletes its data"


def _lifecycle(data_rules: Any = None, log_rules: Any = None, inline: Any = None) -> Any:
    """A replicated, backed-up data bucket and a log bucket; lifecycle configurations on either, and a second data
    bucket with inline lifecycle rules."""
    def program() -> None:
        p, dr = providers()
        documents = replicated_bucket(p, dr, "documents")
        logs = bucket(p, "alb-logs", None, data=False, sse="AES256",
                      policy='{"Statement": [{"Effect": "Allow", "Principal": {"Service": '
                             '"delivery.logs.amazonaws.com"}, "Action": "s3:PutObject", '
                             '"Resource": "arn:aws:s3:::connect-alb-logs/*"}]}')
        if data_rules is not None:
            aws.s3.BucketLifecycleConfiguration("documents-lifecycle", bucket=documents.id, rules=data_rules,
                                                opts=pinned(p))
        if log_rules is not None:
            aws.s3.BucketLifecycleConfiguration("alb-logs-lifecycle", bucket=logs.id, rules=log_rules, opts=pinned(p))
        if inline is not None:
            aws.s3.Bucket("exports", bucket="connect-exports", lifecycle_rules=inline, tags=DATA_TAGS,
                          opts=pinned(p, protect=True))
        backup(p, dr, lock=False)
    return program


def _deleting(found: list[Violation]) -> list[Violation]:
    return [v for v in findings(found, POLICY) if DELETES in v.message]


@pytest.mark.parametrize("preview", [True, False])
def test_transitions_and_expiring_logs_pass(preview: bool) -> None:
    """Colder storage, delete markers and stale uploads delete no data; a log bucket expires its logs."""
    found = evaluate(_lifecycle([KEEPS, {**EXPIRES, "status": "Disabled"}], [EXPIRES, NONCURRENT]), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


LIFECYCLE_CASES: dict[str, tuple[Any, str, str]] = {
    "expiration": (_lifecycle([KEEPS, EXPIRES]), "BucketLifecycleConfiguration::documents-lifecycle",
                   "data store S3 bucket 'documents': lifecycle configuration 'documents-lifecycle' deletes its data: "
                   "rule cleanup expires current objects (days 1)"),
    "noncurrent-versions": (_lifecycle([NONCURRENT]), "BucketLifecycleConfiguration::documents-lifecycle",
                            "rule old-versions expires noncurrent versions (noncurrentDays 30)"),
    "inline-rule": (_lifecycle(inline=[{"enabled": True, "expiration": {"date": "2030-01-01"}},
                                       {"enabled": False, "expiration": {"days": 1}}]),
                    "aws:s3/bucket:Bucket::exports",
                    "its inline lifecycleRules deletes its data: rule #1 expires current objects (date '2030-01-01')"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(LIFECYCLE_CASES))
def test_a_lifecycle_expiry_of_a_data_bucket_is_violation(case: str, preview: bool) -> None:
    program, urn, phrase = LIFECYCLE_CASES[case]
    assert_one_mandatory(_deleting(evaluate(program, preview=preview)), urn, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_an_unknown_rule_status_is_decided_on_update(preview: bool) -> None:
    def program() -> None:
        p, dr = providers()
        documents = replicated_bucket(p, dr, "documents")
        rules: Any = [{**EXPIRES, "status": documents.id.apply(lambda _: "Enabled")}]
        aws.s3.BucketLifecycleConfiguration("documents-lifecycle", bucket=documents.id, rules=rules, opts=pinned(p))
        backup(p, dr, lock=False)

    found = evaluate(program, preview=preview)
    assert len(_deleting(found)) == (0 if preview else 1)
    assert len(notes(found, POLICY)) == (1 if preview else 0)
