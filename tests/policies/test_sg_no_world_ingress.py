"""sg-no-world-ingress: no ingress from 0.0.0.0/0 or ::/0, in any of the three ways to write a rule."""

from __future__ import annotations

from collections.abc import Callable

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned, provider

POLICY = "sg-no-world-ingress"


def _compliant() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    app = aws.ec2.SecurityGroup(
        "app", vpc_id=vpc.id, description="app",
        ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=443, to_port=443,
                                                  cidr_blocks=["10.0.0.0/16"])],
        egress=[aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"])],
        tags=TAGS, opts=pinned(p))
    data = aws.ec2.SecurityGroup("data", vpc_id=vpc.id, description="data", tags=TAGS, opts=pinned(p))
    aws.vpc.SecurityGroupIngressRule("data-from-app", security_group_id=data.id, referenced_security_group_id=app.id,
                                     ip_protocol="tcp", from_port=5432, to_port=5432, tags=TAGS, opts=pinned(p))
    aws.ec2.SecurityGroupRule("app-egress-v6", type="egress", security_group_id=app.id, protocol="-1",
                              from_port=0, to_port=0, ipv6_cidr_blocks=["::/0"], opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_private_ingress_passes(preview: bool) -> None:
    found = evaluate(_compliant, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _inline() -> None:
    p = provider()
    aws.ec2.SecurityGroup(
        "web", description="web",
        ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=443, to_port=443,
                                                  cidr_blocks=["10.0.0.0/8", "0.0.0.0/0"])],
        tags=TAGS, opts=pinned(p))


def _ingress_rule() -> None:
    p = provider()
    group = aws.ec2.SecurityGroup("web", description="web", tags=TAGS, opts=pinned(p))
    aws.vpc.SecurityGroupIngressRule("web-v6", security_group_id=group.id, cidr_ipv6="::/0", ip_protocol="tcp",
                                     from_port=22, to_port=22, tags=TAGS, opts=pinned(p))


def _legacy_rule() -> None:
    p = provider()
    group = aws.ec2.SecurityGroup("web", description="web", tags=TAGS, opts=pinned(p))
    aws.ec2.SecurityGroupRule("web-any", type="ingress", security_group_id=group.id, protocol="-1",
                              from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"], opts=pinned(p))


CASES: list[tuple[Callable[[], None], str, str]] = [
    (_inline, "aws:ec2/securityGroup:SecurityGroup::web", "from 0.0.0.0/0 (ingress[0], tcp 443)"),
    (_ingress_rule, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::web-v6", "from ::/0 (tcp 22)"),
    (_legacy_rule, "aws:ec2/securityGroupRule:SecurityGroupRule::web-any", "from 0.0.0.0/0 (all traffic)"),
]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("program", "urn_suffix", "phrase"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_world_ingress_is_mandatory_violation(
    preview: bool, program: Callable[[], None], urn_suffix: str, phrase: str
) -> None:
    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, urn_suffix, phrase)
