"""ecs-service-no-public-ip: no ECS service gives its tasks public IP addresses.

`networkConfiguration.assignPublicIp` must never be true on an `aws:ecs/service:Service`; absent or
false is fine (tasks reach the internet through the NAT gateways). An unknown value decides the
outcome and is left to the engine's preview note.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.ecs_util import SERVICE
from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_known, raw


@applies_to(SERVICE)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """assignPublicIp is not true."""
    pending = Pending()
    network = raw(pending.read(args.props, "networkConfiguration"))
    if is_known(network) and isinstance(network, Mapping):
        public = pending.read(args.props, "networkConfiguration", "assignPublicIp")
        if is_known(public) and public is True:
            report_violation(
                f"ECS service '{args.name}' assigns public IP addresses to its tasks "
                f"(networkConfiguration.assignPublicIp is true); set assign_public_ip=False and run tasks in "
                f"private subnets",
                None,
            )
    pending.settle()


RULE = Rule(
    id="ecs-service-no-public-ip", kind="resource", severity="high", owner="client", unwaivable=True, check=check,
    description="ECS services never assign public IP addresses to their tasks.",
    anchors=("FSBP ECS.2", "FSBP ECS.16", "CKV_AWS_333"), iso27001=("A.8.20", "A.8.22"), ccm=("IVS-03",),
    remediation=(
        "Set network_configuration.assign_public_ip=False on the aws.ecs.Service; tasks live in the app-tier "
        "private subnets and reach the internet through the NAT gateways."
    ),
)
