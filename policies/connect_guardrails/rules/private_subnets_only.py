"""private-subnets-only: services, load balancers, endpoints and functions live only in private, IPv4-only subnets.

Checked attachments: `aws:ecs/service:Service` (`networkConfiguration.subnets`),
`aws:lb/loadBalancer:LoadBalancer` / `aws:alb/loadBalancer:LoadBalancer` (`subnets`,
`subnetMappings[].subnetId`), `aws:ec2/vpcEndpoint:VpcEndpoint` (`subnetIds`) and
`aws:lambda/function:Function` (`vpcConfig.subnetIds`: a function in the ingress subnets is refused here,
whatever `fargate-only` says of functions). Each subnet must be provably private:

- it is a subnet resource of the stack, linked by property dependencies (the engine records the
  subnets behind `networkConfiguration` for ECS services); a literal id no subnet resource explains
  cannot be proven private;
- its `connect:tier` tag is `app` or `data`;
- its route table has no route to an internet gateway. The table is the one a `RouteTableAssociation`
  links to the subnet (`subnetId` / `routeTableId` dependencies), else the VPC's main table (routes
  given against the VPC's main/default route table id, a `DefaultRouteTable` or a
  `MainRouteTableAssociation` of the VPC). A table's routes are its `aws:ec2/route:Route` resources
  (whose `routeTableId` it fed) and its inline `routes`. A route goes to an internet gateway when an
  `InternetGateway` fed its `gatewayId`, or the known id starts with `igw-`.

One finding per attaching resource lists every subnet that fails.

Private subnets are also IPv4-only. An IPv6 address is globally routable: it needs no NAT to reach the
internet, or to be reached through an egress-only or internet gateway
(https://docs.aws.amazon.com/vpc/latest/userguide/egress-only-internet-gateway.html), so it bypasses the
platform's egress path and its allow-listed addresses. Per subnet (one finding on the subnet):
- no subnet hands out IPv6 addresses on launch (`assignIpv6AddressOnCreation`, `ipv6Native`), whatever its
  tier: the IPv6 twin of `mapPublicIpOnLaunch` (`subnet-no-auto-public-ip`);
- a private subnet (`connect:tier` app or data, or a subnet a workload uses: the attachments above, DB and
  cache subnet groups, EFS mount targets) has no `ipv6CidrBlock` (an unknown value counts as set), no
  `enableDns64` and no `enableResourceNameDnsAaaaRecordOnLaunch`.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_known, is_set, is_unknown, plain
from connect_guardrails.util import (
    DATA_PLACEMENTS,
    SUBNET_ATTACHMENTS,
    attached_subnets,
    deps_of,
    deps_of_type,
    of_type,
    tag,
)

ECS_SERVICE = "aws:ecs/service:Service"
LAMBDA = "aws:lambda/function:Function"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
VPC_TYPES = ("aws:ec2/vpc:Vpc", "aws:ec2/defaultVpc:DefaultVpc")
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"
TABLE_TYPES = (ROUTE_TABLE, DEFAULT_ROUTE_TABLE)
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"
TIER_TAG = "connect:tier"
PRIVATE_TIERS = ("app", "data")
LABELS = {ECS_SERVICE: "ECS service", ENDPOINT: "VPC endpoint", LAMBDA: "Lambda function"}
SUBNET_TYPES = ("aws:ec2/subnet:Subnet", "aws:ec2/defaultSubnet:DefaultSubnet")
ON_LAUNCH = ("assignIpv6AddressOnCreation", "ipv6Native")  # every subnet
PRIVATE_IPV6 = ("enableDns64", "enableResourceNameDnsAaaaRecordOnLaunch")  # private subnets, besides the block


def _attachment_values(resource: PolicyResource) -> tuple[list[Any] | None, tuple[Any, ...]]:
    """The subnet ids a resource names (None when the list itself is unknown, with the path to read)."""
    props = resource.props
    if resource.resource_type == ECS_SERVICE:
        config = get_raw(props, "networkConfiguration")
        if is_unknown(config):
            return None, (props, "networkConfiguration")
        subnets = get_raw(config, "subnets")
        if is_unknown(subnets):
            return None, (props, "networkConfiguration", "subnets")
        return list(plain(subnets) or []), ()
    if resource.resource_type == ENDPOINT:
        subnets = get_raw(props, "subnetIds")
        return (None, (props, "subnetIds")) if is_unknown(subnets) else (list(plain(subnets) or []), ())
    if resource.resource_type == LAMBDA:
        config = get_raw(props, "vpcConfig")
        if is_unknown(config):
            return None, (props, "vpcConfig")
        subnets = get_raw(config, "subnetIds")
        if is_unknown(subnets):
            return None, (props, "vpcConfig", "subnetIds")
        return list(plain(subnets) or []), ()
    values: list[Any] = []
    subnets, mappings = get_raw(props, "subnets"), get_raw(props, "subnetMappings")
    if is_unknown(subnets):
        return None, (props, "subnets")
    if is_unknown(mappings):
        return None, (props, "subnetMappings")
    values += plain(subnets) or []
    for mapping in plain(mappings) or []:
        values.append(mapping.get("subnetId") if isinstance(mapping, dict) else mapping)
    return values, ()


def _outside(values: list[Any], subnets: list[PolicyResource]) -> list[str]:
    """Why some named subnets are no subnet resource of the stack (empty: all of them are)."""
    ids = {get_raw(s.props, "id") for s in subnets}
    # Subnets whose id the outputs do not show can explain as many entries; unknown entries use them up first.
    idless = sum(1 for i in (get_raw(s.props, "id") for s in subnets) if not isinstance(i, str) or is_unknown(i))
    spare = max(0, idless - sum(1 for v in values if is_unknown(v)))
    literals = [str(v) for v in dict.fromkeys(values) if v and not is_unknown(v) and v not in ids]
    problems = [f"subnet {lit!r} is no subnet resource of this stack (cannot prove it private)"
                for lit in literals[spare:]]
    if not subnets and any(is_unknown(v) for v in values):
        problems.append("its subnets are computed outside this stack's subnet resources (cannot prove them private)")
    return problems


class Network:
    """The stack's routing graph, indexed by URN through property dependencies."""

    def __init__(self, resources: list[PolicyResource]) -> None:
        self.associations: dict[str, list[PolicyResource]] = {}
        for association in of_type(resources, ASSOCIATION):
            for subnet in deps_of(association, "subnetId"):
                self.associations.setdefault(subnet.urn, []).append(association)
        self.routes: dict[str, list[PolicyResource]] = {}
        for route in of_type(resources, ROUTE):
            for table in deps_of(route, "routeTableId"):
                self.routes.setdefault(table.urn, []).append(route)
        self.main_tables: dict[str, list[PolicyResource]] = {}
        for table in of_type(resources, DEFAULT_ROUTE_TABLE):
            for vpc in deps_of_type(table, "defaultRouteTableId", *VPC_TYPES):
                self.main_tables.setdefault(vpc.urn, []).append(table)
        for association in of_type(resources, MAIN_ASSOCIATION):
            for vpc in deps_of_type(association, "vpcId", *VPC_TYPES):
                self.main_tables.setdefault(vpc.urn, []).extend(deps_of_type(association, "routeTableId", *TABLE_TYPES))
        self._cache: dict[str, list[str]] = {}

    def _igw_routes(self, table: PolicyResource, pending: Pending) -> list[str]:
        """Labels of the routes of a table (or of a VPC's main table, routes given against the VPC) to an IGW."""
        found: list[str] = []
        for route in self.routes.get(table.urn, []):
            gateway = get_raw(route.props, "gatewayId")
            fed = deps_of(route, "gatewayId")
            destination = get_raw(route.props, "destinationCidrBlock") or get_raw(route.props,
                                                                                   "destinationIpv6CidrBlock")
            where = "" if is_unknown(destination) or not destination else f" ({destination})"
            if any(d.resource_type == IGW for d in fed) or (
                    isinstance(gateway, str) and not is_unknown(gateway) and gateway.startswith("igw-")):
                found.append(f"route '{route.name}'{where}")
            elif is_unknown(gateway) and not fed:
                pending.add(route.props, "gatewayId")
        if table.resource_type in TABLE_TYPES:
            inline = plain(pending.read(table.props, "routes"))
            if is_unknown(inline):
                return found
            fed_types = {d.resource_type for d in deps_of(table, "routes")}
            for index, entry in enumerate(inline or []):
                gateway = entry.get("gatewayId") if isinstance(entry, dict) else None
                destination = entry.get("cidrBlock") or entry.get("ipv6CidrBlock") if isinstance(entry, dict) else None
                label = f"inline route {destination}" if isinstance(destination, str) and not is_unknown(destination) \
                    else f"inline route {index}"
                if isinstance(gateway, str) and not is_unknown(gateway) and gateway.startswith("igw-"):
                    found.append(label)
                elif is_unknown(gateway):
                    if fed_types == {IGW}:
                        found.append(label)
                    elif IGW in fed_types or not fed_types:
                        pending.add(table.props, "routes", index, "gatewayId")
        return found

    def _tables(self, subnet: PolicyResource) -> tuple[list[PolicyResource], list[str]]:
        """The route tables (or VPCs, for their main table) that route a subnet; problems when not provable."""
        associations = self.associations.get(subnet.urn, [])
        tables: list[PolicyResource] = []
        problems: list[str] = []
        for association in associations:
            fed = deps_of_type(association, "routeTableId", *TABLE_TYPES, *VPC_TYPES)
            if not fed:
                problems.append(f"its route table association '{association.name}' names a route table that is no "
                                f"resource of this stack (cannot prove it private)")
            tables += fed
        if associations:
            return tables, problems
        vpcs = deps_of_type(subnet, "vpcId", *VPC_TYPES)
        if not vpcs:
            return [], ["it has no route table association and its VPC is no resource of this stack "
                        "(cannot prove it private)"]
        for vpc in vpcs:
            tables += [vpc, *self.main_tables.get(vpc.urn, [])]
        return tables, []

    def subnet_problems(self, subnet: PolicyResource, pending: Pending) -> list[str]:
        """Why a subnet of the stack is not provably private (empty: it is)."""
        if subnet.urn in self._cache:
            return self._cache[subnet.urn]
        problems: list[str] = []
        tags = pending.read(subnet.props, "tags")
        tier = pending.read(subnet.props, "tags", TIER_TAG)  # None, unrecorded, while the tags are unknown
        if is_known(tags) and is_known(tier) and tier not in PRIVATE_TIERS:
            problems.append(f"its {TIER_TAG} tag is {tier!r}, not app or data" if tier else f"it has no {TIER_TAG} tag")
        tables, found = self._tables(subnet)
        problems += found
        for table in dict((t.urn, t) for t in tables).values():
            hops = self._igw_routes(table, pending)
            if hops:
                what = f"route table '{table.name}'" if table.resource_type in TABLE_TYPES \
                    else f"the main route table of VPC '{table.name}'"
                problems.append(f"{what} routes to an internet gateway ({', '.join(hops)})")
        self._cache[subnet.urn] = problems
        return problems


def _ipv6_problems(subnet: PolicyResource, private: bool, pending: Pending) -> list[str]:
    """The IPv6 settings a subnet may not have (every subnet: on-launch addresses; private ones: any IPv6)."""
    problems: list[str] = []
    for key in ON_LAUNCH + (PRIVATE_IPV6 if private else ()):
        value = pending.read(subnet.props, key)
        if is_known(value) and value is True:
            problems.append(f"{key} is true")
    if private and is_set(subnet.props, "ipv6CidrBlock"):
        block = get_raw(subnet.props, "ipv6CidrBlock")
        problems.append(f"it has the IPv6 block {block}" if not is_unknown(block) else "it has an IPv6 block")
    return problems


def _used_subnets(resources: list[PolicyResource], attachers: list[PolicyResource]) -> set[str]:
    """URNs of the subnets a workload or a data store is placed in."""
    used = {s.urn for r in attachers for s in attached_subnets(r)}
    placements = dict(DATA_PLACEMENTS)
    for resource in resources:
        prop = placements.get(resource.resource_type)
        if prop is not None:
            used |= {s.urn for s in deps_of_type(resource, prop, *SUBNET_TYPES)}
    return used


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every subnet an ECS service, load balancer, endpoint or function attaches to is an app/data subnet without IGW
    route; no subnet assigns IPv6 on launch, no private subnet has IPv6."""
    pending = Pending()
    resources = list(args.resources)
    network = Network(resources)
    attachers = list(of_type(resources, *SUBNET_ATTACHMENTS))
    for resource in attachers:
        values, unknown_at = _attachment_values(resource)
        subnets = attached_subnets(resource)
        if values is None and not subnets:
            pending.add(*unknown_at)
            continue
        problems = _outside(values or [], subnets)
        for subnet in subnets:
            problems += [f"subnet '{subnet.name}': {p}" for p in network.subnet_problems(subnet, pending)]
        if problems:
            label = LABELS.get(resource.resource_type, "load balancer")
            report_violation(
                f"{label} '{resource.name}' attaches to subnets that are not provably private: {'; '.join(problems)}; "
                f"attach only to app- or data-tier subnets whose route tables have no internet gateway route",
                resource.urn,
            )
    used = _used_subnets(resources, attachers)
    for subnet in of_type(resources, *SUBNET_TYPES):
        private = subnet.urn in used or tag(subnet.props, TIER_TAG) in PRIVATE_TIERS
        problems = _ipv6_problems(subnet, private, pending)
        if problems:
            report_violation(
                f"subnet '{subnet.name}' {'(private) ' if private else ''}uses IPv6: {'; '.join(problems)}; IPv6 "
                f"addresses are globally routable and bypass the NAT gateways: keep subnets IPv4-only (no "
                f"assign_ipv6_address_on_creation, ipv6_native, ipv6_cidr_block, enable_dns64)",
                subnet.urn,
            )
    pending.settle()


RULE = Rule(
    id="private-subnets-only", severity="critical", unwaivable=True, check=check,
    description=(
        "ECS services, load balancers, interface endpoints and Lambda functions attach only to app/data subnets "
        "without a route to an internet gateway; no subnet assigns IPv6 on launch, no private subnet has IPv6."
    ),
    anchors=("NAG VPCNoUnrestrictedRouteToIGW", "CKV2_AWS_35"), iso27001=("A.8.20", "A.8.22"), ccm=("IVS-03", "IVS-06"),
    remediation=(
        "Pass the app-tier (or data-tier) subnet resources' ids to network_configuration.subnets, subnets / "
        "subnet_mappings, subnet_ids and vpc_config.subnet_ids; keep their route tables free of internet gateway "
        "routes (egress goes through a NAT gateway) and the subnets IPv4-only."
    ),
)
