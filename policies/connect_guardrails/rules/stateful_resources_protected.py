"""stateful-resources-protected: resources whose loss loses data or identity are protected.

EIPs (the client's allow-listed egress addresses), KMS keys, ECR repositories, backup vaults, log
groups and the data stores (S3 buckets, EFS file systems, RDS clusters and instances) must be protected or
retained on delete. The analyzer protocol carries `protect` but not
`retainOnDelete` (`AnalyzerResourceOptions`), so a resource that is meant to go away with its owner
while its data stays (a service's log group when the service is removed) declares
`retain_on_delete=True` and says so with the tag `connect:retain-on-delete: "true"`, which this rule
accepts. The offline engine checks that every resource carrying the tag really is retained.

`protect` guards against the program; AWS must refuse to delete a database too, whoever asks: every
`aws:rds/cluster:Cluster` and `aws:rds/instance:Instance` sets `deletionProtection` true (the default is false:
any principal with rds:DeleteDBCluster, or a replacement, drops it) and does not set `skipFinalSnapshot` true
(a deletion then leaves no final snapshot)
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DeleteCluster.html#USER_DeletionProtection,
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html). Unknown values of either are
left to the engine's preview note. (A data bucket's objects expiring on a lifecycle rule is judged with the
other data-store facts, by `data-store-dr-replication`: which buckets hold data is a stack-wide question.)
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_known
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
    "aws:rds/instance:Instance": "RDS instance",
}
DATABASES = ("aws:rds/cluster:Cluster", "aws:rds/instance:Instance")


def _database_problems(args: ResourceValidationArgs, pending: Pending) -> list[str]:
    """Why AWS would delete the database when asked, or keep no final snapshot."""
    problems: list[str] = []
    protection = pending.read(args.props, "deletionProtection")
    if is_known(protection) and protection is not True:
        problems.append("deletionProtection is off (set deletion_protection=True)")
    skip = pending.read(args.props, "skipFinalSnapshot")
    if is_known(skip) and skip is True:
        problems.append("skipFinalSnapshot is on: a deletion keeps no final snapshot (set skip_final_snapshot=False "
                        "and a final_snapshot_identifier)")
    return problems


@applies_to(*STATEFUL)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """protect (or the declared retain-on-delete) on every stateful resource; databases with deletion protection and
    a final snapshot."""
    what = STATEFUL[args.resource_type]
    if not (args.opts is not None and args.opts.protect) and tag(args.props, RETAIN_TAG) != "true":
        report_violation(
            f"{what} '{args.name}' is neither protected nor declared retained; set ResourceOptions(protect=True, "
            f"retain_on_delete=True), or retain_on_delete=True with the tag {RETAIN_TAG}: \"true\"",
            None,
        )
    if args.resource_type not in DATABASES:
        return
    pending = Pending()
    problems = _database_problems(args, pending)
    if problems:
        report_violation(
            f"{what} '{args.name}': {'; '.join(problems)}; AWS refuses to delete a protected database, whoever asks, "
            f"and a deletion keeps a final snapshot",
            None,
        )
    pending.settle()


RULE = Rule(
    id="stateful-resources-protected", kind="resource", severity="high", check=check,
    description="EIPs, KMS keys, ECR repositories, backup vaults, log groups, buckets, file systems and databases are "
                "protected or retained; databases have deletion protection and keep a final snapshot.",
    anchors=("FSBP RDS.7", "FSBP RDS.8", "CKV_AWS_139", "CKV_AWS_293"), iso27001=("A.5.33", "A.8.32"), ccm=("CCC-04",),
    remediation=(
        "Declare these resources with pulumi.ResourceOptions(protect=True, retain_on_delete=True); removing "
        "one then needs an explicit unprotect. Declare aws.rds.Cluster and aws.rds.Instance with "
        "deletion_protection=True and skip_final_snapshot=False (with a final_snapshot_identifier)."
    ),
)
