"""subnet-no-auto-public-ip: no subnet hands out public IPs on launch (private subnets only)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import known

SUBNET_TYPES = ("aws:ec2/subnet:Subnet", "aws:ec2/defaultSubnet:DefaultSubnet")


@applies_to(*SUBNET_TYPES)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Flag `mapPublicIpOnLaunch: true`; an unknown value is read (and so reported as unknown)."""
    value = known(args.props, "mapPublicIpOnLaunch")
    if value is True:
        report_violation(f"subnet '{args.name}' sets mapPublicIpOnLaunch: true; set it to false", None)


RULE = Rule(
    id="subnet-no-auto-public-ip", kind="resource", severity="high", unwaivable=True, check=check,
    description="No subnet maps public IPs on launch.",
    anchors=("FSBP EC2.15", "CKV_AWS_130"), iso27001=("A.8.20", "A.8.22"), ccm=("IVS-03", "IVS-09"),
    remediation="Set map_public_ip_on_launch=False on every subnet; workloads reach the internet via NAT.",
)
