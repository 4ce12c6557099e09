"""dns-private-only: private zones, records in the stack's zones, inbound Resolver endpoints open to private ranges."""

from __future__ import annotations

from functools import partial
from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.dr_programs import reachable
from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider
from tests.policies.mutations import baseline

POLICY = "dns-private-only"
FIX = (". Declare it with direction='INBOUND' and its own security group admitting TCP and UDP 53 only from the "
       "client's data-centre ranges")


@pytest.mark.parametrize("preview", [True, False])
def test_private_names_pass(preview: bool) -> None:
    """Both regions' resolvers admit TCP/UDP 53 from 172.16.0.0/16 only; the zone is associated with both VPCs."""
    found = evaluate(reachable, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_other_ports_are_not_this_rules_concern(preview: bool) -> None:
    """HTTPS from the world on the resolver's group is sg-no-world-ingress's finding, not this rule's."""
    https = [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}]
    assert findings(evaluate(partial(reachable, inline_ingress=https), preview=preview), POLICY) == []


CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("public-zone", {"zone_regions": ()}, "aws:route53/zone:Zone::zone",
     "Hosted zone 'zone' is public (no vpcs): it would publish the services' names on the internet."),
    ("outbound-endpoint", {"direction": "OUTBOUND"}, "aws:route53/resolverEndpoint:ResolverEndpoint::resolver",
     "Resolver endpoint 'resolver' is not private: its direction is OUTBOUND: only INBOUND endpoints (the client's "
     "resolvers forwarding to the private zones) belong to the design" + FIX),
    ("dns-from-the-world", {"sources": ("172.16.0.0/16", "0.0.0.0/0")},
     "aws:route53/resolverEndpoint:ResolverEndpoint::resolver",
     "Resolver endpoint 'resolver' is not private: security group 'resolver-sg' admits DNS (tcp 53, rule "
     "'resolver-tcp-53-2') from 0.0.0.0/0; security group 'resolver-sg' admits DNS (udp 53, rule 'resolver-udp-53-2') "
     "from 0.0.0.0/0" + FIX),
    ("all-traffic-from-a-public-range",
     {"inline_ingress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["203.0.113.0/24"]}]},
     "aws:route53/resolverEndpoint:ResolverEndpoint::resolver",
     "security group 'resolver-sg' admits DNS (all traffic, ingress[0]) from 203.0.113.0/24" + FIX),
    ("dns-from-ipv6", {"inline_ingress": [{"protocol": "udp", "from_port": 53, "to_port": 53,
                                           "ipv6_cidr_blocks": ["fd00::/8"]}]},
     "aws:route53/resolverEndpoint:ResolverEndpoint::resolver",
     "security group 'resolver-sg' admits DNS (udp 53, ingress[0]) from fd00::/8" + FIX),
    ("undeclared-security-group", {"group_ids": ["sg-0123456789abcdef0"]},
     "aws:route53/resolverEndpoint:ResolverEndpoint::resolver",
     "its security group 'sg-0123456789abcdef0' is not declared in the stack, so what it admits cannot be checked"),
]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("knobs", "urn_suffix", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_public_names_are_one_mandatory_finding(preview: bool, knobs: dict[str, Any], urn_suffix: str,
                                                phrase: str) -> None:
    found = evaluate(partial(reachable, **knobs), preview=preview)
    assert [(v.level, v.urn.split("::", 2)[-1]) for v in findings(found, POLICY)] == [("mandatory", urn_suffix)]
    assert phrase in findings(found, POLICY)[0].message, findings(found, POLICY)[0].message
    assert notes(found, POLICY) == []


def _record_in_a_foreign_zone() -> None:
    """A record in a zone the stack does not declare (a literal id: a public zone of another stack, say)."""
    aws.route53.Record("api", zone_id="Z0123456789ABCDEFGHIJ", name="api.acme.example", type="CNAME", ttl=300,
                       records=["internal-alb-1.us-east-1.elb.amazonaws.com"], opts=pinned(provider()))


@pytest.mark.parametrize("preview", [True, False])
def test_a_record_in_an_undeclared_zone_is_refused(preview: bool) -> None:
    found = findings(evaluate(_record_in_a_foreign_zone, preview=preview), POLICY)
    assert [(v.level, v.urn.split("::", 2)[-1]) for v in found] == [("mandatory", "aws:route53/record:Record::api")]
    assert found[0].message.endswith("Record 'api' is in hosted zone 'Z0123456789ABCDEFGHIJ', which the stack does not "
                                     "declare: it cannot be proven private. Put the name in the stack's private zone "
                                     "(zone_id=zone.zone_id)")


def _zone_from_an_output() -> None:
    """The zone's VPC list comes from another resource's output: unknown in preview."""
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.40.0.0/16", tags=TAGS, opts=pinned(p))
    vpcs: Any = vpc.id.apply(lambda vpc_id: [{"vpc_id": vpc_id}])
    aws.route53.Zone("zone", name="prod.acme.connect.internal", vpcs=vpcs, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_vpcs_unknown_in_preview_are_left_to_the_note(preview: bool) -> None:
    found = evaluate(_zone_from_an_output, preview=preview)
    assert findings(found, POLICY) == []
    assert len(notes(found, POLICY)) == (1 if preview else 0)


@pytest.mark.parametrize(("stack", "preview"), [("acme-prod", True), ("globex-prod", False), ("acme-staging", True)])
def test_the_committed_stacks_names_are_private(stack: str, preview: bool) -> None:
    """The real program's zone, records and resolvers (both regions where there is a standby) pass."""
    plan = baseline(stack, preview)
    assert any(r.type == "aws:route53/resolverEndpoint:ResolverEndpoint" for r in plan.capture.resources)
    assert [v for v in plan.violations if v.policy == POLICY] == []
