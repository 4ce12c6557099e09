"""backup-cross-region-copy: every rule of every backup plan copies to a vault in another (the DR) region.

Each program holds several independent plans, one case each, so the pack runs once per mode and config.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.data_programs import DR_REGION, backup, backup_rule, plan, providers, vaults
from tests.policies.harness import (
    ACCOUNT,
    assert_one_case,
    assert_one_mandatory,
    evaluate,
    findings,
    findings_once,
    notes,
)

POLICY = "backup-cross-region-copy"
DR_VAULT_ARN = f"arn:aws:backup:{DR_REGION}:{ACCOUNT}:backup-vault:connect-dr"
WEEKLY = "cron(0 5 ? * SUN *)"


def _compliant() -> None:
    p, dr = providers()
    primary, dr_vault = vaults(p, dr, lock=False)
    plan(p, "to-dr-vault", [backup_rule(primary, dr_vault.arn)])
    plan(p, "to-literal-arn", [backup_rule(primary, DR_VAULT_ARN)])  # a DR vault of another stack


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("config", [None, {POLICY: {"drRegion": DR_REGION}}], ids=["any-other-region", "dr-region"])
def test_copied_plans_pass(preview: bool, config: dict[str, Any] | None) -> None:
    found = evaluate(_compliant, preview=preview, pack_config=config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _violating() -> None:
    p, dr = providers()
    primary, dr_vault = vaults(p, dr, lock=False)
    plan(p, "no-copy", [backup_rule(primary, None)])
    plan(p, "to-primary", [backup_rule(primary, primary.arn)])
    plan(p, "one-rule-copied", [backup_rule(primary, dr_vault.arn),
                                backup_rule(primary, None, name="weekly", schedule=WEEKLY)])
    plan(p, "literal-same-region", [backup_rule(primary, DR_VAULT_ARN.replace(DR_REGION, "us-east-1"))])


CASES = {
    "no-copy": "rule 'daily' has no copy action",
    "to-primary": "rule 'daily' copies only to us-east-1",
    "one-rule-copied": "rule 'weekly' has no copy action",
    "literal-same-region": "rule 'daily' copies only to us-east-1",
}


_violations = findings_once(_violating, POLICY)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_uncopied_rule_is_violation(preview: bool, case: str) -> None:
    urn = f"aws:backup/plan:Plan::{case}"
    found = assert_one_case(_violations(preview), urn, CASES[case])
    assert f"backup plan '{case}' (us-east-1): " in found[0].message
    assert "every rule needs a copy action to a vault in a region other than the plan's" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_one_finding_per_uncopied_plan(preview: bool) -> None:
    assert len(_violations(preview)) == len(CASES)


@pytest.mark.parametrize("preview", [True, False])
def test_copy_outside_the_configured_dr_region_is_violation(preview: bool) -> None:
    def program() -> None:
        p, dr = providers()
        backup(p, dr, lock=False)

    found = findings(evaluate(program, preview=preview, pack_config={POLICY: {"drRegion": "eu-west-1"}}), POLICY)
    assert_one_mandatory(found, "aws:backup/plan:Plan::daily", "rule 'daily' copies only to us-west-2; every rule "
                                                               "needs a copy action to a vault in the DR region "
                                                               "eu-west-1")


@pytest.mark.parametrize("preview", [True, False])
def test_dr_vault_in_the_primary_region_is_violation(preview: bool) -> None:
    """The 'DR' vault's provider is the primary one: the copy never leaves the region."""
    def program() -> None:
        p, dr = providers()
        backup(p, dr, dr_vault_provider=p, lock=False)

    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, "aws:backup/plan:Plan::daily", "rule 'daily' copies only to us-east-1")
