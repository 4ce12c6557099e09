"""log-group-encrypted-retained: log groups are KMS-encrypted and kept at least the configured time.

`kmsKeyId` must be set; an unknown value (the stack's own key, in preview) counts as set. Retention
`retentionInDays` must be at least `minRetentionDays` (default 365); absent or 0 means the logs never
expire, which satisfies any floor.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import is_set, known
from connect_guardrails.util import config_of

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DEFAULT_MIN_RETENTION = 365


@applies_to(LOG_GROUP)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """kmsKeyId set; retention absent/0 (forever) or >= the floor."""
    floor = int(config_of(args).get("minRetentionDays", DEFAULT_MIN_RETENTION))
    if not is_set(args.props, "kmsKeyId"):
        report_violation(f"log group '{args.name}' is not encrypted with a KMS key; set kmsKeyId", None)
    retention = known(args.props, "retentionInDays")
    if retention and retention < floor:
        report_violation(
            f"log group '{args.name}' keeps logs {int(retention)} days, below the floor of {floor} days "
            f"(policy config minRetentionDays); raise retentionInDays",
            None,
        )


RULE = Rule(
    id="log-group-encrypted-retained", kind="resource", severity="medium", check=check,
    description="CloudWatch log groups are KMS-encrypted and retained at least the configured floor.",
    anchors=("CKV_AWS_158", "CKV_AWS_338"), iso27001=("A.5.33", "A.8.15", "A.8.24"), ccm=("CEK-03", "LOG-02", "LOG-09"),
    remediation=(
        "Set kms_key_id to the environment key's ARN and retention_in_days to at least minRetentionDays "
        "(default 365), or leave retention unset to keep logs forever."
    ),
    config={
        "minRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": DEFAULT_MIN_RETENTION,
            "description": "Shortest retention, in days, a log group may have.",
        },
    },
)
