"""AWS rules that no provider schema states, checked over every plan.

The provider's schema accepts each of these inputs; AWS refuses them at `pulumi up`, or accepts them
and the platform breaks at the first failover. Each rule is a small function in `RULES` with the AWS
document it comes from (`source`, checked against the published page), and the resource types it
reads. A finding is an `EngineError` with check `aws-rule:<id>`, the property path inside the
resource's wire-format inputs (`policy.Statement[1].Resource[0]`) and a message saying what is wrong
and what AWS accepts. Unknown values (preview) are never guessed at: a rule judges what is known and
follows property dependencies, which the engine knows in preview too.

create-ordering: the "must exist first" cases considered among the types the committed stacks use.
Encoded (`ORDERINGS`, each with its source):
* S3 replication configuration after the versioning of its source and destination buckets
  (PutBucketReplication refuses until both are versioned);
* ECS service with `loadBalancers` after a listener or listener rule forwarding to its target group
  (CreateService refuses a target group with no associated load balancer);
* Application Auto Scaling policy after its scalable target (PutScalingPolicy needs a registered target);
* public NAT gateway after its VPC's internet gateway;
* backup vault lock configuration / vault policy / vault notifications after the vault they name;
* CloudTrail trail after its bucket's policy (CreateTrail checks that CloudTrail may write);
* load balancer with access logs after its log bucket's policy (ELB checks that it may write).
Considered, not encoded: scalable target after its ECS service (AWS documents no "must exist" for
RegisterScalableTarget), VPN connection route after its connection and VPN gateway route propagation
after its gateway (both name an id only the created resource has, so a property dependency always
exists), listener rule after its listener, EFS mount target after its file system, cluster instance
after its cluster, KMS alias after its key, SNS subscription after its topic, ECR lifecycle/repository
policy after the repository, event target after its rule (the program feeds each from its parent's
output, so Pulumi already orders them; none is a documented refusal beyond "not found"), EIP
association after the internet gateway (the program associates EIPs only through NAT gateways), flow log
after its role's policy (AWS creates the flow log and reports delivery errors later, it does not refuse).

Names: only explicit names are checked (auto-names are the provider's). A `*Prefix` input gets the
provider's 26-character unique suffix (the Terraform plugin SDK's `id.UniqueIDSuffixLength`), so its
limit is the name's limit minus 26; the characters are AWS's.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from components.limits import FARGATE_SIZES
from connectctl.engine.capture import SECRET_SIG_KEY, CapturedResource
from connectctl.engine.findings import EngineError
from connectctl.engine.regions import provider_urn
from connectctl.engine.sdk import UNKNOWN_SENTINELS

Finding = tuple[str, str, str]  # (urn, property path, message)

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ECS_SERVICE = "aws:ecs/service:Service"
TARGET_GROUPS = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
INTERNET_GATEWAYS = ("aws:ec2/internetGateway:InternetGateway",
                     "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment")
VAULT = "aws:backup/vault:Vault"
VAULT_CHILDREN = ("aws:backup/vaultPolicy:VaultPolicy", "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
                  "aws:backup/vaultNotifications:VaultNotifications")
TRAIL = "aws:cloudtrail/trail:Trail"
CUSTOMER_GATEWAY = "aws:ec2/customerGateway:CustomerGateway"
VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
KMS_KEYS = ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey", "aws:kms/alias:Alias")

ARN = re.compile(r"(?<![\w-])arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):(?P<region>[^:\s\"']*):(?P<account>[^:\s\"']*)"
                 r":(?P<resource>[^\s\"',]+)")
ECR_HOST = re.compile(r"(?<![\w-])\d{12}\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com")
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
# Services whose resources have no region (IAM, Route 53 except the Resolver, CloudFront...).
GLOBAL_MODULES = frozenset({"iam", "cloudfront", "organizations", "waf", "shield", "globalaccelerator", "budgets",
                            "costexplorer", "account", "route53domains", "networkmanager", "cur"})


# --- reading wire-format inputs ---------------------------------------------------------------------

def _unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def _reveal(value: Any) -> tuple[Any, bool]:
    """The value behind a secret wrapper, and whether it was secret."""
    if isinstance(value, dict) and SECRET_SIG_KEY in value:
        return _reveal(value.get("value"))[0], True
    return value, False


def _known(value: Any) -> Any:
    """The plain value (secret unwrapped), None when unknown."""
    value = _reveal(value)[0]
    return None if _unknown(value) else value


def _known_str(value: Any) -> str | None:
    value = _known(value)
    return value if isinstance(value, str) and value else None


def _json(text: str) -> Any:
    """A JSON document held in a string (policies, container definitions), None when the string is not one."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict | list) else None


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _leaves(value: Any, path: str = "", secret: bool = False) -> Iterator[tuple[str, str, bool]]:
    """(path, text, secret) for every known string inside an input, JSON documents included (their paths continue
    inside the document: `policy.Statement[0].Resource`)."""
    value, hidden = _reveal(value)
    secret = secret or hidden
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, _key(path, str(key)), secret)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]", secret)
    elif isinstance(value, str) and not _unknown(value):
        doc = _json(value)
        if doc is None:
            yield path, value, secret
        else:
            yield from _leaves(doc, path, secret)


def _show(text: str, secret: bool) -> str:
    """A value for a message: never a secret's text."""
    return "[secret]" if secret else f"'{text}'"


def _glob(pattern: str) -> re.Pattern[str]:
    """A path pattern (`rules[*].destination`) as a regex matching that path (`rules[0].destination`) and every path
    inside it (`rules[0].destination.bucket`), with `re.match`."""
    return re.compile(re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]") + r"(?=$|[.\[])")


# --- the plan as the rules see it ---------------------------------------------------------------------

class Stack:
    """A plan's resources with the lookups the rules share: by URN, region, what fed a property, ordering.

    `region` is the stack's region (resources on the default provider live there); `account_id` the tenant account.
    """

    def __init__(self, resources: Iterable[CapturedResource], region: str, account_id: str) -> None:
        self.resources = list(resources)
        self.region = region
        self.account_id = account_id
        self.by_urn = {r.urn: r for r in self.resources}
        self._ancestors: dict[str, frozenset[str]] = {}

    def of_type(self, *types: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type in types]

    def provider_region(self, resource: CapturedResource) -> str | None:
        """The region of the resource's provider: the stack's for the default provider (or an explicit one without a
        region), None when the provider is not in the plan or its region is unknown."""
        if not resource.provider:
            return self.region
        provider = self.by_urn.get(provider_urn(resource.provider))
        if provider is None:
            return None
        region = _reveal(provider.inputs.get("region"))[0]
        if region is None:
            return self.region
        return region if isinstance(region, str) and REGION.match(region) else None

    def region_of(self, resource: CapturedResource) -> str | None:
        """The region a regional AWS resource lives in (its own `region` input, else its provider's); None for global
        services (IAM, Route 53, CloudFront...), components, providers and unknown regions."""
        if not resource.custom or not is_regional(resource.type):
            return None
        own = _known_str(resource.inputs.get("region"))
        if own and REGION.match(own):
            return own
        return self.provider_region(resource)

    def fed(self, resource: CapturedResource, prop: str, *types: str) -> list[CapturedResource]:
        """Resources of `types` that fed `prop` (the engine's property dependencies, known in preview)."""
        found = (self.by_urn.get(urn) for urn in resource.property_dependencies.get(prop, []))
        return [r for r in found if r is not None and (not types or r.type in types)]

    def ancestors(self, urn: str) -> frozenset[str]:
        """Every URN the resource waits for: its dependencies, transitively."""
        if urn not in self._ancestors:
            seen: set[str] = set()
            stack = list(self.by_urn[urn].dependencies) if urn in self.by_urn else []
            while stack:
                current = stack.pop()
                if current in seen:
                    continue
                seen.add(current)
                if current in self._ancestors:
                    seen |= self._ancestors[current]
                elif current in self.by_urn:
                    stack.extend(self.by_urn[current].dependencies)
            self._ancestors[urn] = frozenset(seen)
        return self._ancestors[urn]

    def waits_for(self, resource: CapturedResource, prerequisite: CapturedResource) -> bool:
        """`resource` is created only after `prerequisite` (a direct or transitive dependency)."""
        return prerequisite.urn in self.ancestors(resource.urn)

    def named(self, types: tuple[str, ...], name: Any, *keys: str) -> list[CapturedResource]:
        """Resources of `types` whose known `keys` (inputs, then outputs) equal `name`."""
        if not isinstance(name, str) or not name or _unknown(name):
            return []
        return [r for r in self.of_type(*types)
                if any(_known_str(r.inputs.get(k)) == name or _known_str(r.outputs.get(k)) == name for k in keys)]


def is_regional(type_: str) -> bool:
    """An AWS resource type whose resources live in one region."""
    if not type_.startswith("aws:"):
        return False
    module = type_.split(":")[1].split("/")[0]
    if module == "route53":
        return type_.split("/")[1].startswith("resolver")
    return module not in GLOBAL_MODULES


def _bucket_name(bucket: CapturedResource) -> str | None:
    return _known_str(bucket.inputs.get("bucket")) or _known_str(bucket.outputs.get("bucket"))


def _buckets_named(stack: Stack, value: Any) -> list[CapturedResource]:
    """The stack's buckets a known name or S3 ARN designates."""
    name = _known_str(value)
    if name is None:
        return []
    name = name.removeprefix("arn:aws:s3:::")
    return [b for b in stack.of_type(*BUCKETS) if _bucket_name(b) == name]


def _unique(resources: Iterable[CapturedResource]) -> list[CapturedResource]:
    return list({r.urn: r for r in resources}.values())


# --- 1. secretsmanager-arn-in-iam ---------------------------------------------------------------------

# Where resources hold IAM policy documents (JSON strings, or lists of objects holding them).
POLICY_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/role:Role": ("inlinePolicies", "assumeRolePolicy"),
    "aws:kms/key:Key": ("policy",),
    "aws:kms/keyPolicy:KeyPolicy": ("policy",),
    "aws:secretsmanager/secretPolicy:SecretPolicy": ("policy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:sns/topic:Topic": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("policy",),
    "aws:backup/vaultPolicy:VaultPolicy": ("policy",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("policy",),
}
SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:(?P<name>.+)$")


def _statements(value: Any, path: str, secret: bool = False) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(path, statement, secret?) for every statement of every policy document inside an input."""
    value, hidden = _reveal(value)
    secret = secret or hidden
    if isinstance(value, str) and not _unknown(value):
        value = _json(value)
    if isinstance(value, dict):
        found = value.get("Statement")
        if isinstance(found, dict):
            yield _key(path, "Statement"), found, secret
        elif isinstance(found, list):
            for index, statement in enumerate(found):
                if isinstance(statement, dict):
                    yield f"{_key(path, 'Statement')}[{index}]", statement, secret
        for key, item in value.items():
            if key != "Statement":
                yield from _statements(item, _key(path, key), secret)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _statements(item, f"{path}[{index}]", secret)


def _secrets_manager_arns_in_iam(stack: Stack) -> Iterator[Finding]:
    """A bare-name secret ARN matches no secret: Secrets Manager appends `-` and 6 random characters to every ARN."""
    for resource in stack.resources:
        for prop in POLICY_DOCUMENTS.get(resource.type, ()):
            for path, statement, secret in _statements(resource.inputs.get(prop), prop):
                for key in ("Resource", "NotResource"):
                    entries = statement.get(key)
                    listed = entries if isinstance(entries, list) else [entries]
                    for index, entry in enumerate(listed):
                        match = SECRET_ARN.match(entry) if isinstance(entry, str) else None
                        if match is None:
                            continue
                        name = match["name"]
                        if name.endswith(("*", "-??????")) or SECRET_SUFFIX.search(name):
                            continue
                        where = f"{path}.{key}[{index}]" if isinstance(entries, list) else f"{path}.{key}"
                        yield resource.urn, where, (
                            f"{_show(entry, secret)} names a Secrets Manager secret without the 6-character suffix "
                            f"Secrets Manager appends to every secret ARN, so it matches no secret; IAM needs the "
                            f"full ARN (…:secret:{'[secret]' if secret else name}-AbCdEf), the suffix wildcard "
                            f"…-?????? or a trailing *")


# --- 2. ecs-secret-reference ---------------------------------------------------------------------------

def _container_definitions(task: CapturedResource) -> tuple[list[Any], bool]:
    value, secret = _reveal(task.inputs.get("containerDefinitions"))
    doc = _json(value) if isinstance(value, str) and not _unknown(value) else value
    return (doc if isinstance(doc, list) else []), secret


def _secret_references(containers: list[Any]) -> Iterator[tuple[str, Any, bool]]:
    """(path, reference, registry credentials?) for every secret a task's containers read."""
    for i, container in enumerate(containers):
        if not isinstance(container, dict):
            continue
        for j, item in enumerate(container.get("secrets") or []):
            if isinstance(item, dict):
                yield f"containerDefinitions[{i}].secrets[{j}].valueFrom", item.get("valueFrom"), False
        logging = container.get("logConfiguration")
        if isinstance(logging, dict):
            for j, item in enumerate(logging.get("secretOptions") or []):
                if isinstance(item, dict):
                    yield (f"containerDefinitions[{i}].logConfiguration.secretOptions[{j}].valueFrom",
                           item.get("valueFrom"), False)
        credentials = container.get("repositoryCredentials")
        if isinstance(credentials, dict):
            yield (f"containerDefinitions[{i}].repositoryCredentials.credentialsParameter",
                   credentials.get("credentialsParameter"), True)


def _secret_reference_problem(reference: str, registry: bool) -> str | None:
    """What ECS refuses in a secret reference; None when the form is accepted."""
    arn = ARN.fullmatch(reference)
    if not reference.startswith("arn:"):
        return None  # a name: a parameter (or, for registry credentials, a secret) of the task's region
    if arn is None:
        return "is not a well-formed ARN"
    service, resource = arn["service"], arn["resource"]
    if service == "ssm" and not registry:
        return None if resource.startswith("parameter/") else "is an SSM ARN but not of a parameter (parameter/…)"
    if service != "secretsmanager":
        what = "a Secrets Manager secret" + ("" if registry else " or an SSM Parameter Store parameter")
        return f"is a {service} ARN; ECS reads it only from {what}"
    if not resource.startswith("secret:"):
        return "is a Secrets Manager ARN but not of a secret (secret:…)"
    name, *extra = resource.removeprefix("secret:").split(":")
    if extra and (registry or len(extra) != 3):
        return f"has {len(extra)} field(s) after the secret name"
    if not SECRET_SUFFIX.search(name):
        return "is a partial Secrets Manager ARN: the secret name lacks the '-' and 6 characters AWS appends"
    return None


def _ecs_secret_references(stack: Stack) -> Iterator[Finding]:
    """`secrets[].valueFrom`, log `secretOptions` and `repositoryCredentials` in the forms ECS accepts."""
    for task in stack.of_type(TASK_DEFINITION):
        containers, secret = _container_definitions(task)
        for path, reference, registry in _secret_references(containers):
            if not isinstance(reference, str) or _unknown(reference):
                continue
            problem = _secret_reference_problem(reference, registry)
            if problem:
                accepted = ("the full ARN of a Secrets Manager secret, or its name when it is in the task's region"
                            if registry else
                            "the full ARN of a Secrets Manager secret (optionally :json-key:version-stage:version-id), "
                            "or an SSM parameter's full ARN (its name when it is in the task's region)")
                yield task.urn, path, f"{_show(reference, secret)} {problem}; ECS accepts {accepted}"


# --- 3. region-locality ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegionException:
    """A declared cross-region reference: `path` of `type` may name a resource of another region.

    `targets`: the types the referenced resource may have (property dependencies); `arns`: prefixes of
    `service:resource` a referenced ARN may have (empty: any). Paths use `[*]` for any list index.
    """

    type: str
    path: str
    targets: tuple[str, ...]
    why: str
    source: str
    arns: tuple[str, ...] = ()

    def allows_path(self, type_: str, path: str, arn: re.Match[str] | None) -> bool:
        if type_ != self.type or not _glob(self.path).match(path):
            return False
        kind = f"{arn['service']}:{arn['resource']}" if arn else ""
        return not self.arns or any(kind.startswith(prefix) for prefix in self.arns)

    def allows_dependency(self, type_: str, prop: str, target: str) -> bool:
        top = re.split(r"[.\[]", self.path, maxsplit=1)[0]
        return type_ == self.type and prop == top and (not self.targets or target in self.targets)


S3_REPLICATION_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html"
REGION_EXCEPTIONS: tuple[RegionException, ...] = (
    RegionException(REPLICATION, "rules[*].destination.bucket", BUCKETS,
                    "S3 Cross-Region Replication destination bucket", S3_REPLICATION_DOC),
    RegionException(REPLICATION, "rules[*].destination.encryptionConfiguration.replicaKmsKeyId", KMS_KEYS,
                    "the destination region's key that encrypts replicas", S3_REPLICATION_DOC),
    RegionException("aws:backup/plan:Plan", "rules[*].copyActions[*].destinationVaultArn", (VAULT,),
                    "AWS Backup cross-Region copy destination vault",
                    "https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html"),
    RegionException("aws:efs/replicationConfiguration:ReplicationConfiguration", "destination.kmsKeyId", KMS_KEYS,
                    "EFS replication destination key",
                    "https://docs.aws.amazon.com/efs/latest/ug/efs-replication.html"),
    RegionException("aws:efs/replicationConfiguration:ReplicationConfiguration", "destination.fileSystemId",
                    ("aws:efs/fileSystem:FileSystem",), "EFS replication to an existing destination file system",
                    "https://docs.aws.amazon.com/efs/latest/ug/efs-replication.html"),
    RegionException("aws:kms/replicaKey:ReplicaKey", "primaryKeyArn", ("aws:kms/key:Key",),
                    "multi-Region replica key of its primary key",
                    "https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html"),
    RegionException("aws:kms/replicaExternalKey:ReplicaExternalKey", "primaryKeyArn",
                    ("aws:kms/externalKey:ExternalKey",), "multi-Region replica key of its primary key",
                    "https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html"),
    RegionException("aws:rds/cluster:Cluster", "replicationSourceIdentifier", ("aws:rds/cluster:Cluster",),
                    "Aurora cross-Region read replica source cluster",
                    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Replication.CrossRegion.html"),
    RegionException("aws:rds/instance:Instance", "replicateSourceDb", ("aws:rds/instance:Instance",),
                    "RDS cross-Region read replica source instance",
                    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html"),
    RegionException("aws:secretsmanager/secret:Secret", "replicas[*].kmsKeyId", KMS_KEYS,
                    "Secrets Manager replica's key in the replica region",
                    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html"),
    RegionException("aws:cloudwatch/dashboard:Dashboard", "dashboardBody", (),
                    "CloudWatch cross-Region dashboard widgets (each widget names its region)",
                    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Cross-Account-Cross-Region.html"),
    RegionException("aws:cloudwatch/eventTarget:EventTarget", "arn", ("aws:cloudwatch/eventBus:EventBus",),
                    "EventBridge event bus in another Region as a rule target",
                    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html",
                    arns=("events:event-bus/",)),
)
# ECR replication (`replicationConfiguration.rules[*].destinations[*].region`) and EFS replication
# (`destination.region`) name regions, not resources: nothing to except.


def _region_references(text: str) -> Iterator[tuple[str, str, re.Match[str] | None]]:
    """(reference, region, ARN match) for every ARN with a region and every ECR registry host inside a string."""
    for match in ARN.finditer(text):
        if REGION.match(match["region"]):
            yield match[0], match["region"], match
    for match in ECR_HOST.finditer(text):
        yield match[0], match["region"], None


def _region_locality(stack: Stack) -> Iterator[Finding]:
    """A regional resource names no resource of another region, except the declared replication/copy targets."""
    for resource in stack.resources:
        home = stack.region_of(resource)
        if home is None:
            continue
        named_props: set[str] = set()
        for path, text, secret in _leaves(resource.inputs):
            for reference, region, arn in _region_references(text):
                if region == home or any(e.allows_path(resource.type, path, arn) for e in REGION_EXCEPTIONS):
                    continue
                named_props.add(re.split(r"[.\[]", path, maxsplit=1)[0])
                yield resource.urn, path, (
                    f"{_show(reference, secret)} is in {region}, but this resource is in {home}; a regional resource "
                    f"may only name resources of its own region (except declared replication and copy targets, "
                    f"aws_rules.REGION_EXCEPTIONS): name the {home} counterpart (a replica) instead")
        for prop, urns in resource.property_dependencies.items():
            if prop in named_props:
                continue  # already reported through the value it holds
            for urn in urns:
                dependency = stack.by_urn.get(urn)
                there = stack.region_of(dependency) if dependency else None
                if dependency is None or there is None or there == home:
                    continue
                if any(e.allows_dependency(resource.type, prop, dependency.type) for e in REGION_EXCEPTIONS):
                    continue
                yield resource.urn, prop, (
                    f"is fed by {dependency.type.rsplit(':', 1)[-1]} '{dependency.name}' in {there}, but this "
                    f"resource is in {home}; a regional resource may only use resources of its own region (except "
                    f"declared replication and copy targets, aws_rules.REGION_EXCEPTIONS)")


# --- 4. create-ordering -------------------------------------------------------------------------------------

def _wait(stack: Stack, resource: CapturedResource, prerequisites: list[CapturedResource]) -> bool:
    return any(stack.waits_for(resource, p) for p in prerequisites)


def _names(resources: Iterable[CapturedResource]) -> str:
    return ", ".join(f"'{r.name}'" for r in resources)


def _after(stack: Stack, resource: CapturedResource, path: str, prerequisites: list[CapturedResource],
           missing: str, unordered: str) -> Iterator[Finding]:
    """`missing` when the stack has none of the `prerequisites`; when `resource` waits for none of them,
    "does not depend on <their names>, `unordered`: add it to depends_on"."""
    if not prerequisites:
        yield resource.urn, path, missing
    elif not _wait(stack, resource, prerequisites):
        yield resource.urn, path, (
            f"does not depend on {_names(prerequisites)}, {unordered}: add it to depends_on")


def _replication_after_versioning(stack: Stack) -> Iterator[Finding]:
    """S3 refuses PutBucketReplication until versioning is enabled on the source and every destination bucket."""
    for config in stack.of_type(REPLICATION):
        sources = _unique(stack.fed(config, "bucket", *BUCKETS) + _buckets_named(stack, config.inputs.get("bucket")))
        pairs = [("bucket", "source", b) for b in sources]
        rules = _known(config.inputs.get("rules"))
        fed_rules = [b for b in stack.fed(config, "rules", *BUCKETS) if b not in sources]
        for index, rule in enumerate(rules if isinstance(rules, list) else []):
            destination = rule.get("destination") if isinstance(rule, dict) else None
            target = destination.get("bucket") if isinstance(destination, dict) else None
            found = _buckets_named(stack, target) if _known_str(target) else fed_rules
            pairs += [(f"rules[{index}].destination.bucket", "destination", b) for b in found]
        for path, role, bucket in pairs:
            versionings = [v for v in stack.of_type(*VERSIONING) if bucket in stack.fed(v, "bucket")
                           or bucket in _buckets_named(stack, v.inputs.get("bucket"))]
            enabled = [v for v in versionings if _versioning_status(v) in ("Enabled", None)]
            yield from _after(
                stack, config, path, enabled,
                f"the {role} bucket '{bucket.name}' has no aws.s3.BucketVersioning with status Enabled; S3 refuses "
                f"PutBucketReplication until versioning is enabled on the source and destination buckets",
                f"the versioning of the {role} bucket '{bucket.name}'; S3 refuses PutBucketReplication until "
                f"versioning is enabled on both buckets")


def _versioning_status(versioning: CapturedResource) -> str | None:
    """The configured status, None when unknown."""
    block = _known(versioning.inputs.get("versioningConfiguration"))
    status = block.get("status") if isinstance(block, dict) else None
    return status if isinstance(status, str) and not _unknown(status) else None


def _forwarders(stack: Stack, group: CapturedResource) -> list[CapturedResource]:
    """Listeners and listener rules whose actions forward to the target group (fed by it, or naming its known ARN)."""
    arn = _known_str(group.outputs.get("arn"))
    found = []
    for resource, prop in [(r, "defaultActions") for r in stack.of_type(*LISTENERS)] + [
            (r, "actions") for r in stack.of_type(*LISTENER_RULES)]:
        named = arn is not None and any(text == arn for _, text, _ in _leaves(resource.inputs.get(prop)))
        if group in stack.fed(resource, prop) or named:
            found.append(resource)
    return found


def _service_after_listener(stack: Stack) -> Iterator[Finding]:
    """ECS refuses a target group with no associated load balancer: the listener (rule) forwarding to it comes first."""
    for service in stack.of_type(ECS_SERVICE):
        entries = _known(service.inputs.get("loadBalancers"))
        entries = entries if isinstance(entries, list) else []
        arns = {_known_str(e.get("targetGroupArn")) for e in entries if isinstance(e, dict)} - {None}
        groups = _unique(stack.fed(service, "loadBalancers", *TARGET_GROUPS) + [
            g for g in stack.of_type(*TARGET_GROUPS) if _known_str(g.outputs.get("arn")) in arns])
        path = "loadBalancers[0]" if len(entries) == 1 else "loadBalancers"
        for group in groups:
            yield from _after(
                stack, service, path, _forwarders(stack, group),
                f"target group '{group.name}' is forwarded to by no listener or listener rule of this stack; ECS "
                f"refuses a target group with no associated load balancer: forward to it from a listener (rule)",
                f"which associate target group '{group.name}' with its load balancer; ECS refuses the target group "
                f"until then")


def _policy_after_target(stack: Stack) -> Iterator[Finding]:
    """PutScalingPolicy needs the scalable target (namespace, resource id, dimension) registered first."""
    keys = ("serviceNamespace", "resourceId", "scalableDimension")
    for policy in stack.of_type(SCALING_POLICY):
        fed = _unique(t for k in keys for t in stack.fed(policy, k, SCALABLE_TARGET))
        triple = tuple(_known_str(policy.inputs.get(k)) for k in keys)
        matching = [t for t in stack.of_type(SCALABLE_TARGET)
                    if None not in triple and tuple(_known_str(t.inputs.get(k)) for k in keys) == triple]
        targets = _unique(fed + matching)
        if targets and not _wait(stack, policy, targets):
            yield policy.urn, "resourceId", (
                f"does not depend on scalable target {_names(targets)}; Application Auto Scaling refuses a scaling "
                f"policy until its scalable target is registered: add it to depends_on")
        elif not targets and None not in triple and not fed:
            yield policy.urn, "resourceId", (
                f"no aws.appautoscaling.Target of this stack registers {'/'.join(str(t) for t in triple)}; "
                f"Application Auto Scaling refuses a scaling policy for an unregistered scalable target")


def _nat_after_internet_gateway(stack: Stack) -> Iterator[Finding]:
    """A public NAT gateway needs its VPC's internet gateway attached."""
    for nat in stack.of_type(NAT_GATEWAY):
        if _known_str(nat.inputs.get("connectivityType")) == "private":
            continue
        subnets = stack.fed(nat, "subnetId", SUBNET)
        vpcs = _unique(v for s in subnets for v in stack.fed(s, "vpcId", VPC))
        for vpc in vpcs:
            gateways = [g for g in stack.of_type(*INTERNET_GATEWAYS) if vpc in stack.fed(g, "vpcId")]
            yield from _after(
                stack, nat, "subnetId", gateways,
                f"VPC '{vpc.name}' has no internet gateway in this stack; a public NAT gateway needs the VPC's "
                f"internet gateway attached (or connectivity_type='private')",
                f"the internet gateway of VPC '{vpc.name}'; a public NAT gateway needs it attached first")


def _vault_children_after_vault(stack: Stack) -> Iterator[Finding]:
    """Vault lock, policy and notifications name an existing vault."""
    for child in stack.of_type(*VAULT_CHILDREN):
        vaults = _unique(stack.fed(child, "backupVaultName", VAULT)
                         + stack.named((VAULT,), _known_str(child.inputs.get("backupVaultName")), "name"))
        if vaults and not _wait(stack, child, vaults):
            yield child.urn, "backupVaultName", (
                f"does not depend on backup vault {_names(vaults)}; AWS Backup refuses it until the vault exists: "
                f"pass vault.name (or add depends_on)")


def _after_bucket_policy(stack: Stack, resource: CapturedResource, prop: str, value: Any,
                         who: str) -> Iterator[Finding]:
    buckets = _unique(stack.fed(resource, prop, *BUCKETS) + _buckets_named(stack, value))
    for bucket in buckets:
        policies = [p for p in stack.of_type(BUCKET_POLICY)
                    if bucket in stack.fed(p, "bucket") or bucket in _buckets_named(stack, p.inputs.get("bucket"))]
        yield from _after(
            stack, resource, prop, policies,
            f"bucket '{bucket.name}' has no aws.s3.BucketPolicy in this stack; {who} refuses a bucket whose policy "
            f"does not let it write",
            f"the policy of bucket '{bucket.name}'; {who} checks that the policy lets it write when the resource is "
            f"created")


def _trail_after_bucket_policy(stack: Stack) -> Iterator[Finding]:
    """CreateTrail fails (InsufficientS3BucketPolicyException) before the bucket policy lets CloudTrail write."""
    for trail in stack.of_type(TRAIL):
        yield from _after_bucket_policy(stack, trail, "s3BucketName", trail.inputs.get("s3BucketName"), "CloudTrail")


def _access_logs_after_bucket_policy(stack: Stack) -> Iterator[Finding]:
    """Enabling access logs fails before the bucket policy grants Elastic Load Balancing write access."""
    for balancer in stack.of_type(*LOAD_BALANCERS):
        logs = _known(balancer.inputs.get("accessLogs"))
        if isinstance(logs, dict) and logs.get("enabled") is True:
            yield from _after_bucket_policy(stack, balancer, "accessLogs", logs.get("bucket"),
                                            "Elastic Load Balancing")


@dataclass(frozen=True)
class Ordering:
    """One documented "must exist first": `types` are created after what `check` looks for."""

    name: str
    types: tuple[str, ...]
    source: str
    check: Callable[[Stack], Iterator[Finding]]


ORDERINGS: tuple[Ordering, ...] = (
    Ordering("S3 replication configuration after the versioning of its source and destination buckets",
             (REPLICATION, *VERSIONING, *BUCKETS),
             "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html",
             _replication_after_versioning),
    Ordering("ECS service with loadBalancers after the listener or listener rule forwarding to its target group",
             (ECS_SERVICE, *TARGET_GROUPS, *LISTENERS, *LISTENER_RULES),
             "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html",
             _service_after_listener),
    Ordering("Application Auto Scaling policy after its scalable target", (SCALING_POLICY, SCALABLE_TARGET),
             "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html",
             _policy_after_target),
    Ordering("public NAT gateway after its VPC's internet gateway", (NAT_GATEWAY, SUBNET, VPC, *INTERNET_GATEWAYS),
             "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html", _nat_after_internet_gateway),
    Ordering("backup vault lock, policy and notifications after the vault", (*VAULT_CHILDREN, VAULT),
             "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html",
             _vault_children_after_vault),
    Ordering("CloudTrail trail after its bucket's policy", (TRAIL, *BUCKETS, BUCKET_POLICY),
             "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html",
             _trail_after_bucket_policy),
    Ordering("load balancer access logs after the log bucket's policy", (*LOAD_BALANCERS, *BUCKETS, BUCKET_POLICY),
             "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
             _access_logs_after_bucket_policy),
)


def _create_ordering(stack: Stack) -> Iterator[Finding]:
    """Every encoded ordering (`ORDERINGS`)."""
    for ordering in ORDERINGS:
        yield from ordering.check(stack)


# --- 5. customer-gateway-address --------------------------------------------------------------------------

_net = ipaddress.IPv4Network
# Special-purpose IPv4 blocks (IANA registry, RFC 6890), most specific first; the label says what the address is.
SPECIAL_IPV4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_net("192.0.2.0/24"), "documentation (RFC 5737, TEST-NET-1)"),
    (_net("198.51.100.0/24"), "documentation (RFC 5737, TEST-NET-2)"),
    (_net("203.0.113.0/24"), "documentation (RFC 5737, TEST-NET-3)"),
    (_net("10.0.0.0/8"), "private (RFC 1918)"),
    (_net("172.16.0.0/12"), "private (RFC 1918)"),
    (_net("192.168.0.0/16"), "private (RFC 1918)"),
    (_net("100.64.0.0/10"), "shared address space (RFC 6598)"),
    (_net("0.0.0.0/8"), "\"this network\" (RFC 791)"),
    (_net("127.0.0.0/8"), "loopback (RFC 1122)"),
    (_net("169.254.0.0/16"), "link-local (RFC 3927)"),
    (_net("192.0.0.0/24"), "IETF protocol assignment (RFC 6890)"),
    (_net("198.18.0.0/15"), "benchmarking (RFC 2544)"),
    (_net("224.0.0.0/4"), "multicast (RFC 5771)"),
    (_net("255.255.255.255/32"), "limited broadcast (RFC 919)"),
    (_net("240.0.0.0/4"), "reserved (RFC 1112)"),
)
PRIVATE_VPN_OK = ("private (RFC 1918)", "shared address space (RFC 6598)")


def _address_problem(text: str, private_ok: bool) -> str | None:
    """Why an address cannot be a customer gateway's outside address; None when it can."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return "is not an IP address"
    if not isinstance(address, ipaddress.IPv4Address):
        return "is an IPv6 address"
    for network, label in SPECIAL_IPV4:
        if address in network:
            return None if private_ok and label in PRIVATE_VPN_OK else f"is a {label} address"
    return None if address.is_global else "is not a globally routable address"


def _customer_gateway_address(stack: Stack) -> Iterator[Finding]:
    """A customer gateway's `ipAddress` is the static, internet-routable IPv4 address of its outside interface."""
    for gateway in stack.of_type(CUSTOMER_GATEWAY):
        value, secret = _reveal(gateway.inputs.get("ipAddress"))
        if not isinstance(value, str) or _unknown(value):
            continue
        connections = [c for c in stack.of_type(VPN_CONNECTION) if gateway in stack.fed(c, "customerGatewayId")]
        private_ok = any(_known_str(c.inputs.get("outsideIpAddressType")) == "PrivateIpv4" for c in connections)
        problem = _address_problem(value, private_ok)
        if problem:
            yield gateway.urn, "ipAddress", (
                f"{_show(value, secret)} {problem}; AWS needs the static, internet-routable IPv4 address of the "
                f"customer gateway device's outside interface (an RFC 1918 or RFC 6598 address only for a VPN "
                f"connection with outsideIpAddressType PrivateIpv4)")


# --- 6. fargate-cpu-memory -----------------------------------------------------------------------------------

# Fargate task sizes (Linux): `FARGATE_SIZES` (components/limits.py). Windows supports 1024, 2048 and 4096 only.
FARGATE_WINDOWS_CPU = (1024, 2048, 4096)
_SIZE = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-z]*)\s*$")
CPU_UNITS = {"": 1, "vcpu": 1024}
MEMORY_UNITS = {"": 1, "mib": 1, "mb": 1, "gb": 1024}


def _task_size(value: Any, units: dict[str, int]) -> int | None:
    """CPU units or MiB from `"1024"`, `"1 vCPU"`, `"2 GB"` (the forms a task definition accepts); None otherwise."""
    value = _known(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    match = _SIZE.match(value) if isinstance(value, str) else None
    factor = units.get(match["unit"].lower()) if match else None
    return None if match is None or factor is None else int(float(match["number"]) * factor)


def _memory_choices(cpu: int) -> str:
    values = FARGATE_SIZES[cpu]
    if len(values) <= 3:
        return ", ".join(str(v) for v in values)
    return f"{values[0]} to {values[-1]} in steps of {values[1] - values[0]}"


def _fargate_cpu_memory(stack: Stack) -> Iterator[Finding]:
    """A Fargate task definition's (cpu, memory) is one of the documented task sizes."""
    for task in stack.of_type(TASK_DEFINITION):
        compatibilities = _known(task.inputs.get("requiresCompatibilities"))
        if not isinstance(compatibilities, list) or "FARGATE" not in compatibilities:
            continue
        raw_cpu, raw_memory = _known(task.inputs.get("cpu")), _known(task.inputs.get("memory"))
        if "cpu" not in task.inputs or "memory" not in task.inputs:
            missing = "cpu" if "cpu" not in task.inputs else "memory"
            yield task.urn, missing, "is not set; Fargate requires task-level cpu and memory"
            continue
        if raw_cpu is None or raw_memory is None:
            continue  # unknown in preview
        cpu, memory = _task_size(raw_cpu, CPU_UNITS), _task_size(raw_memory, MEMORY_UNITS)
        platform = _known(task.inputs.get("runtimePlatform"))
        family = platform.get("operatingSystemFamily") if isinstance(platform, dict) else None
        windows = isinstance(family, str) and family.startswith("WINDOWS")
        cpus = FARGATE_WINDOWS_CPU if windows else tuple(FARGATE_SIZES)
        if cpu not in cpus:
            yield task.urn, "cpu", (f"{raw_cpu!r} is not a Fargate task CPU value; Fargate accepts "
                                    f"{', '.join(str(c) for c in cpus)}{' on Windows' if windows else ''}")
        elif memory not in FARGATE_SIZES[cpu]:
            yield task.urn, "memory", (f"{raw_memory!r} MiB is not a Fargate task size with cpu {cpu}; with cpu {cpu} "
                                       f"Fargate accepts memory (MiB) {_memory_choices(cpu)}")


# --- 7. name-lengths -------------------------------------------------------------------------------------------

UNIQUE_SUFFIX = 26  # characters the provider appends to a `*Prefix` input (Terraform's id.PrefixedUniqueId)
IP_FORMAT = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


@dataclass(frozen=True)
class NameRule:
    """AWS's limits on one explicit name input. `chars` is a regex character class body; `shape` a full-match regex
    for the whole name; `prefix` the `*Prefix` input the same limits apply to (minus the provider's suffix)."""

    what: str
    types: tuple[str, ...]
    prop: str
    low: int
    high: int
    chars: str
    allowed: str
    source: str
    prefix: str = ""
    shape: str = ""
    starts: tuple[str, ...] = ()
    not_starts: tuple[str, ...] = ()
    not_ends: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    not_ip: bool = False

    def problems(self, name: str, *, is_prefix: bool = False, fifo: bool = False) -> list[str]:
        high = self.high - UNIQUE_SUFFIX if is_prefix else self.high
        body = name.removesuffix(".fifo") if fifo else name
        found = []
        if len(name) > high or (not is_prefix and len(name) < self.low):
            allowed = f"up to {high}" if is_prefix else f"{self.low}-{high}"
            found.append(f"is {len(name)} characters long (allowed: {allowed})")
        bad = list(dict.fromkeys(re.sub(f"[{self.chars}]", "", body)))
        if bad:
            found.append(f"contains {''.join(bad)!r}")
        if self.shape and not is_prefix and not bad and not re.fullmatch(self.shape, body):
            found.append("does not have the required shape")
        if self.starts and not name.startswith(self.starts):
            found.append(f"does not start with {' or '.join(self.starts)}")
        found += [f"starts with {p!r}" for p in self.not_starts if name.startswith(p)]
        if not is_prefix:
            found += [f"ends with {s!r}" for s in self.not_ends if name.endswith(s)]
        found += [f"contains {s!r}" for s in self.not_contains if s in name]
        if self.not_ip and IP_FORMAT.match(name):
            found.append("is formatted as an IP address")
        return found


_IAM = "A-Za-z0-9_+=,.@-"
_HYPHENATED = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_RDS = r"[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-)"
NAME_RULES: tuple[NameRule, ...] = (
    NameRule("load balancer name", LOAD_BALANCERS, "name", 1, 32, "A-Za-z0-9-",
             "1-32 letters, digits and hyphens, not starting or ending with a hyphen nor starting with internal-",
             "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
             prefix="namePrefix", shape=_HYPHENATED, not_starts=("internal-",)),
    NameRule("target group name", TARGET_GROUPS, "name", 1, 32, "A-Za-z0-9-",
             "1-32 letters, digits and hyphens, not starting or ending with a hyphen",
             "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
             prefix="namePrefix", shape=_HYPHENATED),
    NameRule("IAM role name", ("aws:iam/role:Role",), "name", 1, 64, _IAM,
             "1-64 letters, digits and _+=,.@-",
             "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html", prefix="namePrefix"),
    NameRule("IAM policy name", ("aws:iam/policy:Policy",), "name", 1, 128, _IAM,
             "1-128 letters, digits and _+=,.@-",
             "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html", prefix="namePrefix"),
    NameRule("IAM inline policy name", ("aws:iam/rolePolicy:RolePolicy",), "name", 1, 128, _IAM,
             "1-128 letters, digits and _+=,.@-",
             "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html", prefix="namePrefix"),
    NameRule("ECS cluster name", ("aws:ecs/cluster:Cluster",), "name", 1, 255, "A-Za-z0-9_-",
             "1-255 letters, digits, hyphens and underscores",
             "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html"),
    NameRule("ECS service name", (ECS_SERVICE,), "name", 1, 255, "A-Za-z0-9_-",
             "1-255 letters, digits, hyphens and underscores",
             "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html"),
    NameRule("ECS task definition family", (TASK_DEFINITION,), "family", 1, 255, "A-Za-z0-9_-",
             "1-255 letters, digits, hyphens and underscores",
             "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html"),
    NameRule("CloudWatch log group name", ("aws:cloudwatch/logGroup:LogGroup",), "name", 1, 512, "A-Za-z0-9._/#-",
             "1-512 letters, digits and ._/#-",
             "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
             prefix="namePrefix"),
    NameRule("S3 bucket name", BUCKETS, "bucket", 3, 63, "a-z0-9.-",
             "3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, without "
             "'..', not IP-formatted, without the reserved prefixes and suffixes",
             "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
             prefix="bucketPrefix", shape=r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?",
             not_starts=("xn--", "sthree-", "amzn-s3-demo-"),
             not_ends=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"), not_contains=("..",), not_ip=True),
    NameRule("KMS alias name", ("aws:kms/alias:Alias",), "name", 1, 256, "A-Za-z0-9/_-",
             "1-256 letters, digits and /_-, starting with alias/ but not alias/aws/",
             "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
             prefix="namePrefix", starts=("alias/",), not_starts=("alias/aws/",)),
    NameRule("ECR repository name", ("aws:ecr/repository:Repository",), "name", 2, 256, "a-z0-9._/-",
             "2-256 lowercase letters and digits in components separated by . _ - (namespaces by /)",
             "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html",
             shape=r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"),
    NameRule("SNS topic name", ("aws:sns/topic:Topic",), "name", 1, 256, "A-Za-z0-9_-",
             "1-256 letters, digits, hyphens and underscores (a FIFO topic's name ends with .fifo)",
             "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html", prefix="namePrefix"),
    NameRule("Backup vault name", (VAULT,), "name", 2, 50, "A-Za-z0-9_-",
             "2-50 letters, digits, hyphens and underscores",
             "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html"),
    NameRule("Aurora cluster identifier", ("aws:rds/cluster:Cluster",), "clusterIdentifier", 1, 63, "A-Za-z0-9-",
             "1-63 letters, digits and hyphens, starting with a letter, without a trailing or double hyphen",
             "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html",
             prefix="clusterIdentifierPrefix", shape=_RDS),
    NameRule("DB instance identifier", ("aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance"),
             "identifier", 1, 63, "A-Za-z0-9-",
             "1-63 letters, digits and hyphens, starting with a letter, without a trailing or double hyphen",
             "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
             prefix="identifierPrefix", shape=_RDS),
    NameRule("CloudTrail trail name", (TRAIL,), "name", 3, 128, "A-Za-z0-9._-",
             "3-128 letters, digits and ._-, starting and ending with a letter or digit, no two of ._- adjacent, "
             "not IP-formatted",
             "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html",
             shape=r"[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?![._-]))*(?<![._-])", not_ip=True),
)


def _name_lengths(stack: Stack) -> Iterator[Finding]:
    """Explicit names within AWS's length and character limits (`NAME_RULES`)."""
    for rule in NAME_RULES:
        for resource in stack.of_type(*rule.types):
            fifo = rule.types == ("aws:sns/topic:Topic",) and _known(resource.inputs.get("fifoTopic")) is True
            for prop, is_prefix in ((rule.prop, False), (rule.prefix, True)):
                value, secret = _reveal(resource.inputs.get(prop)) if prop else (None, False)
                if not isinstance(value, str) or _unknown(value):
                    continue
                problems = rule.problems(value, is_prefix=is_prefix, fifo=fifo)
                if fifo and not is_prefix and not value.endswith(".fifo"):
                    problems.append("does not end with .fifo (fifoTopic is true)")
                if problems:
                    limit = (f"; the provider appends {UNIQUE_SUFFIX} characters to a prefix" if is_prefix else "")
                    yield resource.urn, prop, (f"{rule.what} {_show(value, secret)} {', '.join(problems)}; AWS accepts "
                                               f"{rule.allowed}{limit}")


# --- the table ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AwsRule:
    """One AWS rule: its id (`aws-rule:<id>`), what it checks, the AWS document it comes from, what it reads."""

    id: str
    title: str
    source: str
    types: tuple[str, ...]
    check: Callable[[Stack], Iterator[Finding]]
    see_also: tuple[str, ...] = field(default=())


RULES: tuple[AwsRule, ...] = (
    AwsRule("secretsmanager-arn-in-iam",
            "IAM policies name Secrets Manager secrets by full ARN, the -?????? wildcard or a trailing *",
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html",
            tuple(POLICY_DOCUMENTS), _secrets_manager_arns_in_iam,
            ("https://docs.aws.amazon.com/secretsmanager/latest/userguide/permissions_grant-limited-resources.html",)),
    AwsRule("ecs-secret-reference",
            "Task definitions reference secrets and parameters in the forms ECS accepts",
            "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Secret.html",
            (TASK_DEFINITION,), _ecs_secret_references,
            ("https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RepositoryCredentials.html",
             "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html")),
    AwsRule("region-locality",
            "Regional resources reference only resources of their own region, except declared replication and copies",
            "https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/regional-services.html",
            ("*",), _region_locality,
            tuple(sorted({e.source for e in REGION_EXCEPTIONS}))),
    AwsRule("create-ordering",
            "Resources AWS needs first are dependencies (transitively) of what needs them",
            ORDERINGS[0].source, tuple(dict.fromkeys(t for o in ORDERINGS for t in o.types)), _create_ordering,
            tuple(o.source for o in ORDERINGS[1:])),
    AwsRule("customer-gateway-address",
            "Customer gateways have a public, routable IPv4 address",
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CustomerGateway.html",
            (CUSTOMER_GATEWAY, VPN_CONNECTION), _customer_gateway_address,
            ("https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml",)),
    AwsRule("fargate-cpu-memory",
            "Fargate task definitions use a documented (cpu, memory) task size",
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html",
            (TASK_DEFINITION,), _fargate_cpu_memory,
            ("https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html",)),
    AwsRule("name-lengths",
            "Explicit names respect AWS's length and character limits",
            NAME_RULES[0].source, tuple(dict.fromkeys(t for n in NAME_RULES for t in n.types)), _name_lengths,
            tuple(dict.fromkeys(n.source for n in NAME_RULES[1:]))),
)


def check_resources(resources: list[CapturedResource], *, region: str, account_id: str) -> list[EngineError]:
    """Every AWS rule over a plan's resources: deploy errors, sorted by check, URN and path, without duplicates."""
    stack = Stack(resources, region, account_id)
    errors = [EngineError(check=f"aws-rule:{rule.id}", urn=urn, path=path, message=message)
              for rule in RULES for urn, path, message in rule.check(stack)]
    return sorted(dict.fromkeys(errors), key=lambda e: (e.check, e.urn, e.path, e.message))


def table() -> list[dict[str, Any]]:
    """The rules for docs and `--format json` listings: id, title, source, see_also, types, and each rule's own table
    (region exceptions, orderings, name limits)."""
    details: dict[str, list[dict[str, Any]]] = {
        "region-locality": [{"type": e.type, "path": e.path, "targets": list(e.targets), "why": e.why,
                             "source": e.source} for e in REGION_EXCEPTIONS],
        "create-ordering": [{"ordering": o.name, "types": list(o.types), "source": o.source} for o in ORDERINGS],
        "name-lengths": [{"name": n.what, "types": list(n.types), "property": n.prop, "prefix": n.prefix,
                          "allowed": n.allowed, "source": n.source} for n in NAME_RULES],
    }
    return [{"id": r.id, "check": f"aws-rule:{r.id}", "title": r.title, "source": r.source,
             "see_also": list(r.see_also), "types": list(r.types), "details": details.get(r.id, [])} for r in RULES]
