"""Small helpers the rules share: lists, tags, regions, ARNs, graph edges and the stack index.

Values that may be unknown: `unknowns.py`; IAM policy documents: `iam.py`; ECS: `ecs_util.py`; data stores:
`data_util.py`; the SDK's private details: `sdk.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from connect_guardrails.unknowns import Pending, get_raw, is_unknown, known_str, plain, raw


def as_list(value: Any, *, json_text: bool = True) -> list[Any]:
    """A value as a list: None is [], a list (or tuple) its items, anything else one item.

    Provider inputs arrive JSON-encoded (`'["111111111111"]'`), so a known string is decoded first
    (`json_text`); a policy document's fields (`Action`, `Resource`, a principal kind...) are already plain,
    one string or many (`json_text=False`).
    """
    value = raw(value)
    if json_text and isinstance(value, str) and not is_unknown(value):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [value]
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def of_type(resources: Iterable[PolicyResource], *types: str) -> Iterator[PolicyResource]:
    """Resources of the given type tokens."""
    return (r for r in resources if r.resource_type in types)


def deps_of(resource: PolicyResource, prop: str) -> list[PolicyResource]:
    """Resources that fed a property: the engine's property dependencies, known even in preview."""
    return list(resource.property_dependencies.get(prop, []) or [])


def tag(resource_props: Any, key: str) -> Any:
    """One tag value from a resource's `tags` (raw), or None."""
    tags = raw(get_raw(resource_props, "tags"))
    if isinstance(tags, Mapping):
        return tags.get(key)
    return None


def tenant_account(config: Mapping[str, Any] | None, provider_props: Any = None) -> str | None:
    """The tenant account: from the pack config, else the single account the provider is pinned to."""
    if config and config.get("accountId"):
        return str(config["accountId"])
    accounts = as_list(get_raw(provider_props, "allowedAccountIds")) if provider_props is not None else []
    return str(accounts[0]) if len(accounts) == 1 and not is_unknown(accounts[0]) else None


def config_of(args: Any) -> Mapping[str, Any]:
    """The policy's config (schema defaults included by the engine), never None."""
    return args.get_config() or {}


def deps_of_type(resource: PolicyResource, prop: str, *types: str) -> list[PolicyResource]:
    """Resources of the given types that fed a property."""
    return [r for r in deps_of(resource, prop) if r.resource_type in types]


def depends_on(resource: PolicyResource, prop: str, target: PolicyResource) -> bool:
    """`target` fed `resource`'s property (compared by URN, which is known even in preview)."""
    return any(r.urn == target.urn for r in deps_of(resource, prop))


def provider_region(provider: Any) -> str | None:
    """The region an explicit provider is configured for; None for a default, unset or unknown region."""
    if provider is None:
        return None
    region = get_raw(getattr(provider, "props", None), "region")
    return region if isinstance(region, str) and region and not is_unknown(region) else None


def ecr_filter_matches(pattern: str, name: str) -> bool:
    """ECR registry filter semantics: `*` stands for any run of characters and the whole name must match;
    a filter without a wildcard matches every name that contains it."""
    if "*" not in pattern:
        return pattern in name
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), name) is not None


SUBNET_TYPE = "aws:ec2/subnet:Subnet"
# Where a resource names the subnets it places network interfaces in (property dependency keys).
SUBNET_ATTACHMENTS: dict[str, tuple[str, ...]] = {
    "aws:ecs/service:Service": ("networkConfiguration",),
    "aws:lb/loadBalancer:LoadBalancer": ("subnets", "subnetMappings"),
    "aws:alb/loadBalancer:LoadBalancer": ("subnets", "subnetMappings"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("subnetIds",),
    "aws:lambda/function:Function": ("vpcConfig",),
}
# Where the data and cache tiers name their subnets: (type, property naming the subnets).
DATA_PLACEMENTS = (
    ("aws:rds/subnetGroup:SubnetGroup", "subnetIds"),
    ("aws:efs/mountTarget:MountTarget", "subnetId"),
    ("aws:elasticache/subnetGroup:SubnetGroup", "subnetIds"),
    ("aws:docdb/subnetGroup:SubnetGroup", "subnetIds"),
    ("aws:neptune/subnetGroup:SubnetGroup", "subnetIds"),
    ("aws:redshift/subnetGroup:SubnetGroup", "subnetIds"),
    ("aws:memorydb/subnetGroup:SubnetGroup", "subnetIds"),
)


def attached_subnets(resource: PolicyResource) -> list[PolicyResource]:
    """The stack's subnets a service, load balancer or endpoint attaches to (property dependencies, deduplicated)."""
    found: dict[str, PolicyResource] = {}
    for prop in SUBNET_ATTACHMENTS.get(resource.resource_type, ()):
        for subnet in deps_of_type(resource, prop, SUBNET_TYPE):
            found.setdefault(subnet.urn, subnet)
    return list(found.values())


# Data stores and backups: what the data rules share (which resources are data stores: `data_util.py`).
# The tag the program's backup selection selects by: rules require it (through the selection), never select by it.
DATA_STORE_TAG = "connect:backup"
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
STACK_REFERENCE = "pulumi:pulumi:StackReference"
ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):")


def resource_region(resource: PolicyResource) -> str | None:
    """The region a resource lives in: its explicit provider's `region`, else its own known `region` output."""
    return provider_region(resource.provider) or known_str(resource.props, "region")


def _arn_field(value: Any, field: re.Pattern[str]) -> str | None:
    """One field of a known ARN (`field` captures it); None when the ARN leaves it empty, unknowns and non-ARNs."""
    value = raw(value)
    if not isinstance(value, str) or is_unknown(value):
        return None
    match = field.match(value)
    return (match.group(1) or None) if match else None


def arn_region(value: Any) -> str | None:
    """The region field of a known ARN (None for global ARNs such as S3 buckets', unknowns and non-ARNs)."""
    return _arn_field(value, ARN_REGION)


def aws_managed_key(value: Any) -> bool:
    """A known key reference that names an AWS managed key (`alias/aws/...`), not one of the tenant's keys."""
    value = raw(value)
    return isinstance(value, str) and not is_unknown(value) and ("alias/aws/" in value)


def bucket_names(bucket: PolicyResource) -> set[str]:
    """The known ways a bucket's configuration resources name it: its name (`bucket`, `id`) and its ARN."""
    names = {known_str(bucket.props, key) for key in ("bucket", "id", "arn")}
    name = known_str(bucket.props, "bucket") or known_str(bucket.props, "id")
    if name:
        names.add(f"arn:aws:s3:::{name}")
    return {n for n in names if n}


def attached_to(resources: Iterable[PolicyResource], types: tuple[str, ...], prop: str, target: PolicyResource,
                names: set[str] | None = None) -> list[PolicyResource]:
    """Resources of `types` whose `prop` was fed by `target` (property dependency), or whose known `prop`
    is one of `names` (the target's known name, id or ARN)."""
    found = []
    for resource in of_type(resources, *types):
        value = known_str(resource.props, prop)
        if depends_on(resource, prop, target) or (names and value in names):
            found.append(resource)
    return found


def backup_plan_rules(plan: PolicyResource, pending: Pending) -> list[tuple[int, dict[str, Any]]]:
    """(index, rule) for each rule of an `aws:backup/plan:Plan`, as plain dicts; an unknown list goes to `pending`."""
    rules = plain(pending.read(plan.props, "rules"))
    if is_unknown(rules):
        return []
    return [(i, r) for i, r in enumerate(rules or []) if isinstance(r, dict)]


def backup_rule_label(rule: Mapping[str, Any], index: int) -> str:
    """`rule 'daily'`, or `rule #2` when the rule's name is not known."""
    name = rule.get("ruleName")
    return f"rule '{name}'" if isinstance(name, str) and name and not is_unknown(name) else f"rule #{index + 1}"


# Network rules: how a security group or network ACL entry names its traffic.
ALL_PROTOCOLS = frozenset({"-1", "all"})
PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def protocol_name(value: Any) -> str | None:
    """A known protocol as AWS names it: `tcp`, `udp`, `icmp`, `-1` (all)...; numbers (also `6.0`) mapped to
    names. None when unknown or unset."""
    value = raw(value)
    if value is None or is_unknown(value) or value == "":
        return None
    text = str(value).strip().lower()
    try:
        number = float(text)
    except ValueError:
        return "-1" if text == "all" else text
    code = str(int(number)) if number.is_integer() else text
    return PROTOCOL_NAMES.get(code, code)


def port_label(protocol: Any, low: Any, high: Any) -> str:
    """`tcp 443`, `tcp 1024-65535`, `all traffic` or the bare protocol, for findings."""
    name = protocol_name(protocol)
    if name in ALL_PROTOCOLS:
        return "all traffic"
    low, high = raw(low), raw(high)
    if isinstance(low, float | int) and isinstance(high, float | int):
        span = f"{int(low)}" if low == high else f"{int(low)}-{int(high)}"
        return f"{name} {span}"
    return str(name)


# ARNs: `arn:<partition>:<service>:<region>:<account>:<resource>`
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:")


def arn_account(value: Any) -> str | None:
    """The account field of a known ARN (None for ARNs without one, such as S3 buckets', unknowns and non-ARNs)."""
    return _arn_field(value, ARN_ACCOUNT)


_LAST_INDEX: list[tuple[Any, Index]] = []  # (the resources list, its index): one slot, the current run's stack


class Index:
    """The stack's resources indexed once per check: by type, and who feeds whom.

    `fed(target, types, prop, names)` answers "which resources of `types` name `target` in `prop`": the
    target fed the property (a property dependency, known in preview), or the property's known string value
    is one of `names` (the target's known name, id or ARN). Each type is indexed the first time it is asked
    for, in one pass over its resources, so a rule that asks for every store stays linear in the stack
    (`attached_to`, which scans every resource per question, is quadratic over many stores).
    """

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.resources = list(resources)
        self.shared: dict[str, Any] = {}  # what helpers derive from the whole stack once (`data_util.Inventory`...)
        self.by_type: dict[str, list[PolicyResource]] = {}
        for resource in self.resources:
            self.by_type.setdefault(resource.resource_type, []).append(resource)
        self._fed: dict[tuple[str, str, str], list[PolicyResource]] = {}  # (type, prop, feeder URN) -> resources
        self._named: dict[tuple[str, str, str], list[PolicyResource]] = {}  # (type, prop, known value) -> resources
        self._indexed: set[str] = set()

    @classmethod
    def of(cls, resources: Iterable[PolicyResource]) -> Index:
        """The index of a stack policy's `args.resources`, built once for all the stack policies of a run: the engine
        hands each of them the same list (checked by identity, and the list is held, so its id cannot be reused)."""
        if _LAST_INDEX and _LAST_INDEX[0][0] is resources:
            return _LAST_INDEX[0][1]
        index = cls(resources)
        _LAST_INDEX[:] = [(resources, index)]
        return index

    def of_type(self, *types: str) -> list[PolicyResource]:
        """Resources of the given types, type by type in stack order."""
        return [r for t in types for r in self.by_type.get(t, ())]

    def _index(self, type_: str) -> None:
        if type_ in self._indexed:
            return
        self._indexed.add(type_)
        for resource in self.by_type.get(type_, ()):
            for prop, feeders in (resource.property_dependencies or {}).items():
                for feeder in feeders or ():
                    self._fed.setdefault((type_, prop, feeder.urn), []).append(resource)
            props = raw(resource.props)
            if isinstance(props, Mapping):
                for prop, value in props.items():
                    value = raw(value)
                    if isinstance(value, str) and value and not is_unknown(value):
                        self._named.setdefault((type_, prop, value), []).append(resource)

    def fed(self, target: PolicyResource, types: Iterable[str], prop: str,
            names: Iterable[str] = ()) -> list[PolicyResource]:
        """Resources of `types` whose `prop` `target` fed, or whose known `prop` is one of `names` (deduplicated)."""
        found: dict[str, PolicyResource] = {}
        for type_ in types:
            self._index(type_)
            for resource in self._fed.get((type_, prop, target.urn), ()):
                found.setdefault(resource.urn, resource)
            for name in names:
                for resource in self._named.get((type_, prop, name), ()):
                    found.setdefault(resource.urn, resource)
        return list(found.values())


def provider_default_tags(provider: Any) -> dict[str, Any] | None:
    """The tags an explicit provider adds to every resource (`defaultTags.tags`; provider inputs arrive as JSON
    strings); {} when it adds none, None when they are unknown."""
    if provider is None:
        return {}
    value = raw(get_raw(getattr(provider, "props", None), "defaultTags"))
    if isinstance(value, str) and not is_unknown(value):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    value = plain(value)
    if is_unknown(value):
        return None
    tags = value.get("tags") if isinstance(value, Mapping) else None
    if is_unknown(tags):
        return None
    return dict(tags) if isinstance(tags, Mapping) else {}


def known_tags(resource: PolicyResource) -> dict[str, Any] | None:
    """A resource's tags as AWS applies them: its provider's default tags, overridden by its own `tags`; None when
    either is unknown. Computed from what the program declares, not read from `tagsAll`, which a preview does not
    show and a state can hold stale."""
    merged = provider_default_tags(resource.provider)
    own = plain(get_raw(resource.props, "tags"))
    if merged is None or is_unknown(own):
        return None
    if isinstance(own, Mapping):
        merged.update(own)
    return merged


def path_value(value: Any, path: tuple[str, ...]) -> Any:
    """The plain value at `path` inside a plain value; a one-item list on the way (some SDK shapes carry a block
    as a list) is stepped into. An unknown on the way is returned as it is; a missing key gives None."""
    for key in path:
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if is_unknown(value) or not isinstance(value, Mapping):
            return value if is_unknown(value) else None
        value = value.get(key)
    return value
