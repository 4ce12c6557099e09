"""audit-trail-integrity: every trail logs, is KMS-encrypted, validates its log files, and covers every region when
it records management events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from connectctl.engine.analyzer import analyze
from tests.components.plans import planned
from tests.policies.harness import (
    ACCOUNT,
    REGION,
    TAGS,
    assert_one_mandatory,
    evaluate,
    findings,
    notes,
    pinned,
    provider,
)
from tests.policies.mutations import focused_config

POLICY = "audit-trail-integrity"
URN = "aws:cloudtrail/trail:Trail::audit"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/2a6753e7-cd90-4745-8700-80f78de4f4c8"
COMPLIANT: dict[str, Any] = {"s3_bucket_name": "connect-cloudtrail", "is_multi_region_trail": True,
                             "include_global_service_events": True, "enable_log_file_validation": True,
                             "enable_logging": True, "kms_key_id": KEY_ARN}
DATA_EVENTS_ONLY = [{"name": "objects", "field_selectors": [
    {"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object"]}]}]


def _trail(**changes: Any) -> Callable[[], None]:
    def program() -> None:
        args = {**COMPLIANT, **changes}
        aws.cloudtrail.Trail("audit", **{k: v for k, v in args.items() if v is not None}, tags=TAGS,
                             opts=pinned(provider()))
    return program


def _with_key_from_output() -> None:
    """The trail's key is the stack's own: its ARN is unknown in preview, and counts as set."""
    p = provider()
    key = aws.kms.Key("trail-key", enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))
    aws.cloudtrail.Trail("audit", **{**COMPLIANT, "kms_key_id": key.arn}, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("program", [_trail(), _with_key_from_output,
                                     _trail(is_multi_region_trail=False, include_global_service_events=False,
                                            advanced_event_selectors=DATA_EVENTS_ONLY)],
                         ids=["multi-region", "key-from-output", "single-region-data-events-only"])
def test_a_complete_encrypted_validated_trail_passes(program: Callable[[], None], preview: bool) -> None:
    found = evaluate(program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


CASES: dict[str, tuple[dict[str, Any], str]] = {
    "no-kms-key": ({"kms_key_id": None}, "its log files are not KMS-encrypted (no kmsKeyId)"),
    "aws-managed-key": ({"kms_key_id": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3"},
                        "is an AWS managed key, not the tenant's"),
    "no-validation": ({"enable_log_file_validation": False}, "log file validation is off"),
    "validation-left-to-the-default": ({"enable_log_file_validation": None}, "log file validation is off"),
    "stopped": ({"enable_logging": False}, "enableLogging is false: it records nothing"),
    "single-region": ({"is_multi_region_trail": False}, "it records management events in one region only"),
    "single-region-basic-selectors": (
        {"is_multi_region_trail": None, "event_selectors": [{"read_write_type": "All"}]},
        "it records management events in one region only"),
    "single-region-advanced-management": (
        {"is_multi_region_trail": False, "advanced_event_selectors": [
            {"name": "management", "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]}]},
        "it records management events in one region only"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_weakened_trail_is_violation(case: str, preview: bool) -> None:
    changes, phrase = CASES[case]
    assert_one_mandatory(findings(evaluate(_trail(**changes), preview=preview), POLICY), URN, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_an_unknown_switch_is_decided_on_update(preview: bool) -> None:
    """Validation comes from another resource's output: the engine's note in preview, judged once known."""
    def program() -> None:
        p = provider()
        key = aws.kms.Key("trail-key", enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))
        aws.cloudtrail.Trail("audit", **{**COMPLIANT, "enable_log_file_validation": key.arn.apply(lambda _: False)},
                             tags=TAGS, opts=pinned(p))

    found = evaluate(program, preview=preview)
    assert len(findings(found, POLICY)) == (0 if preview else 1)
    assert len(notes(found, POLICY)) == (1 if preview else 0)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", ["acme-account", "globex-account", "acme-prod"])
def test_the_committed_stacks_pass(stack: str, preview: bool) -> None:
    """The account stacks' audit trail: multi-region, the trail key, validation on."""
    found = analyze(planned(stack, preview).capture.resources, focused_config(stack, POLICY))
    assert [v for v in found if v.policy == POLICY] == []
