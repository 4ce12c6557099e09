"""private-subnets-only: services, load balancers and interface endpoints sit in app/data subnets without IGW route.

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
