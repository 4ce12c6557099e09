"""Proof, offline, that the account stack's roles cannot escalate: the known paths evaluated against the policies
the plan declares (tests/components/iam_eval.py), and cloudsplaining's analysis of every role.

The paths are Rhino Security Labs' (https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/)
as cloudsplaining encodes them: write or attach a policy to oneself or another role, retarget a trust policy,
create a role without the boundary, publish a new policy version, pass a stronger role to a service. Each is
asked of `connect-deployer` (and `connect-sre-operator` where it holds IAM at all) with the request context IAM
would build; each must be refused, and the few calls `pulumi up` needs must still be allowed (positive controls),
so a test that refuses everything proves nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cloudsplaining.command.scan_policy_file import scan_policy
from cloudsplaining.shared.constants import DEFAULT_EXCLUSIONS_CONFIG
from moto.iam.aws_managed_policies import aws_managed_policies_data

from components.access import ATTACHABLE, BREAKGLASS, DEPLOYER, OPERATOR, READONLY
from components.boundary import boundary_arn, boundary_policy
from tests.components.iam_eval import Request, decide, is_allowed, role_documents
from tests.components.plans import plan

ACCOUNTS = {"acme-account": "111111111111", "globex-account": "222222222222"}
ACCOUNT = ACCOUNTS["acme-account"]
REGION = "us-east-1"
AWS_MANAGED = {name: entry["Document"] for name, entry in json.loads(aws_managed_policies_data).items()}
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
BOUNDARY = boundary_arn(ACCOUNT)
WORKLOAD_ROLE = f"arn:aws:iam::{ACCOUNT}:role/platform-payments-api-task-3f2a9c1"  # auto-named, bounded
TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/acme-account-trail"


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def deployer(stack: str = "acme-account") -> list[dict[str, Any]]:
    return role_documents(plan(stack), DEPLOYER)


def operator() -> list[dict[str, Any]]:
    return role_documents(plan("acme-account"), OPERATOR, AWS_MANAGED)


def bounded(**context: Any) -> dict[str, Any]:
    """The context of a call on a role that carries the workload boundary (IAM adds the role's boundary)."""
    return {"iam:PermissionsBoundary": BOUNDARY, **context}


# (description, request) -> the deployer must be refused
REFUSED: dict[str, Request] = {
    "PutRolePolicy on itself": Request("iam:PutRolePolicy", role(DEPLOYER)),
    "PutRolePolicy on itself, claiming the boundary": Request("iam:PutRolePolicy", role(DEPLOYER), bounded()),
    "AttachRolePolicy AdministratorAccess to itself": Request(
        "iam:AttachRolePolicy", role(DEPLOYER), {"iam:PolicyARN": ADMINISTRATOR_ACCESS}),
    "AttachRolePolicy IAMFullAccess to a bounded role": Request(
        "iam:AttachRolePolicy", WORKLOAD_ROLE, bounded(**{"iam:PolicyARN": "arn:aws:iam::aws:policy/IAMFullAccess"})),
    "AttachRolePolicy PowerUserAccess to a bounded role": Request(
        "iam:AttachRolePolicy", WORKLOAD_ROLE, bounded(**{"iam:PolicyARN": "arn:aws:iam::aws:policy/PowerUserAccess"})),
    "DetachRolePolicy from itself": Request("iam:DetachRolePolicy", role(DEPLOYER),
                                            {"iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/{DEPLOYER}-denies"}),
    "DeleteRolePolicy on break-glass": Request("iam:DeleteRolePolicy", role(BREAKGLASS)),
    "UpdateAssumeRolePolicy on break-glass": Request("iam:UpdateAssumeRolePolicy", role(BREAKGLASS)),
    "UpdateAssumeRolePolicy on itself": Request("iam:UpdateAssumeRolePolicy", role(DEPLOYER)),
    "UpdateAssumeRolePolicy on the operator role": Request("iam:UpdateAssumeRolePolicy", role(OPERATOR)),
    "TagRole on break-glass": Request("iam:TagRole", role(BREAKGLASS)),
    "CreateRole without a boundary": Request("iam:CreateRole", role("escape")),
    "CreateRole with another boundary": Request(
        "iam:CreateRole", role("escape"), {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/Open"}),
    "CreateRole with AdministratorAccess as boundary": Request(
        "iam:CreateRole", role("escape"), {"iam:PermissionsBoundary": ADMINISTRATOR_ACCESS}),
    "PutRolePolicy on a role without the boundary": Request("iam:PutRolePolicy", role("client-legacy-role")),
    "PutRolePermissionsBoundary to another policy": Request(
        "iam:PutRolePermissionsBoundary", WORKLOAD_ROLE, {"iam:PermissionsBoundary": ADMINISTRATOR_ACCESS}),
    "DeleteRolePermissionsBoundary": Request("iam:DeleteRolePermissionsBoundary", WORKLOAD_ROLE, bounded()),
    "CreatePolicyVersion of the boundary": Request("iam:CreatePolicyVersion", BOUNDARY),
    "SetDefaultPolicyVersion of the boundary": Request("iam:SetDefaultPolicyVersion", BOUNDARY),
    "CreatePolicyVersion of its own policy": Request(
        "iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/{DEPLOYER}-1"),
    "CreatePolicyVersion of any policy": Request("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/any"),
    "DeletePolicy of the boundary": Request("iam:DeletePolicy", BOUNDARY),
    "CreatePolicy": Request("iam:CreatePolicy", f"arn:aws:iam::{ACCOUNT}:policy/mine"),
    "PassRole break-glass to ECS": Request("iam:PassRole", role(BREAKGLASS),
                                           {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
    "PassRole itself to ECS": Request("iam:PassRole", role(DEPLOYER),
                                      {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
    "PassRole the operator role to AWS Backup": Request("iam:PassRole", role(OPERATOR),
                                                        {"iam:PassedToService": "backup.amazonaws.com"}),
    "PassRole a workload role to Lambda": Request("iam:PassRole", WORKLOAD_ROLE,
                                                  {"iam:PassedToService": "lambda.amazonaws.com"}),
    "AssumeRole of break-glass": Request("sts:AssumeRole", role(BREAKGLASS)),
    "AssumeRole of a workload role it made": Request("sts:AssumeRole", WORKLOAD_ROLE),
    "CreateUser": Request("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/backdoor"),
    "CreateAccessKey": Request("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/backdoor"),
    "CreateLoginProfile": Request("iam:CreateLoginProfile", f"arn:aws:iam::{ACCOUNT}:user/backdoor"),
    "AddUserToGroup": Request("iam:AddUserToGroup", f"arn:aws:iam::{ACCOUNT}:group/admins"),
    "PutUserPolicy": Request("iam:PutUserPolicy", f"arn:aws:iam::{ACCOUNT}:user/backdoor"),
    "AttachGroupPolicy": Request("iam:AttachGroupPolicy", f"arn:aws:iam::{ACCOUNT}:group/admins",
                                 {"iam:PolicyARN": ADMINISTRATOR_ACCESS}),
    # the audit trail, its buckets and key, the break-glass alarm
    "StopLogging": Request("cloudtrail:StopLogging", TRAIL),
    "UpdateTrail": Request("cloudtrail:UpdateTrail", TRAIL),
    "PutEventSelectors": Request("cloudtrail:PutEventSelectors", TRAIL),
    "PutBucketPolicy on the trail bucket": Request(
        "s3:PutBucketPolicy", f"arn:aws:s3:::acme-account-cloudtrail-{ACCOUNT}"),
    "PutLifecycleConfiguration on the trail bucket": Request(
        "s3:PutLifecycleConfiguration", f"arn:aws:s3:::acme-account-cloudtrail-{ACCOUNT}"),
    "PutKeyPolicy of the trail key": Request("kms:PutKeyPolicy", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k",
                                             {"kms:ResourceAliases": ["alias/connect/acme-account-trail"]}),
    "DisableRule of the break-glass alarm": Request(
        "events:DisableRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/acme-account-breakglass-assumed"),
    "ScheduleKeyDeletion": Request("kms:ScheduleKeyDeletion", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k",
                                   {"kms:ResourceAliases": ["alias/connect/acme-prod"]}),
    # data
    "GetObject from a data bucket": Request("s3:GetObject", f"arn:aws:s3:::acme-prod-documents-{ACCOUNT}/a.pdf"),
    "GetObject from a DR copy": Request("s3:GetObject", f"arn:aws:s3:::acme-prod-documents-dr-{ACCOUNT}/a.pdf"),
    "GetObjectVersion from the trail bucket": Request(
        "s3:GetObjectVersion", f"arn:aws:s3:::acme-account-cloudtrail-{ACCOUNT}/AWSLogs/x.json.gz"),
    "GetSecretValue of the database secret": Request(
        "secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!cluster-1-AbCdEf"),
    "rds-db:connect": Request("rds-db:connect", f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:cluster-x/connect_admin"),
    "Decrypt with the environment key": Request("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k",
                                                {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}),
    "CreateDBClusterSnapshot": Request("rds:CreateDBClusterSnapshot",
                                       f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:acme-prod-ledger"),
    "a resource outside the deployer regions": Request("ec2:CreateVpc", f"arn:aws:ec2:ap-south-1:{ACCOUNT}:vpc/v"),
    "another client's name (same account)": Request("s3:PutBucketPolicy", f"arn:aws:s3:::other-prod-docs-{ACCOUNT}"),
}
# What `pulumi up` needs: allowed, or the refusals above prove nothing.
NEEDED: dict[str, Request] = {
    "CreateRole with the boundary": Request("iam:CreateRole", WORKLOAD_ROLE, bounded()),
    "PutRolePolicy on a bounded role": Request("iam:PutRolePolicy", WORKLOAD_ROLE, bounded()),
    "AttachRolePolicy AWS Backup's policy to a bounded role": Request(
        "iam:AttachRolePolicy", WORKLOAD_ROLE, bounded(**{"iam:PolicyARN": ATTACHABLE[0]})),
    "UpdateAssumeRolePolicy of a bounded role": Request("iam:UpdateAssumeRolePolicy", WORKLOAD_ROLE, bounded()),
    "DeleteRole of a bounded role": Request("iam:DeleteRole", WORKLOAD_ROLE, bounded()),
    "PassRole a task role to ECS": Request("iam:PassRole", WORKLOAD_ROLE,
                                           {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
    "GetRole of break-glass (refresh)": Request("iam:GetRole", role(BREAKGLASS)),
    "ListAttachedRolePolicies of itself (refresh)": Request("iam:ListAttachedRolePolicies", role(DEPLOYER)),
    "GetPolicyVersion of the boundary (refresh)": Request("iam:GetPolicyVersion", BOUNDARY),
    "GetTrail (refresh)": Request("cloudtrail:GetTrail",
                                  f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/acme-account-trail"),
    "GetBucketPolicy of the trail bucket (refresh)": Request(
        "s3:GetBucketPolicy", f"arn:aws:s3:::acme-account-cloudtrail-{ACCOUNT}"),
    "PutBucketPolicy on a data bucket": Request("s3:PutBucketPolicy", f"arn:aws:s3:::acme-prod-documents-{ACCOUNT}"),
    "GetBucketPolicy of a data bucket": Request("s3:GetBucketPolicy", f"arn:aws:s3:::acme-prod-documents-{ACCOUNT}"),
    "CreateVpc in the DR region": Request("ec2:CreateVpc", f"arn:aws:ec2:us-west-2:{ACCOUNT}:vpc/v"),
    "DescribeVpcs": Request("ec2:DescribeVpcs", "*", {"aws:RequestedRegion": REGION}),
    "CreateGrant for RDS": Request("kms:CreateGrant", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k",
                                   {"kms:GrantIsForAWSResource": "true"}),
    "CreateDBCluster": Request("rds:CreateDBCluster",
                               f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:acme-prod-ledger"),
    "PutRule of an alarm rule": Request("events:PutRule",
                                        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/acme-prod-backup-failed"),
    "PutRule of a forwarder in us-east-1": Request(
        "events:PutRule", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/acme-prod-backup-failed"),
    "PutParameter of an endpoint": Request(
        "ssm:PutParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/connect/acme-prod/data/ledger/endpoint"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_deployer_is_refused(case: str) -> None:
    assert not is_allowed(deployer(), REFUSED[case]), case


@pytest.mark.parametrize("case", sorted(NEEDED))
def test_the_deployer_may_still_deploy(case: str) -> None:
    assert is_allowed(deployer(), NEEDED[case]), case


def test_the_explicit_denies_hold_whatever_else_is_granted() -> None:
    """The deny document alone, beside a grant of everything, still refuses the protected targets."""
    denies = [d for d in deployer() if any(s.get("Sid") == "NeverDestroyWhatTheStacksRetain" for s in d["Statement"])]
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    for case in ("PutRolePolicy on itself, claiming the boundary", "UpdateAssumeRolePolicy on break-glass",
                 "CreatePolicyVersion of the boundary", "DeleteRolePermissionsBoundary",
                 "PassRole break-glass to ECS", "StopLogging", "PutBucketPolicy on the trail bucket",
                 "GetObject from a data bucket", "GetSecretValue of the database secret",
                 "Decrypt with the environment key", "AssumeRole of break-glass"):
        assert decide([everything, *denies], REFUSED[case]) == "Deny", case


def test_globex_is_scoped_to_its_own_account_and_regions() -> None:
    globex = deployer("globex-account")
    account = ACCOUNTS["globex-account"]
    assert is_allowed(globex, Request("ec2:CreateVpc", f"arn:aws:ec2:eu-central-1:{account}:vpc/v"))
    assert not is_allowed(globex, Request("ec2:CreateVpc", f"arn:aws:ec2:us-east-1:{account}:vpc/v"))
    assert not is_allowed(globex, Request("ec2:CreateVpc", f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc/v"))
    assert is_allowed(globex, Request("events:PutRule", f"arn:aws:events:us-east-1:{account}:rule/globex-account-x"))
    assert not is_allowed(globex, Request("iam:CreateRole", f"arn:aws:iam::{account}:role/x", bounded()))  # acme's
    assert is_allowed(globex, Request("iam:CreateRole", f"arn:aws:iam::{account}:role/x",
                                      {"iam:PermissionsBoundary": boundary_arn(account)}))


OPERATOR_REFUSED = ("PassRole break-glass to ECS", "PassRole itself to ECS", "CreateRole without a boundary",
                    "UpdateAssumeRolePolicy on break-glass", "AttachRolePolicy AdministratorAccess to itself",
                    "CreatePolicyVersion of the boundary", "GetObject from a data bucket",
                    "GetSecretValue of the database secret")


@pytest.mark.parametrize("case", OPERATOR_REFUSED)
def test_the_operator_is_refused(case: str) -> None:
    request = REFUSED[case]
    if case.startswith("PassRole"):
        request = Request(request.action, request.resource, {"iam:PassedToService": "backup.amazonaws.com"})
    assert not is_allowed(operator(), request), case


def test_the_operator_may_still_operate_and_read_logs() -> None:
    docs = operator()
    assert is_allowed(docs, Request("iam:PassRole", WORKLOAD_ROLE, {"iam:PassedToService": "backup.amazonaws.com"}))
    assert is_allowed(docs, Request("s3:GetObject", f"arn:aws:s3:::acme-prod-use1-alb-{ACCOUNT}/alb/x.log.gz"))
    assert is_allowed(docs, Request("s3:GetObject", f"arn:aws:s3:::acme-account-cloudtrail-{ACCOUNT}/AWSLogs/x.gz"))
    assert is_allowed(docs, Request("ecs:UpdateService", f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/acme-prod/api"))


def test_a_role_under_the_boundary_cannot_escalate_whatever_its_own_policy() -> None:
    """What the deployer may write into a bounded role is capped: even `*` on `*` gives no IAM, no role chaining,
    nothing in another account, no key outside its services."""
    boundary = json.loads(boundary_policy(ACCOUNT, [REGION, "us-west-2"]))
    everything = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]
    for request in (Request("iam:PutRolePolicy", role(DEPLOYER)), Request("iam:CreateRole", role("x")),
                    Request("iam:PassRole", role(BREAKGLASS), {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
                    Request("iam:GetRolePolicy", role(DEPLOYER)), Request("sts:AssumeRole", role(BREAKGLASS)),
                    Request("s3:PutObject", "arn:aws:s3:::attacker-bucket/x", {"aws:ResourceAccount": "999999999999"}),
                    Request("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"),
                    Request("rds:DeleteDBCluster", f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:acme-prod-ledger",
                            {"aws:ResourceAccount": ACCOUNT}),
                    Request("ec2:RunInstances", f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i",
                            {"aws:ResourceAccount": ACCOUNT})):
        assert not is_allowed(everything, request, boundary), request
    assert is_allowed(everything, Request("s3:GetObject", f"arn:aws:s3:::acme-prod-documents-{ACCOUNT}/k",
                                          {"aws:ResourceAccount": ACCOUNT}), boundary)


# --- cloudsplaining ---------------------------------------------------------------------------------------------


def _merged(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """A role's policies as one document: cloudsplaining subtracts a Deny from the Allows of the same document,
    and IAM evaluates a role's policies together."""
    statements = [s for doc in documents for s in (doc["Statement"] if isinstance(doc["Statement"], list)
                                                      else [doc["Statement"]])]
    return {"Version": "2012-10-17", "Statement": statements}


def scan(documents: list[dict[str, Any]], *, flag_all: bool = False) -> dict[str, Any]:
    """cloudsplaining's `scan-policy-file` analysis (its Python API; `--flag-all-risky-actions` when asked)."""
    return scan_policy(_merged(documents), DEFAULT_EXCLUSIONS_CONFIG, flag_conditional_statements=flag_all,
                       flag_resource_arn_statements=flag_all)


def findings(result: dict[str, Any], kind: str) -> list[Any]:
    return list((result.get(kind) or {}).get("findings") or [])


# The break-glass role is AdministratorAccess by design (people only, MFA, every use alarmed): every finding
# there is its purpose, so it is not analysed. The readonly role is analysed but not held to the bar: it is
# ReadOnlyAccess as AWS publishes it (its data reads are the reason the operator's inline policy denies them).
ANALYSED = (DEPLOYER, OPERATOR)


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
@pytest.mark.parametrize("name", ANALYSED)
def test_cloudsplaining_finds_no_privilege_escalation_or_data_exfiltration(stack: str, name: str) -> None:
    result = scan(role_documents(plan(stack), name, AWS_MANAGED))
    assert findings(result, "PrivilegeEscalation") == []
    assert findings(result, "DataExfiltration") == []


def test_cloudsplaining_flag_all_findings_are_exactly_the_conditioned_grants() -> None:
    """With `--flag-all-risky-actions` cloudsplaining ignores resources and conditions: what it then reports
    for the deployer is the bounded role management, the conditioned PassRole and the /connect/ endpoint
    parameters, each of which the evaluator shows refused where it would escalate (tests above)."""
    result = scan(deployer(), flag_all=True)
    methods = {f["type"] for f in findings(result, "PrivilegeEscalation")}
    assert methods <= {"AttachRolePolicy", "PutRolePolicy", "UpdateRolePolicyToAssumeIt",
                       "PassExistingRoleToNewECSClusterServiceTask", "PassExistingRoleToNewECSService",
                       "AttachRolePolicyThenUpdateAssumeRolePolicy", "PutRolePolicyThenUpdateAssumeRolePolicy"}
    for case in ("PutRolePolicy on itself", "AttachRolePolicy AdministratorAccess to itself",
                 "UpdateAssumeRolePolicy on break-glass", "PassRole break-glass to ECS", "PassRole itself to ECS"):
        assert not is_allowed(deployer(), REFUSED[case]), case
    assert set(findings(result, "DataExfiltration")) <= {"ssm:GetParameter", "ssm:GetParameters"}
    assert not is_allowed(deployer(), Request(
        "ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/acme/prod/smtp-token"))  # a service's secret


def test_cloudsplaining_sees_the_readonly_roles_reads() -> None:
    """The tool is awake: ReadOnlyAccess alone (the readonly role) reads objects and parameters."""
    result = scan(role_documents(plan("acme-account"), READONLY, AWS_MANAGED))
    assert "s3:GetObject" in findings(result, "DataExfiltration")
