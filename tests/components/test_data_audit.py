"""Evidence of access to client data, the audit trail's own record, and database audit logging.

- Environment stacks: every store bucket and its DR replica log their server access into the access-log
  bucket of their own region (S3 delivers nowhere else); those buckets are hardened, kept for the
  environment's access-log retention, and exist whatever buckets the environment declares.
- Account stacks: the trail bucket's reads are logged into a bucket of their own, and the trail bucket
  replicates to a bucket in the DR region encrypted with an audit key of that region.
- Aurora: a cluster parameter group per cluster (family from the engine version) that loads pgAudit, the
  exported log into an encrypted, retained log group created first, enhanced monitoring on every instance;
  putting the group on a running cluster is an in-place update.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from components.data import (
    ENHANCED_MONITORING_POLICY,
    MONITORING_INTERVAL,
    PGAUDIT_CLASSES,
    access_log_bucket_name,
    aurora_family,
    bucket_name,
)
from connect_guardrails.rules import data_access_recorded, database_audit_logging
from connectctl.diff import Action, diff_plans
from connectctl.engine.capture import CapturedResource
from connectctl.plan import Plan
from tests.components.plans import of_type, plan, plan_file, planned
from tests.policies.harness import registered_for_module

BUCKET = "aws:s3/bucket:Bucket"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ENVIRONMENTS = {"acme-prod": ("111111111111", "us-east-1", "us-west-2"),
                "globex-prod": ("222222222222", "eu-west-1", "eu-central-1")}
ACCOUNTS = {"acme-account": ("111111111111", "us-east-1", "us-west-2"),
            "globex-account": ("222222222222", "eu-west-1", "eu-central-1")}
NEW_RULES = (data_access_recorded.RULE, database_audit_logging.RULE)


# The two new rules in the pack for plans made here, whether or not `catalogue.py` lists them yet.
registered = registered_for_module(*NEW_RULES)


def one(doc: dict[str, Any], type_: str, name: str) -> dict[str, Any]:
    [found] = [r for r in of_type(doc, type_) if r["name"] == name]
    return found


def by_urn(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in doc["resources"]}


def region_of(doc: dict[str, Any], resource: dict[str, Any]) -> str:
    """The region of a resource's explicit provider."""
    provider = resource["provider"].rsplit("::", 1)[0]
    return str(by_urn(doc)[provider]["inputs"]["region"])


def fed_by(doc: dict[str, Any], resource: dict[str, Any], prop: str) -> list[dict[str, Any]]:
    resources = by_urn(doc)
    return [resources[u] for u in resource["propertyDependencies"].get(prop, [])]


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}


# --- environment stacks: server access logs of every store bucket and its DR replica -----------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", sorted(ENVIRONMENTS))
def test_every_store_bucket_and_its_replica_log_into_their_regions_log_bucket(stack: str, preview: bool) -> None:
    account, primary, dr = ENVIRONMENTS[stack]
    doc = plan(stack, preview)
    stores = [b.name for b in planned(stack).config.data.buckets]
    assert stores
    for store in stores:
        for suffix, region in (("", primary), ("-dr", dr)):
            logging = one(doc, LOGGING, f"data-{store}{suffix}-access-logging")
            [source] = fed_by(doc, logging, "bucket")
            [target] = fed_by(doc, logging, "targetBucket")
            assert source["name"] == f"data-{store}{suffix}" and source["inputs"]["bucket"] == bucket_name(
                stack, store, account, dr=bool(suffix))
            assert target["name"] == f"data-access-logs-{region}"
            assert target["inputs"]["bucket"] == access_log_bucket_name(stack, region, account)
            assert region_of(doc, logging) == region_of(doc, source) == region_of(doc, target) == region
            assert logging["inputs"]["targetPrefix"] == f"{store}/"
            assert logging["inputs"]["targetObjectKeyFormat"] == {"partitionedPrefix": {"partitionDateSource":
                                                                                        "EventTime"}}
            policy = one(doc, POLICY, f"data-access-logs-{region}-policy")
            assert policy["urn"] in logging["dependencies"]  # S3 checks the target's policy first


@pytest.mark.parametrize("stack", sorted(ENVIRONMENTS))
def test_access_log_buckets_are_hardened_retained_and_kept_the_access_log_retention(stack: str) -> None:
    account, primary, dr = ENVIRONMENTS[stack]
    doc = plan(stack, preview=False)
    cfg = planned(stack).config
    for region in (primary, dr):
        key = f"data-access-logs-{region}"
        name = access_log_bucket_name(stack, region, account)
        bucket = one(doc, BUCKET, key)
        assert (bucket["protect"], bucket["retainOnDelete"], bucket["inputs"]["forceDestroy"]) == (True, True, False)
        assert one(doc, "aws:s3/bucketVersioning:BucketVersioning", f"{key}-versioning")["inputs"][
            "versioningConfiguration"] == {"status": "Enabled"}
        sse = one(doc, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                  f"{key}-encryption")["inputs"]["rules"]
        assert sse == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
        assert one(doc, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", f"{key}-ownership")["inputs"][
            "rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        block = one(doc, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{key}-public-access-block")
        assert all(block["inputs"][f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                        "restrictPublicBuckets"))
        [rule] = one(doc, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                     f"{key}-lifecycle")["inputs"]["rules"]
        assert rule["expiration"] == {"days": cfg.platform.access_logs.retention_days}
        assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 1}
        assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
        found = statements(one(doc, POLICY, f"{key}-policy"))
        delivery = found["S3ServerAccessLogDelivery"]
        assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"} and delivery["Action"] == "s3:PutObject"
        assert delivery["Resource"] == f"arn:aws:s3:::{name}/*"
        assert delivery["Condition"] == {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{stack}-*"},
                                         "StringEquals": {"aws:SourceAccount": account}}
        assert found["AccessLogsAreNeverDeleted"]["Effect"] == "Deny"
        assert found["OnlyAwsServicesWriteLogs"]["Condition"] == {"Bool": {"aws:PrincipalIsAWSService": "false"}}
        assert found["TlsOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {r["inputs"]["bucket"] for r in of_type(doc, BUCKET) if r["name"].startswith("data-access-logs")} == {
        access_log_bucket_name(stack, region, account) for region in (primary, dr)}


def test_retention_follows_the_environments_access_log_setting(tmp_path: Path) -> None:
    doc = plan_file(tmp_path, "acme-prod", lambda c: c["connect:platform"].update(accessLogs={"retentionDays": 90}))
    [rule] = one(doc, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                 "data-access-logs-us-east-1-lifecycle")["inputs"]["rules"]
    assert rule["expiration"] == {"days": 90}


def test_an_environment_with_databases_only_keeps_its_log_buckets_and_passes_the_pack(tmp_path: Path) -> None:
    """Removing the last bucket leaves the protected access-log buckets in place (not a deletion `pulumi up`
    refuses), and a log bucket nothing logs into yet is still a log bucket (its policy)."""
    def databases_only(config: dict[str, Any]) -> None:
        config["connect:data"].pop("buckets")
        config["connect:data"].pop("fileSystems")
        for service in config["connect:services"]:
            service["uses"] = [u for u in service.get("uses", []) if u == "orders-db"]

    doc = plan_file(tmp_path, "globex-prod", databases_only)
    assert doc["violations"] == []
    assert {r["name"] for r in of_type(doc, BUCKET) if r["name"].startswith("data-")} == {
        "data-access-logs-eu-west-1", "data-access-logs-eu-central-1"}
    assert of_type(doc, LOGGING) == []


# --- account stacks: the audit trail's access logs and its copy out of the region --------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_trail_bucket_reads_are_logged_into_a_bucket_of_their_own(stack: str, preview: bool) -> None:
    account, region, _ = ACCOUNTS[stack]
    doc = plan(stack, preview)
    logging = one(doc, LOGGING, "audit-trail-bucket-access-logging")
    [source] = fed_by(doc, logging, "bucket")
    [target] = fed_by(doc, logging, "targetBucket")
    assert source["name"] == "audit-trail-bucket" and target["name"] == "audit-trail-access-logs"
    assert target["inputs"]["bucket"] == f"{stack}-cloudtrail-access-logs-{account}"
    assert region_of(doc, target) == region and (target["protect"], target["retainOnDelete"]) == (True, True)
    delivery = statements(one(doc, POLICY, "audit-trail-access-logs-policy"))["S3ServerAccessLogDelivery"]
    assert delivery["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:s3:::{stack}-cloudtrail-{account}"}
    [rule] = one(doc, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                 "audit-trail-access-logs-lifecycle")["inputs"]["rules"]
    assert rule["expiration"] == {"days": 365}  # connect:access.logRetentionDays


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_trail_bucket_replicates_to_the_dr_region_under_its_own_key(stack: str) -> None:
    account, region, dr = ACCOUNTS[stack]
    doc = plan(stack, preview=False)
    replica = one(doc, BUCKET, "audit-trail-replica")
    key = one(doc, "aws:kms/key:Key", "audit-trail-dr-key")
    assert replica["inputs"]["bucket"] == f"{stack}-cloudtrail-dr-{account}"
    assert region_of(doc, replica) == region_of(doc, key) == dr != region
    for resource in (replica, key):
        assert (resource["protect"], resource["retainOnDelete"]) == (True, True), resource["name"]
    assert key["inputs"]["enableKeyRotation"] is True
    alias = one(doc, "aws:kms/alias:Alias", "audit-trail-dr-key-alias")
    assert alias["inputs"]["name"] == f"alias/connect/{stack}-trail"  # the primary audit key's alias too
    sse = one(doc, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
              "audit-trail-replica-encryption")["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]
    assert sse == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key["outputs"]["arn"]}
    replica_policy = statements(one(doc, POLICY, "audit-trail-replica-policy"))
    assert set(replica_policy) == {"TlsOnly", "LogFilesAreNeverDeleted", "TenantAccountAndAwsServicesOnly"}
    config = one(doc, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "audit-trail-replication")
    [rule] = config["inputs"]["rules"]
    assert rule["status"] == "Enabled" and rule["deleteMarkerReplication"] == {"status": "Disabled"}
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    assert rule["destination"]["bucket"] == replica["outputs"]["arn"]
    assert rule["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": key["outputs"]["arn"]}
    versionings = {one(doc, "aws:s3/bucketVersioning:BucketVersioning", n)["urn"]
                   for n in ("audit-trail-bucket-versioning", "audit-trail-replica-versioning")}
    assert versionings <= set(config["dependencies"])  # S3 refuses replication before versioning on both
    role = one(doc, ROLE, "audit-trail-replication")
    [trust] = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}
    inline = one(doc, "aws:iam/rolePolicy:RolePolicy", "audit-trail-replication-policy")
    document = json.loads(inline["inputs"]["policy"])
    assert {"Effect": "Allow", "Action": ["s3:ReplicateObject", "s3:ReplicateTags"],
            "Resource": f"arn:aws:s3:::{stack}-cloudtrail-dr-{account}/*"} in document["Statement"]
    assert doc["outputs"]["trailReplicaBucket"] == f"{stack}-cloudtrail-dr-{account}"
    logging = one(doc, LOGGING, "audit-trail-replica-access-logging")  # reads of the copy are recorded too
    [source], [target] = fed_by(doc, logging, "bucket"), fed_by(doc, logging, "targetBucket")
    assert (source["name"], target["name"]) == ("audit-trail-replica", "audit-trail-dr-access-logs")
    assert target["inputs"]["bucket"] == f"{stack}-cloudtrail-access-logs-dr-{account}"
    assert region_of(doc, logging) == region_of(doc, target) == dr and target["protect"] is True


def test_organization_mode_still_declares_nothing_of_the_trail(tmp_path: Path) -> None:
    doc = plan_file(tmp_path, "acme-account", lambda c: c["connect:access"].update(cloudTrail="organization"))
    assert not [r for r in doc["resources"] if r["name"].startswith("audit-trail") or r["name"] == "dr"]


# --- Aurora: audit logging and enhanced monitoring -----------------------------------------------------------------


@pytest.mark.parametrize("version", ["16.4", "16.6", "17.4"])
def test_the_family_follows_the_engine_version(version: str) -> None:
    assert aurora_family(version) == f"aurora-postgresql{version.split('.')[0]}"


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", sorted(ENVIRONMENTS))
def test_every_cluster_has_its_audit_parameter_group(stack: str, preview: bool) -> None:
    doc = plan(stack, preview)
    for store in planned(stack).config.data.databases:
        identifier = f"{stack}-{store.name}"
        cluster = one(doc, CLUSTER, f"data-{store.name}")
        group = one(doc, GROUP, f"data-{store.name}-parameters")
        family = aurora_family(store.engine_version)
        assert group["inputs"]["family"] == family and group["inputs"]["name"] == f"{identifier}-{family}"
        assert group["retainOnDelete"] is True  # the retained cluster still uses it when the store goes
        parameters = {p["name"]: (p["value"], p["applyMethod"]) for p in group["inputs"]["parameters"]}
        assert parameters == {
            "shared_preload_libraries": ("pg_stat_statements,pgaudit", "pending-reboot"),
            "pgaudit.log": (PGAUDIT_CLASSES, "immediate"), "pgaudit.log_parameter": ("0", "immediate"),
            "log_statement": ("none", "immediate"), "log_min_duration_statement": ("1000", "immediate"),
            "log_connections": ("1", "immediate"), "log_disconnections": ("1", "immediate")}
        assert "all" not in PGAUDIT_CLASSES.split(",") and "read" not in PGAUDIT_CLASSES.split(",")
        assert fed_by(doc, cluster, "dbClusterParameterGroupName") == [group]
        assert cluster["inputs"]["dbClusterParameterGroupName"] == f"{identifier}-{family}"
        assert cluster["inputs"]["enabledCloudwatchLogsExports"] == ["postgresql"]


@pytest.mark.parametrize("stack", sorted(ENVIRONMENTS))
def test_the_exported_log_lands_in_an_encrypted_retained_group_created_first(stack: str) -> None:
    doc = plan(stack, preview=False)
    cfg = planned(stack).config
    for store in cfg.data.databases:
        cluster = one(doc, CLUSTER, f"data-{store.name}")
        group = one(doc, LOG_GROUP, f"data-{store.name}-logs")
        assert group["inputs"]["name"] == f"/aws/rds/cluster/{stack}-{store.name}/postgresql"
        assert group["inputs"]["retentionInDays"] == cfg.platform.log_retention_days
        assert [k["name"] for k in fed_by(doc, group, "kmsKeyId")] == ["environment-key"]
        assert (group["protect"], group["retainOnDelete"]) == (True, True)
        assert group["urn"] in cluster["dependencies"]


@pytest.mark.parametrize("stack", sorted(ENVIRONMENTS))
def test_every_instance_has_enhanced_monitoring_and_keeps_performance_insights(stack: str) -> None:
    account = ENVIRONMENTS[stack][0]
    doc = plan(stack, preview=False)
    for store in planned(stack).config.data.databases:
        role = one(doc, ROLE, f"data-{store.name}-monitoring")
        [trust] = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
        assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}
        attachment = one(doc, "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                         f"data-{store.name}-monitoring-policy")
        assert attachment["inputs"]["policyArn"] == ENHANCED_MONITORING_POLICY
        instances = [i for i in of_type(doc, INSTANCE) if i["name"].startswith(f"data-{store.name}-instance-")]
        assert len(instances) == 2  # production: writer and reader
        for instance in instances:
            assert instance["inputs"]["monitoringInterval"] == MONITORING_INTERVAL
            assert instance["inputs"]["monitoringRoleArn"] == role["outputs"]["arn"]
            assert attachment["urn"] in instance["dependencies"]  # RDS checks the role's rights
            assert instance["inputs"]["performanceInsightsEnabled"] is True


def test_a_major_version_gets_its_own_group_beside_the_old_one(tmp_path: Path) -> None:
    doc = plan_file(tmp_path, "acme-prod", lambda c: c["connect:data"]["databases"][0].update(engineVersion="17.4"))
    group = one(doc, GROUP, "data-ledger-parameters")
    assert (group["inputs"]["family"], group["inputs"]["name"]) == ("aurora-postgresql17",
                                                                    "acme-prod-ledger-aurora-postgresql17")


def _before_the_audit(plan_: Plan) -> Plan:
    """The acme-prod plan as the program declared it before this change: no parameter group, no exported-log
    group, no monitoring, no access logging."""
    resources = copy.deepcopy(plan_.capture.resources)
    added = ("data-access-logs-", "-access-logging", "-parameters", "-monitoring", "data-ledger-logs")
    kept: list[CapturedResource] = [r for r in resources if not any(part in r.name for part in added)]
    gone = {r.urn for r in resources} - {r.urn for r in kept}
    for resource in kept:
        resource.dependencies = [u for u in resource.dependencies if u not in gone]
        resource.property_dependencies = {k: [u for u in v if u not in gone]
                                          for k, v in resource.property_dependencies.items()}
        if resource.type == CLUSTER:
            resource.inputs.pop("dbClusterParameterGroupName")
            resource.property_dependencies.pop("dbClusterParameterGroupName", None)
        if resource.type == INSTANCE:
            for prop in ("monitoringInterval", "monitoringRoleArn"):
                resource.inputs.pop(prop)
                resource.property_dependencies.pop(prop, None)
    return dataclasses.replace(plan_, capture=dataclasses.replace(plan_.capture, resources=kept))


def test_auditing_a_running_cluster_updates_it_in_place() -> None:
    """`db_cluster_parameter_group_name` and enhanced monitoring are ModifyDBCluster / ModifyDBInstance calls:
    `connectctl diff` (the provider's force-new table) shows updates, no replacement, nothing protected touched."""
    new = planned("acme-prod", False)
    result = diff_plans(_before_the_audit(new), new)
    actions = {r.name: r.action for r in result.resources}
    assert actions["data-ledger"] is Action.update
    assert actions["data-ledger-instance-1"] is actions["data-ledger-instance-2"] is Action.update
    [cluster] = [r for r in result.resources if r.name == "data-ledger"]
    assert [c.path for c in cluster.changes] == ["dbClusterParameterGroupName"]
    assert not result.blocked and not result.of(Action.replace) and not result.of(Action.delete)
    assert {"data-ledger-parameters", "data-ledger-logs", "data-documents-access-logging"} <= {
        r.name for r in result.of(Action.create)}
