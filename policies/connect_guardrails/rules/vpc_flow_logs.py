"""vpc-flow-logs: each VPC has a flow log of ALL traffic delivered to a KMS-encrypted log group.

A flow log belongs to a VPC when the VPC fed its `vpcId`; its destination is the
`aws:cloudwatch/logGroup:LogGroup` that fed its `logDestination` (property dependencies, so this
holds in preview). The group must have `kmsKeyId` set; an unknown key (computed from the stack's
own key in preview) counts as set.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_known, is_set, is_unknown
from connect_guardrails.util import depends_on, deps_of_type, of_type

VPC_TYPES = ("aws:ec2/vpc:Vpc", "aws:ec2/defaultVpc:DefaultVpc")
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _problems(flow_log: PolicyResource, pending: Pending) -> list[str]:
    """Why a flow log does not satisfy the rule (empty: it does)."""
    problems: list[str] = []
    traffic = pending.read(flow_log.props, "trafficType")
    if is_known(traffic) and traffic != "ALL":
        problems.append(f"trafficType is {traffic!r}, not 'ALL'")
    groups = deps_of_type(flow_log, "logDestination", LOG_GROUP)
    if not groups:
        kind = get_raw(flow_log.props, "logDestinationType")
        where = f"a {kind} destination" if isinstance(kind, str) and kind and not is_unknown(kind) else "a destination"
        problems.append(f"it delivers to {where} that is no CloudWatch log group of this stack")
    elif not any(is_set(group.props, "kmsKeyId") for group in groups):
        problems.append(f"its log group '{groups[0].name}' has no kmsKeyId")
    return problems


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per VPC: some flow log with ALL traffic to an encrypted log group of the stack."""
    pending = Pending()
    flow_logs = list(of_type(args.resources, FLOW_LOG))
    for vpc in of_type(args.resources, *VPC_TYPES):
        mine = [f for f in flow_logs if depends_on(f, "vpcId", vpc)]
        if not mine:
            report_violation(
                f"VPC '{vpc.name}' has no flow log; add an aws.ec2.FlowLog(vpc_id=..., traffic_type='ALL') "
                f"to a KMS-encrypted log group",
                vpc.urn,
            )
            continue
        problems = {f.urn: (f, _problems(f, pending)) for f in mine}
        if any(not found for _, found in problems.values()):
            continue
        for flow_log, found in problems.values():
            report_violation(
                f"flow log '{flow_log.name}' of VPC '{vpc.name}': {'; '.join(found)}; the VPC needs a flow log "
                f"of ALL traffic to a KMS-encrypted log group",
                flow_log.urn,
            )
    pending.settle()


RULE = Rule(
    id="vpc-flow-logs", severity="medium", check=check,
    description="Each VPC has a flow log of ALL traffic to a KMS-encrypted log group.",
    anchors=("FSBP EC2.6", "NAG VPC7", "CKV2_AWS_11"),
    iso27001=("A.8.15", "A.8.16"), ccm=("IVS-03", "LOG-08", "LOG-09"),
    remediation=(
        "Add aws.ec2.FlowLog(vpc_id=vpc.id, traffic_type='ALL', log_destination_type='cloud-watch-logs', "
        "log_destination=group.arn) where the group is an aws.cloudwatch.LogGroup with kms_key_id set."
    ),
)
