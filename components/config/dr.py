"""`connect:dr`: how the environment survives the loss of its region (mode, backup plan, standby, failover)."""

from __future__ import annotations

import contextlib
import ipaddress
import re
from functools import partial
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator

from components.config.base import ConfigIssue, Model, Worded, amount, days, matching, pattern_hint, shown
from components.config.network import vpc_cidr
from components.config.services import CERTIFICATE_ARN, CertificateArn

if TYPE_CHECKING:
    from components.config.stack import StackConfig

# AWS Backup schedule expressions: cron(6 fields) or rate(N unit).
SCHEDULE = re.compile(r"^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minutes?|hours?|days?)\))\Z", re.ASCII)
CONTINUOUS_MAX_DAYS = 35
MAX_RETENTION_DAYS = 36500  # AWS Backup keeps recovery points up to 100 years
MAX_WARM_STANDBY_BASE = 10
LATEST = "latest"  # connect:dr.restoreFrom: the newest DR copy, resolved at deploy time (components/dr.py)
# RDS cluster snapshot ARNs; AWS Backup's copies are named `awsbackup:copyjob-<id>`.
CLUSTER_SNAPSHOT_ARN = re.compile(
    r"^arn:aws:rds:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):cluster-snapshot:[A-Za-z0-9:-]{1,255}\Z")
Schedule = Annotated[str, Field(json_schema_extra=pattern_hint(SCHEDULE)), matching(
    SCHEDULE, "an AWS Backup schedule", "cron(min hour day month weekday year) or rate(N hours)", quote=shown)]
RetentionDays = Annotated[int, Field(ge=1, le=MAX_RETENTION_DAYS), Worded(days)]
StandbyTasks = Annotated[int, Field(ge=1, le=MAX_WARM_STANDBY_BASE),
                         Worded(partial(amount, what="tasks", per=" tasks per service"))]


class BackupConfig(Model):
    """The AWS Backup plan: schedule, retention in both regions, continuous backup."""

    schedule: Schedule = Field(default="cron(0 5 * * ? *)", description="AWS Backup schedule (cron or rate), UTC.")
    retention_days: RetentionDays = Field(default=35, description="Days recovery points stay in the primary vault.")
    copy_retention_days: RetentionDays = Field(default=35, description="Days copies stay in the DR vault.")
    continuous: bool = Field(default=True, description="Continuous backup (point-in-time) where AWS supports it.")


class DrConfig(Model):
    """How the environment survives the loss of its region."""

    mode: Literal["backup-restore", "pilot-light", "warm-standby"] = Field(
        default="backup-restore", description="backup-restore: copies only; pilot-light: network, cluster and "
        "load balancer ready in the DR region, services at zero; warm-standby: services running at a reduced base.")
    backup: BackupConfig = Field(default_factory=BackupConfig)
    warm_standby_base: StandbyTasks = Field(default=1, description="Tasks per service in warm standby (1-10).")
    cidr: str | None = Field(default=None, description="VPC block in the DR region (default: the primary's).")
    certificate_arn: CertificateArn | None = Field(
        default=None, description="ACM certificate in the DR region, for the "
        "standby load balancer (pilot-light and warm-standby with services).")
    vpn: bool | None = Field(default=None, description="VPN links also end in the DR region (default: on in "
                             "pilot-light and warm-standby when connect:vpn has connections; backup-restore may "
                             "opt in, which builds the DR network for them).")
    active: bool = Field(default=False, description="Failover: the DR region serves. Databases are restored from "
                         "the DR vault's copies (`restoreFrom`), the standby services run at the client's base "
                         "capacity with the primary's scaling range, and every service name answers with the "
                         "standby. Nothing of the primary region is asked or changed. Fail back with false "
                         "(docs/dr-runbook.md).")
    restore_from: dict[str, str] = Field(default_factory=dict, description="Per database (name): the DR-region "
                                         "cluster snapshot to restore when active, as its ARN, or `latest` (the "
                                         "newest copy AWS Backup made of that database; the default).")

    @field_validator("restore_from")
    @classmethod
    def _restore(cls, value: dict[str, str]) -> dict[str, str]:
        for name, source in value.items():
            if source != LATEST and not CLUSTER_SNAPSHOT_ARN.match(source):
                raise ValueError(f"{name}: {shown(source)} is not a cluster snapshot; allowed: latest, or "
                                 "arn:aws:rds:<dr region>:<account>:cluster-snapshot:<id>")
        return value

    @property
    def standby(self) -> bool:
        """The DR region runs a network and platform (not only backups)."""
        return self.mode != "backup-restore"

    @property
    def runs_standby(self) -> bool:
        """A network and platform run in the DR region: a standby mode, or a failover from backup-restore."""
        return self.standby or self.active

    def vpn_enabled(self, has_connections: bool) -> bool:
        """The VPN links end in the DR region too: explicitly, or by default in the standby modes."""
        return has_connections and (self.vpn if self.vpn is not None else self.runs_standby)

    def restore_source(self, database: str) -> str:
        """What the DR copy of a database is restored from when active: an ARN, or `latest`."""
        return self.restore_from.get(database, LATEST)


def dr_setting_issues(cfg: StackConfig) -> list[ConfigIssue]:
    """The standby load balancer's certificate (in the DR region, of the tenant) and the DR VPC block."""
    issues: list[ConfigIssue] = []
    # Required only where a standby load balancer exists; checked whenever set, like connect:dr.cidr.
    certificate = cfg.dr.certificate_arn
    match = CERTIFICATE_ARN.match(certificate or "")
    if certificate is None:
        if cfg.dr.runs_standby and cfg.services:
            issues.append(ConfigIssue(path="connect:dr.certificateArn", message=f"required in {cfg.dr.mode} with "
                                      f"services: the standby load balancer in {cfg.tenant.dr_region} needs a "
                                      "certificate of that region"))
    elif not match:
        issues.append(ConfigIssue(path="connect:dr.certificateArn", message=f"{shown(certificate)} is not an ACM "
                                  "certificate ARN; allowed: arn:aws:acm:<region>:<account>:certificate/<id>"))
    elif (match.group(1), match.group(2)) != (cfg.tenant.dr_region, cfg.tenant.account_id):
        issues.append(ConfigIssue(path="connect:dr.certificateArn", message=f"certificate in {match.group(1)} "
                                  f"/ account {match.group(2)}; allowed: {cfg.tenant.dr_region} / "
                                  f"{cfg.tenant.account_id}"))
    if cfg.dr.cidr is not None:
        try:
            vpc_cidr(cfg.dr.cidr)
        except ValueError as exc:
            issues.append(ConfigIssue(path="connect:dr.cidr", message=str(exc)))
    return issues


def dr_issues(cfg: StackConfig) -> list[ConfigIssue]:
    """A DR region the client can reach and fail over to: its own VPC block, known restore sources, and a
    failover that never needs to ask the primary region."""
    issues: list[ConfigIssue] = []
    dr, tenant = cfg.dr, cfg.tenant
    connections = cfg.vpn.connections if cfg.vpn else []
    if dr.vpn_enabled(bool(connections)):
        # Both regions announce their VPC block to the same data centres over BGP or static routes: one block in
        # both would leave the client's routers two paths to the same addresses and no way to reach the standby.
        if dr.cidr is None:
            issues.append(ConfigIssue(path="connect:dr.cidr", message="required when the VPN links end in the DR "
                                      f"region too: the data centres route to both VPCs; allowed: a block outside "
                                      f"{cfg.net.cidr} and the on-premises ranges"))
        else:
            with contextlib.suppress(ValueError):
                block = ipaddress.IPv4Network(dr.cidr)
                if block.overlaps(cfg.net.network):
                    issues.append(ConfigIssue(path="connect:dr.cidr", message=f"{dr.cidr} overlaps the primary VPC "
                                              f"{cfg.net.cidr}; allowed: a block the data centres can route apart"))
                for conn in connections:
                    for cidr in conn.on_prem_cidrs:
                        if block.overlaps(ipaddress.IPv4Network(cidr)):
                            issues.append(ConfigIssue(path="connect:dr.cidr", message=f"{dr.cidr} overlaps "
                                                      f"{cidr} of {conn.name!r}; allowed: a block outside the "
                                                      "on-premises ranges"))
    databases = [d.name for d in cfg.data.databases]
    for name, source in dr.restore_from.items():
        at = f"connect:dr.restoreFrom.{name}"
        if name not in databases:
            issues.append(ConfigIssue(path=at, message=f"{name!r} is not a database of this stack; allowed: "
                                      f"{', '.join(databases) or 'none declared'}"))
        match = CLUSTER_SNAPSHOT_ARN.match(source)
        if match and (match.group(1), match.group(2)) != (tenant.dr_region, tenant.account_id):
            issues.append(ConfigIssue(path=at, message=f"snapshot in {match.group(1)} / account {match.group(2)}; "
                                      f"allowed: a copy in {tenant.dr_region} / {tenant.account_id} (the primary "
                                      "region's snapshots are out of reach in a regional outage)"))
    if dr.active and cfg.explicit_zones() is None:
        issues.append(ConfigIssue(path="connect:network.availabilityZones", message="a count while connect:dr."
                                  "active is true: the zones would be asked of the primary region, which a failover "
                                  "must not need; allowed: the zones by name, as the stack output `zones` lists them"))
    return issues
