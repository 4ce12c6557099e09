"""sg-descriptions: security groups and their rules say what they are for.

- `aws:ec2/securityGroup:SecurityGroup`: `description` is set, not blank and not the provider's default
  ("Managed by Pulumi", or "Managed by Terraform" from an import). An omitted description arrives as
  that default: the Python SDK fills it in before registering, the provider's Check does for other
  languages. Every inline `ingress`/`egress` entry has a `description`.
- `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule`,
  `aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule` and `aws:ec2/securityGroupRule:SecurityGroupRule`
  have a `description`.

`aws:ec2/defaultSecurityGroup:DefaultSecurityGroup` is exempt: AWS fixes its description and
default-sg-closed keeps it without rules. Everything a resource lacks is listed in one finding. A description
that is not known yet (preview) decides nothing until it is: the engine notes it.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_known, is_unknown, plain
from connect_guardrails.util import port_label

GROUP = "aws:ec2/securityGroup:SecurityGroup"
RULE_TYPES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
)
PROVIDER_DEFAULTS = frozenset({"managed by pulumi", "managed by terraform"})


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _entry_label(entry: dict[str, Any]) -> str:
    return port_label(entry.get("protocol") or entry.get("ipProtocol"), entry.get("fromPort"), entry.get("toPort"))


def _group_gaps(args: ResourceValidationArgs, props: dict[str, Any], pending: Pending) -> list[str]:
    gaps: list[str] = []
    description = props.get("description")
    if is_unknown(description):
        pending.add(args.props, "description")
    elif _blank(description):
        gaps.append("the group has no description")
    elif isinstance(description, str) and description.strip().lower() in PROVIDER_DEFAULTS:
        gaps.append(f"the group keeps the provider's default description {description.strip()!r}")
    for direction in ("ingress", "egress"):
        entries = plain(pending.read(args.props, direction))
        if is_unknown(entries):
            continue
        for index, entry in enumerate(entries or []):
            if is_unknown(entry):
                pending.add(args.props, direction, index)
            elif isinstance(entry, dict):
                text = pending.read(args.props, direction, index, "description")
                if is_known(text) and _blank(text):
                    gaps.append(f"{direction}[{index}] ({_entry_label(entry)}) has no description")
    return gaps


@applies_to(GROUP, *RULE_TYPES)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Groups: a real description and described inline rules; standalone rules: a description."""
    pending = Pending()
    props = plain(args.props)
    if args.resource_type == GROUP:
        gaps = _group_gaps(args, props, pending)
    else:
        text = pending.read(args.props, "description")
        gaps = []
        if is_known(text) and _blank(text):
            gaps.append(f"the rule ({_entry_label(props)}) has no description")
    if gaps:
        report_violation(
            f"{args.resource_type} '{args.name}' is not described: {'; '.join(gaps)}. Say what the group or rule "
            f"is for, so a reviewer can tell intended access from drift",
            None,
        )
    pending.settle()


RULE = Rule(
    id="sg-descriptions", kind="resource", level="advisory", severity="low", check=check,
    description="Security groups and security group rules have descriptions (not the provider default).",
    anchors=("NAG EC27", "CKV_AWS_23"), iso27001=("A.8.9", "A.8.20"), ccm=("IVS-03",),
    remediation=(
        "Give every SecurityGroup a description= saying what it protects (not 'Managed by Pulumi'), and every "
        "inline ingress/egress entry, SecurityGroupIngressRule, SecurityGroupEgressRule and SecurityGroupRule a "
        "description= saying what the traffic is."
    ),
)
