"""Which resources hold data, judged by what they are, never by a tag: the inventory the data rules share.

A data store is a resource of a type that keeps data at rest (`KINDS`: buckets, file systems, databases,
tables, volumes, caches, search domains, streams, queues, topics...). Every type keeps its own switch for
encryption at rest (`Kind.flag`, None when the service always encrypts) and names the key in its own
property (`Kind.key`); `Kind.backup` says AWS Backup protects the type
(https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html), so the pack
requires a backup selection for it.

Buckets hold data unless they are log destinations, which exist to receive what AWS services deliver (and
could not record or back themselves up without a loop). A bucket is a log destination when (the bucket fed
the property, or its known name or ARN is the property's value):
- it is the `targetBucket` of another bucket's server access logging (`BucketLogging`, `BucketLoggingV2`, a
  bucket's inline `logging`/`loggings`); a bucket logging into itself stays a data bucket;
- it is a load balancer's `accessLogs.bucket`, a CloudTrail trail's `s3BucketName`, a VPC flow log's
  `logDestination`, an AWS Config delivery channel's `s3BucketName`, a WAF logging configuration's
  `logDestinationConfigs`;
- its policy (`BucketPolicy` or inline `policy`) lets a log delivery service (`LOG_SERVICES`) or Elastic
  Load Balancing's regional log-delivery account (`LOG_DELIVERY_ACCOUNTS`) put objects: it receives logs
  even while nothing sends it any;
- it is the replication destination of a log destination (its DR copy).
A bucket that is the destination of a replication configuration (`BucketReplicationConfig`, inline
`replicationConfiguration`) of a data bucket is a replica: it holds data (encrypted like any store) but is
itself the copy, so it is neither backed up nor replicated again. The same holds for an RDS instance with
`replicateSourceDb` and an RDS cluster with `replicationSourceIdentifier`. An ElastiCache cluster that joins
a replication group is part of the group, which is the store.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from connect_guardrails.iam import principal_account, principal_values, read_document, statements
from connect_guardrails.unknowns import Deciding, get_raw, is_set, is_unknown, known_str, plain
from connect_guardrails.util import (
    BUCKET_TYPES,
    STACK_REFERENCE,
    Index,
    as_list,
    bucket_names,
    deps_of,
    deps_of_type,
    known_tags,
    port_label,
    resource_region,
)

BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
LOGGING_TYPES = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
INLINE_LOGGING = ("logging", "loggings")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer",
                  "aws:elb/loadBalancer:LoadBalancer")
# (types, property, key inside the property's object) whose bucket receives logs, besides server access logging.
LOG_WRITERS: tuple[tuple[tuple[str, ...], str, str | None], ...] = (
    (LOAD_BALANCERS, "accessLogs", "bucket"),
    (("aws:cloudtrail/trail:Trail",), "s3BucketName", None),
    (("aws:ec2/flowLog:FlowLog",), "logDestination", None),
    (("aws:cfg/deliveryChannel:DeliveryChannel",), "s3BucketName", None),
    (("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",), "logDestinationConfigs", None),
)
# Services that deliver logs into a bucket whose policy admits them: S3 server access logging, CloudTrail, ELB
# (regions opened after August 2022), CloudWatch vended logs (flow logs, WAF...), AWS Config.
LOG_SERVICES = frozenset({"logging.s3.amazonaws.com", "cloudtrail.amazonaws.com", "delivery.logs.amazonaws.com",
                          "logdelivery.elasticloadbalancing.amazonaws.com", "config.amazonaws.com"})
# Elastic Load Balancing log-delivery accounts, regions opened before August 2022
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
LOG_DELIVERY_ACCOUNTS = frozenset({
    "127311923021", "033677994240", "027434742980", "797873946194", "098369216593", "754344448648",
    "589379963580", "718504428378", "383597477331", "600734575887", "114774131450", "783225319266",
    "582318560864", "985666609251", "054676820928", "156460612806", "652711504416", "635631232127",
    "009996457667", "897822967062", "076674570225", "507241528517",
})
WRITE_ACTIONS = frozenset({"s3:putobject", "s3:*", "*"})
S3_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::")


@dataclass(frozen=True)
class Kind:
    """How one type of data store is encrypted at rest and whether AWS Backup protects it."""

    label: str
    flag: tuple[str, ...] | None = None  # the at-rest switch (path); None: the service always encrypts at rest
    flag_value: Any = True  # what the switch must say
    key: tuple[str, ...] | None = ("kmsKeyId",)  # the property naming the KMS key; None: no key can be named
    backup: bool = False  # AWS Backup protects the type: the pack requires a backup selection


BUCKET_KIND = Kind("S3 bucket", backup=True)  # encryption: a BucketServerSideEncryptionConfiguration (rule)
FSX = Kind("FSx file system", backup=True)  # always encrypted at rest (FSx user guides, "Encryption at rest")
KINDS: dict[str, Kind] = {
    **{t: BUCKET_KIND for t in BUCKET_TYPES},
    # https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html
    "aws:efs/fileSystem:FileSystem": Kind("EFS file system", ("encrypted",), backup=True),
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html (Aurora: AuroraUserGuide)
    "aws:rds/cluster:Cluster": Kind("DB cluster", ("storageEncrypted",), backup=True),
    "aws:rds/instance:Instance": Kind("DB instance", ("storageEncrypted",), backup=True),
    "aws:docdb/cluster:Cluster": Kind("DocumentDB cluster", ("storageEncrypted",), backup=True),
    "aws:neptune/cluster:Cluster": Kind("Neptune cluster", ("storageEncrypted",), ("kmsKeyArn",), backup=True),
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html: without
    # `serverSideEncryption.enabled` the table uses an AWS owned key, not one of the tenant's.
    "aws:dynamodb/table:Table": Kind("DynamoDB table", ("serverSideEncryption", "enabled"),
                                     key=("serverSideEncryption", "kmsKeyArn"), backup=True),
    # https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html
    "aws:ebs/volume:Volume": Kind("EBS volume", ("encrypted",), backup=True),
    "aws:fsx/lustreFileSystem:LustreFileSystem": FSX,
    "aws:fsx/windowsFileSystem:WindowsFileSystem": FSX,
    "aws:fsx/ontapFileSystem:OntapFileSystem": FSX,
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem": FSX,
    # https://docs.aws.amazon.com/redshift/latest/mgmt/working-with-db-encryption.html
    "aws:redshift/cluster:Cluster": Kind("Redshift cluster", ("encrypted",), backup=True),
    "aws:redshiftserverless/namespace:Namespace": Kind("Redshift Serverless namespace"),
    # https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/at-rest-encryption.html: a replication group
    # or a serverless cache; a standalone cache cluster cannot be encrypted at rest (`key=None`, flag unset).
    "aws:elasticache/replicationGroup:ReplicationGroup": Kind("ElastiCache replication group",
                                                              ("atRestEncryptionEnabled",)),
    "aws:elasticache/serverlessCache:ServerlessCache": Kind("ElastiCache serverless cache"),
    "aws:elasticache/cluster:Cluster": Kind("ElastiCache cluster", ("atRestEncryptionEnabled",), key=None),
    # https://docs.aws.amazon.com/memorydb/latest/devguide/at-rest-encryption.html (always encrypted)
    "aws:memorydb/cluster:Cluster": Kind("MemoryDB cluster", key=("kmsKeyArn",)),
    # https://docs.aws.amazon.com/opensearch-service/latest/developerguide/encryption-at-rest.html
    "aws:opensearch/domain:Domain": Kind("OpenSearch domain", ("encryptAtRest", "enabled"),
                                         key=("encryptAtRest", "kmsKeyId")),
    "aws:elasticsearch/domain:Domain": Kind("Elasticsearch domain", ("encryptAtRest", "enabled"),
                                            key=("encryptAtRest", "kmsKeyId")),
    # https://docs.aws.amazon.com/streams/latest/dev/what-is-sse.html
    "aws:kinesis/stream:Stream": Kind("Kinesis stream", ("encryptionType",), "KMS"),
    # https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html (always encrypted)
    "aws:msk/cluster:Cluster": Kind("MSK cluster", key=("encryptionInfo", "encryptionAtRestKmsKeyArn")),
    # Messages wait at rest until consumed (SQS: up to 14 days) or delivered (SNS):
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html,
    # https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html. SSE-SQS is not the tenant's key.
    "aws:sqs/queue:Queue": Kind("SQS queue", key=("kmsMasterKeyId",)),
    "aws:sns/topic:Topic": Kind("SNS topic", key=("kmsMasterKeyId",)),
}
# Where a replica names what it copies: it is a store, but the copy of another one.
REPLICA_SOURCES = {"aws:rds/instance:Instance": "replicateSourceDb",
                   "aws:rds/cluster:Cluster": "replicationSourceIdentifier"}
CACHE_MEMBER = ("aws:elasticache/cluster:Cluster", "replicationGroupId")


@dataclass(frozen=True)
class Store:
    """One data store of the stack: the resource, its kind, and whether it is a copy of another store."""

    resource: PolicyResource
    kind: Kind
    replica_of: str | None = None  # the source it copies (a name), for replicas

    @property
    def label(self) -> str:
        return f"{self.kind.label} '{self.resource.name}'"


def _name_in(value: Any) -> str | None:
    """The bucket a known value names: a bucket name, its ARN, or an S3 ARN with a key path."""
    if not isinstance(value, str) or not value or is_unknown(value):
        return None
    return S3_ARN.sub("", value).split("/", 1)[0] or None


def _strings(value: Any, key: str | None) -> list[Any]:
    """The value itself (key None), or every `key` inside a plain object or list of objects (and plain strings)."""
    value = plain(value)
    items = value if isinstance(value, list) else [value]
    if key is None:
        return items
    return [item.get(key) if isinstance(item, dict) else item for item in items]


class Inventory:
    """The stack's data stores, its log buckets and its replicas, computed once per check (linear in the stack)."""

    @classmethod
    def of(cls, index: Index) -> Inventory:
        """The index's inventory, computed once for every rule that shares the index."""
        found = index.shared.get("inventory")
        if not isinstance(found, Inventory):
            found = index.shared["inventory"] = cls(index)
        return found

    def __init__(self, index: Index) -> None:
        self.index = index
        self.buckets = index.of_type(*BUCKET_TYPES)
        self._by_name: dict[str, list[PolicyResource]] = {}
        for bucket in self.buckets:
            for name in {_name_in(n) for n in bucket_names(bucket)}:
                if name:
                    self._by_name.setdefault(name, []).append(bucket)
        self.replica_of: dict[str, PolicyResource] = {}  # replica URN -> source bucket
        self._replicas: dict[str, list[PolicyResource]] = {}  # source URN -> replicas
        self._find_replicas()
        self.logs: dict[str, str] = {}  # log destination URN -> why
        self._find_logs()

    def named(self, value: Any) -> list[PolicyResource]:
        """The stack's buckets a known value names (name, ARN or object ARN)."""
        name = _name_in(value)
        return list(self._by_name.get(name, ())) if name else []

    def targets(self, resource: PolicyResource, prop: str, key: str | None = None) -> list[PolicyResource]:
        """The buckets `resource`'s `prop` (its `key` inside, for objects) names: fed or named."""
        found = {b.urn: b for b in deps_of_type(resource, prop, *BUCKET_TYPES)}
        for value in _strings(get_raw(resource.props, prop), key):
            found |= {b.urn: b for b in self.named(value)}
        return list(found.values())

    def configs(self, bucket: PolicyResource, types: tuple[str, ...]) -> list[PolicyResource]:
        """Bucket configuration resources of `types` that name the bucket in their `bucket` property."""
        return self.index.fed(bucket, types, "bucket", bucket_names(bucket))

    def _find_replicas(self) -> None:
        for config in self.index.of_type(REPLICATION):
            sources = self.targets(config, "bucket")
            rules = plain(get_raw(config.props, "rules"))
            named = [b for rule in (rules if isinstance(rules, list) else []) for b in self.named(_destination(rule))]
            for replica in [*deps_of_type(config, "rules", *BUCKET_TYPES), *named]:
                for source in sources:
                    if replica.urn != source.urn:
                        self._link(source, replica)
        for source in self.buckets:
            inline = plain(get_raw(source.props, "replicationConfiguration"))
            if isinstance(inline, dict):
                rules = inline.get("rules")
                for rule in rules if isinstance(rules, list) else []:
                    for replica in self.named(_destination(rule)):
                        if replica.urn != source.urn:
                            self._link(source, replica)
            for replica in deps_of_type(source, "replicationConfiguration", *BUCKET_TYPES):
                if replica.urn != source.urn:
                    self._link(source, replica)

    def _link(self, source: PolicyResource, replica: PolicyResource) -> None:
        self.replica_of.setdefault(replica.urn, source)
        self._replicas.setdefault(source.urn, []).append(replica)

    def _admits_log_delivery(self, policy: PolicyResource, prop: str) -> str | None:
        doc = read_document(get_raw(policy.props, prop))
        for statement in statements(doc or {}):
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action")
            writes = {str(a).lower() for a in (actions if isinstance(actions, list) else [actions])} & WRITE_ACTIONS
            if not writes:
                continue
            principal = statement.get("Principal")
            for service in principal_values(principal, "Service"):
                if service in LOG_SERVICES:
                    return f"its policy lets {service} write logs"
            for value in principal_values(principal, "AWS"):
                if principal_account(value) in LOG_DELIVERY_ACCOUNTS:
                    return "its policy lets Elastic Load Balancing's log-delivery account write logs"
        return None

    def _find_logs(self) -> None:
        found = self.logs
        for policy in self.index.of_type(BUCKET_POLICY):
            why = self._admits_log_delivery(policy, "policy")
            if why:
                for bucket in self.targets(policy, "bucket"):
                    found.setdefault(bucket.urn, why)
        for bucket in self.buckets:
            why = self._admits_log_delivery(bucket, "policy")
            if why:
                found.setdefault(bucket.urn, why)
            for prop in INLINE_LOGGING:
                for target in self.targets(bucket, prop, "targetBucket"):
                    if target.urn != bucket.urn:
                        found.setdefault(target.urn, f"it receives the server access logs of '{bucket.name}'")
        for config in self.index.of_type(*LOGGING_TYPES):
            sources = {b.urn for b in self.targets(config, "bucket")}
            for target in self.targets(config, "targetBucket"):
                if target.urn not in sources:
                    found.setdefault(target.urn, f"it receives server access logs ('{config.name}')")
        for types, prop, key in LOG_WRITERS:
            for writer in self.index.of_type(*types):
                kind = writer.resource_type.rsplit(":", 1)[-1]
                for target in self.targets(writer, prop, key):
                    found.setdefault(target.urn, f"it receives the logs of {kind} '{writer.name}'")
        queue = list(found)
        while queue:  # a log destination's replica holds the same logs
            source = queue.pop()
            for replica in self._replicas.get(source, ()):
                if replica.urn not in found:
                    found[replica.urn] = "it is the replica of a log bucket"
                    queue.append(replica.urn)

    def stores(self) -> list[Store]:
        """Every data store of the stack, in stack order by type (log buckets and cache members excluded)."""
        found: list[Store] = []
        for type_, kind in KINDS.items():
            for resource in self.index.of_type(type_):
                if resource.urn in self.logs:
                    continue
                if type_ != CACHE_MEMBER[0] or not is_set(resource.props, CACHE_MEMBER[1]):
                    found.append(Store(resource, kind, self._source(resource)))
        return found

    def _source(self, resource: PolicyResource) -> str | None:
        source = self.replica_of.get(resource.urn)
        if source is not None:
            return f"bucket '{source.name}'"
        prop = REPLICA_SOURCES.get(resource.resource_type)
        if prop and is_set(resource.props, prop):
            fed = deps_of(resource, prop)
            value = get_raw(resource.props, prop)
            return f"'{fed[0].name}'" if fed else (f"{value!r}" if not is_unknown(value) else "another store")
        return None


def _destination(rule: Any) -> Any:
    destination = rule.get("destination") if isinstance(rule, dict) else None
    if isinstance(destination, list):
        destination = destination[0] if destination else None
    return destination.get("bucket") if isinstance(destination, dict) else destination


# --- AWS Backup selections ---------------------------------------------------------------------------------
# A selection assigns a resource to its plan when the resource is not in `notResources`, matches `resources`
# (when given), matches one of `selectionTags` (ListOfTags, OR; when given) and every condition (AND)
# (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html; resource types and tags
# together: types first, then tags, https://docs.aws.amazon.com/aws-backup/latest/devguide/assigning-resources.html).
# A selection with none of them assigns every supported resource. A selection covers stores of its own region.

PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
TAG_KEY = "aws:ResourceTag/"


def _store_arns(store: PolicyResource) -> set[str]:
    arns = {a for a in (known_str(store.props, "arn"),) if a}
    if store.resource_type in BUCKET_TYPES:
        arns |= {n for n in bucket_names(store) if n.startswith("arn:")}
    return arns


def _arn_match(patterns: Any, feeders: list[PolicyResource], store: PolicyResource, props: Any, key: str,
               deciding: Deciding) -> bool | None:
    """Whether `patterns` (a selection's `resources` or `notResources`) name the store; None: unknown values
    decide (recorded in `deciding`). An unknown entry is the output of what fed the property: when only other
    resources of the stack fed it, it is not the store's ARN."""
    if any(f.urn == store.urn for f in feeders):
        return True
    others_only = bool(feeders) and not any(f.resource_type == STACK_REFERENCE for f in feeders)
    values = plain(patterns)
    if is_unknown(values):
        if others_only:
            return False
        deciding.append((props, (key,)))
        return None
    arns = _store_arns(store)
    undecided = False
    for index, pattern in enumerate(as_list(values)):
        if is_unknown(pattern):
            if not others_only:
                deciding.append((props, (key, index)))
                undecided = True
        elif isinstance(pattern, str) and (pattern == "*" or any(fnmatch.fnmatchcase(a, pattern) for a in arns)):
            return True
        elif isinstance(pattern, str) and not arns:  # the store's ARN is not known yet (preview)
            deciding.append((store.props, ("arn",)))
            undecided = True
    return None if undecided else False


def _tag_match(tags: Mapping[str, Any], operator: str, key: str, value: Any) -> bool:
    found = tags.get(key)
    if operator in ("STRINGEQUALS", "stringEquals"):
        return found == value
    if operator == "stringLikes":
        return isinstance(found, str) and isinstance(value, str) and fnmatch.fnmatchcase(found, value)
    if operator == "stringNotEquals":
        return found != value
    if operator == "stringNotLikes":
        return not (isinstance(found, str) and isinstance(value, str) and fnmatch.fnmatchcase(found, value))
    return False


class Selections:
    """The stack's backup selections whose plan is a plan of the stack, read once per check."""

    def __init__(self, index: Index) -> None:
        plans = index.of_type(PLAN)
        plan_urns = {p.urn for p in plans}
        plan_ids = {i for i in (known_str(p.props, "id") for p in plans) if i}
        self.selections = [
            s for s in index.of_type(SELECTION)
            if any(d.urn in plan_urns for d in deps_of(s, "planId")) or known_str(s.props, "planId") in plan_ids
        ]

    def covers(self, store: PolicyResource, deciding: Deciding) -> bool:
        """Some selection assigns the store to a plan of the stack; when none provably does, the unknown values
        that could decide are added to `deciding`."""
        found: Deciding = []
        for selection in self.selections:
            outcome = self._selects(selection, store, found)
            if outcome:
                return True
        deciding += found
        return False

    @staticmethod
    def _selects(selection: PolicyResource, store: PolicyResource, deciding: Deciding) -> bool | None:
        props = selection.props
        region, home = resource_region(selection), resource_region(store)
        if region and home and region != home:
            return False
        local: Deciding = []
        excluded = _arn_match(get_raw(props, "notResources"), deps_of(selection, "notResources"), store, props,
                              "notResources", local)
        if excluded:
            return False
        checks: list[bool | None] = [None if excluded is None else True]
        resources = get_raw(props, "resources")
        feeders = deps_of(selection, "resources")
        listed_any = bool(feeders) or bool(as_list(resources)) or is_unknown(resources)
        if listed_any:
            checks.append(_arn_match(resources, feeders, store, props, "resources", local))
        tags_given = is_set(props, "selectionTags") or is_set(props, "conditions")
        if tags_given:
            checks.append(_tags_select(props, store, local))
        if not listed_any and not tags_given:
            checks.append(True)  # no criteria at all: every supported resource
        if all(checks):
            return True
        if False in checks:
            return False
        deciding += local
        return None


def _tags_select(props: Any, store: PolicyResource, deciding: Deciding) -> bool | None:
    """selectionTags (any) and conditions (all) hold for the store's tags; None: unknown values decide."""
    tags = known_tags(store)
    if tags is None:
        unknown_own = is_unknown(get_raw(store.props, "tags"))
        deciding.append((store.props, ("tags",)) if unknown_own or store.provider is None
                        else (store.provider.props, ("defaultTags",)))
        return None
    listed = plain(get_raw(props, "selectionTags"))
    conditions = plain(get_raw(props, "conditions"))
    for key, value in (("selectionTags", listed), ("conditions", conditions)):
        if is_unknown(value) or any(is_unknown(v) for v in _leaves(value)):
            deciding.append((props, (key,)))
            return None
    if listed and not any(isinstance(e, dict) and str(e.get("type", "")).upper() == "STRINGEQUALS"
                          and _tag_match(tags, "STRINGEQUALS", str(e.get("key")), e.get("value")) for e in listed):
        return False
    for condition in conditions or []:
        if not isinstance(condition, dict):
            continue
        for operator, entries in condition.items():
            for entry in entries or []:
                key = str(entry.get("key", "")) if isinstance(entry, dict) else ""
                if not key.startswith(TAG_KEY):
                    continue
                if not _tag_match(tags, operator, key[len(TAG_KEY):], entry.get("value")):
                    return False
    return True


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


# --- the data tier's security groups ------------------------------------------------------------------------

SECURITY_GROUPS = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
# Where a data store (or its network endpoint) names its security groups; a key inside an object property
# (`vpcOptions.securityGroupIds`) is read from the object.
STORE_GROUPS: dict[str, tuple[str, str | None, str]] = {
    "aws:rds/cluster:Cluster": ("vpcSecurityGroupIds", None, "DB cluster"),
    "aws:rds/instance:Instance": ("vpcSecurityGroupIds", None, "DB instance"),
    "aws:docdb/cluster:Cluster": ("vpcSecurityGroupIds", None, "DocumentDB cluster"),
    "aws:neptune/cluster:Cluster": ("vpcSecurityGroupIds", None, "Neptune cluster"),
    "aws:redshift/cluster:Cluster": ("vpcSecurityGroupIds", None, "Redshift cluster"),
    "aws:redshiftserverless/workgroup:Workgroup": ("securityGroupIds", None, "Redshift Serverless workgroup"),
    "aws:efs/mountTarget:MountTarget": ("securityGroups", None, "EFS mount target"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("securityGroupIds", None, "ElastiCache replication group"),
    "aws:elasticache/cluster:Cluster": ("securityGroupIds", None, "ElastiCache cluster"),
    "aws:elasticache/serverlessCache:ServerlessCache": ("securityGroupIds", None, "ElastiCache serverless cache"),
    "aws:memorydb/cluster:Cluster": ("securityGroupIds", None, "MemoryDB cluster"),
    "aws:opensearch/domain:Domain": ("vpcOptions", "securityGroupIds", "OpenSearch domain"),
    "aws:elasticsearch/domain:Domain": ("vpcOptions", "securityGroupIds", "Elasticsearch domain"),
    "aws:msk/cluster:Cluster": ("brokerNodeGroupInfo", "securityGroups", "MSK cluster"),
    "aws:fsx/lustreFileSystem:LustreFileSystem": ("securityGroupIds", None, "FSx file system"),
    "aws:fsx/windowsFileSystem:WindowsFileSystem": ("securityGroupIds", None, "FSx file system"),
    "aws:fsx/ontapFileSystem:OntapFileSystem": ("securityGroupIds", None, "FSx file system"),
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem": ("securityGroupIds", None, "FSx file system"),
}
TIER_TAG = "connect:tier"


def data_security_groups(index: Index) -> dict[str, tuple[PolicyResource, list[str]]]:
    """Security group URN -> (the group, what makes it the data tier's): the groups a data store (or its mount
    target) uses, fed or named by known id, and the groups tagged `connect:tier: data` (computed once per index)."""
    cached = index.shared.get("data_security_groups")
    if cached is None:
        cached = index.shared["data_security_groups"] = _data_security_groups(index)
    return dict(cached)


def _data_security_groups(index: Index) -> dict[str, tuple[PolicyResource, list[str]]]:
    groups = index.of_type(*SECURITY_GROUPS)
    by_urn = {g.urn: g for g in groups}
    by_id = {i: g for g in groups if (i := known_str(g.props, "id"))}
    found: dict[str, tuple[PolicyResource, list[str]]] = {}

    def add(group: PolicyResource, why: str) -> None:
        found.setdefault(group.urn, (group, []))[1].append(why)

    for type_, (prop, key, label) in STORE_GROUPS.items():
        for store in index.of_type(type_):
            why = f"{label} '{store.name}'"
            for fed in deps_of(store, prop):
                if fed.urn in by_urn:
                    add(by_urn[fed.urn], why)
            for value in _strings(get_raw(store.props, prop), key):
                for group_id in as_list(value):
                    if isinstance(group_id, str) and group_id in by_id:
                        add(by_id[group_id], why)
    for group in groups:
        tags = known_tags(group)
        if tags and tags.get(TIER_TAG) == "data":
            add(group, f"tagged {TIER_TAG}: data")
    for _, reasons in found.values():
        reasons[:] = list(dict.fromkeys(reasons))
    return found


# --- security group egress ------------------------------------------------------------------------------------
# A security group created by pulumi-aws without `egress` has no egress rule at all: the provider revokes the
# allow-all rule AWS adds to a new VPC security group ("NOTE on Egress rules",
# https://www.pulumi.com/registry/packages/aws/api-docs/ec2/securitygroup/). Its egress is what the inline
# `egress` blocks, `SecurityGroupEgressRule`s and `SecurityGroupRule`s of type egress declare.

EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"


@dataclass
class Egress:
    """One egress permission of a security group: where it is declared and what it opens to."""

    where: str  # how findings name it
    urn: str  # where findings go
    ports: str
    cidrs: list[str]  # known IPv4 and IPv6 CIDRs
    prefix_lists: int  # prefix lists named (AWS service ranges or the client's networks: outside the VPC)


def _entry_egress(entry: dict[str, Any], props: Any, path: tuple[Any, ...], keys: dict[str, str],
                  where: str, urn: str, deciding: Deciding) -> Egress:
    cidrs: list[str] = []
    prefix_lists = 0
    for key in (keys["v4"], keys["v6"]):
        value = entry.get(key)
        for index, cidr in enumerate(as_list(value) if not is_unknown(value) else [value]):
            if is_unknown(cidr):
                deciding.append((props, (*path, key) if is_unknown(value) else (*path, key, index)))
            elif isinstance(cidr, str) and cidr:
                cidrs.append(cidr)
    value = entry.get(keys["prefix"])
    if is_unknown(value):
        prefix_lists += 1
    else:
        prefix_lists += len([v for v in as_list(value) if v])
    ports = port_label(entry.get(keys["protocol"]), entry.get("fromPort"), entry.get("toPort"))
    return Egress(where, urn, ports, cidrs, prefix_lists)


INLINE_KEYS = {"v4": "cidrBlocks", "v6": "ipv6CidrBlocks", "prefix": "prefixListIds", "protocol": "protocol"}
RULE_KEYS = {"v4": "cidrIpv4", "v6": "cidrIpv6", "prefix": "prefixListId", "protocol": "ipProtocol"}
LEGACY_KEYS = {"v4": "cidrBlocks", "v6": "ipv6CidrBlocks", "prefix": "prefixListIds", "protocol": "protocol"}


def group_egress(index: Index, group: PolicyResource, deciding: Deciding) -> list[Egress]:
    """Every egress permission of a security group (inline, standalone rules that name it by dependency or id)."""
    found: list[Egress] = []
    inline = plain(get_raw(group.props, "egress"))
    if is_unknown(inline):
        deciding.append((group.props, ("egress",)))
    for position, entry in enumerate(inline if isinstance(inline, list) else []):
        if isinstance(entry, dict):
            found.append(_entry_egress(entry, group.props, ("egress", position), INLINE_KEYS, f"egress[{position}]",
                                       group.urn, deciding))
    names = [n for n in (known_str(group.props, "id"),) if n]
    for rule in index.fed(group, (EGRESS_RULE, LEGACY_RULE), "securityGroupId", names):
        props = plain(rule.props)
        keys = RULE_KEYS
        if rule.resource_type == LEGACY_RULE:
            kind = props.get("type")
            if is_unknown(kind):
                deciding.append((rule.props, ("type",)))
                continue
            if kind != "egress":
                continue
            keys = LEGACY_KEYS
        found.append(_entry_egress(props, rule.props, (), keys, f"rule '{rule.name}'", rule.urn, deciding))
    return found
