"""data-store-tls-only: every bucket refuses requests that do not use TLS.

Every `aws:s3/bucket:Bucket` needs an `aws:s3/bucketPolicy:BucketPolicy` (the bucket fed its `bucket`,
or its known `bucket` names it) whose policy has a statement that denies `s3:*` (or `*`) to every
principal when `aws:SecureTransport` is false (`Bool` or `BoolIfExists`), on the bucket: a `Resource`
of `*`, the bucket's ARN or its objects (`<arn>/*`); when the bucket's name is not known, any S3
resource. A policy built from the bucket's ARN is unknown in preview of a new stack: the engine then
notes that the policy could not run, and `pulumi up` checks it.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.iam import read_document, statements
from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_unknown, plain, unknown_path
from connect_guardrails.util import BUCKET_TYPES, attached_to, bucket_names, of_type

BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BOOL_OPERATORS = ("bool", "boolifexists")


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _insecure_condition(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, entries in condition.items():
        if str(operator).lower() not in BOOL_OPERATORS or not isinstance(entries, dict):
            continue
        for key, value in entries.items():
            if str(key).lower() == "aws:securetransport" and any(str(v).lower() == "false" for v in _values(value)):
                return True
    return False


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _values(principal.get("AWS"))


def _covers(resources: list[Any], names: set[str]) -> bool:
    arns = {n for n in names if n.startswith("arn:")}
    for resource in resources:
        if not isinstance(resource, str):
            continue
        if resource == "*":
            return True
        base = resource[:-2] if resource.endswith("/*") else resource
        if (base in arns) if arns else resource.startswith("arn:aws"):
            return True
    return False


def denies_plain_http(doc: dict[str, Any], names: set[str]) -> bool:
    """The document denies every principal every S3 action on the bucket when the request is not TLS."""
    for statement in statements(doc):
        if statement.get("Effect") != "Deny" or not _everyone(statement.get("Principal")):
            continue
        actions = [str(a).lower() for a in _values(statement.get("Action"))]
        if not ({"s3:*", "*"} & set(actions)):
            continue
        if _insecure_condition(statement.get("Condition")) and _covers(_values(statement.get("Resource")), names):
            return True
    return False


def _problem(bucket: PolicyResource, resources: list[PolicyResource], pending: Pending) -> str | None:
    """Why a bucket accepts plain HTTP (None: it does not, or the policy is not known yet)."""
    names = bucket_names(bucket)
    policies = attached_to(resources, (BUCKET_POLICY,), "bucket", bucket, names)
    if not policies:
        return "it has no aws.s3.BucketPolicy"
    undecided: list[PolicyResource] = []
    for policy in policies:
        value = plain(get_raw(policy.props, "policy"))
        doc = read_document(value)
        if doc is not None and denies_plain_http(doc, names):
            return None
        if (doc is None and is_unknown(value)) or (doc is not None and unknown_path(doc) is not None):
            undecided.append(policy)
    if undecided:
        for policy in undecided:
            pending.add(policy.props, "policy", *(unknown_path(get_raw(policy.props, "policy")) or ()))
        return None
    return f"its bucket policy '{policies[0].name}' does not deny requests with aws:SecureTransport false"


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per bucket: a bucket policy denying s3:* to everyone when aws:SecureTransport is false."""
    pending = Pending()
    resources = list(args.resources)
    for bucket in of_type(resources, *BUCKET_TYPES):
        problem = _problem(bucket, resources, pending)
        if problem:
            report_violation(
                f"bucket '{bucket.name}': {problem}; every bucket refuses plain HTTP with a Deny of s3:* for "
                f"Principal '*' on the bucket and its objects under Condition Bool aws:SecureTransport 'false'",
                bucket.urn,
            )
    pending.settle()


RULE = Rule(
    id="data-store-tls-only", severity="medium", check=check,
    description="Every S3 bucket's policy denies requests that do not use TLS.",
    anchors=("FSBP S3.5", "NAG S10"), iso27001=("A.5.14", "A.8.24"), ccm=("CEK-03", "DSP-10"),
    remediation=(
        "Add aws.s3.BucketPolicy(bucket=bucket.id, policy=...) with the statement {'Effect': 'Deny', 'Principal': "
        "'*', 'Action': 's3:*', 'Resource': [bucket.arn, bucket.arn + '/*'], 'Condition': {'Bool': "
        "{'aws:SecureTransport': 'false'}}}."
    ),
)
