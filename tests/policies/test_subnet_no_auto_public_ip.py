"""subnet-no-auto-public-ip: compliant and violating subnets, in preview and update."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, evaluate, findings, pinned, provider

POLICY = "subnet-no-auto-public-ip"


def _program(public: bool) -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.Subnet("app-a", vpc_id=vpc.id, cidr_block="10.0.0.0/20", availability_zone="us-east-1a",
                   map_public_ip_on_launch=public, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_private_subnet_passes(preview: bool) -> None:
    assert findings(evaluate(lambda: _program(False), preview=preview), POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_public_subnet_is_mandatory_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(True), preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith("aws:ec2/subnet:Subnet::app-a")
    assert "mapPublicIpOnLaunch" in found[0].message
