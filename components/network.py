"""`TenantNetwork`: the isolated VPC of one client environment.

Per Availability Zone one subnet in each tier:
- `ingress`: holds only the NAT gateways; its route table sends 0.0.0.0/0 to the internet gateway.
- `app`: Fargate tasks, the internal load balancer and interface endpoints; default route to the
  NAT gateway of its zone (or the single one).
- `data`: data stores; no route to the internet at all.

Every resource is named by tier and zone, and every subnet's block comes from a fixed slot picked
by the zone's letter (see `subnet_cidr`), so adding a zone, removing one or switching the NAT mode
never renames, re-addresses or replaces what already exists.

Network ACLs (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html): one per tier,
keyed by tier, with the coarse, stateless rules of `NACL_RULES`; each subnet is associated with its
tier's ACL by its own `NetworkAclAssociation`, keyed by tier and zone. The VPC's default ACL is
managed with no rules and no subnets: it would only catch a subnet no tier ACL holds, and then
admit nothing. Security groups stay the fine-grained layer; the ACLs are a backstop that must never
be the reason something breaks (see `NACL_RULES` for what each rule keeps working).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.boundary import workload_boundary
from components.config import NetworkConfig
from components.regions import zone_slot

TIERS = ("ingress", "app", "data")
# Within a zone's block: tier -> (extra prefix bits, index). app takes half, data a quarter,
# ingress an eighth; the last eighth stays free for a future tier.
TIER_LAYOUT = {"app": (1, 0), "data": (2, 2), "ingress": (3, 6)}
ZONE_BITS = 3  # eight fixed zone slots, by letter a..h
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts")
DATA_PORTS = {5432: "PostgreSQL", 2049: "NFS (EFS)"}  # the stores' ports (components/data.py); the data ACL
# admits requests on these only (tests/components/test_nacl.py holds the table and the stores to them)

# --- network ACLs ----------------------------------------------------------------------------------------------
# Peers of an ACL rule: the VPC's own block, or anywhere. Anywhere is never the internet at large for the app and
# data tiers: their route tables send the internet only through the NAT gateway (app) or not at all (data), so
# "anywhere" reaches them only as replies, over the S3 gateway endpoint or over a VPN link.
VPC, WORLD = "vpc", "world"
WORLD_CIDR = "0.0.0.0/0"
ALL, TCP, UDP, ICMP = "-1", "tcp", "udp", "icmp"
IN, OUT = False, True  # the `egress` flag of an entry
# Replies from anywhere arrive on ephemeral ports: Linux (Fargate) uses 32768-60999, NAT gateways 1024-65535, so
# the ACLs admit 1024-65535 (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html), split
# around 3389: no entry may admit an admin port from 0.0.0.0/0 (pack rule nacl-no-world-admin-ports, FSBP EC2.21;
# 22 is below the range). The price: a NAT gateway reply to a translated source port of exactly 3389 is dropped
# (1 port in 64,512; the client's retry gets another port).
RETURN_PORTS = ((1024, 3388), (3390, 65535))
EPHEMERAL = (1024, 65535)
FRAGMENTATION_NEEDED = (3, 4)  # ICMP destination unreachable / fragmentation needed: path MTU discovery


@dataclass(frozen=True)
class AclRule:
    """One entry of a tier's network ACL: direction, number, protocol, peer, ports (TCP/UDP) and why it exists.

    Stateless: every flow needs its request and its reply allowed, each in its own direction. `ports` is ignored
    for `ALL` and `ICMP` (AWS matches all ports); `icmp` is (type, code) for `ICMP`. A `deny` only carves a port
    out of a broader allow numbered after it (the lowest-numbered match decides).
    """

    egress: bool
    number: int
    protocol: str
    peer: str
    why: str
    ports: tuple[int, int] = (0, 0)
    icmp: tuple[int, int] | None = None
    action: str = "allow"

    def cidr(self, vpc_cidr: str) -> str:
        """The rule's peer as a CIDR block."""
        return vpc_cidr if self.peer == VPC else WORLD_CIDR

    def entry(self, vpc_cidr: str) -> dict[str, Any]:
        """Keyword arguments of `NetworkAclIngressArgs`/`NetworkAclEgressArgs`."""
        low, high = self.ports if self.protocol in (TCP, UDP) else (0, 0)
        entry: dict[str, Any] = {"rule_no": self.number, "action": self.action, "protocol": self.protocol,
                                 "cidr_block": self.cidr(vpc_cidr), "from_port": low, "to_port": high}
        if self.icmp is not None:
            entry |= {"icmp_type": self.icmp[0], "icmp_code": self.icmp[1]}
        return entry


def _returns(number: int, protocol: str, why: str) -> tuple[AclRule, ...]:
    """Replies from anywhere on the ephemeral ports, as two entries around 3389 (`RETURN_PORTS`)."""
    return tuple(AclRule(IN, number + 10 * index, protocol, WORLD, why, ports)
                 for index, ports in enumerate(RETURN_PORTS))


# The rules of each tier's ACL, by tier; numbers step by 10 so a rule can be inserted
# (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html). Coarse on purpose: within the VPC each
# tier admits what its neighbours send, the security groups decide which task or store talks to which. What
# AWS never filters with an ACL needs no rule: the Route 53 Resolver at the VPC base + 2 (DNS, UDP/TCP 53),
# the Amazon Time Sync Service (NTP, 169.254.169.123), instance and task metadata
# (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-basics.html); the rules below still let DNS to any
# resolver inside the VPC through. 20 rules per direction is the default quota: the data tier's 8 inbound are the most.
NACL_RULES: dict[str, tuple[AclRule, ...]] = {
    "ingress": (
        AclRule(IN, 100, ALL, VPC, "what the app tier sends to the internet reaches the NAT gateways here, "
                "on any protocol and port"),
        *_returns(110, TCP, "internet replies to the NAT gateways, whose translated source ports are 1024-65535"),
        *_returns(130, UDP, "internet replies over UDP (DNS or NTP to public servers) to the NAT gateways"),
        AclRule(IN, 150, ICMP, WORLD, "path MTU discovery: without 'fragmentation needed' a large reply stalls",
                icmp=FRAGMENTATION_NEEDED),
        AclRule(OUT, 100, ALL, WORLD, "the NAT gateways send to any internet address and port, and hand the "
                "replies back to the app tier"),
    ),
    "app": (
        AclRule(IN, 100, ALL, VPC, "within the VPC: the load balancer to the tasks' ports, HTTPS to the interface "
                "endpoints, the replies of the stores, the endpoints and the resolver"),
        AclRule(IN, 110, TCP, WORLD, "HTTPS to the internal load balancer from the client's data centres over the "
                "VPN: the ranges are not listed here (the load balancer's security group admits exactly them) "
                "because no other outside source is routed to this tier", ports=(443, 443)),
        *_returns(120, TCP, "replies to the tasks from the internet through the NAT gateway, from S3 through the "
                  "gateway endpoint (S3's public ranges) and from the data centres over the VPN"),
        *_returns(140, UDP, "UDP replies to the tasks, through the NAT gateway or the VPN"),
        AclRule(IN, 160, ICMP, WORLD, "path MTU discovery, which the VPN's smaller MTU needs most",
                icmp=FRAGMENTATION_NEEDED),
        AclRule(IN, 170, TCP, WORLD, "DNS to the Route 53 Resolver inbound endpoint from the data centres' DNS "
                "servers over the VPN (its security group admits exactly their ranges)", ports=(53, 53)),
        AclRule(IN, 180, UDP, WORLD, "DNS over UDP to the Route 53 Resolver inbound endpoint, as rule 170",
                ports=(53, 53)),
        AclRule(OUT, 100, ALL, WORLD, "the tasks reach the internet through the NAT gateway, S3 through the gateway "
                "endpoint (a prefix list, which ACLs cannot name), the data centres through the VPN and every "
                "tier of the VPC; and every reply goes back"),
    ),
    "data": (
        AclRule(IN, 100, TCP, VPC, "PostgreSQL to the Aurora clusters from the services that use them (each "
                "store's own security group admits exactly those)", ports=(5432, 5432)),
        AclRule(IN, 110, TCP, VPC, "NFS to the EFS mount targets from the services that use them (each store's "
                "own security group admits exactly those)", ports=(2049, 2049)),
        AclRule(IN, 120, TCP, WORLD, "no PostgreSQL from outside the VPC: the reply range (rule 160, 3390-65535) "
                "would otherwise admit it", ports=(5432, 5432), action="deny"),
        AclRule(IN, 130, TCP, WORLD, "no NFS from outside the VPC: the reply range (rule 150, 1024-3388) would "
                "otherwise admit it", ports=(2049, 2049), action="deny"),
        AclRule(IN, 140, UDP, VPC, "DNS replies from a resolver inside the VPC", ports=EPHEMERAL),
        *_returns(150, TCP, "replies to what the tier opens itself: HTTPS from S3 through the gateway endpoint "
                  "(S3's public ranges: ACLs cannot name the prefix list), from the interface endpoints and from "
                  "resolvers inside the VPC"),
        AclRule(IN, 170, ICMP, WORLD, "path MTU discovery: without 'fragmentation needed' a large reply stalls",
                icmp=FRAGMENTATION_NEEDED),
        AclRule(OUT, 100, ALL, VPC, "the stores' replies to their clients on any port (NFS clients may use ports "
                "below 1024), DNS to a resolver inside the VPC, HTTPS to the interface endpoints"),
        AclRule(OUT, 110, TCP, WORLD, "HTTPS to S3 through the gateway endpoint: S3's public ranges are many and "
                "change, and an ACL cannot name the prefix list; the tier's route tables lead nowhere else but to "
                "the data centres of VPN links that reach it", ports=(443, 443)),
    ),
}


def subnet_cidr(vpc_cidr: str, zone: str, tier: str) -> str:
    """The fixed block of one tier in one zone: depends only on the VPC block, zone letter and tier."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    zone_block = list(vpc.subnets(prefixlen_diff=ZONE_BITS))[zone_slot(zone)]
    bits, index = TIER_LAYOUT[tier]
    return str(list(zone_block.subnets(prefixlen_diff=bits))[index])


def nat_zones(config: NetworkConfig, zones: list[str]) -> list[str]:
    """Zones that hold a NAT gateway: all of them, or `natZone` (default: the first zone in slot order)."""
    if config.nat_gateways == "perAz":
        return list(zones)
    if config.nat_zone is None:
        return [zones[0]]
    if config.nat_zone not in zones:  # a count of zones resolved to other zones than the region table's first
        raise pulumi.RunError(f"connect:network.natZone: {config.nat_zone!r} is not one of the environment's "
                              f"zones; allowed: {', '.join(zones)}")
    return [config.nat_zone]


def allocation_for(config: NetworkConfig, nat_zone_list: list[str]) -> dict[str, str]:
    """Bring-your-own EIP allocation per NAT zone (map form by zone, list form in zone order)."""
    given = config.egress_ip_allocation_ids
    if isinstance(given, dict):
        return dict(given)
    return dict(zip(nat_zone_list, given, strict=False))


@dataclass
class TenantNetworkArgs:
    """Inputs of the network: validated config, resolved zones and the environment key."""

    config: NetworkConfig
    zones: list[str]
    region: str
    account_id: str
    name_prefix: str
    kms_key_arn: pulumi.Input[str]
    # False while decommissioning (connect:tenant.lifecycle): no NAT gateway and no default route of the app tier;
    # the egress EIPs stay (protected, retained: released only by agreement with the client).
    nat: bool = True
    # False once a decommissioned environment's traffic path is gone: no interface endpoint (nothing runs to use
    # one); the S3 gateway endpoint, which costs nothing, stays.
    interface_endpoints: bool = True


class TenantNetwork(pulumi.ComponentResource):
    """VPC, tiered subnets and their network ACLs, NAT egress with fixed EIPs, security groups, endpoints and
    flow logs."""

    vpc: aws.ec2.Vpc
    subnets: dict[str, dict[str, aws.ec2.Subnet]]
    route_tables: dict[str, dict[str, aws.ec2.RouteTable]]
    nat_gateways: dict[str, aws.ec2.NatGateway]
    egress_ips: dict[str, pulumi.Output[str]]
    network_acls: dict[str, aws.ec2.NetworkAcl]
    security_groups: dict[str, aws.ec2.SecurityGroup]

    def __init__(self, name: str, args: TenantNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:network:TenantNetwork", name, None, opts)
        self._name = name
        self._args = args
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        nat_list = nat_zones(cfg, args.zones)
        byo = allocation_for(cfg, nat_list)
        stray = sorted(z for z in byo if z not in nat_list)
        if stray:  # only knowable here when zones are a count resolved by the account
            raise pulumi.RunError(
                f"connect:network.egressIpAllocationIds: zone(s) {', '.join(stray)} hold no NAT gateway; "
                f"allowed: {', '.join(nat_list)}"
            )

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cfg.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": args.name_prefix},
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{args.name_prefix}-default-closed"},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": args.name_prefix}, opts=child
        )

        self.network_acls = {tier: self._network_acl(tier) for tier in TIERS}
        self.subnets = {tier: {} for tier in TIERS}
        self.route_tables = {tier: {} for tier in TIERS}
        self._acl_associations: dict[tuple[str, str], aws.ec2.NetworkAclAssociation] = {}
        for zone in args.zones:
            for tier in TIERS:
                self._tier_in_zone(tier, zone)
        self._close_default_acl()
        for zone, table in self.route_tables["ingress"].items():
            aws.ec2.Route(
                f"{name}-ingress-default-route-{zone}",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                gateway_id=igw.id,
                opts=child,
            )

        self.nat_gateways, self.egress_ips = {}, {}
        for zone in nat_list:
            eip_name = f"{name}-egress-ip-{zone}"
            if zone in byo:
                if not args.nat:  # decommissioning: the client's own address is only read, and stays the client's
                    continue
                eip = aws.ec2.Eip.get(eip_name, byo[zone], opts=child)
            else:
                eip = aws.ec2.Eip(
                    eip_name, domain="vpc", tags={"Name": f"{args.name_prefix}-egress-{zone}"}, opts=keep
                )
            self.egress_ips[zone] = eip.public_ip
            if not args.nat:
                continue
            self.nat_gateways[zone] = aws.ec2.NatGateway(
                f"{name}-nat-{zone}",
                allocation_id=eip.allocation_id,
                subnet_id=self.subnets["ingress"][zone].id,
                connectivity_type="public",
                tags={"Name": f"{args.name_prefix}-nat-{zone}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
        for zone, table in self.route_tables["app"].items() if args.nat else ():
            nat = self.nat_gateways.get(zone) or self.nat_gateways[nat_list[0]]
            aws.ec2.Route(
                f"{name}-app-default-route-{zone}",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child,
            )

        self.security_groups = self._security_groups()
        self._endpoints()
        self._flow_logs()
        self.register_outputs({
            "vpcId": self.vpc.id,
            "subnetIds": self.subnet_ids(),
            "egressIps": self.egress_ip_list(),
        })

    def _network_acl(self, tier: str) -> aws.ec2.NetworkAcl:
        """The tier's ACL, keyed by tier, its rules inline (`NACL_RULES`), associated with no subnet here.

        Inline rules: a change of the table is an in-place update of this one resource (the provider deletes the
        changed entries, then creates their successors: a moment without them, so change rules with care), where
        standalone `NetworkAclRule`s are replaced on any change (every field forces replacement) and would collide
        on their rule number (create before delete). Subnets are associated by `NetworkAclAssociation`s keyed by
        tier and zone, not by `subnet_ids` here: adding or removing a zone then creates or deletes that zone's
        associations and never updates the ACL (whose `subnet_ids` would change with every zone).
        """
        cidr, prefix = self._args.config.cidr, self._args.name_prefix
        rules = NACL_RULES[tier]
        return aws.ec2.NetworkAcl(
            f"{self._name}-{tier}-nacl",
            vpc_id=self.vpc.id,
            ingress=[aws.ec2.NetworkAclIngressArgs(**rule.entry(cidr)) for rule in rules if not rule.egress],
            egress=[aws.ec2.NetworkAclEgressArgs(**rule.entry(cidr)) for rule in rules if rule.egress],
            tags={"Name": f"{prefix}-{tier}", "connect:tier": tier},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _close_default_acl(self) -> None:
        """The VPC's default ACL under management with no rules and no subnets.

        Adopting the default ACL removes its rules at once (the provider revokes every entry when it adopts it),
        so it waits for every subnet's association: in a VPC deployed before the tier ACLs, each subnet moves to
        its tier's ACL (with its rules in place) before the default ACL stops admitting anything. A subnet that
        loses its association (its zone removed) falls back to the default ACL, which then admits nothing.
        """
        associations = [self._acl_associations[key] for key in sorted(self._acl_associations)]
        aws.ec2.DefaultNetworkAcl(
            f"{self._name}-default-nacl",
            default_network_acl_id=self.vpc.default_network_acl_id,
            ingress=[],
            egress=[],
            tags={"Name": f"{self._args.name_prefix}-default-closed"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=associations),
        )

    def _tier_in_zone(self, tier: str, zone: str) -> None:
        """One subnet, its route table and its associations (route table, tier ACL), all keyed by tier and zone."""
        name, prefix = self._name, self._args.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        subnet = aws.ec2.Subnet(
            f"{name}-{tier}-{zone}",
            vpc_id=self.vpc.id,
            cidr_block=subnet_cidr(self._args.config.cidr, zone, tier),
            availability_zone=zone,
            map_public_ip_on_launch=False,
            tags={"Name": f"{prefix}-{tier}-{zone}", "connect:tier": tier},
            opts=child,
        )
        table = aws.ec2.RouteTable(
            f"{name}-{tier}-rt-{zone}",
            vpc_id=self.vpc.id,
            tags={"Name": f"{prefix}-{tier}-{zone}", "connect:tier": tier},
            opts=child,
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-{tier}-rta-{zone}", subnet_id=subnet.id, route_table_id=table.id, opts=child
        )
        self._acl_associations[(tier, zone)] = aws.ec2.NetworkAclAssociation(
            f"{name}-{tier}-nacl-{zone}", network_acl_id=self.network_acls[tier].id, subnet_id=subnet.id, opts=child
        )
        self.subnets[tier][zone] = subnet
        self.route_tables[tier][zone] = table

    def _security_groups(self) -> dict[str, aws.ec2.SecurityGroup]:
        """Tier groups: `app` (every task also carries it) and `endpoints`, which admits the app tier on 443.

        No data-tier group: each data store has its own (`components/data.py`, `_store_group`), which admits
        exactly the services that use that store, on its one port. A tier-wide group admitting the whole app tier
        on every data port would be coarser than those, and nothing was attached to it, so it was removed with its
        two ingress rules rather than given to the stores. Removing it from a deployed stack deletes it (it was
        neither protected nor retained; its rules go first, and no resource or other group refers to it).
        """
        name, prefix = self._name, self._args.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        described = {
            "app": "App tier: Fargate tasks; ingress only from the internal load balancer",
            "endpoints": "Interface VPC endpoints: HTTPS from the app tier only",
        }
        groups = {
            tier: aws.ec2.SecurityGroup(
                f"{name}-sg-{tier}",
                vpc_id=self.vpc.id,
                description=text,
                tags={"Name": f"{prefix}-{tier}", "connect:tier": tier},
                opts=child,
            )
            for tier, text in described.items()
        }
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-sg-app-egress",
            security_group_id=groups["app"].id,
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            description="Egress to AWS endpoints, data tier and the internet through the NAT gateways",
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-sg-endpoints-from-app-443",
            security_group_id=groups["endpoints"].id,
            referenced_security_group_id=groups["app"].id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS APIs from the app tier",
            opts=child,
        )
        return groups

    def _endpoints(self) -> None:
        """S3 gateway and interface endpoints, so Fargate reaches AWS APIs without the NAT."""
        name, region = self._name, self._args.region
        child = pulumi.ResourceOptions(parent=self)
        aws.ec2.VpcEndpoint(
            f"{name}-endpoint-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for tier in ("app", "data") for t in self.route_tables[tier].values()],
            tags={"Name": f"{self._args.name_prefix}-s3"},
            opts=child,
        )
        for service in INTERFACE_ENDPOINTS if self._args.interface_endpoints else ():
            aws.ec2.VpcEndpoint(
                f"{name}-endpoint-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.subnets["app"].values()],
                security_group_ids=[self.security_groups["endpoints"].id],
                tags={"Name": f"{self._args.name_prefix}-{service}"},
                opts=child,
            )

    def _flow_logs(self) -> None:
        """ALL-traffic flow logs to a KMS-encrypted, retained log group, delivered by a scoped role."""
        name, args = self._name, self._args
        child = pulumi.ResourceOptions(parent=self)
        group_name = f"/connect/{args.name_prefix}/vpc-flow-logs"
        group_arn = f"arn:aws:logs:{args.region}:{args.account_id}:log-group:{group_name}"
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=group_name,
            kms_key_id=args.kms_key_arn,
            retention_in_days=args.config.flow_logs.retention_days,
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            permissions_boundary=workload_boundary(args.account_id),
            description="Delivers this VPC's flow logs to its log group",
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}},
                }],
            }),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-delivery",
            role=role.id,
            policy=json.dumps({  # from the group's name, so the document is known in preview
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [group_arn, f"{group_arn}:*"],
                }],
            }),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{args.name_prefix}-flow-log"},
            opts=child,
        )

    def subnet_ids(self) -> dict[str, dict[str, pulumi.Output[str]]]:
        """Subnet ids by tier, then zone."""
        return {tier: {zone: s.id for zone, s in by_zone.items()} for tier, by_zone in self.subnets.items()}

    def egress_ip_list(self) -> list[pulumi.Output[str]]:
        """Egress IPs in zone order: what the client allow-lists."""
        return [self.egress_ips[z] for z in sorted(self.egress_ips)]
