"""Typed config of the container platform: the account's registry, the environment's platform and
the client's microservices (`connect:registry`, `connect:platform`, `connect:services`).

Client teams edit their own `connect:services` entries, so every limit AWS would enforce later
(Fargate sizes, listener rules, name lengths) is checked here, with the allowed values in the
message. See `../shared/reference/aws-limits.md`.
"""

from __future__ import annotations

import re
import zlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.limits import log_retention
from components.release_config import ReleaseGateConfig, ReleaseOverrideConfig

# Fargate (Linux) task sizes: cpu units -> allowed memory in MiB.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\Z", re.ASCII)
REPOSITORY_NAME = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*\Z", re.ASCII)
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z", re.ASCII)
IMAGE_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}\Z", re.ASCII)
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z", re.ASCII)
SECRET_ARN = re.compile(
    r"^arn:aws:(secretsmanager|ssm):([a-z0-9-]+):(\d{12}):(secret:[\w/+=.@-]+|parameter/[\w/.-]+)\Z", re.ASCII
)
# ECS takes a Secrets Manager secret by its full ARN only, the "-" and 6 characters Secrets Manager appends
# included (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Secret.html); a partial ARN also
# matches no secret in an IAM policy (components/platform.py, SECRET_SUFFIX).
COMPLETE_SECRET = re.compile(r":secret:[\w/+=.@-]+-[A-Za-z0-9]{6}\Z", re.ASCII)
CERTIFICATE_ARN = re.compile(r"^arn:aws:acm:([a-z0-9-]+):(\d{12}):certificate/[0-9a-f-]{36}\Z", re.ASCII)
PATH_PATTERN = re.compile(r"^[A-Za-z0-9_\-.$/~\"'@:+*?&]{1,128}\Z", re.ASCII)
HOST_PATTERN = re.compile(r"^[A-Za-z0-9*?.-]{1,128}\Z", re.ASCII)
DNS_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DNS_ZONE = re.compile(rf"^({DNS_LABEL}\.)+{DNS_LABEL}\Z", re.ASCII)
MAX_SERVICE_NAME = 24
DERIVED_PRIORITIES = (1000, 49000)  # derived priorities live here; explicit ones anywhere in 1-50000
RESERVED_ENV = ("AWS_", "ECS_")


class _Model(BaseModel):
    """Stack-file models: camelCase keys, unknown keys rejected, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True)


def _strict_int(value: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number; allowed: {what} from {lo} to {hi}")
    if not lo <= value <= hi:
        raise ValueError(f"{value} is out of range; allowed: {what} from {lo} to {hi}")
    return value


class LifecycleConfig(_Model):
    """Image lifecycle: untagged images expire, only the newest tagged ones are kept."""

    untagged_expire_days: int = Field(default=14, description="Days before an untagged image expires (1-365).")
    keep_tagged: int = Field(default=100, description="How many tagged images to keep per repository (1-1000).")

    @field_validator("untagged_expire_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> int:
        return _strict_int(value, "days", 1, 365)

    @field_validator("keep_tagged", mode="before")
    @classmethod
    def _keep(cls, value: Any) -> int:
        return _strict_int(value, "images", 1, 1000)


class RegistryConfig(_Model):
    """ECR in the client's account (account stacks only): one repository per microservice."""

    repositories: list[str] = Field(description="Repository names, one per microservice image.")
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


class AccessLogsConfig(_Model):
    """Load balancer access logs: always on; only how long the bucket keeps them."""

    retention_days: int = Field(default=365, description="Days the access-log bucket keeps objects (30-3653).")

    @field_validator("retention_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> int:
        return _strict_int(value, "days", 30, 3653)


class PlatformConfig(_Model):
    """The environment's container platform (environment stacks)."""

    certificate_arn: str | None = Field(
        default=None, description="ACM certificate of the internal load balancer's HTTPS listener (required "
        "when services are declared): arn:aws:acm:<region>:<account>:certificate/<id>, in the tenant account.",
    )
    access_logs: AccessLogsConfig = Field(default_factory=AccessLogsConfig)
    log_retention_days: int = Field(default=365, description="Retention of the services' log groups.")
    release: ReleaseGateConfig = Field(default_factory=ReleaseGateConfig, description="The release gate "
                                       "(connectctl release): the scan threshold of the stack's images. Read by "
                                       "connectctl only.")
    dns_zone: str | None = Field(
        default=None, description="Private DNS zone of the environment, where each service is named "
        "`<service>.<zone>` in both regions (default `<environment>.<client>.connect.internal`). The load "
        "balancers' certificates must cover `*.<zone>`.",
    )

    @field_validator("dns_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        # Route 53: labels of letters, digits and hyphens, 63 characters each, 255 in all; we keep them lowercase
        # (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html).
        if value is not None and (len(value) > 200 or not DNS_ZONE.match(value)):
            raise ValueError(f"{value!r} is not a DNS zone name; allowed: lowercase labels of letters, digits and "
                             "hyphens joined by dots, at least two labels, at most 200 characters "
                             "(e.g. prod.acme.example.com)")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None and not CERTIFICATE_ARN.match(value):
            raise ValueError(
                f"{value!r} is not an ACM certificate ARN; allowed: arn:aws:acm:<region>:<12-digit account>:"
                "certificate/<36-character id>"
            )
        return value

    @field_validator("log_retention_days", mode="before")
    @classmethod
    def _retention(cls, value: Any) -> Any:
        return log_retention(value)


class ImageConfig(_Model):
    """The image a service runs: a repository of the account stack and a pinned tag or digest."""

    repository: str = Field(description="Repository name, declared in the account stack's connect:registry.")
    tag: str | None = Field(default=None, description="Image tag (immutable in ECR), e.g. 1.4.2.")
    digest: str | None = Field(default=None, description="Image digest, sha256:<64 hex>.")

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not REPOSITORY_NAME.match(value):
            raise ValueError(f"{value!r} is not an ECR repository name; allowed: lowercase letters, digits, . _ - /")
        return value

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        if value is not None and not IMAGE_TAG.match(value):
            raise ValueError(f"{value!r} is not an image tag; allowed: 1-128 letters, digits, '_', '.', '-'")
        return value

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        if value is not None and not IMAGE_DIGEST.match(value):
            raise ValueError(f"{value!r} is not an image digest; allowed: sha256: followed by 64 lowercase hex")
        return value

    @model_validator(mode="after")
    def _one_reference(self) -> ImageConfig:
        if (self.tag is None) == (self.digest is None):
            raise ValueError("give exactly one of tag or digest: the stack file pins the image")
        return self

    def reference(self) -> str:
        """`:tag` or `@sha256:...`, appended to the repository URL."""
        return f"@{self.digest}" if self.digest else f":{self.tag}"


class RoutesConfig(_Model):
    """Which requests of the internal load balancer reach the service."""

    paths: list[str] = Field(default_factory=list, description="Path patterns, e.g. /payments/*.")
    hosts: list[str] = Field(default_factory=list, description="Host headers, e.g. payments.internal.")

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.startswith("/") or not PATH_PATTERN.match(path):
                raise ValueError(f"{path!r} is not a path pattern; allowed: up to 128 characters starting with "
                                 "'/', with * and ? wildcards")
        return value

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not HOST_PATTERN.match(host):
                raise ValueError(f"{host!r} is not a host pattern; allowed: up to 128 letters, digits, '.', '-', "
                                 "* and ? wildcards")
        return value

    @model_validator(mode="after")
    def _some(self) -> RoutesConfig:
        if not self.paths and not self.hosts:
            raise ValueError("no route; allowed: at least one path or host")
        if len(self.paths) + len(self.hosts) > 5:
            raise ValueError(f"{len(self.paths) + len(self.hosts)} condition values; allowed: at most 5 paths "
                             "and hosts together (a listener rule's limit)")
        return self

    def keys(self) -> set[tuple[str, str]]:
        """Every (host, path) pair this service claims, for overlap checks."""
        hosts = self.hosts or ["*"]
        paths = self.paths or ["*"]
        return {(h, p) for h in hosts for p in paths}


class HealthCheckConfig(_Model):
    """Target group health check."""

    path: str = Field(default="/health", description="HTTP path the load balancer probes.")
    interval: int = Field(default=15, description="Seconds between probes (5-300).")
    healthy_threshold: int = Field(default=3, description="Consecutive successes to be healthy (2-10).")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or len(value) > 1024:
            raise ValueError(f"{value!r} is not a health check path; allowed: a path starting with '/'")
        return value

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> int:
        return _strict_int(value, "seconds", 5, 300)

    @field_validator("healthy_threshold", mode="before")
    @classmethod
    def _threshold(cls, value: Any) -> int:
        return _strict_int(value, "checks", 2, 10)


class CapacityConfig(_Model):
    """The capacity agreed with the client: a floor that never drops and the top of the elasticity range."""

    base: int = Field(description="Tasks that always run (the floor); at least 2 in production.")
    max: int = Field(description="Most tasks autoscaling may run.")

    @field_validator("base", mode="before")
    @classmethod
    def _base(cls, value: Any) -> int:
        return _strict_int(value, "tasks", 1, 1000)

    @field_validator("max", mode="before")
    @classmethod
    def _max(cls, value: Any) -> int:
        return _strict_int(value, "tasks", 1, 1000)

    @model_validator(mode="after")
    def _ordered(self) -> CapacityConfig:
        if self.base > self.max:
            raise ValueError(f"base {self.base} is above max {self.max}; allowed: base <= max")
        return self


class ScalingConfig(_Model):
    """Target tracking on average CPU and on requests per task (the latter can be turned off)."""

    cpu_target: int = Field(default=60, description="Average CPU % to hold (10-90).")
    requests_per_target: int | None = Field(default=1000, description="Requests per task per minute to hold "
                                            "(ALBRequestCountPerTarget); null turns request-based scaling off.")

    @field_validator("cpu_target", mode="before")
    @classmethod
    def _cpu(cls, value: Any) -> int:
        return _strict_int(value, "percent", 10, 90)

    @field_validator("requests_per_target", mode="before")
    @classmethod
    def _requests(cls, value: Any) -> int | None:
        return None if value is None else _strict_int(value, "requests", 1, 1_000_000)


def fargate_memory_message(cpu: int, memory: int) -> str | None:
    """Why a cpu/memory pair is not a Fargate size, or None when it is."""
    allowed = FARGATE_SIZES[cpu]
    if memory in allowed:
        return None
    shown = (f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}" if len(allowed) > 3
             else ", ".join(map(str, allowed)))
    return f"{memory} MiB does not fit cpu {cpu}; allowed for cpu {cpu}: {shown} MiB"


class ServiceConfig(_Model):
    """One client microservice (`connect:services[]`)."""

    name: str = Field(description=f"Service slug, unique, at most {MAX_SERVICE_NAME} characters.")
    image: ImageConfig
    cpu: int = Field(description="Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192, 16384.")
    memory: int = Field(description="MiB; must pair with cpu as Fargate allows.")
    port: int = Field(description="Container port the load balancer sends traffic to.")
    routes: RoutesConfig
    priority: int | None = Field(default=None, description="Listener rule priority (1-50000); derived from the "
                                 "name when absent, so it never changes when services are reordered.")
    health_check: HealthCheckConfig = Field(default_factory=HealthCheckConfig)
    capacity: CapacityConfig
    scaling: ScalingConfig = Field(default_factory=ScalingConfig)
    environment: dict[str, str] = Field(default_factory=dict, description="Plain environment variables.")
    secrets: dict[str, str] = Field(default_factory=dict, description="Variable -> Secrets Manager or SSM ARN "
                                    "in the tenant account.")
    read_only_root_filesystem: bool = Field(default=True, description="Mount the root filesystem read-only.")
    uses: list[str] = Field(default_factory=list, description="Data stores (connect:data names) the service may "
                            "reach; it gets exactly their permissions and network paths.")
    release: ReleaseOverrideConfig | None = Field(default=None, description="This service's override of "
                                                  "connect:platform.release, with a reason and an expiry. Read by "
                                                  "connectctl release only.")

    @field_validator("uses")
    @classmethod
    def _uses(cls, value: list[str]) -> list[str]:
        dupes = sorted({n for n in value if value.count(n) > 1})
        if dupes:
            raise ValueError(f"{', '.join(dupes)} listed twice; each store once")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value) > MAX_SERVICE_NAME:
            shown = value if len(value) <= 64 else f"{value[:64]}..."
            raise ValueError(
                f"{shown!r} is {len(value)} characters long; allowed: at most {MAX_SERVICE_NAME} characters "
                "(it names the ECS service, log group and roles, whose names have length limits)"
            )
        if not SERVICE_NAME.match(value) or len(value) < 2:
            raise ValueError(
                f"{value!r} is not a service name; allowed: 2-{MAX_SERVICE_NAME} lowercase letters, digits and "
                "single hyphens, starting with a letter (it names the ECS service, log group and roles)"
            )
        return value

    @field_validator("cpu", mode="before")
    @classmethod
    def _cpu(cls, value: Any) -> int:
        # isinstance first: `[] in FARGATE_SIZES` raises TypeError (unhashable), which pydantic does not catch.
        if isinstance(value, bool) or not isinstance(value, int) or value not in FARGATE_SIZES:
            raise ValueError(f"{value!r} is not a Fargate CPU size; allowed: {', '.join(map(str, FARGATE_SIZES))}")
        return value

    @field_validator("memory", mode="before")
    @classmethod
    def _memory(cls, value: Any) -> int:
        return _strict_int(value, "MiB", 512, 122880)

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> int:
        return _strict_int(value, "a TCP port", 1, 65535)

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> int | None:
        return None if value is None else _strict_int(value, "priority", 1, 50000)

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not ENV_NAME.match(name) or name.startswith(RESERVED_ENV):
                raise ValueError(f"{name!r} is not an allowed variable name; allowed: letters, digits and '_', "
                                 f"not starting with a digit or with {' or '.join(RESERVED_ENV)}")
        return value

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: dict[str, str]) -> dict[str, str]:
        for name, arn in value.items():
            if not ENV_NAME.match(name) or name.startswith(RESERVED_ENV):
                raise ValueError(f"{name!r} is not an allowed variable name; allowed: letters, digits and '_', "
                                 f"not starting with a digit or with {' or '.join(RESERVED_ENV)}")
            if not SECRET_ARN.match(arn):
                raise ValueError(
                    f"{arn!r} is not a Secrets Manager or SSM parameter ARN; allowed: "
                    "arn:aws:secretsmanager:<region>:<account>:secret:<name> or "
                    "arn:aws:ssm:<region>:<account>:parameter/<name>"
                )
            if ":secretsmanager:" in arn and not COMPLETE_SECRET.search(arn):
                raise ValueError(
                    f"{arn!r} is a partial Secrets Manager ARN (ECS reads a secret by its full ARN only); allowed: "
                    "the complete ARN, ending in '-' and the 6 characters Secrets Manager appends, as "
                    "`aws secretsmanager describe-secret --secret-id NAME --query ARN` prints it"
                )
        return value

    def effective_priority(self) -> int:
        """The listener-rule priority: explicit, or derived from the name (stable under reordering)."""
        if self.priority is not None:
            return self.priority
        lo, hi = DERIVED_PRIORITIES
        return lo + zlib.crc32(self.name.encode()) % (hi - lo)
