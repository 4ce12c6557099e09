"""private-egress-via-nat: app tier out through a same-zone NAT, data tier without internet route.

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
            continue
        table = tiered("app", zone, i)
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
