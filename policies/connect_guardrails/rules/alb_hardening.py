"""alb-hardening: load balancers drop invalid headers, mitigate desync attacks and resist deletion.

For application load balancers (`loadBalancerType` absent or `application`) of
`aws:lb/loadBalancer:LoadBalancer` and `aws:alb/loadBalancer:LoadBalancer`:

- `dropInvalidHeaderFields` is true (default false);
- `desyncMitigationMode` is `defensive` or `strictest` (absent = the AWS default `defensive`);
- `enableDeletionProtection` is true, unless the policy config `requireDeletionProtection` is false
  (non-production stacks).

Network and gateway load balancers only need deletion protection (the other two settings do not exist
for them). Every missing item is listed in one finding.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import known
from connect_guardrails.util import config_of

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
SAFE_DESYNC_MODES = ("defensive", "strictest")


@applies_to(*LOAD_BALANCERS)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Drop invalid headers, defensive/strictest desync mode, deletion protection (when required)."""
    require_protection = bool(config_of(args).get("requireDeletionProtection", True))
    application = known(args.props, "loadBalancerType") in (None, "", "application")
    missing: list[str] = []
    if application:
        if known(args.props, "dropInvalidHeaderFields") is not True:
            missing.append("dropInvalidHeaderFields is not true")
        mode = known(args.props, "desyncMitigationMode")
        if mode not in (None, "", *SAFE_DESYNC_MODES):
            missing.append(f"desyncMitigationMode is {mode!r}, not 'defensive' or 'strictest'")
    if require_protection and known(args.props, "enableDeletionProtection") is not True:
        missing.append("enableDeletionProtection is not true (policy config requireDeletionProtection)")
    if missing:
        report_violation(f"load balancer '{args.name}' is not hardened: {'; '.join(missing)}", None)


RULE = Rule(
    id="alb-hardening", kind="resource", level="advisory", severity="medium", check=check,
    description="Load balancers drop invalid headers, mitigate desync defensively and have deletion protection.",
    anchors=("FSBP ELB.4", "FSBP ELB.6", "FSBP ELB.12"), iso27001=("A.8.9", "A.8.20"), ccm=("CCC-04", "IVS-09"),
    remediation=(
        "Set drop_invalid_header_fields=True, desync_mitigation_mode='strictest' (or leave the 'defensive' default) "
        "and enable_deletion_protection=True (production; other stacks may set requireDeletionProtection false)."
    ),
    config={
        "requireDeletionProtection": {
            "type": "boolean",
            "default": True,
            "description": "Require enableDeletionProtection on load balancers (set false for non-production stacks).",
        },
    },
)
