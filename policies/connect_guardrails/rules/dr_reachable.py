"""dr-reachable: a standby the client can reach: VPN links in the DR region, and service names that fail over.

A standby nobody can reach is no standby. The client reaches the services only through its IPsec links, and
uses them by name: if every tunnel ends at the primary region's gateway, or the names point at the primary
region's load balancer only, a regional outage takes the standby down with it. This rule applies to a stack in
a standby mode: the configured `drRegion` (the same config as `dr-region-self-contained`: a resource's own
known `region`, else its explicit provider's) holds an ECS cluster or a load balancer. Without `drRegion`, or
without such a standby (backup-restore), it checks nothing.

VPN: every VPN connection outside the DR region reaches a customer gateway address (its `ipAddress`) that some
VPN connection in the DR region reaches too. A connection's gateway is the `CustomerGateway` that fed its
`customerGatewayId` (a property dependency, known in preview) or whose known `id` it names; a gateway the stack
does not declare cannot be matched, which is a finding (customer gateways are regional: the DR region needs its
own, https://docs.aws.amazon.com/vpn/latest/s2svpn/your-cgw.html).

Names: every record in one of the stack's private hosted zones (a `Zone` with `vpcs`) that points at a load
balancer outside the DR region (an alias or CNAME the load balancer fed, or its known DNS name) must
- be the PRIMARY record of failover routing (`failoverRoutingPolicies: [{type: PRIMARY}]`,
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-types.html);
- have a health check of type `CLOUDWATCH_METRIC`, or a `CALCULATED` one whose children (fed or named by known
  id) all are: Route 53's health checkers live on the internet and cannot reach a private endpoint, so a record
  in a private zone can only be checked through a CloudWatch alarm
  (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-private-hosted-zones.html; a
  calculated check combining the service's alarm with a declared-failover switch is how the platform forces a
  failover);
- have a SECONDARY partner: a record of the same name and type in the same zone (a relative name is taken
  within the zone's name, as the provider does);
and its zone must be associated with a VPC of the DR region (a `vpcs` entry whose `vpcRegion`, by default the
zone's region, is the DR region, a DR-region VPC that fed `vpcs`, or a `ZoneAssociation`), or the DR region's
resolvers cannot answer the name. A SECONDARY record pointing at the primary's load balancer fails the first
point itself. Unknown values (preview) that decide an outcome are left to the engine's "can't run policy" note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_set, is_unknown, known_str, plain
from connect_guardrails.util import Index, config_of, deps_of, deps_of_type, provider_region

CLUSTER = "aws:ecs/cluster:Cluster"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
CUSTOMER_GATEWAY = "aws:ec2/customerGateway:CustomerGateway"
ZONE = "aws:route53/zone:Zone"
ZONE_ASSOCIATION = "aws:route53/zoneAssociation:ZoneAssociation"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
VPC_TYPES = ("aws:ec2/vpc:Vpc", "aws:ec2/defaultVpc:DefaultVpc")
PRIVATE_CHECK = "CLOUDWATCH_METRIC"
CALCULATED = "CALCULATED"


@dataclass(frozen=True)
class Unknown:
    """A value that would decide but is not known yet: where to read it, should it decide (`Pending`)."""

    props: Any
    path: tuple[Any, ...]

    def record(self, pending: Pending) -> None:
        pending.add(self.props, *self.path)


def _region(resource: PolicyResource) -> str | None:
    """Where a resource lives: its own known `region` (pulumi-aws 7), else its explicit provider's region."""
    return known_str(resource.props, "region") or provider_region(resource.provider)


def _by_id(resources: list[PolicyResource], *keys: str) -> dict[str, PolicyResource]:
    """The resources by their known ids (`id` and any other id output named, e.g. a zone's `zoneId`)."""
    return {value: r for r in resources for key in ("id", *keys) if (value := known_str(r.props, key))}


def _named(resource: PolicyResource, prop: str, types: tuple[str, ...],
           by_id: dict[str, PolicyResource]) -> PolicyResource | str | Unknown | None:
    """What `prop` names: the stack's resource of `types` that fed it or whose known id it holds, the literal id
    of one the stack does not declare, `Unknown`, or None when unset."""
    fed = deps_of_type(resource, prop, *types)
    if fed:
        return fed[0]
    value = get_raw(resource.props, prop)
    if is_unknown(value):
        return Unknown(resource.props, (prop,))
    if not isinstance(value, str) or not value:
        return None
    return by_id.get(value, value)


# --- VPN ---------------------------------------------------------------------------------------------------


def _address(connection: PolicyResource, gateways: dict[str, PolicyResource]) -> str | Unknown | None:
    """The address of the connection's customer gateway; None when the stack does not declare the gateway."""
    gateway = _named(connection, "customerGatewayId", (CUSTOMER_GATEWAY,), gateways)
    if not isinstance(gateway, PolicyResource):
        return gateway if isinstance(gateway, Unknown) else None
    address = get_raw(gateway.props, "ipAddress")
    if is_unknown(address):
        return Unknown(gateway.props, ("ipAddress",))
    return str(address) if address else None


def _check_vpn(index: Index, dr_region: str, pending: Pending, report: ReportViolation) -> None:
    gateways = _by_id(index.of_type(CUSTOMER_GATEWAY))
    primary: list[tuple[PolicyResource, str | Unknown | None]] = []
    dr_addresses: set[str] = set()
    dr_unknown: list[Unknown] = []
    for connection in index.of_type(VPN_CONNECTION):
        address = _address(connection, gateways)
        if _region(connection) != dr_region:
            primary.append((connection, address))
        elif isinstance(address, str):
            dr_addresses.add(address)
        elif isinstance(address, Unknown):
            dr_unknown.append(address)
    for connection, address in primary:
        if isinstance(address, Unknown):
            address.record(pending)
        elif address is None:
            report(f"VPN connection '{connection.name}' uses a customer gateway the stack does not declare: its "
                   f"address is unknown, so the rule cannot tell whether the DR region {dr_region} reaches the same "
                   f"device. Declare the customer gateway in the stack (and its twin under the DR provider)",
                   connection.urn)
        elif address not in dr_addresses:
            if dr_unknown:
                dr_unknown[0].record(pending)  # a DR link whose address is not known yet could be this one
                continue
            report(f"VPN connection '{connection.name}' (customer gateway {address}) ends in the primary region "
                   f"only: no VPN connection in the DR region {dr_region} reaches {address}, so the client has no "
                   f"path to the standby while the primary region is out. Declare the same link with the DR provider "
                   f"(a customer gateway with ip_address='{address}', a VPN gateway and a connection; the platform's "
                   f"SiteToSiteVpn does it: connect:dr.vpn)", connection.urn)


# --- names -------------------------------------------------------------------------------------------------


def _dns(name: str) -> str:
    """A DNS name as Route 53 compares it: lower case, no trailing dot, no `dualstack.` alias prefix."""
    return name.strip().lower().rstrip(".").removeprefix("dualstack.")


def _targets(record: PolicyResource, primary_lbs: dict[str, PolicyResource],
             by_dns: dict[str, PolicyResource]) -> PolicyResource | None:
    """The primary-region load balancer the record points at (alias or CNAME: fed by it, or its known DNS name)."""
    for prop in ("aliases", "records"):
        for fed in deps_of(record, prop):
            if fed.urn in primary_lbs:
                return primary_lbs[fed.urn]
    aliases = plain(get_raw(record.props, "aliases"))
    names = [a.get("name") for a in aliases if isinstance(a, dict)] if isinstance(aliases, list) else []
    values = plain(get_raw(record.props, "records"))
    names += values if isinstance(values, list) else []
    for name in names:
        if isinstance(name, str) and not is_unknown(name) and _dns(name) in by_dns:
            return by_dns[_dns(name)]
    return None


def _failover(record: PolicyResource) -> str | Unknown | None:
    """The record's failover type (PRIMARY, SECONDARY), None without failover routing, or `Unknown`."""
    policies = plain(get_raw(record.props, "failoverRoutingPolicies"))
    if is_unknown(policies):
        return Unknown(record.props, ("failoverRoutingPolicies",))
    first = policies[0] if isinstance(policies, list) and policies else None
    if not isinstance(first, dict):
        return None
    kind = first.get("type")
    if is_unknown(kind):
        return Unknown(record.props, ("failoverRoutingPolicies", 0, "type"))
    return str(kind).upper() if kind else None


def _key(record: PolicyResource, zone: PolicyResource) -> tuple[str, str] | Unknown:
    """(full name, type) of a record, a relative name taken within the zone's name (as the provider does)."""
    name, kind = get_raw(record.props, "name"), get_raw(record.props, "type")
    for prop, value in (("name", name), ("type", kind)):
        if is_unknown(value):
            return Unknown(record.props, (prop,))
    full = _dns(str(name or ""))
    zone_name = _dns(known_str(zone.props, "name") or "")
    if zone_name and full != zone_name and not full.endswith("." + zone_name):
        full = f"{full}.{zone_name}" if full else zone_name
    return full, str(kind or "").upper()


def _probes(check: PolicyResource, checks: dict[str, PolicyResource], seen: frozenset[str]) -> str | Unknown | None:
    """What makes a health check unfit for a private name (it would probe the endpoint from the internet, or cannot
    be judged); None for a CLOUDWATCH_METRIC check or a CALCULATED check over such checks only."""
    kind = get_raw(check.props, "type")
    if is_unknown(kind):
        return Unknown(check.props, ("type",))
    if kind == PRIVATE_CHECK:
        return None
    if kind != CALCULATED:
        return f"'{check.name}' of type {kind}"
    children = {c.urn: c for c in deps_of_type(check, "childHealthchecks", HEALTH_CHECK)}
    ids = plain(get_raw(check.props, "childHealthchecks"))
    if is_unknown(ids) and not children:
        return Unknown(check.props, ("childHealthchecks",))
    for position, value in enumerate(ids if isinstance(ids, list) else []):
        if is_unknown(value):
            if not children:  # the dependencies stand for the unknown ids
                return Unknown(check.props, ("childHealthchecks", position))
        elif value in checks:
            children.setdefault(checks[value].urn, checks[value])
        elif value:
            return f"'{check.name}' combining '{value}', which the stack does not declare"
    if not children:
        return f"'{check.name}', CALCULATED from no health check"
    for child in children.values():
        found = None if child.urn in seen else _probes(child, checks, seen | {check.urn})
        if found is not None:
            return found if isinstance(found, Unknown) else f"'{check.name}' combining {found}"
    return None


def _health_problem(record: PolicyResource, checks: dict[str, PolicyResource]) -> str | Unknown | None:
    """Why the record's health check cannot fail a private name over; None when it can."""
    check = _named(record, "healthCheckId", (HEALTH_CHECK,), checks)
    if check is None:
        return "it has no health check, so Route 53 never fails it over"
    if isinstance(check, str):
        return (f"its health check '{check}' is not declared in the stack, so its type cannot be checked (it must "
                f"be {PRIVATE_CHECK})")
    if isinstance(check, Unknown):
        return check
    found = _probes(check, checks, frozenset())
    if isinstance(found, str):
        return (f"its health check is {found}: Route 53's checkers are on the internet and cannot reach a private "
                f"endpoint; use a {PRIVATE_CHECK} check on the service's CloudWatch alarm (or a {CALCULATED} check "
                f"over such checks)")
    return found


def _partner_problem(record: PolicyResource, key: tuple[str, str] | Unknown,
                     others: list[tuple[PolicyResource, tuple[str, str] | Unknown]]) -> str | Unknown | None:
    """No SECONDARY record of the same name and type in the zone (a record whose name is unknown could be it)."""
    if isinstance(key, Unknown):
        return key
    undecided: Unknown | None = None
    for other, other_key in others:
        if other.urn == record.urn:
            continue
        if isinstance(other_key, Unknown):
            undecided = undecided or other_key
            continue
        if other_key != key:
            continue
        kind = _failover(other)
        if kind == "SECONDARY":
            return None
        if isinstance(kind, Unknown):
            undecided = undecided or kind
    return undecided or f"no SECONDARY record of the same name ({key[0]}, {key[1]}) answers in its zone"


def _dr_associated(zone: PolicyResource, index: Index, dr_region: str) -> bool | Unknown:
    """The zone is associated with a VPC of the DR region: by a `vpcs` entry, a DR VPC feeding `vpcs`, or a
    `ZoneAssociation` (a missing `vpcRegion` is the owner's region)."""
    candidates: list[tuple[PolicyResource, tuple[Any, ...], Any]] = []
    vpcs = plain(get_raw(zone.props, "vpcs"))
    for position, entry in enumerate(vpcs if isinstance(vpcs, list) else []):
        if isinstance(entry, dict):
            candidates.append((zone, ("vpcs", position, "vpcRegion"), entry.get("vpcRegion")))
    names = [n for n in (known_str(zone.props, "zoneId"), known_str(zone.props, "id")) if n]
    associations = index.fed(zone, (ZONE_ASSOCIATION,), "zoneId", names)
    for owner, prop in [(zone, "vpcs"), *((a, "vpcId") for a in associations)]:
        if any(v.resource_type in VPC_TYPES and _region(v) == dr_region for v in deps_of(owner, prop)):
            return True
    candidates += [(a, ("vpcRegion",), get_raw(a.props, "vpcRegion")) for a in associations]
    undecided = Unknown(zone.props, ("vpcs",)) if is_unknown(vpcs) else None
    for owner, path, region in candidates:
        if is_unknown(region):
            undecided = undecided or Unknown(owner.props, path)
        elif (region or _region(owner)) == dr_region:
            return True
    return undecided or False


def _check_names(index: Index, dr_region: str, pending: Pending, report: ReportViolation) -> None:
    primary_lbs = {lb.urn: lb for lb in index.of_type(*LOAD_BALANCERS) if _region(lb) != dr_region}
    by_dns = {_dns(name): lb for lb in primary_lbs.values() if (name := known_str(lb.props, "dnsName"))}
    zones = index.of_type(ZONE)
    zones_by_id = _by_id(zones, "zoneId")
    checks = _by_id(index.of_type(HEALTH_CHECK))
    in_zone: dict[str, list[tuple[PolicyResource, tuple[str, str] | Unknown]]] = {}
    judged: list[tuple[PolicyResource, PolicyResource, PolicyResource]] = []
    for record in index.of_type(RECORD):
        zone = _named(record, "zoneId", (ZONE,), zones_by_id)
        if not isinstance(zone, PolicyResource):
            continue  # a zone the stack does not declare: dns-private-only's concern
        in_zone.setdefault(zone.urn, []).append((record, _key(record, zone)))
        lb = _targets(record, primary_lbs, by_dns)
        if lb is not None:
            judged.append((record, zone, lb))
    unassociated: dict[str, PolicyResource | None] = {}
    for record, zone, lb in judged:
        vpcs = get_raw(zone.props, "vpcs")
        if not is_set(zone.props, "vpcs"):
            continue  # a public zone: dns-private-only refuses it
        kind = _failover(record)
        if isinstance(kind, Unknown) or kind == "PRIMARY":
            routing: str | Unknown | None = kind if isinstance(kind, Unknown) else None
        else:
            routing = (f"it is a {kind} failover record, not the PRIMARY" if kind else
                       "it has no failover routing (it must be the PRIMARY record of a failover pair)")
        key = next(k for r, k in in_zone[zone.urn] if r.urn == record.urn)
        found = [routing, _health_problem(record, checks), _partner_problem(record, key, in_zone[zone.urn])]
        problems = [p for p in found if isinstance(p, str)]
        if problems and is_unknown(vpcs):
            Unknown(zone.props, ("vpcs",)).record(pending)  # a private zone only once its vpcs are known
        elif problems:
            report(f"Record '{record.name}' in private zone '{zone.name}' points at the primary region's load "
                   f"balancer '{lb.name}' but does not fail over to the DR region {dr_region}: "
                   f"{'; '.join(problems)}. Give the name a failover pair: PRIMARY to the primary load balancer with "
                   f"a {PRIVATE_CHECK} health check, SECONDARY to the standby's", record.urn)
        else:
            for unknown in (p for p in found if isinstance(p, Unknown)):
                unknown.record(pending)
        if zone.urn not in unassociated:
            associated = _dr_associated(zone, index, dr_region)
            if isinstance(associated, Unknown):
                associated.record(pending)
            unassociated[zone.urn] = zone if associated is False else None
    for zone in (z for z in unassociated.values() if z is not None):
        report(f"Private zone '{zone.name}' holds names of the primary region's load balancer but is associated with "
               f"no VPC of the DR region {dr_region}: the standby's resolvers cannot answer them. Add the DR VPC to "
               f"the zone's vpcs (vpc_region='{dr_region}')", zone.urn)


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """In a standby mode: the DR region reaches every customer gateway the primary does, and each private name of
    the primary's load balancer is a PRIMARY failover record with a CloudWatch health check and a SECONDARY."""
    dr_region = config_of(args).get("drRegion") or None
    if not dr_region:
        return
    index = Index.of(args.resources)
    if not any(_region(r) == dr_region for r in index.of_type(CLUSTER, *LOAD_BALANCERS)):
        return  # no standby platform (backup-restore): nothing to reach yet
    pending = Pending()
    _check_vpn(index, dr_region, pending, report_violation)
    _check_names(index, dr_region, pending, report_violation)
    pending.settle()


RULE = Rule(
    id="dr-reachable", severity="high", check=check,
    description="In a standby mode, the DR region has VPN links to the same customer gateways as the primary, and "
                "each private service name fails over to it.",
    iso27001=("A.5.30", "A.8.14"), ccm=("BCR-11",),
    remediation=(
        "Declare the VPN links again with the DR provider (aws.ec2.CustomerGateway with the same ip_address, "
        "aws.ec2.VpnGateway, aws.ec2.VpnConnection; the platform's SiteToSiteVpn, on by default in the standby "
        "modes: connect:dr.vpn). Publish each service name in a private zone associated with both regions' VPCs as "
        "a failover pair: aws.route53.Record(failover_routing_policies=[{'type': 'PRIMARY'}], set_identifier="
        "'primary', health_check_id=<aws.route53.HealthCheck(type='CLOUDWATCH_METRIC', cloudwatch_alarm_name=...)>, "
        "or a type='CALCULATED' check over such checks, aliases=[<primary load balancer>]) and a SECONDARY record of "
        "the same name aliased to the standby's load balancer."
    ),
    config={
        "drRegion": {
            "type": "string",
            "description": "The DR region that must be reachable in a standby mode; unset: the rule checks nothing.",
        },
    },
)
