"""nacl-no-world-admin-ports: no network ACL lets the world reach SSH (22) or RDP (3389); the default ACL is empty.

Inbound entries only: inline `ingress` of `aws:ec2/networkAcl:NetworkAcl` and
`aws:ec2/defaultNetworkAcl:DefaultNetworkAcl`, and `aws:ec2/networkAclRule:NetworkAclRule` with `egress`
false (its default). An entry is a finding when all of these hold:

- its action is `allow`;
- its source is 0.0.0.0/0 (`cidrBlock`) or ::/0 (`ipv6CidrBlock`);
- its protocol is all (`-1`/`all`), or TCP/UDP (`tcp`/`6`, `udp`/`17`) with a port range covering 22 or 3389.
  Other protocols (ICMP, ...) never carry SSH or RDP.

Each entry is judged alone, as FSBP EC2.21 does: a lower-numbered deny does not excuse an allow. An entry
with a value that is not known yet is a finding only once it is: when a known part already clears the entry
nothing is noted, otherwise the engine notes the unknown.

The default ACL is held to more: no entries and no subnets. AWS gives every VPC a default ACL that allows all
traffic in and out (https://docs.aws.amazon.com/vpc/latest/userguide/default-network-acl.html) and puts in it
every subnet not associated with another ACL; the platform associates each subnet with its tier's ACL and
declares the default one with `ingress=[]` and `egress=[]`, so it only catches a subnet nobody associated and
then admits nothing. So on an `aws:ec2/defaultNetworkAcl:DefaultNetworkAcl` every entry is a finding, inbound or
outbound, allow or deny (an inbound allow from the world to 22 or 3389 is described as above), whatever its
values, known or not; and so is a non-empty `subnetIds` (the length of the list is known in preview, even when
the subnet ids are not). Not seen here (a resource rule sees one resource, not what fed its inputs): a
`NetworkAclRule` or `NetworkAclAssociation` whose `networkAclId` is the VPC's `defaultNetworkAclId`, and a VPC
whose default ACL is not declared at all; `tests/components/test_nacl.py` holds the platform to both.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_known, is_unknown, plain
from connect_guardrails.util import ALL_PROTOCOLS, port_label, protocol_name

DEFAULT_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
ACLS = ("aws:ec2/networkAcl:NetworkAcl", DEFAULT_ACL)
ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
WORLD = frozenset({"0.0.0.0/0", "::/0"})
ADMIN_PORTS = (22, 3389)
PORTED = frozenset({"tcp", "udp"})

# Where each shape keeps its fields: (action, rule number).
FIELDS = {"inline": ("action", "ruleNo"), "rule": ("ruleAction", "ruleNumber")}
OPEN_ADMIN = "admit SSH/RDP only from known CIDRs, or not at all"
CLOSED = ("the default network ACL keeps no rules and no subnets: associate every subnet with its tier's ACL and "
          "declare aws.ec2.DefaultNetworkAcl(default_network_acl_id=vpc.default_network_acl_id, ingress=[], "
          "egress=[])")


def _admin_ports(entry: dict[str, Any]) -> tuple[list[int], list[str]]:
    """Admin ports the entry's protocol and port range admit, and the unknown fields that would decide it."""
    protocol = entry.get("protocol")
    if is_unknown(protocol):
        return [], ["protocol"]
    name = protocol_name(protocol)
    if name in ALL_PROTOCOLS:
        return list(ADMIN_PORTS), []
    if name not in PORTED:
        return [], []
    unknown = [key for key in ("fromPort", "toPort") if is_unknown(entry.get(key))]
    if unknown:
        return [], unknown
    low, high = entry.get("fromPort"), entry.get("toPort")
    if not isinstance(low, float | int) or not isinstance(high, float | int):
        return [], []  # AWS requires a port range for TCP/UDP
    return [port for port in ADMIN_PORTS if low <= port <= high], []


def _judge(entry: dict[str, Any], shape: str) -> tuple[str | None, list[str]]:
    """One inbound entry: (finding text, []) when it admits the world to an admin port, (None, []) when it is
    clear, (None, unknown fields) when values not known yet decide it."""
    action_key, number_key = FIELDS[shape]
    unknown: list[str] = []

    action = entry.get(action_key)
    if is_unknown(action):
        unknown.append(action_key)
    elif str(action or "").strip().lower() != "allow":
        return None, []

    sources = [entry[key] for key in ("cidrBlock", "ipv6CidrBlock") if entry.get(key) in WORLD]
    if not sources:
        cidrs_unknown = [key for key in ("cidrBlock", "ipv6CidrBlock") if is_unknown(entry.get(key))]
        if not cidrs_unknown:
            return None, []
        unknown += cidrs_unknown

    ports, ports_unknown = _admin_ports(entry)
    if not ports and not ports_unknown:
        return None, []
    if unknown or ports_unknown:
        return None, unknown + ports_unknown

    number = entry.get(number_key)
    label = f"rule {int(number)}" if isinstance(number, float | int) else "rule (number not known)"
    traffic = port_label(entry.get("protocol"), entry.get("fromPort"), entry.get("toPort"))
    admitted = ("admin port " if len(ports) == 1 else "admin ports ") + " and ".join(str(port) for port in ports)
    return f"{label} allows {traffic} from {', '.join(sources)} ({admitted})", []


def _shown(value: Any) -> str:
    return "(not known yet)" if is_unknown(value) else str(value)


def _describe(entry: dict[str, Any], key: str) -> str:
    """Any inline entry in words, unknown parts marked: `rule 100 allows all traffic from 10.0.0.0/16`."""
    number, action, protocol = entry.get("ruleNo"), entry.get("action"), entry.get("protocol")
    label = f"rule {int(number)}" if isinstance(number, float | int) else "rule (number not known)"
    verb = {"allow": "allows", "deny": "denies"}.get(str(action).strip().lower(), f"{_shown(action)} (action)")
    traffic = ("traffic (protocol not known yet)" if is_unknown(protocol)
               else port_label(protocol, entry.get("fromPort"), entry.get("toPort")))
    peers = [_shown(entry[k]) for k in ("cidrBlock", "ipv6CidrBlock") if entry.get(k) not in (None, "")]
    return f"{label} {verb} {traffic} {'from' if key == 'ingress' else 'to'} {', '.join(peers) or '(no CIDR)'}"


def _acl(args: ResourceValidationArgs, pending: Pending) -> list[tuple[str, str]]:
    """Findings of an ACL with inline entries: (text, advice). A default ACL is judged on every entry and on
    its subnets; another ACL on its inbound allows from the world only."""
    default = args.resource_type == DEFAULT_ACL
    found: list[tuple[str, str]] = []
    for key in ("ingress", "egress") if default else ("ingress",):
        entries = plain(pending.read(args.props, key))
        if is_unknown(entries):
            continue
        for index, entry in enumerate(entries or []):
            where = f"{key}[{index}]"
            if is_unknown(entry) or not isinstance(entry, dict):
                if default:  # an entry, whatever it holds: the default ACL has none
                    found.append((f"{where} is a rule whose values are not known yet", CLOSED))
                elif is_unknown(entry):
                    pending.add(args.props, key, index)
                continue
            text, unknown = _judge(entry, "inline") if key == "ingress" else (None, [])
            if default:
                found.append((f"{where} {text or _describe(entry, key)}", CLOSED))
                continue
            if text:
                found.append((f"{where} {text}", OPEN_ADMIN))
            for field in unknown:
                pending.add(args.props, key, index, field)
    if default:
        subnets = plain(pending.read(args.props, "subnetIds"))
        if is_known(subnets) and subnets:
            found.append((f"subnetIds associates {len(subnets)} subnet(s) with it", CLOSED))
    return found


@applies_to(*ACLS, ACL_RULE)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Flag every inbound allow from the world that reaches port 22 or 3389, and every entry or subnet of a
    default ACL."""
    pending = Pending()
    props = plain(args.props)
    found: list[tuple[str, str]] = []
    if args.resource_type in ACLS:
        found = _acl(args, pending)
    else:  # ACL_RULE
        egress = props.get("egress")
        if egress is not True:
            text, unknown = _judge(props, "rule")
            if is_unknown(egress) and (text or unknown):
                pending.add(args.props, "egress")
            elif text:
                found.append((text, OPEN_ADMIN))
            for key in unknown:
                pending.add(args.props, key)
    for text, advice in found:
        report_violation(f"{args.resource_type} '{args.name}': {text}; {advice}", None)
    pending.settle()


RULE = Rule(
    id="nacl-no-world-admin-ports", kind="resource", level="advisory", severity="medium", check=check,
    description="No network ACL allows ingress from 0.0.0.0/0 or ::/0 to port 22, port 3389 or all traffic.",
    anchors=("FSBP EC2.21",), iso27001=("A.8.20",), ccm=("IVS-03", "IVS-09"),
    remediation=(
        "Narrow the entry's cidr_block/ipv6_cidr_block to known CIDRs, or its protocol and port range so it "
        "excludes 22 and 3389 (e.g. 1024-65535 becomes 1024-3388 and 3390-65535); reach instances through "
        "SSM Session Manager, not SSH or RDP."
    ),
)
