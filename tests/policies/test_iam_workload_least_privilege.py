"""iam-workload-least-privilege: the roles services assume get no service-wide wildcard, no unscoped data read on
every resource, no whole-service AWS managed policy; the access roles are judged elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from connectctl.engine.analyzer import analyze
from tests.components.plans import planned
from tests.policies.ecs_programs import program_of
from tests.policies.harness import ACCOUNT, TAGS, assert_one_mandatory, evaluate, findings, notes, pinned
from tests.policies.mutations import focused_config

POLICY = "iam-workload-least-privilege"
STACKS = ("acme-account", "acme-prod", "acme-staging", "globex-account", "globex-prod")
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/connect-workload-boundary"
BUCKET = f"arn:aws:s3:::connect-documents-{ACCOUNT}"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:connect/payments-AbCdEf"
ALIAS = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/connect/acme-prod"}}


def _trust(principal: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


TASKS = _trust({"Service": "ecs-tasks.amazonaws.com"})
PEOPLE = _trust({"AWS": "arn:aws:iam::999999999999:root"})


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Sid": "Grant", "Effect": "Allow", "Action": action, "Resource": resource, **extra}


SCOPED = _doc(
    _allow(["s3:GetObject", "s3:PutObject"], [f"{BUCKET}/*"]),
    _allow("secretsmanager:GetSecretValue", SECRET),
    _allow("ecr:GetAuthorizationToken"),  # needs no resource
    _allow(["kms:Decrypt", "kms:GenerateDataKey"], Condition=ALIAS),  # a resource condition narrows '*'
    _allow("kms:Decrypt", Condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}),
    _allow("s3:GetObject", Condition={"StringEquals": {"aws:ResourceTag/connect:store": "documents"}}),
    {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
)
WIDE = _doc(_allow("s3:*"))


def _role(p: aws.Provider, name: str, trust: pulumi.Input[str], **kwargs: Any) -> aws.iam.Role:
    return aws.iam.Role(name, assume_role_policy=trust, permissions_boundary=BOUNDARY, tags=TAGS, opts=pinned(p),
                        **kwargs)


def _compliant(p: aws.Provider) -> None:
    task = _role(p, "task", TASKS, inline_policies=[{"name": "work", "policy": SCOPED}])
    aws.iam.RolePolicy("task-work", role=task.id, policy=SCOPED, opts=pinned(p))
    managed = aws.iam.Policy("task-managed", policy=SCOPED, tags=TAGS, opts=pinned(p))
    aws.iam.RolePolicyAttachment("task-managed", role=task.name, policy_arn=managed.arn, opts=pinned(p))
    aws.iam.RolePolicyAttachment("task-backup", role=task.name, opts=pinned(p),
                                 policy_arn="arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup")
    # People's roles are reviewed designs, judged by iam-no-privilege-escalation: not workload roles.
    operator = aws.iam.Role("operator", name="connect-sre-operator", assume_role_policy=PEOPLE, tags=TAGS,
                            inline_policies=[{"name": "ops", "policy": WIDE}], opts=pinned(p))
    aws.iam.RolePolicy("operator-ops", role=operator.id, policy=WIDE, opts=pinned(p))
    aws.iam.RolePolicyAttachment("operator-readonly", role=operator.name,
                                 policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess", opts=pinned(p))
    # A policy nothing attaches grants nothing (the workload boundary is one).
    aws.iam.Policy("boundary", name="connect-workload-boundary", policy=WIDE, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_scoped_workload_policies_and_the_access_roles_pass(preview: bool) -> None:
    found = evaluate(program_of(_compliant), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _role_policy(*statements: dict[str, Any]) -> Callable[[aws.Provider], object]:
    def build(p: aws.Provider) -> None:
        task = _role(p, "task", TASKS)
        aws.iam.RolePolicy("task-work", role=task.id, policy=_doc(*statements), opts=pinned(p))
    return build


def _managed(*statements: dict[str, Any]) -> Callable[[aws.Provider], object]:
    def build(p: aws.Provider) -> None:
        task = _role(p, "task", _trust({"Service": "backup.amazonaws.com"}))
        managed = aws.iam.Policy("task-managed", policy=_doc(*statements), tags=TAGS, opts=pinned(p))
        aws.iam.RolePolicyAttachmentsExclusive("task-managed", role_name=task.name, policy_arns=[managed.arn],
                                               opts=pinned(p))
    return build


def _aws_managed(name: str) -> Callable[[aws.Provider], object]:
    def build(p: aws.Provider) -> None:
        task = _role(p, "task", TASKS)
        aws.iam.RolePolicyAttachment("task-managed", role=task.name, policy_arn=f"arn:aws:iam::aws:policy/{name}",
                                     opts=pinned(p))
    return build


ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy::task-work"
CASES: dict[str, tuple[Callable[[aws.Provider], object], str, str]] = {
    "s3-star": (_role_policy(_allow("s3:*")), ROLE_POLICY,
                "role policy 'task-work' of workload role 'task': statement Grant allows s3:* on every resource: "
                "every action of the service"),
    "secrets-star-even-with-a-condition": (
        _role_policy(_allow("secretsmanager:*", Condition=ALIAS)), ROLE_POLICY, "allows secretsmanager:*"),
    "kms-star-on-every-key": (_role_policy(_allow("kms:*", f"arn:aws:kms:*:{ACCOUNT}:key/*")), ROLE_POLICY,
                              "allows kms:* on every resource"),
    "every-secret": (_role_policy(_allow(["secretsmanager:GetSecretValue", "kms:Decrypt"])), ROLE_POLICY,
                     "allows secretsmanager:GetSecretValue, kms:Decrypt on every resource and no condition narrows"),
    "every-object-by-pattern": (_role_policy(_allow("s3:Get*", "arn:aws:s3:::*/*")), ROLE_POLICY,
                                "allows s3:GetObject, s3:GetObjectVersion on every resource"),
    "account-condition-does-not-narrow": (
        _role_policy(_allow("ssm:GetParameters", Condition={"StringEquals": {"aws:ResourceAccount": ACCOUNT}})),
        ROLE_POLICY, "allows ssm:GetParameters on every resource and no condition narrows"),
    "not-resource": (_role_policy({"Sid": "Grant", "Effect": "Allow", "Action": "s3:GetObject",
                                   "NotResource": f"{BUCKET}/private/*"}), ROLE_POLICY,
                     "on every resource but the ones NotResource lists"),
    "inline": (lambda p: _role(p, "task", TASKS, inline_policies=[{"name": "work", "policy": WIDE}]),
               "aws:iam/role:Role::task", "role 'task' of workload role 'task': inline policy work: statement Grant "
                                          "allows s3:*"),
    "managed-policy": (_managed(_allow("dynamodb:Scan")), "aws:iam/policy:Policy::task-managed",
                       "managed policy 'task-managed' of workload role 'task': statement Grant allows dynamodb:Scan"),
    "aws-managed-full-access": (_aws_managed("AmazonS3FullAccess"),
                                "aws:iam/rolePolicyAttachment:RolePolicyAttachment::task-managed",
                                "attaches the AWS managed policy AmazonS3FullAccess"),
    "aws-managed-read-only": (_aws_managed("ReadOnlyAccess"),
                              "aws:iam/rolePolicyAttachment:RolePolicyAttachment::task-managed",
                              "attaches the AWS managed policy ReadOnlyAccess"),
    "role-outside-the-stack": (
        lambda p: aws.iam.RolePolicy("task-work", role="payments-task", policy=WIDE, opts=pinned(p)), ROLE_POLICY,
        "of role 'payments-task' (outside this stack: judged as a workload role)"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_wide_grants_to_a_workload_role_are_violations(case: str, preview: bool) -> None:
    build, urn, phrase = CASES[case]
    assert_one_mandatory(findings(evaluate(program_of(build), preview=preview), POLICY), urn, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_an_unknown_resource_that_could_be_everything_is_decided_on_update(preview: bool) -> None:
    """A data read on a resource from an output: the engine's note in preview, judged once known (scoped here)."""
    def build(p: aws.Provider) -> None:
        task = _role(p, "task", TASKS)
        secret = aws.secretsmanager.Secret("payments", tags=TAGS, opts=pinned(p))
        aws.iam.RolePolicy("task-work", role=task.id, opts=pinned(p), policy=pulumi.Output.json_dumps(
            {"Version": "2012-10-17", "Statement": [_allow("secretsmanager:GetSecretValue", secret.id)]}))

    found = evaluate(program_of(build), preview=preview)
    assert findings(found, POLICY) == []
    assert len(notes(found, POLICY)) == (1 if preview else 0)


@pytest.mark.parametrize("preview", [True, False])
def test_a_trust_policy_from_an_output_decides_only_for_a_wide_policy(preview: bool) -> None:
    """Whether a service may assume the role is unknown in preview: it decides for s3:* on '*', not for a scoped
    policy; once known, the wide one is reported."""
    def build(p: aws.Provider) -> None:
        queue = aws.sqs.Queue("jobs", tags=TAGS, opts=pinned(p))
        for name, policy in (("wide", WIDE), ("narrow", SCOPED)):
            role = _role(p, name, queue.id.apply(lambda _: TASKS))
            aws.iam.RolePolicy(f"{name}-work", role=role.id, policy=policy, opts=pinned(p))

    found = evaluate(program_of(build), preview=preview)
    assert len(notes(found, POLICY)) == (1 if preview else 0)
    if preview:
        assert findings(found, POLICY) == []
    else:
        assert_one_mandatory(findings(found, POLICY), "aws:iam/rolePolicy:RolePolicy::wide-work", "allows s3:*")


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_the_committed_stacks_pass(stack: str, preview: bool) -> None:
    """Task, execution, replication, backup, monitoring, flow-log, trail and forwarder roles: all scoped; the
    deployer's and the operator's policies are access roles'."""
    found = analyze(planned(stack, preview).capture.resources, focused_config(stack, POLICY))
    assert [v for v in found if v.policy == POLICY] == []
