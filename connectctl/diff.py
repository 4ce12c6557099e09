"""`connectctl diff`: what a stack-file change will do, offline (registered on the main app by `register`).

Both stack files (or one stack file at a git revision and in the working tree) are planned with the real
program (`plan_stack`, update mode: every value known and stable per URN), and the two plans are compared by
URN the way the engine compares a program with its state:

- **created**: only in the new plan; **deleted**: only in the old one;
- **updated**: the *inputs* differ (computed outputs and mock IDs are not compared; a property listed in the
  resource's `ignoreChanges` is not either). JSON documents held in string inputs (policies, container
  definitions) are compared as documents, so a change names the path inside them;
- **replaced**: a changed input is one that forces replacement for the resource's type (`FORCE_NEW`, from the
  provider's schema), or its provider changed or is replaced (pulumi-aws replaces a provider whose `region`
  changes, and the engine replaces every resource of a replaced provider).

Replacement cascades. A replaced resource gets new IDs and ARNs, unknown until it exists, as
`pulumi preview` shows them. So a property of another resource that depends on it (the engine's
`propertyDependencies`) changes: when that property forces replacement (a subnet's `vpcId`), the dependent is
replaced too, otherwise it is updated (an ECS service's subnets). This runs to a fixed point. Two more rules:
a property that depends on a replaced resource is assumed to change even when it only carries an unchanged
name (conservative: it errs towards "replace"); and AWS refuses some moves the provider would attempt in place
(`VPC_BOUND`): a DB subnet group cannot take subnets of another VPC while its cluster lives in it, a load
balancer cannot change VPC. When the VPC they hang from is replaced, they are replaced, and what depends on
them cascades (a database cluster's `dbSubnetGroupName` forces replacement).

Protection: a protected resource that would be replaced or deleted (`pulumi up` stops at it) is flagged first,
and makes the exit code 1. Secrets never appear: values are masked as `connectctl plan` masks them, and a
changed `secure:` value (different ciphertext, same offline stand-in) shows as a changed `[secret]` property of
every resource that uses it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from connectctl.engine.analyzer import PackConfigError
from connectctl.engine.capture import SECRET_SIG, SECRET_SIG_KEY, STACK_TYPE, CapturedResource
from connectctl.engine.project import Project, ProjectError, load_project_dir, read_yaml, stand_in
from connectctl.engine.runner import ProgramError
from connectctl.plan import SECRET, UNKNOWN, ConfigReport, Plan, mask, plan_stack

EXIT_OK, EXIT_PROTECTED, EXIT_INVALID = 0, 1, 2

# --- the provider's replacement rules -------------------------------------------------------------------------
#
# Properties (Pulumi names) whose change forces replacement, per type token the program declares. pulumi-aws is
# bridged from the Terraform AWS provider and asks its diff, so the source is the Terraform schema: attributes
# with `ForceNew: true` (SDK resources) or a `RequiresReplace` plan modifier (framework resources), as listed
# with "Forces new resource" in registry.terraform.io/providers/hashicorp/aws/latest/docs. Pulumi renames some
# (`alarm_name` -> `name`, `topic_arn` -> `topic`, blocks become plurals: `encryption_configuration` ->
# `encryptionConfigurations`). A nested force-new attribute is listed by its top-level block (ECS service
# `deployment_controller.type` -> `deploymentController`). Every regional `aws:` type also has the per-resource
# `region` argument of pulumi-aws 7 (Terraform AWS 6), which moves a resource to another region: replacement.
# tests/connectctl/test_diff.py fails when a type of any stack's plan has no entry here, or when an entry names a
# property the installed SDK's input schema (connectctl/engine/provider_schema.py) does not have. The SDK's
# docstrings do not say which inputs force replacement, so each entry comes from the Terraform source.
FORCE_NEW: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    # Application Auto Scaling: a target or policy is keyed by what it scales.
    "aws:appautoscaling/policy:Policy": {"name", "resourceId", "scalableDimension", "serviceNamespace"},
    "aws:appautoscaling/target:Target": {"resourceId", "scalableDimension", "serviceNamespace"},
    # AWS Backup: selections and vault lock configurations have no update at all.
    "aws:backup/plan:Plan": {"name"},
    "aws:backup/selection:Selection": {"name", "planId", "iamRoleArn", "selectionTags", "resources",
                                       "notResources", "conditions"},
    "aws:backup/vault:Vault": {"name", "kmsKeyArn"},
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": {"backupVaultName", "changeableForDays",
                                                                 "maxRetentionDays", "minRetentionDays"},
    "aws:backup/vaultPolicy:VaultPolicy": {"backupVaultName"},
    # CloudTrail: a trail keeps its name (everything else, bucket and key included, changes in place).
    "aws:cloudtrail/trail:Trail": {"name"},
    # CloudWatch and EventBridge.
    "aws:cloudwatch/dashboard:Dashboard": {"dashboardName"},
    "aws:cloudwatch/eventRule:EventRule": {"name", "namePrefix", "eventBusName"},
    "aws:cloudwatch/eventTarget:EventTarget": {"rule", "targetId", "eventBusName"},
    "aws:cloudwatch/logGroup:LogGroup": {"name", "namePrefix", "logGroupClass"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"name"},
    # EC2 networking.
    "aws:ec2/customerGateway:CustomerGateway": {"bgpAsn", "bgpAsnExtended", "ipAddress", "type", "deviceName",
                                                "certificateArn"},
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {"vpcId"},
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": {"defaultNetworkAclId"},
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": {"name", "namePrefix", "family", "description"},
    "aws:s3/bucketLogging:BucketLogging": {"bucket", "expectedBucketOwner"},
    "aws:ec2/networkAcl:NetworkAcl": {"vpcId"},  # inline entries and subnetIds change in place
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": {"networkAclId", "subnetId"},  # no update at all
    "aws:ec2/eip:Eip": {"domain", "address", "customerOwnedIpv4Pool", "networkBorderGroup",
                        "publicIpv4Pool", "ipamPoolId"},
    "aws:ec2/flowLog:FlowLog": {"vpcId", "subnetId", "eniId", "transitGatewayId", "transitGatewayAttachmentId",
                                "iamRoleArn", "deliverCrossAccountRole", "logDestination", "logDestinationType",
                                "logFormat", "maxAggregationInterval", "trafficType", "destinationOptions"},
    "aws:ec2/internetGateway:InternetGateway": set(),  # vpcId: detached and attached in place
    "aws:ec2/natGateway:NatGateway": {"allocationId", "subnetId", "connectivityType", "privateIp"},
    "aws:ec2/route:Route": {"routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock",
                            "destinationPrefixListId"},
    "aws:ec2/routeTable:RouteTable": {"vpcId"},
    "aws:ec2/routeTableAssociation:RouteTableAssociation": {"subnetId", "gatewayId"},  # routeTableId: in place
    "aws:ec2/securityGroup:SecurityGroup": {"name", "namePrefix", "description", "vpcId"},
    "aws:ec2/subnet:Subnet": {"vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn",
                              "ipv4IpamPoolId"},
    "aws:ec2/vpc:Vpc": {"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"},
    "aws:ec2/vpcEndpoint:VpcEndpoint": {"vpcId", "serviceName", "vpcEndpointType", "serviceRegion",
                                        "resourceConfigurationArn", "serviceNetworkArn"},
    # Tunnel options (keys, crypto, logging) and the gateways are modified in place; inside CIDRs are not.
    "aws:ec2/vpnConnection:VpnConnection": {"type", "staticRoutesOnly", "enableAcceleration",
                                            "tunnelInsideIpVersion", "tunnel1InsideCidr", "tunnel2InsideCidr",
                                            "tunnel1InsideIpv6Cidr", "tunnel2InsideIpv6Cidr",
                                            "presharedKeyStorage", "transportTransitGatewayAttachmentId"},
    "aws:ec2/vpnConnectionRoute:VpnConnectionRoute": {"destinationCidrBlock", "vpnConnectionId"},
    "aws:ec2/vpnGateway:VpnGateway": {"amazonSideAsn", "availabilityZone"},  # vpcId: detached and attached
    "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation": {"routeTableId", "vpnGatewayId"},
    # ECR.
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": {"repository", "policy"},  # no update: a new policy replaces
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": set(),
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": set(),
    "aws:ecr/repository:Repository": {"name", "encryptionConfigurations"},
    "aws:ecr/repositoryPolicy:RepositoryPolicy": {"repository"},
    # ECS: a task definition revision is immutable; a service keeps its name, cluster and launch type.
    "aws:ecs/cluster:Cluster": {"name"},
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": {"clusterName"},
    "aws:ecs/service:Service": {"name", "cluster", "iamRole", "launchType", "schedulingStrategy",
                                "deploymentController"},
    "aws:ecs/taskDefinition:TaskDefinition": {"family", "containerDefinitions", "cpu", "memory", "networkMode",
                                              "requiresCompatibilities", "runtimePlatform", "executionRoleArn",
                                              "taskRoleArn", "volumes", "placementConstraints",
                                              "proxyConfiguration", "ephemeralStorage", "ipcMode", "pidMode",
                                              "enableFaultInjection"},
    # EFS.
    "aws:efs/accessPoint:AccessPoint": {"fileSystemId", "posixUser", "rootDirectory"},
    "aws:efs/fileSystem:FileSystem": {"creationToken", "encrypted", "kmsKeyId", "performanceMode",
                                      "availabilityZoneName"},
    "aws:efs/mountTarget:MountTarget": {"fileSystemId", "subnetId", "ipAddress", "ipAddressType", "ipv6Address"},
    "aws:efs/replicationConfiguration:ReplicationConfiguration": {"sourceFileSystemId", "destination"},
    # IAM (global: no region).
    "aws:iam/role:Role": {"name", "namePrefix", "path"},
    "aws:iam/policy:Policy": {"name", "namePrefix", "path", "description"},
    "aws:iam/rolePolicy:RolePolicy": {"name", "namePrefix", "role"},
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {"role", "policyArn"},
    "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive": {"roleName"},
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": {"roleName"},
    # KMS: the key material's kind is fixed; description, policy and rotation change in place.
    "aws:kms/alias:Alias": {"name", "namePrefix"},
    "aws:kms/key:Key": {"customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"},
    # Elastic Load Balancing (application load balancers: subnets and security groups change in place).
    "aws:lb/listener:Listener": {"loadBalancerArn"},
    "aws:lb/listenerRule:ListenerRule": {"listenerArn"},
    "aws:lb/loadBalancer:LoadBalancer": {"name", "namePrefix", "internal", "loadBalancerType",
                                         "customerOwnedIpv4Pool"},
    "aws:lb/targetGroup:TargetGroup": {"name", "namePrefix", "port", "protocol", "protocolVersion", "targetType",
                                       "vpcId", "ipAddressType"},
    # RDS: identity, engine, network placement and encryption are fixed at creation.
    "aws:rds/cluster:Cluster": {"clusterIdentifier", "clusterIdentifierPrefix", "databaseName",
                                "dbSubnetGroupName", "engine", "engineMode", "kmsKeyId", "masterUsername",
                                "storageEncrypted", "availabilityZones", "snapshotIdentifier",
                                "restoreToPointInTime", "s3Import", "sourceRegion"},
    "aws:rds/clusterInstance:ClusterInstance": {"identifier", "identifierPrefix", "clusterIdentifier", "engine",
                                                "dbSubnetGroupName", "availabilityZone",
                                                "customIamInstanceProfile"},
    "aws:rds/subnetGroup:SubnetGroup": {"name", "namePrefix"},
    # Route 53 (internal/service/route53/{zone,record,health_check}.go, route53resolver/endpoint.go). The zone,
    # its records and health checks are global (`REGIONLESS`); a Resolver endpoint is regional.
    "aws:route53/healthCheck:HealthCheck": {"type", "referenceName", "measureLatency", "requestInterval",
                                            "routingControlArn"},  # alarm, children, threshold: UpdateHealthCheck
    # `type` and `setIdentifier` change in place: the provider deletes the old set and creates the new one in one
    # ChangeResourceRecordSets batch; aliases, routing policy and health check are an UPSERT.
    "aws:route53/record:Record": {"name", "zoneId"},
    "aws:route53/resolverEndpoint:ResolverEndpoint": {"direction", "securityGroupIds"},  # addresses: in place
    "aws:route53/zone:Zone": {"name", "delegationSetId"},  # VPCs are associated and disassociated in place
    # S3: every bucket configuration resource is keyed by its bucket.
    "aws:s3/bucket:Bucket": {"bucket", "bucketPrefix", "objectLockEnabled"},
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {"bucket", "expectedBucketOwner"},
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {"bucket"},
    "aws:s3/bucketPolicy:BucketPolicy": {"bucket"},
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {"bucket"},
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": {"bucket"},
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        "bucket", "expectedBucketOwner"},
    "aws:s3/bucketVersioning:BucketVersioning": {"bucket", "expectedBucketOwner"},
    # SNS and SSM.
    "aws:sns/topic:Topic": {"name", "namePrefix", "fifoTopic"},
    "aws:sns/topicPolicy:TopicPolicy": {"arn"},
    "aws:sns/topicSubscription:TopicSubscription": {"topic", "protocol", "endpoint"},
    "aws:ssm/parameter:Parameter": {"name", "dataType"},
    # VPC security group rules (framework resources): a rule belongs to one group.
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {"securityGroupId"},
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"securityGroupId"},
    # Not AWS resources. The provider: pulumi-aws replaces it when its region changes (pulumi/pulumi-aws#4000),
    # and the engine then replaces everything it manages. A stack reference is re-read under a new name.
    "pulumi:providers:aws": {"region"},
    "pulumi:pulumi:Stack": set(),
    "pulumi:pulumi:StackReference": {"name"},
    # Our components: no provider, so no input forces replacement (their URN changes make delete + create).
    "connect:access:AccountAccess": set(),
    "connect:audit:AuditTrail": set(),
    "connect:data:DataStores": set(),
    "connect:dns:ServiceNames": set(),
    "connect:dr:DisasterRecovery": set(),
    "connect:network:TenantNetwork": set(),
    "connect:observability:AlertsTopic": set(),
    "connect:observability:Observability": set(),
    "connect:platform:ContainerPlatform": set(),
    "connect:registry:AccountRegistry": set(),
    "connect:security:EnvironmentKey": set(),
    "connect:vpn:SiteToSiteVpn": set(),
}.items()}
# Global services: no per-resource region argument (the provider schema has no `region` input for them).
REGIONLESS = ("aws:iam/", "aws:route53/zone:", "aws:route53/record:", "aws:route53/healthCheck:")

# Properties the provider changes in place but AWS cannot move to another VPC: when what they depend on is
# replaced because its VPC is (the CIDR changed), the resource is replaced. RDS: a DB subnet group in use only
# takes subnets of its own VPC ("The new Subnets are not in the same Vpc as the existing subnet group"; an Aurora
# cluster is moved by restoring it elsewhere). Elastic Load Balancing: a load balancer's subnets and security
# groups stay in the VPC it was created in.
VPC_BOUND: dict[str, frozenset[str]] = {
    "aws:rds/subnetGroup:SubnetGroup": frozenset({"subnetIds"}),
    "aws:lb/loadBalancer:LoadBalancer": frozenset({"subnets", "securityGroups", "subnetMappings"}),
}
VPC_TYPE = "aws:ec2/vpc:Vpc"


def force_new(type_: str) -> frozenset[str] | None:
    """The properties that force replacement of a type, or None for a type the table does not know."""
    table = FORCE_NEW.get(type_)
    if table is None:
        return None
    if type_.startswith("aws:") and not type_.startswith(REGIONLESS):
        return table | {"region"}
    return table


# --- the comparison ---------------------------------------------------------------------------------------------


class Action(Enum):
    """What `pulumi up` does to a resource, in the order a reader needs them (not a StrEnum: `str.replace`)."""

    replace = "replace"
    delete = "delete"
    update = "update"
    create = "create"


class _Absent:
    """A property missing on one side of a change."""

    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()


@dataclass
class Change:
    """One changed input, at a path (`cidrBlock`, `tags.Name`, `containerDefinitions[0].image`), values masked."""

    path: str
    old: Any
    new: Any
    forces_replacement: bool = False
    waits_for: list[str] = field(default_factory=list)  # replaced resources whose new IDs it takes (unknown now)

    @property
    def kind(self) -> str:
        """`add`, `delete` or `update`, as Pulumi's detailed diff names them."""
        return "add" if self.old is ABSENT else "delete" if self.new is ABSENT else "update"

    @property
    def top(self) -> str:
        """The top-level property the path is in (what the replacement rules speak of)."""
        return _top(self.path)

    def as_json(self) -> dict[str, Any]:
        """`{"path", "kind", "old"?, "new"?, "forcesReplacement", "waitsFor"}`: a side that is absent is left out."""
        doc: dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.old is not ABSENT:
            doc["old"] = self.old
        if self.new is not ABSENT:
            doc["new"] = self.new
        doc["forcesReplacement"] = self.forces_replacement
        doc["waitsFor"] = list(self.waits_for)
        return doc


@dataclass
class ResourceDiff:
    """One resource `pulumi up` would touch, with why and what."""

    urn: str
    type: str
    name: str
    action: Action
    protect: bool
    retain_on_delete: bool
    changes: list[Change] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """A protected resource replaced or deleted: the engine refuses, someone must decide."""
        return self.protect and self.action in (Action.replace, Action.delete)

    def as_json(self) -> dict[str, Any]:
        """The resource's entry in `--format json`."""
        return {
            "urn": self.urn, "type": self.type, "name": self.name, "action": self.action.value,
            "protect": self.protect, "retainOnDelete": self.retain_on_delete, "protectedViolation": self.blocked,
            "reasons": list(self.reasons), "changes": [c.as_json() for c in self.changes],
        }


@dataclass
class StackDiff:
    """The difference between two plans of one stack, ordered for review: protected first."""

    project: str
    stack: str
    old_source: str
    new_source: str
    resources: list[ResourceDiff]
    unchanged: int
    stranded: list[str] = field(default_factory=list)  # kept in a zone the change removes: see `_stranded`

    @property
    def failing(self) -> bool:
        """`pulumi up` would stop: a protected resource replaced or deleted, or an instance stranded."""
        return bool(self.blocked or self.stranded)

    @property
    def blocked(self) -> list[ResourceDiff]:
        """Protected resources that would be replaced or deleted."""
        return [r for r in self.resources if r.blocked]

    def of(self, action: Action) -> list[ResourceDiff]:
        """Resources with this action, protected ones excluded (they are listed first, on their own)."""
        return [r for r in self.resources if r.action is action and not r.blocked]

    def counts(self) -> dict[str, int]:
        """How many resources per action (protected ones included), and how many are protected."""
        counts = {action.value: sum(r.action is action for r in self.resources) for action in Action}
        return {**counts, "same": self.unchanged, "protected": len(self.blocked), "stranded": len(self.stranded)}

    def as_json(self) -> dict[str, Any]:
        """The documented `--format json` document."""
        return {
            "project": self.project, "stack": self.stack,
            "old": self.old_source, "new": self.new_source,
            "resources": [r.as_json() for r in self.resources],
            "stranded": list(self.stranded),
            "summary": self.counts(),
        }


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def _json_document(value: str) -> Any:
    """A JSON object or array held in a string input (policies, container definitions), else None."""
    if not value.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _diff(path: str, old: Any, new: Any, out: list[tuple[str, Any, Any]]) -> None:
    """Leaf-level differences of two input values; secrets are leaves (compared, never opened for display)."""
    if _is_secret(old) or _is_secret(new):
        if old != new:
            out.append((path, old, new))
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old:
                out.append((sub, ABSENT, new[key]))
            elif key not in new:
                out.append((sub, old[key], ABSENT))
            else:
                _diff(sub, old[key], new[key], out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(f"{path}[{index}]", a, b, out)
        return
    if old == new:
        return
    if isinstance(old, str) and isinstance(new, str):
        old_doc, new_doc = _json_document(old), _json_document(new)
        if old_doc is not None and new_doc is not None:
            _diff(path, old_doc, new_doc, out)
            return
    out.append((path, old, new))


def _paths_holding(value: Any, needle: str, path: str = "") -> Iterator[str]:
    """Paths of the values that carry a text (a secret's offline stand-in), secret wrappers as leaves."""
    if _is_secret(value):
        if needle in json.dumps(value):
            yield path
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _paths_holding(value[key], needle, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_holding(item, needle, f"{path}[{index}]")
    elif isinstance(value, str) and needle in value:
        yield path


def _ignored(path: str, ignore_changes: list[str]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in ignore_changes)


def _provider_urn(reference: str) -> str:
    """`<provider urn>::<provider id>` -> the URN (the engine's provider reference carries the ID)."""
    return reference.rsplit("::", 1)[0] if reference.count("::") > 3 else reference


def _raw_secrets(plan: Plan) -> dict[str, str]:
    """Secret config keys and their raw (encrypted) stack-file values: a new ciphertext is a new secret."""
    data, _ = read_yaml(plan.stack_file.path)
    raw = (data or {}).get("config") or {}
    project = plan.stack_file.project
    values = {project.full_key(str(k)): v for k, v in raw.items()}
    return {key: json.dumps(values.get(key), sort_keys=True) for key in plan.stack_file.secret_keys}


def _shown_value(value: Any, secrets: set[str]) -> Any:
    """A value as reports show it: secrets masked, protobuf's float numbers back to integers where they are."""
    if value is ABSENT:
        return ABSENT

    def clean(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return clean(mask(value, secrets))


def _rekey(resource: CapturedResource, project: str, old_stack: str, new_stack: str) -> CapturedResource:
    """The same resource under another stack name (two stack files of different names are compared).

    URNs start with the stack name, and the root stack resource is named `<project>-<stack>`.
    """
    if old_stack == new_stack:
        return resource
    prefix, replacement = f"urn:pulumi:{old_stack}::", f"urn:pulumi:{new_stack}::"
    old_root, new_root = f"{project}-{old_stack}", f"{project}-{new_stack}"

    def swap(urn: str) -> str:
        if not urn.startswith(prefix):
            return urn
        urn = replacement + urn[len(prefix):]
        stack_root = f"{replacement}{project}::{STACK_TYPE}::"
        return stack_root + new_root if urn == stack_root + old_root else urn

    name = new_root if resource.type == STACK_TYPE and resource.name == old_root else resource.name
    return dataclasses.replace(
        resource, urn=swap(resource.urn), name=name, parent=swap(resource.parent), provider=swap(resource.provider),
        dependencies=[swap(u) for u in resource.dependencies],
        property_dependencies={k: [swap(u) for u in v] for k, v in resource.property_dependencies.items()},
    )


def diff_plans(old: Plan | None, new: Plan, *, old_source: str = "old", new_source: str = "new") -> StackDiff:
    """Compare two plans of a stack by URN (`old` None: the stack file did not exist, everything is created)."""
    secrets = new.secrets() | (old.secrets() if old else set())
    olds = {r.urn: r for r in (_rekey(r, new.capture.project, old.capture.stack, new.capture.stack)
                               for r in old.resources)} if old else {}
    news = {r.urn: r for r in new.resources}
    common = sorted(set(olds) & set(news))

    raw: dict[str, list[tuple[str, Any, Any]]] = {}
    changed_secrets: set[str] = set()
    if old is not None:
        old_raw, new_raw = _raw_secrets(old), _raw_secrets(new)
        changed_secrets = {key for key in set(old_raw) & set(new_raw) if old_raw[key] != new_raw[key]}
    for urn in common:
        before, after = olds[urn], news[urn]
        found: list[tuple[str, Any, Any]] = []
        _diff("", before.inputs, after.inputs, found)
        seen = {path for path, _, _ in found}
        for key in sorted(changed_secrets):  # same stand-in offline, another value for real
            for path in _paths_holding(after.inputs, stand_in(key)):
                if path not in seen and not any(path.startswith((f"{p}.", f"{p}[")) for p in seen):
                    found.append((path, SECRET, SECRET))
                    seen.add(path)
        raw[urn] = [c for c in found if not _ignored(c[0], after.ignore_changes)]

    replaced: dict[str, list[str]] = {}
    vpc_moved: set[str] = set()
    name = {urn: r.name for urn, r in {**olds, **news}.items()}

    def reasons_for(urn: str) -> list[str]:
        before, after = olds[urn], news[urn]
        table = force_new(after.type)
        reasons: list[str] = []
        tops = sorted({_top(path) for path, _, _ in raw[urn]})
        if table is None and tops:
            reasons.append(f"{after.type} is not in the force-new table: any change is taken as a replacement")
        reasons += [f"{top} forces replacement" for top in tops if table is not None and top in table]
        old_provider, new_provider = _provider_urn(before.provider), _provider_urn(after.provider)
        if old_provider != new_provider:
            reasons.append(f"its provider changes ({name.get(old_provider, old_provider)} -> "
                           f"{name.get(new_provider, new_provider)})")
        elif new_provider in replaced:
            reasons.append(f"its provider {name[new_provider]} is replaced")
        for prop, deps in sorted(after.property_dependencies.items()):
            waits = sorted({name[d] for d in deps if d in replaced and d != urn})
            if not waits or prop in tops:
                continue
            if table is not None and prop in table:
                reasons.append(f"{prop} forces replacement and takes the new {', '.join(waits)}")
            elif prop in VPC_BOUND.get(after.type, ()) and any(d in vpc_moved for d in deps):
                moved = sorted({name[d] for d in deps if d in vpc_moved})
                reasons.append(f"{prop} moves to another VPC with {', '.join(moved)}, which AWS does not do in place")
        return reasons

    def moved_with_vpc() -> set[str]:
        """Replaced resources that are, or hang from, a replaced VPC: they come back in another VPC."""
        moved = {urn for urn in replaced if news[urn].type == VPC_TYPE}
        grew = True
        while grew:
            grew = False
            for urn in replaced.keys() - moved:
                if any(d in moved for deps in news[urn].property_dependencies.values() for d in deps):
                    moved.add(urn)
                    grew = True
        return moved

    progress = True
    while progress:  # to a fixed point: a replacement can replace what depends on it
        progress = False
        vpc_moved = moved_with_vpc()
        for urn in common:
            if urn not in replaced and (reasons := reasons_for(urn)):
                replaced[urn] = reasons
                progress = True
    vpc_moved = moved_with_vpc()

    resources: list[ResourceDiff] = []
    unchanged = 0
    for urn in common:
        before, after = olds[urn], news[urn]
        table = force_new(after.type) or frozenset()
        changes = [Change(path, _shown_value(a, secrets), _shown_value(b, secrets), _top(path) in table)
                   for path, a, b in raw[urn]]
        tops = {c.top for c in changes}
        for prop, deps in sorted(after.property_dependencies.items()):
            waits = sorted(d for d in deps if d in replaced and d != urn)
            if waits and prop not in tops:  # unknown until the replacement exists: a change, as preview shows it
                bound = prop in VPC_BOUND.get(after.type, ()) and any(d in vpc_moved for d in waits)
                changes.append(Change(prop, _shown_value(before.inputs.get(prop, ABSENT), secrets), UNKNOWN,
                                      prop in table or bound, waits))
        changes.sort(key=lambda c: c.path)
        if urn in replaced:
            action = Action.replace
        elif changes:
            action = Action.update
        else:
            unchanged += 1
            continue
        resources.append(ResourceDiff(urn, after.type, after.name, action, before.protect or after.protect,
                                      before.retain_on_delete, changes, replaced.get(urn, [])))
    for urn in sorted(set(olds) - set(news)):
        r = olds[urn]
        resources.append(ResourceDiff(urn, r.type, r.name, Action.delete, r.protect, r.retain_on_delete))
    for urn in sorted(set(news) - set(olds)):
        r = news[urn]
        resources.append(ResourceDiff(urn, r.type, r.name, Action.create, r.protect, r.retain_on_delete))
    order = list(Action)  # protected first, then by action; in each, what the stack file changed before its echoes
    resources.sort(key=lambda r: (not r.blocked, order.index(r.action), all(c.waits_for for c in r.changes),
                                  any(c.waits_for for c in r.changes), r.urn))
    return StackDiff(new.capture.project, new.capture.stack, old_source, new_source, resources, unchanged,
                     _stranded(olds, news))


ZONE_PINNED = {"aws:rds/clusterInstance:ClusterInstance": "availabilityZone"}  # kept where created (ignoreChanges)
SUBNET = "aws:ec2/subnet:Subnet"


def _stranded(olds: dict[str, CapturedResource], news: dict[str, CapturedResource]) -> list[str]:
    """Instances the program keeps in the zone they were created in, whose zone the change removes.

    Why: a database instance's zone is kept by `ignoreChanges` (adding a zone must not move it), so removing
    that zone leaves the instance where it is while its subnet is deleted, which AWS refuses: `pulumi up` would
    fail halfway. The zones are those of the subnets under the same provider (the DR region has its own).
    """
    def zones(resources: dict[str, CapturedResource]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for r in resources.values():
            if r.type == SUBNET and isinstance(r.inputs.get("availabilityZone"), str):
                found.setdefault(_provider_urn(r.provider), set()).add(r.inputs["availabilityZone"])
        return found

    before, after = zones(olds), zones(news)
    problems = []
    for urn in sorted(set(olds) & set(news)):
        old, new = olds[urn], news[urn]
        key = ZONE_PINNED.get(new.type)
        if key is None or key not in new.ignore_changes or not isinstance(old.inputs.get(key), str):
            continue
        zone, provider = old.inputs[key], _provider_urn(new.provider)
        if zone in before.get(provider, set()) and zone not in after.get(provider, set()):
            problems.append(f"{new.name} stays in {zone} (its zone is kept from creation), whose subnets this change "
                            "deletes: AWS refuses to delete a subnet in use. Remove or move the instance first, or "
                            "keep the zone")
    return problems


# --- the stack files: two of them, or one at a git revision -----------------------------------------------------


class DiffError(Exception):
    """A problem reported to the user (exit 2): no such stack file, not a git repository, unknown revision..."""


def _stack_file(project: Project, argument: str) -> Path:
    """A stack name (`acme-prod`: the project's stack file) or a path to a stack file."""
    if "/" in argument or argument.endswith(".yaml") or Path(argument).is_file():
        path = Path(argument)
        if not path.is_file():
            raise DiffError(f"{argument}: no such stack file")
        return path
    path = project.stack_file(argument)
    if not path.is_file():
        raise DiffError(f"no stack file {path.relative_to(project.root)} for stack {argument!r}; stacks: "
                        f"{', '.join(project.stacks()) or 'none'}")
    return path


def _shown(project: Project, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project.root.resolve()))
    except ValueError:
        return str(path)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120)
    except FileNotFoundError:
        raise DiffError("git is not installed (connectctl diff --base reads the stack file at a revision)") from None


def base_stack_files(project: Project, revision: str, into: Path) -> Project:
    """The project as of `revision`: its stack config directory (stack files, pack configs) copied into `into`.

    The whole directory, so the environment stack's account stack and pack config are the ones of that
    revision too. A directory or file absent at the revision is simply not there (its stack was created since).
    """
    if not revision or revision.startswith("-"):
        raise DiffError(f"--base {revision!r}: not a git revision")
    top = _git(project.root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise DiffError(f"{project.root} is not inside a git repository; --base needs one")
    if _git(project.root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").returncode != 0:
        raise DiffError(f"--base {revision!r}: no such commit in {project.root} (a CI checkout needs the base "
                        "commit: actions/checkout with fetch-depth: 0)")
    toplevel = Path(top.stdout.decode().strip())
    try:
        directory = project.stack_config_dir.resolve().relative_to(toplevel.resolve()).as_posix()
    except ValueError:
        raise DiffError(f"{project.stack_config_dir} is outside the git repository {toplevel}") from None
    tree = revision if directory == "." else f"{revision}:{directory}"
    listing = _git(toplevel, "ls-tree", "-z", "--name-only", tree)
    names = listing.stdout.decode().split("\0") if listing.returncode == 0 else []
    for entry in names:
        if re.fullmatch(r"Pulumi\..+\.yaml|policy\..+\.json", entry):
            inside = entry if directory == "." else f"{directory}/{entry}"
            blob = _git(toplevel, "cat-file", "blob", f"{revision}:{inside}")
            if blob.returncode == 0:
                (into / entry).write_bytes(blob.stdout)
    return dataclasses.replace(project, stack_config_dir=into)


def _plan(project: Project, stack: str | None = None, path: Path | None = None,
          account_file: Path | None = None) -> Plan:
    """A stack's plan in update mode: every value known, IDs stable per URN, so inputs compare as values."""
    return plan_stack(stack, config_file=path, preview=False, project=project, account_file=account_file)


def diff_files(project: Project, old: Path, new: Path, account_file: Path | None = None) -> StackDiff:
    """Plan two stack files and compare them (`account_file`, `--account-file`: the account stack of both)."""
    return diff_plans(_plan(project, path=old, account_file=account_file),
                      _plan(project, path=new, account_file=account_file), old_source=_shown(project, old),
                      new_source=_shown(project, new))


def diff_base(project: Project, argument: str, revision: str) -> StackDiff:
    """Plan a stack file as of `revision` and as it is now, and compare them."""
    path = _stack_file(project, argument)
    if path.resolve().parent != project.stack_config_dir.resolve():
        directory = _shown(project, project.stack_config_dir)
        raise DiffError(f"{argument}: --base compares the project's stack files ({directory}/Pulumi.<stack>.yaml); "
                        "give a stack name or one of those files")
    stack = path.name[len("Pulumi."):-len(".yaml")]
    shown = _shown(project, path)
    with tempfile.TemporaryDirectory(prefix="connectctl-diff-") as tmp:
        base = base_stack_files(project, revision, Path(tmp))  # git problems first, before any planning
        new = _plan(project, stack)
        try:
            old = _plan(base, stack) if base.stack_file(stack).is_file() else None
        except (ProjectError, ConfigReport, ProgramError, PackConfigError) as exc:
            message = str(exc).replace(tmp, f"{revision}:{Path(shown).parent}")
            raise DiffError(f"{shown} at {revision}: {message}") from None
        return diff_plans(old, new, old_source=f"{shown} at {revision}" + ("" if old else " (absent)"),
                          new_source=f"{shown} (working tree)")  # inside: the old plan's stack file is read


# --- output ---------------------------------------------------------------------------------------------------


class DiffFormat(StrEnum):
    """Output formats of `diff`."""

    text = "text"
    json = "json"
    markdown = "markdown"


def _value(value: Any, limit: int = 0) -> str:
    if value is ABSENT:
        return "(none)"
    text = value if isinstance(value, str) and value in (SECRET, UNKNOWN) else json.dumps(value, sort_keys=True)
    return text if not limit or len(text) <= limit else text[:limit - 1] + "…"


def _change_text(change: Change, limit: int = 0) -> str:
    line = f"{change.path}: {_value(change.old, limit)} -> {_value(change.new, limit)}"
    if change.waits_for:
        line += f" (takes the new {', '.join(urn.rsplit('::', 1)[-1] for urn in change.waits_for)})"
    return line + (" [forces replacement]" if change.forces_replacement else "")


TEXT_VALUES = 160  # characters of a value shown in text (json has them whole)
HEADINGS = {Action.replace: "Replaced", Action.delete: "Deleted", Action.update: "Updated", Action.create: "Created"}
SIGNS = {Action.replace: "+-", Action.delete: "-", Action.update: "~", Action.create: "+"}


def _flags(resource: ResourceDiff) -> str:
    flags = [flag for flag, on in (("protected", resource.protect), ("retained on delete", resource.retain_on_delete))
             if on]
    return f" ({', '.join(flags)})" if flags else ""


def render_text(result: StackDiff, console: Console) -> None:
    """Protected replacements and deletions first (red), then replaced, deleted, updated, created; then counts."""
    console.print(f"[bold]Diff of {escape(result.project)}/{escape(result.stack)}[/]: {escape(result.old_source)} "
                  f"-> {escape(result.new_source)} (offline plans, update mode)")

    def show(resource: ResourceDiff, style: str) -> None:
        console.print(f"  [{style}]{SIGNS[resource.action]} {resource.action.value:<7} {escape(resource.name)}[/] "
                      f"[dim]{escape(resource.type)}[/]{escape(_flags(resource))}")
        for reason in resource.reasons:
            console.print(f"      [dim]because {escape(reason)}[/]")
        for change in resource.changes:
            console.print(f"      {escape(_change_text(change, TEXT_VALUES))}")

    if result.blocked:
        console.print(f"[bold red]Protected resources replaced or deleted ({len(result.blocked)}): pulumi up stops "
                      "at them; unprotect them on purpose, or change the stack file[/]")
        for resource in result.blocked:
            show(resource, "bold red")
    if result.stranded:
        console.print(f"[bold red]Instances left in a removed zone ({len(result.stranded)}): pulumi up would fail[/]")
        for message in result.stranded:
            console.print(f"  [bold red]! {escape(message)}[/]")
    styles = {Action.replace: "magenta", Action.delete: "red", Action.update: "yellow", Action.create: "green"}
    for action in Action:
        group = result.of(action)
        if group:
            console.print(f"[bold]{HEADINGS[action]} ({len(group)})[/]")
            for resource in group:
                show(resource, styles[action])
    console.print(_summary(result, "[red]BLOCKED[/]", "[green]OK[/]"))


def _summary(result: StackDiff, blocked: str, ok: str) -> str:
    c = result.counts()
    reasons = [f"{c['protected']} protected resource(s) replaced or deleted"] if c["protected"] else []
    reasons += [f"{c['stranded']} instance(s) left in a removed zone"] if c["stranded"] else []
    verdict = f"{blocked}: {', '.join(reasons)}" if reasons else ok
    return (f"{verdict}: {c['replace']} to replace, {c['delete']} to delete, {c['update']} to update, "
            f"{c['create']} to create, {c['same']} unchanged")


def _md(text: str) -> str:
    """Inline code in a markdown table cell: no backticks or pipes left to break it."""
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


MARKDOWN_CHANGES = 4  # changed properties shown per resource in markdown; the rest counted
MARKDOWN_ROWS = 40  # resources listed per action in markdown (protected ones always all): a comment is 64 KiB


def _md_change(change: Change) -> str:
    """A change in a markdown cell: values for what the stack file changed, the cause for what a replacement does."""
    if change.waits_for:
        causes = ", ".join(urn.rsplit("::", 1)[-1] for urn in change.waits_for)
        text = f"{_md(change.path)} takes the new {_md(causes)}"
    else:
        text = f"{_md(change.path)}: {_md(_value(change.old, 40))} → {_md(_value(change.new, 40))}"
    return text + (" **forces replacement**" if change.forces_replacement else "")


def render_markdown(result: StackDiff) -> str:
    """For a pull-request comment: counts, protected resources in a caution block, each action in a table."""
    c = result.counts()
    lines = [f"### `connectctl diff` of `{result.stack}`: "
             + (f"{c['protected']} protected resource(s) replaced or deleted" if c["protected"] else
                "no protected resource replaced or deleted"),
             "", f"{_md(result.old_source)} → {_md(result.new_source)}: offline plans of both stack files with "
             "the same code", "",
             "| replace | delete | update | create | unchanged |", "|---:|---:|---:|---:|---:|",
             f"| {c['replace']} | {c['delete']} | {c['update']} | {c['create']} | {c['same']} |", ""]

    def table(resources: list[ResourceDiff], limit: int | None) -> list[str]:
        rows = ["| | resource | type | changes |", "|---|---|---|---|"]
        for r in resources[:limit]:
            shown = [_md_change(ch) for ch in r.changes[:MARKDOWN_CHANGES]]
            if len(r.changes) > MARKDOWN_CHANGES:
                shown.append(f"+{len(r.changes) - MARKDOWN_CHANGES} more")
            if r.action is Action.replace and not any(ch.forces_replacement for ch in r.changes):
                shown[:0] = [f"because {_md(reason)}" for reason in r.reasons[:1]]
            rows.append(f"| {r.action.value} | {_md(r.name)}{_flags(r)} | {_md(r.type)} | {'<br>'.join(shown)} |")
        if limit is not None and len(resources) > limit:
            rows.append(f"| … | {len(resources) - limit} more | | all of them: `connectctl diff` (text or json) |")
        return rows

    if result.blocked:
        lines += ["> [!CAUTION]", "> Protected resources would be replaced or deleted: `pulumi up` stops at them. "
                  "Unprotect them on purpose, or change the stack file.", ""]
        lines += [*table(result.blocked, None), ""]
    if result.stranded:
        lines += ["> [!CAUTION]", "> Instances would be left in a removed zone: `pulumi up` would fail.", ">",
                  *[f"> - {message.replace('|', '/')}" for message in result.stranded], ""]
    for action in Action:
        group = result.of(action)
        if group:
            opened = " open" if action is not Action.create and len(group) <= MARKDOWN_ROWS else ""
            lines += [f"<details{opened}><summary>{HEADINGS[action]} ({len(group)})</summary>", "",
                      *table(group, MARKDOWN_ROWS), "", "</details>", ""]
    if not result.resources:
        lines += ["No changes.", ""]
    return "\n".join(lines)


# --- the command ---------------------------------------------------------------------------------------------


def diff(
    old: Annotated[str, typer.Argument(
        metavar="OLD", help="Stack name (stacks/Pulumi.<stack>.yaml) or stack file; with --base, the stack to diff.")],
    new: Annotated[str | None, typer.Argument(
        metavar="[NEW]", help="Stack name or stack file to compare OLD with (not with --base).")] = None,
    base: Annotated[str | None, typer.Option(
        "--base", metavar="REV", help="Compare the stack file as of git revision REV with the working tree.")] = None,
    output: Annotated[DiffFormat, typer.Option(
        "--format", help="text, json (the documented document) or markdown (for a pull-request comment).")] = (
        DiffFormat.text),
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) to read; default: this checkout.")] = None,
    account_file: Annotated[Path | None, typer.Option(
        "--account-file", help="The client's account stack file, read by both plans (not with --base). Default: "
        "Pulumi.<client>-account.yaml beside each stack file, else in the project's stacks.")] = None,
) -> None:
    """What a stack-file change does: resources created, deleted, updated and replaced, protected ones first."""
    try:
        project = load_project_dir(project_dir)
        if base is not None:
            if new is not None:
                raise DiffError("with --base REV name one stack (connectctl diff acme-prod --base main), not two")
            if account_file is not None:
                raise DiffError("--account-file is not for --base: each side reads the account stack of its own "
                                "revision (the project's stacks at REV, and now)")
            result = diff_base(project, old, base)
        else:
            if new is None:
                raise DiffError("name two stack files (connectctl diff OLD NEW), or one stack and --base REV")
            result = diff_files(project, _stack_file(project, old), _stack_file(project, new), account_file)
    except (DiffError, ProjectError, ConfigReport, ProgramError, PackConfigError) as exc:
        Console(emoji=False, stderr=True, highlight=False, soft_wrap=True).print(
            f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_INVALID) from None
    if output is DiffFormat.json:
        sys.stdout.write(json.dumps(result.as_json(), indent=2) + "\n")
    elif output is DiffFormat.markdown:
        sys.stdout.write(render_markdown(result))
    else:
        render_text(result, Console(emoji=False, highlight=False,
                                    soft_wrap=not sys.stdout.isatty()))  # logs: one line each
    raise typer.Exit(EXIT_PROTECTED if result.failing else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(name="diff")(diff)
