"""ecr-immutable-tags: imageTagMutability IMMUTABLE (absent = MUTABLE)."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned, provider

POLICY = "ecr-immutable-tags"


def _program(mutability: str | None) -> None:
    p = provider()
    key = aws.kms.Key("key", enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))
    aws.ecr.Repository("api", image_tag_mutability=mutability,
                       encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(
                           encryption_type="KMS", kms_key=key.arn)],
                       tags=TAGS, opts=pinned(p, protect=True))


@pytest.mark.parametrize("preview", [True, False])
def test_immutable_repository_passes(preview: bool) -> None:
    found = evaluate(lambda: _program("IMMUTABLE"), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("mutability", "phrase"), [
    (None, "absent (AWS default MUTABLE)"),
    ("MUTABLE", "'MUTABLE'"),
    ("IMMUTABLE_WITH_EXCLUSION", "'IMMUTABLE_WITH_EXCLUSION'"),
])
def test_mutable_tags_are_violation(preview: bool, mutability: str | None, phrase: str) -> None:
    found = findings(evaluate(lambda: _program(mutability), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ecr/repository:Repository::api", phrase)
