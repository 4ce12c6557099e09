"""alb-access-logs: application load balancers write access logs to S3.

Application load balancers (`loadBalancerType` absent or `application`) of `aws:lb/loadBalancer:LoadBalancer`
and its alias `aws:alb/loadBalancer:LoadBalancer` must set `accessLogs.enabled` true and `accessLogs.bucket`
(an unknown bucket name counts as set).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import is_set, known

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


@applies_to(*LOAD_BALANCERS)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """accessLogs.enabled true with a bucket, on application load balancers."""
    kind = known(args.props, "loadBalancerType")
    if kind not in (None, "", "application"):
        return
    logs = known(args.props, "accessLogs")
    enabled = known(args.props, "accessLogs", "enabled")
    problems = []
    if enabled is not True:
        problems.append("accessLogs.enabled is not true")
    if not is_set(logs, "bucket"):
        problems.append("accessLogs.bucket is not set")
    if problems:
        report_violation(
            f"application load balancer '{args.name}' writes no access logs ({'; '.join(problems)}); set "
            f"access_logs=LoadBalancerAccessLogsArgs(bucket=<log bucket>, enabled=True)",
            None,
        )


RULE = Rule(
    id="alb-access-logs", kind="resource", severity="medium", check=check,
    description="Application load balancers write access logs.",
    anchors=("FSBP ELB.5", "NAG ELB2"), iso27001=("A.8.15",), ccm=("LOG-08",),
    remediation=(
        "Set access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=<the environment's log bucket>, enabled=True); the "
        "bucket policy must let the regional ELB log delivery write to it."
    ),
)
