"""data-access-recorded: every bucket that holds data has its object-level access recorded.

Which buckets hold data is decided by what they are, not by a tag a program may forget: every
`aws:s3/bucket:Bucket` (or `bucketV2`) of the stack holds data unless it is a log destination, which is
what receives the records and could not record itself without a loop. Log destinations are the ones
`data_util.Inventory` recognises, shared with the other data rules (computed once per check, linear in the
stack): the `targetBucket` of another bucket's server access logging, a load balancer's access-log bucket, a
trail's, flow log's, AWS Config delivery channel's or WAF logging configuration's bucket, a bucket whose policy
lets a log delivery service (or Elastic Load Balancing's log-delivery account) write objects, and the
replication destinations of those.
So a data bucket's DR replica is a data bucket, and needs its own record (it serves reads after a failover).

Every data bucket needs one of:
- server access logging (`BucketLogging` whose `bucket` it fed or names, or inline `logging`) into another
  bucket: `targetBucket` set (an unknown value counts as set), not the bucket itself;
- a CloudTrail trail of the stack that logs (`enableLogging` not false), is multi-region or in the
  bucket's region, and records every read and every write of every object of the bucket: basic
  `eventSelectors` whose `dataResources` of type `AWS::S3::Object` name `arn:aws:s3`, `arn:aws:s3:::` or a
  prefix of `arn:aws:s3:::<bucket>/` (`readWriteType` `All`, or `ReadOnly` and `WriteOnly` selectors), or
  `advancedEventSelectors` with `eventCategory` = `Data`, `resources.type` = `AWS::S3::Object` and, when
  present, a `resources.ARN` whose `startsWith` covers `arn:aws:s3:::<bucket>/` and no exclusion reaching
  into it (`readOnly` splits reads from writes). Selectors narrowed any other way (`eventName`, `equals` or
  `endsWith` on the ARN) are not counted: they record only some requests. A selector that names buckets
  needs the bucket's name: when a preview shows none (an auto-named bucket), only selectors recording every
  bucket decide there, and `pulumi up` decides the rest.
A trail in another stack cannot be seen from this one: record access in the bucket's own stack.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.data_util import LOGGING_TYPES, Inventory
from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_set, is_unknown, known_str, plain
from connect_guardrails.util import Index, resource_region

INLINE_LOGGING = ("logging", "loggings")  # Bucket (object) and BucketV2 (list) inline server access logging
TRAIL = "aws:cloudtrail/trail:Trail"
S3_OBJECT = "AWS::S3::Object"
BOTH = frozenset({"read", "write"})
HALVES = {"All": BOTH, "ReadOnly": frozenset({"read"}), "WriteOnly": frozenset({"write"})}
ADVANCED_FIELDS = frozenset({"eventCategory", "resources.type", "resources.ARN", "readOnly"})


def _strings(value: Any, key: str) -> list[Any]:
    """Every `key` inside a plain value (an object or a list of objects)."""
    value = plain(value)
    items = value if isinstance(value, list) else [value]
    return [item.get(key) for item in items if isinstance(item, dict)]


def _logging_problem(bucket: PolicyResource, inventory: Inventory) -> str | None:
    """None when server access logging records the bucket into another bucket; else why not."""
    configs = inventory.configs(bucket, LOGGING_TYPES)
    if not configs and not any(is_set(bucket.props, p) for p in INLINE_LOGGING):
        return "it has no server access logging"
    for config in configs:
        targets = inventory.targets(config, "targetBucket")
        if any(t.urn == bucket.urn for t in targets):
            continue
        if targets or is_set(config.props, "targetBucket"):
            return None
    for prop in INLINE_LOGGING:
        targets = inventory.targets(bucket, prop, "targetBucket")
        named = [v for v in _strings(get_raw(bucket.props, prop), "targetBucket") if v not in (None, "")]
        if named and not any(t.urn == bucket.urn for t in targets):
            return None
    return "its server access logging writes into the bucket itself (a loop that records its own deliveries)"


# --- CloudTrail data events ----------------------------------------------------------------------------------


def _basic(selectors: list[Any], prefix: str) -> frozenset[str]:
    """The halves (read, write) basic event selectors record for every object under `prefix`."""
    halves: frozenset[str] = frozenset()
    for selector in selectors:
        if not isinstance(selector, dict):
            continue
        covers = any(isinstance(resource, dict) and resource.get("type") == S3_OBJECT
                     and any(isinstance(v, str) and v and prefix.startswith(v) for v in resource.get("values") or [])
                     for resource in selector.get("dataResources") or [])
        if covers:
            halves |= HALVES.get(selector.get("readWriteType") or "All", frozenset())
    return halves


def _arn_covers(field: dict[str, Any], prefix: str) -> bool:
    """A `resources.ARN` field selector keeps every object under `prefix` (conservative on mixed operators)."""
    if field.get("equals") or field.get("endsWiths") or field.get("notEndsWiths"):
        return False
    starts = field.get("startsWiths") or []
    if starts and not any(isinstance(v, str) and prefix.startswith(v) for v in starts):
        return False
    excluded = [v for op in ("notStartsWiths", "notEquals") for v in (field.get(op) or []) if isinstance(v, str)]
    return not any(v.startswith(prefix) or prefix.startswith(v) for v in excluded)


def _advanced(selectors: list[Any], prefix: str) -> frozenset[str]:
    """The halves advanced event selectors record for every object under `prefix`."""
    halves: frozenset[str] = frozenset()
    for selector in selectors:
        by_field: dict[str, list[dict[str, Any]]] = {}
        for field in (selector.get("fieldSelectors") or []) if isinstance(selector, dict) else []:
            if isinstance(field, dict):
                by_field.setdefault(str(field.get("field")), []).append(field)
        if set(by_field) - ADVANCED_FIELDS:
            continue  # narrowed (eventName, eventSource...): only some requests
        if not _all_equal(by_field.get("eventCategory"), "Data") or not _all_equal(by_field.get("resources.type"),
                                                                                    S3_OBJECT):
            continue
        if not all(_arn_covers(f, prefix) for f in by_field.get("resources.ARN", [])):
            continue
        read_only = {str(v).lower() for f in by_field.get("readOnly", []) for v in (f.get("equals") or [])}
        if not read_only or read_only == {"true", "false"}:
            halves |= BOTH
        else:
            halves |= {"read"} if read_only == {"true"} else {"write"}
    return halves


def _all_equal(fields: list[dict[str, Any]] | None, value: str) -> bool:
    """The field is present and every selector of it includes `value` in `equals`."""
    return bool(fields) and all(value in (f.get("equals") or []) for f in fields or [])


def _trail_covers(trail: PolicyResource, bucket: PolicyResource, name: str | None, pending: Pending) -> bool | None:
    """Whether the trail records every object-level read and write of the bucket; None when unknown values
    decide it (noted in `pending`)."""
    if pending.add_unknown_parts(trail.props, "enableLogging", "isMultiRegionTrail", "eventSelectors",
                                 "advancedEventSelectors"):
        return None
    if get_raw(trail.props, "enableLogging") is False:
        return False
    if get_raw(trail.props, "isMultiRegionTrail") is not True and resource_region(trail) != resource_region(bucket):
        return False  # a single-region trail records the data events of its own region only
    basic = plain(get_raw(trail.props, "eventSelectors")) or []
    advanced = plain(get_raw(trail.props, "advancedEventSelectors")) or []
    if not basic and not advanced:
        return False  # management events only
    # Without the bucket's name, only selectors that record every bucket's objects decide.
    prefix = f"arn:aws:s3:::{name}/" if name else "arn:aws:s3:::"
    if (_basic(basic, prefix) | _advanced(advanced, prefix)) == BOTH:
        return True
    if name is None:
        for key in ("bucket", "id"):
            if is_unknown(pending.read(bucket.props, key)):
                break
        return None  # an auto-named bucket the preview shows no name for: `pulumi up` decides
    return False


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every bucket that is no log destination: server access logging into another bucket, or a trail's S3
    data events covering all its objects."""
    pending = Pending()
    index = Index.of(args.resources)
    inventory = Inventory.of(index)
    trails = index.of_type(TRAIL)
    for bucket in inventory.buckets:
        if bucket.urn in inventory.logs:
            continue
        problem = _logging_problem(bucket, inventory)
        if problem is None:
            continue
        name = known_str(bucket.props, "bucket") or known_str(bucket.props, "id")
        covered = [_trail_covers(trail, bucket, name, pending) for trail in trails]
        if True in covered or None in covered:
            continue  # recorded, or decided by unknown values (the engine's preview note)
        report_violation(
            f"bucket '{bucket.name}' holds data (it is no log destination) and records no object-level access: "
            f"{problem}, and no trail of this stack logs its S3 data events; add aws.s3.BucketLogging(bucket=..., "
            f"target_bucket=<a log bucket in its region>) or a data-event selector covering "
            f"arn:aws:s3:::{name or '<bucket>'}/",
            bucket.urn,
        )
    pending.settle()


RULE = Rule(
    id="data-access-recorded", severity="medium", check=check,
    description="Every bucket that holds data (any bucket that is no log destination, DR replicas included) "
                "records object-level access: server access logging or CloudTrail S3 data events.",
    anchors=("CKV_AWS_18", "FSBP S3.9", "FSBP S3.22", "FSBP S3.23", "NAG S1"),
    iso27001=("A.8.15", "A.8.16"), ccm=("LOG-07", "LOG-08"),
    remediation=(
        "aws.s3.BucketLogging(bucket=bucket.id, target_bucket=log_bucket.id, target_prefix='<store>/') with a log "
        "bucket in the bucket's region whose policy admits logging.s3.amazonaws.com; or a multi-region trail with "
        "an advanced event selector eventCategory=Data, resources.type=AWS::S3::Object, resources.ARN startsWith "
        "arn:aws:s3:::<bucket>/."
    ),
)
