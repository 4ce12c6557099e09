"""`connect:registry`: ECR in the client's account (account stacks only), one repository per microservice."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from components.config.base import Model, each_once, pattern_hint, whole

REPOSITORY_NAME = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*\Z", re.ASCII)
ExpireDays = Annotated[int, Field(ge=1, le=365), whole("days")]
KeepTagged = Annotated[int, Field(ge=1, le=1000), whole("images")]
MIN_REPOSITORY_NAME, MAX_REPOSITORY_NAME = 2, 256
RepositoryName = Annotated[str, Field(json_schema_extra=pattern_hint(REPOSITORY_NAME, MIN_REPOSITORY_NAME,
                                                                     MAX_REPOSITORY_NAME))]


class LifecycleConfig(Model):
    """Image lifecycle: untagged images expire, only the newest tagged ones are kept."""

    untagged_expire_days: ExpireDays = Field(default=14, description="Days before an untagged image expires (1-365).")
    keep_tagged: KeepTagged = Field(default=100, description="How many tagged images to keep per repository (1-1000).")


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
            if not (MIN_REPOSITORY_NAME <= len(name) <= MAX_REPOSITORY_NAME) or not REPOSITORY_NAME.match(name):
                raise ValueError(
                    f"{name!r} is not an ECR repository name; allowed: {MIN_REPOSITORY_NAME}-{MAX_REPOSITORY_NAME} "
                    "lowercase letters, digits, '.', '_', '-' between them, '/' for namespaces"
                )
        each_once(value, "repository listed twice: {}; each once")
        return value
