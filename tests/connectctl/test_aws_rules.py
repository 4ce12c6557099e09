"""AWS rules no schema states (connectctl/engine/aws_rules.py): each rule on small synthetic plans, and the committed
stacks' plans."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from connectctl import plan as plan_module
from connectctl.engine import aws_rules
from connectctl.engine.aws_rules import RULES, check_resources, table
from connectctl.engine.capture import SECRET_SIG, SECRET_SIG_KEY, CapturedResource
from connectctl.engine.findings import EngineError
from tests.components.plans import planned

ACCOUNT = "111111111111"
PRIMARY, DR = "us-east-1", "us-west-2"
STACKS = ["acme-account", "acme-prod", "acme-staging", "globex-account", "globex-prod"]
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_NAME_ARN = f"arn:aws:secretsmanager:{PRIMARY}:{ACCOUNT}:secret:acme/prod/db"
SECRET_FULL_ARN = f"{SECRET_NAME_ARN}-AbCdEf"


def res(type_: str, name: str, inputs: dict[str, Any] | None = None, *, provider: str = "",
        deps: list[CapturedResource] | None = None, fed: dict[str, list[CapturedResource]] | None = None,
        outputs: dict[str, Any] | None = None) -> CapturedResource:
    """A registered resource as the capture records it; `fed` property dependencies also become dependencies."""
    fed = fed or {}
    dependencies = [r.urn for r in deps or []] + [r.urn for rs in fed.values() for r in rs]
    return CapturedResource(
        urn=f"urn:pulumi:test::connect::{type_}::{name}", type=type_, name=name, custom=True, parent="",
        provider=provider, protect=False, retain_on_delete=False, dependencies=list(dict.fromkeys(dependencies)),
        property_dependencies={k: [r.urn for r in v] for k, v in fed.items()}, inputs=inputs or {},
        outputs=outputs or {})


def provider(name: str, region: str) -> tuple[CapturedResource, str]:
    """An explicit provider and the reference resources carry (`<urn>::<id>`)."""
    p = res("pulumi:providers:aws", name, {"region": region})
    return p, f"{p.urn}::{name}-id"


def errors(*resources: CapturedResource, rule: str) -> list[EngineError]:
    return [e for e in check_resources(list(resources), region=PRIMARY, account_id=ACCOUNT)
            if e.check == f"aws-rule:{rule}"]


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


# --- the table --------------------------------------------------------------------------------------------------

def test_table_lists_each_rule_with_an_aws_source_and_the_types_it_reads() -> None:
    rows = table()
    assert [r["id"] for r in rows] == ["secretsmanager-arn-in-iam", "ecs-secret-reference", "region-locality",
                                       "create-ordering", "customer-gateway-address", "fargate-cpu-memory",
                                       "name-lengths"]
    for row in rows:
        assert row["check"] == f"aws-rule:{row['id']}"
        assert row["source"].startswith("https://docs.aws.amazon.com/"), row
        assert row["types"] and row["title"]
        assert all(url.startswith("https://") for url in row["see_also"])
    details = {r["id"]: r["details"] for r in rows}
    assert {"type": "aws:backup/plan:Plan", "path": "rules[*].copyActions[*].destinationVaultArn",
            "targets": ["aws:backup/vault:Vault"], "why": "AWS Backup cross-Region copy destination vault",
            "source": "https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html"} \
        in details["region-locality"]
    assert len(details["create-ordering"]) == len(aws_rules.ORDERINGS) == 7
    assert all(n["source"].startswith("https://docs.aws.amazon.com/") for n in details["name-lengths"])
    assert len({r.id for r in RULES}) == len(RULES)


def test_unknown_sentinels_are_the_plans() -> None:
    assert aws_rules.UNKNOWN_SENTINELS == plan_module.UNKNOWN_SENTINELS


# --- 1. secretsmanager-arn-in-iam --------------------------------------------------------------------------------

READ_ALL = {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}


def test_bare_secret_arn_in_a_role_policy_is_an_error() -> None:
    policy = res("aws:iam/rolePolicy:RolePolicy", "execution",
                 {"policy": doc(READ_ALL, {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                           "Resource": [SECRET_FULL_ARN, SECRET_NAME_ARN]})})
    assert errors(policy, rule="secretsmanager-arn-in-iam") == [EngineError(
        check="aws-rule:secretsmanager-arn-in-iam", urn=policy.urn, path="policy.Statement[1].Resource[1]",
        message=f"'{SECRET_NAME_ARN}' names a Secrets Manager secret without the 6-character suffix Secrets Manager "
                f"appends to every secret ARN, so it matches no secret; IAM needs the full ARN "
                f"(…:secret:acme/prod/db-AbCdEf), the suffix wildcard …-?????? or a trailing *")]


@pytest.mark.parametrize(("type_", "inputs", "path"), [
    ("aws:iam/role:Role", {"inlinePolicies": [{"name": "read", "policy": doc(
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": SECRET_NAME_ARN})}]},
     "inlinePolicies[0].policy.Statement[0].Resource"),
    ("aws:kms/key:Key", {"policy": doc({"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt",
                                        "NotResource": [SECRET_NAME_ARN]})}, "policy.Statement[0].NotResource[0]"),
    ("aws:secretsmanager/secretPolicy:SecretPolicy",
     {"policy": doc({"Sid": "One", "Effect": "Allow", "Action": "*", "Resource": SECRET_NAME_ARN})},
     "policy.Statement[0].Resource"),
], ids=["role-inline-policy", "kms-key-policy-not-resource", "secret-policy"])
def test_bare_secret_arn_in_any_policy_document_is_an_error(type_: str, inputs: dict[str, Any], path: str) -> None:
    found = errors(res(type_, "r", inputs), rule="secretsmanager-arn-in-iam")
    assert [e.path for e in found] == [path]


@pytest.mark.parametrize("resource", [
    SECRET_FULL_ARN, f"{SECRET_NAME_ARN}-??????", f"{SECRET_NAME_ARN}*",
    f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:rds!*", f"arn:aws:ssm:{PRIMARY}:{ACCOUNT}:parameter/acme/db", "*",
])
def test_secret_arns_iam_can_match_pass(resource: str) -> None:
    policy = res("aws:iam/rolePolicy:RolePolicy", "p", {"policy": doc(
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": resource})})
    assert errors(policy, rule="secretsmanager-arn-in-iam") == []


def test_secret_policy_text_never_appears_in_the_message_and_unknowns_are_skipped() -> None:
    hidden = res("aws:iam/rolePolicy:RolePolicy", "hidden", {"policy": secret(doc(
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": SECRET_NAME_ARN}))})
    unknown = res("aws:iam/rolePolicy:RolePolicy", "unknown", {"policy": UNKNOWN})
    found = errors(hidden, unknown, rule="secretsmanager-arn-in-iam")
    assert [(e.urn, e.path) for e in found] == [(hidden.urn, "policy.Statement[0].Resource")]
    assert "acme/prod" not in found[0].message and found[0].message.startswith("[secret] names a Secrets Manager")


# --- 2. ecs-secret-reference ---------------------------------------------------------------------------------------

def task(*containers: dict[str, Any], provider: str = "", **inputs: Any) -> CapturedResource:
    base = {"family": "api", "cpu": "256", "memory": "512", "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": json.dumps(list(containers))}
    return res("aws:ecs/taskDefinition:TaskDefinition", "api", {**base, **inputs}, provider=provider)


def container(*secrets: str, **more: Any) -> dict[str, Any]:
    return {"name": "api", "image": "nginx", "secrets": [{"name": f"S{i}", "valueFrom": s} for i, s in
                                                         enumerate(secrets)], **more}


ACCEPTS = ("the full ARN of a Secrets Manager secret (optionally :json-key:version-stage:version-id), or an SSM "
           "parameter's full ARN (its name when it is in the task's region)")


def test_partial_secrets_manager_arn_in_a_task_is_an_error() -> None:
    t = task(container(SECRET_FULL_ARN, SECRET_NAME_ARN))
    assert errors(t, rule="ecs-secret-reference") == [EngineError(
        check="aws-rule:ecs-secret-reference", urn=t.urn, path="containerDefinitions[0].secrets[1].valueFrom",
        message=f"'{SECRET_NAME_ARN}' is a partial Secrets Manager ARN: the secret name lacks the '-' and 6 "
                f"characters AWS appends; ECS accepts {ACCEPTS}")]


@pytest.mark.parametrize(("value", "problem"), [
    (f"{SECRET_FULL_ARN}:password", "has 1 field(s) after the secret name"),
    (f"arn:aws:ssm:{PRIMARY}:{ACCOUNT}:document/acme", "is an SSM ARN but not of a parameter (parameter/…)"),
    (f"arn:aws:kms:{PRIMARY}:{ACCOUNT}:key/1234",
     "is a kms ARN; ECS reads it only from a Secrets Manager secret or an SSM Parameter Store parameter"),
    (f"arn:aws:secretsmanager:{PRIMARY}:{ACCOUNT}:rotation/x",
     "is a Secrets Manager ARN but not of a secret (secret:…)"),
    ("arn:aws", "is not a well-formed ARN"),
])
def test_secret_references_ecs_refuses(value: str, problem: str) -> None:
    found = errors(task(container(value)), rule="ecs-secret-reference")
    assert [(e.path, e.message) for e in found] == [
        ("containerDefinitions[0].secrets[0].valueFrom", f"'{value}' {problem}; ECS accepts {ACCEPTS}")]


def test_registry_credentials_and_log_secret_options_are_checked() -> None:
    ssm = f"arn:aws:ssm:{PRIMARY}:{ACCOUNT}:parameter/registry"
    t = task(container(repositoryCredentials={"credentialsParameter": ssm},
                       logConfiguration={"logDriver": "splunk", "secretOptions": [
                           {"name": "splunk-token", "valueFrom": SECRET_NAME_ARN}]}))
    assert [(e.path, e.message) for e in errors(t, rule="ecs-secret-reference")] == [
        ("containerDefinitions[0].logConfiguration.secretOptions[0].valueFrom",
         f"'{SECRET_NAME_ARN}' is a partial Secrets Manager ARN: the secret name lacks the '-' and 6 characters AWS "
         f"appends; ECS accepts {ACCEPTS}"),
        ("containerDefinitions[0].repositoryCredentials.credentialsParameter",
         f"'{ssm}' is a ssm ARN; ECS reads it only from a Secrets Manager secret; ECS accepts the full ARN of a "
         f"Secrets Manager secret, or its name when it is in the task's region"),
    ]


@pytest.mark.parametrize("value", [
    SECRET_FULL_ARN, f"{SECRET_FULL_ARN}:password::", f"{SECRET_FULL_ARN}::AWSPREVIOUS:",
    f"arn:aws:ssm:{PRIMARY}:{ACCOUNT}:parameter/acme/db", "/acme/prod/db", "db-password", UNKNOWN,
])
def test_secret_references_ecs_accepts(value: str) -> None:
    t = task(container(value, repositoryCredentials={"credentialsParameter": "registry-login"}))
    assert errors(t, rule="ecs-secret-reference") == []


def test_unknown_container_definitions_are_skipped() -> None:
    assert errors(task(containerDefinitions=UNKNOWN), rule="ecs-secret-reference") == []


# --- 3. region-locality --------------------------------------------------------------------------------------------

def regions() -> tuple[CapturedResource, str, CapturedResource, str]:
    primary, primary_ref = provider("tenant", PRIMARY)
    dr, dr_ref = provider("dr", DR)
    return primary, primary_ref, dr, dr_ref


def test_dr_task_reading_a_primary_region_secret_is_an_error() -> None:
    primary, _, dr, dr_ref = regions()
    t = task(container(f"{SECRET_FULL_ARN}:password::"), provider=dr_ref)
    assert errors(primary, dr, t, rule="region-locality") == [EngineError(
        check="aws-rule:region-locality", urn=t.urn, path="containerDefinitions[0].secrets[0].valueFrom",
        message=f"'{SECRET_FULL_ARN}:password::' is in {PRIMARY}, but this resource is in {DR}; a regional resource "
                f"may only name resources of its own region (except declared replication and copy targets, "
                f"aws_rules.REGION_EXCEPTIONS): name the {DR} counterpart (a replica) instead")]


def test_resource_fed_by_another_regions_resource_is_an_error_once() -> None:
    primary, primary_ref, dr, dr_ref = regions()
    subnet = res("aws:ec2/subnet:Subnet", "subnet", {"cidrBlock": "10.0.0.0/24"}, provider=primary_ref)
    key = res("aws:kms/key:Key", "key", provider=primary_ref, outputs={"arn": "x"})
    service = res("aws:ecs/service:Service", "svc", {"networkConfiguration": {"subnets": [UNKNOWN]}},
                  provider=dr_ref, fed={"networkConfiguration": [subnet]})
    group = res("aws:cloudwatch/logGroup:LogGroup", "logs",
                {"kmsKeyId": f"arn:aws:kms:{PRIMARY}:{ACCOUNT}:key/1234"}, provider=dr_ref, fed={"kmsKeyId": [key]})
    found = errors(primary, dr, subnet, key, service, group, rule="region-locality")
    assert [(e.urn, e.path, e.message) for e in found] == [
        (group.urn, "kmsKeyId", f"'arn:aws:kms:{PRIMARY}:{ACCOUNT}:key/1234' is in {PRIMARY}, but this resource is "
                                f"in {DR}; a regional resource may only name resources of its own region (except "
                                f"declared replication and copy targets, aws_rules.REGION_EXCEPTIONS): name the {DR} "
                                f"counterpart (a replica) instead"),
        (service.urn, "networkConfiguration",
         f"is fed by Subnet 'subnet' in {PRIMARY}, but this resource is in {DR}; a regional resource may only use "
         f"resources of its own region (except declared replication and copy targets, aws_rules.REGION_EXCEPTIONS)"),
    ]


def test_image_from_another_regions_registry_is_an_error() -> None:
    primary, _, dr, dr_ref = regions()
    image = f"{ACCOUNT}.dkr.ecr.{PRIMARY}.amazonaws.com/api:1.0"
    t = task({"name": "api", "image": image}, provider=dr_ref)
    found = errors(primary, dr, t, rule="region-locality")
    assert [(e.path, e.message.split(",")[0]) for e in found] == [
        ("containerDefinitions[0].image", f"'{ACCOUNT}.dkr.ecr.{PRIMARY}.amazonaws.com' is in {PRIMARY}")]


def test_declared_replication_copies_and_global_services_pass() -> None:
    primary, primary_ref, dr, dr_ref = regions()
    dr_bucket = res("aws:s3/bucket:Bucket", "dr-bucket", {"bucket": "acme-dr"}, provider=dr_ref)
    dr_key = res("aws:kms/key:Key", "dr-key", provider=dr_ref)
    dr_vault = res("aws:backup/vault:Vault", "dr-vault", {"name": "acme-dr"}, provider=dr_ref)
    dr_service = res("aws:ecs/service:Service", "dr-svc", {"name": "api"}, provider=dr_ref)
    replication = res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "replication", {"rules": [
        {"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::acme-dr", "encryptionConfiguration": {
            "replicaKmsKeyId": f"arn:aws:kms:{DR}:{ACCOUNT}:key/5678"}}}]},
        provider=primary_ref, fed={"rules": [dr_bucket, dr_key]})
    plan = res("aws:backup/plan:Plan", "plan", {"rules": [{"ruleName": "daily", "copyActions": [
        {"destinationVaultArn": f"arn:aws:backup:{DR}:{ACCOUNT}:backup-vault:acme-dr"}]}]},
        provider=primary_ref, fed={"rules": [dr_vault]})
    dashboard = res("aws:cloudwatch/dashboard:Dashboard", "dashboard", {"dashboardBody": json.dumps({"widgets": [
        {"properties": {"alarms": [f"arn:aws:cloudwatch:{DR}:{ACCOUNT}:alarm:dr-down"], "region": DR}}]})},
        provider=primary_ref, fed={"dashboardBody": [dr_service]})
    target = res("aws:cloudwatch/eventTarget:EventTarget", "forward",
                 {"arn": f"arn:aws:events:{DR}:{ACCOUNT}:event-bus/default"}, provider=primary_ref)
    role_policy = res("aws:iam/rolePolicy:RolePolicy", "dr-policy", {"policy": doc(
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": f"arn:aws:kms:{PRIMARY}:{ACCOUNT}:key/1"})},
        provider=dr_ref)
    role = res("aws:iam/role:Role", "role", provider=primary_ref)
    dr_task = task(container(f"arn:aws:ssm:{DR}:{ACCOUNT}:parameter/acme"), provider=dr_ref,
                   executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/x")
    dr_task.property_dependencies["executionRoleArn"] = [role.urn]
    assert errors(primary, dr, dr_bucket, dr_key, dr_vault, dr_service, replication, plan, dashboard, target,
                  role_policy, role, dr_task, rule="region-locality") == []


def test_event_target_in_another_region_must_be_an_event_bus() -> None:
    primary, primary_ref, dr, _ = regions()
    topic = f"arn:aws:sns:{DR}:{ACCOUNT}:alerts"
    target = res("aws:cloudwatch/eventTarget:EventTarget", "forward", {"arn": topic}, provider=primary_ref)
    assert [e.path for e in errors(primary, dr, target, rule="region-locality")] == ["arn"]


def test_own_region_input_overrides_the_provider() -> None:
    """pulumi-aws v7 resources take `region`: one declared through the primary provider but in DR is in DR."""
    primary, primary_ref, dr, _ = regions()
    t = task(container(f"arn:aws:ssm:{DR}:{ACCOUNT}:parameter/acme"), provider=primary_ref, region=DR)
    assert errors(primary, dr, t, rule="region-locality") == []


# --- 4. create-ordering ----------------------------------------------------------------------------------------------

def replication_plan(*, depend: bool = True, status: str = "Enabled", dr_versioning: bool = True,
                     known: bool = False) -> tuple[list[CapturedResource], CapturedResource]:
    source = res("aws:s3/bucket:Bucket", "docs", {"bucket": "acme-docs"})
    target = res("aws:s3/bucket:Bucket", "docs-dr", {"bucket": "acme-docs-dr"})
    versioning = res("aws:s3/bucketVersioning:BucketVersioning", "docs-versioning",
                     {"bucket": UNKNOWN, "versioningConfiguration": {"status": status}}, fed={"bucket": [source]})
    dr_versioning_res = res("aws:s3/bucketVersioning:BucketVersioning", "docs-dr-versioning",
                            {"bucket": "acme-docs-dr", "versioningConfiguration": {"status": "Enabled"}})
    destination = "arn:aws:s3:::acme-docs-dr" if known else UNKNOWN
    config = res(REPLICATION, "docs-replication",
                 {"bucket": UNKNOWN, "rules": [{"status": "Enabled", "destination": {"bucket": destination}}]},
                 fed={"bucket": [source], "rules": [target]},
                 deps=[versioning, dr_versioning_res] if depend else [])
    resources = [source, target, versioning, config] + ([dr_versioning_res] if dr_versioning else [])
    return resources, config


REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


@pytest.mark.parametrize("known", [False, True], ids=["preview", "up"])
def test_replication_before_versioning_is_an_error(known: bool) -> None:
    resources, config = replication_plan(depend=False, known=known)
    assert [(e.urn, e.path, e.message) for e in errors(*resources, rule="create-ordering")] == [
        (config.urn, "bucket", "does not depend on 'docs-versioning', the versioning of the source bucket 'docs'; S3 "
                               "refuses PutBucketReplication until versioning is enabled on both buckets: add it to "
                               "depends_on"),
        (config.urn, "rules[0].destination.bucket",
         "does not depend on 'docs-dr-versioning', the versioning of the destination bucket 'docs-dr'; S3 refuses "
         "PutBucketReplication until versioning is enabled on both buckets: add it to depends_on"),
    ]


def test_replication_without_enabled_versioning_is_an_error() -> None:
    resources, _ = replication_plan(status="Suspended", dr_versioning=False)
    assert [(e.path, e.message) for e in errors(*resources, rule="create-ordering")] == [
        ("bucket", "the source bucket 'docs' has no aws.s3.BucketVersioning with status Enabled; S3 refuses "
                   "PutBucketReplication until versioning is enabled on the source and destination buckets"),
        ("rules[0].destination.bucket",
         "the destination bucket 'docs-dr' has no aws.s3.BucketVersioning with status Enabled; S3 refuses "
         "PutBucketReplication until versioning is enabled on the source and destination buckets"),
    ]


def test_replication_after_both_versionings_passes() -> None:
    resources, _ = replication_plan()
    assert errors(*resources, rule="create-ordering") == []


def ecs_plan(*, through_rule: bool = True, forwarded: bool = True) -> tuple[list[CapturedResource], CapturedResource]:
    alb = res("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": True})
    group = res("aws:lb/targetGroup:TargetGroup", "tg", {"port": 8080.0}, outputs={"arn": "arn:tg"})
    listener = res("aws:lb/listener:Listener", "https", {"loadBalancerArn": UNKNOWN}, fed={"loadBalancerArn": [alb]})
    forward = {"actions": [{"type": "forward", "targetGroupArn": UNKNOWN}]}
    rule = res("aws:lb/listenerRule:ListenerRule", "rule", forward,
               fed={"listenerArn": [listener], **({"actions": [group]} if forwarded else {})})
    service = res("aws:ecs/service:Service", "svc", {"loadBalancers": [{"targetGroupArn": UNKNOWN}]},
                  fed={"loadBalancers": [group]}, deps=[rule] if through_rule else [])
    return [alb, group, listener, rule, service], service


def test_service_created_before_its_listener_rule_is_an_error() -> None:
    resources, service = ecs_plan(through_rule=False)
    assert errors(*resources, rule="create-ordering") == [EngineError(
        check="aws-rule:create-ordering", urn=service.urn, path="loadBalancers[0]",
        message="does not depend on 'rule', which associate target group 'tg' with its load balancer; ECS refuses "
                "the target group until then: add it to depends_on")]


def test_service_whose_target_group_nothing_forwards_to_is_an_error() -> None:
    resources, _ = ecs_plan(forwarded=False)
    assert [e.message for e in errors(*resources, rule="create-ordering")] == [
        "target group 'tg' is forwarded to by no listener or listener rule of this stack; ECS refuses a target group "
        "with no associated load balancer: forward to it from a listener (rule)"]


def test_service_after_its_listener_rule_passes() -> None:
    resources, _ = ecs_plan()
    assert errors(*resources, rule="create-ordering") == []


def scaling(*, fed: bool, registered: bool = True) -> tuple[list[CapturedResource], CapturedResource]:
    ids = {"serviceNamespace": "ecs", "resourceId": "service/acme/api", "scalableDimension": "ecs:service:DesiredCount"}
    target = res("aws:appautoscaling/target:Target", "scaling", {**ids, "minCapacity": 1.0, "maxCapacity": 2.0})
    policy = res("aws:appautoscaling/policy:Policy", "cpu", ids, fed={"resourceId": [target]} if fed else None)
    return ([target] if registered else []) + [policy], policy


def test_scaling_policy_by_literal_ids_needs_its_target_first() -> None:
    resources, policy = scaling(fed=False)
    assert [(e.urn, e.path, e.message) for e in errors(*resources, rule="create-ordering")] == [
        (policy.urn, "resourceId", "does not depend on scalable target 'scaling'; Application Auto Scaling refuses a "
                                   "scaling policy until its scalable target is registered: add it to depends_on")]
    resources, policy = scaling(fed=False, registered=False)
    assert [e.message for e in errors(*resources, rule="create-ordering")] == [
        "no aws.appautoscaling.Target of this stack registers ecs/service/acme/api/ecs:service:DesiredCount; "
        "Application Auto Scaling refuses a scaling policy for an unregistered scalable target"]
    resources, _ = scaling(fed=True)
    assert errors(*resources, rule="create-ordering") == []


@pytest.mark.parametrize(("gateway", "depend", "kind", "expected"), [
    (True, True, None, []),
    (True, False, None, ["does not depend on 'igw', the internet gateway of VPC 'vpc'; a public NAT gateway needs it "
                         "attached first: add it to depends_on"]),
    (False, False, None, ["VPC 'vpc' has no internet gateway in this stack; a public NAT gateway needs the VPC's "
                          "internet gateway attached (or connectivity_type='private')"]),
    (False, False, "private", []),
], ids=["after-igw", "before-igw", "no-igw", "private"])
def test_public_nat_gateway_after_the_internet_gateway(gateway: bool, depend: bool, kind: str | None,
                                                       expected: list[str]) -> None:
    vpc = res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
    subnet = res("aws:ec2/subnet:Subnet", "public", {"vpcId": UNKNOWN}, fed={"vpcId": [vpc]})
    igw = res("aws:ec2/internetGateway:InternetGateway", "igw", {"vpcId": UNKNOWN}, fed={"vpcId": [vpc]})
    nat = res("aws:ec2/natGateway:NatGateway", "nat", {"subnetId": UNKNOWN, **({"connectivityType": kind} if kind
                                                                               else {})},
              fed={"subnetId": [subnet]}, deps=[igw] if depend else [])
    resources = [vpc, subnet, nat] + ([igw] if gateway else [])
    assert [e.message for e in errors(*resources, rule="create-ordering")] == expected


def test_vault_lock_naming_its_vault_by_literal_needs_it_first() -> None:
    vault = res("aws:backup/vault:Vault", "vault", {"name": "acme-primary"})
    lock = res("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "lock", {"backupVaultName": "acme-primary"})
    assert [(e.path, e.message) for e in errors(vault, lock, rule="create-ordering")] == [
        ("backupVaultName", "does not depend on backup vault 'vault'; AWS Backup refuses it until the vault exists: "
                            "pass vault.name (or add depends_on)")]
    fed = res("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "lock", {"backupVaultName": UNKNOWN},
              fed={"backupVaultName": [vault]})
    assert errors(vault, fed, rule="create-ordering") == []


def test_trail_and_access_logs_after_their_bucket_policy() -> None:
    bucket = res("aws:s3/bucket:Bucket", "logs", {"bucket": "acme-logs"})
    policy = res("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", {"bucket": UNKNOWN}, fed={"bucket": [bucket]})
    trail = res("aws:cloudtrail/trail:Trail", "trail", {"name": "acme", "s3BucketName": "acme-logs"})
    alb = res("aws:lb/loadBalancer:LoadBalancer", "alb", {"accessLogs": {"enabled": True, "bucket": UNKNOWN}},
              fed={"accessLogs": [bucket]}, deps=[policy])
    assert [(e.urn, e.path, e.message) for e in errors(bucket, policy, trail, alb, rule="create-ordering")] == [
        (trail.urn, "s3BucketName", "does not depend on 'logs-policy', the policy of bucket 'logs'; CloudTrail checks "
                                    "that the policy lets it write when the resource is created: add it to depends_on")]
    alone = res("aws:lb/loadBalancer:LoadBalancer", "alb", {"accessLogs": {"enabled": True, "bucket": "acme-logs"}})
    assert [e.message for e in errors(bucket, alone, rule="create-ordering")] == [
        "bucket 'logs' has no aws.s3.BucketPolicy in this stack; Elastic Load Balancing refuses a bucket whose policy "
        "does not let it write"]


# --- 5. customer-gateway-address ----------------------------------------------------------------------------------

def gateway(address: Any, outside: str | None = None) -> list[CapturedResource]:
    cgw = res("aws:ec2/customerGateway:CustomerGateway", "cgw", {"ipAddress": address, "type": "ipsec.1"})
    vpn = res("aws:ec2/vpnConnection:VpnConnection", "vpn", {"customerGatewayId": UNKNOWN, **(
        {"outsideIpAddressType": outside} if outside else {})}, fed={"customerGatewayId": [cgw]})
    return [cgw, vpn]


REFUSED = [
    ("192.0.2.0", "documentation (RFC 5737, TEST-NET-1)"), ("192.0.2.255", "documentation (RFC 5737, TEST-NET-1)"),
    ("198.51.100.20", "documentation (RFC 5737, TEST-NET-2)"), ("203.0.113.1", "documentation (RFC 5737, TEST-NET-3)"),
    ("10.0.0.1", "private (RFC 1918)"), ("172.16.0.0", "private (RFC 1918)"),
    ("172.31.255.255", "private (RFC 1918)"), ("192.168.1.1", "private (RFC 1918)"),
    ("100.64.0.0", "shared address space (RFC 6598)"), ("100.127.255.255", "shared address space (RFC 6598)"),
    ("127.0.0.1", "loopback (RFC 1122)"), ("169.254.1.1", "link-local (RFC 3927)"),
    ("224.0.0.1", "multicast (RFC 5771)"), ("239.255.255.255", "multicast (RFC 5771)"),
    ("240.0.0.1", "reserved (RFC 1112)"), ("255.255.255.255", "limited broadcast (RFC 919)"),
    ("0.0.0.0", "\"this network\" (RFC 791)"), ("198.18.0.1", "benchmarking (RFC 2544)"),
    ("192.0.0.8", "IETF protocol assignment (RFC 6890)"),
]


@pytest.mark.parametrize(("address", "label"), REFUSED, ids=[a for a, _ in REFUSED])
def test_non_public_customer_gateway_address_is_an_error(address: str, label: str) -> None:
    resources = gateway(address)
    assert errors(*resources, rule="customer-gateway-address") == [EngineError(
        check="aws-rule:customer-gateway-address", urn=resources[0].urn, path="ipAddress",
        message=f"'{address}' is a {label} address; AWS needs the static, internet-routable IPv4 address of the "
                f"customer gateway device's outside interface (an RFC 1918 or RFC 6598 address only for a VPN "
                f"connection with outsideIpAddressType PrivateIpv4)")]


@pytest.mark.parametrize(("address", "problem"), [("cgw.example.com", "is not an IP address"),
                                                  ("2001:db8::1", "is an IPv6 address")])
def test_customer_gateway_address_must_be_ipv4(address: str, problem: str) -> None:
    assert [e.message.split(";")[0] for e in errors(*gateway(address), rule="customer-gateway-address")] == [
        f"'{address}' {problem}"]


@pytest.mark.parametrize("address", [
    "190.98.210.10", "1.1.1.1", "9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0", "100.63.255.255",
    "100.128.0.0", "192.0.1.255", "192.0.3.0", "198.51.99.255", "198.51.101.0", "203.0.112.255", "203.0.114.0",
    "198.17.255.255", "198.20.0.0", "223.255.255.255", UNKNOWN,
])
def test_public_customer_gateway_address_passes(address: str) -> None:
    assert errors(*gateway(address), rule="customer-gateway-address") == []


def test_private_address_only_for_a_private_ip_vpn() -> None:
    assert errors(*gateway("10.1.2.3", "PrivateIpv4"), rule="customer-gateway-address") == []
    assert errors(*gateway("100.64.0.1", "PrivateIpv4"), rule="customer-gateway-address") == []
    assert [e.path for e in errors(*gateway("198.51.100.1", "PrivateIpv4"), rule="customer-gateway-address")] == [
        "ipAddress"]
    assert [e.path for e in errors(*gateway("10.1.2.3", "PublicIpv4"), rule="customer-gateway-address")] == [
        "ipAddress"]


def test_secret_customer_gateway_address_is_masked() -> None:
    found = errors(*gateway(secret("10.9.9.9")), rule="customer-gateway-address")
    assert [e.message.split(";")[0] for e in found] == ["[secret] is a private (RFC 1918) address"]


# --- 6. fargate-cpu-memory -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cpu", "memory"), [
    ("256", "512"), ("256", "2048"), ("512", "1024"), ("512", "4096"), ("1024", "2048"), ("1024", "8192"),
    ("2048", "4096"), ("2048", "16384"), ("4096", "8192"), ("4096", "30720"), ("8192", "16384"), ("8192", "61440"),
    ("16384", "32768"), ("16384", "122880"), ("1 vCPU", "2 GB"), ("0.25 vcpu", "0.5 GB"), (UNKNOWN, "512"),
])
def test_fargate_task_sizes_pass(cpu: str, memory: str) -> None:
    assert errors(task(cpu=cpu, memory=memory), rule="fargate-cpu-memory") == []


@pytest.mark.parametrize(("cpu", "memory", "path", "message"), [
    ("256", "4096", "memory", "'4096' MiB is not a Fargate task size with cpu 256; with cpu 256 Fargate accepts "
                              "memory (MiB) 512, 1024, 2048"),
    ("512", "512", "memory", "'512' MiB is not a Fargate task size with cpu 512; with cpu 512 Fargate accepts memory "
                             "(MiB) 1024 to 4096 in steps of 1024"),
    ("4096", "31744", "memory", "'31744' MiB is not a Fargate task size with cpu 4096; with cpu 4096 Fargate accepts "
                                "memory (MiB) 8192 to 30720 in steps of 1024"),
    ("8192", "18432", "memory", "'18432' MiB is not a Fargate task size with cpu 8192; with cpu 8192 Fargate accepts "
                                "memory (MiB) 16384 to 61440 in steps of 4096"),
    ("16384", "36864", "memory", "'36864' MiB is not a Fargate task size with cpu 16384; with cpu 16384 Fargate "
                                 "accepts memory (MiB) 32768 to 122880 in steps of 8192"),
    ("128", "512", "cpu", "'128' is not a Fargate task CPU value; Fargate accepts 256, 512, 1024, 2048, 4096, 8192, "
                          "16384"),
])
def test_fargate_task_sizes_aws_refuses(cpu: str, memory: str, path: str, message: str) -> None:
    t = task(cpu=cpu, memory=memory)
    assert errors(t, rule="fargate-cpu-memory") == [EngineError(
        check="aws-rule:fargate-cpu-memory", urn=t.urn, path=path, message=message)]


def test_fargate_windows_sizes_and_missing_memory() -> None:
    windows = task(cpu="256", memory="512", runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"})
    assert [e.message for e in errors(windows, rule="fargate-cpu-memory")] == [
        "'256' is not a Fargate task CPU value; Fargate accepts 1024, 2048, 4096 on Windows"]
    no_memory = res("aws:ecs/taskDefinition:TaskDefinition", "t",
                    {"cpu": "256", "requiresCompatibilities": ["FARGATE"]})
    assert [(e.path, e.message) for e in errors(no_memory, rule="fargate-cpu-memory")] == [
        ("memory", "is not set; Fargate requires task-level cpu and memory")]
    ec2 = task(cpu="128", memory="100", requiresCompatibilities=["EC2"])
    assert errors(ec2, rule="fargate-cpu-memory") == []


# --- 7. name-lengths --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("type_", "inputs", "path", "message"), [
    ("aws:lb/loadBalancer:LoadBalancer", {"name": "a" * 33}, "name",
     f"load balancer name '{'a' * 33}' is 33 characters long (allowed: 1-32); AWS accepts 1-32 letters, digits and "
     f"hyphens, not starting or ending with a hyphen nor starting with internal-"),
    ("aws:lb/loadBalancer:LoadBalancer", {"name": "internal-api"}, "name",
     "load balancer name 'internal-api' starts with 'internal-'; AWS accepts 1-32 letters, digits and hyphens, not "
     "starting or ending with a hyphen nor starting with internal-"),
    ("aws:lb/targetGroup:TargetGroup", {"namePrefix": "tg-api-"}, "namePrefix",
     "target group name 'tg-api-' is 7 characters long (allowed: up to 6); AWS accepts 1-32 letters, digits and "
     "hyphens, not starting or ending with a hyphen; the provider appends 26 characters to a prefix"),
    ("aws:lb/targetGroup:TargetGroup", {"name": "api-"}, "name",
     "target group name 'api-' does not have the required shape; AWS accepts 1-32 letters, digits and hyphens, not "
     "starting or ending with a hyphen"),
    ("aws:iam/role:Role", {"name": "r" * 65}, "name",
     f"IAM role name '{'r' * 65}' is 65 characters long (allowed: 1-64); AWS accepts 1-64 letters, digits and "
     f"_+=,.@-"),
    ("aws:iam/role:Role", {"namePrefix": "p" * 39}, "namePrefix",
     f"IAM role name '{'p' * 39}' is 39 characters long (allowed: up to 38); AWS accepts 1-64 letters, digits and "
     f"_+=,.@-; the provider appends 26 characters to a prefix"),
    ("aws:s3/bucket:Bucket", {"bucket": "Acme_Logs"}, "bucket",
     "S3 bucket name 'Acme_Logs' contains 'A_L'; AWS accepts 3-63 lowercase letters, digits, dots and hyphens, "
     "starting and ending with a letter or digit, without '..', not IP-formatted, without the reserved prefixes "
     "and suffixes"),
    ("aws:s3/bucket:Bucket", {"bucket": "192.168.5.4"}, "bucket",
     "S3 bucket name '192.168.5.4' is formatted as an IP address; AWS accepts 3-63 lowercase letters, digits, dots "
     "and hyphens, starting and ending with a letter or digit, without '..', not IP-formatted, without the reserved "
     "prefixes and suffixes"),
    ("aws:kms/alias:Alias", {"name": "alias/aws/acme"}, "name",
     "KMS alias name 'alias/aws/acme' starts with 'alias/aws/'; AWS accepts 1-256 letters, digits and /_-, starting "
     "with alias/ but not alias/aws/"),
    ("aws:backup/vault:Vault", {"name": "v"}, "name",
     "Backup vault name 'v' is 1 characters long (allowed: 2-50); AWS accepts 2-50 letters, digits, hyphens and "
     "underscores"),
    ("aws:cloudtrail/trail:Trail", {"name": "acme--trail"}, "name",
     "CloudTrail trail name 'acme--trail' does not have the required shape; AWS accepts 3-128 letters, digits and "
     "._-, starting and ending with a letter or digit, no two of ._- adjacent, not IP-formatted"),
])
def test_names_aws_refuses(type_: str, inputs: dict[str, Any], path: str, message: str) -> None:
    r = res(type_, "r", inputs)
    assert errors(r, rule="name-lengths") == [EngineError(
        check="aws-rule:name-lengths", urn=r.urn, path=path, message=message)]


@pytest.mark.parametrize(("type_", "inputs", "first_problem"), [
    ("aws:s3/bucket:Bucket", {"bucket": "xn--acme"}, "starts with 'xn--'"),
    ("aws:s3/bucket:Bucket", {"bucket": "acme-s3alias"}, "ends with '-s3alias'"),
    ("aws:s3/bucket:Bucket", {"bucket": "acme..logs"}, "contains '..'"),
    ("aws:kms/alias:Alias", {"name": "connect/acme"}, "does not start with alias/"),
    ("aws:ecr/repository:Repository", {"name": "Api"}, "contains 'A'"),
    ("aws:ecr/repository:Repository", {"name": "api_"}, "does not have the required shape"),
    ("aws:rds/cluster:Cluster", {"clusterIdentifier": "1orders"}, "does not have the required shape"),
    ("aws:rds/clusterInstance:ClusterInstance", {"identifier": "orders--1"}, "does not have the required shape"),
    ("aws:ecs/service:Service", {"name": "api.v2"}, "contains '.'"),
    ("aws:cloudwatch/logGroup:LogGroup", {"name": "/connect/" + "x" * 510}, "is 519 characters long"),
    ("aws:sns/topic:Topic", {"name": "alerts", "fifoTopic": True}, "does not end with .fifo"),
])
def test_more_names_aws_refuses(type_: str, inputs: dict[str, Any], first_problem: str) -> None:
    found = errors(res(type_, "r", inputs), rule="name-lengths")
    assert len(found) == 1 and first_problem in found[0].message, found


@pytest.mark.parametrize(("type_", "inputs"), [
    ("aws:lb/loadBalancer:LoadBalancer", {"name": "acme-prod-internal"}),
    ("aws:lb/targetGroup:TargetGroup", {"namePrefix": "tec4d-"}),
    ("aws:iam/role:Role", {"name": "globex-account-events-to-eu-west-1"}),
    ("aws:s3/bucket:Bucket", {"bucket": "acme-prod-usw2-alb-111111111111"}),
    ("aws:kms/alias:Alias", {"name": "alias/connect/globex-account-trail"}),
    ("aws:ecr/repository:Repository", {"name": "connect/notifications-worker"}),
    ("aws:sns/topic:Topic", {"name": "alerts.fifo", "fifoTopic": True}),
    ("aws:backup/vault:Vault", {"name": "acme-staging-primary"}),
    ("aws:rds/cluster:Cluster", {"clusterIdentifier": "globex-prod-orders-db"}),
    ("aws:cloudtrail/trail:Trail", {"name": "globex-account-trail"}),
    ("aws:cloudwatch/logGroup:LogGroup", {"name": "/connect/acme-prod/services/notifications-worker"}),
    ("aws:ecs/taskDefinition:TaskDefinition", {"family": "acme-prod-notifications-worker"}),
    ("aws:s3/bucket:Bucket", {"bucket": UNKNOWN}),
])
def test_names_aws_accepts(type_: str, inputs: dict[str, Any]) -> None:
    assert errors(res(type_, "r", inputs), rule="name-lengths") == []


# --- the committed stacks ---------------------------------------------------------------------------------------------

@functools.cache
def committed(stack: str, preview: bool) -> list[EngineError]:
    plan = planned(stack, preview)
    return check_resources(plan.capture.resources, region=plan.config.region,
                           account_id=plan.config.tenant.account_id)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_break_no_aws_rule(stack: str, preview: bool) -> None:
    assert [str(e) for e in committed(stack, preview)] == []


def test_committed_engine_checks_page_is_current() -> None:
    from pathlib import Path

    from connectctl.docs import engine_checks_markdown

    page = (Path(__file__).resolve().parents[2] / "docs" / "engine-checks.md").read_text()
    assert page == engine_checks_markdown(), "run `make docs`"
    assert all(f"`aws-rule:{rule.id}`" in page for rule in RULES)
