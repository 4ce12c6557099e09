"""stateful-resources-protected: resources whose loss loses data or identity are protected.

EIPs (the client's allow-listed egress addresses), KMS keys, ECR repositories, backup vaults and log
groups must have the `protect` resource option. The catalogue also accepts `retainOnDelete`, but the
analyzer protocol does not carry that option to policies (`AnalyzerResourceOptions` has `protect`,
not `retainOnDelete`), so the pack can only see, and so requires, `protect`.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule

STATEFUL = {
    "aws:ec2/eip:Eip": "Elastic IP",
    "aws:kms/key:Key": "KMS key",
    "aws:ecr/repository:Repository": "ECR repository",
    "aws:backup/vault:Vault": "backup vault",
    "aws:cloudwatch/logGroup:LogGroup": "log group",
}


def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """protect on every stateful resource."""
    what = STATEFUL.get(args.resource_type)
    if what is not None and not (args.opts is not None and args.opts.protect):
        report_violation(
            f"{what} '{args.name}' is not protected; set ResourceOptions(protect=True) (and retain_on_delete=True)",
            None,
        )


RULE = Rule(
    id="stateful-resources-protected",
    description="EIPs, KMS keys, ECR repositories, backup vaults and log groups are protected.",
    kind="resource",
    level="mandatory",
    severity="high",
    owner="operator",
    anchors=(),
    remediation=(
        "Declare these resources with pulumi.ResourceOptions(protect=True, retain_on_delete=True); removing "
        "one then needs an explicit unprotect."
    ),
    unwaivable=False,
    check=check,
)
