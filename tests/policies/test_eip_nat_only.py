"""eip-nat-only: EIPs only as NAT gateway allocations, followed through property dependencies."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "eip-nat-only"


def _nat(p: aws.Provider, eip: aws.ec2.Eip) -> None:
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    subnet = aws.ec2.Subnet("ingress-a", vpc_id=vpc.id, cidr_block="10.0.0.0/24", availability_zone="us-east-1a",
                            tags=TAGS, opts=pinned(p))
    aws.ec2.NatGateway("nat-a", allocation_id=eip.allocation_id, subnet_id=subnet.id, tags=TAGS, opts=pinned(p))


def _eip(p: aws.Provider, name: str, instance: str | None = None) -> aws.ec2.Eip:
    return aws.ec2.Eip(name, domain="vpc", instance=instance, tags=TAGS, opts=pinned(p, protect=True))


@pytest.mark.parametrize("preview", [True, False])
def test_nat_egress_ip_passes(preview: bool) -> None:
    def program() -> None:
        p = provider()
        _nat(p, _eip(p, "egress-ip-a"))

    found = evaluate(program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_eip_no_nat_uses_is_violation(preview: bool) -> None:
    """In preview the allocation ids are unknown: only the property dependency tells which EIP is used."""
    def program() -> None:
        p = provider()
        _nat(p, _eip(p, "egress-ip-a"))
        _eip(p, "spare-ip")

    found = findings(evaluate(program, preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith("aws:ec2/eip:Eip::spare-ip")
    assert "no NAT gateway uses it" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_eip_bound_to_an_instance_is_violation(preview: bool) -> None:
    def program() -> None:
        p = provider()
        _eip(p, "instance-ip", instance="i-0123456789abcdef0")

    found = findings(evaluate(program, preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].urn.endswith("aws:ec2/eip:Eip::instance-ip")
    assert "bound to instance=i-0123456789abcdef0" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_eip_association_is_violation(preview: bool) -> None:
    def program() -> None:
        p = provider()
        eip = _eip(p, "egress-ip-a")
        _nat(p, eip)
        aws.ec2.EipAssociation("assoc", allocation_id=eip.allocation_id, network_interface_id="eni-0abc",
                               opts=pulumi.ResourceOptions(provider=p))

    found = findings(evaluate(program, preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].urn.endswith("aws:ec2/eipAssociation:EipAssociation::assoc")
    assert "binds an Elastic IP" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_wound_down_environment_keeps_its_protected_egress_ips(preview: bool) -> None:
    """Decommissioning removed the NAT gateways (and all compute): the client's allow-listed addresses stay, protected,
    until released by agreement; an unprotected one is still refused, and so is any binding."""
    def program() -> None:
        p = provider()
        _eip(p, "egress-ip-a")
        aws.ec2.Eip("spare-ip", domain="vpc", tags=TAGS, opts=pinned(p))
        _eip(p, "instance-ip", instance="i-0123456789abcdef0")

    found = findings(evaluate(program, preview=preview), POLICY)
    assert sorted(v.urn.rsplit("::", 1)[1] for v in found) == ["instance-ip", "spare-ip"]
    assert "no NAT gateway uses it" in next(v.message for v in found if v.urn.endswith("::spare-ip"))
    assert "no NAT gateway uses it" not in next(v.message for v in found if v.urn.endswith("::instance-ip"))
