"""nacl-no-world-admin-ports: no inbound NACL allow from the world reaches SSH, RDP or all traffic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.ecs_programs import assert_one_advisory
from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "nacl-no-world-admin-ports"


def _fields(rule_no: int, protocol: str, low: int, high: int, cidr: str, action: str) -> dict[str, Any]:
    source = {"ipv6_cidr_block": cidr} if ":" in cidr else {"cidr_block": cidr}
    return {"rule_no": rule_no, "action": action, "protocol": protocol, "from_port": low, "to_port": high, **source}


def _entry(rule_no: int, protocol: str, low: int, high: int, cidr: str = "0.0.0.0/0",
           action: str = "allow") -> aws.ec2.NetworkAclIngressArgs:
    return aws.ec2.NetworkAclIngressArgs(**_fields(rule_no, protocol, low, high, cidr, action))


def _default_entry(rule_no: int, protocol: str, low: int, high: int,
                   cidr: str = "0.0.0.0/0") -> aws.ec2.DefaultNetworkAclIngressArgs:
    return aws.ec2.DefaultNetworkAclIngressArgs(**_fields(rule_no, protocol, low, high, cidr, "allow"))


def _compliant() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    acl = aws.ec2.NetworkAcl(
        "private", vpc_id=vpc.id,
        ingress=[
            _entry(90, "tcp", 22, 22, action="deny"),             # a deny from the world is fine
            _entry(100, "-1", 0, 0, cidr="10.0.0.0/16"),          # all traffic, but from the VPC
            _entry(110, "tcp", 443, 443),                         # HTTPS from the world
            _entry(120, "tcp", 1024, 3388),                       # return traffic, split around 3389
            _entry(130, "6", 3390, 65535, cidr="::/0"),
            _entry(140, "icmp", -1, -1),                          # ICMP carries no ports
        ],
        egress=[aws.ec2.NetworkAclEgressArgs(rule_no=100, action="allow", protocol="-1", from_port=0, to_port=0,
                                             cidr_block="0.0.0.0/0")],
        tags=TAGS, opts=pinned(p))
    aws.ec2.NetworkAclRule("private-ssh-vpc", network_acl_id=acl.id, rule_number=200, protocol="tcp",
                           rule_action="allow", cidr_block="10.0.0.0/8", from_port=22, to_port=22, opts=pinned(p))
    aws.ec2.NetworkAclRule("private-out-all", network_acl_id=acl.id, rule_number=200, egress=True, protocol="-1",
                           rule_action="allow", cidr_block="0.0.0.0/0", from_port=0, to_port=0, opts=pinned(p))
    aws.ec2.NetworkAclRule("private-deny-rdp", network_acl_id=acl.id, rule_number=80, protocol="udp",
                           rule_action="deny", cidr_block="0.0.0.0/0", from_port=3389, to_port=3389, opts=pinned(p))
    aws.ec2.DefaultNetworkAcl("default", default_network_acl_id=vpc.default_network_acl_id,
                              ingress=[_default_entry(100, "-1", 0, 0, cidr="10.0.0.0/16")], tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_no_world_admin_access_passes(preview: bool) -> None:
    found = evaluate(_compliant, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _inline_ssh() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.NetworkAcl("public", vpc_id=vpc.id,
                       ingress=[_entry(100, "tcp", 443, 443), _entry(110, "tcp", 22, 22)], tags=TAGS, opts=pinned(p))


def _inline_ephemeral_covers_rdp() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.NetworkAcl("public", vpc_id=vpc.id, ingress=[_entry(120, "tcp", 1024, 65535, cidr="::/0")],
                       tags=TAGS, opts=pinned(p))


def _inline_all_traffic() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.NetworkAcl("public", vpc_id=vpc.id, ingress=[_entry(100, "all", 0, 0)], tags=TAGS, opts=pinned(p))


def _standalone_rdp() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    acl = aws.ec2.NetworkAcl("public", vpc_id=vpc.id, tags=TAGS, opts=pinned(p))
    aws.ec2.NetworkAclRule("public-rdp", network_acl_id=acl.id, rule_number=130, protocol="17",
                           rule_action="allow", cidr_block="0.0.0.0/0", from_port=3389, to_port=3389, opts=pinned(p))


def _default_acl_allows_all() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.DefaultNetworkAcl("default", default_network_acl_id=vpc.default_network_acl_id,
                              ingress=[_default_entry(100, "-1", 0, 0)], tags=TAGS, opts=pinned(p))


CASES: list[tuple[Callable[[], None], str, str]] = [
    (_inline_ssh, "aws:ec2/networkAcl:NetworkAcl::public",
     "ingress[1] rule 110 allows tcp 22 from 0.0.0.0/0 (admin port 22)"),
    (_inline_ephemeral_covers_rdp, "aws:ec2/networkAcl:NetworkAcl::public",
     "rule 120 allows tcp 1024-65535 from ::/0 (admin port 3389)"),
    (_inline_all_traffic, "aws:ec2/networkAcl:NetworkAcl::public",
     "rule 100 allows all traffic from 0.0.0.0/0 (admin ports 22 and 3389)"),
    (_standalone_rdp, "aws:ec2/networkAclRule:NetworkAclRule::public-rdp",
     "rule 130 allows udp 3389 from 0.0.0.0/0 (admin port 3389)"),
    (_default_acl_allows_all, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl::default",
     "ingress[0] rule 100 allows all traffic from 0.0.0.0/0"),
]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("program", "urn_suffix", "phrase"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_world_admin_access_is_advisory(
    preview: bool, program: Callable[[], None], urn_suffix: str, phrase: str
) -> None:
    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_advisory(found, urn_suffix, phrase)


def _unknown_source() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    acl = aws.ec2.NetworkAcl("public", vpc_id=vpc.id, tags=TAGS, opts=pinned(p))
    world = vpc.id.apply(lambda _: "0.0.0.0/0")  # unknown in preview, the world once the VPC exists
    aws.ec2.NetworkAclRule("public-ssh", network_acl_id=acl.id, rule_number=100, protocol="tcp",
                           rule_action="allow", cidr_block=world, from_port=22, to_port=22, opts=pinned(p))
    # An unknown source cannot matter when the port range already clears the entry.
    aws.ec2.NetworkAclRule("public-https", network_acl_id=acl.id, rule_number=110, protocol="tcp",
                           rule_action="allow", cidr_block=world, from_port=443, to_port=443, opts=pinned(p))


def test_unknown_source_is_noted_only_when_it_decides() -> None:
    preview = evaluate(_unknown_source, preview=True)
    assert findings(preview, POLICY) == []
    noted = notes(preview, POLICY)
    assert len(noted) == 1 and noted[0].urn.endswith("::public-ssh"), noted
    update = evaluate(_unknown_source, preview=False)
    assert notes(update, POLICY) == []
    assert_one_advisory(findings(update, POLICY), "aws:ec2/networkAclRule:NetworkAclRule::public-ssh",
                        "rule 100 allows tcp 22 from 0.0.0.0/0 (admin port 22)")
