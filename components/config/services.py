"""`connect:platform` and `connect:services`: the environment's container platform and the client's
microservices (`connect:registry`, the account's ECR, is `components/config/registry.py`).

Client teams edit their own `connect:services` entries, so every limit AWS would enforce later
(Fargate sizes, listener rules, name lengths) is checked here, with the allowed values in the
message. The limits: Fargate task sizes
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size) and
Application Load Balancer quotas
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html).
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, field_validator, model_validator

from components.config.base import (
    SLUG,
    ConfigIssue,
    LogRetentionDays,
    Model,
    each_once,
    matching,
    pattern_hint,
    whole,
)
from components.config.registry import REPOSITORY_NAME
from components.config.release import ReleaseGateConfig, ReleaseOverrideConfig
from components.limits import FARGATE_SIZES

SERVICE_NAME = SLUG  # a slug (components/config/base.py), with its own length limits
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
MIN_SERVICE_NAME = 2
MAX_DNS_ZONE = 200  # characters of connect:platform.dnsZone (Route 53 allows 255; the service names need room)
DERIVED_PRIORITIES = (1000, 49000)  # derived priorities live here; explicit ones anywhere in 1-50000
RESERVED_ENV = ("AWS_", "ECS_")

if TYPE_CHECKING:
    from components.config.stack import StackConfig
CertificateArn = Annotated[str, Field(json_schema_extra=pattern_hint(CERTIFICATE_ARN))]  # checked in each section
ListenerCertificateArn = Annotated[CertificateArn, matching(
    CERTIFICATE_ARN, "an ACM certificate ARN", "arn:aws:acm:<region>:<12-digit account>:certificate/<36-character id>")]
AccessLogDays = Annotated[int, Field(ge=30, le=3653), whole("days")]
DnsZone = Annotated[str, Field(json_schema_extra=pattern_hint(DNS_ZONE, max_length=MAX_DNS_ZONE))]
ImageRepository = Annotated[str, Field(json_schema_extra=pattern_hint(REPOSITORY_NAME)), matching(
    REPOSITORY_NAME, "an ECR repository name", "lowercase letters, digits, . _ - /")]
ImageTag = Annotated[str, Field(json_schema_extra=pattern_hint(IMAGE_TAG)), matching(
    IMAGE_TAG, "an image tag", "1-128 letters, digits, '_', '.', '-'")]
ImageDigest = Annotated[str, Field(json_schema_extra=pattern_hint(IMAGE_DIGEST)), matching(
    IMAGE_DIGEST, "an image digest", "sha256: followed by 64 lowercase hex")]
ProbeSeconds = Annotated[int, Field(ge=5, le=300), whole("seconds")]
HealthyChecks = Annotated[int, Field(ge=2, le=10), whole("checks")]
Tasks = Annotated[int, Field(ge=1, le=1000), whole("tasks")]
CpuTarget = Annotated[int, Field(ge=10, le=90), whole("percent")]
RequestsPerTarget = Annotated[int, Field(ge=1, le=1_000_000), whole("requests")]
ServiceName = Annotated[str, Field(json_schema_extra=pattern_hint(SERVICE_NAME, MIN_SERVICE_NAME, MAX_SERVICE_NAME))]
FargateCpu = Annotated[int, Field(json_schema_extra={"enum": list(FARGATE_SIZES)})]
MemoryMiB = Annotated[int, Field(ge=512, le=122880), whole("MiB")]
Port = Annotated[int, Field(ge=1, le=65535), whole("a TCP port")]
Priority = Annotated[int, Field(ge=1, le=50000), whole("priority")]


class AccessLogsConfig(Model):
    """Load balancer access logs: always on; only how long the bucket keeps them."""

    retention_days: AccessLogDays = Field(
        default=365, description="Days the access-log bucket keeps objects (30-3653).")


class PlatformConfig(Model):
    """The environment's container platform (environment stacks)."""

    certificate_arn: ListenerCertificateArn | None = Field(
        default=None, description="ACM certificate of the internal load balancer's HTTPS listener (required "
        "when services are declared): arn:aws:acm:<region>:<account>:certificate/<id>, in the tenant account.",
    )
    access_logs: AccessLogsConfig = Field(default_factory=AccessLogsConfig)
    log_retention_days: LogRetentionDays = Field(default=365, description="Retention of the services' log groups.")
    release: ReleaseGateConfig = Field(default_factory=ReleaseGateConfig, description="The release gate "
                                       "(connectctl release): the scan threshold of the stack's images. Read by "
                                       "connectctl only.")
    dns_zone: DnsZone | None = Field(
        default=None, description="Private DNS zone of the environment, where each service is named "
        "`<service>.<zone>` in both regions (default `<environment>.<client>.connect.internal`). The load "
        "balancers' certificates must cover `*.<zone>`.",
    )

    @field_validator("dns_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        # Route 53: labels of letters, digits and hyphens, 63 characters each, 255 in all; we keep them lowercase
        # (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html).
        if value is not None and (len(value) > MAX_DNS_ZONE or not DNS_ZONE.match(value)):
            raise ValueError(f"{value!r} is not a DNS zone name; allowed: lowercase labels of letters, digits and "
                             f"hyphens joined by dots, at least two labels, at most {MAX_DNS_ZONE} characters "
                             "(e.g. prod.acme.example.com)")
        return value


class ImageConfig(Model):
    """The image a service runs: a repository of the account stack and a pinned tag or digest."""

    repository: ImageRepository = Field(
        description="Repository name, declared in the account stack's connect:registry.")
    tag: ImageTag | None = Field(default=None, description="Image tag (immutable in ECR), e.g. 1.4.2.")
    digest: ImageDigest | None = Field(default=None, description="Image digest, sha256:<64 hex>.")

    @model_validator(mode="after")
    def _one_reference(self) -> ImageConfig:
        if (self.tag is None) == (self.digest is None):
            raise ValueError("give exactly one of tag or digest: the stack file pins the image")
        return self

    def reference(self) -> str:
        """`:tag` or `@sha256:...`, appended to the repository URL."""
        return f"@{self.digest}" if self.digest else f":{self.tag}"


class RoutesConfig(Model):
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


class HealthCheckConfig(Model):
    """Target group health check."""

    path: str = Field(default="/health", description="HTTP path the load balancer probes.")
    interval: ProbeSeconds = Field(default=15, description="Seconds between probes (5-300).")
    healthy_threshold: HealthyChecks = Field(default=3, description="Consecutive successes to be healthy (2-10).")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or len(value) > 1024:
            raise ValueError(f"{value!r} is not a health check path; allowed: a path starting with '/'")
        return value


class CapacityConfig(Model):
    """The capacity agreed with the client: a floor that never drops and the top of the elasticity range."""

    base: Tasks = Field(description="Tasks that always run (the floor); at least 2 in production.")
    max: Tasks = Field(description="Most tasks autoscaling may run.")

    @model_validator(mode="after")
    def _ordered(self) -> CapacityConfig:
        if self.base > self.max:
            raise ValueError(f"base {self.base} is above max {self.max}; allowed: base <= max")
        return self


class ScalingConfig(Model):
    """Target tracking on average CPU and on requests per task (the latter can be turned off)."""

    cpu_target: CpuTarget = Field(default=60, description="Average CPU % to hold (10-90).")
    requests_per_target: RequestsPerTarget | None = Field(
        default=1000, description="Requests per task per minute to hold "
        "(ALBRequestCountPerTarget); null turns request-based scaling off.")


def fargate_memory_message(cpu: int, memory: int) -> str | None:
    """Why a cpu/memory pair is not a Fargate size, or None when it is."""
    allowed = FARGATE_SIZES[cpu]
    if memory in allowed:
        return None
    shown = (f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}" if len(allowed) > 3
             else ", ".join(map(str, allowed)))
    return f"{memory} MiB does not fit cpu {cpu}; allowed for cpu {cpu}: {shown} MiB"


class ServiceConfig(Model):
    """One client microservice (`connect:services[]`)."""

    name: ServiceName = Field(description=f"Service slug, unique, at most {MAX_SERVICE_NAME} characters.")
    image: ImageConfig
    cpu: FargateCpu = Field(description="Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192, 16384.")
    memory: MemoryMiB = Field(description="MiB; must pair with cpu as Fargate allows.")
    port: Port = Field(description="Container port the load balancer sends traffic to.")
    routes: RoutesConfig
    priority: Priority | None = Field(default=None, description="Listener rule priority (1-50000); derived from the "
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
        each_once(value, "{} listed twice; each store once")
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
        if not SERVICE_NAME.match(value) or len(value) < MIN_SERVICE_NAME:
            raise ValueError(
                f"{value!r} is not a service name; allowed: {MIN_SERVICE_NAME}-{MAX_SERVICE_NAME} lowercase letters, "
                "digits and single hyphens, starting with a letter (it names the ECS service, log group and roles)"
            )
        return value

    @field_validator("cpu", mode="before")
    @classmethod
    def _cpu(cls, value: Any) -> int:
        # isinstance first: `[] in FARGATE_SIZES` raises TypeError (unhashable), which pydantic does not catch.
        if isinstance(value, bool) or not isinstance(value, int) or value not in FARGATE_SIZES:
            raise ValueError(f"{value!r} is not a Fargate CPU size; allowed: {', '.join(map(str, FARGATE_SIZES))}")
        return value

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


# Each service has a target group and a listener rule on the environment's one internal load balancer: AWS allows
# 100 target groups per Application Load Balancer (not adjustable) and 100 rules (by default). Past it, `pulumi up`
# would fail halfway, at the 101st rule.
MAX_SERVICES = 100


def service_issues(cfg: StackConfig) -> list[ConfigIssue]:
    """Rules across services and against the tenant: unique names, priorities and routes; sizes; floors."""
    issues: list[ConfigIssue] = []
    if len(cfg.services) > MAX_SERVICES:
        issues.append(ConfigIssue(path="connect:services", message=f"{len(cfg.services)} services; allowed: at most "
                                  f"{MAX_SERVICES} per environment (each has a target group on the environment's "
                                  "internal load balancer, and AWS allows 100 target groups per Application Load "
                                  "Balancer, not adjustable)"))
    names: dict[str, int] = {}
    priorities: dict[int, str] = {}
    routes: dict[tuple[str, str], str] = {}
    cpu_alarm = cfg.alerts.thresholds.cpu_percent
    for index, service in enumerate(cfg.services):
        at = f"connect:services[{index}]"
        if service.name in names:
            issues.append(ConfigIssue(path=f"{at}.name", message=f"{service.name!r} is already the name of "
                                      f"connect:services[{names[service.name]}]; allowed: unique names"))
            continue
        names[service.name] = index
        memory = fargate_memory_message(service.cpu, service.memory)
        if memory:
            issues.append(ConfigIssue(path=f"{at}.memory", message=memory))
        priority = service.effective_priority()
        if priority in priorities:
            how = "set" if service.priority is not None else "derived from the name"
            issues.append(ConfigIssue(path=f"{at}.priority", message=f"priority {priority} ({how}) is already used "
                                      f"by service {priorities[priority]!r}; allowed: a unique priority 1-50000"))
        priorities[priority] = service.name
        for key in sorted(service.routes.keys()):
            if key in routes:
                issues.append(ConfigIssue(path=f"{at}.routes", message=f"host {key[0]!r} path {key[1]!r} is already "
                                          f"routed to service {routes[key]!r}; allowed: each route to one service"))
            routes.setdefault(key, service.name)
        both = sorted(set(service.environment) & set(service.secrets))
        if both:
            issues.append(ConfigIssue(path=f"{at}.secrets", message=f"{', '.join(both)} also in environment; "
                                      "allowed: each variable in one place"))
        for name, arn in service.secrets.items():
            match = SECRET_ARN.match(arn)
            if match and match.group(3) != cfg.tenant.account_id:
                issues.append(ConfigIssue(path=f"{at}.secrets.{name}", message=f"secret in account {match.group(3)}; "
                                          f"allowed: the tenant account {cfg.tenant.account_id}"))
            elif match and match.group(2) != cfg.region:
                issues.append(ConfigIssue(path=f"{at}.secrets.{name}", message=f"secret in region {match.group(2)}; "
                                          f"allowed: the stack's region {cfg.region}"))
        if service.scaling.cpu_target >= cpu_alarm:
            issues.append(ConfigIssue(path=f"{at}.scaling.cpuTarget", message=f"{service.scaling.cpu_target}% is not "
                                      f"below connect:alerts.thresholds.cpuPercent ({cpu_alarm:g}%): the service's "
                                      "cpu-high alarm would fire whenever autoscaling holds its target; allowed: "
                                      f"below {cpu_alarm:g}, or a higher alarm threshold"))
        if cfg.tenant.is_production and service.capacity.base < 2:
            issues.append(ConfigIssue(path=f"{at}.capacity.base", message=f"{service.capacity.base} task(s) in "
                                      "production; allowed: at least 2, so a zone failure leaves one running"))
    certificate = cfg.platform.certificate_arn
    if cfg.services and certificate is None:
        issues.append(ConfigIssue(path="connect:platform.certificateArn", message="required when services are "
                                  "declared (the internal load balancer listens on HTTPS)"))
    match = CERTIFICATE_ARN.match(certificate or "")
    if match and (match.group(1), match.group(2)) != (cfg.region, cfg.tenant.account_id):
        issues.append(ConfigIssue(path="connect:platform.certificateArn", message=f"certificate in {match.group(1)} "
                                  f"/ account {match.group(2)}; allowed: {cfg.region} / {cfg.tenant.account_id}"))
    return issues
