"""database-audit-logging: every PostgreSQL database cluster keeps an audit log and is monitored.

For every `aws:rds/cluster:Cluster` whose `engine` is `aurora-postgresql` or `postgres` (other engines are
out of scope):
- its `dbClusterParameterGroupName` was fed by, or names, an `aws:rds/clusterParameterGroup:ClusterParameterGroup`
  of the stack whose `parameters` load pgAudit (`shared_preload_libraries` lists `pgaudit`) and set
  `pgaudit.log` to statement classes (not empty, not `none`). No group, a default group (`default.*`) or a
  group the stack does not declare fails: the default group loads no pgAudit, and an outside group cannot be
  checked;
- its `enabledCloudwatchLogsExports` holds `postgresql` (the log pgAudit writes to leaves the instances);
- enhanced monitoring: every `aws:rds/clusterInstance:ClusterInstance` of the cluster (its
  `clusterIdentifier` fed by the cluster, or naming its identifier) has `monitoringInterval` of 1, 5, 10,
  15, 30 or 60 seconds and a `monitoringRoleArn` (an unknown value counts as set). A Multi-AZ DB cluster
  (engine `postgres`) has no cluster instances: the cluster's own `monitoringInterval` and
  `monitoringRoleArn` are checked.
Which statement classes `pgaudit.log` holds is the program's decision (`all` or `read` would copy the
data itself into the log); this rule only requires that pgAudit records something.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_set, is_unknown, known_str, plain, unknown_path
from connect_guardrails.util import as_list, attached_to, deps_of_type, of_type

DB_CLUSTER = "aws:rds/cluster:Cluster"
DB_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
POSTGRES_ENGINES = ("aurora-postgresql", "postgres")
MONITORING_INTERVALS = (1, 5, 10, 15, 30, 60)


def _parameters(group: PolicyResource, pending: Pending) -> dict[str, Any] | None:
    """name -> value of a parameter group's parameters (None when unknown values decide it)."""
    params = plain(get_raw(group.props, "parameters"))
    path = unknown_path(params)
    if path is not None:
        pending.add(group.props, "parameters", *path)
        return None
    return {str(p.get("name")).lower(): p.get("value") for p in params or [] if isinstance(p, dict)}


def _group_problem(cluster: PolicyResource, resources: list[PolicyResource], pending: Pending) -> str | None:
    """Why the cluster's parameter group does not load pgAudit with a session audit (None: it does, or unknown)."""
    name = known_str(cluster.props, "dbClusterParameterGroupName")
    groups = deps_of_type(cluster, "dbClusterParameterGroupName", PARAMETER_GROUP) or [
        g for g in of_type(resources, PARAMETER_GROUP) if name is not None and name == known_str(g.props, "name")]
    if not groups:
        if is_unknown(pending.read(cluster.props, "dbClusterParameterGroupName")):
            return None
        if name is None or name.startswith("default."):
            return (f"it uses the default cluster parameter group ({name or 'no dbClusterParameterGroupName'}), "
                    f"which loads no pgAudit")
        return f"its parameter group {name!r} is not declared in this stack, so pgAudit cannot be verified"
    problems: list[str] = []
    for group in groups:
        params = _parameters(group, pending)
        if params is None:
            return None
        libraries = params.get("shared_preload_libraries")
        loaded = {lib.strip().lower() for lib in str(libraries or "").split(",")}
        classes = str(params.get("pgaudit.log") or "").strip().lower()
        if "pgaudit" not in loaded:
            problems.append(f"parameter group '{group.name}' does not load pgaudit (shared_preload_libraries)")
        elif classes in ("", "none"):
            problems.append(f"parameter group '{group.name}' sets no pgaudit.log statement classes")
        else:
            return None
    return "; ".join(problems)


def _monitoring_problem(resource: PolicyResource, what: str, pending: Pending) -> str | None:
    """Why a cluster instance (or Multi-AZ cluster) has no enhanced monitoring (None: it has, or unknown)."""
    interval = pending.read(resource.props, "monitoringInterval")
    if is_unknown(interval):
        return None
    problems = []
    if not isinstance(interval, int | float) or int(interval) not in MONITORING_INTERVALS:
        problems.append(f"monitoringInterval is {interval!r}, not one of {', '.join(map(str, MONITORING_INTERVALS))}")
    if not is_set(resource.props, "monitoringRoleArn"):
        problems.append("no monitoringRoleArn")
    return f"{what} '{resource.name}' has no enhanced monitoring ({'; '.join(problems)})" if problems else None


def _instances(cluster: PolicyResource, resources: list[PolicyResource]) -> list[PolicyResource]:
    names = {n for n in (known_str(cluster.props, "clusterIdentifier"), known_str(cluster.props, "id")) if n}
    return attached_to(resources, (DB_INSTANCE,), "clusterIdentifier", cluster, names)


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """PostgreSQL clusters: a declared parameter group loading pgAudit with pgaudit.log, the postgresql log
    exported, enhanced monitoring on every instance."""
    pending = Pending()
    resources = list(args.resources)
    for cluster in of_type(resources, DB_CLUSTER):
        engine = pending.read(cluster.props, "engine")
        if is_unknown(engine):
            continue
        if engine not in POSTGRES_ENGINES:
            continue
        problems = [p for p in (_group_problem(cluster, resources, pending),) if p]
        exports = get_raw(cluster.props, "enabledCloudwatchLogsExports")
        if is_unknown(exports) or any(is_unknown(e) for e in as_list(exports)):
            pending.add(cluster.props, "enabledCloudwatchLogsExports")
        elif "postgresql" not in as_list(exports):
            problems.append("its postgresql log is not exported to CloudWatch Logs (enabledCloudwatchLogsExports)")
        monitored = [_monitoring_problem(i, "instance", pending) for i in _instances(cluster, resources)]
        if engine == "postgres" and not _instances(cluster, resources):
            monitored = [_monitoring_problem(cluster, "Multi-AZ cluster", pending)]
        problems += [p for p in monitored if p]
        if problems:
            report_violation(
                f"database cluster '{cluster.name}' ({engine}): {'; '.join(problems)}; a PostgreSQL cluster keeps an "
                f"audit log (pgAudit, exported) and enhanced monitoring on its instances",
                cluster.urn,
            )
    pending.settle()


RULE = Rule(
    id="database-audit-logging", severity="medium", check=check,
    description="PostgreSQL database clusters load pgAudit through their own cluster parameter group, export "
                "the postgresql log, and have enhanced monitoring on every instance.",
    anchors=("CKV2_AWS_27", "CKV_AWS_118", "CKV_AWS_324", "FSBP RDS.6", "FSBP RDS.37"),
    iso27001=("A.8.15", "A.8.16"), ccm=("LOG-07", "LOG-08"),
    remediation=(
        "aws.rds.ClusterParameterGroup(family='aurora-postgresql<major>', parameters=[{'name': "
        "'shared_preload_libraries', 'value': 'pg_stat_statements,pgaudit', 'apply_method': 'pending-reboot'}, "
        "{'name': 'pgaudit.log', 'value': 'ddl,role'}]) passed as db_cluster_parameter_group_name, "
        "enabled_cloudwatch_logs_exports=['postgresql'], and on each aws.rds.ClusterInstance monitoring_interval=60 "
        "with monitoring_role_arn of a role monitoring.rds.amazonaws.com assumes (AmazonRDSEnhancedMonitoringRole)."
    ),
)
