"""data-store-dr-replication: every data store reaches the DR region.

Data stores are the resources tagged `connect:backup: "true"`:
- an S3 bucket needs an `aws:s3/bucketReplicationConfig:BucketReplicationConfig` (the bucket fed its
  `bucket`, or its known `bucket` names it) with an `Enabled` rule whose `destination.bucket` is a bucket
  of this stack under a provider in another region. A known destination ARN is matched to the stack's
  buckets by name; an unknown one (`dr_bucket.arn` in preview) is one of the buckets that fed the
  configuration's `rules` (property dependencies) other than the source;
- an `aws:efs/fileSystem:FileSystem` needs an `aws:efs/replicationConfiguration:ReplicationConfiguration`
  (the file system fed its `sourceFileSystemId`, or its known value is the file system's id) whose
  `destination.region` differs from the file system's region;
- an `aws:rds/cluster:Cluster` needs an `aws:backup/selection:Selection` that covers it: its
  `selectionTags` hold `STRINGEQUALS connect:backup = "true"`, or the cluster fed its `resources`, and
  the cluster is not in its `notResources`. Databases reach the DR region through the backup plan's
  copies (backup-cross-region-copy); buckets and file systems replicate natively, because copies of
  continuous backups arrive as plain snapshots (anchors trap 7).
When the policy config names a `drRegion`, destinations must be in that region.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.util import (
    BUCKET_TYPES,
    DATA_STORE_TAG,
    STACK_REFERENCE,
    Pending,
    as_list,
    attached_to,
    bucket_names,
    config_of,
    depends_on,
    deps_of,
    get_raw,
    is_data_store,
    is_unknown,
    known_str,
    of_type,
    plain,
    resource_region,
)

BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
EFS_REPLICATION = "aws:efs/replicationConfiguration:ReplicationConfiguration"
DB_CLUSTER = "aws:rds/cluster:Cluster"
SELECTION = "aws:backup/selection:Selection"
Undecided = list[tuple[Any, tuple[Any, ...]]]


class _Target:
    """Which regions count as DR for a store: not its own, and the configured DR region if any."""

    def __init__(self, home: str | None, dr_region: str | None) -> None:
        self.home, self.dr_region = home, dr_region

    def accepts(self, region: str | None) -> bool:
        return bool(region) and region != self.home and (self.dr_region is None or region == self.dr_region)

    def where(self) -> str:
        return f"the DR region {self.dr_region}" if self.dr_region else "another region"


def _bucket_destinations(config: PolicyResource, source: PolicyResource, buckets: list[PolicyResource],
                         undecided: Undecided) -> tuple[int, set[str]]:
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
            regions |= {r for r in (resource_region(b) for b in buckets if target in bucket_names(b)) if r}
    return enabled, regions


def _bucket_problem(bucket: PolicyResource, resources: list[PolicyResource], target: _Target,
                    undecided: Undecided) -> str | None:
    configs = attached_to(resources, (BUCKET_REPLICATION,), "bucket", bucket, bucket_names(bucket))
    if not configs:
        return "it has no aws.s3.BucketReplicationConfig"
    buckets = list(of_type(resources, *BUCKET_TYPES))
    enabled, regions = 0, set[str]()
    for config in configs:
        count, found = _bucket_destinations(config, bucket, buckets, undecided)
        enabled, regions = enabled + count, regions | found
    if any(target.accepts(r) for r in regions):
        return None
    if enabled == 0:
        return "its replication configuration has no Enabled rule"
    if regions:
        return f"it replicates only to {', '.join(sorted(regions))}"
    return "its replication destination is no bucket of this stack whose region is known"


def _file_system_problem(fs: PolicyResource, resources: list[PolicyResource], target: _Target,
                         undecided: Undecided) -> str | None:
    names = {n for n in (known_str(fs.props, "id"),) if n}
    configs = attached_to(resources, (EFS_REPLICATION,), "sourceFileSystemId", fs, names)
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


def _selects_by_tag(selection: PolicyResource, undecided: Undecided) -> bool:
    tags = plain(get_raw(selection.props, "selectionTags"))
    if is_unknown(tags):
        undecided.append((selection.props, ("selectionTags",)))
        return False
    for index, entry in enumerate(tags or []):
        if not isinstance(entry, dict):
            continue
        if any(is_unknown(entry.get(k)) for k in ("type", "key", "value")):
            undecided.append((selection.props, ("selectionTags", index)))
        elif (entry.get("type") == "STRINGEQUALS" and entry.get("key") == DATA_STORE_TAG
              and entry.get("value") == "true"):
            return True
    return False


def _names(value: Any) -> list[Any]:
    return [v for v in as_list(value) if isinstance(v, str)]


def _cluster_problem(cluster: PolicyResource, resources: list[PolicyResource], undecided: Undecided) -> str | None:
    arn = known_str(cluster.props, "arn")
    for selection in of_type(resources, SELECTION):
        excluded = depends_on(selection, "notResources", cluster) or (
            arn is not None and arn in _names(get_raw(selection.props, "notResources")))
        if excluded:
            continue
        listed = depends_on(selection, "resources", cluster) or (
            arn is not None and arn in _names(get_raw(selection.props, "resources")))
        if listed or _selects_by_tag(selection, undecided):
            return None
    return (f"no aws.backup.Selection covers it (selection_tags STRINGEQUALS {DATA_STORE_TAG} = 'true', or "
            f"resources=[cluster.arn]), so no backup copy reaches the DR region")


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Data-store buckets and file systems replicate to the DR region; data-store DB clusters are backed up."""
    dr_region = config_of(args).get("drRegion") or None
    pending = Pending()
    resources = list(args.resources)
    kinds = {FILE_SYSTEM: "EFS file system", DB_CLUSTER: "DB cluster"}
    for store in of_type(resources, *BUCKET_TYPES, FILE_SYSTEM, DB_CLUSTER):
        if not is_data_store(store):
            continue
        target = _Target(resource_region(store), dr_region)
        undecided: Undecided = []
        if store.resource_type in BUCKET_TYPES:
            what, problem = "bucket", _bucket_problem(store, resources, target, undecided)
            fix = f"replicate it (aws.s3.BucketReplicationConfig) to a bucket in {target.where()}"
        elif store.resource_type == FILE_SYSTEM:
            what, problem = kinds[FILE_SYSTEM], _file_system_problem(store, resources, target, undecided)
            fix = f"replicate it (aws.efs.ReplicationConfiguration) to {target.where()}"
        else:
            what, problem = kinds[DB_CLUSTER], _cluster_problem(store, resources, undecided)
            fix = "select it for AWS Backup, whose plan copies to the DR region"
        if problem is None:
            continue
        if undecided:
            for props, path in undecided:
                pending.add(props, *path)
            continue
        report_violation(f"data store {what} '{store.name}': {problem}; {fix}", store.urn)
    pending.settle()


RULE = Rule(
    id="data-store-dr-replication",
    description="Data-store buckets and file systems replicate to the DR region; database clusters are selected "
                "for backups that are copied there.",
    kind="stack",
    level="mandatory",
    severity="medium",
    owner="operator",
    anchors=("FSBP S3.7", "CKV_AWS_144"),
    iso27001=("A.5.30", "A.8.13", "A.8.14"),
    ccm=("BCR-08", "BCR-11"),
    remediation=(
        "Bucket: aws.s3.BucketReplicationConfig(bucket=bucket.id, role=..., rules=[{'status': 'Enabled', "
        "'destination': {'bucket': dr_bucket.arn}}]) with dr_bucket under the DR-region provider; EFS: "
        "aws.efs.ReplicationConfiguration(source_file_system_id=fs.id, destination={'region': dr_region}); Aurora: "
        "aws.backup.Selection(plan_id=plan.id, selection_tags=[{'type': 'STRINGEQUALS', 'key': 'connect:backup', "
        "'value': 'true'}])."
    ),
    unwaivable=False,
    check=check,
    config={
        "drRegion": {
            "type": "string",
            "description": "The DR region data stores must reach; unset: any region other than the store's.",
        },
    },
)
