"""backup-vault-encrypted-locked: backup vaults use the tenant's KMS key, and are locked in production.

Every `aws:backup/vault:Vault` sets `kmsKeyArn` (an unknown value, the stack's own key in preview,
counts as set) and not an AWS managed key (`alias/aws/backup`). When the policy config says
`production`, each vault also needs an `aws:backup/vaultLockConfiguration:VaultLockConfiguration` with
`minRetentionDays` set: the vault fed its `backupVaultName` (property dependency, known in preview) or
its known `backupVaultName` is the vault's name. A resource policy sees one resource at a time and
cannot find the lock, so this is a stack policy.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import get_raw, is_set, known_str
from connect_guardrails.util import attached_to, aws_managed_key, config_of, of_type

VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"


def _lock_problem(vault: PolicyResource, resources: list[PolicyResource]) -> str | None:
    names = {n for n in (known_str(vault.props, "name"), known_str(vault.props, "id")) if n}
    locks = attached_to(resources, (LOCK,), "backupVaultName", vault, names)
    if not locks:
        return ("it has no vault lock (production); add aws.backup.VaultLockConfiguration(backup_vault_name="
                "vault.name, min_retention_days=...)")
    if not any(is_set(lock.props, "minRetentionDays") for lock in locks):
        return f"its vault lock '{locks[0].name}' sets no minRetentionDays"
    return None


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per vault: kmsKeyArn set to a customer managed key; in production a lock with minRetentionDays."""
    production = bool(config_of(args).get("production", False))
    resources = list(args.resources)
    for vault in of_type(resources, VAULT):
        problems: list[str] = []
        key = get_raw(vault.props, "kmsKeyArn")
        if not is_set(vault.props, "kmsKeyArn"):
            problems.append("it has no kmsKeyArn (AWS encrypts it with the AWS managed key)")
        elif aws_managed_key(key):
            problems.append(f"its kmsKeyArn {key!r} is an AWS managed key")
        if production:
            lock = _lock_problem(vault, resources)
            if lock:
                problems.append(lock)
        if problems:
            report_violation(
                f"backup vault '{vault.name}': {'; '.join(problems)}; vaults are encrypted with the tenant's KMS key"
                + (" and locked in production" if production else ""),
                vault.urn,
            )


RULE = Rule(
    id="backup-vault-encrypted-locked", severity="medium", check=check,
    description="Backup vaults are encrypted with the tenant's KMS key and, in production, locked.",
    anchors=("CKV_AWS_166", "FSBP Backup.1"), iso27001=("A.5.33", "A.8.13", "A.8.24"), ccm=("BCR-08", "CEK-03"),
    remediation=(
        "Create aws.backup.Vault(kms_key_arn=key.arn) with the environment's key in each region; in production add "
        "aws.backup.VaultLockConfiguration(backup_vault_name=vault.name, min_retention_days=...) per vault."
    ),
    config={
        "production": {
            "type": "boolean",
            "default": False,
            "description": "The stack serves production: every backup vault needs a vault lock.",
        },
    },
)
