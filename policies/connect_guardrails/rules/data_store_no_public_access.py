"""data-store-no-public-access: no bucket and no database of the stack can be reached from the internet.

Every `aws:s3/bucket:Bucket` (data store or not: access logs too) needs an
`aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock` (the bucket fed its `bucket`, or its known
`bucket` names it) with `blockPublicAcls`, `blockPublicPolicy`, `ignorePublicAcls` and
`restrictPublicBuckets` all true. Every `aws:rds/clusterInstance:ClusterInstance` and
`aws:rds/instance:Instance` keeps `publiclyAccessible` unset or false.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.util import BUCKET_TYPES, Pending, attached_to, bucket_names, get_raw, is_unknown, of_type

ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
DB_INSTANCES = {"aws:rds/clusterInstance:ClusterInstance": "DB cluster instance", "aws:rds/instance:Instance":
                "DB instance"}


def _bucket_problem(bucket: PolicyResource, resources: list[PolicyResource], pending: Pending) -> str | None:
    """Why a bucket is not fully blocked from public access (None: it is, or that depends on unknown values)."""
    blocks = attached_to(resources, (ACCESS_BLOCK,), "bucket", bucket, bucket_names(bucket))
    if not blocks:
        return "it has no aws.s3.BucketPublicAccessBlock"
    reasons: list[str] = []
    undecided: list[tuple[Any, str]] = []
    for block in blocks:
        unknown = [flag for flag in FLAGS if is_unknown(get_raw(block.props, flag))]
        off = [flag for flag in FLAGS if get_raw(block.props, flag) is not True and flag not in unknown]
        if not off and not unknown:
            return None
        if off:
            reasons.append(f"its public access block '{block.name}' leaves {', '.join(off)} off")
        else:
            undecided += [(block.props, flag) for flag in unknown]
    if undecided:
        for props, flag in undecided:
            pending.add(props, flag)
        return None
    return "; ".join(reasons)


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per bucket: a public access block with all four flags true; per DB instance: not publicly accessible."""
    pending = Pending()
    resources = list(args.resources)
    for bucket in of_type(resources, *BUCKET_TYPES):
        problem = _bucket_problem(bucket, resources, pending)
        if problem:
            report_violation(
                f"bucket '{bucket.name}': {problem}; every bucket blocks public access (block_public_acls, "
                f"block_public_policy, ignore_public_acls, restrict_public_buckets all True)",
                bucket.urn,
            )
    for instance in of_type(resources, *DB_INSTANCES):
        public = get_raw(instance.props, "publiclyAccessible")
        if is_unknown(public):
            pending.add(instance.props, "publiclyAccessible")
        elif public is True:
            report_violation(
                f"{DB_INSTANCES[instance.resource_type]} '{instance.name}' is publicly accessible; set "
                f"publicly_accessible=False (databases are reached from the private subnets only)",
                instance.urn,
            )
    pending.settle()


RULE = Rule(
    id="data-store-no-public-access",
    description="Every S3 bucket blocks public access and no database instance is publicly accessible.",
    kind="stack",
    level="mandatory",
    severity="high",
    owner="operator",
    anchors=("FSBP S3.8", "CKV2_AWS_6", "FSBP RDS.2", "CKV_AWS_17"),
    iso27001=("A.8.3", "A.8.12"),
    ccm=("DSP-17", "IAM-16"),
    remediation=(
        "Add aws.s3.BucketPublicAccessBlock(bucket=bucket.id, block_public_acls=True, block_public_policy=True, "
        "ignore_public_acls=True, restrict_public_buckets=True) for every bucket; declare aws.rds.ClusterInstance "
        "and aws.rds.Instance with publicly_accessible=False."
    ),
    unwaivable=False,
    check=check,
)
