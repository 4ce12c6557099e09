"""vpc-endpoints-for-platform: a VPC running services has ecr.api, ecr.dkr, logs interface and s3 gateway endpoints.

The VPC is found from the service through subnet -> vpcId, and endpoints through their vpcId: in preview
only property dependencies link them.
"""

from __future__ import annotations

import pytest

from tests.policies.harness import evaluate, findings, notes
from tests.policies.private_network import ecs_service, interface_endpoint, network, s3_gateway

POLICY = "vpc-endpoints-for-platform"


def _program(*, services: bool = True, interfaces: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs"),
             gateway: bool = True, private_dns: bool = True) -> None:
    net = network()
    if services:
        ecs_service(net, net.subnets["app"])
    for service in interfaces:
        interface_endpoint(net, service, private_dns=private_dns if service == "logs" else True)
    if gateway:
        s3_gateway(net)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("kwargs", [{}, {"services": False, "interfaces": (), "gateway": False}],
                         ids=["all-endpoints", "vpc-without-services"])
def test_platform_endpoints_pass(preview: bool, kwargs: dict) -> None:
    found = evaluate(lambda: _program(**kwargs), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("kwargs", "missing"), [
    ({"interfaces": ("ecr.api",), "gateway": False}, "interface ecr.dkr, interface logs, gateway s3"),
    ({"private_dns": False}, "lacks VPC endpoints: interface logs;"),
], ids=["missing", "no-private-dns"])
def test_missing_endpoints_are_advisory_finding(preview: bool, kwargs: dict, missing: str) -> None:
    found = findings(evaluate(lambda: _program(**kwargs), preview=preview), POLICY)
    assert len(found) == 1, found
    assert found[0].level == "advisory"
    assert found[0].urn.endswith("aws:ec2/vpc:Vpc::vpc")
    assert missing in found[0].message
