"""`connect:registry`: ECR in the client's account (account stacks only), one repository per microservice."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from components.config.base import Model, pattern_hint, strict_int

REPOSITORY_NAME = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*\Z", re.ASCII)
ExpireDays = Annotated[int, Field(ge=1, le=365)]
KeepTagged = Annotated[int, Field(ge=1, le=1000)]
RepositoryName = Annotated[str, Field(json_schema_extra=pattern_hint(REPOSITORY_NAME, 2, 256))]


class LifecycleConfig(Model):
    """Image lifecycle: untagged images expire, only the newest tagged ones are kept."""

    untagged_expire_days: ExpireDays = Field(default=14, description="Days before an untagged image expires (1-365).")
    keep_tagged: KeepTagged = Field(default=100, description="How many tagged images to keep per repository (1-1000).")

    @field_validator("untagged_expire_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> int:
        return strict_int(value, "days", 1, 365)

    @field_validator("keep_tagged", mode="before")
    @classmethod
    def _keep(cls, value: Any) -> int:
        return strict_int(value, "images", 1, 1000)


class RegistryConfig(Model):
    """ECR in the client's account (account stacks only): one repository per microservice."""

    repositories: list[RepositoryName] = Field(description="Repository names, one per microservice image.")
    scanning: Literal["basic", "enhanced"] = Field(
        default="basic", description="basic: scan on push; enhanced: Amazon Inspector continuous scanning."
    )
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)
    replicate_to_dr: bool = Field(default=True, description="Replicate every repository to the DR region.")

    @field_validator("repositories")
    @classmethod
    def _repositories(cls, value: list[str]) -> list[str]:
        for name in value:
            if not (2 <= len(name) <= 256) or not REPOSITORY_NAME.match(name):
                raise ValueError(
                    f"{name!r} is not an ECR repository name; allowed: 2-256 lowercase letters, digits, "
                    "'.', '_', '-' between them, '/' for namespaces"
                )
        dupes = sorted({n for n in value if value.count(n) > 1})
        if dupes:
            raise ValueError(f"repository listed twice: {', '.join(dupes)}; each once")
        return value
