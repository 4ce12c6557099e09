"""data-store-tls-only: every bucket has a policy that denies s3:* to everyone when aws:SecureTransport is false.

Each program holds several independent buckets, one case each, so the pack runs once per mode.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.data_programs import bucket, literal_policy, providers
from tests.policies.harness import case_tests, evaluate, findings, notes

POLICY = "data-store-tls-only"


def _buckets(policies: dict[str, Any]) -> None:
    """One bucket `connect-<name>` per entry, holding no data (only the policy matters), with that policy."""
    p, _ = providers()
    for name, policy in policies.items():
        document = literal_policy(policy, f"connect-{name}") if isinstance(policy, dict) else policy
        bucket(p, name, None, data=False, sse=None, public_block=None, policy=document)


@pytest.mark.parametrize("preview", [True, False])
def test_literal_tls_only_policies_pass(preview: bool) -> None:
    """Policies of literal names are known in preview too: decided without a note."""
    found = evaluate(lambda: _buckets({
        "standard": {},
        "aws-star": {"Principal": {"AWS": "*"}, "Action": "*", "Resource": "arn:aws:s3:::connect-aws-star/*"},
        "if-exists": {"Condition": {"BoolIfExists": {"aws:securetransport": ["false"]}}},
    }), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_policy_built_from_the_bucket_arn(preview: bool) -> None:
    """Built from bucket.arn, the policy is unknown in preview of a new stack: a note, never a finding."""
    found = evaluate(lambda: _buckets({"documents": "tls"}), preview=preview)
    assert findings(found, POLICY) == []
    assert len(notes(found, POLICY)) == (1 if preview else 0)


CASES: dict[str, tuple[Any, str]] = {
    "no-policy": (None, "bucket 'no-policy': it has no aws.s3.BucketPolicy"),
    "allow": ({"Effect": "Allow"}, "does not deny requests with aws:SecureTransport false"),
    "secure-true": ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, "does not deny requests"),
    "get-object": ({"Action": "s3:GetObject"}, "does not deny requests"),
    "other-bucket": ({"Resource": "arn:aws:s3:::someone-else/*"}, "does not deny requests"),
    "one-principal": ({"Principal": {"AWS": "arn:aws:iam::111111111111:root"}}, "does not deny requests"),
}


URN_CASES = {case: (f"aws:s3/bucket:Bucket::{case}", phrase) for case, (_, phrase) in CASES.items()}
test_bucket_accepting_plain_http_is_violation, test_one_finding_per_bucket = case_tests(
    lambda: _buckets({name: policy for name, (policy, _) in CASES.items()}), POLICY, URN_CASES)
