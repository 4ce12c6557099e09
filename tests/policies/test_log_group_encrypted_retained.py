"""log-group-encrypted-retained: KMS key set (unknown counts as set), retention at least the floor."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "log-group-encrypted-retained"


def _program(*, encrypted: bool = True, retention: int | None = 365) -> None:
    p = provider()
    key = aws.kms.Key("key", enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))
    aws.cloudwatch.LogGroup("logs", kms_key_id=key.arn if encrypted else None, retention_in_days=retention,
                            tags=TAGS, opts=pinned(p, protect=True))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("retention", [365, 3653, None, 0])
def test_encrypted_retained_group_passes(preview: bool, retention: int | None) -> None:
    """In preview the key ARN is unknown: it counts as set, with no "can't run" note."""
    found = evaluate(lambda: _program(retention=retention), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_unencrypted_group_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(encrypted=False), preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith("aws:cloudwatch/logGroup:LogGroup::logs")
    assert "set kmsKeyId" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_short_retention_is_violation_below_the_configured_floor(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(retention=30), preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith("aws:cloudwatch/logGroup:LogGroup::logs")
    assert "keeps logs 30 days, below the floor of 365 days" in found[0].message
    lowered = {POLICY: {"minRetentionDays": 30}}
    assert findings(evaluate(lambda: _program(retention=30), preview=preview, pack_config=lowered), POLICY) == []
