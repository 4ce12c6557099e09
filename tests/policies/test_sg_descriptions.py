"""sg-descriptions: groups carry a real description, and every rule (inline or standalone) says what it admits."""

from __future__ import annotations

from collections.abc import Callable

import pulumi_aws as aws
import pytest

from tests.policies.ecs_programs import assert_one_advisory
from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "sg-descriptions"


def _compliant() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.DefaultSecurityGroup("default", vpc_id=vpc.id, ingress=[], egress=[], tags=TAGS, opts=pinned(p))
    app = aws.ec2.SecurityGroup(
        "app", vpc_id=vpc.id, description="App tier: tasks behind the internal load balancer",
        ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=8080, to_port=8080,
                                                  cidr_blocks=["10.0.0.0/16"], description="From the VPC")],
        egress=[aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"],
                                                description="Out through the NAT gateways")],
        tags=TAGS, opts=pinned(p))
    data = aws.ec2.SecurityGroup("data", vpc_id=vpc.id, description="Data tier", tags=TAGS, opts=pinned(p))
    aws.vpc.SecurityGroupIngressRule("data-from-app", security_group_id=data.id, referenced_security_group_id=app.id,
                                     ip_protocol="tcp", from_port=5432, to_port=5432,
                                     description="PostgreSQL from the app tier", tags=TAGS, opts=pinned(p))
    aws.vpc.SecurityGroupEgressRule("data-out", security_group_id=data.id, cidr_ipv4="10.0.0.0/16",
                                    ip_protocol="tcp", from_port=443, to_port=443,
                                    description="HTTPS to the VPC endpoints", tags=TAGS, opts=pinned(p))
    aws.ec2.SecurityGroupRule("app-from-data", type="ingress", security_group_id=app.id, protocol="tcp",
                              from_port=8080, to_port=8080, source_security_group_id=data.id,
                              description="Callbacks from the data tier", opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_described_groups_and_rules_pass(preview: bool) -> None:
    found = evaluate(_compliant, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _group_without_description() -> None:
    """The SDK fills in "Managed by Pulumi" before the policy sees the group."""
    p = provider()
    aws.ec2.SecurityGroup("web", tags=TAGS, opts=pinned(p))


def _group_with_provider_default() -> None:
    p = provider()
    aws.ec2.SecurityGroup("web", description="Managed by Terraform", tags=TAGS, opts=pinned(p))


def _group_with_blank_description() -> None:
    p = provider()
    aws.ec2.SecurityGroup("web", description="   ", tags=TAGS, opts=pinned(p))


def _inline_rule_without_description() -> None:
    p = provider()
    aws.ec2.SecurityGroup(
        "web", description="Web tier",
        ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=443, to_port=443,
                                                  cidr_blocks=["10.0.0.0/16"], description="HTTPS from the VPC")],
        egress=[aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"])],
        tags=TAGS, opts=pinned(p))


def _ingress_rule_without_description() -> None:
    p = provider()
    group = aws.ec2.SecurityGroup("web", description="Web tier", tags=TAGS, opts=pinned(p))
    aws.vpc.SecurityGroupIngressRule("web-in", security_group_id=group.id, cidr_ipv4="10.0.0.0/16",
                                     ip_protocol="tcp", from_port=443, to_port=443, tags=TAGS, opts=pinned(p))


def _egress_rule_without_description() -> None:
    p = provider()
    group = aws.ec2.SecurityGroup("web", description="Web tier", tags=TAGS, opts=pinned(p))
    aws.vpc.SecurityGroupEgressRule("web-out", security_group_id=group.id, cidr_ipv4="0.0.0.0/0",
                                    ip_protocol="-1", description="", tags=TAGS, opts=pinned(p))


def _legacy_rule_without_description() -> None:
    p = provider()
    group = aws.ec2.SecurityGroup("web", description="Web tier", tags=TAGS, opts=pinned(p))
    aws.ec2.SecurityGroupRule("web-legacy", type="ingress", security_group_id=group.id, protocol="tcp",
                              from_port=22, to_port=22, cidr_blocks=["10.0.0.0/16"], opts=pinned(p))


GROUP = "aws:ec2/securityGroup:SecurityGroup::web"
CASES: list[tuple[Callable[[], None], str, str]] = [
    (_group_without_description, GROUP, "the provider's default description 'Managed by Pulumi'"),
    (_group_with_provider_default, GROUP, "the provider's default description 'Managed by Terraform'"),
    (_group_with_blank_description, GROUP, "the group has no description"),
    (_inline_rule_without_description, GROUP, "egress[0] (all traffic) has no description"),
    (_ingress_rule_without_description, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::web-in",
     "the rule (tcp 443) has no description"),
    (_egress_rule_without_description, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::web-out",
     "the rule (all traffic) has no description"),
    (_legacy_rule_without_description, "aws:ec2/securityGroupRule:SecurityGroupRule::web-legacy",
     "the rule (tcp 22) has no description"),
]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("program", "urn_suffix", "phrase"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_missing_description_is_advisory(
    preview: bool, program: Callable[[], None], urn_suffix: str, phrase: str
) -> None:
    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_advisory(found, urn_suffix, phrase)


def _everything_missing() -> None:
    p = provider()
    aws.ec2.SecurityGroup(
        "web",
        ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=443, to_port=443,
                                                  cidr_blocks=["10.0.0.0/16"])],
        tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_one_finding_lists_every_gap(preview: bool) -> None:
    found = findings(evaluate(_everything_missing, preview=preview), POLICY)
    assert_one_advisory(found, GROUP, "the group keeps the provider's default description 'Managed by Pulumi'; "
                                      "ingress[0] (tcp 443) has no description")


def _unknown_description() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.SecurityGroup("web", description=vpc.arn.apply(lambda arn: f"Web tier of {arn}"), tags=TAGS,
                          opts=pinned(p))


def test_unknown_description_is_noted_in_preview_and_checked_after() -> None:
    preview = evaluate(_unknown_description, preview=True)
    assert findings(preview, POLICY) == []
    assert len(notes(preview, POLICY)) == 1
    update = evaluate(_unknown_description, preview=False)
    assert findings(update, POLICY) == [] and notes(update, POLICY) == []


def _default_group_exempt() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.DefaultSecurityGroup("default", vpc_id=vpc.id, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_default_security_group_is_exempt(preview: bool) -> None:
    found = evaluate(_default_group_exempt, preview=preview)
    assert findings(found, POLICY) == [] and notes(found, POLICY) == []
