"""`TenantNetwork`: the isolated VPC of one client environment.

Per Availability Zone one subnet in each tier:
- `ingress`: holds only the NAT gateways; its route table sends 0.0.0.0/0 to the internet gateway.
- `app`: Fargate tasks, the internal load balancer and interface endpoints; default route to the
  NAT gateway of its zone (or the single one).
- `data`: data stores; no route to the internet at all.

Every resource is named by tier and zone, and every subnet's block comes from a fixed slot picked
by the zone's letter (see `subnet_cidr`), so adding a zone, removing one or switching the NAT mode
never renames, re-addresses or replaces what already exists.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.config import NetworkConfig
from components.regions import zone_slot

TIERS = ("ingress", "app", "data")
# Within a zone's block: tier -> (extra prefix bits, index). app takes half, data a quarter,
# ingress an eighth; the last eighth stays free for a future tier.
TIER_LAYOUT = {"app": (1, 0), "data": (2, 2), "ingress": (3, 6)}
ZONE_BITS = 3  # eight fixed zone slots, by letter a..h
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts")
DATA_PORTS = {5432: "PostgreSQL", 2049: "NFS (EFS)"}


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


class TenantNetwork(pulumi.ComponentResource):
    """VPC, tiered subnets, NAT egress with fixed EIPs, security groups, endpoints and flow logs."""

    vpc: aws.ec2.Vpc
    subnets: dict[str, dict[str, aws.ec2.Subnet]]
    route_tables: dict[str, dict[str, aws.ec2.RouteTable]]
    nat_gateways: dict[str, aws.ec2.NatGateway]
    egress_ips: dict[str, pulumi.Output[str]]
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

        self.subnets = {tier: {} for tier in TIERS}
        self.route_tables = {tier: {} for tier in TIERS}
        for zone in args.zones:
            for tier in TIERS:
                self._tier_in_zone(tier, zone)
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
                eip = aws.ec2.Eip.get(eip_name, byo[zone], opts=child)
            else:
                eip = aws.ec2.Eip(
                    eip_name, domain="vpc", tags={"Name": f"{args.name_prefix}-egress-{zone}"}, opts=keep
                )
            self.egress_ips[zone] = eip.public_ip
            self.nat_gateways[zone] = aws.ec2.NatGateway(
                f"{name}-nat-{zone}",
                allocation_id=eip.allocation_id,
                subnet_id=self.subnets["ingress"][zone].id,
                connectivity_type="public",
                tags={"Name": f"{args.name_prefix}-nat-{zone}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
        for zone, table in self.route_tables["app"].items():
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

    def _tier_in_zone(self, tier: str, zone: str) -> None:
        """One subnet, its route table and the association, all keyed by tier and zone."""
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
        self.subnets[tier][zone] = subnet
        self.route_tables[tier][zone] = table

    def _security_groups(self) -> dict[str, aws.ec2.SecurityGroup]:
        """Tier groups: data admits only the app tier on data ports; endpoints admit the app tier on 443."""
        name, prefix = self._name, self._args.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        described = {
            "app": "App tier: Fargate tasks; ingress only from the internal load balancer",
            "data": "Data tier: admits only the app tier on data ports",
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
        for port, what in DATA_PORTS.items():
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-sg-data-from-app-{port}",
                security_group_id=groups["data"].id,
                referenced_security_group_id=groups["app"].id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{what} from the app tier",
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
        for service in INTERFACE_ENDPOINTS:
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
