"""`connect:data`: the data the platform keeps. "All data" means the stores declared here: S3 buckets, EFS file
systems and Aurora PostgreSQL Serverless v2 clusters. Each is encrypted, private, protected, tagged for AWS Backup
and copied out of the region; services reach only the stores they name in `uses`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_snake

from components.config.base import SLUG, ConfigIssue, Model, Worded, days, pattern_hint, shown

if TYPE_CHECKING:
    from components.config.stack import StackConfig

STORE_NAME = SLUG  # a slug (components/config/base.py), with its own length limits
MIN_STORE_NAME, MAX_STORE_NAME = 2, 20
AURORA_POSTGRES_VERSIONS = ("16.4", "16.6", "17.4")
MAX_PITR_DAYS = 35  # RDS automated backups: 1 to 35 days
ACU_STEPS = tuple(x / 2 for x in range(0, 513))  # 0 to 256 ACUs in steps of 0.5
EngineVersion = Annotated[str, Field(json_schema_extra={"enum": list(AURORA_POSTGRES_VERSIONS)})]
MinAcu = Annotated[float, Field(ge=0, le=256, json_schema_extra={"multipleOf": 0.5})]
MaxAcu = Annotated[float, Field(ge=0, le=256, json_schema_extra={"minimum": 1, "multipleOf": 0.5})]
PitrDays = Annotated[int, Field(ge=1, le=MAX_PITR_DAYS), Worded(days)]


def _store_name(value: str) -> str:
    if not STORE_NAME.match(value) or not MIN_STORE_NAME <= len(value) <= MAX_STORE_NAME:
        raise ValueError(f"{shown(value)} is not a data store name; allowed: {MIN_STORE_NAME}-{MAX_STORE_NAME} "
                         "lowercase letters, digits and single hyphens, starting with a letter")
    return value


# A store's name, checked (and explained) wherever it is declared: buckets, file systems, databases.
StoreName = Annotated[str, AfterValidator(_store_name),
                      Field(json_schema_extra=pattern_hint(STORE_NAME, MIN_STORE_NAME, MAX_STORE_NAME))]


class BucketConfig(Model):
    """An S3 bucket: KMS, private, TLS-only, versioned and replicated to the DR region."""

    name: StoreName = Field(description="Store name (used by services' `uses`).")
    versioned: bool = Field(default=True, description="Must stay true: replication to the DR region needs it.")

    @field_validator("versioned")
    @classmethod
    def _versioned(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("false; allowed: true (the bucket replicates to the DR region, which needs versioning, "
                             "and versions are how deleted objects come back)")
        return value


class FileSystemConfig(Model):
    """An EFS file system: encrypted, mounted in the data subnets, replicated to the DR region."""

    name: StoreName = Field(description="Store name (used by services' `uses`).")
    path: str = Field(default="/data", description="Where services using it mount it.")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not re.match(r"^/[A-Za-z0-9_./-]{1,100}\Z", value) or ".." in value:
            raise ValueError(f"{shown(value)} is not a mount path; allowed: an absolute path like /data: '/' then up "
                             "to 100 letters, digits, '_', '.', '-' and '/', without '..'")
        return value


class DatabaseConfig(Model):
    """An Aurora PostgreSQL Serverless v2 cluster in the data subnets."""

    name: StoreName = Field(description="Store name (used by services' `uses`).")
    engine: Literal["aurora-postgresql"] = Field(default="aurora-postgresql", description="The engine: Aurora "
                                                 "PostgreSQL Serverless v2, the only one offered.")
    engine_version: EngineVersion = Field(default="16.6", description="Aurora PostgreSQL version.")
    min_capacity: MinAcu = Field(default=0.5, description="Minimum ACUs (0 to 256 in steps of 0.5).")
    max_capacity: MaxAcu = Field(default=8, description="Maximum ACUs (1 to 256 in steps of 0.5).")
    backup_retention_days: PitrDays = Field(default=14, description="Point-in-time recovery window, 1-35 days.")

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

    @field_validator("max_capacity")
    @classmethod
    def _range(cls, value: float, info: ValidationInfo) -> float:
        # On the field (not the model), so the issue names maxCapacity; minCapacity is validated first.
        floor = max(1.0, info.data.get("min_capacity", 0.0))
        if value < floor:
            raise ValueError(f"{value:g} ACUs is below {floor:g}; allowed: maxCapacity at least 1 and at least "
                             "minCapacity")
        return value


class DataConfig(Model):
    """The environment's data stores, keyed by name across all three kinds."""

    buckets: list[BucketConfig] = Field(default_factory=list)
    file_systems: list[FileSystemConfig] = Field(default_factory=list)
    databases: list[DatabaseConfig] = Field(default_factory=list)

    def names(self) -> list[str]:
        """Every store name, in declaration order."""
        stores: list[BucketConfig | FileSystemConfig | DatabaseConfig] = [
            *self.buckets, *self.file_systems, *self.databases]
        return [s.name for s in stores]


def data_issues(cfg: StackConfig) -> list[ConfigIssue]:
    """Store names unique across kinds; services use only declared stores."""
    issues: list[ConfigIssue] = []
    seen: dict[str, str] = {}
    for kind in ("buckets", "fileSystems", "databases"):
        for index, store in enumerate(getattr(cfg.data, to_snake(kind))):
            if store.name in seen:
                issues.append(ConfigIssue(path=f"connect:data.{kind}[{index}].name", message=f"{store.name!r} is "
                                          f"already {seen[store.name]}; allowed: unique names across buckets, file "
                                          "systems and databases"))
            seen.setdefault(store.name, f"connect:data.{kind}[{index}]")
    for index, service in enumerate(cfg.services):
        for position, name in enumerate(service.uses):
            if name not in seen:
                declared = ", ".join(seen) or "none declared"
                issues.append(ConfigIssue(path=f"connect:services[{index}].uses[{position}]", message=f"{shown(name)} "
                                          f"is not a data store of this stack; allowed: {declared}"))
    return issues
