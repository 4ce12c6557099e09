"""What a declared failover (`connect:dr.active: true`) needs of the live account, checked before it is declared.

`connectctl dr verify` (and the audit) run these beside the DR vault's and the secrets' checks:

- `dr-restore-source`: each database's `connect:dr.restoreFrom` resolves in the DR region. `latest` is resolved the
  way the program resolves it at `pulumi up` (components/dr.py `_snapshot`): the newest cluster snapshot of type
  `awsbackup` of `<client>-<env>-<database>`, asked of the DR region only (rds:DescribeDBClusterSnapshots). The check
  reports which copy that is now; none means a failover would have nothing to restore. A pinned ARN must name a
  snapshot there. Either must be `available`: a copy still being made cannot be restored.
- `dr-certificate-names`: the load balancers' certificates (`connect:platform.certificateArn` and
  `connect:dr.certificateArn`, each in its own region) cover every service name `<service>.<zone>`, by `*.<zone>` or
  the name itself (ACM DescribeCertificate's SubjectAlternativeNames; a wildcard covers one label). A name its
  region's certificate does not cover fails TLS the moment it answers from that region, which in the DR region is
  the middle of an incident.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from components.config import LATEST
from connectctl.audit.context import AuditContext, paginate
from connectctl.audit.model import Check, Finding, Outcome

SNAPSHOT_ARN = re.compile(r"^arn:[^:]+:rds:([^:]+):(\d{12}):cluster-snapshot:(.+)\Z")
AVAILABLE = "available"
BACKUP_TYPE = "awsbackup"  # the SnapshotType of the cluster snapshots AWS Backup makes and copies
CERTIFICATE = "AWS::CertificateManager::Certificate"
SNAPSHOT = "AWS::RDS::DBClusterSnapshot"
FAILOVER_CHECK_IDS = ("dr-restore-source", "dr-certificate-names")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a snapshot without a creation time sorts first


def _age(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "age unknown"
    hours = (now - then) / timedelta(hours=1)
    return f"{hours:.1f} h old" if hours < 48 else f"{hours / 24:.1f} days old"


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("DBClusterSnapshotNotFoundFault",
                                                         "ResourceNotFoundException")


def _copies(rds: Any, cluster: str) -> list[dict[str, Any]]:
    """AWS Backup's copies of a cluster in the region, as the program's `most_recent` lookup sees them."""
    return list(paginate(rds, "describe_db_cluster_snapshots", "DBClusterSnapshots", DBClusterIdentifier=cluster,
                         SnapshotType=BACKUP_TYPE))


def _pinned(rds: Any, identifier: str) -> dict[str, Any] | None:
    """The snapshot a pinned ARN names: manual ones are found by identifier alone, AWS Backup's with their type."""
    for extra in ({}, {"SnapshotType": BACKUP_TYPE}):
        try:
            found = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=identifier, **extra)
        except ClientError as exc:
            if not _missing(exc):
                raise
            continue
        if found.get("DBClusterSnapshots"):
            return dict(found["DBClusterSnapshots"][0])
    return None


def dr_restore_source(ctx: AuditContext) -> Outcome:
    """Every database has something to restore in the DR region: `latest` resolved to the newest AWS Backup copy
    (reported), or the pinned snapshot; both available."""
    databases = ctx.cfg.data.databases
    if not databases:
        return Outcome(not_applicable="no databases declared: a failover restores none")
    region = ctx.dr_region
    rds = ctx.client("rds", region)
    outcome = Outcome(examined=len(databases))
    resolved: list[str] = []

    def find(resource: str, message: str, database: str, arn: str | None = None) -> None:
        outcome.findings.append(Finding("dr-restore-source", "high", resource, SNAPSHOT, message, region, arn,
                                        f"connect:dr.restoreFrom.{database}"))

    for database in databases:
        name, source = database.name, ctx.cfg.dr.restore_source(database.name)
        cluster = f"{ctx.prefix}-{name}"
        if source == LATEST:
            copies = _copies(rds, cluster)
            if not copies:
                find(cluster, f"database {name} (restoreFrom: latest): no AWS Backup copy of cluster {cluster} in "
                     f"{region}, so a failover (connect:dr.active) would have nothing to restore it from; check the "
                     f"backup plan's copy jobs to {region} (AWS Backup console, both regions)", name)
                continue
            newest = max(copies, key=lambda s: s.get("SnapshotCreateTime") or EPOCH)
            arn = str(newest.get("DBClusterSnapshotArn"))
            if newest.get("Status") != AVAILABLE:
                ready = [s for s in copies if s.get("Status") == AVAILABLE]
                fallback = max(ready, key=lambda s: s.get("SnapshotCreateTime") or EPOCH) if ready else None
                pin = (f"pin connect:dr.restoreFrom.{name} to {fallback['DBClusterSnapshotArn']} (the newest available "
                       "one)" if fallback else "no copy of it is available yet")
                find(arn.rsplit(":", 1)[-1], f"database {name} (restoreFrom: latest): the newest AWS Backup copy in "
                     f"{region}, {arn}, is {newest.get('Status')}: `pulumi up` restores the newest, which cannot be "
                     f"restored until it is available; wait for it, or {pin}", name, arn)
                continue
            resolved.append(f"{name}: latest = {arn} ({_age(ctx.now, newest.get('SnapshotCreateTime'))})")
            continue
        match = SNAPSHOT_ARN.match(source)
        identifier = match.group(3) if match else source
        snapshot = _pinned(rds, identifier)
        if snapshot is None:
            find(identifier, f"database {name}: connect:dr.restoreFrom.{name} names {source}, which does not exist in "
                 f"{region}: a failover would fail to restore it; pin a copy that exists (`aws rds "
                 f"describe-db-cluster-snapshots --region {region} --db-cluster-identifier {cluster} --snapshot-type "
                 f"{BACKUP_TYPE}`), or `latest`", name, source)
        elif snapshot.get("Status") != AVAILABLE:
            find(identifier, f"database {name}: the pinned snapshot {source} is {snapshot.get('Status')} in {region}: "
                 "it cannot be restored until it is available", name, source)
        else:
            resolved.append(f"{name}: {source} ({_age(ctx.now, snapshot.get('SnapshotCreateTime'))})")
    outcome.note = f"restore sources in {region}: " + ("; ".join(resolved) or "none resolved")
    return outcome


def covers(pattern: str, name: str) -> bool:
    """A certificate name (`*.prod.acme.connect.internal` or an exact name) covers a host name; a wildcard stands for
    exactly one label (RFC 6125 as ACM issues them), case aside."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == name


def dr_certificate_names(ctx: AuditContext) -> Outcome:
    """Each region's load balancer certificate covers every service name, so the names serve TLS wherever they
    answer from."""
    cfg = ctx.cfg
    if not cfg.services:
        return Outcome(not_applicable="no services declared: no load balancer answers a name")
    zone = cfg.dns_zone_name
    names = [f"{service.name}.{zone}" for service in sorted(cfg.services, key=lambda s: s.name)]
    wanted = [(path, which, arn) for path, which, arn in (
        ("connect:platform.certificateArn", "primary", cfg.platform.certificate_arn),
        ("connect:dr.certificateArn", "standby", cfg.dr.certificate_arn)) if arn]
    outcome = Outcome(examined=len(wanted), note=f"{len(names)} name(s) in {zone}")
    for path, which, arn in wanted:
        region = arn.split(":")[3]
        resource = arn.rsplit("/", 1)[-1]

        def find(message: str, config_path: str = path, certificate: str = arn, where: str = region,
                 resource_id: str = resource) -> None:
            outcome.findings.append(Finding("dr-certificate-names", "high", resource_id, CERTIFICATE, message, where,
                                            certificate, config_path))

        try:
            certificate = ctx.client("acm", region).describe_certificate(CertificateArn=arn)["Certificate"]
        except ClientError as exc:
            if not _missing(exc):
                raise
            find(f"the {which} load balancer's certificate {arn} does not exist in {region}: its HTTPS listener "
                 f"cannot serve {zone}; set {path} to a certificate of {region} that covers *.{zone}")
            continue
        sans = [str(s) for s in certificate.get("SubjectAlternativeNames") or [certificate.get("DomainName")] if s]
        status = str(certificate.get("Status", "?"))
        if status != "ISSUED":
            find(f"the {which} load balancer's certificate {arn} in {region} is {status}, not ISSUED: its HTTPS "
                 "listener cannot serve the names; renew or replace it")
        uncovered = [n for n in names if not any(covers(san, n) for san in sans)]
        if uncovered:
            find(f"the {which} load balancer's certificate {arn} in {region} covers {', '.join(sans) or 'no name'}, "
                 f"not {', '.join(uncovered)}: clients of those names get a TLS error when they answer from {region}; "
                 f"issue or import a certificate for *.{zone} (or each name) and set {path}")
    return outcome


FAILOVER_CHECKS: tuple[Check, ...] = (
    Check("dr-restore-source", "Each database has a copy to restore in the DR region", "high",
          "Each database's connect:dr.restoreFrom resolves in the DR region as `pulumi up` would resolve it when "
          "connect:dr.active is set: `latest` is the newest AWS Backup copy of `<client>-<env>-<database>` "
          "(DescribeDBClusterSnapshots, type awsbackup, in the DR region only; reported), a pinned ARN a snapshot "
          "that exists there; either available.",
          "Check the backup plan's copy jobs to the DR region (AWS Backup console, both regions); pin "
          "connect:dr.restoreFrom to a copy that exists and is available.",
          dr_restore_source),
    Check("dr-certificate-names", "The load balancers' certificates cover the service names", "high",
          "The certificates of connect:platform.certificateArn and connect:dr.certificateArn (ACM, each in its "
          "region) are issued and cover every `<service>.<zone>` of the stack's private zone, by `*.<zone>` or the "
          "name itself (SubjectAlternativeNames): the names answer from either region.",
          "Issue or import a certificate for `*.<zone>` (connect:platform.dnsZone, default "
          "`<env>.<client>.connect.internal`) in each region and set its ARN in the stack file.",
          dr_certificate_names),
)
