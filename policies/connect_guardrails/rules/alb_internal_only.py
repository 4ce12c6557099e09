"""alb-internal-only: every load balancer is internal; clients reach services over the private network.

`aws:lb/loadBalancer:LoadBalancer` and its alias `aws:alb/loadBalancer:LoadBalancer` must set `internal`
true; absent means internet-facing (the AWS default).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import known

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


@applies_to(*LOAD_BALANCERS)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """internal is true (absent = internet-facing)."""
    internal = known(args.props, "internal")
    if internal is not True:
        shown = "absent (AWS default: internet-facing)" if internal is None else repr(internal)
        report_violation(
            f"load balancer '{args.name}' is internet-facing: internal is {shown}; set internal=True and place it "
            f"in the app-tier subnets",
            None,
        )


RULE = Rule(
    id="alb-internal-only", kind="resource", severity="critical", unwaivable=True, check=check,
    description="Every load balancer is internal.",
    iso27001=("A.8.20", "A.8.22"), ccm=("IVS-03", "IVS-09"),
    remediation="Set internal=True on every aws.lb.LoadBalancer; clients reach it through the VPN, never the internet.",
)
