"""nacl-no-world-admin-ports: no inbound NACL allow from the world reaches SSH, RDP or all traffic; the default
ACL has no entries and no subnets; the platform's own ACLs (tests/components/test_nacl.py) pass and are judged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from connectctl.engine.analyzer import analyze
from tests.policies.ecs_programs import assert_one_advisory
from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider
from tests.policies.mutations import Variant, baseline, focused_config

POLICY = "nacl-no-world-admin-ports"


def _fields(rule_no: int, protocol: str, low: int, high: int, cidr: str, action: str) -> dict[str, Any]:
    source = {"ipv6_cidr_block": cidr} if ":" in cidr else {"cidr_block": cidr}
    return {"rule_no": rule_no, "action": action, "protocol": protocol, "from_port": low, "to_port": high, **source}


def _entry(rule_no: int, protocol: str, low: int, high: int, cidr: str = "0.0.0.0/0",
           action: str = "allow") -> aws.ec2.NetworkAclIngressArgs:
    return aws.ec2.NetworkAclIngressArgs(**_fields(rule_no, protocol, low, high, cidr, action))


def _default_entry(rule_no: int, protocol: str, low: int, high: int,
                   cidr: str = "0.0.0.0/0", action: str = "allow") -> aws.ec2.DefaultNetworkAclIngressArgs:
    return aws.ec2.DefaultNetworkAclIngressArgs(**_fields(rule_no, protocol, low, high, cidr, action))


def _vpc() -> tuple[aws.Provider, aws.ec2.Vpc]:
    """The tenant provider and the VPC (10.0.0.0/16) that a case's ACLs belong to."""
    p = provider()
    return p, aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))


def _default_acl(**entries: Any) -> None:
    """A VPC whose default network ACL holds `entries` (ingress, egress)."""
    p, vpc = _vpc()
    aws.ec2.DefaultNetworkAcl("default", default_network_acl_id=vpc.default_network_acl_id, **entries, tags=TAGS,
                              opts=pinned(p))


def _compliant() -> None:
    p, vpc = _vpc()
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
    # the default ACL closed: no entries, no subnets (every subnet is in a tier's ACL)
    aws.ec2.DefaultNetworkAcl("default", default_network_acl_id=vpc.default_network_acl_id, ingress=[], egress=[],
                              tags=TAGS, opts=pinned(p))
    subnet = aws.ec2.Subnet("app-a", vpc_id=vpc.id, cidr_block="10.0.0.0/20", tags=TAGS, opts=pinned(p))
    aws.ec2.NetworkAclAssociation("private-app-a", network_acl_id=acl.id, subnet_id=subnet.id, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_no_world_admin_access_passes(preview: bool) -> None:
    found = evaluate(_compliant, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _inline_ssh() -> None:
    p, vpc = _vpc()
    aws.ec2.NetworkAcl("public", vpc_id=vpc.id,
                       ingress=[_entry(100, "tcp", 443, 443), _entry(110, "tcp", 22, 22)], tags=TAGS, opts=pinned(p))


def _inline_ephemeral_covers_rdp() -> None:
    p, vpc = _vpc()
    aws.ec2.NetworkAcl("public", vpc_id=vpc.id, ingress=[_entry(120, "tcp", 1024, 65535, cidr="::/0")],
                       tags=TAGS, opts=pinned(p))


def _inline_all_traffic() -> None:
    p, vpc = _vpc()
    aws.ec2.NetworkAcl("public", vpc_id=vpc.id, ingress=[_entry(100, "all", 0, 0)], tags=TAGS, opts=pinned(p))


def _standalone_rdp() -> None:
    p, vpc = _vpc()
    acl = aws.ec2.NetworkAcl("public", vpc_id=vpc.id, tags=TAGS, opts=pinned(p))
    aws.ec2.NetworkAclRule("public-rdp", network_acl_id=acl.id, rule_number=130, protocol="17",
                           rule_action="allow", cidr_block="0.0.0.0/0", from_port=3389, to_port=3389, opts=pinned(p))


def _default_acl_allows_all() -> None:
    _default_acl(ingress=[_default_entry(100, "-1", 0, 0)])


def _default_acl_admits_the_vpc() -> None:
    _default_acl(ingress=[_default_entry(100, "-1", 0, 0, cidr="10.0.0.0/16")])


def _default_acl_sends_https() -> None:
    _default_acl(egress=[aws.ec2.DefaultNetworkAclEgressArgs(**_fields(100, "tcp", 443, 443, "0.0.0.0/0", "allow"))])


def _default_acl_denies_ssh() -> None:
    _default_acl(ingress=[_default_entry(90, "tcp", 22, 22, action="deny")])


def _default_acl_holds_a_subnet() -> None:
    p, vpc = _vpc()
    subnet = aws.ec2.Subnet("app-a", vpc_id=vpc.id, cidr_block="10.0.0.0/20", tags=TAGS, opts=pinned(p))
    aws.ec2.DefaultNetworkAcl("default", default_network_acl_id=vpc.default_network_acl_id, ingress=[], egress=[],
                              subnet_ids=[subnet.id], tags=TAGS, opts=pinned(p))


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
     "ingress[0] rule 100 allows all traffic from 0.0.0.0/0 (admin ports 22 and 3389); the default network ACL "
     "keeps no rules and no subnets"),
    # the default ACL: any entry, in either direction, allow or deny, from anywhere; any subnet
    (_default_acl_admits_the_vpc, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl::default",
     "ingress[0] rule 100 allows all traffic from 10.0.0.0/16; the default network ACL keeps no rules"),
    (_default_acl_sends_https, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl::default",
     "egress[0] rule 100 allows tcp 443 to 0.0.0.0/0; the default network ACL keeps no rules"),
    (_default_acl_denies_ssh, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl::default",
     "ingress[0] rule 90 denies tcp 22 from 0.0.0.0/0; the default network ACL keeps no rules"),
    (_default_acl_holds_a_subnet, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl::default",
     "subnetIds associates 1 subnet(s) with it; the default network ACL keeps no rules and no subnets: associate "
     "every subnet with its tier's ACL"),
]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("program", "urn_suffix", "phrase"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_world_admin_access_is_advisory(
    preview: bool, program: Callable[[], None], urn_suffix: str, phrase: str
) -> None:
    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_advisory(found, urn_suffix, phrase)


def _unknown_source() -> None:
    p, vpc = _vpc()
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


def _default_acl_with_unknown_entries() -> None:
    p, vpc = _vpc()
    vpc_range = vpc.id.apply(lambda _: "10.0.0.0/16")  # unknown in preview
    entry = vpc_range.apply(lambda cidr: aws.ec2.DefaultNetworkAclIngressArgs(
        rule_no=100, action="allow", protocol="-1", from_port=0, to_port=0, cidr_block=cidr))
    aws.ec2.DefaultNetworkAcl("default", default_network_acl_id=vpc.default_network_acl_id,
                              ingress=[entry], egress=[], tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_a_default_acl_entry_is_a_finding_even_before_its_values_are_known(preview: bool) -> None:
    """An entry of the default ACL is a finding whatever it holds: no unknown value can clear it."""
    found = evaluate(_default_acl_with_unknown_entries, preview=preview)
    phrase = ("ingress[0] is a rule whose values are not known yet" if preview
              else "ingress[0] rule 100 allows all traffic from 10.0.0.0/16")
    assert_one_advisory(findings(found, POLICY), "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl::default", phrase)


# --- the platform's own ACLs, as the program declares them ------------------------------------------------------

DEFAULT_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
ACL = "aws:ec2/networkAcl:NetworkAcl"


@pytest.mark.parametrize("stack", ["acme-prod", "globex-prod", "acme-staging"])
@pytest.mark.parametrize("preview", [True, False])
def test_the_platforms_acls_pass_and_are_known_in_preview(stack: str, preview: bool) -> None:
    """Every tier ACL and each VPC's default ACL (primary and DR standby) is judged and passes: no finding, and
    no note even in preview (every entry is built from the stack file, so nothing waits for an apply)."""
    resources = baseline(stack, preview).capture.resources
    assert {r.type for r in resources} >= {ACL, DEFAULT_ACL}
    found = analyze(resources, focused_config(stack, POLICY))
    assert [v for v in found if v.policy == POLICY] == []


def _real_plan_findings(stack: str, preview: bool, mutate: Callable[[Variant], None]) -> list[str]:
    variant = Variant(baseline(stack, preview).capture.resources)
    mutate(variant)
    return [f"{v.urn.rsplit('::', 1)[1]}: {v.message.splitlines()[-1]}"  # the finding, after the description
            for v in findings(analyze(variant.resources, focused_config(stack, POLICY)), POLICY)]


def _widen_app_returns(v: Variant) -> None:
    """The app ACL's TCP replies in one entry, 1024-65535: it covers 3389 from the world."""
    def widen(props: dict[str, Any]) -> None:
        props["ingress"] = [e for e in props["ingress"] if e["ruleNo"] != 130]
        next(e for e in props["ingress"] if e["ruleNo"] == 120)["toPort"] = 65535
    v.edit(v.find(ACL, "network-app-nacl"), widen)


def _reopen_default_acl(v: Variant) -> None:
    """The DR VPC's default ACL gets back AWS's allow-all rules and the standby's first app subnet."""
    default = v.find(DEFAULT_ACL, "dr-network-default-nacl")
    everything = {"ruleNo": 100, "action": "allow", "protocol": "-1", "fromPort": 0, "toPort": 0,
                  "cidrBlock": "0.0.0.0/0"}
    v.set(default, "ingress", [everything])
    v.set(default, "egress", [everything])
    v.set(default, "subnetIds", ["subnet-0standby"])


@pytest.mark.parametrize("preview", [True, False])
def test_the_rule_judges_the_real_acls(preview: bool) -> None:
    """Edits of acme-prod's real plan: a widened tier ACL and a reopened default ACL are each reported."""
    assert _real_plan_findings("acme-prod", preview, _widen_app_returns) == [
        "network-app-nacl: aws:ec2/networkAcl:NetworkAcl 'network-app-nacl': ingress[2] rule 120 allows tcp "
        "1024-65535 from 0.0.0.0/0 (admin port 3389); admit SSH/RDP only from known CIDRs, or not at all"]
    reopened = _real_plan_findings("acme-prod", preview, _reopen_default_acl)
    assert [f.split(";")[0] for f in reopened] == [
        f"dr-network-default-nacl: {DEFAULT_ACL} 'dr-network-default-nacl': {text}" for text in (
            "ingress[0] rule 100 allows all traffic from 0.0.0.0/0 (admin ports 22 and 3389)",
            "egress[0] rule 100 allows all traffic to 0.0.0.0/0",
            "subnetIds associates 1 subnet(s) with it")]
