"""backup-cross-region-copy: every rule of every backup plan copies its recovery points to another region.

Each rule of an `aws:backup/plan:Plan` needs a `copyActions[]` entry whose `destinationVaultArn` lands in
a region other than the plan's (its provider's `region`); when the policy config names a `drRegion`, in
that region. A known destination ARN gives its region directly (a vault of another stack or account
too). An unknown one (`dr_vault.arn` in preview) is one of the `aws:backup/vault:Vault` resources that
fed the plan's `rules` (property dependencies): it counts when one of those vaults sits under a provider
in the required region. Unknown destinations fed by a stack reference are left to the engine's "can't
run policy" note. A plan in the DR region itself (the failover's own backups) needs no copy: a copy
back to the primary would make the standby depend on the region it replaces. Cross-region copies of
continuous backups arrive as snapshots (anchors trap 7): the copy is the floor of regional recovery,
native replication of the stores comes on top.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, is_unknown, known_str, unknown_path
from connect_guardrails.util import (
    STACK_REFERENCE,
    arn_region,
    backup_plan_rules,
    backup_rule_label,
    config_of,
    deps_of,
    of_type,
    resource_region,
)

PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"


def _region_of_arn(value: str, vaults: list[PolicyResource]) -> str | None:
    for vault in vaults:
        if known_str(vault.props, "arn") == value:
            return resource_region(vault) or arn_region(value)
    return arn_region(value)


def _destinations(rule: dict[str, Any], fed: list[PolicyResource], vaults: list[PolicyResource], home: str | None
                  ) -> tuple[int, set[str], bool]:
    """(copy actions, regions they may land in, whether an unknown destination came from outside the stack).

    An unknown destination is one of the vaults that fed `rules` (the rule's target vault feeds it too): it
    may land in any of their regions other than the plan's, or in the plan's when there is no other.
    """
    copies = rule.get("copyActions")
    if is_unknown(copies):
        return 1, set(), True
    regions: set[str] = set()
    outside = False
    count = 0
    for copy in copies or []:
        if not isinstance(copy, dict):
            continue
        destination = copy.get("destinationVaultArn")
        if is_unknown(destination):
            count += 1
            candidates = {region for r in fed if r.resource_type == VAULT if (region := resource_region(r))}
            regions |= (candidates - {home}) or candidates
            outside = outside or any(r.resource_type == STACK_REFERENCE for r in fed)
        elif isinstance(destination, str) and destination:
            count += 1
            region = _region_of_arn(destination, vaults)
            if region:
                regions.add(region)
    return count, regions, outside


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per plan: each rule has a copy action to a vault in another region (drRegion when configured)."""
    dr_region = config_of(args).get("drRegion") or None
    pending = Pending()
    resources = list(args.resources)
    vaults = list(of_type(resources, VAULT))
    for plan in of_type(resources, PLAN):
        home = resource_region(plan)
        if dr_region is not None and home == dr_region:
            # The DR region's own plan (while it serves after a failover): its recovery points already are in the DR
            # region; a copy back to the primary would tie the standby to the region it stands in for.
            continue
        fed = deps_of(plan, "rules")
        problems: list[str] = []
        for index, rule in backup_plan_rules(plan, pending):
            label = backup_rule_label(rule, index)
            count, regions, outside = _destinations(rule, fed, vaults, home)
            good = {r for r in regions if r != home and (dr_region is None or r == dr_region)}
            if good:
                continue
            if outside:
                pending.add(plan.props, "rules", index, "copyActions", *(unknown_path(rule.get("copyActions")) or ()))
                continue
            if count == 0:
                problems.append(f"{label} has no copy action")
            elif regions:
                problems.append(f"{label} copies only to {', '.join(sorted(regions))}")
            else:
                problems.append(f"{label} copies to no vault whose region is known (a vault under a provider "
                                f"with an explicit region, or a vault ARN)")
        if problems:
            where = f"the DR region {dr_region}" if dr_region else "a region other than the plan's"
            region = f" ({home})" if home else ""
            report_violation(
                f"backup plan '{plan.name}'{region}: {'; '.join(problems)}; every rule needs a copy action to a "
                f"vault in {where}",
                plan.urn,
            )
    pending.settle()


RULE = Rule(
    id="backup-cross-region-copy", severity="medium", check=check,
    description="Every backup rule copies its recovery points to a vault in the DR region, not the primary.",
    iso27001=("A.5.30", "A.8.13", "A.8.14"), ccm=("BCR-08", "BCR-11"),
    remediation=(
        "Create the DR vault with an aws.Provider for the DR region (same account) and give every rule of the "
        "aws.backup.Plan copy_actions=[{'destination_vault_arn': dr_vault.arn, 'lifecycle': {...}}]."
    ),
    config={
        "drRegion": {
            "type": "string",
            "description": "The DR region backups must be copied to; unset: any region other than the plan's.",
        },
    },
)
