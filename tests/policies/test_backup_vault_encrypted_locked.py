"""backup-vault-encrypted-locked: vaults use the tenant's KMS key; in production each has a vault lock."""

from __future__ import annotations

import functools
from typing import Any

import pulumi_aws as aws
import pytest

from connectctl.engine.analyzer import Violation
from tests.policies.data_programs import key, providers, vault
from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned, with_urn

POLICY = "backup-vault-encrypted-locked"
PRODUCTION = {POLICY: {"production": True}}
AWS_MANAGED = "arn:aws:kms:us-east-1:111111111111:alias/aws/backup"


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("lock", "config"), [(True, PRODUCTION), (False, None)],
                         ids=["production-locked", "unlocked-outside-production"])
def test_encrypted_vaults_pass(preview: bool, lock: bool, config: dict[str, Any] | None) -> None:
    def program() -> None:
        p, dr = providers()
        vault(p, "backups", key(p), lock=lock)
        vault(dr, "backups-dr", key(dr, "dr-key"), lock=lock)

    found = evaluate(program, preview=preview, pack_config=config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _violating() -> None:
    p, dr = providers()
    vault(p, "no-key", None)
    aws.backup.Vault("aws-managed-key", kms_key_arn=AWS_MANAGED, tags=TAGS, opts=pinned(p, protect=True))
    vault(p, "unlocked", key(p), lock=False)
    vault(dr, "lock-without-retention", key(dr, "dr-key"), lock_days=None)


CASES: dict[str, tuple[bool, str]] = {  # production, phrase
    "no-key": (False, "backup vault 'no-key': it has no kmsKeyArn"),
    "aws-managed-key": (False, f"its kmsKeyArn '{AWS_MANAGED}' is an AWS managed key"),
    "unlocked": (True, "it has no vault lock (production)"),
    "lock-without-retention": (True, "its vault lock 'lock-without-retention-lock' sets no minRetentionDays"),
}


@functools.cache
def _violations(preview: bool, production: bool) -> list[Violation]:
    return findings(evaluate(_violating, preview=preview, pack_config=PRODUCTION if production else None), POLICY)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_weak_vault_is_violation(preview: bool, case: str) -> None:
    production, phrase = CASES[case]
    urn = f"aws:backup/vault:Vault::{case}"
    assert_one_mandatory(with_urn(_violations(preview, production), urn), urn, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_locks_are_required_in_production_only(preview: bool) -> None:
    """Outside production only the two key findings; in production the two lock findings join them."""
    assert len(_violations(preview, False)) == 2
    assert len(_violations(preview, True)) == 4
