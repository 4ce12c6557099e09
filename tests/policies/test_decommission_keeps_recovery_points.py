"""decommission-keeps-recovery-points: a wound-down environment (no compute, no NAT gateway) that holds data keeps
protected vaults, a backup plan with a selection writing to them, protected stores and final database snapshots.

The real decommissioning plan of acme-prod passes the whole pack: tests/connectctl/test_decommission.py.
"""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.data_programs import DATA_TAGS, backup_rule, bucket, key, plan, providers, vault
from tests.policies.harness import TAGS, evaluate, findings, notes, pinned

POLICY = "decommission-keeps-recovery-points"


def _environment(*, vault_protected: bool = True, force_destroy: bool = False, backup_plan: bool = True,
                 selection: bool = True, store_protected: bool = True, final_snapshot: bool = True,
                 vaults: bool = True, runs: str | None = None) -> None:
    """A decommissioned environment: a data bucket, a database cluster, a vault and its plan; `runs` adds compute."""
    p, dr = providers()
    kms = key(p)
    bucket(p, "documents", kms)
    snapshot: dict[str, Any] = ({"skip_final_snapshot": False, "final_snapshot_identifier": "ledger-final"}
                                if final_snapshot else {"skip_final_snapshot": True})
    aws.rds.Cluster("ledger", engine="aurora-postgresql", engine_version="16.6", storage_encrypted=True,
                    kms_key_id=kms.arn, deletion_protection=True, master_username="connect",
                    manage_master_user_password=True, tags=DATA_TAGS, **snapshot,
                    opts=pinned(p, protect=store_protected, retain_on_delete=True))
    if vaults:
        primary = aws.backup.Vault("backups", kms_key_arn=kms.arn, force_destroy=force_destroy, tags=TAGS,
                                   opts=pinned(p, protect=vault_protected, retain_on_delete=True))
        dr_vault = vault(dr, "backups-dr", key(dr, "dr-key"), lock=False)
        if backup_plan:
            plan(p, "all-data", [backup_rule(primary, dr_vault.arn)], selection=selection)
    if runs == "ecs":
        aws.ecs.Cluster("cluster", name="acme-prod", tags=TAGS, opts=pinned(p))
    elif runs == "nat":
        aws.ec2.NatGateway("nat-a", allocation_id="eipalloc-0123456789abcdef0", subnet_id="subnet-0abc",
                           tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_decommissioned_environment_that_keeps_everything_passes(preview: bool) -> None:
    found = evaluate(_environment, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("change", "urn_suffix", "phrase"), [
    ({"vault_protected": False}, "aws:backup/vault:Vault::backups", "it is not protected"),
    ({"force_destroy": True}, "aws:backup/vault:Vault::backups", "forceDestroy is on"),
    ({"backup_plan": False}, "aws:backup/vault:Vault::backups", "no backup plan with a selection writes to"),
    ({"selection": False}, "aws:backup/vault:Vault::backups", "no backup plan with a selection writes to"),
    ({"store_protected": False}, "aws:rds/cluster:Cluster::ledger", "it is not protected, so the next change"),
    ({"final_snapshot": False}, "aws:rds/cluster:Cluster::ledger", "skipFinalSnapshot is on"),
], ids=["vault-unprotected", "vault-force-destroy", "plan-removed", "selection-removed", "store-unprotected",
        "no-final-snapshot"])
def test_a_last_recovery_point_that_would_be_lost_is_refused(change: dict[str, Any], urn_suffix: str, phrase: str,
                                                             preview: bool) -> None:
    found = findings(evaluate(lambda: _environment(**change), preview=preview), POLICY)
    assert len(found) == 1, found
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith(urn_suffix), found[0].urn
    assert phrase in found[0].message, found[0].message


def test_no_vault_is_refused_on_every_store() -> None:
    found = findings(evaluate(lambda: _environment(vaults=False), preview=False), POLICY)
    assert sorted(v.urn.rsplit("::", 1)[-1] for v in found) == ["documents", "ledger"]
    assert all("has no backup vault" in v.message for v in found)


@pytest.mark.parametrize("runs", ["ecs", "nat"])
def test_an_environment_that_still_runs_is_left_to_the_other_rules(runs: str) -> None:
    """Not wound down: backup-plan-baseline and stateful-resources-protected judge it, not this rule."""
    found = evaluate(lambda: _environment(vault_protected=False, backup_plan=False, runs=runs), preview=False)
    assert findings(found, POLICY) == []


def test_a_stack_without_data_is_not_judged() -> None:
    def program() -> None:
        p, _ = providers()
        key(p)

    assert findings(evaluate(program, preview=False), POLICY) == []
