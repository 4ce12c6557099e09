"""iam-no-wildcard-admin: no Allow of `*` on `*`, no AdministratorAccess/IAMFullAccess attachment."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tests.policies.ecs_programs import program_of
from tests.policies.harness import ACCOUNT, REGION, TAGS, assert_one_mandatory, evaluate, findings, notes, pinned

POLICY = "iam-no-wildcard-admin"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SCOPED = _doc(
    {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
     "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/connect/api:*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
)
KEY_POLICY = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
                   "Resource": "*"})
WILDCARD = {"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}


def _role(p: aws.Provider, name: str = "execution", **kwargs: Any) -> aws.iam.Role:
    return aws.iam.Role(name, assume_role_policy=TRUST, tags=TAGS, opts=pinned(p), **kwargs)


def _compliant(p: aws.Provider) -> None:
    role = _role(p, inline_policies=[{"name": "pull", "policy": SCOPED}],
                 managed_policy_arns=["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"])
    aws.iam.RolePolicy("execution-scoped", role=role.name, policy=SCOPED, opts=pinned(p))
    managed = aws.iam.Policy("scoped", policy=SCOPED, tags=TAGS, opts=pinned(p))
    aws.iam.RolePolicyAttachment("execution-scoped", role=role.name, policy_arn=managed.arn, opts=pinned(p))
    aws.kms.Key("key", enable_key_rotation=True, policy=KEY_POLICY, tags=TAGS, opts=pinned(p, protect=True))


@pytest.mark.parametrize("preview", [True, False])
def test_scoped_policies_pass(preview: bool) -> None:
    """A stack policy's ARN attached in preview is unknown: a policy of this stack, checked on its own."""
    found = evaluate(program_of(_compliant), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _computed(p: aws.Provider) -> None:
    group = aws.cloudwatch.LogGroup("api-logs", retention_in_days=365, tags=TAGS, opts=pinned(p, protect=True))
    role = _role(p)
    document = pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": group.arn}]})
    aws.iam.RolePolicy("execution-logs", role=role.name, policy=document, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_document_built_from_outputs_is_decided_on_update(preview: bool) -> None:
    """The whole JSON is unknown in preview: a deciding unknown (the engine's note), clean once known."""
    found = evaluate(program_of(_computed), preview=preview)
    assert findings(found, POLICY) == []
    assert len(notes(found, POLICY)) == (1 if preview else 0)


CASES: dict[str, tuple[Callable[[aws.Provider], object], str, str]] = {
    "role-policy": (lambda p: aws.iam.RolePolicy("admin", role="execution", policy=_doc(WILDCARD), opts=pinned(p)),
                    "aws:iam/rolePolicy:RolePolicy::admin", "statement Everything allows every action on every"),
    "managed-policy": (lambda p: aws.iam.Policy("admin", policy=_doc({"Effect": "Allow", "Action": ["s3:Get*", "*:*"],
                                                                       "Resource": ["*"]}), opts=pinned(p)),
                       "aws:iam/policy:Policy::admin", "statement 0 allows every action on every resource"),
    "inline": (lambda p: _role(p, inline_policies=[{"name": "admin", "policy": _doc(WILDCARD)}]),
               "aws:iam/role:Role::execution", "inline policy admin: statement Everything allows every action"),
    "attachment": (lambda p: aws.iam.RolePolicyAttachment("admin", role="execution", policy_arn=ADMIN,
                                                           opts=pinned(p)),
                   "aws:iam/rolePolicyAttachment:RolePolicyAttachment::admin", f"attaches {ADMIN}"),
    "managed-arns": (lambda p: _role(p, managed_policy_arns=["arn:aws:iam::aws:policy/IAMFullAccess"]),
                     "aws:iam/role:Role::execution", "attaches arn:aws:iam::aws:policy/IAMFullAccess"),
    "user-attachment": (lambda p: aws.iam.UserPolicyAttachment("admin", user="ops", policy_arn=ADMIN, opts=pinned(p)),
                        "aws:iam/userPolicyAttachment:UserPolicyAttachment::admin", "attaches"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_admin_grants_are_violations(case: str, preview: bool) -> None:
    build, urn, phrase = CASES[case]
    found = findings(evaluate(program_of(build), preview=preview), POLICY)
    assert_one_mandatory(found, urn, phrase)


# --- the break-glass role (account stacks: `breakglassRoles`) ----------------------------------------------

BREAKGLASS = "connect-breakglass"
BREAKGLASS_CONFIG = {POLICY: {"breakglassRoles": [BREAKGLASS]}}
IAM_FULL = "arn:aws:iam::aws:policy/IAMFullAccess"


def _breakglass(p: aws.Provider) -> None:
    role = aws.iam.Role("breakglass", name=BREAKGLASS, assume_role_policy=TRUST, tags=TAGS, opts=pinned(p))
    aws.iam.RolePolicyAttachment("breakglass-admin", role=role.name, policy_arn=ADMIN, opts=pinned(p))
    aws.iam.RolePolicyAttachmentsExclusive("breakglass-managed", role_name=role.name, policy_arns=[ADMIN],
                                           opts=pinned(p))
    aws.iam.Role("breakglass-legacy", name=BREAKGLASS, assume_role_policy=TRUST, managed_policy_arns=[ADMIN],
                 tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_the_configured_breakglass_role_may_hold_administrator_access(preview: bool) -> None:
    found = evaluate(program_of(_breakglass), preview=preview, pack_config=BREAKGLASS_CONFIG)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_breakglass_role_needs_the_config(preview: bool) -> None:
    found = findings(evaluate(program_of(_breakglass), preview=preview), POLICY)
    assert len(found) == 3 and all(f"attaches {ADMIN}" in v.message for v in found)


BREAKGLASS_CASES: dict[str, tuple[Callable[[aws.Provider], object], str, str]] = {
    "other-role": (lambda p: aws.iam.RolePolicyAttachment("admin", role="connect-sre-operator", policy_arn=ADMIN,
                                                          opts=pinned(p)),
                   "aws:iam/rolePolicyAttachment:RolePolicyAttachment::admin", f"attaches {ADMIN}"),
    "iam-full-access": (lambda p: aws.iam.RolePolicyAttachmentsExclusive(
        "admin", role_name=BREAKGLASS, policy_arns=[ADMIN, IAM_FULL], opts=pinned(p)),
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive::admin", f"attaches {IAM_FULL}"),
    "wildcard-inline": (lambda p: aws.iam.RolePolicy("admin", role=BREAKGLASS, policy=_doc(WILDCARD),
                                                     opts=pinned(p)),
                        "aws:iam/rolePolicy:RolePolicy::admin", "allows every action on every resource"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(BREAKGLASS_CASES))
def test_breakglass_config_admits_nothing_else(case: str, preview: bool) -> None:
    """Only AdministratorAccess, only managed, only on the named role."""
    build, urn, phrase = BREAKGLASS_CASES[case]
    found = findings(evaluate(program_of(build), preview=preview, pack_config=BREAKGLASS_CONFIG), POLICY)
    assert_one_mandatory(found, urn, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_unknown_role_name_with_administrator_access_decides_on_update(preview: bool) -> None:
    """An auto-named role's name is unknown in preview: the engine's note; once known it is not the break-glass."""
    def build(p: aws.Provider) -> None:
        role = _role(p, "breakglass")
        aws.iam.RolePolicyAttachment("breakglass-admin", role=role.name, policy_arn=ADMIN, opts=pinned(p))

    found = evaluate(program_of(build), preview=preview, pack_config=BREAKGLASS_CONFIG)
    assert len(notes(found, POLICY)) == (1 if preview else 0)
    assert len(findings(found, POLICY)) == (0 if preview else 1)


# --- negations: administrator access in disguise ---------------------------------------------------------

NOT_ACTION_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "not-action-on-star": ({"Sid": "PowerUser", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*"],
                            "Resource": "*"},
                           "statement PowerUser allows every action except iam:*, organizations:* on every resource "
                           "(NotAction): administrator access in disguise"),
    "star-on-not-resource": ({"Sid": "AllButOne", "Effect": "Allow", "Action": "*",
                              "NotResource": "arn:aws:s3:::audit"},
                             "statement AllButOne allows every action on every resource except arn:aws:s3:::audit "
                             "(NotResource)"),
    "not-action-not-resource": ({"Sid": "Both", "Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:x"},
                                "statement Both allows every action except iam:* on every resource except arn:x"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(NOT_ACTION_CASES))
def test_negated_wildcards_are_violations(case: str, preview: bool) -> None:
    statement, phrase = NOT_ACTION_CASES[case]
    found = findings(evaluate(program_of(lambda p: aws.iam.Policy("disguised", policy=_doc(statement),
                                                                  opts=pinned(p))), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:iam/policy:Policy::disguised", phrase)


def _scoped_negations(p: aws.Provider) -> None:
    aws.iam.Policy("negations", policy=_doc(
        {"Effect": "Deny", "NotAction": ["sts:GetCallerIdentity"], "Resource": "*"},  # a Deny grants nothing
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::documents/*"},  # one bucket's objects
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::audit/*"},  # one action
        {"Effect": "Allow", "NotAction": "*", "Resource": "*"},  # allows nothing
    ), opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_scoped_negations_pass(preview: bool) -> None:
    found = evaluate(program_of(_scoped_negations), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []
