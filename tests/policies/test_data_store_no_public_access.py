"""data-store-no-public-access: every bucket blocks public access and is no website; no database instance is public.

Each program holds several independent stores, one case each, so the pack runs once per mode.
"""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.policies.data_programs import bucket, db_cluster, key, providers
from tests.policies.harness import TAGS, case_tests, evaluate, findings, notes, pinned

POLICY = "data-store-no-public-access"


def _instance(p: aws.Provider, name: str, public: bool) -> None:
    aws.rds.Instance(name, engine="postgres", instance_class="db.t4g.micro", allocated_storage=20,
                     username="connect", manage_master_user_password=True, storage_encrypted=True,
                     publicly_accessible=public, tags=TAGS, opts=pinned(p, protect=True))


def _compliant() -> None:
    p, _ = providers()
    k = key(p)
    bucket(p, "documents", k, policy=None)
    bucket(p, "access-logs", None, data=False, sse="AES256", policy=None)
    db_cluster(p, k)
    _instance(p, "legacy", False)


@pytest.mark.parametrize("preview", [True, False])
def test_private_stores_pass(preview: bool) -> None:
    found = evaluate(_compliant, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _violating() -> None:
    p, _ = providers()
    k = key(p)
    bucket(p, "no-block", k, public_block=None, policy=None)
    bucket(p, "logs-no-block", None, data=False, sse="AES256", public_block=None, policy=None)
    bucket(p, "partial-block", k, public_block=False, policy=None)
    db_cluster(p, k, "public-db", public=True)
    _instance(p, "public-instance", True)
    site = bucket(p, "site", k, policy=None)  # fully blocked, but a website
    aws.s3.BucketWebsiteConfiguration("site-website", bucket=site.id, index_document={"suffix": "index.html"},
                                      opts=pinned(p))
    inline = aws.s3.Bucket("inline-site", bucket="connect-inline-site", website={"index_document": "index.html"},
                           tags=TAGS, opts=pinned(p, protect=True))
    aws.s3.BucketPublicAccessBlock("inline-site-public-access", bucket=inline.id, block_public_acls=True,
                                   block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
                                   opts=pinned(p))


CASES: dict[str, tuple[str, str]] = {
    "no-block": ("aws:s3/bucket:Bucket::no-block", "bucket 'no-block': it has no aws.s3.BucketPublicAccessBlock"),
    "other-bucket-no-block": ("aws:s3/bucket:Bucket::logs-no-block", "it has no aws.s3.BucketPublicAccessBlock"),
    "partial-block": ("aws:s3/bucket:Bucket::partial-block",
                      "its public access block 'partial-block-public-access' leaves restrictPublicBuckets off"),
    "public-cluster-instance": ("aws:rds/clusterInstance:ClusterInstance::public-db-1",
                                "DB cluster instance 'public-db-1' is publicly accessible"),
    "public-instance": ("aws:rds/instance:Instance::public-instance",
                        "DB instance 'public-instance' is publicly accessible"),
    "website-configuration": ("aws:s3/bucket:Bucket::site", "bucket 'site': it is served as a static website "
                                                            "(website configuration 'site-website')"),
    "inline-website": ("aws:s3/bucket:Bucket::inline-site",
                       "bucket 'inline-site': it is served as a static website (its inline website)"),
}


test_public_store_is_violation, test_one_finding_per_public_store = case_tests(_violating, POLICY, CASES)
