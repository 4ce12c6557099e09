"""sg-no-world-ingress: no security group admits traffic from 0.0.0.0/0 or ::/0.

Covers inline `ingress` blocks of `SecurityGroup` and `DefaultSecurityGroup`, standalone
`SecurityGroupIngressRule` (`cidrIpv4`/`cidrIpv6`) and `SecurityGroupRule` of type ingress.
Egress to the world is not this rule's concern (the app tier's egress goes through the NAT gateways).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_known, is_unknown, plain

WORLD = frozenset({"0.0.0.0/0", "::/0"})
GROUP_TYPES = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
CIDR_LISTS = ("cidrBlocks", "ipv6CidrBlocks")


def _ports(entry: Any) -> str:
    protocol = entry.get("protocol") or entry.get("ipProtocol")
    low, high = entry.get("fromPort"), entry.get("toPort")
    if str(protocol) == "-1":
        return "all traffic"
    if isinstance(low, float | int) and isinstance(high, float | int):
        span = f"{int(low)}" if low == high else f"{int(low)}-{int(high)}"
        return f"{protocol} {span}"
    return str(protocol)


def _world_in_lists(path: tuple[Any, ...], args: ResourceValidationArgs, pending: Pending) -> list[str]:
    """World CIDRs in the cidrBlocks/ipv6CidrBlocks of the entry at `args.props[path...]`; unknown entries
    recorded."""
    found: list[str] = []
    for key in CIDR_LISTS:
        blocks = plain(pending.read(args.props, *path, key))
        if is_unknown(blocks):
            continue
        for index, cidr in enumerate(blocks or []):
            if is_unknown(cidr):
                pending.add(args.props, *path, key, index)
            elif cidr in WORLD:
                found.append(cidr)
    return found


def _report(args: ResourceValidationArgs, report_violation: ReportViolation, cidrs: list[str], where: str) -> None:
    report_violation(
        f"{args.resource_type} '{args.name}' admits ingress from {', '.join(cidrs)} ({where}); admit only "
        f"known CIDRs or security groups",
        None,
    )


@applies_to(*GROUP_TYPES, INGRESS_RULE, LEGACY_RULE)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Flag every ingress from the whole internet."""
    pending = Pending()
    props = plain(args.props)
    if args.resource_type in GROUP_TYPES:
        ingress = plain(pending.read(args.props, "ingress"))
        if is_unknown(ingress):
            ingress = []
        for index, entry in enumerate(ingress or []):
            if not isinstance(entry, dict):
                continue
            cidrs = _world_in_lists(("ingress", index), args, pending)
            if cidrs:
                _report(args, report_violation, cidrs, f"ingress[{index}], {_ports(entry)}")
    elif args.resource_type == INGRESS_RULE:
        cidrs = []
        for key in ("cidrIpv4", "cidrIpv6"):
            value = pending.read(args.props, key)
            if is_known(value) and value in WORLD:
                cidrs.append(value)
        if cidrs:
            _report(args, report_violation, cidrs, _ports(props))
    else:  # LEGACY_RULE
        kind = pending.read(args.props, "type")
        if is_known(kind) and kind == "ingress":
            cidrs = _world_in_lists((), args, pending)
            if cidrs:
                _report(args, report_violation, cidrs, _ports(props))
    pending.settle()


RULE = Rule(
    id="sg-no-world-ingress", kind="resource", severity="high", check=check,
    description="No security group admits ingress from 0.0.0.0/0 or ::/0.",
    anchors=("FSBP EC2.18", "FSBP EC2.19", "NAG EC23"), iso27001=("A.8.20", "A.8.22"), ccm=("IVS-03", "IVS-09"),
    remediation=(
        "Replace 0.0.0.0/0 and ::/0 ingress with the client's CIDRs or a referenced security group "
        "(referenced_security_group_id); public traffic enters only through the platform's ingress path."
    ),
)
