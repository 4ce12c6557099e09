"""ecr-kms-encryption: KMS with a key of the tenant account (an unknown key ARN counts as set)."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.harness import ACCOUNT, OTHER_ACCOUNT, TAGS, evaluate, findings, notes, pinned, provider

POLICY = "ecr-kms-encryption"


def _program(encryption: str | None = "KMS", key: str | None = "own") -> None:
    """key: "own" (the stack's key ARN), None, or a literal ARN."""
    p = provider()
    own = aws.kms.Key("key", enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))
    configs = None if encryption is None else [aws.ecr.RepositoryEncryptionConfigurationArgs(
        encryption_type=encryption, kms_key=own.arn if key == "own" else key)]
    aws.ecr.Repository("api", image_tag_mutability="IMMUTABLE", encryption_configurations=configs, tags=TAGS,
                       opts=pinned(p, protect=True))


def _key_of(account: str) -> str:
    return f"arn:aws:kms:us-east-1:{account}:key/11111111-2222-4333-8444-555555555555"


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("key", "config"), [
    ("own", None),
    (_key_of(ACCOUNT), None),
    (_key_of(OTHER_ACCOUNT), {POLICY: {"accountId": OTHER_ACCOUNT}}),
], ids=["stack-key", "tenant-literal", "configured-account"])
def test_tenant_key_passes(preview: bool, key: str, config: dict[str, Any] | None) -> None:
    """In preview the stack key's ARN is unknown: it counts as set, without a note."""
    found = evaluate(lambda: _program(key=key), preview=preview, pack_config=config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("encryption", "key", "phrase"), [
    (None, None, "has no encryption configuration"),
    ("AES256", None, "encrypted with AES256, not KMS"),
    ("KMS", None, "uses the AWS-managed key aws/ecr"),
    ("KMS", _key_of(OTHER_ACCOUNT), f"a key of account {OTHER_ACCOUNT}, not the tenant account {ACCOUNT}"),
], ids=["none", "aes256", "aws-managed", "foreign-key"])
def test_weak_encryption_is_advisory_finding(preview: bool, encryption: str | None, key: str | None,
                                             phrase: str) -> None:
    found = findings(evaluate(lambda: _program(encryption, key), preview=preview), POLICY)
    assert len(found) == 1, found
    assert found[0].level == "advisory"
    assert found[0].urn.endswith("aws:ecr/repository:Repository::api")
    assert phrase in found[0].message
