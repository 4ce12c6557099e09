"""eip-nat-only: every Elastic IP is a NAT gateway's egress address, and nothing else.

An EIP counts as used by a NAT gateway when some `aws:ec2/natGateway:NatGateway`'s `allocationId`
was fed by it (a property dependency: known in preview, when allocation ids are not). An EIP bound
to an instance or network interface, or any `EipAssociation`, is a violation: those are the ways a
workload gets a public address.

Stack policies see outputs: for an EIP a NAT gateway uses, AWS reports the NAT's own network
interface in `networkInterface`, so on those EIPs only `instance` is checked.

A wound-down environment (`connect_guardrails/lifecycle.py`: decommissioning removed its NAT gateways and
everything that runs) keeps the client's allow-listed egress addresses until they are released by agreement:
there, a *protected* EIP that no NAT gateway uses is accepted. A binding is refused all the same.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs

from connect_guardrails.lifecycle import wound_down
from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import get_raw, is_known_set
from connect_guardrails.util import deps_of_type, of_type

EIP = "aws:ec2/eip:Eip"
NAT = "aws:ec2/natGateway:NatGateway"
EIP_ASSOCIATION = "aws:ec2/eipAssociation:EipAssociation"
BINDINGS = ("instance", "networkInterface", "associateWithPrivateIp")


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """EIPs referenced by a NAT gateway's allocationId; no instance/ENI binding; no EipAssociation."""
    used_by_nat = {
        eip.urn
        for nat in of_type(args.resources, NAT)
        for eip in deps_of_type(nat, "allocationId", EIP)
    }
    kept = wound_down(args.resources)  # decommissioned: the egress addresses wait for their release
    for eip in of_type(args.resources, EIP):
        used = eip.urn in used_by_nat or (kept and eip.opts is not None and eip.opts.protect)
        bound = [
            f"{key}={get_raw(eip.props, key)}"
            for key in BINDINGS
            if (key == "instance" or not used) and is_known_set(eip.props, key)
        ]
        reasons = [] if used else ["no NAT gateway uses it (allocationId)"]
        if bound:
            reasons.append(f"it is bound to {', '.join(bound)}")
        if reasons:
            report_violation(
                f"Elastic IP '{eip.name}': {'; '.join(reasons)}; EIPs exist only as NAT gateway egress addresses",
                eip.urn,
            )
    for association in of_type(args.resources, EIP_ASSOCIATION):
        report_violation(
            f"EIP association '{association.name}' binds an Elastic IP to an instance or network interface; "
            f"EIPs exist only as NAT gateway egress addresses",
            association.urn,
        )


RULE = Rule(
    id="eip-nat-only", severity="high", check=check,
    description="Every Elastic IP is used by a NAT gateway, and by nothing else.",
    anchors=("CKV2_AWS_19",), iso27001=("A.8.20", "A.8.21"), ccm=("IVS-03",),
    remediation=(
        "Use Elastic IPs only as allocation_id of NAT gateways; remove EIPs bound to instances or network "
        "interfaces and any aws.ec2.EipAssociation (workloads reach the internet through the NAT)."
    ),
)
