"""no-public-compute: no EC2 instance or launch template asks for a public IP address.

Checked inputs: `associatePublicIpAddress` of `aws:ec2/instance:Instance`,
`aws:ec2/spotInstanceRequest:SpotInstanceRequest` and `aws:ec2/launchConfiguration:LaunchConfiguration`;
`networkInterfaces[].associatePublicIpAddress` of `aws:ec2/launchTemplate:LaunchTemplate` (a string
"true"/"false" there, a boolean elsewhere). Subnets that map public IPs on launch are
`subnet-no-auto-public-ip`'s concern.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import is_unknown, known, plain

INSTANCES = (
    "aws:ec2/instance:Instance",
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
    "aws:ec2/launchConfiguration:LaunchConfiguration",
)
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def _public(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


@applies_to(*INSTANCES, LAUNCH_TEMPLATE)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """associatePublicIpAddress is never true (instances, launch configurations, launch template interfaces)."""
    if args.resource_type in INSTANCES:
        value = known(args.props, "associatePublicIpAddress")
        if _public(value):
            report_violation(
                f"'{args.name}' gets a public IP address (associatePublicIpAddress is true); compute runs in "
                f"private subnets without public addresses",
                None,
            )
    else:  # LAUNCH_TEMPLATE
        interfaces = plain(known(args.props, "networkInterfaces"))
        unknown: list[int] = []
        public: list[int] = []
        for index, interface in enumerate(interfaces or []):
            value = interface.get("associatePublicIpAddress") if isinstance(interface, dict) else None
            if is_unknown(value):
                unknown.append(index)
            elif _public(value):
                public.append(index)
        if public:
            report_violation(
                f"launch template '{args.name}' gives network interface(s) {', '.join(map(str, public))} a public IP "
                f"address (associatePublicIpAddress); remove it",
                None,
            )
        for index in unknown:
            _ = args.props["networkInterfaces"][index]["associatePublicIpAddress"]  # raises: noted by the engine


RULE = Rule(
    id="no-public-compute", kind="resource", severity="high", check=check,
    description="No EC2 instance or launch template has a public IP address.",
    anchors=("FSBP EC2.9", "FSBP EC2.25"), iso27001=("A.8.20", "A.8.22"), ccm=("IVS-03", "IVS-09"),
    remediation=(
        "Leave associate_public_ip_address unset or False on instances, launch configurations and launch template "
        "network interfaces; reach instances through SSM or the VPN."
    ),
)
