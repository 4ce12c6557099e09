"""decommission-keeps-recovery-points: a wound-down environment keeps every way back to its data.

Which stacks: those the pack sees as wound down (`connect_guardrails/lifecycle.py`: no ECS service or cluster,
no Lambda function, no EC2 instance, no NAT gateway; `connect:tenant.lifecycle: decommissioning` declares exactly
that) that still hold data: an RDS cluster or instance, an EFS file system, a DynamoDB table, or an S3 bucket
tagged `connect:backup: "true"`. Such a stack is the last step before the data goes, so the rule refuses it when
its last recovery point would be lost:

- **no vault**: no `aws:backup/vault:Vault` in the stack;
- **a vault that can go with the stack**: not protected (`protect`; a decommissioned stack's next
  `pulumi up` or `destroy` would delete it), or `forceDestroy` true (deleting it deletes its recovery points);
- **no backup running**: no `aws:backup/plan:Plan` that writes to a vault of the stack (a rule's
  `targetVaultName` fed by the vault, or its known name) and has an `aws:backup/selection:Selection`: then no
  recovery point is made any more, and the last one expires with its rule's lifecycle (`deleteAfter`);
- **a store that can go without a trace**: a data store that is not protected (the next change that drops it
  deletes it, with no final export), or an RDS cluster that would keep no final snapshot (`skipFinalSnapshot`
  true, or no `finalSnapshotIdentifier`).

Decided from inputs and property dependencies, known in preview; an unknown `skipFinalSnapshot`,
`finalSnapshotIdentifier` or `forceDestroy` is left to the engine's preview note.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.lifecycle import wound_down
from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, is_unknown, known_str
from connect_guardrails.util import attached_to, backup_plan_rules, of_type, tag

VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
BUCKET = "aws:s3/bucket:Bucket"
CLUSTER = "aws:rds/cluster:Cluster"
STORES = {
    CLUSTER: "RDS cluster",
    "aws:rds/instance:Instance": "RDS instance",
    "aws:efs/fileSystem:FileSystem": "EFS file system",
    "aws:dynamodb/table:Table": "DynamoDB table",
    BUCKET: "S3 bucket",
}
BACKUP_TAG = "connect:backup"


def _stores(resources: list[PolicyResource]) -> list[PolicyResource]:
    """The stack's data: databases, file systems, tables, and buckets tagged for AWS Backup."""
    return [r for r in of_type(resources, *STORES) if r.resource_type != BUCKET or tag(r.props, BACKUP_TAG) == "true"]


def _writes_to(plan: PolicyResource, vaults: list[PolicyResource], pending: Pending) -> bool:
    """Some rule of the plan targets a vault of the stack (fed by it, or by its known name)."""
    fed = {r.urn for r in plan.property_dependencies.get("rules", []) or []}
    if any(v.urn in fed for v in vaults):
        return True
    names = {n for n in (known_str(v.props, "name") for v in vaults) if n}
    return any(rule.get("targetVaultName") in names for _, rule in backup_plan_rules(plan, pending))


def _known(props: object, key: str, pending: Pending) -> object:
    value = pending.read(props, key)
    if is_unknown(value):
        return None
    return value


def _final_snapshot(cluster: PolicyResource, pending: Pending) -> str | None:
    """Why deleting the cluster would keep no final snapshot (None: it would keep one, or it is not known)."""
    skip = _known(cluster.props, "skipFinalSnapshot", pending)
    if skip is True:
        return "skipFinalSnapshot is on"
    identifier = pending.read(cluster.props, "finalSnapshotIdentifier")
    if is_unknown(identifier):
        return None
    return None if identifier else "no finalSnapshotIdentifier"


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """In a wound-down stack that holds data: protected vaults kept whole, a plan with a selection writing to them,
    protected stores, database clusters that keep a final snapshot."""
    resources = list(args.resources)
    stores = _stores(resources)
    if not stores or not wound_down(resources):
        return
    pending = Pending()
    why = "the stack runs nothing (decommissioning) and still holds data"
    vaults = sorted(of_type(resources, VAULT), key=lambda v: v.urn)
    if not vaults:
        for store in stores:
            report_violation(f"{STORES[store.resource_type]} '{store.name}': {why}, and it has no backup vault; its "
                             f"recovery points would go with the stack", store.urn)
    for vault in vaults:
        problems = []
        if not (vault.opts is not None and vault.opts.protect):
            problems.append("it is not protected (the next `pulumi up` or destroy deletes it)")
        if _known(vault.props, "forceDestroy", pending) is True:
            problems.append("forceDestroy is on (deleting it deletes its recovery points)")
        if problems:
            report_violation(f"backup vault '{vault.name}': {why}; {'; '.join(problems)}", vault.urn)
    running = [plan for plan in of_type(resources, PLAN)
               if _writes_to(plan, vaults, pending)
               and attached_to(resources, (SELECTION,), "planId", plan,
                               {n for n in (known_str(plan.props, "id"),) if n})]
    if vaults and not running:
        report_violation(f"backup vault '{vaults[0].name}': {why}, and no backup plan with a selection writes to "
                         f"the stack's vaults; no recovery point is made any more and the last one expires with "
                         f"its lifecycle", vaults[0].urn)
    for store in stores:
        what = STORES[store.resource_type]
        if not (store.opts is not None and store.opts.protect):
            report_violation(f"{what} '{store.name}': {why}; it is not protected, so the next change that drops "
                             f"it deletes it with no final export", store.urn)
        if store.resource_type == CLUSTER and (reason := _final_snapshot(store, pending)):
            report_violation(f"{what} '{store.name}': {why}; {reason}, so its deletion would keep no final "
                             f"snapshot (set skip_final_snapshot=False and a final_snapshot_identifier)", store.urn)
    pending.settle()


RULE = Rule(
    id="decommission-keeps-recovery-points", severity="high", check=check,
    description="A wound-down environment (no compute, no NAT gateway) that holds data keeps protected vaults, "
                "a running backup plan, protected stores and final database snapshots.",
    iso27001=("A.8.13", "A.5.33"), ccm=("BCR-08",),
    remediation=(
        "Decommission with connect:tenant.lifecycle: decommissioning, which keeps the stores, the vaults "
        "(protect=True, retain_on_delete=True, force_destroy=False), the backup plan and its selection, and the "
        "clusters' skip_final_snapshot=False with a final_snapshot_identifier; remove them only by the manual "
        "steps of `connectctl decommission STACK`, after the final export."
    ),
)
