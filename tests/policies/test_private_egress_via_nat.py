"""private-egress-via-nat: app tier out through a same-zone NAT, data tier without internet route, no IPv6 way out.

Every program is judged in preview too, where route table, NAT and subnet ids are unknown: the rule
must follow property dependencies (routeTableId, natGatewayId, subnetId, vpcId) to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "private-egress-via-nat"
ZONES = ("us-east-1a", "us-east-1b")


@dataclass
class Layout:
    """Knobs of the small two-zone network below."""

    nat_zones: tuple[str, ...] = ZONES
    app_b_nat_zone: str | None = "us-east-1b"  # None: no default route in app table b
    app_b_to_igw: bool = False
    data_default_to_nat: bool = False
    inline_app_routes: bool = False
    app_a_v6_to_eigw: bool = False  # ::/0 from app table a to an egress-only internet gateway
    untagged_data: bool = False  # a data subnet (and its table) without any tier tag, holding a DB subnet group
    v6_egress: bool = False  # the service security group allows egress to ::/0
    data_to_peering: bool = False  # the data table routes a CIDR to a VPC peering connection
    nat_in_app: bool = False  # a NAT gateway sits in app subnet a


def _network(layout: Layout) -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    igw = aws.ec2.InternetGateway("igw", vpc_id=vpc.id, tags=TAGS, opts=pinned(p))

    def tiered(tier: str, zone: str, index: int, tag_table: bool = True) -> aws.ec2.RouteTable:
        tier_tags = {**TAGS, "connect:tier": tier}
        subnet = aws.ec2.Subnet(f"{tier}-{zone[-1]}", vpc_id=vpc.id, cidr_block=f"10.0.{index}.0/24",
                                availability_zone=zone, tags=tier_tags, opts=pinned(p))
        table = aws.ec2.RouteTable(f"{tier}-rt-{zone[-1]}", vpc_id=vpc.id, tags=tier_tags if tag_table else TAGS,
                                   opts=pinned(p))
        aws.ec2.RouteTableAssociation(f"{tier}-rta-{zone[-1]}", subnet_id=subnet.id, route_table_id=table.id,
                                      opts=pinned(p))
        return table

    nats: dict[str, aws.ec2.NatGateway] = {}
    for i, zone in enumerate(layout.nat_zones):
        subnet = aws.ec2.Subnet(f"ingress-{zone[-1]}", vpc_id=vpc.id, cidr_block=f"10.0.{100 + i}.0/24",
                                availability_zone=zone, tags={**TAGS, "connect:tier": "ingress"}, opts=pinned(p))
        eip = aws.ec2.Eip(f"eip-{zone[-1]}", domain="vpc", tags=TAGS, opts=pinned(p, protect=True))
        nats[zone] = aws.ec2.NatGateway(f"nat-{zone[-1]}", allocation_id=eip.allocation_id, subnet_id=subnet.id,
                                        tags=TAGS, opts=pinned(p))
    app_tables: dict[str, aws.ec2.RouteTable] = {}
    for i, zone in enumerate(ZONES):
        target = zone if zone == "us-east-1a" else layout.app_b_nat_zone
        if layout.inline_app_routes and target is not None:
            routes = [aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nats[target].id)]
            table = aws.ec2.RouteTable(f"app-rt-{zone[-1]}", vpc_id=vpc.id, routes=routes,
                                       tags={**TAGS, "connect:tier": "app"}, opts=pinned(p))
            subnet = aws.ec2.Subnet(f"app-{zone[-1]}", vpc_id=vpc.id, cidr_block=f"10.0.{i}.0/24",
                                    availability_zone=zone, tags=TAGS, opts=pinned(p))
            aws.ec2.RouteTableAssociation(f"app-rta-{zone[-1]}", subnet_id=subnet.id, route_table_id=table.id,
                                          opts=pinned(p))
            app_tables[zone] = table
            continue
        table = app_tables[zone] = tiered("app", zone, i)
        if zone == "us-east-1b" and layout.app_b_to_igw:
            aws.ec2.Route("app-default-b", route_table_id=table.id, destination_cidr_block="0.0.0.0/0",
                          gateway_id=igw.id, opts=pinned(p))
        elif target is not None:
            aws.ec2.Route(f"app-default-{zone[-1]}", route_table_id=table.id, destination_cidr_block="0.0.0.0/0",
                          nat_gateway_id=nats[target].id, opts=pinned(p))
    data = tiered("data", "us-east-1a", 50, tag_table=False)  # tier known only through the association
    if layout.data_default_to_nat:
        aws.ec2.Route("data-default-a", route_table_id=data.id, destination_cidr_block="0.0.0.0/0",
                      nat_gateway_id=nats[layout.nat_zones[0]].id, opts=pinned(p))
    if layout.data_to_peering:
        aws.ec2.Route("data-to-analytics", route_table_id=data.id, destination_cidr_block="10.99.0.0/16",
                      vpc_peering_connection_id="pcx-0a1b2c3d4e5f60718", opts=pinned(p))
    _ipv6_and_placement(layout, p, vpc, nats, app_tables["us-east-1a"])


def _ipv6_and_placement(layout: Layout, p: aws.Provider, vpc: aws.ec2.Vpc, nats: dict[str, aws.ec2.NatGateway],
                        app_a: aws.ec2.RouteTable) -> None:
    """The IPv6 and tier-by-placement knobs (a separate app table for the first, a separate subnet for the other)."""
    if layout.app_a_v6_to_eigw:
        eigw = aws.ec2.EgressOnlyInternetGateway("eigw", vpc_id=vpc.id, tags=TAGS, opts=pinned(p))
        aws.ec2.Route("app-v6-a", route_table_id=app_a.id, destination_ipv6_cidr_block="::/0",
                      egress_only_gateway_id=eigw.id, opts=pinned(p))
    if layout.untagged_data:
        subnet = aws.ec2.Subnet("db-c", vpc_id=vpc.id, cidr_block="10.0.60.0/24", availability_zone="us-east-1a",
                                tags=TAGS, opts=pinned(p))
        table = aws.ec2.RouteTable("db-rt-c", vpc_id=vpc.id, tags=TAGS, opts=pinned(p))
        aws.ec2.RouteTableAssociation("db-rta-c", subnet_id=subnet.id, route_table_id=table.id, opts=pinned(p))
        aws.rds.SubnetGroup("ledger", subnet_ids=[subnet.id], tags=TAGS, opts=pinned(p))
        aws.ec2.Route("db-default-c", route_table_id=table.id, destination_cidr_block="0.0.0.0/0",
                      nat_gateway_id=nats[layout.nat_zones[0]].id, opts=pinned(p))
    group = aws.ec2.SecurityGroup("api-sg", vpc_id=vpc.id, description="api tasks", tags=TAGS, opts=pinned(p))
    aws.vpc.SecurityGroupEgressRule("api-egress", security_group_id=group.id, ip_protocol="-1",
                                    cidr_ipv4="0.0.0.0/0", opts=pinned(p))
    if layout.v6_egress:
        aws.vpc.SecurityGroupEgressRule("api-egress-v6", security_group_id=group.id, ip_protocol="-1",
                                        cidr_ipv6="::/0", opts=pinned(p))


def _only(layout: Layout, preview: bool, pack_config: dict[str, Any] | None = None) -> list[str]:
    found = evaluate(lambda: _network(layout), preview=preview, pack_config=pack_config)
    assert notes(found, POLICY) == []
    result = findings(found, POLICY)
    assert all(v.level == "mandatory" for v in result)
    return [f"{v.urn.rsplit('::', 1)[1]}: {v.message}" for v in result]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("layout", [
    Layout(),
    Layout(nat_zones=("us-east-1a",), app_b_nat_zone="us-east-1a"),
    Layout(inline_app_routes=True),
], ids=["nat-per-zone", "single-nat", "inline-routes"])
def test_compliant_layouts_pass(preview: bool, layout: Layout) -> None:
    assert _only(layout, preview) == []


@pytest.mark.parametrize("preview", [True, False])
def test_cross_zone_nat_when_the_zone_has_its_own_is_violation(preview: bool) -> None:
    found = _only(Layout(app_b_nat_zone="us-east-1a"), preview)
    assert len(found) == 1
    assert found[0].startswith("app-default-b: ")
    assert "use the NAT gateway of the same zone ('nat-b')" in found[0]


@pytest.mark.parametrize("preview", [True, False])
def test_cross_zone_inline_route_is_violation(preview: bool) -> None:
    found = _only(Layout(app_b_nat_zone="us-east-1a", inline_app_routes=True), preview)
    assert len(found) == 1
    assert found[0].startswith("app-rt-b: ")
    assert "same zone" in found[0]


@pytest.mark.parametrize("preview", [True, False])
def test_app_table_without_default_route_is_violation(preview: bool) -> None:
    found = _only(Layout(app_b_nat_zone=None), preview)
    assert len(found) == 1
    assert found[0].startswith("app-rt-b: ")
    assert "has no default route" in found[0]


@pytest.mark.parametrize("preview", [True, False])
def test_app_route_to_internet_gateway_is_violation(preview: bool) -> None:
    found = _only(Layout(app_b_to_igw=True), preview)
    assert len(found) == 1
    assert found[0].startswith("app-default-b: ")
    assert "to an internet gateway" in found[0]


@pytest.mark.parametrize("preview", [True, False])
def test_data_tier_default_route_is_violation_unless_allowed(preview: bool) -> None:
    found = _only(Layout(data_default_to_nat=True), preview)
    assert len(found) == 1
    assert found[0].startswith("data-default-a: ")
    assert "the data tier has no internet route" in found[0]
    allowed = {POLICY: {"allowDataTierInternet": True}}
    assert _only(Layout(data_default_to_nat=True), preview, allowed) == []


@pytest.mark.parametrize("preview", [True, False])
def test_app_ipv6_default_route_to_egress_only_gateway_is_violation(preview: bool) -> None:
    """The outside reader's case: ::/0 to an egress-only gateway is the internet without the NAT gateway."""
    found = _only(Layout(app_a_v6_to_eigw=True), preview)
    assert len(found) == 1, found
    assert found[0].startswith("app-v6-a: ")
    assert "sends ::/0 to an egress-only internet gateway" in found[0]


@pytest.mark.parametrize("preview", [True, False])
def test_data_tier_is_known_by_what_it_holds(preview: bool) -> None:
    """A subnet holding a DB subnet group is data tier without any tier tag: its default route is a violation."""
    found = _only(Layout(untagged_data=True), preview)
    assert len(found) == 1, found
    assert found[0].startswith("db-default-c: ")
    assert "data-tier route table 'db-rt-c'" in found[0]


@pytest.mark.parametrize("preview", [True, False])
def test_security_group_egress_to_ipv6_world_is_violation(preview: bool) -> None:
    found = _only(Layout(v6_egress=True), preview)
    assert len(found) == 1, found
    assert found[0].startswith("api-egress-v6: ")
    assert "security group 'api-sg': rule 'api-egress-v6' allows egress (all traffic) to ::/0" in found[0]


@pytest.mark.parametrize("preview", [True, False])
def test_data_route_to_a_peering_connection_is_violation(preview: bool) -> None:
    """Not a default route, but out of the VPC to another network: refused even with allowDataTierInternet."""
    for config in (None, {POLICY: {"allowDataTierInternet": True}}):
        found = _only(Layout(data_to_peering=True), preview, config)
        assert len(found) == 1, found
        assert found[0].startswith("data-to-analytics: ")
        assert "sends 10.99.0.0/16 to a VPC peering connection" in found[0]


def _nat_in_app() -> None:
    _network(Layout())
    p = provider(name="tenant-nat")
    subnet = aws.ec2.Subnet("app-z", vpc_id="vpc-0a1b2c3d4e5f60718", cidr_block="10.0.70.0/24",
                            tags={**TAGS, "connect:tier": "app"}, opts=pinned(p))
    eip = aws.ec2.Eip("eip-app", domain="vpc", tags=TAGS, opts=pinned(p, protect=True))
    aws.ec2.NatGateway("nat-in-app", allocation_id=eip.allocation_id, subnet_id=subnet.id, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_nat_gateway_in_an_app_subnet_is_violation(preview: bool) -> None:
    found = evaluate(_nat_in_app, preview=preview)
    result = [v for v in findings(found, POLICY) if v.urn.endswith("NatGateway::nat-in-app")]
    assert len(result) == 1, findings(found, POLICY)
    assert "NAT gateway 'nat-in-app' sits in app-tier subnet 'app-z'" in result[0].message


def _wound_down(runs: bool) -> None:
    """A decommissioned network: app tier without a default route, no NAT gateway; `runs` keeps an ECS cluster."""
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    app = {**TAGS, "connect:tier": "app"}
    subnet = aws.ec2.Subnet("app-a", vpc_id=vpc.id, cidr_block="10.0.0.0/24", availability_zone="us-east-1a",
                            tags=app, opts=pinned(p))
    table = aws.ec2.RouteTable("app-rt-a", vpc_id=vpc.id, tags=app, opts=pinned(p))
    aws.ec2.RouteTableAssociation("app-rta-a", subnet_id=subnet.id, route_table_id=table.id, opts=pinned(p))
    if runs:
        aws.ecs.Cluster("cluster", name="acme-prod", tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_wound_down_app_tier_needs_no_default_route(preview: bool) -> None:
    """Decommissioning removed the NAT gateways and everything that runs: the app tier has nothing to route."""
    assert findings(evaluate(lambda: _wound_down(runs=False), preview=preview), POLICY) == []
    found = findings(evaluate(lambda: _wound_down(runs=True), preview=preview), POLICY)
    assert [v.urn.rsplit("::", 1)[1] for v in found] == ["app-rt-a"]
    assert "has no default route" in found[0].message
