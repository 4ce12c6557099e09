"""Typed config of the data the platform keeps and how it survives a region (`connect:data`, `connect:dr`).

"All data" means the stores declared here: S3 buckets, EFS file systems and Aurora PostgreSQL
Serverless v2 clusters. Each is encrypted, private, protected, tagged for AWS Backup and copied
out of the region; services reach only the stores they name in `uses`.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

STORE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\Z", re.ASCII)
# AWS Backup schedule expressions: cron(6 fields) or rate(N unit).
SCHEDULE = re.compile(r"^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minutes?|hours?|days?)\))\Z", re.ASCII)
AURORA_POSTGRES_VERSIONS = ("16.4", "16.6", "17.4")
ACU_STEPS = tuple(x / 2 for x in range(0, 513))  # 0 to 256 ACUs in steps of 0.5
CONTINUOUS_MAX_DAYS = 35
LATEST = "latest"  # connect:dr.restoreFrom: the newest DR copy, resolved at deploy time (components/dr.py)
# RDS cluster snapshot ARNs; AWS Backup's copies are named `awsbackup:copyjob-<id>`.
CLUSTER_SNAPSHOT_ARN = re.compile(
    r"^arn:aws:rds:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):cluster-snapshot:[A-Za-z0-9:-]{1,255}\Z")


class _Model(BaseModel):
    """Stack-file models: camelCase keys, unknown keys rejected, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True)


# Secret config values (and their texts) while a stack config is validated: `shown` hides them before it
# cuts a value short, so not even a prefix of a secret reaches a message (set by `parse_stack_config`).
SECRET_TEXTS: ContextVar[frozenset[str]] = ContextVar("secret_texts", default=frozenset())
SECRET = "[secret]"


def hide_secrets(text: str, secrets: frozenset[str] | None = None) -> str:
    """`text` with every secret replaced by `[secret]`, also where it appears escaped (`repr`)."""
    for secret in sorted(SECRET_TEXTS.get() if secrets is None else secrets, key=len, reverse=True):
        text = text.replace(secret, SECRET)
        escaped = repr(secret)[1:-1]
        if escaped != secret:
            text = text.replace(escaped, SECRET)
    return text


def shown(value: Any, limit: int = 80) -> str:
    """A value as the user wrote it, secrets hidden, cut short so one huge value cannot flood the report."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's int-to-text limit (4300 digits)
        return "a number of over 4300 digits"
    text = hide_secrets(text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _store_name(value: str) -> str:
    if not STORE_NAME.match(value) or not 2 <= len(value) <= 20:
        raise ValueError(f"{shown(value)} is not a data store name; allowed: 2-20 lowercase letters, digits and single "
                         "hyphens, starting with a letter")
    return value


def _days(value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{shown(value)} is not a number of days; allowed: {lo} to {hi}")
    return value


class BucketConfig(_Model):
    """An S3 bucket: KMS, private, TLS-only, versioned and replicated to the DR region."""

    name: str = Field(description="Store name (used by services' `uses`).")
    versioned: bool = Field(default=True, description="Must stay true: replication to the DR region needs it.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _store_name(value)

    @field_validator("versioned")
    @classmethod
    def _versioned(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("false; allowed: true (the bucket replicates to the DR region, which needs versioning, "
                             "and versions are how deleted objects come back)")
        return value


class FileSystemConfig(_Model):
    """An EFS file system: encrypted, mounted in the data subnets, replicated to the DR region."""

    name: str = Field(description="Store name (used by services' `uses`).")
    path: str = Field(default="/data", description="Where services using it mount it.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _store_name(value)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not re.match(r"^/[A-Za-z0-9_./-]{1,100}\Z", value) or ".." in value:
            raise ValueError(f"{shown(value)} is not a mount path; allowed: an absolute path like /data: '/' then up "
                             "to 100 letters, digits, '_', '.', '-' and '/', without '..'")
        return value


class DatabaseConfig(_Model):
    """An Aurora PostgreSQL Serverless v2 cluster in the data subnets."""

    name: str = Field(description="Store name (used by services' `uses`).")
    engine: Literal["aurora-postgresql"] = Field(default="aurora-postgresql")
    engine_version: str = Field(default="16.6", description="Aurora PostgreSQL version.")
    min_capacity: float = Field(default=0.5, description="Minimum ACUs (0 to 256 in steps of 0.5).")
    max_capacity: float = Field(default=8, description="Maximum ACUs (1 to 256 in steps of 0.5).")
    backup_retention_days: int = Field(default=14, description="Point-in-time recovery window, 1-35 days.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _store_name(value)

    @field_validator("engine_version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        # Before pydantic's type check: unquoted `16.6` is a YAML number, which would get no list of versions.
        allowed = ", ".join(AURORA_POSTGRES_VERSIONS)
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"{shown(value)} is a number; allowed: {allowed}, quoted (e.g. \"16.6\") so YAML keeps "
                             "it text")
        if value not in AURORA_POSTGRES_VERSIONS:
            raise ValueError(f"{shown(value)} is not a supported version; allowed: {allowed}")
        return value

    @field_validator("min_capacity", "max_capacity", mode="before")
    @classmethod
    def _acu(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float) or value not in ACU_STEPS:
            raise ValueError(f"{shown(value)} is not an Aurora capacity; allowed: 0 to 256 ACUs in steps of 0.5")
        return value

    @field_validator("backup_retention_days", mode="before")
    @classmethod
    def _retention(cls, value: Any) -> int:
        return _days(value, 1, 35)

    @field_validator("max_capacity")
    @classmethod
    def _range(cls, value: float, info: ValidationInfo) -> float:
        # On the field (not the model), so the issue names maxCapacity; minCapacity is validated first.
        floor = max(1.0, info.data.get("min_capacity", 0.0))
        if value < floor:
            raise ValueError(f"{value:g} ACUs is below {floor:g}; allowed: maxCapacity at least 1 and at least "
                             "minCapacity")
        return value


class DataConfig(_Model):
    """The environment's data stores, keyed by name across all three kinds."""

    buckets: list[BucketConfig] = Field(default_factory=list)
    file_systems: list[FileSystemConfig] = Field(default_factory=list)
    databases: list[DatabaseConfig] = Field(default_factory=list)

    def names(self) -> list[str]:
        """Every store name, in declaration order."""
        stores: list[BucketConfig | FileSystemConfig | DatabaseConfig] = [
            *self.buckets, *self.file_systems, *self.databases]
        return [s.name for s in stores]


class BackupConfig(_Model):
    """The AWS Backup plan: schedule, retention in both regions, continuous backup."""

    schedule: str = Field(default="cron(0 5 * * ? *)", description="AWS Backup schedule (cron or rate), UTC.")
    retention_days: int = Field(default=35, description="Days recovery points stay in the primary vault.")
    copy_retention_days: int = Field(default=35, description="Days copies stay in the DR vault.")
    continuous: bool = Field(default=True, description="Continuous backup (point-in-time) where AWS supports it.")

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if not SCHEDULE.match(value):
            raise ValueError(f"{shown(value)} is not an AWS Backup schedule; allowed: cron(min hour day month weekday "
                             "year) or rate(N hours)")
        return value

    @field_validator("retention_days", "copy_retention_days", mode="before")
    @classmethod
    def _retention(cls, value: Any) -> int:
        return _days(value, 1, 36500)


class DrConfig(_Model):
    """How the environment survives the loss of its region."""

    mode: Literal["backup-restore", "pilot-light", "warm-standby"] = Field(
        default="backup-restore", description="backup-restore: copies only; pilot-light: network, cluster and "
        "load balancer ready in the DR region, services at zero; warm-standby: services running at a reduced base.")
    backup: BackupConfig = Field(default_factory=BackupConfig)
    warm_standby_base: int = Field(default=1, description="Tasks per service in warm standby (1-10).")
    cidr: str | None = Field(default=None, description="VPC block in the DR region (default: the primary's).")
    certificate_arn: str | None = Field(default=None, description="ACM certificate in the DR region, for the "
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

    @field_validator("warm_standby_base", mode="before")
    @classmethod
    def _base(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
            raise ValueError(f"{shown(value)} is not a number of tasks; allowed: 1 to 10 tasks per service")
        return value

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
