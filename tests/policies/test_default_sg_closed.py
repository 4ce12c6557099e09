"""default-sg-closed: each VPC's default security group managed and empty (via property dependencies)."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "default-sg-closed"
OPEN_INGRESS = [aws.ec2.DefaultSecurityGroupIngressArgs(protocol="-1", from_port=0, to_port=0, self=True)]


def _program(*, managed: bool = True, explicit_empty: bool = True, ingress: Any = None,
             rule: bool = False) -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    if not managed:
        return
    empty: list[Any] | None = [] if explicit_empty else None
    group = aws.ec2.DefaultSecurityGroup("default-sg", vpc_id=vpc.id, ingress=ingress if ingress else empty,
                                         egress=empty, tags=TAGS, opts=pinned(p))
    if rule:
        aws.vpc.SecurityGroupEgressRule("default-sg-egress", security_group_id=group.id, ip_protocol="-1",
                                        cidr_ipv4="10.0.0.0/16", tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("explicit_empty", [True, False], ids=["empty-lists", "absent"])
def test_closed_default_group_passes(preview: bool, explicit_empty: bool) -> None:
    found = evaluate(lambda: _program(explicit_empty=explicit_empty), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_unmanaged_default_group_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(managed=False), preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith("aws:ec2/vpc:Vpc::vpc")
    assert "does not manage its default security group" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_default_group_with_inline_rule_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(ingress=OPEN_INGRESS), preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup::default-sg")
    assert "has 1 ingress rule(s)" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_rule_resource_on_default_group_is_violation(preview: bool) -> None:
    """In preview the group id is unknown: the rule's securityGroupId dependency names the group."""
    found = findings(evaluate(lambda: _program(rule=True), preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].urn.endswith("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::default-sg-egress")
    assert "adds a rule to default security group 'default-sg'" in found[0].message
