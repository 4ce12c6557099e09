"""An adversarial corpus: single-change misconfigurations of the real plans, generated per capability class.

Written from the AWS resource types, not from the rules (issue #20: an outside reader's corpus found what the
rules' own mutants could not). For each capability of `data/inventory.json` (holds data, runs code, grants
access, shares a resource, routes traffic out, exposes an endpoint) the generator walks the inventory's types
of that class and, for each type with a dangerous configuration below (`@danger`), yields one mutant per
target stack and plan mode: a resource of that type added with the dangerous configuration, or an existing
one (or the resource that configures it: a bucket's encryption, a route table's association) flipped to it.
Every configuration is one a reviewer of this design would refuse; none was chosen by reading what a rule
checks. A few benign changes (`BENIGN`) must produce no mandatory finding at all: the false-alarm control.

A mutant is a capture mutant (`mutations.Variant`) of a committed stack's plan (`mutations.baseline`, shared
with the rule mutants), analysed by the whole pack with the stack's own pack config: "caught" means at least
one mandatory finding, whichever rule reports it. Misses are listed in `ACCEPTED_MISSES` with the rule that
should catch each; `test_corpus.py` prints recall per class and keeps the table exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from connectctl import inventory
from connectctl.engine.analyzer import Violation, analyze
from connectctl.engine.capture import CapturedResource
from tests.policies.mutations import UNKNOWN, Variant, baseline, pack_config

ACME, GLOBEX, STAGING, ACCOUNT = "acme-prod", "globex-prod", "acme-staging", "acme-account"
PREVIEW, UP = True, False
FOREIGN = "444455556666"  # an account that is neither a tenant's nor the operator's
BENIGN_CLASS = "benign"

H, R, G, S, OUT, E = ("holds-data", "runs-code", "grants-access", "shares-resource", "routes-out", "exposes-endpoint")

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
EIP = "aws:ec2/eip:Eip"
IGW = "aws:ec2/internetGateway:InternetGateway"
KEY = "aws:kms/key:Key"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
NAT = "aws:ec2/natGateway:NatGateway"
PROVIDER = "pulumi:providers:aws"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
SERVICE = "aws:ecs/service:Service"
SUBNET = "aws:ec2/subnet:Subnet"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
TOPIC = "aws:sns/topic:Topic"


@dataclass(frozen=True)
class Mutant:
    """One single-change mutant of a committed stack's plan.

    `capability` is the class (or "benign"); `type` is the AWS type whose capability the change puts at risk:
    the resource added or flipped, or the one the flipped resource configures (a bucket's encryption).
    """

    capability: str
    type: str
    stack: str
    preview: bool
    description: str
    apply: Callable[[Variant], None]

    @property
    def id(self) -> str:
        mode = "preview" if self.preview else "up"
        return f"{self.capability}/{self.apply.__name__}[{self.stack},{mode}]"


@dataclass(frozen=True)
class Danger:
    """A dangerous configuration of one AWS type of one capability class, and where to apply it."""

    capability: str
    type: str
    description: str
    targets: tuple[tuple[str, bool], ...]
    apply: Callable[[Variant], None]


DANGERS: list[Danger] = []
BENIGN: list[Mutant] = []
Edit = Callable[[Variant], None]


def danger(capability: str, type_: str, description: str, *targets: tuple[str, bool]) -> Callable[[Edit], Edit]:
    """Register a dangerous configuration of `type_` (a type of class `capability`) for the target stacks."""
    def register(apply: Edit) -> Edit:
        DANGERS.append(Danger(capability, type_, description, targets, apply))
        return apply
    return register


def benign(type_: str, description: str, stack: str, preview: bool) -> Callable[[Edit], Edit]:
    """Register a change a reviewer would accept: the pack must report no mandatory finding for it."""
    def register(apply: Edit) -> Edit:
        BENIGN.append(Mutant(BENIGN_CLASS, type_, stack, preview, description, apply))
        return apply
    return register


# --- reading and editing a plan ------------------------------------------------------------------------------


def _tags(resource: CapturedResource) -> dict[str, Any]:
    return dict(resource.inputs.get("tags") or {})


def _out(resource: CapturedResource, key: str) -> str:
    """An output as the program would pass it on: known in update mode, the unknown sentinel in preview."""
    return str(resource.outputs.get(key) or UNKNOWN)


def _id(resource: CapturedResource) -> str:
    return _out(resource, "id")


def _primary(variant: Variant, type_: str, contains: str) -> list[CapturedResource]:
    """The primary region's resources of a type whose name contains `contains` (DR twins start with `dr-`)."""
    return sorted((r for r in variant.of_type(type_) if contains in r.name and not r.name.startswith("dr-")),
                  key=lambda r: r.name)


def _first(variant: Variant, type_: str, contains: str) -> CapturedResource:
    found = _primary(variant, type_, contains)
    assert found, f"no {type_} with '{contains}' in its name"
    return found[0]


def _alarms(variant: Variant) -> list[CapturedResource]:
    """The primary region's metric alarms (under the tenant provider), by name."""
    return sorted((r for r in variant.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
                   if r.provider.split("::")[-2] == "tenant"), key=lambda r: r.name)


def _tenant(variant: Variant) -> str:
    """The account the stack's tenant provider is pinned to."""
    return str(json.loads(variant.find(PROVIDER, "tenant").inputs["allowedAccountIds"])[0])


def _region(variant: Variant) -> str:
    return str(variant.find(PROVIDER, "tenant").inputs["region"])


def _dr_region(variant: Variant) -> str:
    return str(variant.find(PROVIDER, "dr").inputs["region"])


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _append(statement: dict[str, Any]) -> Callable[[Any], None]:
    def add(doc: Any) -> None:
        doc["Statement"].append(statement)
    return add


def _containers(variant: Variant, contains: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit the first container of the first primary task definition whose name contains `contains`."""
    variant.edit_json(_first(variant, TASK_DEFINITION, contains), "containerDefinitions",
                      lambda containers: change(containers[0]))


def _subnets(variant: Variant, tier: str) -> list[CapturedResource]:
    return _primary(variant, SUBNET, f"network-{tier}-")


def _place(variant: Variant, resource: CapturedResource, key: str, subnets: list[CapturedResource],
           set_ids: Callable[[dict[str, Any], list[str]], None]) -> None:
    """Point a resource's subnet property at other subnets, as the program passing their ids would."""
    others = [variant.by_urn(u) for u in resource.property_dependencies.get(key, [])
              if variant.by_urn(u).type != SUBNET]
    variant.depend(resource, key, *others, *subnets)
    for props in (resource.inputs, resource.outputs):
        set_ids(props, [_id(s) for s in subnets])


def _add_route(variant: Variant, table: CapturedResource, name: str, destination: dict[str, str],
               target_key: str, target: CapturedResource | str) -> None:
    """A route in `table` to `target` (a resource of the stack, or a literal id of something outside it)."""
    inputs = {**destination, "routeTableId": _id(table),
              target_key: _id(target) if isinstance(target, CapturedResource) else target}
    deps = {"routeTableId": [table]}
    if isinstance(target, CapturedResource):
        deps[target_key] = [target]
    variant.add(table, ROUTE, name, inputs, deps=deps)


ASSUME_LAMBDA = _doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
AMI = "ami-0123456789abcdef0"
CURL_PIPE_SH = "IyEvYmluL3NoCmN1cmwgLXNMIGh0dHBzOi8vZXhhbXBsZS5jb20vaSB8IHNo"  # base64 of a curl | sh script


# === holds data ==============================================================================================


@danger(H, "aws:rds/cluster:Cluster", "the database cluster is not storage-encrypted", (ACME, UP), (GLOBEX, PREVIEW))
def database_unencrypted(v: Variant) -> None:
    cluster = _first(v, "aws:rds/cluster:Cluster", "data-")
    v.set(cluster, "storageEncrypted", False)
    v.delete(cluster, "kmsKeyId")


@danger(H, "aws:rds/cluster:Cluster", "the database cluster uses the AWS managed key alias/aws/rds", (GLOBEX, UP))
def database_aws_managed_key(v: Variant) -> None:
    cluster = _first(v, "aws:rds/cluster:Cluster", "data-")
    v.set(cluster, "kmsKeyId", f"arn:aws:kms:{_region(v)}:{_tenant(v)}:alias/aws/rds")
    v.depend(cluster, "kmsKeyId")


@danger(H, "aws:rds/cluster:Cluster", "the database cluster loses its connect:backup tag (AWS Backup stops "
        "selecting it: no recovery points, no DR copies)", (ACME, UP))
def database_dropped_from_backups(v: Variant) -> None:
    cluster = _first(v, "aws:rds/cluster:Cluster", "data-")
    v.set(cluster, "tags", {k: t for k, t in _tags(cluster).items() if k != "connect:backup"})


@danger(H, "aws:rds/cluster:Cluster", "the production database can be deleted without a final snapshot "
        "(deletionProtection off, skipFinalSnapshot on)", (GLOBEX, UP))
def database_deletable(v: Variant) -> None:
    cluster = _first(v, "aws:rds/cluster:Cluster", "data-")
    v.set(cluster, "deletionProtection", False)
    v.set(cluster, "skipFinalSnapshot", True)


@danger(H, "aws:rds/cluster:Cluster", "a new database cluster, unencrypted and outside the backups", (STAGING, UP))
def new_database_unencrypted(v: Variant) -> None:
    key = _first(v, KEY, "environment-key")
    v.add(_first(v, LOG_GROUP, "platform-"), "aws:rds/cluster:Cluster", "platform-sessions-db",
          {"clusterIdentifier": "acme-staging-sessions", "engine": "aurora-postgresql", "engineVersion": "16.6",
           "masterUsername": "sessions", "manageMasterUserPassword": True, "storageEncrypted": False,
           "skipFinalSnapshot": True, "tags": _tags(key)}, protect=True)


@danger(H, BUCKET, "the documents bucket is not protected (pulumi protect off: a refactor deletes it)", (ACME, UP))
def bucket_unprotected(v: Variant) -> None:
    _first(v, BUCKET, "data-documents").protect = False


@danger(H, BUCKET, "the invoices bucket loses its connect:backup tag (AWS Backup stops selecting it)", (GLOBEX, UP))
def bucket_dropped_from_backups(v: Variant) -> None:
    bucket = _first(v, BUCKET, "data-invoices")
    v.set(bucket, "tags", {k: t for k, t in _tags(bucket).items() if k != "connect:backup"})


@danger(H, BUCKET, "a lifecycle rule expires the documents bucket's objects after a day", (ACME, UP))
def bucket_objects_expire(v: Variant) -> None:
    bucket = _first(v, BUCKET, "data-documents")
    v.add(bucket, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "data-documents-lifecycle",
          {"bucket": _out(bucket, "bucket"), "rules": [{"id": "cleanup", "status": "Enabled", "filter": {"prefix": ""},
                                                         "expiration": {"days": 1},
                                                         "noncurrentVersionExpiration": {"noncurrentDays": 1}}]},
          deps={"bucket": [bucket]})


@danger(H, BUCKET, "a new data bucket (tagged for backups) with no encryption, public access block or policy",
        (GLOBEX, UP))
def new_bucket_bare(v: Variant) -> None:
    like = _first(v, BUCKET, "data-invoices")
    v.add(like, BUCKET, "data-exports", {"bucket": "globex-prod-exports-222222222222", "forceDestroy": False,
                                         "tags": _tags(like)}, protect=True)


@danger(H, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "the invoices bucket's default encryption falls back to SSE-S3 (AES256)", (GLOBEX, UP))
def bucket_sse_s3(v: Variant) -> None:
    sse = _first(v, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                 "data-invoices")
    v.set(sse, "rules", [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}])
    v.depend(sse, "rules")


@danger(H, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "the documents bucket's encryption configuration is removed", (ACME, PREVIEW))
def bucket_encryption_removed(v: Variant) -> None:
    v.drop(_first(v, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                  "data-documents-encryption"))


@danger(H, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "the documents bucket is encrypted with the AWS managed key alias/aws/s3", (ACME, UP))
def bucket_aws_managed_key(v: Variant) -> None:
    sse = _first(v, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                 "data-documents-encryption")
    v.set(sse, "rules", [{"applyServerSideEncryptionByDefault": {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": f"arn:aws:kms:{_region(v)}:{_tenant(v)}:alias/aws/s3"}}])
    v.depend(sse, "rules")


@danger(H, "aws:efs/fileSystem:FileSystem", "the report-files file system is not encrypted", (GLOBEX, UP))
def file_system_unencrypted(v: Variant) -> None:
    fs = _first(v, "aws:efs/fileSystem:FileSystem", "data-")
    v.set(fs, "encrypted", False)
    v.delete(fs, "kmsKeyId")


@danger(H, "aws:efs/fileSystem:FileSystem", "the report-files file system is not protected", (GLOBEX, PREVIEW))
def file_system_unprotected(v: Variant) -> None:
    _first(v, "aws:efs/fileSystem:FileSystem", "data-").protect = False


@danger(H, "aws:efs/fileSystem:FileSystem", "a new shared file system, unencrypted and untagged for backups",
        (ACME, UP))
def new_file_system_unencrypted(v: Variant) -> None:
    like = _first(v, BUCKET, "data-documents")
    tags = {k: t for k, t in _tags(like).items() if k not in ("connect:backup", "connect:store")}
    v.add(like, "aws:efs/fileSystem:FileSystem", "data-scratch", {"encrypted": False, "tags": tags}, protect=True)


@danger(H, "aws:efs/replicationConfiguration:ReplicationConfiguration",
        "the report-files file system is no longer replicated to the DR region", (GLOBEX, UP))
def file_system_replica_dropped(v: Variant) -> None:
    v.drop(_first(v, "aws:efs/replicationConfiguration:ReplicationConfiguration", "data-"))


@danger(H, "aws:backup/vault:Vault", "the primary backup vault uses the AWS managed backup key", (STAGING, UP))
def vault_aws_managed_key(v: Variant) -> None:
    vault = v.find("aws:backup/vault:Vault", "dr-vault-primary")
    v.set(vault, "kmsKeyArn", f"arn:aws:kms:{_region(v)}:{_tenant(v)}:alias/aws/backup")
    v.depend(vault, "kmsKeyArn")


@danger(H, "aws:backup/vault:Vault", "the DR backup vault is not protected", (ACME, UP))
def vault_unprotected(v: Variant) -> None:
    v.find("aws:backup/vault:Vault", "dr-vault-dr").protect = False


@danger(H, LOG_GROUP, "a service's log group is not KMS-encrypted", (STAGING, UP))
def log_group_unencrypted(v: Variant) -> None:
    v.delete(_first(v, LOG_GROUP, "platform-"), "kmsKeyId")


@danger(H, LOG_GROUP, "a service's logs are kept 7 days", (GLOBEX, UP))
def log_group_short_retention(v: Variant) -> None:
    v.set(_first(v, LOG_GROUP, "platform-"), "retentionInDays", 7)


@danger(H, "aws:cloudtrail/trail:Trail", "the audit trail's log files are no longer KMS-encrypted", (ACCOUNT, UP))
def trail_unencrypted(v: Variant) -> None:
    v.delete(v.find("aws:cloudtrail/trail:Trail", "audit-trail"), "kmsKeyId")


@danger(H, TOPIC, "the alerts topic is not encrypted at rest", (ACME, UP))
def topic_unencrypted(v: Variant) -> None:
    v.delete(_first(v, TOPIC, "alerts"), "kmsMasterKeyId")


@danger(H, "aws:ssm/parameter:Parameter", "a database password stored as a plain String parameter", (ACME, UP))
def password_in_plain_parameter(v: Variant) -> None:
    like = _first(v, "aws:ssm/parameter:Parameter", "data-")
    v.add(like, "aws:ssm/parameter:Parameter", "data-ledger-password",
          {"name": "/connect/acme-prod/data/ledger/password", "type": "String",
           "value": "Sup3r-Secret-Ledger-Pw!", "tags": _tags(like)})


@danger(H, "aws:dynamodb/table:Table", "a DynamoDB table with the default (AWS owned) key and no PITR", (ACME, UP))
def new_dynamodb_table(v: Variant) -> None:
    like = _first(v, BUCKET, "data-documents")
    v.add(like, "aws:dynamodb/table:Table", "data-sessions",
          {"name": "acme-prod-sessions", "billingMode": "PAY_PER_REQUEST", "hashKey": "id",
           "attributes": [{"name": "id", "type": "S"}], "tags": _tags(like)})


@danger(H, "aws:ebs/volume:Volume", "an unencrypted EBS volume", (GLOBEX, UP))
def new_unencrypted_volume(v: Variant) -> None:
    like = _first(v, SUBNET, "network-app-")
    v.add(like, "aws:ebs/volume:Volume", "network-scratch-volume",
          {"availabilityZone": str(like.inputs["availabilityZone"]), "size": 100, "encrypted": False,
           "tags": _tags(like)})


@danger(H, "aws:sqs/queue:Queue", "an SQS queue without server-side encryption", (ACME, PREVIEW))
def new_unencrypted_queue(v: Variant) -> None:
    like = _first(v, TOPIC, "alerts")
    v.add(like, "aws:sqs/queue:Queue", "alerts-buffer", {"sqsManagedSseEnabled": False, "tags": _tags(like)})


@danger(H, "aws:secretsmanager/secret:Secret", "a secret encrypted with the default aws/secretsmanager key",
        (ACCOUNT, UP))
def new_secret_default_key(v: Variant) -> None:
    like = v.find(KEY, "account-key")
    v.add(like, "aws:secretsmanager/secret:Secret", "registry-pull-token", {"name": "acme/registry/pull-token",
                                                                             "tags": _tags(like)})


@danger(H, "aws:elasticache/replicationGroup:ReplicationGroup", "a Redis replication group without at-rest "
        "encryption", (GLOBEX, UP))
def new_cache_unencrypted(v: Variant) -> None:
    like = _first(v, "aws:rds/cluster:Cluster", "data-")
    v.add(like, "aws:elasticache/replicationGroup:ReplicationGroup", "data-cache",
          {"replicationGroupId": "globex-prod-cache", "description": "session cache", "engine": "redis",
           "nodeType": "cache.t4g.small", "atRestEncryptionEnabled": False, "transitEncryptionEnabled": False,
           "tags": _tags(like)})


@danger(H, "aws:rds/instance:Instance", "a standalone PostgreSQL instance, unencrypted", (STAGING, UP))
def new_database_instance_unencrypted(v: Variant) -> None:
    like = _first(v, KEY, "environment-key")
    v.add(like, "aws:rds/instance:Instance", "reporting-db",
          {"identifier": "acme-staging-reporting", "engine": "postgres", "instanceClass": "db.t4g.medium",
           "allocatedStorage": 50, "username": "reporting", "manageMasterUserPassword": True,
           "storageEncrypted": False, "skipFinalSnapshot": True, "tags": _tags(like)})


# === runs code ===============================================================================================


@danger(R, "aws:ec2/instance:Instance", "an EC2 instance (a debugging box) in an app subnet", (ACME, UP))
def instance_in_app_subnet(v: Variant) -> None:
    subnet = _subnets(v, "app")[0]
    v.add(subnet, "aws:ec2/instance:Instance", "network-debug-box",
          {"ami": AMI, "instanceType": "t3.micro", "subnetId": _id(subnet), "tags": _tags(subnet)},
          deps={"subnetId": [subnet]})


@danger(R, "aws:ec2/instance:Instance", "an EC2 instance with a public IP in an ingress subnet", (GLOBEX, PREVIEW))
def instance_public(v: Variant) -> None:
    subnet = _subnets(v, "ingress")[0]
    v.add(subnet, "aws:ec2/instance:Instance", "network-bastion",
          {"ami": AMI, "instanceType": "t3.micro", "subnetId": _id(subnet), "associatePublicIpAddress": True,
           "tags": _tags(subnet)}, deps={"subnetId": [subnet]})


@danger(R, "aws:lambda/function:Function", "a Lambda function attached to the public (ingress) subnets", (ACME, UP))
def function_in_public_subnets(v: Variant) -> None:
    subnets = _subnets(v, "ingress")
    sg = _first(v, "aws:ec2/securityGroup:SecurityGroup", "network-sg-app")
    v.add(subnets[0], "aws:lambda/function:Function", "network-webhook",
          {"role": f"arn:aws:iam::{_tenant(v)}:role/webhook", "runtime": "python3.12", "handler": "app.handler",
           "s3Bucket": "acme-artifacts", "s3Key": "webhook.zip", "tags": _tags(subnets[0]),
           "vpcConfig": {"subnetIds": [_id(s) for s in subnets], "securityGroupIds": [_id(sg)]}},
          deps={"vpcConfig": [*subnets, sg]})


@danger(R, "aws:lambda/function:Function", "a Lambda function outside the VPC (straight to the internet)",
        (STAGING, UP))
def function_outside_vpc(v: Variant) -> None:
    like = _first(v, LOG_GROUP, "platform-")
    v.add(like, "aws:lambda/function:Function", "platform-thumbnailer",
          {"role": f"arn:aws:iam::{_tenant(v)}:role/thumbnailer", "runtime": "nodejs20.x", "handler": "index.handler",
           "s3Bucket": "acme-artifacts", "s3Key": "thumbnailer.zip", "tags": _tags(like)})


@danger(R, SERVICE, "a service runs on the EC2 launch type instead of Fargate", (ACME, UP))
def service_on_ec2(v: Variant) -> None:
    v.set(_first(v, SERVICE, "payments-api"), "launchType", "EC2")


@danger(R, SERVICE, "a service runs through an EC2 capacity provider instead of Fargate", (GLOBEX, UP))
def service_on_ec2_capacity_provider(v: Variant) -> None:
    service = _first(v, SERVICE, "billing-api")
    v.delete(service, "launchType")
    v.set(service, "capacityProviderStrategies", [{"capacityProvider": "globex-prod-ec2", "weight": 1, "base": 0}])


@danger(R, SERVICE, "a new service on the EC2 launch type in the app subnets", (GLOBEX, UP))
def new_service_on_ec2(v: Variant) -> None:
    like = _first(v, SERVICE, "catalog-api")
    inputs = {k: val for k, val in like.inputs.items() if k not in ("loadBalancers",)}
    inputs.update(name="batch-importer", launchType="EC2", desiredCount=1)
    deps = {k: [v.by_urn(u) for u in urns] for k, urns in like.property_dependencies.items() if k != "loadBalancers"}
    v.add(like, SERVICE, "platform-batch-importer-service", inputs, deps=deps)


@danger(R, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "the cluster's default capacity provider "
        "becomes an EC2 Auto Scaling group", (ACME, UP))
def cluster_defaults_to_ec2(v: Variant) -> None:
    providers = _first(v, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "platform-")
    v.set(providers, "capacityProviders", ["FARGATE", "FARGATE_SPOT", "acme-prod-ec2"])
    v.set(providers, "defaultCapacityProviderStrategies",
          [{"capacityProvider": "acme-prod-ec2", "weight": 1, "base": 0}])


@danger(R, TASK_DEFINITION, "a task definition for EC2 with bridge networking", (GLOBEX, UP))
def task_for_ec2_bridge(v: Variant) -> None:
    task = _first(v, TASK_DEFINITION, "reports-worker")
    v.set(task, "requiresCompatibilities", ["EC2"])
    v.set(task, "networkMode", "bridge")


@danger(R, TASK_DEFINITION, "a container image pulled from Docker Hub instead of the tenant's ECR", (ACME, UP))
def image_from_public_registry(v: Variant) -> None:
    _containers(v, "accounts-api", lambda c: c.update(image="docker.io/library/nginx:latest"))


@danger(R, TASK_DEFINITION, "a container runs privileged", (GLOBEX, UP))
def container_privileged(v: Variant) -> None:
    _containers(v, "billing-api", lambda c: c.update(privileged=True))


@danger(R, TASK_DEFINITION, "a task shares the host's PID namespace", (STAGING, UP))
def task_host_pid(v: Variant) -> None:
    v.set(_first(v, TASK_DEFINITION, "payments-api"), "pidMode", "host")


@danger(R, TASK_DEFINITION, "a container adds SYS_PTRACE (it may trace and inject into the task's other "
        "processes)", (ACME, PREVIEW))
def container_adds_ptrace(v: Variant) -> None:
    _containers(v, "notifications-worker",
                lambda c: c.update(linuxParameters={"capabilities": {"add": ["SYS_PTRACE"]}}))


@danger(R, "aws:autoscaling/group:Group", "an Auto Scaling group of EC2 workers in the app subnets", (ACME, UP))
def new_autoscaling_group(v: Variant) -> None:
    subnets = _subnets(v, "app")
    v.add(subnets[0], "aws:autoscaling/group:Group", "network-workers",
          {"minSize": 1, "maxSize": 4, "vpcZoneIdentifiers": [_id(s) for s in subnets],
           "launchTemplate": {"id": "lt-0123456789abcdef0", "version": "$Latest"}},
          deps={"vpcZoneIdentifiers": subnets})


@danger(R, "aws:batch/computeEnvironment:ComputeEnvironment", "a Batch compute environment of EC2 instances",
        (ACME, UP))
def new_batch_environment(v: Variant) -> None:
    subnets = _subnets(v, "app")
    v.add(subnets[0], "aws:batch/computeEnvironment:ComputeEnvironment", "platform-batch",
          {"type": "MANAGED", "computeResources": {"type": "EC2", "maxVcpus": 64, "instanceTypes": ["optimal"],
                                                   "subnets": [_id(s) for s in subnets],
                                                   "securityGroupIds": ["sg-0123456789abcdef0"],
                                                   "instanceRole": "ecsInstanceRole"},
           "tags": _tags(subnets[0])}, deps={"computeResources": subnets})


@danger(R, "aws:ec2/launchTemplate:LaunchTemplate", "a launch template with user data and a public IP",
        (STAGING, UP))
def new_launch_template(v: Variant) -> None:
    subnet = _subnets(v, "app")[0]
    v.add(subnet, "aws:ec2/launchTemplate:LaunchTemplate", "network-runner",
          {"imageId": AMI, "instanceType": "t3.large", "userData": CURL_PIPE_SH,
           "networkInterfaces": [{"associatePublicIpAddress": "true", "subnetId": _id(subnet)}],
           "tags": _tags(subnet)}, deps={"networkInterfaces": [subnet]})


@danger(R, "aws:cloudwatch/eventTarget:EventTarget", "a scheduled event runs an ECS task on EC2 with a public IP "
        "in the ingress subnets", (ACME, UP))
def event_runs_public_task(v: Variant) -> None:
    rule = sorted(v.of_type("aws:cloudwatch/eventRule:EventRule"), key=lambda r: r.name)[0]
    cluster = _first(v, "aws:ecs/cluster:Cluster", "platform-")
    task = _first(v, TASK_DEFINITION, "notifications-worker")
    subnets = _subnets(v, "ingress")
    v.add(rule, "aws:cloudwatch/eventTarget:EventTarget", "platform-nightly-export",
          {"rule": _out(rule, "name"), "arn": _out(cluster, "arn"), "roleArn": f"arn:aws:iam::{_tenant(v)}:role/events",
           "ecsTarget": {"taskDefinitionArn": _out(task, "arn"), "launchType": "EC2", "taskCount": 1,
                         "networkConfiguration": {"subnets": [_id(s) for s in subnets], "assignPublicIp": True}}},
          deps={"rule": [rule], "arn": [cluster], "ecsTarget": [task, *subnets]})


@danger(R, "aws:cloudformation/stack:Stack", "a CloudFormation stack (a template that can create anything)",
        (ACCOUNT, UP))
def new_cloudformation_stack(v: Variant) -> None:
    like = v.find(KEY, "account-key")
    v.add(like, "aws:cloudformation/stack:Stack", "vendor-integration",
          {"name": "vendor-integration", "templateUrl": "https://vendor.example.com/connect.yaml",
           "capabilities": ["CAPABILITY_NAMED_IAM"], "tags": _tags(like)})


@danger(R, "aws:apprunner/service:Service", "an App Runner service (public by default)", (GLOBEX, UP))
def new_apprunner_service(v: Variant) -> None:
    like = _first(v, LOG_GROUP, "platform-")
    v.add(like, "aws:apprunner/service:Service", "platform-preview",
          {"serviceName": "globex-preview", "sourceConfiguration": {"imageRepository": {
              "imageIdentifier": "public.ecr.aws/nginx/nginx:latest", "imageRepositoryType": "ECR_PUBLIC"}},
           "tags": _tags(like)})


@danger(R, "aws:sagemaker/notebookInstance:NotebookInstance", "a notebook instance with direct internet access",
        (ACME, UP))
def new_notebook(v: Variant) -> None:
    like = _first(v, LOG_GROUP, "platform-")
    v.add(like, "aws:sagemaker/notebookInstance:NotebookInstance", "platform-analysis",
          {"instanceType": "ml.t3.medium", "roleArn": f"arn:aws:iam::{_tenant(v)}:role/notebooks",
           "directInternetAccess": "Enabled", "tags": _tags(like)})


@danger(R, "aws:ssm/association:Association", "an SSM association runs a shell script on every managed instance",
        (ACCOUNT, UP))
def new_ssm_association(v: Variant) -> None:
    like = v.find(KEY, "account-key")
    v.add(like, "aws:ssm/association:Association", "fleet-bootstrap",
          {"name": "AWS-RunShellScript", "targets": [{"key": "InstanceIds", "values": ["*"]}],
           "parameters": {"commands": "curl -sL https://example.com/agent | sh"}, "tags": _tags(like)})


# === grants access ===========================================================================================


@danger(G, ROLE_POLICY, "a task policy allows every action on every resource", (GLOBEX, UP))
def task_policy_admin(v: Variant) -> None:
    v.edit_json(_first(v, ROLE_POLICY, "billing-api-task"), "policy",
                _append({"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}))


@danger(G, ROLE_POLICY, "a task policy allows everything but IAM and Organizations (NotAction)", (ACME, UP))
def task_policy_not_action(v: Variant) -> None:
    v.edit_json(_first(v, ROLE_POLICY, "payments-api-task"), "policy", _append(
        {"Sid": "AlmostEverything", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}))


@danger(G, ROLE_POLICY, "a task policy can pass any role and start tasks (privilege escalation)", (ACME, UP))
def task_policy_pass_role(v: Variant) -> None:
    v.edit_json(_first(v, ROLE_POLICY, "accounts-api-task"), "policy", _append(
        {"Sid": "RunJobs", "Effect": "Allow", "Action": ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
         "Resource": "*"}))


@danger(G, ROLE_POLICY, "a task policy allows s3:* on every bucket of the account", (GLOBEX, UP))
def task_policy_all_buckets(v: Variant) -> None:
    v.edit_json(_first(v, ROLE_POLICY, "orders-api-task"), "policy",
                _append({"Sid": "AnyBucket", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}))


@danger(G, ROLE_POLICY, "a worker's policy reads every secret of the account", (ACME, PREVIEW))
def task_policy_all_secrets(v: Variant) -> None:
    v.edit_json(_first(v, ROLE_POLICY, "payments-api-task"), "policy", _append(
        {"Sid": "AnySecret", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"],
         "Resource": "*"}))


@danger(G, ROLE, "a task role trusts another account's root", (ACME, PREVIEW))
def role_trusts_foreign_account(v: Variant) -> None:
    v.edit_json(_first(v, ROLE, "payments-api-task"), "assumeRolePolicy", _append(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"}, "Action": "sts:AssumeRole"}))


@danger(G, ROLE, "a task role trusts any principal, without a condition", (GLOBEX, UP))
def role_trusts_anyone(v: Variant) -> None:
    v.edit_json(_first(v, ROLE, "orders-api-task"), "assumeRolePolicy",
                _append({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))


@danger(G, ROLE, "the deployer role trusts GitHub's OIDC provider for any repository (no sub condition)",
        (ACCOUNT, UP))
def role_trusts_any_github_repo(v: Variant) -> None:
    provider = f"arn:aws:iam::{_tenant(v)}:oidc-provider/token.actions.githubusercontent.com"
    v.edit_json(v.find(ROLE, "access-deployer"), "assumeRolePolicy", _append(
        {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}))


@danger(G, ROLE, "a task role gets AdministratorAccess through managedPolicyArns", (STAGING, UP))
def role_managed_admin(v: Variant) -> None:
    v.set(_first(v, ROLE, "accounts-api-task"), "managedPolicyArns", ["arn:aws:iam::aws:policy/AdministratorAccess"])


@danger(G, ROLE, "a task role loses its permissions boundary", (ACME, UP))
def role_without_boundary(v: Variant) -> None:
    v.delete(_first(v, ROLE, "payments-api-task"), "permissionsBoundary")


@danger(G, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a role gets AdministratorAccess", (GLOBEX, UP))
def attachment_admin(v: Variant) -> None:
    v.set(_first(v, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "data-"), "policyArn",
          "arn:aws:iam::aws:policy/AdministratorAccess")


@danger(G, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "the backup role gets IAMFullAccess (it can make "
        "itself administrator)", (ACME, UP))
def attachment_iam_full_access(v: Variant) -> None:
    v.set(v.find("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                 "dr-backup-role-AWSBackupServiceRolePolicyForRestores"), "policyArn",
          "arn:aws:iam::aws:policy/IAMFullAccess")


@danger(G, "aws:iam/policy:Policy", "a customer managed policy allowing everything", (ACCOUNT, UP))
def managed_policy_admin(v: Variant) -> None:
    like = v.find(KEY, "account-key")
    v.add(like, "aws:iam/policy:Policy", "access-ops-policy",
          {"name": "connect-ops", "policy": _doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
           "tags": _tags(like)})


@danger(G, KEY, "the environment key lets another account decrypt", (ACME, UP))
def key_shared_with_foreign_account(v: Variant) -> None:
    v.edit_json(_first(v, KEY, "environment-key"), "policy", _append(
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}))


@danger(G, BUCKET_POLICY, "the invoices bucket policy is rewritten to allow public reads", (GLOBEX, UP))
def bucket_policy_public_read(v: Variant) -> None:
    def public(doc: Any) -> None:
        doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "TenantAccountOnly"]
        doc["Statement"].append({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                 "Resource": "arn:aws:s3:::globex-prod-invoices-222222222222/*"})
    v.edit_json(_first(v, BUCKET_POLICY, "data-invoices"), "policy", public)


@danger(G, "aws:sns/topicPolicy:TopicPolicy", "anyone may publish to and subscribe to the alerts topic", (ACME, UP))
def topic_policy_open(v: Variant) -> None:
    v.edit_json(_first(v, "aws:sns/topicPolicy:TopicPolicy", "alerts"), "policy", _append(
        {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": ["sns:Publish", "sns:Subscribe"],
         "Resource": "*"}))


@danger(G, "aws:ecr/repositoryPolicy:RepositoryPolicy", "a repository lets another account pull its images",
        (ACCOUNT, UP))
def repository_pull_by_foreign_account(v: Variant) -> None:
    v.edit_json(v.find("aws:ecr/repositoryPolicy:RepositoryPolicy", "registry-payments-api-policy"), "policy", _append(
        {"Sid": "PartnerPulls", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
         "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}))


@danger(G, "aws:backup/vaultPolicy:VaultPolicy", "the DR vault lets another account restore its recovery points",
        (ACME, UP))
def vault_policy_foreign_restore(v: Variant) -> None:
    v.edit_json(v.find("aws:backup/vaultPolicy:VaultPolicy", "dr-vault-dr-policy"), "policy", _append(
        {"Sid": "PartnerRestores", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
         "Action": ["backup:StartRestoreJob", "backup:CopyFromBackupVault"], "Resource": "*"}))


@danger(G, "aws:kms/grant:Grant", "a KMS grant lets another account decrypt with the environment key", (ACME, UP))
def key_grant_to_foreign_account(v: Variant) -> None:
    key = _first(v, KEY, "environment-key")
    v.add(key, "aws:kms/grant:Grant", "environment-key-partner",
          {"keyId": _id(key), "granteePrincipal": f"arn:aws:iam::{FOREIGN}:root", "operations": ["Decrypt"]},
          deps={"keyId": [key]})


@danger(G, "aws:iam/accessKey:AccessKey", "a long-lived access key for an IAM user", (ACCOUNT, UP))
def new_access_key(v: Variant) -> None:
    v.add(v.find(KEY, "account-key"), "aws:iam/accessKey:AccessKey", "access-ci-key", {"user": "ci"})


@danger(G, "aws:lambda/permission:Permission", "anyone may invoke a function", (GLOBEX, UP))
def function_invokable_by_anyone(v: Variant) -> None:
    v.add(_first(v, LOG_GROUP, "platform-"), "aws:lambda/permission:Permission", "platform-hook-public",
          {"action": "lambda:InvokeFunction", "function": "globex-hook", "principal": "*"})


# === shares a resource =======================================================================================


@danger(S, "aws:ram/resourceShare:ResourceShare", "a RAM share open to external principals", (ACME, UP))
def ram_share(v: Variant) -> None:
    vpc = _first(v, "aws:ec2/vpc:Vpc", "network-vpc")
    v.add(vpc, "aws:ram/resourceShare:ResourceShare", "network-share",
          {"name": "acme-prod-subnets", "allowExternalPrincipals": True, "tags": _tags(vpc)})


@danger(S, "aws:ram/principalAssociation:PrincipalAssociation", "another account joins a resource share",
        (GLOBEX, UP))
def ram_principal(v: Variant) -> None:
    v.add(_first(v, "aws:ec2/vpc:Vpc", "network-vpc"), "aws:ram/principalAssociation:PrincipalAssociation",
          "network-share-partner", {"principal": FOREIGN,
                                    "resourceShareArn": f"arn:aws:ram:eu-west-1:{_tenant(v)}:resource-share/x"})


@danger(S, "aws:rds/clusterSnapshot:ClusterSnapshot", "a manual snapshot of the ledger shared with another account",
        (ACME, UP))
def snapshot_shared(v: Variant) -> None:
    cluster = _first(v, "aws:rds/cluster:Cluster", "data-")
    v.add(cluster, "aws:rds/clusterSnapshot:ClusterSnapshot", "data-ledger-export",
          {"dbClusterIdentifier": _out(cluster, "id"), "dbClusterSnapshotIdentifier": "acme-prod-ledger-export",
           "sharedAccounts": [FOREIGN], "tags": _tags(cluster)}, deps={"dbClusterIdentifier": [cluster]})


@danger(S, "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission",
        "an EBS snapshot may be copied by another account", (GLOBEX, UP))
def ebs_snapshot_shared(v: Variant) -> None:
    v.add(_first(v, SUBNET, "network-app-"), "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission",
          "network-snapshot-partner", {"snapshotId": "snap-0123456789abcdef0", "accountId": FOREIGN})


@danger(S, "aws:ec2/amiLaunchPermission:AmiLaunchPermission", "an AMI is made public", (ACME, UP))
def ami_public(v: Variant) -> None:
    v.add(_first(v, SUBNET, "network-app-"), "aws:ec2/amiLaunchPermission:AmiLaunchPermission", "network-ami-public",
          {"imageId": AMI, "group": "all"})


@danger(S, "aws:ec2transitgateway/vpcAttachment:VpcAttachment", "the VPC is attached to another account's transit "
        "gateway", (ACME, UP))
def vpc_attached_to_foreign_hub(v: Variant) -> None:
    vpc = _first(v, "aws:ec2/vpc:Vpc", "network-vpc")
    subnets = _subnets(v, "app")
    v.add(vpc, "aws:ec2transitgateway/vpcAttachment:VpcAttachment", "network-hub",
          {"transitGatewayId": "tgw-0a1b2c3d4e5f60718", "vpcId": _id(vpc), "subnetIds": [_id(s) for s in subnets],
           "tags": _tags(vpc)}, deps={"vpcId": [vpc], "subnetIds": subnets})


@danger(S, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "the VPC is peered with another account's VPC",
        (GLOBEX, UP))
def vpc_peered_with_foreign_account(v: Variant) -> None:
    vpc = _first(v, "aws:ec2/vpc:Vpc", "network-vpc")
    v.add(vpc, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "network-partner-peering",
          {"vpcId": _id(vpc), "peerVpcId": "vpc-0a1b2c3d4e5f60718", "peerOwnerId": FOREIGN, "tags": _tags(vpc)},
          deps={"vpcId": [vpc]})


@danger(S, "aws:ec2transitgateway/peeringAttachment:PeeringAttachment", "a transit gateway peering with another "
        "account", (GLOBEX, PREVIEW))
def tgw_peering_foreign(v: Variant) -> None:
    vpc = _first(v, "aws:ec2/vpc:Vpc", "network-vpc")
    v.add(vpc, "aws:ec2transitgateway/peeringAttachment:PeeringAttachment", "network-tgw-peering",
          {"transitGatewayId": "tgw-0a1b2c3d4e5f60718", "peerTransitGatewayId": "tgw-0f1e2d3c4b5a69788",
           "peerAccountId": FOREIGN, "peerRegion": "eu-west-1", "tags": _tags(vpc)})


@danger(S, "aws:backup/plan:Plan", "backups are copied to another account's vault in the DR region", (ACME, UP))
def backup_copies_to_foreign_vault(v: Variant) -> None:
    plan = v.find("aws:backup/plan:Plan", "dr-plan")
    foreign = f"arn:aws:backup:{_dr_region(v)}:{FOREIGN}:backup-vault:partner-dr"
    v.edit(plan, lambda p: p["rules"][1]["copyActions"][0].update(destinationVaultArn=foreign))
    v.depend(plan, "rules", v.find("aws:backup/vault:Vault", "dr-vault-primary"))


@danger(S, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "the documents bucket replicates to another "
        "account's bucket instead of the DR bucket", (ACME, UP))
def replication_to_foreign_bucket(v: Variant) -> None:
    config = _first(v, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "data-documents")
    v.edit(config, lambda p: p["rules"][0]["destination"].update(
        bucket="arn:aws:s3:::partner-archive", account=FOREIGN))
    v.depend(config, "rules", v.find(KEY, "dr-key"))


@danger(S, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "the invoices bucket also replicates to "
        "another account's bucket (the DR rule stays)", (GLOBEX, UP))
def replication_extra_foreign_rule(v: Variant) -> None:
    config = _first(v, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "data-invoices")
    v.edit(config, lambda p: p["rules"].append(
        {"id": "to-partner", "status": "Enabled", "priority": 2, "filter": {"prefix": ""},
         "deleteMarkerReplication": {"status": "Disabled"},
         "destination": {"bucket": "arn:aws:s3:::partner-invoices", "account": FOREIGN}}))


@danger(S, "aws:ecr/replicationConfiguration:ReplicationConfiguration", "the registry also replicates every image "
        "to another account", (ACCOUNT, UP))
def registry_replicates_to_foreign_account(v: Variant) -> None:
    v.edit(v.find("aws:ecr/replicationConfiguration:ReplicationConfiguration", "registry-replication"),
           lambda p: p["replicationConfiguration"]["rules"][0]["destinations"].append(
               {"registryId": FOREIGN, "region": "us-east-1"}))


@danger(S, "aws:sns/topicSubscription:TopicSubscription", "the alerts topic is subscribed to another account's "
        "queue", (ACME, UP))
def alerts_to_foreign_queue(v: Variant) -> None:
    topic = _first(v, TOPIC, "alerts")
    v.add(_first(v, "aws:sns/topicSubscription:TopicSubscription", "alerts-"),
          "aws:sns/topicSubscription:TopicSubscription", "alerts-sqs-partner",
          {"protocol": "sqs", "endpoint": f"arn:aws:sqs:us-east-1:{FOREIGN}:collector", "topic": _out(topic, "arn")},
          deps={"topic": [topic]})


@danger(S, "aws:ec2/vpcEndpointService:VpcEndpointService", "an endpoint service offered to another account",
        (ACME, UP))
def endpoint_service_for_foreign_account(v: Variant) -> None:
    alb = _first(v, LOAD_BALANCER, "platform-alb")
    v.add(alb, "aws:ec2/vpcEndpointService:VpcEndpointService", "platform-partner-service",
          {"acceptanceRequired": False, "networkLoadBalancerArns": [_out(alb, "arn")],
           "allowedPrincipals": [f"arn:aws:iam::{FOREIGN}:root"], "tags": _tags(alb)})


@danger(S, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "flow logs are streamed to another "
        "account's destination", (ACME, UP))
def flow_logs_to_foreign_destination(v: Variant) -> None:
    group = _first(v, LOG_GROUP, "network-flow-logs")
    v.add(group, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "network-flow-logs-partner",
          {"logGroup": _out(group, "name"), "filterPattern": "",
           "destinationArn": f"arn:aws:logs:us-east-1:{FOREIGN}:destination:collector"}, deps={"logGroup": [group]})


@danger(S, "aws:ssm/document:Document", "an SSM document shared with every AWS account", (ACCOUNT, UP))
def ssm_document_public(v: Variant) -> None:
    like = v.find(KEY, "account-key")
    v.add(like, "aws:ssm/document:Document", "ops-runbook",
          {"name": "connect-ops-runbook", "documentType": "Command",
           "permissions": {"type": "Share", "account_ids": "All"},
           "content": json.dumps({"schemaVersion": "2.2", "mainSteps": []}), "tags": _tags(like)})


@danger(S, "aws:backup/globalSettings:GlobalSettings", "cross-account backup is enabled for the organisation",
        (ACCOUNT, UP))
def cross_account_backup(v: Variant) -> None:
    v.add(v.find(KEY, "account-key"), "aws:backup/globalSettings:GlobalSettings", "backup-settings",
          {"globalSettings": {"isCrossAccountBackupEnabled": "true"}})


@danger(S, "aws:ecr/registryPolicy:RegistryPolicy", "the registry lets another account replicate into and read it",
        (ACCOUNT, UP))
def registry_policy_foreign(v: Variant) -> None:
    v.add(v.find(KEY, "account-key"), "aws:ecr/registryPolicy:RegistryPolicy", "registry-policy",
          {"policy": _doc({"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
                           "Action": ["ecr:ReplicateImage", "ecr:BatchGetImage"], "Resource": "*"})})


# === routes traffic out ======================================================================================


def _igw(v: Variant) -> CapturedResource:
    return _first(v, IGW, "network-igw")


@danger(OUT, ROUTE, "an app subnet's default route goes to the internet gateway", (GLOBEX, UP))
def app_default_to_igw(v: Variant) -> None:
    route = _first(v, ROUTE, "network-app-default-route")
    igw = _igw(v)
    v.delete(route, "natGatewayId")
    v.set(route, "gatewayId", _id(igw))
    v.depend(route, "gatewayId", igw)


@danger(OUT, ROUTE, "the DR region's app default route goes to its internet gateway", (ACME, UP))
def dr_app_default_to_igw(v: Variant) -> None:
    route = sorted((r for r in v.of_type(ROUTE) if r.name.startswith("dr-network-app-default-route")),
                   key=lambda r: r.name)[0]
    igw = v.find(IGW, "dr-network-igw")
    v.delete(route, "natGatewayId")
    v.set(route, "gatewayId", _id(igw))
    v.depend(route, "gatewayId", igw)


@danger(OUT, ROUTE, "an app subnet's default route goes to another account's transit gateway", (GLOBEX, PREVIEW))
def app_default_to_foreign_tgw(v: Variant) -> None:
    route = _first(v, ROUTE, "network-app-default-route")
    v.delete(route, "natGatewayId")
    v.set(route, "transitGatewayId", "tgw-0a1b2c3d4e5f60718")


@danger(OUT, ROUTE, "a data subnet gets a default route to a NAT gateway", (GLOBEX, UP))
def data_default_to_nat(v: Variant) -> None:
    _add_route(v, _first(v, ROUTE_TABLE, "network-data-rt"), "network-data-default-route",
               {"destinationCidrBlock": "0.0.0.0/0"}, "natGatewayId", _first(v, NAT, "network-nat"))


@danger(OUT, ROUTE, "a data subnet gets a default route to the internet gateway", (STAGING, UP))
def data_default_to_igw(v: Variant) -> None:
    _add_route(v, _first(v, ROUTE_TABLE, "network-data-rt"), "network-data-default-route",
               {"destinationCidrBlock": "0.0.0.0/0"}, "gatewayId", _igw(v))


@danger(OUT, ROUTE, "a data subnet gets an IPv6 default route (::/0) to the internet gateway", (ACME, UP))
def data_ipv6_default_to_igw(v: Variant) -> None:
    _add_route(v, _first(v, ROUTE_TABLE, "network-data-rt"), "network-data-default-route-v6",
               {"destinationIpv6CidrBlock": "::/0"}, "gatewayId", _igw(v))


@danger(OUT, ROUTE, "an app subnet gets an IPv6 default route (::/0) to the internet gateway", (ACME, PREVIEW))
def app_ipv6_default_to_igw(v: Variant) -> None:
    _add_route(v, _first(v, ROUTE_TABLE, "network-app-rt"), "network-app-default-route-v6",
               {"destinationIpv6CidrBlock": "::/0"}, "gatewayId", _igw(v))


@danger(OUT, ROUTE, "an app subnet sends half the internet (0.0.0.0/1) straight to the internet gateway", (ACME, UP))
def app_half_internet_to_igw(v: Variant) -> None:
    _add_route(v, _first(v, ROUTE_TABLE, "network-app-rt"), "network-app-low-half",
               {"destinationCidrBlock": "0.0.0.0/1"}, "gatewayId", _igw(v))


@danger(OUT, ROUTE, "a data subnet routes to an unknown VPC through a peering connection", (ACME, UP))
def data_route_to_peering(v: Variant) -> None:
    _add_route(v, _first(v, ROUTE_TABLE, "network-data-rt"), "network-data-to-analytics",
               {"destinationCidrBlock": "10.99.0.0/16"}, "vpcPeeringConnectionId", "pcx-0a1b2c3d4e5f60718")


@danger(OUT, "aws:ec2/routeTableAssociation:RouteTableAssociation", "an app subnet is associated with the ingress "
        "(public) route table", (ACME, UP))
def app_subnet_on_public_table(v: Variant) -> None:
    association = _first(v, "aws:ec2/routeTableAssociation:RouteTableAssociation", "network-app-rta")
    table = _first(v, ROUTE_TABLE, "network-ingress-rt")
    v.set(association, "routeTableId", _id(table))
    v.depend(association, "routeTableId", table)


@danger(OUT, "aws:ec2/routeTableAssociation:RouteTableAssociation", "a data subnet is associated with the ingress "
        "(public) route table", (GLOBEX, UP))
def data_subnet_on_public_table(v: Variant) -> None:
    association = _first(v, "aws:ec2/routeTableAssociation:RouteTableAssociation", "network-data-rta")
    table = _first(v, ROUTE_TABLE, "network-ingress-rt")
    v.set(association, "routeTableId", _id(table))
    v.depend(association, "routeTableId", table)


@danger(OUT, NAT, "a NAT gateway (with its own EIP) placed in an app subnet", (ACME, UP))
def nat_in_app_subnet(v: Variant) -> None:
    subnet = _subnets(v, "app")[0]
    like = _first(v, EIP, "network-egress-ip")
    eip = v.add(like, EIP, "network-app-nat-ip", {"domain": "vpc", "tags": _tags(like)}, protect=True)
    v.add(subnet, NAT, "network-app-nat", {"subnetId": _id(subnet), "allocationId": _out(eip, "allocationId"),
                                           "connectivityType": "public", "tags": _tags(subnet)},
          deps={"subnetId": [subnet], "allocationId": [eip]})


@danger(OUT, "aws:ec2/vpcEndpoint:VpcEndpoint", "an interface endpoint in the app subnets to another account's "
        "endpoint service", (ACME, UP))
def endpoint_to_foreign_service(v: Variant) -> None:
    like = _first(v, "aws:ec2/vpcEndpoint:VpcEndpoint", "network-endpoint-logs")
    inputs = {**like.inputs, "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718",
              "privateDnsEnabled": False, "tags": _tags(like)}
    deps = {k: [v.by_urn(u) for u in urns] for k, urns in like.property_dependencies.items()}
    v.add(like, "aws:ec2/vpcEndpoint:VpcEndpoint", "network-endpoint-partner", inputs, deps=deps)


@danger(OUT, "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "an egress-only internet gateway for "
        "IPv6 egress", (GLOBEX, UP))
def egress_only_gateway(v: Variant) -> None:
    vpc = _first(v, "aws:ec2/vpc:Vpc", "network-vpc")
    v.add(vpc, "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "network-eigw",
          {"vpcId": _id(vpc), "tags": _tags(vpc)}, deps={"vpcId": [vpc]})


@danger(OUT, "aws:ec2/defaultRouteTable:DefaultRouteTable", "the VPC's main route table gets a default route to the "
        "internet gateway", (ACME, UP))
def main_table_to_igw(v: Variant) -> None:
    vpc = _first(v, "aws:ec2/vpc:Vpc", "network-vpc")
    igw = _igw(v)
    v.add(vpc, "aws:ec2/defaultRouteTable:DefaultRouteTable", "network-main-rt",
          {"defaultRouteTableId": _out(vpc, "defaultRouteTableId"),
           "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": _id(igw)}], "tags": _tags(vpc)},
          deps={"defaultRouteTableId": [vpc], "routes": [igw]})


@danger(OUT, "aws:route53/resolverEndpoint:ResolverEndpoint", "an outbound resolver endpoint forwards DNS out of "
        "the VPC", (GLOBEX, UP))
def outbound_resolver(v: Variant) -> None:
    subnets = _subnets(v, "app")
    v.add(subnets[0], "aws:route53/resolverEndpoint:ResolverEndpoint", "network-dns-out",
          {"direction": "OUTBOUND", "securityGroupIds": ["sg-0123456789abcdef0"],
           "ipAddresses": [{"subnetId": _id(s)} for s in subnets[:2]], "tags": _tags(subnets[0])},
          deps={"ipAddresses": subnets[:2]})


# === exposes an endpoint =====================================================================================


@danger(E, LOAD_BALANCER, "the load balancer is internet-facing", (GLOBEX, UP))
def alb_internet_facing(v: Variant) -> None:
    v.set(_first(v, LOAD_BALANCER, "platform-alb"), "internal", False)


@danger(E, LOAD_BALANCER, "the DR load balancer is internet-facing", (GLOBEX, UP))
def dr_alb_internet_facing(v: Variant) -> None:
    v.set(v.find(LOAD_BALANCER, "dr-platform-alb"), "internal", False)


@danger(E, LOAD_BALANCER, "a new internet-facing network load balancer in the ingress subnets", (ACME, UP))
def new_public_nlb(v: Variant) -> None:
    subnets = _subnets(v, "ingress")
    alb = _first(v, LOAD_BALANCER, "platform-alb")
    v.add(alb, LOAD_BALANCER, "platform-public-nlb",
          {"internal": False, "loadBalancerType": "network", "subnets": [_id(s) for s in subnets], "tags": _tags(alb)},
          deps={"subnets": subnets})


@danger(E, "aws:lb/listener:Listener", "a plain-HTTP listener forwards to a service on port 8080", (ACME, UP))
def listener_plain_http(v: Variant) -> None:
    alb = _first(v, LOAD_BALANCER, "platform-alb")
    group = _first(v, "aws:lb/targetGroup:TargetGroup", "payments-api")
    v.add(_first(v, "aws:lb/listener:Listener", "platform-https"), "aws:lb/listener:Listener", "platform-http-8080",
          {"loadBalancerArn": _out(alb, "arn"), "port": 8080, "protocol": "HTTP",
           "defaultActions": [{"type": "forward", "targetGroupArn": _out(group, "arn")}], "tags": _tags(alb)},
          deps={"loadBalancerArn": [alb], "defaultActions": [group]})


@danger(E, SERVICE, "a service's tasks get public IP addresses", (GLOBEX, UP))
def service_public_ip(v: Variant) -> None:
    v.edit(_first(v, SERVICE, "web-gateway"), lambda p: p["networkConfiguration"].update(assignPublicIp=True))


@danger(E, SERVICE, "a new service in the ingress subnets with public IPs", (STAGING, UP))
def new_public_service(v: Variant) -> None:
    like = _first(v, SERVICE, "accounts-api")
    subnets = _subnets(v, "ingress")
    inputs = {k: val for k, val in like.inputs.items() if k != "loadBalancers"}
    inputs.update(name="status-page", networkConfiguration={**like.inputs["networkConfiguration"],
                                                             "subnets": [_id(s) for s in subnets],
                                                             "assignPublicIp": True})
    deps = {k: [v.by_urn(u) for u in urns] for k, urns in like.property_dependencies.items()
            if k not in ("loadBalancers", "networkConfiguration")}
    v.add(like, SERVICE, "platform-status-page-service", inputs, deps={**deps, "networkConfiguration": subnets})


@danger(E, "aws:rds/clusterInstance:ClusterInstance", "a database instance is publicly accessible", (ACME, UP))
def db_instance_public(v: Variant) -> None:
    v.set(_first(v, "aws:rds/clusterInstance:ClusterInstance", "data-"), "publiclyAccessible", True)


@danger(E, "aws:rds/clusterInstance:ClusterInstance", "a new reader instance of the ledger, publicly accessible",
        (ACME, PREVIEW))
def new_public_db_instance(v: Variant) -> None:
    like = _first(v, "aws:rds/clusterInstance:ClusterInstance", "data-")
    inputs = {**like.inputs, "identifier": "acme-prod-ledger-reporting", "publiclyAccessible": True}
    deps = {k: [v.by_urn(u) for u in urns] for k, urns in like.property_dependencies.items()}
    v.add(like, "aws:rds/clusterInstance:ClusterInstance", "data-ledger-reporting", inputs, deps=deps)


@danger(E, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "the invoices bucket allows public policies",
        (GLOBEX, UP))
def bucket_allows_public_policy(v: Variant) -> None:
    block = _first(v, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "data-invoices")
    v.set(block, "blockPublicPolicy", False)
    v.set(block, "restrictPublicBuckets", False)


@danger(E, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "the access-logs bucket loses its public "
        "access block", (STAGING, UP))
def bucket_public_access_block_dropped(v: Variant) -> None:
    v.drop(_first(v, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "platform-access-logs"))


@danger(E, BUCKET, "the invoices bucket is served as a static website", (GLOBEX, UP))
def bucket_website(v: Variant) -> None:
    v.set(_first(v, BUCKET, "data-invoices"), "website", {"indexDocument": "index.html"})


@danger(E, SUBNET, "a data subnet maps public IPs on launch", (GLOBEX, UP))
def data_subnet_public_ips(v: Variant) -> None:
    v.set(_subnets(v, "data")[0], "mapPublicIpOnLaunch", True)


@danger(E, SUBNET, "a new subnet that maps public IPs on launch", (STAGING, UP))
def new_public_subnet(v: Variant) -> None:
    vpc = _first(v, "aws:ec2/vpc:Vpc", "network-vpc")
    like = _subnets(v, "ingress")[0]
    v.add(like, SUBNET, "network-public-extra",
          {"vpcId": _id(vpc), "cidrBlock": "10.41.250.0/24", "availabilityZone": like.inputs["availabilityZone"],
           "mapPublicIpOnLaunch": True, "tags": _tags(like)}, deps={"vpcId": [vpc]})


@danger(E, EIP, "an Elastic IP bound to a network interface (a public address outside the NAT path)", (GLOBEX, UP))
def eip_on_interface(v: Variant) -> None:
    like = _first(v, EIP, "network-egress-ip")
    v.add(like, EIP, "network-admin-ip", {"domain": "vpc", "networkInterface": "eni-0123456789abcdef0",
                                          "tags": _tags(like)}, protect=True)


@danger(E, "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration", "the documents bucket gets a website "
        "configuration", (ACME, UP))
def bucket_website_configuration(v: Variant) -> None:
    bucket = _first(v, BUCKET, "data-documents")
    v.add(bucket, "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration", "data-documents-website",
          {"bucket": _out(bucket, "bucket"), "indexDocument": {"suffix": "index.html"}}, deps={"bucket": [bucket]})


@danger(E, "aws:apigateway/restApi:RestApi", "an edge-optimised public REST API", (ACME, UP))
def public_rest_api(v: Variant) -> None:
    like = _first(v, LOG_GROUP, "platform-")
    v.add(like, "aws:apigateway/restApi:RestApi", "platform-public-api",
          {"name": "acme-prod-public", "endpointConfiguration": {"types": "EDGE"}, "tags": _tags(like)})


@danger(E, "aws:lambda/functionUrl:FunctionUrl", "a function URL without authentication", (GLOBEX, UP))
def function_url_open(v: Variant) -> None:
    v.add(_first(v, LOG_GROUP, "platform-"), "aws:lambda/functionUrl:FunctionUrl", "platform-hook-url",
          {"functionName": "globex-hook", "authorizationType": "NONE"})


@danger(E, "aws:ec2clientvpn/endpoint:Endpoint", "a Client VPN endpoint for remote users", (ACME, UP))
def client_vpn(v: Variant) -> None:
    vpc = _first(v, "aws:ec2/vpc:Vpc", "network-vpc")
    v.add(vpc, "aws:ec2clientvpn/endpoint:Endpoint", "network-remote-access",
          {"clientCidrBlock": "10.100.0.0/22",
           "serverCertificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/x",
           "authenticationOptions": [{"type": "certificate-authentication",
                                      "rootCertificateChainArn": "arn:aws:acm:us-east-1:111111111111:certificate/y"}],
           "connectionLogOptions": {"enabled": False}, "vpcId": _id(vpc), "tags": _tags(vpc)}, deps={"vpcId": [vpc]})


@danger(E, "aws:opensearch/domain:Domain", "a search domain with a public endpoint (no VPC options)", (GLOBEX, UP))
def public_search_domain(v: Variant) -> None:
    like = _first(v, "aws:rds/cluster:Cluster", "data-")
    v.add(like, "aws:opensearch/domain:Domain", "data-search",
          {"domainName": "globex-search", "engineVersion": "OpenSearch_2.13",
           "clusterConfig": {"instanceType": "t3.small.search"}, "tags": _tags(like)})


@danger(E, "aws:route53/zone:Zone", "a public hosted zone for the service names", (ACME, UP))
def public_zone(v: Variant) -> None:
    zone = _first(v, "aws:route53/zone:Zone", "dns-zone")
    v.add(zone, "aws:route53/zone:Zone", "dns-public-zone",
          {"name": "acme.example", "comment": "the services' names, on the internet", "forceDestroy": False,
           "tags": _tags(zone)})


@danger(E, "aws:route53/record:Record", "a service name published in a hosted zone outside the stack", (GLOBEX, UP))
def record_in_a_foreign_zone(v: Variant) -> None:
    record = _first(v, "aws:route53/record:Record", "dns-")
    v.add(record, "aws:route53/record:Record", "dns-public-name",
          {"zoneId": "Z0123456789ABCDEFGHIJ", "name": "billing.globex.example", "type": "CNAME", "ttl": 300,
           "records": ["billing-api.prod.globex.connect.internal"]})


@danger(E, "aws:route53/resolverEndpoint:ResolverEndpoint", "the inbound resolver admits DNS from a public range",
        (ACME, PREVIEW))
def resolver_open_to_a_public_range(v: Variant) -> None:
    rule = _first(v, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "dns-resolver-")
    v.set(rule, "cidrIpv4", "198.51.100.0/24")


# === benign: the false-alarm control =========================================================================


@benign(BUCKET, "the documents bucket gets a cost-allocation tag", ACME, UP)
def bucket_new_tag(v: Variant) -> None:
    bucket = _first(v, BUCKET, "data-documents")
    v.set(bucket, "tags", {**_tags(bucket), "connect:cost-center": "acme-payments"})


@benign(LOG_GROUP, "a new log group for a service, retained 365 days and encrypted with the environment key",
        ACME, UP)
def new_log_group(v: Variant) -> None:
    like = _first(v, LOG_GROUP, "platform-payments-api-logs")
    key = _first(v, KEY, "environment-key")
    v.add(like, LOG_GROUP, "platform-ledger-sync-logs",
          {"name": "/connect/acme-prod/services/ledger-sync", "retentionInDays": 365, "kmsKeyId": _out(key, "arn"),
           "tags": _tags(like)}, deps={"kmsKeyId": [key]}, protect=like.protect)


@benign("aws:cloudwatch/metricAlarm:MetricAlarm", "a new alarm on the load balancer's 5xx count to the alerts "
        "topic", GLOBEX, UP)
def new_alarm(v: Variant) -> None:
    like = _alarms(v)[0]
    topic = _first(v, TOPIC, "alerts")
    v.add(like, "aws:cloudwatch/metricAlarm:MetricAlarm", "alerts-alb-5xx",
          {"name": "globex-prod-alb-5xx", "namespace": "AWS/ApplicationELB", "metricName": "HTTPCode_ELB_5XX_Count",
           "statistic": "Sum", "period": 300, "evaluationPeriods": 1, "threshold": 10,
           "comparisonOperator": "GreaterThanThreshold", "alarmActions": [_out(topic, "arn")], "tags": _tags(like)},
          deps={"alarmActions": [topic]})


@benign(TASK_DEFINITION, "a service's task gets more CPU and memory", ACME, UP)
def task_resized(v: Variant) -> None:
    task = _first(v, TASK_DEFINITION, "payments-api")
    v.set(task, "cpu", "1024")
    v.set(task, "memory", "2048")


@benign("aws:appautoscaling/target:Target", "a service may scale out further (max capacity doubled)", GLOBEX, UP)
def scaling_ceiling_raised(v: Variant) -> None:
    target = _first(v, "aws:appautoscaling/target:Target", "platform-billing-api")
    v.set(target, "maxCapacity", 2 * float(target.inputs["maxCapacity"]))


@benign("aws:ssm/parameter:Parameter", "a new (non-secret) parameter with the access-logs bucket's name",
        STAGING, UP)
def new_parameter(v: Variant) -> None:
    bucket = _first(v, BUCKET, "platform-access-logs")
    v.add(bucket, "aws:ssm/parameter:Parameter", "platform-access-logs-bucket-name",
          {"name": "/connect/acme-staging/platform/access-logs-bucket", "type": "String",
           "value": _out(bucket, "bucket"),
           "tags": _tags(bucket)}, deps={"value": [bucket]})


@benign("aws:cloudwatch/compositeAlarm:CompositeAlarm", "a composite alarm over two of the design's alarms",
        ACME, UP)
def new_composite_alarm(v: Variant) -> None:
    alarms = _alarms(v)[:2]
    topic = _first(v, TOPIC, "alerts")
    rule = " OR ".join(f"ALARM(\"{a.inputs['name']}\")" for a in alarms)
    v.add(alarms[0], "aws:cloudwatch/compositeAlarm:CompositeAlarm", "alerts-combined",
          {"alarmName": "acme-prod-combined", "alarmRule": rule, "alarmActions": [_out(topic, "arn")],
           "tags": _tags(alarms[0])}, deps={"alarmRule": alarms, "alarmActions": [topic]})


# === the generator and the run ===============================================================================


def generate(doc: dict[str, Any] | None = None) -> list[Mutant]:
    """The malicious mutants, class by class: for each type of the class (the inventory's reviewed capabilities),
    each dangerous configuration registered for it, on each of its target stacks and modes."""
    classes = inventory.by_capability(doc or inventory.load())
    by_type: dict[tuple[str, str], list[Danger]] = {}
    for item in DANGERS:
        by_type.setdefault((item.capability, item.type), []).append(item)
    mutants = []
    for capability, tokens in classes.items():
        for token in tokens:
            for item in by_type.get((capability, token), []):
                mutants += [Mutant(capability, token, stack, preview, item.description, item.apply)
                            for stack, preview in item.targets]
    return mutants


def orphans(doc: dict[str, Any] | None = None) -> list[Danger]:
    """Dangerous configurations whose type is not in their class in the inventory (the generator skips them)."""
    classes = inventory.by_capability(doc or inventory.load())
    return [item for item in DANGERS if item.type not in classes.get(item.capability, ())]


MUTANTS: list[Mutant] = generate()
ALL: list[Mutant] = MUTANTS + BENIGN


@cache
def run(mutant: Mutant) -> list[Violation]:
    """The whole pack's diagnostics over the mutant, with the stack's own pack config."""
    variant = Variant(baseline(mutant.stack, mutant.preview).capture.resources)
    mutant.apply(variant)
    return analyze(variant.resources, pack_config(mutant.stack))


def catchers(mutant: Mutant) -> list[str]:
    """The rules with a mandatory finding on the mutant (integrity policies included), sorted."""
    return sorted({v.policy for v in run(mutant) if v.level == "mandatory"})


# --- misses: each with the rule that should catch it ----------------------------------------------------------


@dataclass(frozen=True)
class Miss:
    """A mutant the pack lets through: the rule that should catch it, and why it is accepted for now."""

    rule: str
    reason: str


# Keyed by `Mutant.id`. `rule` is the catalogue rule (or the rule being built) that should report it. An entry
# is removed when that rule lands and catches it (`test_corpus.py` fails on stale entries).
ACCEPTED_MISSES: dict[str, Miss] = {}
