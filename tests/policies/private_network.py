"""A small tiered VPC for the private-subnets-only and vpc-endpoints-for-platform tests.

One zone, three subnets tagged `connect:tier` ingress / app / data, each with its own route table
(associated through `RouteTableAssociation`); the ingress table routes 0.0.0.0/0 to the internet gateway.
In preview every id is unknown, so the rules can only follow property dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from tests.policies.harness import TAGS, pinned, provider


@dataclass
class Network:
    """What the tests attach things to."""

    provider: aws.Provider
    vpc: aws.ec2.Vpc
    igw: aws.ec2.InternetGateway
    subnets: dict[str, aws.ec2.Subnet] = field(default_factory=dict)
    tables: dict[str, aws.ec2.RouteTable] = field(default_factory=dict)


def network(*, app_igw_route: bool = False, app_inline_igw_route: bool = False, associate_app: bool = True) -> Network:
    """The VPC; the knobs give the app tier an internet gateway route, or leave it on the main route table."""
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    igw = aws.ec2.InternetGateway("igw", vpc_id=vpc.id, tags=TAGS, opts=pinned(p))
    net = Network(p, vpc, igw)
    for index, tier in enumerate(("ingress", "app", "data")):
        net.subnets[tier] = aws.ec2.Subnet(
            f"{tier}-a", vpc_id=vpc.id, cidr_block=f"10.0.{index}.0/24", availability_zone="us-east-1a",
            tags={**TAGS, "connect:tier": tier}, opts=pinned(p))
        if tier == "app" and not associate_app:
            continue
        inline = tier == "app" and app_inline_igw_route
        routes = [aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)] if inline else None
        net.tables[tier] = aws.ec2.RouteTable(f"{tier}-rt", vpc_id=vpc.id, routes=routes, tags=TAGS, opts=pinned(p))
        aws.ec2.RouteTableAssociation(f"{tier}-rta", subnet_id=net.subnets[tier].id,
                                      route_table_id=net.tables[tier].id, opts=pinned(p))
        if tier == "ingress" or (tier == "app" and app_igw_route):
            aws.ec2.Route(f"{tier}-default", route_table_id=net.tables[tier].id, destination_cidr_block="0.0.0.0/0",
                          gateway_id=igw.id, opts=pinned(p))
    return net


def ecs_service(net: Network, *subnets: aws.ec2.Subnet | str, name: str = "api") -> aws.ecs.Service:
    """An awsvpc service in the given subnets (subnet resources or literal ids), with a security group."""
    sg = aws.ec2.SecurityGroup(f"{name}-sg", vpc_id=net.vpc.id, description="api tasks", tags=TAGS,
                               opts=pinned(net.provider))
    ids: list[pulumi.Input[str]] = [s.id if isinstance(s, aws.ec2.Subnet) else s for s in subnets]
    return aws.ecs.Service(
        name, desired_count=2, launch_type="FARGATE",
        network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(subnets=ids, security_groups=[sg.id],
                                                                      assign_public_ip=False),
        tags=TAGS, opts=pinned(net.provider))


def interface_endpoint(net: Network, service: str, *, subnet: str = "app", private_dns: bool = True
                       ) -> aws.ec2.VpcEndpoint:
    """An interface endpoint for `com.amazonaws.us-east-1.<service>` in one tier's subnet."""
    return aws.ec2.VpcEndpoint(
        f"{service.replace('.', '-')}-endpoint", vpc_id=net.vpc.id, service_name=f"com.amazonaws.us-east-1.{service}",
        vpc_endpoint_type="Interface", subnet_ids=[net.subnets[subnet].id], private_dns_enabled=private_dns,
        tags=TAGS, opts=pinned(net.provider))


def s3_gateway(net: Network) -> aws.ec2.VpcEndpoint:
    """The S3 gateway endpoint on the app route table."""
    return aws.ec2.VpcEndpoint(
        "s3-endpoint", vpc_id=net.vpc.id, service_name="com.amazonaws.us-east-1.s3", vpc_endpoint_type="Gateway",
        route_table_ids=[net.tables["app"].id], tags=TAGS, opts=pinned(net.provider))
