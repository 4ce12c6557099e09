"""data-store-dr-replication: every data store is backed up by a plan of the stack, reaches the DR region, and
keeps its objects.

Data stores are judged by what they are (`data_util`), never by a tag: every bucket that holds data, every
file system, database, table and volume AWS Backup protects (`Kind.backup`). Replicas (a bucket that is a
replication destination, an RDS read replica) are the DR copy of another store and are not judged again.

- Every such store is selected by an `aws:backup/selection:Selection` whose plan (`planId`) is an
  `aws:backup/plan:Plan` of the stack, in the store's region: not in its `notResources`, and matching its
  `resources` (the store fed them, `*`, or an ARN pattern that matches the store's known ARN), its
  `selectionTags` (any) and its `conditions` (all) when given, evaluated on the store's own tags (AWS Backup's
  semantics: `data_util`). The program's selection takes everything tagged `connect:backup: "true"`: a store
  without the tag is not backed up, and that is a finding, not an exemption. Every rule of every plan copies
  its recovery points to the DR region (`backup-cross-region-copy`): that is how databases, tables, volumes
  and other file systems reach it.
- Buckets and EFS file systems also replicate natively, because copies of continuous backups arrive as plain
  snapshots (anchors trap 7):
  - a bucket needs an `aws:s3/bucketReplicationConfig:BucketReplicationConfig` (the bucket fed its `bucket`,
    or its known `bucket` names it) with an `Enabled` rule whose `destination.bucket` is a bucket of this
    stack under a provider in another region. A known destination ARN is matched to the stack's buckets by
    name; an unknown one (`dr_bucket.arn` in preview) is one of the buckets that fed the configuration's
    `rules` (property dependencies) other than the source;
  - an `aws:efs/fileSystem:FileSystem` needs an `aws:efs/replicationConfiguration:ReplicationConfiguration`
    (the file system fed its `sourceFileSystemId`, or its known value is the file system's id) whose
    `destination.region` differs from the file system's region.
When the policy config names a `drRegion`, replication destinations must be in that region.

What the backups and replicas protect is not deleted on a timer: no lifecycle rule expires the objects of a
bucket that holds data (DR replicas included): an `Enabled` rule of an `aws:s3/bucketLifecycleConfiguration` (or
V2) that names the bucket like the replication configuration does, or an enabled entry of the bucket's inline
`lifecycleRules`, with an `expiration` after `days` or on a `date`, or a `noncurrentVersionExpiration`.
Expiring client data is data loss with no one asking, and the copies do not undo it: S3 replication does not
replicate lifecycle expirations (the primary loses the objects, the replica silently diverges from it), and
AWS Backup keeps them only until its recovery points expire
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html). Transitions to
colder storage, `expiredObjectDeleteMarker` (it removes delete markers with no version behind them) and
`abortIncompleteMultipartUpload` delete no data. Log buckets are no data stores: they expire their logs.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.data_util import BUCKET_KIND, Inventory, Selections, Store
from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Deciding, Pending, get_raw, is_unknown, known_str, plain
from connect_guardrails.util import (
    BUCKET_TYPES,
    DATA_STORE_TAG,
    STACK_REFERENCE,
    Index,
    config_of,
    deps_of,
    resource_region,
)

BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
LIFECYCLE_TYPES = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                   "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
EXPIRY_AFTER = ("days", "date")  # in `expiration`; `expiredObjectDeleteMarker` deletes no data
NONCURRENT_AFTER = ("noncurrentDays", "days")  # `newerNoncurrentVersions` only keeps versions
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
EFS_REPLICATION = "aws:efs/replicationConfiguration:ReplicationConfiguration"


class _Target:
    """Which regions count as DR for a store: not its own, and the configured DR region if any."""

    def __init__(self, home: str | None, dr_region: str | None) -> None:
        self.home, self.dr_region = home, dr_region

    def accepts(self, region: str | None) -> bool:
        return bool(region) and region != self.home and (self.dr_region is None or region == self.dr_region)

    def where(self) -> str:
        return f"the DR region {self.dr_region}" if self.dr_region else "another region"


def _bucket_destinations(config: PolicyResource, source: PolicyResource, inventory: Inventory,
                         undecided: Deciding) -> tuple[int, set[str]]:
    """(enabled rules, regions their destination buckets may be in)."""
    rules = plain(get_raw(config.props, "rules"))
    if is_unknown(rules):
        undecided.append((config.props, ("rules",)))
        return 0, set()
    fed = [r for r in deps_of(config, "rules") if r.resource_type in BUCKET_TYPES and r.urn != source.urn]
    from_outside = any(r.resource_type == STACK_REFERENCE for r in deps_of(config, "rules"))
    enabled, regions = 0, set()
    for index, rule in enumerate(rules or []):
        if not isinstance(rule, dict):
            continue
        status = rule.get("status")
        if is_unknown(status):
            undecided.append((config.props, ("rules", index, "status")))
            continue
        if status != "Enabled":
            continue
        enabled += 1
        destination = rule.get("destination")
        target = destination.get("bucket") if isinstance(destination, dict) else destination
        if is_unknown(target):
            regions |= {r for r in map(resource_region, fed) if r}
            if from_outside:
                undecided.append((config.props, ("rules", index, "destination")))
        elif isinstance(target, str):
            regions |= {r for r in map(resource_region, inventory.named(target)) if r}
    return enabled, regions


def _bucket_problem(bucket: PolicyResource, inventory: Inventory, target: _Target, undecided: Deciding) -> str | None:
    configs = inventory.configs(bucket, (BUCKET_REPLICATION,))
    if not configs:
        return "it has no aws.s3.BucketReplicationConfig"
    enabled, regions = 0, set[str]()
    for config in configs:
        count, found = _bucket_destinations(config, bucket, inventory, undecided)
        enabled, regions = enabled + count, regions | found
    if any(target.accepts(r) for r in regions):
        return None
    if enabled == 0:
        return "its replication configuration has no Enabled rule"
    if regions:
        return f"it replicates only to {', '.join(sorted(regions))}"
    return "its replication destination is no bucket of this stack whose region is known"


def _file_system_problem(fs: PolicyResource, index: Index, target: _Target, undecided: Deciding) -> str | None:
    names = [n for n in (known_str(fs.props, "id"),) if n]
    configs = index.fed(fs, (EFS_REPLICATION,), "sourceFileSystemId", names)
    if not configs:
        return "it has no aws.efs.ReplicationConfiguration"
    regions: set[str] = set()
    for config in configs:
        destination = plain(get_raw(config.props, "destination"))
        if isinstance(destination, list):  # some SDK shapes carry the block as a one-item list
            destination = destination[0] if destination else None
        region = destination.get("region") if isinstance(destination, dict) else destination
        if is_unknown(region):
            path = ("destination",) if is_unknown(destination) else ("destination", "region")
            undecided.append((config.props, path))
        elif isinstance(region, str) and region:
            regions.add(region)
    if any(target.accepts(r) for r in regions):
        return None
    if regions:
        return f"it replicates only to {', '.join(sorted(regions))}"
    return "its replication configuration names no destination region"


def _block(value: Any) -> Any:
    """A nested block, whether the SDK shape is an object or a one-item list."""
    if isinstance(value, list):
        return value[0] if len(value) == 1 else None
    return value


def _set(value: Any) -> bool:
    return value not in (None, "", 0, False, [], {})


def _shown(value: Any) -> str:
    """A lifecycle value as written: `30` (the engine passes numbers as floats), `'2030-01-01'`."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else repr(value)


def _expiry(rule: dict[str, Any], where: tuple[Any, ...], props: Any, pending: Pending) -> str | None:
    """What an enabled lifecycle rule expires (None: nothing, or unknown values decide, noted in `pending`)."""
    found: list[str] = []
    for block_key, keys, label in (("expiration", EXPIRY_AFTER, "current objects"),
                                   ("noncurrentVersionExpiration", NONCURRENT_AFTER, "noncurrent versions")):
        declared = rule.get(block_key)
        block, step = _block(declared), (block_key, 0) if isinstance(declared, list) else (block_key,)
        if is_unknown(block):
            pending.add(props, *where, *step)
            continue
        if not isinstance(block, dict):
            continue
        for key in keys:
            if is_unknown(block.get(key)):
                pending.add(props, *where, *step, key)
            elif _set(block.get(key)):
                found.append(f"{label} ({key} {_shown(block[key])})")
                break
    return " and ".join(found) or None


def _rules_expiring(props: Any, path: tuple[Any, ...], rules: Any, inline: bool, pending: Pending) -> list[str]:
    """The enabled rules of a lifecycle configuration (or inline `lifecycleRules`) that expire objects."""
    if is_unknown(rules):
        pending.add(props, *path)
        return []
    found: list[str] = []
    for position, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        where = (*path, position)
        switch, on = ("enabled", True) if inline else ("status", "Enabled")
        state = rule.get(switch)
        if is_unknown(state):
            pending.add(props, *where, switch)
            continue
        if state != on:
            continue
        expires = _expiry(rule, where, props, pending)
        if expires:
            label = rule.get("id") if isinstance(rule.get("id"), str) and rule.get("id") else f"#{position + 1}"
            found.append(f"rule {label} expires {expires}")
    return found


def _expiring(bucket: PolicyResource, inventory: Inventory, pending: Pending) -> list[tuple[str, str]]:
    """(URN to report, finding) for each lifecycle configuration (or the inline rules) that expires the bucket's
    objects."""
    found = [(config.urn, f"lifecycle configuration '{config.name}'", _rules_expiring(
        config.props, ("rules",), plain(get_raw(config.props, "rules")), False, pending))
        for config in inventory.configs(bucket, LIFECYCLE_TYPES)]
    found.append((bucket.urn, "its inline lifecycleRules", _rules_expiring(
        bucket.props, ("lifecycleRules",), plain(get_raw(bucket.props, "lifecycleRules")), True, pending)))
    return [(urn, f"{where} deletes its data: {'; '.join(rules)}") for urn, where, rules in found if rules]


def _problems(store: Store, inventory: Inventory, selections: Selections, dr_region: str | None,
              undecided: Deciding) -> list[str]:
    """What keeps one store from its backups and from the DR region (empty: nothing, or unknowns decide)."""
    resource, problems = store.resource, []
    if store.kind.backup and not selections.covers(resource, undecided):
        problems.append(
            f"it is not selected by any backup plan (no aws.backup.Selection of this stack's plans selects it: the "
            f"platform's selection takes what is tagged {DATA_STORE_TAG} = 'true'), so it has no backup and no copy "
            f"in the DR region")
    target = _Target(resource_region(resource), dr_region)
    if store.kind is BUCKET_KIND:
        problem = _bucket_problem(resource, inventory, target, undecided)
        if problem:
            problems.append(f"{problem}; replicate it (aws.s3.BucketReplicationConfig) to a bucket in {target.where()}")
    elif resource.resource_type == FILE_SYSTEM:
        problem = _file_system_problem(resource, inventory.index, target, undecided)
        if problem:
            problems.append(f"{problem}; replicate it (aws.efs.ReplicationConfiguration) to {target.where()}")
    return problems


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every data store is selected by a backup plan of the stack; data buckets and file systems also replicate to
    the DR region."""
    dr_region = config_of(args).get("drRegion") or None
    pending = Pending()
    index = Index.of(args.resources)
    inventory, selections = Inventory.of(index), Selections(index)
    for store in inventory.stores():
        if store.kind is BUCKET_KIND:
            for urn, finding in _expiring(store.resource, inventory, pending):
                report_violation(
                    f"data store {store.label}: {finding}; a data bucket keeps its objects and their versions "
                    f"(transitions to colder storage are fine)",
                    urn,
                )
        if store.replica_of is not None:
            continue
        undecided: Deciding = []
        problems = _problems(store, inventory, selections, dr_region, undecided)
        if undecided:
            pending.add_all(undecided)
            continue
        if problems:
            report_violation(f"data store {store.label}: {'; '.join(problems)}", store.resource.urn)
    pending.settle()


RULE = Rule(
    id="data-store-dr-replication", severity="medium", check=check,
    description="Every data store is selected by a backup plan of the stack (whose copies reach the DR region); "
                "data buckets and file systems also replicate there natively; no lifecycle rule expires a data "
                "bucket's objects.",
    anchors=("FSBP S3.7", "CKV_AWS_144"), iso27001=("A.5.30", "A.8.13", "A.8.14"), ccm=("BCR-08", "BCR-11", "DSP-16"),
    remediation=(
        "Select every data store for AWS Backup: the platform's aws.backup.Selection(plan_id=plan.id, "
        "selection_tags=[{'type': 'STRINGEQUALS', 'key': 'connect:backup', 'value': 'true'}]) takes it once it is "
        "tagged connect:backup = 'true'. Bucket: also aws.s3.BucketReplicationConfig(bucket=bucket.id, role=..., "
        "rules=[{'status': 'Enabled', 'destination': {'bucket': dr_bucket.arn}}]) with dr_bucket under the "
        "DR-region provider; EFS: also aws.efs.ReplicationConfiguration(source_file_system_id=fs.id, "
        "destination={'region': dr_region}). Give data buckets no lifecycle expiration or "
        "noncurrent_version_expiration (transitions are fine)."
    ),
    config={
        "drRegion": {
            "type": "string",
            "description": "The DR region data stores must reach; unset: any region other than the store's.",
        },
    },
)
