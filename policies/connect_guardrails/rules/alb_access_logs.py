"""alb-access-logs: application load balancers write access logs to S3.

Application load balancers (`loadBalancerType` absent or `application`) of `aws:lb/loadBalancer:LoadBalancer`
and its alias `aws:alb/loadBalancer:LoadBalancer` must set `accessLogs.enabled` true and `accessLogs.bucket`
(an unknown bucket name counts as set).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.util import get_raw, is_set, is_unknown

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """accessLogs.enabled true with a bucket, on application load balancers."""
    if args.resource_type not in LOAD_BALANCERS:
        return
    kind = get_raw(args.props, "loadBalancerType")
    if is_unknown(kind):
        kind = args.props["loadBalancerType"]  # raises UnknownValueError: the engine notes it
    if kind not in (None, "", "application"):
        return
    logs = get_raw(args.props, "accessLogs")
    if is_unknown(logs):
        logs = args.props["accessLogs"]  # raises UnknownValueError: the engine notes it
    enabled = get_raw(logs, "enabled")
    if is_unknown(enabled):
        enabled = args.props["accessLogs"]["enabled"]  # raises UnknownValueError: the engine notes it
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
    id="alb-access-logs",
    description="Application load balancers write access logs.",
    kind="resource",
    level="mandatory",
    severity="medium",
    owner="operator",
    anchors=("FSBP ELB.5", "NAG ELB2"),
    iso27001=("A.8.15",),
    ccm=("LOG-08",),
    remediation=(
        "Set access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=<the environment's log bucket>, enabled=True); the "
        "bucket policy must let the regional ELB log delivery write to it."
    ),
    unwaivable=False,
    check=check,
)
