"""dns-private-only: the platform's names are private: private hosted zones, inbound Resolver endpoints only.

"Private subnets only" applies to names too: a public hosted zone publishes the services' names and internal
addresses on the internet, and the client resolves them over the VPN anyway, through a Route 53 Resolver inbound
endpoint (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-forwarding-inbound-queries.html).
Checked:
- every `aws:route53/zone:Zone` is private: it has at least one `vpcs` entry (a zone created without one is
  public, and a public zone cannot be associated with a VPC later:
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-private.html);
- every `aws:route53/record:Record` is in a zone of the stack (its `zoneId` fed by the zone, or the zone's known
  id): a record in a zone the stack does not declare cannot be proven private;
- every `aws:route53/resolverEndpoint:ResolverEndpoint` is `INBOUND`. An OUTBOUND endpoint forwards the VPC's
  queries out of it (to resolvers a forwarding rule names), which the design has no use for; INBOUND_DELEGATION
  is refused too;
- the endpoint's security groups (fed by the groups, or their known ids; a group the stack does not declare
  cannot be checked) admit DNS (port 53, TCP or UDP, or all traffic) only from private RFC 1918 ranges
  (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) or other security groups: never 0.0.0.0/0, a public or IPv6
  range, or a prefix list (whose ranges the rule cannot see). Ingress is read from the group's inline `ingress`,
  `SecurityGroupIngressRule`s and `SecurityGroupRule`s of type ingress.
A client whose data centres use public address space internally needs an exemption (with its reason). Unknown
values (preview) that decide an outcome are left to the engine's "can't run policy" note.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_known, is_set, is_unknown, known_str, plain
from connect_guardrails.util import ALL_PROTOCOLS, Index, as_list, deps_of_type, port_label, protocol_name

ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
RESOLVER_ENDPOINT = "aws:route53/resolverEndpoint:ResolverEndpoint"
SECURITY_GROUPS = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INBOUND = "INBOUND"
DNS_PORT = 53
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Where each kind of ingress entry names its protocol, its CIDRs (IPv4, IPv6) and its prefix lists.
INLINE_KEYS = ("protocol", ("cidrBlocks", "ipv6CidrBlocks"), "prefixListIds")
RULE_KEYS = ("ipProtocol", ("cidrIpv4", "cidrIpv6"), "prefixListId")


def _private(cidr: str) -> bool:
    """An IPv4 range inside RFC 1918 (an IPv6 range never is: RFC 1918 is IPv4 only)."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return isinstance(network, ipaddress.IPv4Network) and any(network.subnet_of(r) for r in PRIVATE_RANGES)


def _entries(index: Index, group: PolicyResource,
             pending: Pending) -> Iterator[tuple[str, Any, tuple[Any, ...], dict[str, Any], tuple[Any, ...]]]:
    """(where, props, path, entry, keys) for every ingress permission of a group: inline, and the standalone rules
    that name it (by dependency or known id). An unknown inline list is recorded."""
    inline = plain(pending.read(group.props, "ingress"))
    for position, entry in enumerate(inline if isinstance(inline, list) else []):
        if isinstance(entry, dict):
            yield f"ingress[{position}]", group.props, ("ingress", position), entry, INLINE_KEYS
    names = [n for n in (known_str(group.props, "id"),) if n]
    for rule in index.fed(group, (INGRESS_RULE, LEGACY_RULE), "securityGroupId", names):
        props = plain(rule.props)
        if rule.resource_type == LEGACY_RULE:
            if is_unknown(pending.read(rule.props, "type")):
                continue
            if props.get("type") != "ingress":
                continue
        yield f"rule '{rule.name}'", rule.props, (), props, INLINE_KEYS if rule.resource_type == LEGACY_RULE \
            else RULE_KEYS


def _admits_dns(props: Any, path: tuple[Any, ...], protocol_key: str, pending: Pending) -> bool:
    """The permission at `props[path...]` covers port 53 over TCP or UDP (all traffic does); an unknown protocol
    or port is recorded and counted as not covering (the note stands for it)."""
    protocol = pending.read(props, *path, protocol_key)
    if is_unknown(protocol):
        return False
    name = protocol_name(protocol)
    if name in ALL_PROTOCOLS:
        return True
    if name not in ("tcp", "udp"):
        return False
    low = pending.read(props, *path, "fromPort")
    if is_unknown(low):
        return False
    high = pending.read(props, *path, "toPort")
    if is_unknown(high):
        return False
    return isinstance(low, float | int) and isinstance(high, float | int) and low <= DNS_PORT <= high


def _public_sources(entry: dict[str, Any], props: Any, path: tuple[Any, ...], keys: tuple[Any, ...],
                    pending: Pending) -> list[str]:
    """The sources of a DNS permission that are not private ranges (security group sources are)."""
    found: list[str] = []
    _, cidr_keys, prefix_key = keys
    for key in cidr_keys:
        value = pending.read(props, *path, key)
        if is_unknown(value):
            continue
        for position, cidr in enumerate(as_list(value)):
            if is_unknown(cidr):
                pending.add(props, *path, key, position)
            elif isinstance(cidr, str) and cidr and not _private(cidr):
                found.append(cidr)
    prefix_lists = entry.get(prefix_key)
    for prefix_list in [prefix_lists] if is_unknown(prefix_lists) else as_list(prefix_lists):
        if prefix_list:
            found.append(f"prefix list {'(unknown)' if is_unknown(prefix_list) else prefix_list}")
    return found


def _endpoint_problems(endpoint: PolicyResource, index: Index, groups_by_id: dict[str, PolicyResource],
                       pending: Pending) -> list[str]:
    problems: list[str] = []
    direction = pending.read(endpoint.props, "direction")
    if is_known(direction) and direction != INBOUND:
        problems.append(f"its direction is {direction}: only INBOUND endpoints (the client's resolvers forwarding to "
                        "the private zones) belong to the design")
    groups = {g.urn: g for g in deps_of_type(endpoint, "securityGroupIds", *SECURITY_GROUPS)}
    ids = get_raw(endpoint.props, "securityGroupIds")
    if is_unknown(ids):
        if not groups:
            pending.add(endpoint.props, "securityGroupIds")
        ids = []
    for position, group_id in enumerate(as_list(ids)):
        if is_unknown(group_id):
            if not groups:
                pending.add(endpoint.props, "securityGroupIds", position)
        elif isinstance(group_id, str) and group_id in groups_by_id:
            groups.setdefault(groups_by_id[group_id].urn, groups_by_id[group_id])
        elif isinstance(group_id, str) and group_id:
            problems.append(f"its security group '{group_id}' is not declared in the stack, so what it admits cannot "
                            "be checked")
    for group in groups.values():
        for where, props, path, entry, keys in _entries(index, group, pending):
            if not _admits_dns(props, path, keys[0], pending):
                continue
            public = _public_sources(entry, props, path, keys, pending)
            if public:
                ports = port_label(entry.get(keys[0]), entry.get("fromPort"), entry.get("toPort"))
                problems.append(f"security group '{group.name}' admits DNS ({ports}, {where}) from "
                                f"{', '.join(public)}")
    return sorted(problems)  # the engine hands resources over in no fixed order: one message for one plan


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Hosted zones are private, records live in the stack's zones, Resolver endpoints are inbound and admit DNS
    only from private ranges."""
    index = Index.of(args.resources)
    pending = Pending()
    zones = index.of_type(ZONE)
    for zone in zones:
        if is_known(pending.read(zone.props, "vpcs")) and not is_set(zone.props, "vpcs"):
            report_violation(
                f"Hosted zone '{zone.name}' is public (no vpcs): it would publish the services' names on the "
                f"internet. Create it as a private zone: vpcs=[{{'vpc_id': vpc.id, 'vpc_region': <region>}}] for the "
                f"VPC of each region", zone.urn)
    zone_ids = {value for z in zones for key in ("id", "zoneId") if (value := known_str(z.props, key))}
    for record in index.of_type(RECORD):
        if deps_of_type(record, "zoneId", ZONE):
            continue  # judged with its zone
        zone_id = pending.read(record.props, "zoneId")
        if is_known(zone_id) and zone_id not in zone_ids:
            report_violation(
                f"Record '{record.name}' is in hosted zone '{zone_id}', which the stack does not declare: it cannot "
                f"be proven private. Put the name in the stack's private zone (zone_id=zone.zone_id)", record.urn)
    groups_by_id = {value: g for g in index.of_type(*SECURITY_GROUPS) if (value := known_str(g.props, "id"))}
    for endpoint in index.of_type(RESOLVER_ENDPOINT):
        problems = _endpoint_problems(endpoint, index, groups_by_id, pending)
        if problems:
            report_violation(
                f"Resolver endpoint '{endpoint.name}' is not private: {'; '.join(problems)}. Declare it with "
                f"direction='INBOUND' and its own security group admitting TCP and UDP 53 only from the client's "
                f"data-centre ranges", endpoint.urn)
    pending.settle()


RULE = Rule(
    id="dns-private-only", severity="high", check=check,
    description="Hosted zones are private, records live in the stack's zones, and Resolver endpoints are inbound "
                "and admit DNS only from private ranges.",
    iso27001=("A.8.20", "A.8.22"), ccm=("IVS-03", "IVS-09"),
    remediation=(
        "Declare every aws.route53.Zone with vpcs=[{'vpc_id': ..., 'vpc_region': ...}] (a private zone) and put "
        "every aws.route53.Record in one of the stack's zones (zone_id=zone.zone_id); declare "
        "aws.route53.ResolverEndpoint with direction='INBOUND' and a security group of its own whose ingress admits "
        "TCP and UDP 53 only from the client's RFC 1918 data-centre ranges (aws.vpc.SecurityGroupIngressRule("
        "cidr_ipv4='172.16.0.0/16', from_port=53, to_port=53)), never 0.0.0.0/0, a public range or a prefix list."
    ),
)
