"""The account stack's access control as planned from the real stack files: the platform team's roles (trust,
session, managed and inline policies), the break-glass alarm (rules, patterns, targets, the us-east-1
forwarders) and the audit trail (trail, bucket, key, log group), protected and retained; organization mode.

Issue #9's done check runs through the CLI: `connectctl plan acme-account --format json`; every stack plans
with zero findings, mandatory or advisory, in preview and update mode.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path

import pytest

from components.access import (
    ADMINISTRATOR_ACCESS,
    ALARM_TEMPLATE,
    ALL_MANAGEMENT_EVENTS,
    BREAKGLASS,
    DEPLOYER,
    DEPLOYER_SERVICES,
    MFA_MAX_AGE_SECONDS,
    NEVER_DESTROYED,
    OPERATOR,
    PASSED_TO,
    PEOPLE,
    READ_ONLY_ACCESS,
    READONLY,
    ROLES,
    SUPPORT_ACCESS,
)
from connectctl.engine.project import load_project
from tests.components.plans import plan, plan_file

ROOT = Path(__file__).resolve().parents[2]
STACKS = load_project().stacks()
ACCOUNTS = {"acme-account": ("111111111111", "us-east-1"), "globex-account": ("222222222222", "eu-west-1")}
OPERATOR_ACCOUNT = "999999999999"
CI_ROLE = f"arn:aws:iam::{OPERATOR_ACCOUNT}:role/connect-ci"
ROLE = "aws:iam/role:Role"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TRAIL = "aws:cloudtrail/trail:Trail"
EXCLUSIVE_MANAGED = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
EXCLUSIVE_INLINE = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
# The IAM service prefix under which each resource type's API calls are authorised (module, or type prefix).
TYPE_SERVICES = {
    "aws:appautoscaling/": "application-autoscaling", "aws:backup/": "backup", "aws:cloudtrail/": "cloudtrail",
    "aws:cloudwatch/eventRule": "events", "aws:cloudwatch/eventTarget": "events", "aws:cloudwatch/logGroup": "logs",
    "aws:cloudwatch/metricAlarm": "cloudwatch", "aws:cloudwatch/dashboard": "cloudwatch", "aws:ec2/": "ec2",
    "aws:vpc/": "ec2", "aws:ecr/": "ecr", "aws:ecs/": "ecs", "aws:efs/": "elasticfilesystem", "aws:iam/": "iam",
    "aws:kms/": "kms", "aws:lb/": "elasticloadbalancing", "aws:rds/": "rds", "aws:s3/": "s3", "aws:sns/": "sns",
    "aws:ssm/": "ssm",
}


def of_type(doc: dict, type_: str) -> list[dict]:
    return [r for r in doc["resources"] if r["type"] == type_]


def one(doc: dict, type_: str, name: str) -> dict:
    [found] = [r for r in of_type(doc, type_) if r["name"] == name]
    return found


def roles(doc: dict) -> dict[str, dict]:
    """The platform team's roles by physical name."""
    return {r["inputs"]["name"]: r for r in of_type(doc, ROLE) if r["inputs"].get("name") in ROLES}


def inline_documents(doc: dict, role_name: str) -> dict[str, dict]:
    """Inline policy name -> document of one role."""
    return {r["inputs"]["name"]: json.loads(r["inputs"]["policy"]) for r in of_type(doc, ROLE_POLICY)
            if r["inputs"]["role"] == role_name}


def actions(statement: dict) -> list[str]:
    found = statement.get("Action", [])
    return found if isinstance(found, list) else [found]


def matches(action: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


# --- the done check ------------------------------------------------------------------------------------------


def test_done_check_through_the_cli() -> None:
    """Issue #9: the people's roles with MFA-bound trust to the operator account, the deployer trusting only
    the CI role, a validated multi-region trail, and no finding at all."""
    result = subprocess.run([sys.executable, "-m", "connectctl", "plan", "acme-account", "--format", "json"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["summary"]["mandatory"] == doc["summary"]["advisory"] == 0 and doc["violations"] == []
    found = roles(doc)
    for name in PEOPLE:
        [statement] = json.loads(found[name]["inputs"]["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{OPERATOR_ACCOUNT}:root"}
        assert statement["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    [statement] = json.loads(found[DEPLOYER]["inputs"]["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"AWS": CI_ROLE} and "Condition" not in statement
    [trail] = of_type(doc, TRAIL)
    assert trail["inputs"]["isMultiRegionTrail"] is True and trail["inputs"]["enableLogFileValidation"] is True


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_plans_with_zero_findings(stack: str, preview: bool) -> None:
    doc = plan(stack, preview)
    assert doc["violations"] == [], doc["violations"]


# --- roles ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_people_trust_the_operator_account_with_mfa(stack: str) -> None:
    found = roles(plan(stack))
    assert sorted(found) == sorted(ROLES)
    for name in PEOPLE:
        doc = json.loads(found[name]["inputs"]["assumeRolePolicy"])
        assert doc["Statement"] == [{
            "Sid": "OperatorPeopleWithMfa", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OPERATOR_ACCOUNT}:root"}, "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                          "NumericLessThan": {"aws:MultiFactorAuthAge": str(MFA_MAX_AGE_SECONDS)}},
        }]


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_deployer_trusts_exactly_the_ci_role(stack: str) -> None:
    doc = json.loads(roles(plan(stack))[DEPLOYER]["inputs"]["assumeRolePolicy"])
    assert doc["Statement"] == [{"Sid": "OperatorCiRoleOnly", "Effect": "Allow", "Principal": {"AWS": CI_ROLE},
                                 "Action": "sts:AssumeRole"}]


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_every_role_has_the_configured_session_length(stack: str) -> None:
    for name, role in roles(plan(stack)).items():
        assert role["inputs"]["maxSessionDuration"] == 3600, name  # maxSessionHours: 1 in both stack files


def test_session_length_follows_the_config(tmp_path: Path) -> None:
    doc = plan_file(tmp_path, "acme-account", lambda c: c["connect:access"].update(maxSessionHours=4))
    assert {r["inputs"]["maxSessionDuration"] for r in roles(doc).values()} == {4 * 3600}


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_managed_and_inline_policies_are_exactly_these(stack: str) -> None:
    doc = plan(stack)
    managed = {r["inputs"]["roleName"]: r["inputs"]["policyArns"] for r in of_type(doc, EXCLUSIVE_MANAGED)}
    assert managed == {READONLY: [READ_ONLY_ACCESS], OPERATOR: [READ_ONLY_ACCESS, SUPPORT_ACCESS],
                       BREAKGLASS: [ADMINISTRATOR_ACCESS], DEPLOYER: []}
    inline = {r["inputs"]["roleName"]: r["inputs"]["policyNames"] for r in of_type(doc, EXCLUSIVE_INLINE)}
    assert inline == {READONLY: [], OPERATOR: ["day-to-day-operations"], BREAKGLASS: [],
                      DEPLOYER: ["provision-the-platform"]}
    for name, names in inline.items():
        assert sorted(inline_documents(doc, name)) == names
    # Written before the exclusive list that names them, so no up ever removes a policy it is about to create.
    for exclusive in of_type(doc, EXCLUSIVE_INLINE):
        role = exclusive["inputs"]["roleName"]
        written = {r["urn"] for r in of_type(doc, ROLE_POLICY) if r["inputs"]["role"] == role}
        assert written <= set(exclusive["dependencies"])


def test_readonly_and_breakglass_have_nothing_inline() -> None:
    doc = plan("acme-account")
    assert inline_documents(doc, READONLY) == {} and inline_documents(doc, BREAKGLASS) == {}


def test_operator_may_operate_but_not_administer_iam_kms_or_the_audit() -> None:
    account = ACCOUNTS["acme-account"][0]
    [policy] = inline_documents(plan("acme-account"), OPERATOR).values()
    allowed = [a for s in policy["Statement"] if s["Effect"] == "Allow" for a in actions(s)]
    denied = [a for s in policy["Statement"] if s["Effect"] == "Deny" for a in actions(s)]
    assert {"ecs:UpdateService", "ecs:StopTask", "backup:StartRestoreJob", "cloudwatch:DisableAlarmActions",
            "rds:FailoverDBCluster"} <= set(allowed)
    assert "*" not in allowed and not any(a.endswith(":*") for a in allowed)
    for action in ("iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy",
                   "iam:CreateUser", "iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary", "kms:CreateKey",
                   "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateGrant",
                   "kms:DeleteAlias", "cloudtrail:StopLogging", "cloudtrail:DeleteTrail",
                   "cloudtrail:PutEventSelectors"):
        assert matches(action, denied), action
    for action in ("iam:GetRole", "iam:ListRoles", "iam:PassRole", "kms:Decrypt", "kms:DescribeKey"):
        assert not matches(action, denied), action
    # The only IAM grant: passing a role to AWS Backup for restores.
    [pass_role] = [s for s in policy["Statement"] if "iam:PassRole" in actions(s)]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}
    assert pass_role["Resource"] == f"arn:aws:iam::{account}:role/*"
    # The break-glass rules cannot be silenced by the operator.
    [rules] = [s for s in policy["Statement"] if s["Sid"] == "NoBreakGlassAlarmTampering"]
    assert "events:DisableRule" in rules["Action"] and all("breakglass" in arn for arn in rules["Resource"])


def test_deployer_is_broad_but_not_administrator() -> None:
    account = ACCOUNTS["acme-account"][0]
    [policy] = inline_documents(plan("acme-account"), DEPLOYER).values()
    statements = {s["Sid"]: s for s in policy["Statement"]}
    allowed = [a for s in statements.values() if s["Effect"] == "Allow" for a in actions(s)]
    assert "*" not in allowed and "*:*" not in allowed and "iam:*" not in allowed
    assert not [a for a in allowed if a.startswith(("iam:Create", "iam:Delete")) and "Role" not in a]  # no users
    assert not matches("iam:CreateUser", allowed) and not matches("iam:CreateAccessKey", allowed)
    guard = statements["AdministratorOnlyForBreakGlass"]
    assert guard["Effect"] == "Deny" and guard["NotResource"] == f"arn:aws:iam::{account}:role/{BREAKGLASS}"
    assert ADMINISTRATOR_ACCESS in guard["Condition"]["ArnEquals"]["iam:PolicyARN"]
    never = statements["NeverDestroyWhatTheStacksRetain"]
    assert never["Effect"] == "Deny" and set(never["Action"]) == set(NEVER_DESTROYED)
    assert {"kms:ScheduleKeyDeletion", "s3:DeleteBucket", "cloudtrail:StopLogging"} <= set(never["Action"])
    passing = statements["PassRolesToThePlatformServices"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": list(PASSED_TO)}}


def _service_of(type_: str) -> str | None:
    return next((service for prefix, service in TYPE_SERVICES.items() if type_.startswith(prefix)), None)


def test_deployer_covers_every_service_the_stacks_declare() -> None:
    """Every AWS type of every stack's plan is one the deployer may manage (IAM roles through their own grant)."""
    [policy] = inline_documents(plan("acme-account"), DEPLOYER).values()
    allowed = [a for s in policy["Statement"] if s["Effect"] == "Allow" for a in actions(s)]
    types = {r["type"] for stack in STACKS for r in plan(stack)["resources"] if r["type"].startswith("aws:")}
    unmapped = sorted(t for t in types if _service_of(t) is None)
    assert unmapped == [], "map these types to their IAM service in TYPE_SERVICES"
    services = {str(_service_of(t)) for t in types} - {"iam", "ssm"}  # both granted action by action
    assert sorted(s for s in services if f"{s}:*" not in allowed) == []
    assert set(DEPLOYER_SERVICES) - services <= {"backup-storage"}  # nothing granted the stacks do not use
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PassRole",
                   "iam:CreateServiceLinkedRole", "ssm:PutParameter"):
        assert matches(action, allowed), action


def test_deployer_passes_roles_to_exactly_the_services_they_trust() -> None:
    trusted: set[str] = set()
    for stack in STACKS:
        for role in of_type(plan(stack), ROLE):
            for statement in json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]:
                service = statement["Principal"].get("Service")
                trusted |= set(service if isinstance(service, list) else [service] if service else [])
    assert trusted == set(PASSED_TO)


# --- the break-glass alarm -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_breakglass_rules_match_its_use_and_page_the_alerts_topic(stack: str) -> None:
    account, region = ACCOUNTS[stack]
    doc = plan(stack, preview=False)
    arn = f"arn:aws:iam::{account}:role/{BREAKGLASS}"
    rules = {r["inputs"]["name"]: r for r in of_type(doc, RULE) if r["provider"].split("::")[-2] == "tenant"}
    assumed, activity = rules[f"{stack}-breakglass-assumed"], rules[f"{stack}-breakglass-activity"]
    assert json.loads(assumed["inputs"]["eventPattern"]) == {
        "source": ["aws.sts"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["sts.amazonaws.com"], "eventName": ["AssumeRole"],
                   "requestParameters": {"roleArn": [arn]}}}
    assert assumed["inputs"]["state"] == ALL_MANAGEMENT_EVENTS  # AssumeRole is a read-only call
    assert json.loads(activity["inputs"]["eventPattern"]) == {
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"userIdentity": {"sessionContext": {"sessionIssuer": {"arn": [arn]}}}}}
    assert activity["inputs"]["state"] == "ENABLED"
    topic = one(doc, "aws:sns/topic:Topic", "alerts-topic")
    assert topic["inputs"]["name"] == f"{stack}-alerts"
    for rule in (assumed, activity):
        [target] = [t for t in of_type(doc, TARGET) if t["inputs"]["rule"] == rule["inputs"]["name"]
                    and t["provider"].split("::")[-2] == "tenant"]
        assert target["inputs"]["arn"] == topic["outputs"]["arn"] == f"arn:aws:sns:{region}:{account}:{stack}-alerts"
        assert target["inputs"]["inputTransformer"]["inputTemplate"] == ALARM_TEMPLATE
        assert target["inputs"]["inputTransformer"]["inputPaths"]["event"] == "$.detail.eventName"
    policy = json.loads(one(doc, "aws:sns/topicPolicy:TopicPolicy", "alerts-topic-policy")["inputs"]["policy"])
    [events] = [s for s in policy["Statement"] if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert events["Condition"]["ArnEquals"]["aws:SourceArn"] == sorted(
        f"arn:aws:events:{region}:{account}:rule/{name}" for name in rules)


def test_breakglass_targets_take_the_topic_in_preview() -> None:
    doc = plan("acme-account", preview=True)
    topic = one(doc, "aws:sns/topic:Topic", "alerts-topic")["urn"]
    targets = [t for t in of_type(doc, TARGET) if "breakglass" in t["name"]]
    assert len(targets) == 2 and all(t["propertyDependencies"]["arn"] == [topic] for t in targets)


def test_account_alerts_subscribers_come_from_connect_access() -> None:
    doc = plan("acme-account")
    endpoints = sorted(r["inputs"]["endpoint"] for r in of_type(doc, "aws:sns/topicSubscription:TopicSubscription"))
    assert endpoints == ["https://events.pagerduty.example/integration/acme-account/enqueue",
                         "sre-oncall@modyo.example"]


def test_us_east_1_forwards_to_the_stack_region_when_they_differ() -> None:
    """globex-account runs in eu-west-1: STS global-endpoint and IAM calls are recorded in us-east-1."""
    doc = plan("globex-account", preview=False)
    account = ACCOUNTS["globex-account"][0]
    providers = {p["urn"]: p["inputs"]["region"] for p in of_type(doc, "pulumi:providers:aws")}
    assert sorted(providers.values()) == ["eu-west-1", "us-east-1"]
    east = [r for r in of_type(doc, RULE) if providers[r["provider"].rsplit("::", 1)[0]] == "us-east-1"]
    west = [r for r in of_type(doc, RULE) if providers[r["provider"].rsplit("::", 1)[0]] == "eu-west-1"]
    assert sorted(r["inputs"]["eventPattern"] for r in east) == sorted(r["inputs"]["eventPattern"] for r in west)
    assert sorted(r["inputs"]["state"] for r in east) == sorted(r["inputs"]["state"] for r in west)
    forwarder = one(doc, ROLE, "access-global-events-forwarder")
    for rule in east:
        [target] = [t for t in of_type(doc, TARGET) if t["provider"] == rule["provider"]
                    and t["inputs"]["rule"] == rule["inputs"]["name"]]
        assert target["inputs"]["arn"] == f"arn:aws:events:eu-west-1:{account}:event-bus/default"
        assert target["inputs"]["roleArn"] == forwarder["outputs"]["arn"]
    [statement] = json.loads(one(doc, ROLE_POLICY, "access-global-events-forwarder-policy")["inputs"]["policy"])[
        "Statement"]
    assert statement == {"Effect": "Allow", "Action": "events:PutEvents",
                         "Resource": f"arn:aws:events:eu-west-1:{account}:event-bus/default"}


def test_no_forwarder_when_the_stack_runs_in_us_east_1() -> None:
    doc = plan("acme-account")
    assert [p["inputs"]["region"] for p in of_type(doc, "pulumi:providers:aws")] == ["us-east-1"]
    assert len(of_type(doc, RULE)) == 2 and not [r for r in of_type(doc, ROLE) if "forwarder" in r["name"]]


# --- the audit trail -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_trail_is_multi_region_validated_encrypted_and_delivered(stack: str) -> None:
    account, region = ACCOUNTS[stack]
    doc = plan(stack, preview=False)
    [trail] = of_type(doc, TRAIL)
    key = one(doc, "aws:kms/key:Key", "audit-trail-key")
    inputs = trail["inputs"]
    assert inputs["name"] == f"{stack}-trail"
    assert (inputs["isMultiRegionTrail"], inputs["includeGlobalServiceEvents"], inputs["enableLogFileValidation"],
            inputs["enableLogging"]) == (True, True, True, True)
    assert inputs["kmsKeyId"] == key["outputs"]["arn"]
    assert inputs["s3BucketName"] == f"{stack}-cloudtrail-{account}"
    assert inputs["cloudWatchLogsGroupArn"] == f"arn:aws:logs:{region}:{account}:log-group:/aws/cloudtrail/{stack}:*"
    assert inputs["cloudWatchLogsRoleArn"] == one(doc, ROLE, "audit-trail-logs-delivery")["outputs"]["arn"]
    policy = one(doc, "aws:s3/bucketPolicy:BucketPolicy", "audit-trail-bucket-policy")["urn"]
    assert policy in trail["dependencies"]  # CloudTrail checks the bucket policy when the trail is created
    assert doc["outputs"]["trailArn"] == f"arn:aws:cloudtrail:{region}:{account}:trail/{stack}-trail"


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_audit_record_is_protected_and_retained(stack: str) -> None:
    doc = plan(stack)
    kept = ((TRAIL, "audit-trail"), ("aws:s3/bucket:Bucket", "audit-trail-bucket"),
            ("aws:cloudwatch/logGroup:LogGroup", "audit-trail-logs"), ("aws:kms/key:Key", "audit-trail-key"))
    for type_, name in kept:
        resource = one(doc, type_, name)
        assert (resource["protect"], resource["retainOnDelete"]) == (True, True), name
    assert one(doc, "aws:s3/bucket:Bucket", "audit-trail-bucket")["inputs"]["forceDestroy"] is False


def test_trail_bucket_is_hardened() -> None:
    account, region = ACCOUNTS["acme-account"]
    doc = plan("acme-account", preview=False)
    bucket = "acme-account-cloudtrail-111111111111"
    trail = f"arn:aws:cloudtrail:{region}:{account}:trail/acme-account-trail"
    key = one(doc, "aws:kms/key:Key", "audit-trail-key")["outputs"]["arn"]
    versioning = one(doc, "aws:s3/bucketVersioning:BucketVersioning", "audit-trail-bucket-versioning")
    assert versioning["inputs"]["versioningConfiguration"]["status"] == "Enabled"
    sse = one(doc, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
              "audit-trail-bucket-encryption")["inputs"]["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}
    block = one(doc, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "audit-trail-bucket-public-access-block")
    assert all(block["inputs"][flag] is True for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                          "restrictPublicBuckets"))
    ownership = one(doc, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "audit-trail-bucket-ownership")
    assert ownership["inputs"]["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    policy = json.loads(one(doc, "aws:s3/bucketPolicy:BucketPolicy", "audit-trail-bucket-policy")["inputs"]["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["TlsOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    write = statements["CloudTrailWritesThisTrail"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and write["Action"] == "s3:PutObject"
    assert write["Resource"] == f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*"
    assert write["Condition"] == {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail}}
    assert statements["CloudTrailChecksTheBucketAcl"]["Condition"] == {"StringEquals": {"aws:SourceArn": trail}}
    never = statements["LogFilesAreNeverDeleted"]
    assert never["Effect"] == "Deny" and never["Principal"] == "*" and "s3:DeleteObjectVersion" in never["Action"]
    outsiders = statements["TenantAccountAndAwsServicesOnly"]
    assert outsiders["Condition"] == {"StringNotEquals": {"aws:PrincipalAccount": account},
                                      "Bool": {"aws:PrincipalIsAWSService": "false"}}


def test_audit_key_admits_cloudtrail_for_this_trail_only() -> None:
    account, region = ACCOUNTS["acme-account"]
    key = one(plan("acme-account"), "aws:kms/key:Key", "audit-trail-key")["inputs"]
    assert key["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    trail = f"arn:aws:cloudtrail:{region}:{account}:trail/acme-account-trail"
    encrypt = statements["CloudTrailEncryptsThisTrail"]
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": trail}
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account}:trail/*"}
    logs = statements["CloudWatchLogsOfTheTrailLogGroup"]
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn":
                                               f"arn:aws:logs:{region}:{account}:log-group:/aws/cloudtrail/acme-account"}}


def test_trail_log_group_is_encrypted_and_kept_a_year() -> None:
    doc = plan("acme-account")
    group = one(doc, "aws:cloudwatch/logGroup:LogGroup", "audit-trail-logs")
    key = one(doc, "aws:kms/key:Key", "audit-trail-key")["urn"]
    assert group["inputs"]["retentionInDays"] == 365 and group["propertyDependencies"]["kmsKeyId"] == [key]


def test_organization_mode_declares_no_trail(tmp_path: Path) -> None:
    doc = plan_file(tmp_path, "acme-account", lambda c: c["connect:access"].update(cloudTrail="organization"))
    assert doc["violations"] == []
    assert not [r for r in doc["resources"] if r["name"].startswith("audit-trail") or r["type"] == TRAIL]
    assert "trailArn" not in doc["outputs"]
    assert sorted(roles(doc)) == sorted(ROLES) and len(of_type(doc, RULE)) == 2  # the rest stays


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_stack_outputs(stack: str) -> None:
    account, _ = ACCOUNTS[stack]
    outputs = plan(stack, preview=False)["outputs"]
    assert outputs["accessRoleArns"] == {name: f"arn:aws:iam::{account}:role/{name}" for name in ROLES}
    assert outputs["alertsTopicArn"].endswith(f":{account}:{stack}-alerts")
    assert outputs["trailBucket"] == f"{stack}-cloudtrail-{account}"
    assert outputs["trailLogGroup"] == f"/aws/cloudtrail/{stack}"


def test_environment_stacks_have_no_access_resources() -> None:
    for stack in ("acme-prod", "acme-staging", "globex-prod"):
        doc = plan(stack)
        assert not roles(doc) and not of_type(doc, TRAIL), stack
        assert not [r for r in doc["resources"] if r["type"].startswith("connect:access")]
