"""Identity is by name: zones, NAT mode and list order never move or rename what exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.components.plans import plan_copy


def plan_with(tmp_path: Path, network: dict[str, Any]) -> dict[str, dict]:
    """Plan acme-prod with a changed connect:network; resources by URN (inputs known)."""
    resources = plan_copy(tmp_path, str(abs(hash(repr(network)))),
                          lambda config: config["connect:network"].update(network), preview=False)
    # the primary region; the pilot-light standby in the DR region follows the same rules
    return {u: r for u, r in resources.items() if "connect:dr:DisasterRecovery$" not in u}


def subnets(resources: dict[str, dict]) -> dict[str, str]:
    return {u: r["inputs"]["cidrBlock"] for u, r in resources.items() if r["type"] == "aws:ec2/subnet:Subnet"}


def test_adding_a_zone_keeps_every_existing_subnet_and_urn(tmp_path: Path) -> None:
    three = plan_with(tmp_path, {"availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"]})
    four = plan_with(tmp_path, {"availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]})
    assert set(three) <= set(four)
    assert {u: c for u, c in subnets(four).items() if u in three} == subnets(three)
    assert len(subnets(four)) == 12
    for urn, resource in three.items():
        if resource["custom"]:
            # endpoints, the load balancer, the services and the database subnet group gain the new zone's
            # subnet, in place (none of these replaces on a subnet list change); the dashboard gains its NAT
            # gateway and alarms, in place
            assert four[urn]["inputs"] == resource["inputs"] or resource["type"] in {
                "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:lb/loadBalancer:LoadBalancer", "aws:ecs/service:Service",
                "aws:rds/subnetGroup:SubnetGroup", "aws:cloudwatch/dashboard:Dashboard"}, urn


def test_removing_a_middle_zone_touches_no_other_zone(tmp_path: Path) -> None:
    abc = plan_with(tmp_path, {"availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"]})
    ac = plan_with(tmp_path, {"availabilityZones": ["us-east-1a", "us-east-1c"]})
    assert set(ac) <= set(abc)
    assert subnets(ac) == {u: c for u, c in subnets(abc).items() if u in ac}
    assert not [u for u in ac if "us-east-1b" in u]


def test_switching_nat_mode_moves_no_subnet_and_keeps_the_first_eip(tmp_path: Path) -> None:
    per_az = plan_with(tmp_path, {"natGateways": "perAz"})
    single = plan_with(tmp_path, {"natGateways": "single"})
    assert subnets(single) == subnets(per_az)
    eips = lambda rs: {u: r for u, r in rs.items() if r["type"] == "aws:ec2/eip:Eip"}  # noqa: E731
    assert set(eips(single)) < set(eips(per_az))
    (kept,) = eips(single)
    assert kept.endswith("network-egress-ip-us-east-1a")
    assert single[kept]["outputs"]["publicIp"] == per_az[kept]["outputs"]["publicIp"]
    # the EIPs that single mode drops are retained on delete: the client's allow-list survives
    assert all(r["retainOnDelete"] and r["protect"] for u, r in eips(per_az).items() if u not in single)


def test_reordering_zone_names_changes_nothing(tmp_path: Path) -> None:
    forward = plan_with(tmp_path, {"availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"]})
    backward = plan_with(tmp_path, {"availabilityZones": ["us-east-1c", "us-east-1a", "us-east-1b"]})
    assert forward == backward


def test_reordering_egress_allocations_by_zone_changes_nothing(tmp_path: Path) -> None:
    ids = {"us-east-1a": "eipalloc-0a1b2c3d4e5f60718", "us-east-1b": "eipalloc-0b2c3d4e5f6071829",
           "us-east-1c": "eipalloc-0c3d4e5f607182930"}
    forward = plan_with(tmp_path, {"egressIpAllocationIds": ids})
    backward = plan_with(tmp_path, {"egressIpAllocationIds": dict(reversed(list(ids.items())))})
    assert forward == backward


def test_zone_count_and_names_give_the_same_network(tmp_path: Path) -> None:
    counted = plan_with(tmp_path, {"availabilityZones": 3})
    named = plan_with(tmp_path, {"availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"]})
    assert set(counted) == set(named)
    assert subnets(counted) == subnets(named)
