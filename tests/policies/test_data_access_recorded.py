"""data-access-recorded: every bucket that is no log destination records object-level access.

Small programs hold one case each (a data bucket logged or not, its DR replica, a self-logging bucket,
log destinations of every kind, CloudTrail data-event selectors); the committed stacks pass, and a real
plan whose DR replica loses its server access logging fails. Every case runs in preview (ids, ARNs and
names computed by AWS unknown) and update mode.
"""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from connect_guardrails.rules.data_access_recorded import RULE
from connectctl.engine.analyzer import Violation, analyze
from connectctl.engine.project import load_project
from tests.policies.data_programs import bucket, key, literal_policy, providers, replicated_bucket
from tests.policies.harness import (
    TAGS,
    assert_one_mandatory,
    case_tests,
    evaluate,
    findings,
    notes,
    pinned,
    registered_for_module,
)
from tests.policies.mutations import Variant, baseline, focused_config, pack_config

POLICY = RULE.id
STACKS = load_project().stacks()


registered = registered_for_module(RULE)


def log_bucket(p: aws.Provider, name: str) -> aws.s3.Bucket:
    """A log destination: SSE-S3, not a data store."""
    return bucket(p, name, None, data=False, sse="AES256")


def logged(p: aws.Provider, source: aws.s3.Bucket, target: aws.s3.Bucket, name: str) -> aws.s3.BucketLogging:
    return aws.s3.BucketLogging(name, bucket=source.id, target_bucket=target.id, target_prefix=f"{name}/",
                                opts=pinned(p))


def _replicate(p: aws.Provider, source: aws.s3.Bucket, target: aws.s3.Bucket, name: str) -> None:
    aws.s3.BucketReplicationConfig(
        name, bucket=source.id, role=f"arn:aws:iam::111111111111:role/{name}",
        rules=[{"id": "dr", "status": "Enabled", "destination": {"bucket": target.arn}}], opts=pinned(p))


def _recorded() -> None:
    """The platform's shape: data bucket and DR replica, each logged into its region's log bucket; the log
    buckets, a load balancer's and a trail's bucket (and that one's DR copy) log nothing themselves."""
    p, dr = providers()
    logs, dr_logs = log_bucket(p, "access-logs"), log_bucket(dr, "access-logs-dr")
    source = bucket(p, "documents", key(p))
    replica = bucket(dr, "documents-dr", key(dr, "dr-key"), data=False)
    _replicate(p, source, replica, "documents-replication")
    logged(p, source, logs, "documents-logging")
    logged(dr, replica, dr_logs, "documents-dr-logging")
    untagged = bucket(p, "exports", key(p, "exports-key"), data=False)  # no backup tag: still data
    logged(p, untagged, logs, "exports-logging")
    alb_logs = log_bucket(p, "alb-logs")
    aws.lb.LoadBalancer("alb", internal=True, load_balancer_type="application", subnets=["subnet-1", "subnet-2"],
                        access_logs={"bucket": alb_logs.id, "enabled": True}, tags=TAGS, opts=pinned(p))
    trail_bucket = log_bucket(p, "trail-bucket")
    trail_copy = log_bucket(dr, "trail-bucket-dr")
    _replicate(p, trail_bucket, trail_copy, "trail-replication")
    aws.cloudtrail.Trail("trail", name="trail", s3_bucket_name=trail_bucket.bucket, is_multi_region_trail=True,
                         tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_logged_data_buckets_and_their_replicas_pass(preview: bool) -> None:
    found = evaluate(_recorded, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _unrecorded() -> None:
    p, dr = providers()
    logs = log_bucket(p, "access-logs")
    source = bucket(p, "documents", key(p))
    replica = bucket(dr, "documents-dr", key(dr, "dr-key"), data=False)
    _replicate(p, source, replica, "documents-replication")
    logged(p, source, logs, "documents-logging")  # the replica is not logged
    delivery = {"Sid": "Delivery", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject", "Resource": "arn:aws:s3:::connect-empty-logs/*"}
    bucket(dr, "empty-logs", None, data=False, sse="AES256",  # nothing logs into it yet: a log bucket by its policy
           policy=literal_policy(delivery, "connect-empty-logs"))
    reads = {"Sid": "Read", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::connect-readable/*"}
    bucket(p, "readable", key(p, "readable-key"), policy=literal_policy(reads, "connect-readable"))
    bucket(p, "invoices", key(p, "invoices-key"))  # nothing at all
    selfish = bucket(p, "selfish", key(p, "selfish-key"))
    logged(p, selfish, selfish, "selfish-logging")
    bucket(p, "exports", key(p, "exports-key"), data=False, named=False)  # untagged, auto-named: still data


CASES: dict[str, tuple[str, str]] = {
    "replica-not-logged": ("aws:s3/bucket:Bucket::documents-dr", "it has no server access logging"),
    "bucket-not-logged": ("aws:s3/bucket:Bucket::invoices", "it has no server access logging"),
    "logs-into-itself": ("aws:s3/bucket:Bucket::selfish", "writes into the bucket itself"),
    "untagged-auto-named": ("aws:s3/bucket:Bucket::exports", "holds data (it is no log destination)"),
    "log-service-may-only-read": ("aws:s3/bucket:Bucket::readable", "it has no server access logging"),
}


test_unrecorded_data_bucket_is_violation, test_one_finding_per_unrecorded_bucket_and_none_on_log_buckets = case_tests(
    _unrecorded, POLICY, CASES)


# --- CloudTrail data events ----------------------------------------------------------------------------------

ARN = "arn:aws:s3:::connect-documents/"
DATA = {"field": "eventCategory", "equals": ["Data"]}
OBJECTS = {"field": "resources.type", "equals": ["AWS::S3::Object"]}


def _trail_program(*, advanced: Any = None, basic: Any = None,
                   multi_region: bool = True, dr_trail: bool = False, enabled: bool = True) -> None:
    """A data bucket and its DR replica, neither access-logged, and a trail with the given selectors."""
    p, dr = providers()
    replicated_bucket(p, dr)  # connect-documents, replicated to connect-documents-dr (us-west-2)
    trail_bucket = log_bucket(dr if dr_trail else p, "trail-bucket")
    aws.cloudtrail.Trail("trail", name="trail", s3_bucket_name=trail_bucket.bucket, is_multi_region_trail=multi_region,
                         enable_logging=enabled, advanced_event_selectors=advanced, event_selectors=basic, tags=TAGS,
                         opts=pinned(dr if dr_trail else p))


def _advanced(*fields: dict[str, Any]) -> Any:
    return [{"name": "s3", "field_selectors": [DATA, OBJECTS, *fields]}]


def _names(found: list[Violation]) -> list[str]:
    return sorted(v.urn.rsplit("::", 1)[-1] for v in found)


TRAIL_CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "every-s3-object": ({"advanced": _advanced()}, []),
    "both-buckets-by-prefix": ({"advanced": _advanced(
        {"field": "resources.ARN", "starts_withs": [ARN, "arn:aws:s3:::connect-documents-dr/"]})}, []),
    "basic-all-buckets": ({"basic": [{"read_write_type": "All", "data_resources": [
        {"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]}]}, []),
    "basic-split-read-and-write": ({"basic": [
        {"read_write_type": "ReadOnly", "data_resources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::"]}]},
        {"read_write_type": "WriteOnly", "data_resources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::"]}]},
    ]}, []),
    "primary-only": ({"advanced": _advanced({"field": "resources.ARN", "starts_withs": [ARN]})}, ["documents-dr"]),
    "reads-only": ({"advanced": _advanced({"field": "readOnly", "equals": ["true"]})}, ["documents", "documents-dr"]),
    "replica-excluded": ({"advanced": _advanced(
        {"field": "resources.ARN", "not_starts_withs": ["arn:aws:s3:::connect-documents-dr/"]})}, ["documents-dr"]),
    "some-keys-excluded": ({"advanced": _advanced(
        {"field": "resources.ARN", "not_starts_withs": [f"{ARN}private/"]})}, ["documents"]),
    "some-calls-only": ({"advanced": _advanced({"field": "eventName", "equals": ["PutObject"]})},
                        ["documents", "documents-dr"]),
    "management-events-only": ({}, ["documents", "documents-dr"]),
    "single-region-trail": ({"advanced": _advanced(), "multi_region": False}, ["documents-dr"]),
    "single-region-trail-in-the-dr-region": ({"advanced": _advanced(), "multi_region": False, "dr_trail": True},
                                             ["documents"]),
    "logging-stopped": ({"advanced": _advanced(), "enabled": False}, ["documents", "documents-dr"]),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(TRAIL_CASES))
def test_trail_data_events_record_exactly_the_buckets_they_cover(preview: bool, case: str) -> None:
    kwargs, unrecorded = TRAIL_CASES[case]
    everything = evaluate(lambda: _trail_program(**kwargs), preview=preview)
    found = findings(everything, POLICY)
    assert _names(found) == unrecorded and notes(everything, POLICY) == []
    assert all(v.level == "mandatory" and "no trail of this stack logs its S3 data events" in v.message for v in found)


@pytest.mark.parametrize(("starts", "unrecorded_at_up"), [("arn:aws:s3:::", []), ("arn:aws:s3:::uploads-", []),
                                                         ("arn:aws:s3:::other-", ["uploads"])])
def test_an_auto_named_bucket_is_matched_by_name_once_it_has_one(starts: str, unrecorded_at_up: list[str]) -> None:
    """The preview shows no name for an auto-named bucket: only a selector of every bucket decides there, the
    name-bound ones are decided by `pulumi up` (the mock names the bucket `uploads-<hash>`)."""
    def program() -> None:
        p = providers()[0]
        bucket(p, "uploads", key(p), named=False)
        trail_bucket = log_bucket(p, "trail-bucket")
        aws.cloudtrail.Trail("trail", name="trail", s3_bucket_name=trail_bucket.bucket, is_multi_region_trail=True,
                             advanced_event_selectors=_advanced({"field": "resources.ARN", "starts_withs": [starts]}),
                             tags=TAGS, opts=pinned(p))

    preview = evaluate(program, preview=True)
    assert findings(preview, POLICY) == [] and notes(preview, POLICY) == []
    assert _names(findings(evaluate(program, preview=False), POLICY)) == unrecorded_at_up


# --- the real program ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_pass(stack: str, preview: bool) -> None:
    found = analyze(baseline(stack, preview).capture.resources, pack_config(stack))
    assert findings(found, POLICY) == [] and notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_a_real_replica_without_access_logging_is_caught(preview: bool) -> None:
    """The plan of acme-prod, as if the program no longer logged the documents bucket's DR copy."""
    variant = Variant(baseline("acme-prod", preview).capture.resources)
    variant.drop(variant.find("aws:s3/bucketLogging:BucketLogging", "data-documents-dr-access-logging"))
    found = findings(analyze(variant.resources, focused_config("acme-prod", POLICY)), POLICY)
    assert_one_mandatory(found, "aws:s3/bucket:Bucket::data-documents-dr", "it has no server access logging")


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_a_log_bucket_is_known_by_what_it_receives_or_who_may_write_it(preview: bool) -> None:
    """globex's DR access-log bucket with nothing logging into it (as in an environment with databases only)
    stays a log bucket through its policy; with neither, it is judged like any bucket."""
    variant = Variant(baseline("globex-prod", preview).capture.resources)
    for logging in variant.of_type("aws:s3/bucketLogging:BucketLogging"):
        if logging.name.endswith("-dr-access-logging"):
            variant.drop(logging)
    config = focused_config("globex-prod", POLICY)
    assert _names(findings(analyze(variant.resources, config), POLICY)) == ["data-invoices-dr"]
    variant.edit_json(variant.find("aws:s3/bucketPolicy:BucketPolicy", "data-access-logs-eu-central-1-policy"),
                      "policy", lambda doc: doc.update(Statement=[s for s in doc["Statement"]
                                                                  if s["Sid"] != "S3ServerAccessLogDelivery"]))
    assert _names(findings(analyze(variant.resources, config), POLICY)) == ["data-access-logs-eu-central-1",
                                                                             "data-invoices-dr"]
