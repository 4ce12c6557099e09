"""kms-key-rotation: symmetric keys rotate; asymmetric keys are out of scope."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "kms-key-rotation"


@pytest.mark.parametrize("preview", [True, False])
def test_rotating_symmetric_and_asymmetric_keys_pass(preview: bool) -> None:
    def program() -> None:
        p = provider()
        aws.kms.Key("data-key", enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))
        aws.kms.Key("explicit-symmetric", customer_master_key_spec="SYMMETRIC_DEFAULT", enable_key_rotation=True,
                    tags=TAGS, opts=pinned(p, protect=True))
        aws.kms.Key("signing-key", customer_master_key_spec="RSA_2048", key_usage="SIGN_VERIFY", tags=TAGS,
                    opts=pinned(p, protect=True))

    found = evaluate(program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("rotation", [None, False])
def test_symmetric_key_without_rotation_is_violation(preview: bool, rotation: bool | None) -> None:
    def program() -> None:
        aws.kms.Key("data-key", enable_key_rotation=rotation, tags=TAGS, opts=pinned(provider(), protect=True))

    found = findings(evaluate(program, preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith("aws:kms/key:Key::data-key")
    assert "set enableKeyRotation: true" in found[0].message
