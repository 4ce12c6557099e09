"""`connect:vpn`: client connectivity, IPsec Site-to-Site VPN links to the client's data centres.

Clients reach their business services in their own data centres through IPsec Site-to-Site VPN.
Every option AWS would refuse is refused here first (the tunnel options of
https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html);
options AWS accepts but our guardrails reject (weak crypto) are left to the policy pack, so the
report says which guardrail and why.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, field_validator

from components.config.base import CONNECT_KEYS, SLUG, ConfigIssue, Model, Worded, matching, pattern_hint

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
CONNECTION_NAME = SLUG  # a slug (components/config/base.py), with its own length limits
Tier = Literal["app", "data"]
AMAZON_ASN_RANGES = ((64512, 65534), (4200000000, 4294967294))
MAX_ASN = 4294967294
STANDARD_ASN_MAX = 2147483647  # above this AWS takes the customer ASN in the "extended" field

if TYPE_CHECKING:
    from components.config.network import NetworkConfig
    from components.config.stack import StackConfig
SecretKeyName = Annotated[str, Field(json_schema_extra=pattern_hint(SECRET_KEY)), matching(
    SECRET_KEY, "a config key name", "letters and digits, starting with a letter (the key connect:<name> holds the "
    "secret)")]
MIN_CONNECTION_NAME, MAX_CONNECTION_NAME = 2, 32
ConnectionName = Annotated[str, Field(json_schema_extra=pattern_hint(CONNECTION_NAME, MIN_CONNECTION_NAME,
                                                                     MAX_CONNECTION_NAME))]


def _asn(value: Any, lo: int, hi: int) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{value!r} is not a BGP ASN; allowed: {lo} to {hi}")
    return value


Asn = Annotated[int, Field(ge=1, le=MAX_ASN), Worded(_asn)]
AmazonAsn = Annotated[int, Field(ge=AMAZON_ASN_RANGES[0][0], le=AMAZON_ASN_RANGES[-1][1])]


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


def _offered(allowed: tuple[Any, ...]) -> dict[str, Any]:
    """Schema of a proposal list: AWS's values, at least one, each once (`_choices` decides and explains)."""
    kind = "integer" if isinstance(allowed[0], int) else "string"
    return {"items": {"type": kind, "enum": list(allowed)}, "minItems": 1, "uniqueItems": True}


class CryptoConfig(Model):
    """IPsec proposals for both tunnels; the defaults are what the guardrails call strong."""

    ike_versions: list[str] = Field(
        default_factory=lambda: ["ikev2"], json_schema_extra=_offered(IKE_VERSIONS),
        description="IKE versions the tunnels accept.")
    phase1_encryption: list[str] = Field(
        default_factory=lambda: ["AES256", "AES256-GCM-16"], json_schema_extra=_offered(ENCRYPTION),
        description="Phase 1 (IKE) encryption algorithms; the policy pack flags weak ones.")
    phase2_encryption: list[str] = Field(
        default_factory=lambda: ["AES256", "AES256-GCM-16"], json_schema_extra=_offered(ENCRYPTION),
        description="Phase 2 (IPsec) encryption algorithms; the policy pack flags weak ones.")
    phase1_integrity: list[str] = Field(
        default_factory=lambda: ["SHA2-256", "SHA2-384", "SHA2-512"], json_schema_extra=_offered(INTEGRITY),
        description="Phase 1 integrity algorithms; the policy pack flags SHA1.")
    phase2_integrity: list[str] = Field(
        default_factory=lambda: ["SHA2-256", "SHA2-384", "SHA2-512"], json_schema_extra=_offered(INTEGRITY),
        description="Phase 2 integrity algorithms; the policy pack flags SHA1.")
    phase1_dh_groups: list[int] = Field(
        default_factory=lambda: [20, 21], json_schema_extra=_offered(PHASE1_DH),
        description="Phase 1 Diffie-Hellman groups; the policy pack flags weak ones.")
    phase2_dh_groups: list[int] = Field(
        default_factory=lambda: [20, 21], json_schema_extra=_offered(PHASE2_DH),
        description="Phase 2 Diffie-Hellman groups; the policy pack flags weak ones.")

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


class TunnelConfig(Model):
    """One tunnel: its inside /30 and, optionally, its pre-shared key from a secret config key."""

    inside_cidr: str | None = Field(default=None, description="A /30 inside 169.254.0.0/16 (AWS picks one if "
                                    "absent).")
    preshared_key_secret: SecretKeyName | None = Field(default=None, description="Name of a secret config key "
                                             "(connect:<name>, set with `pulumi config set --secret`) holding the "
                                             "key; AWS generates one if absent.")

    dr_inside_cidr: str | None = Field(default=None, description="The same tunnel's /30 in the DR region (standby "
                                       "modes, or `connect:dr.vpn: true`): the client's device ends both regions' "
                                       "tunnels, so it must differ from every insideCidr (AWS picks one if absent).")
    dr_preshared_key_secret: SecretKeyName | None = Field(
        default=None, description="Secret config key of the DR region "
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


class VpnConnectionConfig(Model):
    """A link to one client data centre: its device, routing, reachable tiers and tunnels."""

    name: ConnectionName = Field(description="Slug naming the link (e.g. dc-santiago); keys every resource of it.")
    peer_ip: str = Field(description="Public IPv4 address of the client's VPN device.")
    bgp_asn: Asn = Field(default=65000, description="The client device's BGP ASN (1-4294967294).")
    static_routes: bool = Field(default=False, description="Static routing to onPremCidrs instead of BGP.")
    on_prem_cidrs: list[str] = Field(description="The client's data-centre ranges reached through this link.")
    reachable_tiers: list[Tier] = Field(default_factory=lambda: list[Tier](["app"]),
                                        description="Tiers whose route tables reach the link.")
    tunnels: list[TunnelConfig] | None = Field(
        default=None, json_schema_extra={"minItems": 2, "maxItems": 2}, description="Exactly two tunnels, or absent.")
    crypto: CryptoConfig = Field(default_factory=CryptoConfig)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not CONNECTION_NAME.match(value) or not MIN_CONNECTION_NAME <= len(value) <= MAX_CONNECTION_NAME:
            raise ValueError(f"{value!r} is not a connection name; allowed: {MIN_CONNECTION_NAME}-"
                             f"{MAX_CONNECTION_NAME} lowercase letters, digits and single hyphens, starting with a "
                             "letter")
        return value

    @field_validator("peer_ip")
    @classmethod
    def _peer(cls, value: str) -> str:
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv4 address; allowed: the device's public IPv4 address") from None
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


class VpnConfig(Model):
    """The environment's virtual private gateway and its connections, keyed by name."""

    amazon_side_asn: AmazonAsn = Field(default=64512, description="ASN of the AWS side; a private ASN: "
                                       "64512-65534 or 4200000000-4294967294.")
    connections: list[VpnConnectionConfig] = Field(default_factory=list)

    @field_validator("amazon_side_asn", mode="before")
    @classmethod
    def _amazon(cls, value: Any) -> Any:
        ok = isinstance(value, int) and not isinstance(value, bool) and any(
            lo <= value <= hi for lo, hi in AMAZON_ASN_RANGES)
        if not ok:
            raise ValueError(f"{value!r} is not a private ASN; allowed: 64512-65534 or 4200000000-4294967294")
        return value


def vpn_issues(cfg: StackConfig, vpn: VpnConfig, network: NetworkConfig) -> list[ConfigIssue]:
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


def psk_issues(values: Mapping[str, Any], secret_keys: Collection[str] | None) -> list[ConfigIssue]:
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
