"""database-audit-logging: PostgreSQL clusters load pgAudit, export the postgresql log, and are monitored.

Small programs hold one cluster per case; the committed stacks pass, and a real plan whose parameter group
stops loading pgAudit, or whose instance loses enhanced monitoring, fails. Every case runs in preview (ids,
ARNs and names computed by AWS unknown) and update mode.
"""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from connect_guardrails.rules.database_audit_logging import RULE
from connectctl.engine.analyzer import Violation, analyze
from connectctl.engine.project import load_project
from tests.policies.data_programs import DATA_TAGS, key, providers
from tests.policies.harness import (
    TAGS,
    assert_one_mandatory,
    case_tests,
    evaluate,
    findings,
    notes,
    pinned,
    registered_for_module,
)
from tests.policies.mutations import Variant, baseline, focused_config, pack_config

POLICY = RULE.id
STACKS = load_project().stacks()
AUDIT: Any = [{"name": "shared_preload_libraries", "value": "pg_stat_statements,pgaudit",
               "apply_method": "pending-reboot"},
              {"name": "pgaudit.log", "value": "ddl,role"}]
MONITORING_TRUST = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": '
                    '"monitoring.rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')


registered = registered_for_module(RULE)


def cluster(p: aws.Provider, name: str, *, parameters: Any = AUDIT, group: str | None = "own",
            exports: Any = ("postgresql",), interval: int | None = 60, role: bool = True,
            engine: str = "aurora-postgresql", instances: int = 1) -> aws.rds.Cluster:
    """An Aurora cluster with `instances` instances. `group`: "own" (a group of the stack, its name passed as
    the group's output: a property dependency), "named" (its name passed as text: matched by name), None (the
    default group) or any other name (a group the stack does not declare)."""
    group_name: Any = group
    if group in ("own", "named"):
        created = aws.rds.ClusterParameterGroup(
            f"{name}-parameters", name=f"{name}-audit", family="aurora-postgresql16", parameters=parameters,
            tags=TAGS, opts=pinned(p))
        group_name = created.name if group == "own" else f"{name}-audit"
    db = aws.rds.Cluster(
        name, cluster_identifier=name, engine=engine, engine_version="16.6", storage_encrypted=True,
        kms_key_id=key(p, f"{name}-key").arn, master_username="connect", manage_master_user_password=True,
        db_cluster_parameter_group_name=group_name, enabled_cloudwatch_logs_exports=list(exports),
        tags=DATA_TAGS, opts=pinned(p, protect=True))
    monitoring = aws.iam.Role(f"{name}-monitoring", assume_role_policy=MONITORING_TRUST, tags=TAGS, opts=pinned(p))
    for index in range(1, instances + 1):
        aws.rds.ClusterInstance(
            f"{name}-{index}", identifier=f"{name}-{index}", cluster_identifier=db.id, instance_class="db.serverless",
            engine=aws.rds.EngineType.AURORA_POSTGRESQL, monitoring_interval=interval if index == 1 else 60,
            monitoring_role_arn=monitoring.arn if role or index > 1 else None, tags=TAGS, opts=pinned(p))
    return db


def _compliant() -> None:
    p = providers()[0]
    cluster(p, "ledger", instances=2)
    cluster(p, "orders", group="named")
    cluster(p, "catalog", parameters=[*AUDIT[:1], {"name": "pgaudit.log", "value": "DDL, ROLE, misc"}])
    cluster(p, "legacy", engine="aurora-mysql", group=None, exports=(), interval=None, role=False)  # out of scope


@pytest.mark.parametrize("preview", [True, False])
def test_audited_and_monitored_clusters_pass(preview: bool) -> None:
    found = evaluate(_compliant, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _violating() -> None:
    p = providers()[0]
    cluster(p, "default-group", group=None)
    cluster(p, "aws-default-group", group="default.aurora-postgresql16")
    cluster(p, "outside-group", group="shared-audit-params")
    cluster(p, "no-pgaudit", parameters=[{"name": "log_min_duration_statement", "value": "1000"}])
    cluster(p, "pgaudit-none", parameters=[AUDIT[0], {"name": "pgaudit.log", "value": "none"}])
    cluster(p, "not-exported", exports=())
    cluster(p, "unmonitored", interval=None)
    cluster(p, "no-monitoring-role", role=False)
    cluster(p, "every-two-minutes", interval=120)


CASES: dict[str, str] = {
    "default-group": "uses the default cluster parameter group (no dbClusterParameterGroupName)",
    "aws-default-group": "uses the default cluster parameter group (default.aurora-postgresql16)",
    "outside-group": "its parameter group 'shared-audit-params' is not declared in this stack",
    "no-pgaudit": "does not load pgaudit (shared_preload_libraries)",
    "pgaudit-none": "sets no pgaudit.log statement classes",
    "not-exported": "its postgresql log is not exported to CloudWatch Logs",
    "unmonitored": "instance 'unmonitored-1' has no enhanced monitoring (monitoringInterval is None",
    "no-monitoring-role": "instance 'no-monitoring-role-1' has no enhanced monitoring (no monitoringRoleArn)",
    "every-two-minutes": "monitoringInterval is 120.0, not one of 1, 5, 10, 15, 30, 60",
}


URN_CASES = {case: (f"aws:rds/cluster:Cluster::{case}", phrase) for case, phrase in CASES.items()}
test_unaudited_or_unmonitored_cluster_is_violation, test_one_finding_per_cluster = case_tests(
    _violating, POLICY, URN_CASES)


@pytest.mark.parametrize("preview", [True, False])
def test_a_multi_az_postgres_cluster_is_monitored_on_the_cluster(preview: bool) -> None:
    def program(monitored: bool) -> None:
        p = providers()[0]
        group = aws.rds.ClusterParameterGroup("multi-az-parameters", name="multi-az-audit", family="postgres16",
                                              parameters=AUDIT, tags=TAGS, opts=pinned(p))
        role = aws.iam.Role("multi-az-monitoring", assume_role_policy=MONITORING_TRUST, tags=TAGS, opts=pinned(p))
        aws.rds.Cluster("multi-az", engine="postgres", db_cluster_instance_class="db.m6gd.large",
                        allocated_storage=100, storage_type="io1", iops=1000, master_username="connect",
                        manage_master_user_password=True, db_cluster_parameter_group_name=group.name,
                        enabled_cloudwatch_logs_exports=["postgresql"],
                        monitoring_interval=30 if monitored else 0,
                        monitoring_role_arn=role.arn if monitored else None,
                        storage_encrypted=True, kms_key_id=key(p).arn, tags=DATA_TAGS, opts=pinned(p, protect=True))

    assert findings(evaluate(lambda: program(True), preview=preview), POLICY) == []
    found = findings(evaluate(lambda: program(False), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:rds/cluster:Cluster::multi-az",
                         "Multi-AZ cluster 'multi-az' has no enhanced monitoring (monitoringInterval is 0.0")


# --- the real program ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_pass(stack: str, preview: bool) -> None:
    found = analyze(baseline(stack, preview).capture.resources, pack_config(stack))
    assert findings(found, POLICY) == [] and notes(found, POLICY) == []


def _real(stack: str, preview: bool, edit: Any) -> list[Violation]:
    variant = Variant(baseline(stack, preview).capture.resources)
    edit(variant)
    return findings(analyze(variant.resources, focused_config(stack, POLICY)), POLICY)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_a_real_cluster_whose_group_no_longer_loads_pgaudit_is_caught(preview: bool) -> None:
    def edit(v: Variant) -> None:
        group = v.find("aws:rds/clusterParameterGroup:ClusterParameterGroup", "data-orders-db-parameters")
        v.edit(group, lambda props: props.update(parameters=[
            p for p in props["parameters"] if p["name"] != "shared_preload_libraries"]))

    found = _real("globex-prod", preview, edit)
    assert_one_mandatory(found, "aws:rds/cluster:Cluster::data-orders-db",
                         "parameter group 'data-orders-db-parameters' does not load pgaudit")


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_a_real_reader_without_enhanced_monitoring_is_caught(preview: bool) -> None:
    def edit(v: Variant) -> None:
        reader = v.find("aws:rds/clusterInstance:ClusterInstance", "data-ledger-instance-2")
        v.set(reader, "monitoringInterval", 0)

    found = _real("acme-prod", preview, edit)
    assert_one_mandatory(found, "aws:rds/cluster:Cluster::data-ledger",
                         "instance 'data-ledger-instance-2' has no enhanced monitoring (monitoringInterval is 0")


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_a_real_cluster_back_on_the_default_group_is_caught(preview: bool) -> None:
    def edit(v: Variant) -> None:
        v.delete(v.find("aws:rds/cluster:Cluster", "data-ledger"), "dbClusterParameterGroupName")

    found = _real("acme-prod", preview, edit)
    assert_one_mandatory(found, "aws:rds/cluster:Cluster::data-ledger", "uses the default cluster parameter group")
