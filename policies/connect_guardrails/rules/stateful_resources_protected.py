"""stateful-resources-protected: resources whose loss loses data or identity are protected.

EIPs (the client's allow-listed egress addresses), KMS keys, ECR repositories, backup vaults, log
groups and the data stores (S3 buckets, EFS file systems, RDS clusters) must be protected or retained on
delete. The analyzer protocol carries `protect` but not
`retainOnDelete` (`AnalyzerResourceOptions`), so a resource that is meant to go away with its owner
while its data stays (a service's log group when the service is removed) declares
`retain_on_delete=True` and says so with the tag `connect:retain-on-delete: "true"`, which this rule
accepts. The offline engine checks that every resource carrying the tag really is retained.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.util import tag

RETAIN_TAG = "connect:retain-on-delete"

STATEFUL = {
    "aws:ec2/eip:Eip": "Elastic IP",
    "aws:kms/key:Key": "KMS key",
    "aws:ecr/repository:Repository": "ECR repository",
    "aws:backup/vault:Vault": "backup vault",
    "aws:cloudwatch/logGroup:LogGroup": "log group",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:efs/fileSystem:FileSystem": "EFS file system",
    "aws:rds/cluster:Cluster": "RDS cluster",
}


def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """protect (or the declared retain-on-delete) on every stateful resource."""
    what = STATEFUL.get(args.resource_type)
    if what is None or (args.opts is not None and args.opts.protect) or tag(args.props, RETAIN_TAG) == "true":
        return
    report_violation(
        f"{what} '{args.name}' is neither protected nor declared retained; set ResourceOptions(protect=True, "
        f"retain_on_delete=True), or retain_on_delete=True with the tag {RETAIN_TAG}: \"true\"",
        None,
    )


RULE = Rule(
    id="stateful-resources-protected",
    description="EIPs, KMS keys, ECR repositories, backup vaults, log groups, buckets, file systems and database "
                "clusters are protected or retained.",
    kind="resource",
    level="mandatory",
    severity="high",
    owner="operator",
    anchors=(),
    iso27001=("A.5.33", "A.8.32"),
    ccm=("CCC-04",),
    remediation=(
        "Declare these resources with pulumi.ResourceOptions(protect=True, retain_on_delete=True); removing "
        "one then needs an explicit unprotect."
    ),
    unwaivable=False,
    check=check,
)
