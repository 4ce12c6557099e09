"""The mocks answer a world that can exist: an attribute naming another resource is that resource's own id.

Cross-resource rules (the pack's stack policies, the AWS rules, the blackout proof) judge what the mocks
answer; a load balancer whose `vpcId` is no VPC of the plan would let them judge an impossible stack.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.components.plans import planned

AWS_ID = re.compile(r"^(vpc|subnet|sg|eipalloc|nat|igw|rtb|acl|vpce|vgw|cgw|vpn|eni|tgw|tgw-attach|pcx|fs|fsap|fsmt|"
                    r"dopt)-[0-9a-f]{8,17}$")
# Attributes naming what AWS creates with a resource and the program never declares: the network interfaces of
# NAT gateways and interface endpoints, and a VPC's DHCP options, main route table and default ACL and table.
AWS_IMPLICIT = {"networkInterfaceId", "networkInterfaceIds", "dhcpOptionsId", "mainRouteTableId",
                "defaultRouteTableId", "defaultNetworkAclId", "defaultSecurityGroupId"}
STACKS = ["acme-account", "acme-prod", "acme-staging", "globex-account", "globex-prod"]


def _ids(value: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)] if AWS_ID.match(value) else []
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _ids(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in _ids(item, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("stack", STACKS)
def test_every_computed_id_names_a_resource_of_the_plan(stack: str) -> None:
    resources = planned(stack, False).capture.resources
    declared = {r.id for r in resources if r.id}
    dangling = [(r.name, path, value) for r in resources for key, out in r.outputs.items()
                if key not in r.inputs and key not in AWS_IMPLICIT
                for path, value in _ids(out, key) if value not in declared]
    assert dangling == []


@pytest.mark.parametrize("stack", ["acme-prod", "globex-prod"])
def test_a_load_balancer_is_in_its_subnets_vpc(stack: str) -> None:
    resources = planned(stack, False).capture.resources
    by_id = {r.id: r for r in resources if r.id}
    balancers = [r for r in resources if r.type == "aws:lb/loadBalancer:LoadBalancer"]
    assert len(balancers) == 2  # primary and standby
    for lb in balancers:
        vpcs = {by_id[s].inputs["vpcId"] for s in lb.inputs["subnets"]}
        assert vpcs == {lb.outputs["vpcId"]} and by_id[lb.outputs["vpcId"]].type == "aws:ec2/vpc:Vpc"


def test_an_adopted_default_security_group_is_the_vpcs_own() -> None:
    resources = planned("acme-prod", False).capture.resources
    by_id = {r.id: r for r in resources if r.id}
    groups = [r for r in resources if r.type == "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"]
    assert groups
    for group in groups:
        assert by_id[group.inputs["vpcId"]].outputs["defaultSecurityGroupId"] == group.id
