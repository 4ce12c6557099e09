"""private-egress-via-nat: the app tier leaves through a NAT gateway of its zone; the data tier stays in.

Tiers come from what the subnets a route table is associated with (`RouteTableAssociation`) hold, and from
the `connect:tier` tag (`app`, `data`) on the table or its subnets: a subnet an ECS service or a Lambda
function attaches to is app tier; a subnet a DB, cache or Redshift subnet group or an EFS mount target uses
is data tier, tag or not (dropping a tag exempts nothing). A table's routes are its `aws:ec2/route:Route`
resources (whose `routeTableId` it fed) and its inline `routes`. Everything is followed through property
dependencies, so the rule decides in preview, when ids are unknown.

- An app-tier table has a default route (0.0.0.0/0) to a NAT gateway (none is needed in a wound-down environment,
  `connect_guardrails/lifecycle.py`: decommissioning removed the NAT gateways and everything that runs; a route it
  still has is judged as always). When the VPC has a NAT gateway
  in the zone of the table's subnets, the route must use that one (with a single NAT gateway for the
  VPC, crossing zones is the accepted trade-off). A NAT's zone is the `availabilityZone` of the subnet
  that fed its `subnetId`.
- A data-tier table has no route to 0.0.0.0/0 or ::/0 unless `allowDataTierInternet` is set, and no route to a
  VPC peering connection or a transit gateway (another network, perhaps another account's), except a default
  route when `allowDataTierInternet` is set.
- No NAT gateway sits in an app- or data-tier subnet: NAT gateways belong in the ingress tier.
- No app- or data-tier table routes anything to an internet gateway or an egress-only internet gateway
  (IPv6 addresses are public: `::/0` to an egress-only gateway is the internet without the NAT gateway,
  https://docs.aws.amazon.com/vpc/latest/userguide/egress-only-internet-gateway.html).
- No security group allows egress to `::/0`: the platform's egress is IPv4 through the NAT gateways (the data
  tier's groups are `data-store-egress-contained`'s, which refuses any egress out of the VPC).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.data_util import SECURITY_GROUPS, data_security_groups, group_egress
from connect_guardrails.lifecycle import wound_down
from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Deciding, Pending, get_raw, is_known, is_set, is_unknown, plain
from connect_guardrails.util import DATA_PLACEMENTS, Index, config_of, deps_of, deps_of_type, of_type, tag

ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
IGW = "aws:ec2/internetGateway:InternetGateway"
EIGW = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
GATEWAYS = {"igw": "an internet gateway", "eigw": "an egress-only internet gateway"}
NETWORKS = {"peering": "a VPC peering connection", "transit": "a transit gateway"}
APP_PLACEMENTS = (("aws:ecs/service:Service", "networkConfiguration"), ("aws:lambda/function:Function", "vpcConfig"))
TIER_TAG = "connect:tier"
DEFAULT_V4, DEFAULT_V6 = "0.0.0.0/0", "::/0"


@dataclass
class Hop:
    """One route of a table: where to, through what."""

    destination: str
    target: str  # "nat", "igw", "eigw", "other"
    label: str  # how the message names the route
    urn: str  # where the finding goes
    nats: list[PolicyResource] = field(default_factory=list)


def _target(props: object, gateway_deps: list[PolicyResource], nat_deps: list[PolicyResource],
            nat_key: str, gateway_key: str, eigw_deps: list[PolicyResource]) -> str:
    if nat_deps or is_set(props, nat_key):
        return "nat"
    gateway = get_raw(props, gateway_key)
    if any(d.resource_type == IGW for d in gateway_deps) or (isinstance(gateway, str) and gateway.startswith("igw-")):
        return "igw"
    if eigw_deps or is_set(props, "egressOnlyGatewayId") or (isinstance(gateway, str) and gateway.startswith("eigw-")):
        return "eigw"
    if is_set(props, "vpcPeeringConnectionId"):
        return "peering"
    if is_set(props, "transitGatewayId"):
        return "transit"
    return "other"


def _hops(table: PolicyResource, routes: list[PolicyResource], pending: Pending) -> list[Hop]:
    hops: list[Hop] = []
    for route in routes:
        for key in ("destinationCidrBlock", "destinationIpv6CidrBlock"):
            destination = pending.read(route.props, key)
            if is_known(destination) and destination:
                target = _target(route.props, deps_of(route, "gatewayId"), deps_of_type(route, "natGatewayId", NAT),
                                 "natGatewayId", "gatewayId", deps_of(route, "egressOnlyGatewayId"))
                hops.append(Hop(destination, target, f"route '{route.name}'", route.urn,
                                deps_of_type(route, "natGatewayId", NAT)))
    declared = {h.destination for h in hops}
    inline = plain(pending.read(table.props, "routes"))
    if is_unknown(inline):
        inline = []
    fed = deps_of(table, "routes")
    nats = [d for d in fed if d.resource_type == NAT]
    for index, entry in enumerate(inline or []):
        if not isinstance(entry, dict):
            continue
        for key in ("cidrBlock", "ipv6CidrBlock"):
            destination = pending.read(table.props, "routes", index, key)
            # refreshed state lists Route resources too
            if is_known(destination) and destination and destination not in declared:
                target = _target(entry, fed, [], "natGatewayId", "gatewayId", [])
                hops.append(Hop(destination, target, f"inline route {destination}", table.urn, nats))
    return hops


def _zone(subnet: PolicyResource, pending: Pending | None) -> str | None:
    """A subnet's zone; when unknown, None (and recorded, when the zone decides an outcome)."""
    zone = get_raw(subnet.props, "availabilityZone")
    if is_unknown(zone):
        if pending is not None:
            pending.add(subnet.props, "availabilityZone")
        return None
    return str(zone) if zone else None


def _same_vpc(a: list[PolicyResource], b: list[PolicyResource]) -> bool:
    """Same VPC when both sides name theirs; assumed when either side's VPC is not a stack resource."""
    return not a or not b or bool({r.urn for r in a} & {r.urn for r in b})


def _placed_tiers(resources: list[PolicyResource]) -> dict[str, set[str]]:
    """Subnet URN -> the tiers what is placed in it makes it: app (services, functions), data (data stores)."""
    placed: dict[str, set[str]] = {}
    for tier, placements in (("app", APP_PLACEMENTS), ("data", DATA_PLACEMENTS)):
        wanted = dict(placements)
        for resource in resources:
            prop = wanted.get(resource.resource_type)
            if prop is not None:
                for subnet in deps_of_type(resource, prop, SUBNET):
                    placed.setdefault(subnet.urn, set()).add(tier)
    return placed


def _ipv6_egress(index: Index, report_violation: ReportViolation, pending: Pending) -> None:
    """Security groups (the data tier's excepted: `data-store-egress-contained`) allow no egress to ::/0."""
    data = data_security_groups(index)
    for group in index.of_type(*SECURITY_GROUPS):
        if group.urn in data:
            continue
        deciding: Deciding = []
        for entry in group_egress(index, group, deciding):
            if DEFAULT_V6 in entry.cidrs:
                report_violation(
                    f"security group '{group.name}': {entry.where} allows egress ({entry.ports}) to ::/0; the "
                    f"platform's egress is IPv4 through its NAT gateways: remove the IPv6 egress",
                    entry.urn,
                )
        pending.add_all(deciding)


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """App tier: default route to a same-zone NAT; data tier: no internet route; neither: an IGW or egress-only
    gateway route; no security group egress to ::/0."""
    allow_data = bool(config_of(args).get("allowDataTierInternet", False))
    pending = Pending()
    resources = list(args.resources)
    subnets_of: dict[str, list[PolicyResource]] = {}
    for association in of_type(resources, ASSOCIATION):
        for table in deps_of_type(association, "routeTableId", ROUTE_TABLE):
            subnets_of.setdefault(table.urn, []).extend(deps_of_type(association, "subnetId", SUBNET))
    routes_of: dict[str, list[PolicyResource]] = {}
    for route in of_type(resources, ROUTE):
        for table in deps_of_type(route, "routeTableId", ROUTE_TABLE):
            routes_of.setdefault(table.urn, []).append(route)

    def nat_zone(nat: PolicyResource, deciding: bool) -> str | None:
        for subnet in deps_of_type(nat, "subnetId", SUBNET):
            zone = _zone(subnet, pending if deciding else None)
            if zone:
                return zone
        return None

    nats = [
        (nat, nat_zone(nat, deciding=False),
         [vpc for subnet in deps_of_type(nat, "subnetId", SUBNET) for vpc in deps_of(subnet, "vpcId")])
        for nat in of_type(resources, NAT)
    ]
    placed = _placed_tiers(resources)
    kept = wound_down(resources)  # decommissioned: nothing runs, nothing needs a way out
    for nat in of_type(resources, NAT):
        for subnet in deps_of_type(nat, "subnetId", SUBNET):
            tiers = ({tag(subnet.props, TIER_TAG)} | placed.get(subnet.urn, set())) & {"app", "data"}
            if tiers:
                report_violation(
                    f"NAT gateway '{nat.name}' sits in {'/'.join(sorted(tiers))}-tier subnet '{subnet.name}'; NAT "
                    f"gateways belong in the ingress tier, whose route table reaches the internet gateway",
                    nat.urn,
                )
    for table in of_type(resources, ROUTE_TABLE):
        subnets = subnets_of.get(table.urn, [])
        tiers = {tag(table.props, TIER_TAG)} | {tag(s.props, TIER_TAG) for s in subnets}
        tiers |= {tier for s in subnets for tier in placed.get(s.urn, ())}
        if not tiers & {"app", "data"}:
            continue
        tier_name = "/".join(sorted(t for t in tiers if t in ("app", "data")))
        hops = _hops(table, routes_of.get(table.urn, []), pending)
        for hop in hops:
            if hop.target in GATEWAYS:
                report_violation(
                    f"{tier_name}-tier route table '{table.name}': {hop.label} sends {hop.destination} to "
                    f"{GATEWAYS[hop.target]}; only the ingress tier routes to the internet gateway, and the "
                    f"platform's egress is IPv4 through its NAT gateways",
                    hop.urn,
                )
        if "app" in tiers:
            defaults = [h for h in hops if h.destination == DEFAULT_V4]
            if not defaults and not kept:
                report_violation(
                    f"app-tier route table '{table.name}' has no default route (0.0.0.0/0); route it to a NAT gateway",
                    table.urn,
                )
            for hop in hops:
                if hop.destination == DEFAULT_V6 and hop.target not in GATEWAYS:
                    report_violation(
                        f"app-tier route table '{table.name}': {hop.label} sends ::/0 out of the VPC; the app tier "
                        f"leaves over IPv4 through a NAT gateway only",
                        hop.urn,
                    )
            for hop in defaults:
                if hop.target != "nat" and hop.target not in GATEWAYS:
                    report_violation(
                        f"app-tier route table '{table.name}': {hop.label} sends 0.0.0.0/0 somewhere other than "
                        f"a NAT gateway; the app tier leaves through a NAT gateway",
                        hop.urn,
                    )
                if hop.target != "nat" or not hop.nats:
                    continue
                table_vpcs = deps_of(table, "vpcId")
                used_zones = {nat_zone(n, deciding=True) for n in hop.nats}
                for zone in sorted({z for z in (_zone(s, pending) for s in subnets) if z}):
                    local = [n for n, z, vpcs in nats if z == zone and _same_vpc(vpcs, table_vpcs)]
                    if local and zone not in used_zones and None not in used_zones:
                        report_violation(
                            f"app-tier route table '{table.name}' serves {zone} but {hop.label} goes to NAT "
                            f"gateway '{hop.nats[0].name}' in {', '.join(sorted(z for z in used_zones if z))}; "
                            f"use the NAT gateway of the same zone ('{local[0].name}')",
                            hop.urn,
                        )
        if "data" in tiers:
            for hop in hops:
                if hop.target in NETWORKS and not (allow_data and hop.destination in (DEFAULT_V4, DEFAULT_V6)):
                    report_violation(
                        f"data-tier route table '{table.name}': {hop.label} sends {hop.destination} to "
                        f"{NETWORKS[hop.target]}, another network (perhaps another account's); the data tier stays in "
                        f"its VPC",
                        hop.urn,
                    )
        if "data" in tiers and not allow_data:
            for hop in hops:
                if hop.destination in (DEFAULT_V4, DEFAULT_V6) and hop.target not in GATEWAYS \
                        and hop.target not in NETWORKS:
                    report_violation(
                        f"data-tier route table '{table.name}': {hop.label} sends {hop.destination} out of the "
                        f"VPC; the data tier has no internet route (policy config allowDataTierInternet)",
                        hop.urn,
                    )
    _ipv6_egress(Index.of(args.resources), report_violation, pending)
    pending.settle()


RULE = Rule(
    id="private-egress-via-nat", severity="high", check=check,
    description="The app tier's default route goes to a NAT gateway in its zone; the data tier has no internet route; "
                "no app/data route to an internet or egress-only gateway, no ::/0 egress.",
    anchors=("CKV2_AWS_35",), iso27001=("A.8.20", "A.8.21", "A.8.22"), ccm=("IVS-03", "IVS-06"),
    remediation=(
        "Give each app-tier route table a 0.0.0.0/0 route to the NAT gateway of its own zone (or to the single "
        "NAT gateway); give data-tier tables no 0.0.0.0/0 or ::/0 route; never route app or data tiers to an "
        "internet gateway or an egress-only internet gateway, and give no security group egress to ::/0."
    ),
    config={
        "allowDataTierInternet": {
            "type": "boolean",
            "default": False,
            "description": "Allow data-tier route tables a default route (never to an internet gateway).",
        },
    },
)
