"""private-subnets-only: services, load balancers, interface endpoints and functions sit in app/data subnets without
IGW route; subnets hand out no IPv6 address, private ones have no IPv6 at all.

In preview every subnet and route table id is unknown: the rule links attachments, subnets, associations,
route tables and routes through property dependencies only.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned
from tests.policies.private_network import Network, ecs_service, interface_endpoint, network

POLICY = "private-subnets-only"


def _load_balancer(net: Network, tier: str = "app") -> aws.lb.LoadBalancer:
    """An internal ALB using both `subnets` and `subnet_mappings`."""
    return aws.lb.LoadBalancer(
        "alb", internal=True, load_balancer_type="application", subnets=[net.subnets[tier].id],
        subnet_mappings=[aws.lb.LoadBalancerSubnetMappingArgs(subnet_id=net.subnets["data"].id)],
        tags=TAGS, opts=pinned(net.provider))


def _platform(net: Network) -> None:
    ecs_service(net, net.subnets["app"], net.subnets["data"])
    _load_balancer(net)
    interface_endpoint(net, "ecr.api")


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("build", [
    lambda: _platform(network()),
    lambda: _platform(network(associate_app=False)),  # the app subnet on the VPC's (clean) main route table
], ids=["associated-tables", "main-route-table"])
def test_private_attachments_pass(preview: bool, build: Callable[[], None]) -> None:
    found = evaluate(build, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_service_in_ingress_subnet_is_violation(preview: bool) -> None:
    def program() -> None:
        net = network()
        ecs_service(net, net.subnets["app"], net.subnets["ingress"])

    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ecs/service:Service::api", "subnet 'ingress-a': its connect:tier tag is 'ingress'")
    assert "route table 'ingress-rt' routes to an internet gateway (route 'ingress-default' (0.0.0.0/0))" in \
        found[0].message
    assert "app-a" not in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_app_subnet_routed_to_internet_gateway_is_violation(preview: bool) -> None:
    def program() -> None:
        _load_balancer(network(app_igw_route=True))

    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, "aws:lb/loadBalancer:LoadBalancer::alb",
                         "subnet 'app-a': route table 'app-rt' routes to an internet gateway")


@pytest.mark.parametrize("preview", [True, False])
def test_inline_internet_gateway_route_is_violation(preview: bool) -> None:
    def program() -> None:
        interface_endpoint(network(app_inline_igw_route=True), "logs")

    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ec2/vpcEndpoint:VpcEndpoint::logs-endpoint",
                         "route table 'app-rt' routes to an internet gateway (inline route 0.0.0.0/0)")


@pytest.mark.parametrize("preview", [True, False])
def test_main_route_table_to_internet_gateway_is_violation(preview: bool) -> None:
    def program() -> None:
        net = network(associate_app=False)
        aws.ec2.Route("main-default", route_table_id=net.vpc.main_route_table_id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=net.igw.id, opts=pinned(net.provider))
        ecs_service(net, net.subnets["app"])

    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ecs/service:Service::api",
                         "the main route table of VPC 'vpc' routes to an internet gateway (route 'main-default'")


@pytest.mark.parametrize("preview", [True, False])
def test_literal_subnet_id_cannot_be_proven_private(preview: bool) -> None:
    def program() -> None:
        net = network()
        ecs_service(net, net.subnets["app"], "subnet-0a1b2c3d4e5f60718")

    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ecs/service:Service::api",
                         "subnet 'subnet-0a1b2c3d4e5f60718' is no subnet resource of this stack")


def _function(net: Network, tier: str) -> aws.lambda_.Function:
    sg = aws.ec2.SecurityGroup("fn-sg", vpc_id=net.vpc.id, description="function", tags=TAGS,
                               opts=pinned(net.provider))
    return aws.lambda_.Function(
        "resizer", role="arn:aws:iam::111111111111:role/resizer", runtime="python3.12", handler="app.handler",
        package_type="Zip", s3_bucket="connect-code", s3_key="resizer.zip",
        vpc_config={"subnet_ids": [net.subnets[tier].id], "security_group_ids": [sg.id]},
        tags=TAGS, opts=pinned(net.provider))


def _function_in(tier: str) -> None:
    _function(network(), tier)


@pytest.mark.parametrize("preview", [True, False])
def test_function_in_app_subnet_passes(preview: bool) -> None:
    found = evaluate(lambda: _function_in("app"), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_function_in_ingress_subnet_is_violation(preview: bool) -> None:
    """The outside reader's case: a Lambda function in the ingress subnets (unwaivable, whatever admits functions)."""
    found = findings(evaluate(lambda: _function_in("ingress"), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:lambda/function:Function::resizer",
                         "Lambda function 'resizer' attaches to subnets that are not provably private")
    assert "route table 'ingress-rt' routes to an internet gateway" in found[0].message


def _ipv6_subnets() -> None:
    net = network()
    ecs_service(net, net.subnets["app"])
    p = net.provider
    # Private by what uses it (no tier tag): a DB subnet group places a database there.
    used = aws.ec2.Subnet("db-b", vpc_id=net.vpc.id, cidr_block="10.0.9.0/24", ipv6_cidr_block="2600:1f18::/64",
                          tags=TAGS, opts=pinned(p))
    aws.rds.SubnetGroup("db", subnet_ids=[used.id], tags=TAGS, opts=pinned(p))
    aws.ec2.Subnet("app-b", vpc_id=net.vpc.id, cidr_block="10.0.10.0/24", enable_dns64=True,
                   tags={**TAGS, "connect:tier": "app"}, opts=pinned(p))
    aws.ec2.Subnet("ingress-b", vpc_id=net.vpc.id, cidr_block="10.0.11.0/24", assign_ipv6_address_on_creation=True,
                   tags={**TAGS, "connect:tier": "ingress"}, opts=pinned(p))
    # An ingress subnet may carry an IPv6 block as long as it hands out no address on launch.
    aws.ec2.Subnet("ingress-c", vpc_id=net.vpc.id, cidr_block="10.0.12.0/24", ipv6_cidr_block="2600:1f18:0:1::/64",
                   tags={**TAGS, "connect:tier": "ingress"}, opts=pinned(p))


IPV6_CASES = {
    "private-by-use": ("aws:ec2/subnet:Subnet::db-b", "subnet 'db-b' (private) uses IPv6: it has the IPv6 block "
                                                      "2600:1f18::/64"),
    "private-by-tier": ("aws:ec2/subnet:Subnet::app-b", "subnet 'app-b' (private) uses IPv6: enableDns64 is true"),
    "on-launch": ("aws:ec2/subnet:Subnet::ingress-b", "subnet 'ingress-b' uses IPv6: assignIpv6AddressOnCreation is "
                                                      "true"),
}


@pytest.mark.parametrize("preview", [True, False])
def test_ipv6_subnets_are_violations(preview: bool) -> None:
    found = findings(evaluate(_ipv6_subnets, preview=preview), POLICY)
    assert len(found) == len(IPV6_CASES), found
    for urn, phrase in IPV6_CASES.values():
        assert_one_mandatory([v for v in found if v.urn.endswith(urn)], urn, phrase)
