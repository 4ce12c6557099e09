"""Typed config of client connectivity and alerting (`connect:vpn`, `connect:alerts`).

Clients reach their business services in their own data centres through IPsec Site-to-Site VPN.
Every option AWS would refuse is refused here first (see `../shared/reference/aws-limits.md`);
options AWS accepts but our guardrails reject (weak crypto) are left to the policy pack, so the
report says which guardrail and why.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

IKE_VERSIONS = ("ikev1", "ikev2")
ENCRYPTION = ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16")
INTEGRITY = ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512")
PHASE1_DH = (2, *range(14, 25))
PHASE2_DH = (2, 5, *range(14, 25))
INSIDE_RANGE = ipaddress.IPv4Network("169.254.0.0/16")
RESERVED_INSIDE = tuple(ipaddress.IPv4Network(n) for n in (
    "169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30", "169.254.4.0/30",
    "169.254.5.0/30", "169.254.169.252/30"))
DOCUMENTATION = tuple(ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
PSK = re.compile(r"^[A-Za-z1-9._][A-Za-z0-9._]{7,63}\Z", re.ASCII)
SECRET_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}\Z", re.ASCII)
CONNECTION_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\Z", re.ASCII)
Tier = Literal["app", "data"]
AMAZON_ASN_RANGES = ((64512, 65534), (4200000000, 4294967294))
MAX_ASN = 4294967294
STANDARD_ASN_MAX = 2147483647  # above this AWS takes the customer ASN in the "extended" field


class _Model(BaseModel):
    """Stack-file models: camelCase keys, unknown keys rejected, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True)


def _choices(values: Any, allowed: tuple[Any, ...], what: str) -> Any:
    if not isinstance(values, list) or not values:
        raise ValueError(f"{values!r} is not a non-empty list; allowed: {what} from {', '.join(map(str, allowed))}")
    for value in values:
        # Exact type: `14.0` or `true` would otherwise pass as the DH group 14 or 1.
        if type(value) is not type(allowed[0]) or value not in allowed:
            raise ValueError(f"{value!r} is not an AWS {what}; allowed: {', '.join(map(str, allowed))}")
    if len(set(values)) != len(values):
        raise ValueError(f"{values!r} lists a value twice; each once")
    return values


class CryptoConfig(_Model):
    """IPsec proposals for both tunnels; the defaults are what the guardrails call strong."""

    ike_versions: list[str] = Field(default_factory=lambda: ["ikev2"])
    phase1_encryption: list[str] = Field(default_factory=lambda: ["AES256", "AES256-GCM-16"])
    phase2_encryption: list[str] = Field(default_factory=lambda: ["AES256", "AES256-GCM-16"])
    phase1_integrity: list[str] = Field(default_factory=lambda: ["SHA2-256", "SHA2-384", "SHA2-512"])
    phase2_integrity: list[str] = Field(default_factory=lambda: ["SHA2-256", "SHA2-384", "SHA2-512"])
    phase1_dh_groups: list[int] = Field(default_factory=lambda: [20, 21])
    phase2_dh_groups: list[int] = Field(default_factory=lambda: [20, 21])

    @field_validator("ike_versions", mode="before")
    @classmethod
    def _ike(cls, value: Any) -> Any:
        return _choices(value, IKE_VERSIONS, "IKE version")

    @field_validator("phase1_encryption", "phase2_encryption", mode="before")
    @classmethod
    def _encryption(cls, value: Any) -> Any:
        return _choices(value, ENCRYPTION, "encryption algorithm")

    @field_validator("phase1_integrity", "phase2_integrity", mode="before")
    @classmethod
    def _integrity(cls, value: Any) -> Any:
        return _choices(value, INTEGRITY, "integrity algorithm")

    @field_validator("phase1_dh_groups", mode="before")
    @classmethod
    def _dh1(cls, value: Any) -> Any:
        return _choices(value, PHASE1_DH, "phase 1 DH group")

    @field_validator("phase2_dh_groups", mode="before")
    @classmethod
    def _dh2(cls, value: Any) -> Any:
        return _choices(value, PHASE2_DH, "phase 2 DH group")


class TunnelConfig(_Model):
    """One tunnel: its inside /30 and, optionally, its pre-shared key from a secret config key."""

    inside_cidr: str | None = Field(default=None, description="A /30 inside 169.254.0.0/16 (AWS picks one if "
                                    "absent).")
    preshared_key_secret: str | None = Field(default=None, description="Name of a secret config key "
                                             "(connect:<name>, set with `pulumi config set --secret`) holding the "
                                             "key; AWS generates one if absent.")

    dr_inside_cidr: str | None = Field(default=None, description="The same tunnel's /30 in the DR region (standby "
                                       "modes, or `connect:dr.vpn: true`): the client's device ends both regions' "
                                       "tunnels, so it must differ from every insideCidr (AWS picks one if absent).")
    dr_preshared_key_secret: str | None = Field(default=None, description="Secret config key of the DR region "
                                                "tunnel's pre-shared key; AWS generates one if absent.")

    @field_validator("inside_cidr", "dr_inside_cidr")
    @classmethod
    def _inside(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            net = ipaddress.IPv4Network(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a CIDR block; allowed: a /30 inside 169.254.0.0/16") from None
        if net.prefixlen != 30 or not net.subnet_of(INSIDE_RANGE):
            raise ValueError(f"{value!r} is not a /30 inside 169.254.0.0/16; allowed: e.g. 169.254.10.0/30")
        if net in RESERVED_INSIDE:
            raise ValueError(f"{value!r} is reserved by AWS; allowed: any other /30 of 169.254.0.0/16 except "
                             f"{', '.join(map(str, RESERVED_INSIDE))}")
        return value

    @field_validator("preshared_key_secret", "dr_preshared_key_secret")
    @classmethod
    def _secret_key(cls, value: str | None) -> str | None:
        if value is not None and not SECRET_KEY.match(value):
            raise ValueError(f"{value!r} is not a config key name; allowed: letters and digits, starting with a "
                             "letter (the key connect:<name> holds the secret)")
        return value


class VpnConnectionConfig(_Model):
    """A link to one client data centre: its device, routing, reachable tiers and tunnels."""

    name: str = Field(description="Slug naming the link (e.g. dc-santiago); keys every resource of it.")
    peer_ip: str = Field(description="Public IPv4 address of the client's VPN device.")
    bgp_asn: int = Field(default=65000, description="The client device's BGP ASN (1-4294967294).")
    static_routes: bool = Field(default=False, description="Static routing to onPremCidrs instead of BGP.")
    on_prem_cidrs: list[str] = Field(description="The client's data-centre ranges reached through this link.")
    reachable_tiers: list[Tier] = Field(default_factory=lambda: list[Tier](["app"]),
                                        description="Tiers whose route tables reach the link.")
    tunnels: list[TunnelConfig] | None = Field(default=None, description="Exactly two tunnels, or absent.")
    crypto: CryptoConfig = Field(default_factory=CryptoConfig)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not CONNECTION_NAME.match(value) or not 2 <= len(value) <= 32:
            raise ValueError(f"{value!r} is not a connection name; allowed: 2-32 lowercase letters, digits and "
                             "single hyphens, starting with a letter")
        return value

    @field_validator("peer_ip")
    @classmethod
    def _peer(cls, value: str) -> str:
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv4 address; allowed: the device's public IPv4 address") from None
        return value

    @field_validator("bgp_asn", mode="before")
    @classmethod
    def _asn(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ASN:
            raise ValueError(f"{value!r} is not a BGP ASN; allowed: 1 to {MAX_ASN}")
        return value

    @field_validator("on_prem_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("no range; allowed: at least one CIDR block of the client's data centre")
        for cidr in value:
            try:
                net = ipaddress.IPv4Network(cidr)
            except ValueError:
                raise ValueError(f"{cidr!r} is not a CIDR block with its host bits clear; allowed: e.g. "
                                 "172.16.0.0/16") from None
            if net.prefixlen == 0:
                raise ValueError(f"{cidr!r} is the whole internet; allowed: the data centre's own ranges")
        if len(set(value)) != len(value):  # one route / rule per range: a repeat is a duplicate resource
            raise ValueError(f"{value!r} lists a range twice; allowed: each range once")
        return value

    @field_validator("static_routes", mode="before")
    @classmethod
    def _static(cls, value: Any) -> Any:
        if not isinstance(value, bool):  # pydantic would read "no", "off" or 0 as false, 1 as true
            raise ValueError(f"{value!r} is not a boolean; allowed: true or false")
        return value

    @field_validator("reachable_tiers")
    @classmethod
    def _tiers(cls, value: list[str]) -> list[str]:
        if not value or len(set(value)) != len(value):
            raise ValueError(f"{value!r}; allowed: app and/or data, each once")
        return value

    @field_validator("tunnels")
    @classmethod
    def _two(cls, value: list[TunnelConfig] | None) -> list[TunnelConfig] | None:
        if value is not None and len(value) != 2:
            raise ValueError(f"{len(value)} tunnel(s); allowed: exactly 2 (AWS replaces one tunnel endpoint at a "
                             "time, so both must be configured) or none for AWS defaults")
        return value

    def is_documentation_peer(self) -> bool:
        """The peer address is in a documentation range (fine for examples, never in production)."""
        return any(ipaddress.IPv4Address(self.peer_ip) in net for net in DOCUMENTATION)


class VpnConfig(_Model):
    """The environment's virtual private gateway and its connections, keyed by name."""

    amazon_side_asn: int = Field(default=64512, description="ASN of the AWS side; a private ASN.")
    connections: list[VpnConnectionConfig] = Field(default_factory=list)

    @field_validator("amazon_side_asn", mode="before")
    @classmethod
    def _amazon(cls, value: Any) -> Any:
        ok = isinstance(value, int) and not isinstance(value, bool) and any(
            lo <= value <= hi for lo, hi in AMAZON_ASN_RANGES)
        if not ok:
            raise ValueError(f"{value!r} is not a private ASN; allowed: 64512-65534 or 4200000000-4294967294")
        return value


def _number(value: Any, what: str, lo: float, hi: float, *, above: bool = False) -> float:
    """A number in range, checked before pydantic's coercion ("5", `true` and NaN are not thresholds)."""
    allowed = f"{what} above {lo:g} and at most {hi:g}" if above else f"{what} from {lo:g} to {hi:g}"
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value in (
            float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a number; allowed: {allowed}")
    if value > hi or value < lo or (above and value == lo):
        shown = f"{value:g}" if isinstance(value, float) or abs(value) < 10**15 else "a number that large"
        raise ValueError(f"{shown} is out of range; allowed: {allowed}")
    return float(value)


def _whole(value: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number; allowed: {what} from {lo} to {hi}")
    if not lo <= value <= hi:
        shown = str(value) if abs(value) < 10**15 else "a number that large"
        raise ValueError(f"{shown} is out of range; allowed: {what} from {lo} to {hi}")
    return value


ALARM_PERIODS = (60, 300, 900, 3600)  # CloudWatch periods whose metrics every alarmed namespace publishes
MAX_EVALUATION_PERIODS = 24  # 24 x 3600 s = one day, CloudWatch's longest evaluation range
MAX_LATENCY_SECONDS = 4000  # the longest idle timeout of an application load balancer
# Editor hints in the JSON Schema; the validators below decide (and explain) what is allowed.
PERCENT: dict[str, Any] = {"exclusiveMinimum": 0, "maximum": 100}
DEFAULT_P99 = 2.5
SECONDS: dict[str, Any] = {"exclusiveMinimum": 0, "maximum": MAX_LATENCY_SECONDS}


class AlertThresholds(_Model):
    """When the environment's alarms fire; the defaults are the platform team's paging bar.

    One set per environment, applied to every service, load balancer and NAT gateway of it. Every
    alarm needs `evaluationPeriods` consecutive breaching periods of `periodSeconds` to fire, so a
    single bad minute (a deployment, a cold start) does not page anyone.
    """

    period_seconds: int = Field(
        default=60, json_schema_extra={"enum": list(ALARM_PERIODS)},
        description="Length of one evaluated period: 60, 300, 900 or 3600 seconds.")
    evaluation_periods: int = Field(
        default=3, json_schema_extra={"minimum": 1, "maximum": MAX_EVALUATION_PERIODS},
        description=f"Consecutive breaching periods before an alarm fires (1-{MAX_EVALUATION_PERIODS}).")
    error_rate_percent: float = Field(
        default=5.0, json_schema_extra=PERCENT,
        description="5xx rate: per service the share of its requests its tasks answered with a 5xx, per load "
        "balancer the share it answered with a 5xx itself; in percent (above 0, up to 100).")
    minimum_requests: int = Field(
        default=10, json_schema_extra={"minimum": 0, "maximum": 1_000_000},
        description="Requests per period below which the 5xx share is not judged (a single error among three "
        "requests pages nobody); 0-1000000.")
    latency_p95_seconds: float = Field(
        default=1.0, json_schema_extra=SECONDS,
        description="Per service: target response time at the 95th percentile, in seconds (above 0, up to 4000).")
    latency_p99_seconds: float = Field(
        default=DEFAULT_P99, json_schema_extra=SECONDS,
        description="Per service: target response time at the 99th percentile, in seconds; at least "
        "latencyP95Seconds, up to 4000.")
    cpu_percent: float = Field(
        default=85.0, json_schema_extra=PERCENT,
        description="Per service: average CPU of its tasks, in percent; must be above every service's "
        "scaling.cpuTarget (above 0, up to 100).")
    memory_percent: float = Field(
        default=85.0, json_schema_extra=PERCENT,
        description="Per service: average memory of its tasks, in percent (above 0, up to 100).")
    nat_packet_drop_percent: float = Field(
        default=0.01, json_schema_extra=PERCENT,
        description="Per NAT gateway: dropped packets as a share of the packets it received, in percent; AWS's "
        "guidance is 0.01 (above 0, up to 100).")

    @model_validator(mode="before")
    @classmethod
    def _p99_default(cls, data: Any) -> Any:
        """Hand the default p99 to its validator when only p95 is set (defaults are not validated)."""
        if isinstance(data, dict) and "latencyP95Seconds" in data and "latencyP99Seconds" not in data:
            return {**data, "latencyP99Seconds": DEFAULT_P99}
        return data

    @field_validator("period_seconds", mode="before")
    @classmethod
    def _period(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value not in ALARM_PERIODS:
            raise ValueError(f"{value!r} is not an alarm period; allowed: {', '.join(map(str, ALARM_PERIODS))} "
                             "seconds")
        return value

    @field_validator("evaluation_periods", mode="before")
    @classmethod
    def _periods(cls, value: Any) -> int:
        return _whole(value, "periods", 1, MAX_EVALUATION_PERIODS)

    @field_validator("minimum_requests", mode="before")
    @classmethod
    def _requests(cls, value: Any) -> int:
        return _whole(value, "requests per period", 0, 1_000_000)

    @field_validator("error_rate_percent", "cpu_percent", "memory_percent", "nat_packet_drop_percent",
                     mode="before")
    @classmethod
    def _percent(cls, value: Any) -> float:
        return _number(value, "a percentage", 0, 100, above=True)

    @field_validator("latency_p95_seconds", "latency_p99_seconds", mode="before")
    @classmethod
    def _latency(cls, value: Any) -> float:
        return _number(value, "seconds", 0, MAX_LATENCY_SECONDS, above=True)

    @field_validator("latency_p99_seconds")
    @classmethod
    def _tail(cls, value: float, info: ValidationInfo) -> float:
        p95 = info.data.get("latency_p95_seconds")  # absent when p95 itself was invalid
        if p95 is not None and value < p95:
            unset = " (the default: set latencyP99Seconds too)" if value == DEFAULT_P99 else ""
            raise ValueError(f"{value:g}{unset} is below latencyP95Seconds ({p95:g}); allowed: from {p95:g} to "
                             f"{MAX_LATENCY_SECONDS} (the 99th percentile is never faster than the 95th)")
        return value


class AlertsConfig(_Model):
    """Who hears the environment's alarms (the alerts topic), and when they fire (`thresholds`)."""

    emails: list[str] = Field(default_factory=list, description="Email addresses subscribed to the alerts topic.")
    https_endpoints: list[str] = Field(default_factory=list, description="HTTPS URLs subscribed (e.g. on-call).")
    thresholds: AlertThresholds = Field(default_factory=AlertThresholds, description="When the alarms of the "
                                        "environment fire; every key is optional.")

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for email in value:
            if not re.match(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}\Z", email):
                raise ValueError(f"{email!r} is not an email address; allowed: name@domain.tld")
        return value

    @field_validator("https_endpoints")
    @classmethod
    def _https(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.match(r"^https://[^\s/]+(/\S*)?\Z", url):
                raise ValueError(f"{url!r} is not an HTTPS URL; allowed: https://host/path")
        return value
