"""nacl-no-world-admin-ports: no network ACL lets the world reach SSH (22) or RDP (3389).

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
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.util import ALL_PROTOCOLS, Pending, is_unknown, plain, port_label, protocol_name

ACLS = ("aws:ec2/networkAcl:NetworkAcl", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
WORLD = frozenset({"0.0.0.0/0", "::/0"})
ADMIN_PORTS = (22, 3389)
PORTED = frozenset({"tcp", "udp"})

# Where each shape keeps its fields: (action, rule number).
FIELDS = {"inline": ("action", "ruleNo"), "rule": ("ruleAction", "ruleNumber")}


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


def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Flag every inbound allow from the world that reaches port 22 or 3389."""
    pending = Pending()
    props = plain(args.props)
    found: list[str] = []
    if args.resource_type in ACLS:
        ingress = props.get("ingress")
        if is_unknown(ingress):
            pending.add(args.props, "ingress")
            ingress = []
        for index, entry in enumerate(ingress or []):
            if is_unknown(entry):
                pending.add(args.props, "ingress", index)
            elif isinstance(entry, dict):
                text, unknown = _judge(entry, "inline")
                if text:
                    found.append(f"ingress[{index}] {text}")
                for key in unknown:
                    pending.add(args.props, "ingress", index, key)
    elif args.resource_type == ACL_RULE:
        egress = props.get("egress")
        if egress is not True:
            text, unknown = _judge(props, "rule")
            if is_unknown(egress) and (text or unknown):
                pending.add(args.props, "egress")
            elif text:
                found.append(text)
            for key in unknown:
                pending.add(args.props, key)
    for text in found:
        report_violation(
            f"{args.resource_type} '{args.name}': {text}; admit SSH/RDP only from known CIDRs, or not at all",
            None,
        )
    pending.settle()


RULE = Rule(
    id="nacl-no-world-admin-ports",
    description="No network ACL allows ingress from 0.0.0.0/0 or ::/0 to port 22, port 3389 or all traffic.",
    kind="resource",
    level="advisory",
    severity="medium",
    owner="operator",
    anchors=("FSBP EC2.21",),
    iso27001=("A.8.20",),
    ccm=("IVS-03", "IVS-09"),
    remediation=(
        "Narrow the entry's cidr_block/ipv6_cidr_block to known CIDRs, or its protocol and port range so it "
        "excludes 22 and 3389 (e.g. 1024-65535 becomes 1024-3388 and 3390-65535); reach instances through "
        "SSM Session Manager, not SSH or RDP."
    ),
    unwaivable=False,
    check=check,
)
