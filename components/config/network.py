"""`connect:network`: the environment's VPC (block, zones, NAT layout, fixed egress IPs, flow logs) and the
checks that need the region's zones."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator

from components.config.base import ConfigIssue, LogRetentionDays, Model, each_once, shown
from components.regions import zones_of

if TYPE_CHECKING:
    from components.config.stack import StackConfig

PRIVATE_RANGES = [
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
    ipaddress.IPv4Network("100.64.0.0/10"),
]
EIP_ALLOCATION = re.compile(r"^eipalloc-([0-9a-f]{8}|[0-9a-f]{17})\Z", re.ASCII)
MIN_ZONES, MAX_ZONES = 2, 4
ZoneCount = Annotated[int, Field(ge=MIN_ZONES, le=MAX_ZONES)]
ZoneNames = Annotated[list[str], Field(min_length=MIN_ZONES, max_length=MAX_ZONES)]


class FlowLogsConfig(Model):
    """VPC flow logs: always on, for ALL traffic; only retention is configurable."""

    retention_days: LogRetentionDays = Field(default=365, description="One of CloudWatch Logs' retention values.")


def vpc_cidr(value: str) -> str:
    """A VPC block: canonical, /16 to /20, private (used for the primary and the DR VPC)."""
    try:
        net = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"{shown(value)} is not an IPv4 CIDR block; allowed: e.g. 10.40.0.0/16") from None
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


class NetworkConfig(Model):
    """The environment's VPC: block, zones, NAT layout and the fixed egress IPs."""

    cidr: Annotated[str, AfterValidator(vpc_cidr)] = Field(description="VPC block, /16 to /20, inside a private range.")
    availability_zones: ZoneCount | ZoneNames = Field(
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
            raise ValueError(f"{shown(value)} is not {shape}")
        for zone, ip in value.items():
            try:
                address = ipaddress.IPv4Address(ip) if isinstance(ip, str) else None
            except ValueError:
                address = None
            if address is None:
                raise ValueError(f"{zone}: {shown(ip)} is not an IPv4 address; allowed: {shape}")
            if not address.is_global:  # what a NAT gateway's Elastic IP is; private or documentation ones never are
                raise ValueError(f"{zone}: {ip} is not a public address; allowed: the Elastic IP of the zone's NAT "
                                 "gateway, a public IPv4 address")
        each_once(list(value.values()), "egress IP(s) listed for two zones: {}; each NAT gateway has its own")
        return value

    @field_validator("availability_zones", mode="before")
    @classmethod
    def _zones(cls, value: Any) -> Any:
        allowed = (f"a count from {MIN_ZONES} to {MAX_ZONES}, or a list of {MIN_ZONES} to {MAX_ZONES} zone names of "
                   "the region")
        if isinstance(value, int) and not isinstance(value, bool):
            if not MIN_ZONES <= value <= MAX_ZONES:
                raise ValueError(f"{value} zones; allowed: {allowed}")
            return value
        if not isinstance(value, list) or not all(isinstance(z, str) for z in value):
            raise ValueError(f"{value!r} is neither; allowed: {allowed}")
        if not MIN_ZONES <= len(value) <= MAX_ZONES:
            raise ValueError(f"{len(value)} zones given; allowed: {allowed}")
        each_once(value, "zone(s) listed twice: {}; each zone once")
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
        each_once(ids, "allocation id(s) listed twice: {}; each NAT gateway needs its own")
        return value

    @property
    def network(self) -> ipaddress.IPv4Network:
        """The VPC block as an address object."""
        return ipaddress.IPv4Network(self.cidr)


def network_issues(cfg: StackConfig, network: NetworkConfig) -> list[ConfigIssue]:
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
            message=f"{cfg.region} has {len(region_zones)} zones; allowed: {MIN_ZONES} to "
            f"{min(MAX_ZONES, len(region_zones))}",
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
