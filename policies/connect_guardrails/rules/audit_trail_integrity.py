"""audit-trail-integrity: every CloudTrail trail records everywhere, keeps its logs encrypted and provable, and logs.

For every `aws:cloudtrail/trail:Trail` of the stack:
- `enableLogging` is not false (the default is on): a stopped trail records nothing
  (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html);
- `kmsKeyId` names a KMS key of the tenant (not an AWS managed `alias/aws/...` key): the log files are then
  SSE-KMS encrypted, so reading them takes kms:Decrypt on that key besides s3:GetObject on the bucket; without
  it they fall back to the bucket's default encryption, which anyone who may read the bucket can read through
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html).
  An unknown key (the stack's own key in preview) counts as set;
- `enableLogFileValidation` is true: CloudTrail delivers signed digest files, and a log file changed or deleted
  after delivery no longer validates
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html);
- a trail that records management events is multi-region (`isMultiRegionTrail` true): a single-region trail
  misses every API call made in the other regions, where an intruder who knows it would work
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html;
  a multi-region trail must include global service events, which AWS enforces). A trail records management
  events unless its selectors say otherwise: no selectors at all (the default), a basic `eventSelectors` entry
  whose `includeManagementEvents` is not false, or an `advancedEventSelectors` entry whose `eventCategory`
  equals `Management`. A trail of data events only may stay in one region (`data-access-recorded` accepts it for
  the buckets of its region).
Unknown values that decide are left to the engine's preview note.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_known, is_set, plain
from connect_guardrails.util import Index, aws_managed_key

TRAIL = "aws:cloudtrail/trail:Trail"


def _management_selector(selector: Any) -> bool:
    """An advanced event selector whose `eventCategory` field equals `Management`."""
    fields = selector.get("fieldSelectors") if isinstance(selector, dict) else None
    return any(isinstance(field, dict) and field.get("field") == "eventCategory"
               and "Management" in (field.get("equals") or []) for field in fields or [])


def _records_management(trail: PolicyResource, pending: Pending) -> bool | None:
    """Whether the trail records management events; None when unknown selectors decide (noted in `pending`)."""
    if pending.add_unknown_parts(trail.props, "eventSelectors", "advancedEventSelectors"):
        return None
    advanced = plain(get_raw(trail.props, "advancedEventSelectors")) or []
    if advanced:  # advanced selectors replace the basic ones
        return any(_management_selector(selector) for selector in advanced)
    basic = plain(get_raw(trail.props, "eventSelectors")) or []
    if not basic:
        return True  # no selectors: management events, read and write
    return any(isinstance(selector, dict) and selector.get("includeManagementEvents") is not False
               for selector in basic)


def _problems(trail: PolicyResource, pending: Pending) -> list[str]:
    """Why a trail is not a complete, encrypted, provable record (empty: it is, or unknown values decide)."""
    props = trail.props
    problems: list[str] = []
    logging = pending.read(props, "enableLogging")
    if is_known(logging) and logging is False:
        problems.append("enableLogging is false: it records nothing")
    key = get_raw(props, "kmsKeyId")
    if not is_set(props, "kmsKeyId"):
        problems.append("its log files are not KMS-encrypted (no kmsKeyId)")
    elif aws_managed_key(key):
        problems.append(f"kmsKeyId {key!r} is an AWS managed key, not the tenant's")
    validation = pending.read(props, "enableLogFileValidation")
    if is_known(validation) and validation is not True:
        problems.append("log file validation is off (enableLogFileValidation): a changed or deleted log file "
                        "goes unnoticed")
    multi_region = pending.read(props, "isMultiRegionTrail")
    if is_known(multi_region) and multi_region is not True and _records_management(trail, pending):
        problems.append("it records management events in one region only (isMultiRegionTrail is not true): calls "
                        "made in every other region go unrecorded")
    return problems


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every trail: logging on, a KMS key of the tenant, log file validation, multi-region when it records management
    events."""
    pending = Pending()
    for trail in Index.of(args.resources).of_type(TRAIL):
        problems = _problems(trail, pending)
        if problems:
            report_violation(
                f"trail '{trail.name}': {'; '.join(problems)}; the audit trail logs every region, encrypts its "
                f"log files with the tenant's KMS key and proves them with digest files",
                trail.urn,
            )
    pending.settle()


RULE = Rule(
    id="audit-trail-integrity", severity="high", check=check,
    description="Every CloudTrail trail logs, encrypts its log files with the tenant's KMS key, validates them and, "
                "when it records management events, covers every region.",
    anchors=("FSBP CloudTrail.1", "FSBP CloudTrail.2", "FSBP CloudTrail.4", "CKV_AWS_35", "CKV_AWS_36",
             "CKV_AWS_67", "CKV_AWS_251"),
    iso27001=("A.5.33", "A.8.15", "A.8.24"), ccm=("LOG-02", "LOG-07", "LOG-09"),
    remediation=(
        "Declare aws.cloudtrail.Trail with enable_logging=True, kms_key_id=<a tenant KMS key whose policy lets "
        "cloudtrail.amazonaws.com encrypt>, enable_log_file_validation=True and, for a trail of management events, "
        "is_multi_region_trail=True with include_global_service_events=True."
    ),
)
