"""data-store-no-public-access: no bucket and no database of the stack can be reached from the internet.

Every `aws:s3/bucket:Bucket` (data store or not: access logs too) needs an
`aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock` (the bucket fed its `bucket`, or its known
`bucket` names it) with `blockPublicAcls`, `blockPublicPolicy`, `ignorePublicAcls` and
`restrictPublicBuckets` all true, and no static website: neither a website configuration
(`aws:s3/bucketWebsiteConfiguration`, or V2, that names the bucket the same way) nor the bucket's inline
`website` (`websites` on BucketV2). A website endpoint serves objects to anonymous HTTP clients: behind a
public access block it answers 403, but it is one bucket policy (or a weakened block) away from a public
site, and buckets here hold client data or logs, never web content
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteHosting.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteAccessPermissionsReqd.html).
Every `aws:rds/clusterInstance:ClusterInstance` and `aws:rds/instance:Instance` keeps `publiclyAccessible`
unset or false.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_known, is_set, is_unknown, plain
from connect_guardrails.util import BUCKET_TYPES, Index, bucket_names

ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
WEBSITE_TYPES = ("aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration",
                 "aws:s3/bucketWebsiteConfigurationV2:BucketWebsiteConfigurationV2")
INLINE_WEBSITE = ("website", "websites")  # Bucket (object), BucketV2 (list)
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
DB_INSTANCES = {"aws:rds/clusterInstance:ClusterInstance": "DB cluster instance", "aws:rds/instance:Instance":
                "DB instance"}


def _website(bucket: PolicyResource, index: Index, names: set[str], pending: Pending) -> str | None:
    """How a bucket is served as a static website, if it is (an unknown inline website is left to `pending`)."""
    configs = index.fed(bucket, WEBSITE_TYPES, "bucket", names)
    if configs:
        return f"it is served as a static website (website configuration '{configs[0].name}')"
    for prop in INLINE_WEBSITE:
        value = plain(pending.read(bucket.props, prop))
        if is_known(value) and is_set(bucket.props, prop) and value not in ([{}], [None]):
            return f"it is served as a static website (its inline {prop})"
    return None


def _bucket_problem(bucket: PolicyResource, index: Index, names: set[str], pending: Pending) -> str | None:
    """Why a bucket is not fully blocked from public access (None: it is, or that depends on unknown values)."""
    blocks = index.fed(bucket, (ACCESS_BLOCK,), "bucket", names)
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


# What is wrong with a bucket (None: nothing, or unknown values decide), in reporting order, with what is expected.
BUCKET_FINDERS = (
    (_bucket_problem, "every bucket blocks public access (block_public_acls, block_public_policy, ignore_public_acls, "
                      "restrict_public_buckets all True)"),
    (_website, "no bucket is a website (remove the website configuration; content for browsers goes behind the "
               "internal load balancer)"),
)


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per bucket: a public access block with all four flags true and no static website; per DB instance: not
    publicly accessible."""
    pending = Pending()
    index = Index.of(args.resources)
    for bucket in index.of_type(*BUCKET_TYPES):
        names = bucket_names(bucket)
        for finder, expected in BUCKET_FINDERS:
            problem = finder(bucket, index, names, pending)
            if problem:
                report_violation(f"bucket '{bucket.name}': {problem}; {expected}", bucket.urn)
    for instance in index.of_type(*DB_INSTANCES):
        public = pending.read(instance.props, "publiclyAccessible")
        if is_known(public) and public is True:
            report_violation(
                f"{DB_INSTANCES[instance.resource_type]} '{instance.name}' is publicly accessible; set "
                f"publicly_accessible=False (databases are reached from the private subnets only)",
                instance.urn,
            )
    pending.settle()


RULE = Rule(
    id="data-store-no-public-access", severity="high", check=check,
    description="Every S3 bucket blocks public access and is no static website; no database instance is publicly "
                "accessible.",
    anchors=("FSBP S3.8", "CKV2_AWS_6", "FSBP RDS.2", "CKV_AWS_17"),
    iso27001=("A.8.3", "A.8.12"), ccm=("DSP-17", "IAM-16"),
    remediation=(
        "Add aws.s3.BucketPublicAccessBlock(bucket=bucket.id, block_public_acls=True, block_public_policy=True, "
        "ignore_public_acls=True, restrict_public_buckets=True) for every bucket, and no "
        "aws.s3.BucketWebsiteConfiguration or website argument; declare aws.rds.ClusterInstance "
        "and aws.rds.Instance with publicly_accessible=False."
    ),
)
