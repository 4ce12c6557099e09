"""Typed stack configuration: one pydantic model for every `connect:` key of a stack file.

The same model runs in three places: `connectctl` (before planning), the Pulumi program (before
any resource is declared) and `connectctl schema` (the JSON Schema editors validate against).
Errors are collected, not raised one by one, and each names the field path as a user writes it in
the stack file (`connect:network.cidr`) together with what is allowed.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import functools
import importlib.util
import ipaddress
import re
import typing
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel, to_snake

from components.access_config import AccessConfig, access_issues, as_written
from components.data_config import CLUSTER_SNAPSHOT_ARN, SECRET_TEXTS, DataConfig, DrConfig, hide_secrets
from components.data_config import shown as _shown
from components.limits import log_retention
from components.regions import REGION_ZONES, zones_of
from components.services_config import (
    CERTIFICATE_ARN,
    SECRET_ARN,
    PlatformConfig,
    RegistryConfig,
    ServiceConfig,
    fargate_memory_message,
)
from components.vpn_config import PSK, SECRET_KEY, AlertsConfig, VpnConfig

PRIVATE_RANGES = [
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
    ipaddress.IPv4Network("100.64.0.0/10"),
]
PRODUCTION_ENVIRONMENTS = frozenset({"prod", "production"})
# `\Z`, not `$` (which also matches before a trailing newline, e.g. from a YAML block scalar), and
# ASCII `\d`/`\w` where AWS only takes ASCII (full-width or Arabic-Indic digits are no account id).
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\Z", re.ASCII)
ACCOUNT_ID = re.compile(r"^\d{12}\Z", re.ASCII)
ROLE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/[\w+=,.@/-]{1,64}\Z", re.ASCII)
EIP_ALLOCATION = re.compile(r"^eipalloc-([0-9a-f]{8}|[0-9a-f]{17})\Z", re.ASCII)
TAG_VALUE = re.compile(r"^[\w .:/=+@-]{1,128}\Z")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)

# Top-level keys a stack file may set, with the model field that holds each.
CONNECT_KEYS = ("connect:tenant", "connect:network", "connect:registry", "connect:platform", "connect:services",
                "connect:vpn", "connect:alerts", "connect:data", "connect:dr", "connect:access")
ORGANIZATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z", re.ASCII)
REGION_KEY = "aws:region"


class ConfigIssue(BaseModel):
    """One problem in a stack file: where it is and what is allowed instead."""

    path: str
    message: str


@dataclass
class StackConfigError(Exception):
    """Raised with every issue found in one stack file; `str()` is the user-facing report."""

    source: str
    issues: list[ConfigIssue]

    def __str__(self) -> str:
        lines = [f"{self.source}: invalid stack configuration ({len(self.issues)} problem(s))"]
        lines += [f"  {issue.path}: {issue.message}" for issue in self.issues]
        return "\n".join(lines)


class _Model(BaseModel):
    """Stack-file models: camelCase keys, unknown keys rejected, immutable once parsed."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True
    )


def today() -> datetime.date:
    """Today's UTC date by the one clock connectctl reads too (connectctl/clock.py: `CONNECT_NOW` in tests)."""
    from connectctl.clock import now  # standard library only; beside the program in the project

    return now().date()


def _slug(value: str, *, lo: int, hi: int) -> str:
    if not (lo <= len(value) <= hi) or not SLUG.match(value):
        raise ValueError(
            f"{value!r} is not a slug; allowed: {lo}-{hi} characters of lowercase letters, digits "
            "and single hyphens, starting with a letter (e.g. 'acme')"
        )
    return value


class TenantConfig(_Model):
    """Who the stack belongs to: client, environment and the client's dedicated account."""

    client: str = Field(description="Client slug, 2-20 lowercase letters, digits and hyphens.")
    environment: str | None = Field(
        default=None, description="Environment slug; 'prod' and 'production' are production. Account stacks: "
        "'account' (the default there)."
    )
    account_id: str = Field(description="The client's dedicated AWS account id: 12 digits, quoted.")
    deploy_role_arn: str | None = Field(
        default=None, description="Role in the tenant account that Pulumi assumes to deploy."
    )
    dr_region: str = Field(description="Alternate region for backups and DR; differs from aws:region.")
    cost_center: str | None = Field(default=None, description="Becomes the connect:cost-center tag.")
    scope: Literal["environment", "account"] = Field(
        default="environment", description="environment: one VPC and its services; account: the account-wide "
        "singletons (ECR registry) that exactly one stack per client owns."
    )
    organization: str = Field(
        default="organization", description="Pulumi organization holding the client's stacks (stack references)."
    )
    lifecycle: Literal["active", "decommissioning"] = Field(
        default="active", description="active: the environment serves. decommissioning: every stateful resource "
        "stays (stores, keys, vaults and recovery points, EIPs, logs under retention); services, NAT gateways and "
        "the DNS names go at once, the load balancer and VPN connections the day after decommissionNoticeUntil "
        "(docs/operations.md, Decommissioning). Environment stacks only."
    )
    decommission_notice_until: datetime.date | None = Field(
        default=None, description="With lifecycle: decommissioning, required: the last day of the notice given to "
        "the client (YYYY-MM-DD, UTC; quote it in YAML). Until then the load balancer (without deletion "
        "protection) and the VPN connections stay; the first plan after it removes them."
    )

    @field_validator("decommission_notice_until", mode="before")
    @classmethod
    def _notice(cls, value: Any) -> Any:
        if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
            return value
        with contextlib.suppress(ValueError):
            if isinstance(value, str) and DATE.match(value):
                return datetime.date.fromisoformat(value)
        raise ValueError(f"{value!r} is not a date; allowed: YYYY-MM-DD, the last day of the client's notice")

    @field_validator("client")
    @classmethod
    def _client(cls, value: str) -> str:
        return _slug(value, lo=2, hi=20)

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str | None) -> str | None:
        return None if value is None else _slug(value, lo=2, hi=20)

    @field_validator("organization")
    @classmethod
    def _organization(cls, value: str) -> str:
        if not ORGANIZATION.match(value):
            raise ValueError(f"{value!r} is not a Pulumi organization name; allowed: letters, digits, '.', '_', '-'")
        return value

    @field_validator("account_id", mode="before")
    @classmethod
    def _account(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(
                f"{getattr(value, 'written', value)} is a number; write the account id as a quoted 12-digit string "
                f"(\"{as_written(value)}\") so leading zeros survive"
            )
        if isinstance(value, str) and not ACCOUNT_ID.match(value):
            raise ValueError(f"{value!r} is not an AWS account id; allowed: exactly 12 digits, quoted")
        return value

    @field_validator("deploy_role_arn")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        if value is not None and not ROLE_ARN.match(value):
            raise ValueError(
                f"{value!r} is not an IAM role ARN; allowed: arn:aws:iam::<12-digit account>:role/<name>"
            )
        return value

    @field_validator("dr_region")
    @classmethod
    def _dr_region(cls, value: str) -> str:
        if value not in REGION_ZONES:
            raise ValueError(_unknown_region(value))
        return value

    @field_validator("cost_center")
    @classmethod
    def _cost_center(cls, value: str | None) -> str | None:
        if value is not None and not TAG_VALUE.match(value):
            raise ValueError(
                f"{value!r} is not a valid tag value; allowed: 1-128 letters, digits, spaces and _ . : / = + @ -"
            )
        return value

    @property
    def environment_name(self) -> str:
        """The environment slug; account stacks are the `account` environment."""
        return self.environment or ("account" if self.scope == "account" else "")

    @property
    def is_production(self) -> bool:
        """Production environments get the stricter defaults (and checks) everywhere."""
        return self.environment in PRODUCTION_ENVIRONMENTS

    @property
    def decommissioning(self) -> bool:
        """The environment is being wound down: no compute, every stateful resource kept."""
        return self.lifecycle == "decommissioning"

    def traffic_path_kept(self, day: datetime.date | None = None) -> bool:
        """The load balancer and VPN connections stay: always while active, through the notice's last day while
        decommissioning (judged on `day`, default today in UTC: `CONNECT_NOW` as connectctl/clock.py)."""
        if not self.decommissioning:
            return True
        if self.decommission_notice_until is None:  # refused by validation; kept if it ever got through
            return True
        return (day or today()) <= self.decommission_notice_until


class FlowLogsConfig(_Model):
    """VPC flow logs: always on, for ALL traffic; only retention is configurable."""

    retention_days: int = Field(default=365, description="One of CloudWatch Logs' retention values.")

    @field_validator("retention_days", mode="before")
    @classmethod
    def _retention(cls, value: Any) -> Any:
        return log_retention(value)


def vpc_cidr(value: str) -> str:
    """A VPC block: canonical, /16 to /20, private (used for the primary and the DR VPC)."""
    try:
        net = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"{_shown(value)} is not an IPv4 CIDR block; allowed: e.g. 10.40.0.0/16") from None
    address, _, prefix = value.partition("/")
    if not prefix.isdigit():
        raise ValueError(f"{value!r} is not written address/prefix-length; allowed: e.g. 10.40.0.0/16")
    if not 16 <= net.prefixlen <= 20:  # before host bits: "10.40.0.0/8" most likely meant a /16
        raise ValueError(f"{value!r} is a /{net.prefixlen}; allowed: a prefix from /16 to /20")
    if net.network_address != ipaddress.IPv4Address(address):
        raise ValueError(f"{value!r} has host bits set; the block is {net}")
    if str(net) != value:
        raise ValueError(f"{value!r} is not in canonical form; write {net}")
    if not any(net.subnet_of(r) for r in PRIVATE_RANGES):
        ranges = ", ".join(str(r) for r in PRIVATE_RANGES)
        raise ValueError(f"{value!r} is not a private block; allowed: inside {ranges}")
    return value


class NetworkConfig(_Model):
    """The environment's VPC: block, zones, NAT layout and the fixed egress IPs."""

    cidr: str = Field(description="VPC block, /16 to /20, inside a private range.")
    availability_zones: int | list[str] = Field(
        default=3, description="A count (2-4) or 2-4 zone names of the region."
    )
    nat_gateways: Literal["perAz", "single"] = Field(
        default="perAz", description="One NAT gateway per AZ (HA) or a single one (lower cost)."
    )
    nat_zone: str | None = Field(
        default=None,
        description="With natGateways: single, the zone of the NAT gateway and its egress IP. Required when "
        "availabilityZones names the zones, so that adding a zone never moves the gateway and the client's "
        "allow-listed IP; with a count, the default is the first zone.",
    )
    egress_ip_allocation_ids: list[str] | dict[str, str] = Field(
        default_factory=list,
        description="Existing EIP allocation ids (eipalloc-...), one per NAT gateway: a list in zone "
        "order, or a map zone -> allocation id.",
    )
    flow_logs: FlowLogsConfig = Field(default_factory=FlowLogsConfig)
    # Last, so the list of keys in messages keeps its order. Read by `connectctl audit` only, never by the program.
    egress_ips: dict[str, str] = Field(
        default_factory=dict,
        description="The egress IPs the client allow-lists, by NAT zone (zone -> public IPv4), recorded after the "
        "first deploy with `connectctl egress record`: the audit's promise. Declares nothing.",
    )

    @field_validator("egress_ips", mode="before")
    @classmethod
    def _egress_ips(cls, value: Any) -> Any:
        shape = "a map zone -> public IPv4 address (connectctl egress record writes it)"
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ValueError(f"{_shown(value)} is not {shape}")
        for zone, ip in value.items():
            try:
                address = ipaddress.IPv4Address(ip) if isinstance(ip, str) else None
            except ValueError:
                address = None
            if address is None:
                raise ValueError(f"{zone}: {_shown(ip)} is not an IPv4 address; allowed: {shape}")
            if not address.is_global:  # what a NAT gateway's Elastic IP is; private or documentation ones never are
                raise ValueError(f"{zone}: {ip} is not a public address; allowed: the Elastic IP of the zone's NAT "
                                 "gateway, a public IPv4 address")
        ips = list(value.values())
        dupes = sorted({i for i in ips if ips.count(i) > 1})
        if dupes:
            raise ValueError(f"egress IP(s) listed for two zones: {', '.join(dupes)}; each NAT gateway has its own")
        return value

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return vpc_cidr(value)

    @field_validator("availability_zones", mode="before")
    @classmethod
    def _zones(cls, value: Any) -> Any:
        allowed = "a count from 2 to 4, or a list of 2 to 4 zone names of the region"
        if isinstance(value, int) and not isinstance(value, bool):
            if not 2 <= value <= 4:
                raise ValueError(f"{value} zones; allowed: {allowed}")
            return value
        if not isinstance(value, list) or not all(isinstance(z, str) for z in value):
            raise ValueError(f"{value!r} is neither; allowed: {allowed}")
        if not 2 <= len(value) <= 4:
            raise ValueError(f"{len(value)} zones given; allowed: {allowed}")
        dupes = sorted({z for z in value if value.count(z) > 1})
        if dupes:
            raise ValueError(f"zone(s) listed twice: {', '.join(dupes)}; each zone once")
        return value

    @field_validator("egress_ip_allocation_ids", mode="before")
    @classmethod
    def _allocations(cls, value: Any) -> Any:
        shape = "a list of allocation ids in zone order, or a map zone -> allocation id"
        if isinstance(value, dict):
            ids = list(value.values())
            if not all(isinstance(k, str) for k in value):
                raise ValueError(f"{value!r} has non-text keys; allowed: {shape}")
        elif isinstance(value, list):
            ids = value
        else:
            raise ValueError(f"{value!r} is neither; allowed: {shape}")
        bad = [i for i in ids if not isinstance(i, str) or not EIP_ALLOCATION.match(i)]
        if bad:
            raise ValueError(
                f"{bad[0]!r} is not an EIP allocation id; allowed: eipalloc- followed by 8 or 17 hex digits"
            )
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"allocation id(s) listed twice: {', '.join(dupes)}; each NAT gateway needs its own")
        return value

    @property
    def network(self) -> ipaddress.IPv4Network:
        """The VPC block as an address object."""
        return ipaddress.IPv4Network(self.cidr)


class StackConfig(_Model):
    """Everything a stack file configures, after validation."""

    region: str = Field(alias="aws:region", description="Primary AWS region of the environment.")
    tenant: TenantConfig = Field(alias="connect:tenant")
    network: NetworkConfig | None = Field(default=None, alias="connect:network",
                                          description="Environment stacks: the VPC.")
    registry: RegistryConfig | None = Field(default=None, alias="connect:registry",
                                            description="Account stacks: the ECR registry.")
    platform: PlatformConfig = Field(default_factory=PlatformConfig, alias="connect:platform",
                                     description="Environment stacks: cluster and internal load balancer.")
    services: list[ServiceConfig] = Field(default_factory=list, alias="connect:services",
                                          description="Environment stacks: the client's microservices.")
    vpn: VpnConfig | None = Field(default=None, alias="connect:vpn",
                                  description="Environment stacks: IPsec links to the client's data centres.")
    alerts: AlertsConfig = Field(default_factory=AlertsConfig, alias="connect:alerts",
                                 description="Environment stacks: subscribers of the alerts topic.")
    data: DataConfig = Field(default_factory=DataConfig, alias="connect:data",
                             description="Environment stacks: buckets, file systems and databases.")
    dr: DrConfig = Field(default_factory=DrConfig, alias="connect:dr",
                         description="Environment stacks: DR mode and the backup plan.")
    access: AccessConfig | None = Field(default=None, alias="connect:access",
                                        description="Account stacks: the platform team's roles, trail and alerts.")

    @field_validator("network", "registry", "vpn", "access", mode="before")
    @classmethod
    def _absent(cls, value: Any) -> Any:
        return None if value == {} else value  # the CLI hands typed defaults ({}) for keys not set

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value not in REGION_ZONES:
            raise ValueError(_unknown_region(value))
        return value

    @property
    def name_prefix(self) -> str:
        """`<client>-<environment>`: prefix of every physical name in the environment."""
        return f"{self.tenant.client}-{self.tenant.environment_name}"

    @property
    def is_account(self) -> bool:
        """An account stack (registry singletons), not an environment."""
        return self.tenant.scope == "account"

    @property
    def account_stack(self) -> str:
        """The client's account stack, which owns the registry every environment pulls from."""
        return f"{self.tenant.client}-account"

    @property
    def account_stack_reference(self) -> str:
        """Fully qualified name of the account stack for `pulumi.StackReference`."""
        return f"{self.tenant.organization}/connect/{self.account_stack}"

    @property
    def net(self) -> NetworkConfig:
        """The network of an environment stack (validation guarantees it is there)."""
        if self.network is None:
            raise ValueError("account stacks have no network")
        return self.network

    @property
    def dns_zone_name(self) -> str:
        """The environment's private zone: the stack file's, or `<environment>.<client>.connect.internal`."""
        return self.platform.dns_zone or f"{self.tenant.environment_name}.{self.tenant.client}.connect.internal"

    def explicit_zones(self) -> list[str] | None:
        """Zones named in the stack file, in slot order; None when only a count is given."""
        zones = self.net.availability_zones
        return sorted(zones) if isinstance(zones, list) else None

    def zone_count(self) -> int:
        """How many zones the environment spans."""
        zones = self.net.availability_zones
        return len(zones) if isinstance(zones, list) else zones


def _unknown_region(value: str) -> str:
    close = difflib.get_close_matches(value, list(REGION_ZONES), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{value!r} is not an AWS region code{hint}; allowed: {', '.join(REGION_ZONES)}"


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not out:
            out = part
        else:
            out += f".{part}"
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation (`Model`, `Model | None`, `list[Model]`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """Keys allowed at the mapping that holds `loc[-1]`, for did-you-mean hints."""
    model: type[BaseModel] | None = StackConfig
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        field = next((f for f in model.model_fields.values() if f.alias == part), None)
        model = _model_in(field.annotation if field else None)
    if model is None:
        return []
    return [f.alias for f in model.model_fields.values() if f.alias]


@functools.cache
def _placements() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Every key of the stack-file model with the paths it is allowed at, a list's items marked `[]`:
    `drRegion` -> `(("connect:tenant", "drRegion"),)`. For the did-you-mean of a key under the wrong parent."""
    found: dict[str, list[tuple[str, ...]]] = {}

    def walk(model: type[BaseModel], prefix: tuple[str, ...], seen: frozenset[type[BaseModel]]) -> None:
        for field in model.model_fields.values():
            if not field.alias:
                continue
            path = (*prefix, field.alias)
            found.setdefault(field.alias.split(":", 1)[-1], []).append(path)  # `connect:vpn` as `vpn`
            inner = _model_in(field.annotation)
            if inner is not None and inner not in seen:
                listed = "list[" in str(field.annotation)
                walk(inner, (*path, "[]") if listed else path, seen | {inner})

    walk(StackConfig, (), frozenset({StackConfig}))
    return {name: tuple(paths) for name, paths in found.items()}


def _placed(path: tuple[str, ...], loc: tuple[int | str, ...]) -> str:
    """A model path as users write it, with the list positions of `loc` where the two share a list: a key moved
    within `connect:services[2]` is suggested at `connect:services[2]...`, elsewhere as `[i]`."""
    written = tuple(p if isinstance(p, str) else "[]" for p in loc)
    out = ""
    for index, part in enumerate(path):
        if part != "[]":
            out += f".{part}" if out else part
        elif index < len(loc) and isinstance(loc[index], int) and path[:index] == written[:index]:
            out += f"[{loc[index]}]"
        else:
            out += "[i]"
    return out


TYPO = 0.8  # difflib ratio from which an unknown key is read as a typo of a key of the same mapping


def unknown_key_hint(loc: tuple[int | str, ...], siblings: list[str]) -> str:
    """`did you mean ...? ` for an unknown key at `loc`: the key's place when it is valid under another parent
    (`drRegion` written at the top level or under `connect:network` belongs under `connect:tenant`), else the
    closest key of the same mapping, else the closest key anywhere, with its parent; "" when nothing is close.
    A near-copy of a key of the same mapping (`path` for `paths`) is a typo first."""
    name = str(loc[-1]).split(":", 1)[-1]
    here = tuple(p if isinstance(p, str) else "[]" for p in loc[:-1])
    bare = {sibling.split(":", 1)[-1]: sibling for sibling in siblings}  # `connect:tenat` is compared as `tenat`
    typo = difflib.get_close_matches(name, list(bare), n=1, cutoff=TYPO)
    if typo:  # one letter off a key of this mapping (`path` for `paths`): a typo, not a key of another parent
        return f"did you mean {bare[typo[0]]!r}? "
    elsewhere = [path for path in _placements().get(name, ()) if path != (*here, str(loc[-1]))]
    if elsewhere:
        shown = " or ".join(repr(_placed(path, loc)) for path in elsewhere[:3])
        parents = " or ".join(f"under {_placed(path[:-1], loc)}" if path[:-1] else "at the top level"
                              for path in elsewhere[:3])
        return f"did you mean {shown}? ({name} belongs {parents}) "
    close = difflib.get_close_matches(str(loc[-1]), siblings, n=1)
    if close:
        return f"did you mean {close[0]!r}? "
    anywhere = difflib.get_close_matches(name, list(_placements()), n=1, cutoff=0.85)
    if anywhere:
        paths = _placements()[anywhere[0]][:3]
        return f"did you mean {' or '.join(repr(_placed(path, loc)) for path in paths)}? "
    return ""


def _issue_from_error(error: Mapping[str, Any]) -> ConfigIssue:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _known_keys(loc)
        hint = unknown_key_hint(loc, known)
        return ConfigIssue(path=_path(loc), message=f"unknown key; {hint}allowed keys: {', '.join(known)}")
    if kind == "missing":
        return ConfigIssue(path=_path(loc), message="required key is missing")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        keys = _known_keys((*loc, ""))
        allowed = f"a mapping with keys {', '.join(keys)}" if keys else "a mapping"
        shown = _shown(error.get("input"))
        return ConfigIssue(path=_path(loc), message=f"{shown} is not a mapping; allowed: {allowed}")
    if kind == "list_type":
        keys = _known_keys((*loc, 0, ""))
        allowed = f"a list of mappings with keys {', '.join(keys)}" if keys else "a list"
        return ConfigIssue(path=_path(loc), message=f"{_shown(error.get('input'))} is not a list; allowed: {allowed} "
                           "(one '- ' item per entry)")
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind != "value_error":
        message = f"{message}; got {_shown(error.get('input'))}"
    else:  # validators quote the value whole (`{value!r}`): cut a long one as `shown` does
        value = error.get("input")
        try:
            quoted = repr(value)
        except ValueError:  # an int beyond Python's int-to-text limit
            quoted = ""
        if len(quoted) > 80 and quoted in message:
            message = message.replace(quoted, _shown(value))
    return ConfigIssue(path=_path(loc), message=message)


def _cross_checks(cfg: StackConfig) -> list[ConfigIssue]:
    """Rules that span several fields; each issue points at the field the user must change."""
    issues: list[ConfigIssue] = []
    tenant = cfg.tenant
    if tenant.dr_region == cfg.region:
        issues.append(ConfigIssue(
            path="connect:tenant.drRegion",
            message=f"{tenant.dr_region!r} is the primary region; allowed: any other region code",
        ))
    if tenant.deploy_role_arn:
        match = ROLE_ARN.match(tenant.deploy_role_arn)
        if match and match.group(2) != tenant.account_id:
            issues.append(ConfigIssue(
                path="connect:tenant.deployRoleArn",
                message=f"role is in account {match.group(2)}; allowed: a role in the tenant account "
                f"{tenant.account_id} (no shared resources between clients)",
            ))
    issues += _scope_checks(cfg)
    issues += [ConfigIssue(path=path, message=message) for path, message in access_issues(
        cfg.access, tenant_account=tenant.account_id, is_account=cfg.is_account, account_stack=cfg.account_stack)]
    if cfg.network is not None:
        issues += _network_checks(cfg, cfg.network)
    if not cfg.is_account:  # an account stack's services are already reported as not allowed there
        issues += _service_checks(cfg)
        if cfg.vpn is not None and cfg.network is not None:
            issues += _vpn_checks(cfg, cfg.vpn, cfg.network)
        issues += _data_checks(cfg)
        if cfg.network is not None:
            issues += _dr_checks(cfg)
    return issues


def _data_checks(cfg: StackConfig) -> list[ConfigIssue]:
    """Store names unique across kinds; services use only declared stores; DR settings that fit."""
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
                issues.append(ConfigIssue(path=f"connect:services[{index}].uses[{position}]", message=f"{_shown(name)} "
                                          f"is not a data store of this stack; allowed: {declared}"))
    # Required only where a standby load balancer exists; checked whenever set, like connect:dr.cidr.
    certificate = cfg.dr.certificate_arn
    match = CERTIFICATE_ARN.match(certificate or "")
    if certificate is None:
        if cfg.dr.runs_standby and cfg.services:
            issues.append(ConfigIssue(path="connect:dr.certificateArn", message=f"required in {cfg.dr.mode} with "
                                      f"services: the standby load balancer in {cfg.tenant.dr_region} needs a "
                                      "certificate of that region"))
    elif not match:
        issues.append(ConfigIssue(path="connect:dr.certificateArn", message=f"{_shown(certificate)} is not an ACM "
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


def _vpn_checks(cfg: StackConfig, vpn: VpnConfig, network: NetworkConfig) -> list[ConfigIssue]:
    """Links keyed by name, public peers, distinct ASNs, ranges that neither overlap the VPC nor each other."""
    issues: list[ConfigIssue] = []
    names: dict[str, int] = {}
    peers: dict[str, str] = {}
    inside: dict[str, str] = {}  # inside /30 -> the connection using it
    static_ranges: list[tuple[ipaddress.IPv4Network, str]] = []
    vpc = network.network
    for index, conn in enumerate(vpn.connections):
        at = f"connect:vpn.connections[{index}]"
        if conn.name in names:
            issues.append(ConfigIssue(path=f"{at}.name", message=f"{conn.name!r} is already the name of "
                                      f"connect:vpn.connections[{names[conn.name]}]; allowed: unique names"))
        names.setdefault(conn.name, index)
        peer = ipaddress.IPv4Address(conn.peer_ip)
        documentation = conn.is_documentation_peer()
        # A customer gateway must be the device's public, Internet-routable address: AWS sends the tunnels'
        # IKE traffic there (https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html). A documentation,
        # private, shared or reserved address deploys and never comes up, in any environment.
        if not peer.is_global or peer.is_multicast:
            kind = "a documentation-only address (RFC 5737: for examples, never a stack that deploys)" \
                if documentation else "not a public address (private, shared, multicast or reserved)"
            issues.append(ConfigIssue(path=f"{at}.peerIp", message=f"{conn.peer_ip} is {kind}; allowed: the public "
                                      "IPv4 address of the client's VPN device"))
        if conn.peer_ip in peers:
            issues.append(ConfigIssue(path=f"{at}.peerIp", message=f"{conn.peer_ip} is already the peer of "
                                      f"{peers[conn.peer_ip]!r}; allowed: one customer gateway per device"))
        peers.setdefault(conn.peer_ip, conn.name)
        if conn.bgp_asn == vpn.amazon_side_asn:
            issues.append(ConfigIssue(path=f"{at}.bgpAsn", message=f"{conn.bgp_asn} equals connect:vpn."
                                      "amazonSideAsn; allowed: the client device's own ASN, different from "
                                      "the Amazon side"))
        for position, cidr in enumerate(conn.on_prem_cidrs):
            net = ipaddress.IPv4Network(cidr)
            if net.overlaps(vpc):
                issues.append(ConfigIssue(path=f"{at}.onPremCidrs[{position}]", message=f"{cidr} overlaps the VPC "
                                          f"block {vpc}; allowed: data-centre ranges outside it"))
            if conn.static_routes:
                for other, owner in static_ranges:
                    if owner != conn.name and net.overlaps(other):
                        issues.append(ConfigIssue(path=f"{at}.onPremCidrs[{position}]", message=f"{cidr} overlaps "
                                                  f"{other} routed statically to {owner!r}; allowed: each range "
                                                  "routed to one connection"))
                static_ranges.append((net, conn.name))
        # The client's device ends the tunnels of both regions: every inside /30 differs, across regions too.
        own: list[str] = []
        for position, tunnel in enumerate(conn.tunnels or []):
            for field, block in (("insideCidr", tunnel.inside_cidr), ("drInsideCidr", tunnel.dr_inside_cidr)):
                where = f"{at}.tunnels[{position}].{field}"
                if not block:
                    continue
                if block in own:
                    issues.append(ConfigIssue(path=where, message=f"{block} is already an inside range of this "
                                              "connection; allowed: a different /30 per tunnel and region"))
                elif block in inside:
                    issues.append(ConfigIssue(path=where, message=f"{block} is already used by "
                                              f"{inside[block]!r}; allowed: a /30 unique in the environment"))
                own.append(block)
        for cidr in own:
            inside.setdefault(cidr, conn.name)
    return issues


def _dr_checks(cfg: StackConfig) -> list[ConfigIssue]:
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


def psk_references(values: Mapping[str, Any]) -> dict[str, str]:
    """`connect:<key>` -> field path, for every pre-shared key the VPN config names (read leniently)."""
    found: dict[str, str] = {}
    vpn = values.get("connect:vpn")
    connections = vpn.get("connections") if isinstance(vpn, dict) else None
    for index, conn in enumerate(connections if isinstance(connections, list) else []):
        tunnels = conn.get("tunnels") if isinstance(conn, dict) else None
        for position, tunnel in enumerate(tunnels if isinstance(tunnels, list) else []):
            for field in ("presharedKeySecret", "drPresharedKeySecret"):
                key = tunnel.get(field) if isinstance(tunnel, dict) else None
                if isinstance(key, str) and SECRET_KEY.match(key):  # a malformed name gets its own error
                    found[f"connect:{key}"] = f"connect:vpn.connections[{index}].tunnels[{position}].{field}"
    return found


def _psk_checks(values: Mapping[str, Any], secret_keys: Collection[str] | None) -> list[ConfigIssue]:
    """Each named pre-shared key exists, is a secret, and is a key AWS accepts; its value is never shown."""
    issues: list[ConfigIssue] = []
    for key, path in psk_references(values).items():
        if key in CONNECT_KEYS:
            issues.append(ConfigIssue(path=path, message=f"names {key}, a key of the stack's own configuration; "
                                      "allowed: a key of its own (e.g. vpnPsk<Site><Tunnel>), set with "
                                      "`pulumi config set --secret`"))
            continue
        if key not in values:
            issues.append(ConfigIssue(path=path, message=f"names {key}, which is not set; allowed: a secret set with "
                                      f"`pulumi config set --secret {key}`"))
            continue
        if secret_keys is not None and key not in secret_keys:
            issues.append(ConfigIssue(path=key, message="holds a pre-shared key in plain text; allowed: a secret "
                                      f"(`pulumi config set --secret {key}`)"))
        value = values[key]
        if not isinstance(value, str) or not PSK.match(value):
            issues.append(ConfigIssue(path=key, message="is not a valid pre-shared key (value not shown); allowed: "
                                      "8-64 letters, digits, '.' and '_', not starting with 0"))
    return issues


def _network_checks(cfg: StackConfig, network: NetworkConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    region_zones = zones_of(cfg.region)
    zones = network.availability_zones
    if isinstance(zones, list):
        for index, zone in enumerate(zones):
            if zone not in region_zones:
                issues.append(ConfigIssue(
                    path=f"connect:network.availabilityZones[{index}]",
                    message=f"{zone!r} is not a zone of {cfg.region}; allowed: {', '.join(region_zones)}",
                ))
    elif zones > len(region_zones):
        issues.append(ConfigIssue(
            path="connect:network.availabilityZones",
            message=f"{cfg.region} has {len(region_zones)} zones; allowed: 2 to {min(4, len(region_zones))}",
        ))
    issues += _nat_zone_checks(cfg, network, region_zones)
    nat_count = 1 if network.nat_gateways == "single" else cfg.zone_count()
    allocations = network.egress_ip_allocation_ids
    if allocations and len(allocations) != nat_count:
        issues.append(ConfigIssue(
            path="connect:network.egressIpAllocationIds",
            message=f"{len(allocations)} allocation id(s) for {nat_count} NAT gateway(s) "
            f"(natGateways: {network.nat_gateways}); allowed: exactly {nat_count}, or none to let the "
            "stack allocate them",
        ))
    if isinstance(allocations, dict):
        explicit = cfg.explicit_zones()
        # Zones that will hold a NAT gateway, when the stack file names its zones (see network.nat_zones).
        nat_zones = None if explicit is None else explicit if network.nat_gateways == "perAz" else \
            [network.nat_zone or explicit[0]]
        for zone in allocations:
            if zone not in region_zones:
                issues.append(ConfigIssue(
                    path=f"connect:network.egressIpAllocationIds.{zone}",
                    message=f"{zone!r} is not a zone of {cfg.region}; allowed: {', '.join(region_zones)}",
                ))
            elif nat_zones is not None and zone not in nat_zones:
                issues.append(ConfigIssue(
                    path=f"connect:network.egressIpAllocationIds.{zone}",
                    message=f"{zone!r} holds no NAT gateway of this environment (natGateways: "
                    f"{network.nat_gateways}); allowed: {', '.join(nat_zones)}",
                ))
    issues += _egress_ip_checks(cfg, network, region_zones, nat_count)
    return issues


def _egress_ip_checks(cfg: StackConfig, network: NetworkConfig, region_zones: list[str],
                      nat_count: int) -> list[ConfigIssue]:
    """`egressIps` names zones that hold NAT gateways, at most one IP per gateway (consistency only: the program
    does not read it; `connectctl audit` holds the live NAT gateways to it)."""
    issues: list[ConfigIssue] = []
    recorded = network.egress_ips
    if len(recorded) > nat_count:
        issues.append(ConfigIssue(
            path="connect:network.egressIps",
            message=f"{len(recorded)} egress IP(s) for {nat_count} NAT gateway(s) (natGateways: "
            f"{network.nat_gateways}); allowed: at most {nat_count}, one per NAT zone (connectctl egress record)",
        ))
    explicit = cfg.explicit_zones()
    nat_zones = None if explicit is None else explicit if network.nat_gateways == "perAz" else \
        [network.nat_zone or explicit[0]]
    allocations = network.egress_ip_allocation_ids
    for zone in recorded:
        if zone not in region_zones:
            issues.append(ConfigIssue(path=f"connect:network.egressIps.{zone}", message=f"{zone!r} is not a zone of "
                                      f"{cfg.region}; allowed: {', '.join(region_zones)}"))
        elif nat_zones is not None and zone not in nat_zones:
            issues.append(ConfigIssue(path=f"connect:network.egressIps.{zone}",
                                      message=f"{zone!r} holds no NAT gateway of this environment (natGateways: "
                                      f"{network.nat_gateways}); allowed: {', '.join(nat_zones)}"))
        elif isinstance(allocations, dict) and allocations and zone not in allocations:
            issues.append(ConfigIssue(path=f"connect:network.egressIps.{zone}",
                                      message=f"{zone!r} has no entry in egressIpAllocationIds, which names the NAT "
                                      f"zones' EIPs; allowed: {', '.join(allocations)}"))
    return issues



def _nat_zone_checks(cfg: StackConfig, network: NetworkConfig, region_zones: list[str]) -> list[ConfigIssue]:
    """`natZone` pins the single NAT gateway: needed with named zones, meaningless with one per zone.

    Named zones can gain one that sorts first; a default of "the first zone" would then move the gateway
    and replace the egress IP the client allow-lists. A count only ever adds or drops zones at the end.
    """
    path, zone = "connect:network.natZone", network.nat_zone
    explicit = cfg.explicit_zones()
    if network.nat_gateways == "perAz":
        if zone is not None:
            return [ConfigIssue(path=path, message=f"{zone!r} given with natGateways: perAz, where every zone "
                                "has its NAT gateway; allowed: natZone only with natGateways: single")]
        return []
    if zone is None:
        if explicit is None:
            return []
        return [ConfigIssue(path=path, message="missing: with natGateways: single and named availabilityZones, "
                            "name the zone of the NAT gateway (so adding a zone never moves it or its egress IP); "
                            f"allowed: {', '.join(explicit)}")]
    zones = explicit if explicit is not None else region_zones[:cfg.zone_count()]
    if zone not in zones:
        return [ConfigIssue(path=path, message=f"{zone!r} is not one of the environment's zones; "
                            f"allowed: {', '.join(zones)}")]
    return []


def _scope_checks(cfg: StackConfig) -> list[ConfigIssue]:
    """Account stacks own the registry; environment stacks own a network and services, never both."""
    issues: list[ConfigIssue] = []
    if cfg.is_account:
        if cfg.tenant.lifecycle != "active" or cfg.tenant.decommission_notice_until is not None:
            issues.append(ConfigIssue(path="connect:tenant.lifecycle", message="decommissioning in an account stack; "
                                      "allowed: active (the registry, roles and trail outlive the environments, "
                                      "which are decommissioned first)"))
        if cfg.tenant.environment not in (None, "account"):
            issues.append(ConfigIssue(path="connect:tenant.environment", message=f"{cfg.tenant.environment!r} in "
                                      "an account stack; allowed: omit it (or 'account')"))
        environment_only = (
            ("connect:network", cfg.network is not None), ("connect:services", bool(cfg.services)),
            ("connect:platform", cfg.platform != PlatformConfig()), ("connect:vpn", cfg.vpn is not None),
            ("connect:alerts", cfg.alerts != AlertsConfig()), ("connect:data", cfg.data != DataConfig()),
            ("connect:dr", cfg.dr != DrConfig()),
        )
        for key, present in environment_only:
            if present:
                issues.append(ConfigIssue(path=key, message="not used in an account stack (scope: account); "
                                          "allowed: connect:tenant, connect:registry, connect:access"))
        if cfg.registry is None:
            issues.append(ConfigIssue(path="connect:registry", message="required key is missing (account stacks "
                                      "own the client's ECR repositories)"))
        return issues
    if cfg.tenant.environment is None:
        issues.append(ConfigIssue(path="connect:tenant.environment", message="required key is missing"))
    issues += _lifecycle_checks(cfg.tenant)
    if cfg.network is None:
        issues.append(ConfigIssue(path="connect:network", message="required key is missing (environment stacks "
                                  "own a VPC)"))
    if cfg.registry is not None:
        issues.append(ConfigIssue(path="connect:registry", message=f"set in an environment stack; allowed: only in "
                                  f"the account stack (stacks/Pulumi.{cfg.account_stack}.yaml), which owns the "
                                  "registry for every environment"))
    return issues


def _lifecycle_checks(tenant: TenantConfig) -> list[ConfigIssue]:
    """Decommissioning names the end of the client's notice; a notice without decommissioning means nothing."""
    if tenant.decommissioning and tenant.decommission_notice_until is None:
        return [ConfigIssue(path="connect:tenant.decommissionNoticeUntil", message="required key is missing with "
                            "lifecycle: decommissioning; allowed: the last day (YYYY-MM-DD) of the notice given to the "
                            "client, until which the load balancer and VPN connections stay")]
    if not tenant.decommissioning and tenant.decommission_notice_until is not None:
        return [ConfigIssue(path="connect:tenant.decommissionNoticeUntil", message="set while lifecycle is active; "
                            "allowed: only with lifecycle: decommissioning")]
    return []


# Each service has a target group and a listener rule on the environment's one internal load balancer: AWS allows
# 100 target groups per Application Load Balancer (not adjustable) and 100 rules (by default). Past it, `pulumi up`
# would fail halfway, at the 101st rule.
MAX_SERVICES = 100


def _service_checks(cfg: StackConfig) -> list[ConfigIssue]:
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


MAX_MESSAGE = 1_000  # characters of one issue's message; longer ones lose their middle
MAX_PATH = 200
MIN_SECRET = 4  # shorter texts of a secret value are not hidden: they would blank out unrelated words


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _presentable(issues: list[ConfigIssue], secrets: frozenset[str]) -> list[ConfigIssue]:
    """Issues fit to print: no secret text (a `secure:` value put where a plain one belongs would
    otherwise be quoted back), and bounded, whatever value the user pasted."""
    fixed = []
    for issue in issues:
        message = hide_secrets(issue.message, secrets)
        if len(message) > MAX_MESSAGE:
            cut = len(message) - MAX_MESSAGE
            message = f"{message[:MAX_MESSAGE // 2]} ...[{cut} characters cut]... {message[-MAX_MESSAGE // 2:]}"
        path = hide_secrets(issue.path, secrets)
        path = path if len(path) <= MAX_PATH else f"{path[:MAX_PATH]}..."
        fixed.append(ConfigIssue(path=path, message=message))
    return fixed


def parse_stack_config(
    values: Mapping[str, Any], source: str, secret_keys: Collection[str] | None = None
) -> StackConfig:
    """Validate flat stack config (`{"connect:tenant": {...}, "aws:region": ...}`) into a model.

    Keys of other namespaces (`aws:profile`, `pulumi:*`) pass through untouched; an unknown key of
    ours is an error with a did-you-mean, except the secret keys the VPN config names for its
    pre-shared keys (checked when `secret_keys` is given). Raises `StackConfigError` listing every
    problem; no message holds the text of a secret key's value.
    """
    secrets = frozenset(t for key in secret_keys or () for t in _texts(values.get(key)) if len(t) >= MIN_SECRET)
    token = SECRET_TEXTS.set(secrets)
    try:
        return _parse(values, source, secret_keys)
    except StackConfigError as exc:
        raise StackConfigError(source=exc.source, issues=_presentable(exc.issues, secrets)) from None
    finally:
        SECRET_TEXTS.reset(token)


# The namespaces a stack file of this project may use: ours, the AWS provider's and Pulumi's own. A key of any
# other namespace is read by nothing: `conect:alerts` (one letter off) would silently drop the paging.
NAMESPACES = ("connect", "aws", "pulumi")


@functools.cache
def aws_provider_keys() -> tuple[str, ...]:
    """The AWS provider's configuration keys (`aws:region`, `aws:profile`...), read from the installed SDK.

    Why from the SDK: `pulumi_aws/config/vars.py` is generated from the provider's schema, so the list follows
    the pinned provider version; it is parsed, not imported (importing pulumi_aws costs a second).
    """
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or not spec.submodule_search_locations:
        return ()
    source = Path(next(iter(spec.submodule_search_locations))) / "config" / "vars.py"
    return tuple(sorted(set(re.findall(r"__config__\.get\w*\('([A-Za-z0-9]+)'", source.read_text()))))


def _namespace_issues(values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Keys no one reads: an unknown namespace, or an `aws:` key the provider does not know; with a did-you-mean."""
    issues = []
    for key in values:
        namespace, _, name = key.partition(":")
        if namespace not in NAMESPACES:
            close = difflib.get_close_matches(namespace, NAMESPACES, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}:{name}'? " if close else ""
            issues.append(ConfigIssue(path=key, message=f"unknown namespace {namespace!r}: nothing reads this key; "
                                      f"{hint}allowed namespaces: {', '.join(n + ':' for n in NAMESPACES)}"))
        elif namespace == "aws" and aws_provider_keys() and name not in aws_provider_keys():
            close = difflib.get_close_matches(name, aws_provider_keys(), n=1)
            hint = f"did you mean 'aws:{close[0]}'? " if close else ""
            issues.append(ConfigIssue(path=key, message=f"the AWS provider has no setting {name!r}; {hint}allowed: "
                                      "the provider's settings (aws:region, aws:profile, aws:allowedAccountIds, ...)"))
    return issues


def _parse(values: Mapping[str, Any], source: str, secret_keys: Collection[str] | None) -> StackConfig:
    ours = {k: v for k, v in values.items() if k.startswith("connect:") or k == REGION_KEY}
    referenced = psk_references(values)
    issues: list[ConfigIssue] = _psk_checks(values, secret_keys) + _namespace_issues(values)
    for key in ours:
        if key != REGION_KEY and key not in CONNECT_KEYS and key not in referenced:
            hint = unknown_key_hint((key,), list(CONNECT_KEYS))
            issues.append(ConfigIssue(path=key, message=f"unknown key; {hint}allowed keys: {', '.join(CONNECT_KEYS)}"))
    known = {k: v for k, v in ours.items() if k == REGION_KEY or k in CONNECT_KEYS}
    try:
        cfg = StackConfig.model_validate(known)
    except ValidationError as exc:
        issues += [_issue_from_error(e) for e in exc.errors()]
        raise StackConfigError(source=source, issues=issues) from None
    issues += _cross_checks(cfg)
    if issues:
        raise StackConfigError(source=source, issues=issues)
    return cfg


def stack_config_schema() -> dict[str, Any]:
    """JSON Schema of a whole stack file (`config:` holding our keys), for editors and docs."""
    inner = StackConfig.model_json_schema(by_alias=True)
    defs = inner.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Connect stack file (stacks/Pulumi.<client>-<env>.yaml)",
        "type": "object",
        "required": ["config"],
        "properties": {
            # other keys pass to the provider and Pulumi; a namespace nothing reads is a typo (editors flag it)
            "config": {**inner, "additionalProperties": True,
                       "propertyNames": {"pattern": f"^({'|'.join(NAMESPACES)}):"}},
            "secretsprovider": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "encryptedkey": {"type": "string"},
        },
        "additionalProperties": False,
        "$defs": defs,
    }
