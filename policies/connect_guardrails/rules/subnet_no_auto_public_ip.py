"""subnet-no-auto-public-ip: no subnet hands out public IPs on launch (private subnets only)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.util import get_raw, is_unknown

SUBNET_TYPES = ("aws:ec2/subnet:Subnet", "aws:ec2/defaultSubnet:DefaultSubnet")


def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Flag `mapPublicIpOnLaunch: true`; an unknown value is read (and so reported as unknown)."""
    if args.resource_type not in SUBNET_TYPES:
        return
    value = get_raw(args.props, "mapPublicIpOnLaunch")
    if is_unknown(value):
        value = args.props["mapPublicIpOnLaunch"]  # raises UnknownValueError: the engine notes it
    if value is True:
        report_violation(f"subnet '{args.name}' sets mapPublicIpOnLaunch: true; set it to false", None)


RULE = Rule(
    id="subnet-no-auto-public-ip",
    description="No subnet maps public IPs on launch.",
    kind="resource",
    level="mandatory",
    severity="high",
    owner="operator",
    anchors=("FSBP EC2.15", "CKV_AWS_130"),
    iso27001=("A.8.20", "A.8.22"),
    ccm=("IVS-03", "IVS-09"),
    remediation="Set map_public_ip_on_launch=False on every subnet; workloads reach the internet via NAT.",
    unwaivable=True,
    check=check,
)
