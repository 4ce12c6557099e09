"""iam-no-privilege-escalation: escalation actions only bounded, never on the deployer or break-glass role."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from connect_guardrails import catalogue
from connect_guardrails.rules.iam_no_privilege_escalation import RULE
from connectctl.engine.analyzer import analyze
from tests.components.plans import planned
from tests.policies.ecs_programs import program_of
from tests.policies.harness import ACCOUNT, TAGS, assert_one_mandatory, evaluate, findings, notes, pinned
from tests.policies.mutations import focused_config

POLICY = "iam-no-privilege-escalation"
STACKS = ("acme-account", "acme-prod", "acme-staging", "globex-account", "globex-prod")
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/connect-workload-boundary"
ROLES = f"arn:aws:iam::{ACCOUNT}:role/*"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/connect-deployer"
BREAKGLASS = f"arn:aws:iam::{ACCOUNT}:role/connect-breakglass"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ANY_POLICY = f"arn:aws:iam::{ACCOUNT}:policy/*"
KEEP_OFF = {"Sid": "KeepOff", "Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"],
            "Resource": [DEPLOYER, BREAKGLASS]}


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The rule in the pack the engine runs, whether or not the catalogue lists it yet."""
    if RULE.id not in [rule.id for rule in catalogue.RULES]:
        monkeypatch.setattr(catalogue, "RULES", [*catalogue.RULES, RULE])
    yield


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


BOUNDED_ROLES = {"Sid": "RolesUnderTheBoundary", "Effect": "Allow",
                 "Action": ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePolicy"],
                 "Resource": ROLES, "Condition": {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}}
PASS_ROLES = {"Sid": "PassToEcs", "Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLES,
              "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}
DEPLOYING = _doc(BOUNDED_ROLES, PASS_ROLES, KEEP_OFF,
                 {"Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRolePolicies", "ecs:*"], "Resource": "*"})
WORKLOAD = _doc({"Effect": "Allow", "Action": ["logs:PutLogEvents", "s3:GetObject"], "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})


def _compliant(p: aws.Provider) -> None:
    aws.iam.Policy("deployer", policy=DEPLOYING, tags=TAGS, opts=pinned(p))
    aws.iam.Policy("boundary", name="connect-workload-boundary", policy=WORKLOAD, tags=TAGS, opts=pinned(p))
    role = aws.iam.Role("app", assume_role_policy=TRUST, permissions_boundary=BOUNDARY, tags=TAGS,
                        inline_policies=[{"name": "work", "policy": WORKLOAD}], opts=pinned(p))
    aws.iam.RolePolicy("app-work", role=role.name, policy=WORKLOAD, opts=pinned(p))
    breakglass = aws.iam.Role("breakglass", name="connect-breakglass", assume_role_policy=TRUST, tags=TAGS,
                              opts=pinned(p))
    aws.iam.RolePolicyAttachmentsExclusive("breakglass-managed", role_name=breakglass.name, policy_arns=[ADMIN],
                                           opts=pinned(p))
    aws.iam.RolePolicyAttachment("breakglass-admin", role="connect-breakglass", policy_arn=ADMIN, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_bounded_role_management_and_the_breakglass_exception_pass(preview: bool) -> None:
    found = evaluate(program_of(_compliant), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _policy(name: str, *statements: dict[str, Any]) -> Callable[[aws.Provider], object]:
    return lambda p: aws.iam.Policy(name, policy=_doc(*statements), tags=TAGS, opts=pinned(p))


def _role_policy(name: str, *statements: dict[str, Any]) -> Callable[[aws.Provider], object]:
    return lambda p: aws.iam.RolePolicy(name, role="app", policy=_doc(*statements), opts=pinned(p))


POLICY_URN, ROLE_POLICY_URN = "aws:iam/policy:Policy::", "aws:iam/rolePolicy:RolePolicy::"
CASES: dict[str, tuple[Callable[[aws.Provider], object], str, str]] = {
    "put-role-policy-unbounded": (
        _role_policy("grow", {"Sid": "Grow", "Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": ROLES},
                     KEEP_OFF),
        ROLE_POLICY_URN + "grow", "statement Grow allows iam:PutRolePolicy without a permissions-boundary condition"),
    "create-role-any-boundary": (
        _policy("create", {"Sid": "Create", "Effect": "Allow", "Action": "iam:CreateRole", "Resource": ROLES,
                           "Condition": {"StringLike": {"iam:PermissionsBoundary": "*"}}}, KEEP_OFF),
        POLICY_URN + "create", "allows iam:CreateRole without a permissions-boundary condition"),
    "wildcard-boundary-value": (
        _policy("attach", {"Sid": "Attach", "Effect": "Allow", "Action": "iam:AttachRole*", "Resource": ROLES,
                           "Condition": {"StringEquals": {"iam:PermissionsBoundary": ANY_POLICY}}},
                KEEP_OFF),
        POLICY_URN + "attach", "allows iam:AttachRolePolicy without a permissions-boundary condition"),
    "iam-star": (_policy("iam", {"Sid": "Iam", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}),
                 POLICY_URN + "iam", "statement Iam allows iam:*"),
    "not-action": (_policy("most", {"Sid": "Most", "Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
                   POLICY_URN + "most", "statement Most allows NotAction"),
    "policy-version": (
        _policy("versions", {"Sid": "Versions", "Effect": "Allow", "Action": "iam:CreatePolicyVersion",
                             "Resource": BOUNDARY,
                             "Condition": {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}}),
        POLICY_URN + "versions", "allows iam:CreatePolicyVersion: privilege escalation whatever the condition"),
    "boundary-removal": (
        _role_policy("unbound", {"Sid": "Unbound", "Effect": "Allow", "Action": "iam:DeleteRolePermissionsBoundary",
                                 "Resource": ROLES}, KEEP_OFF),
        ROLE_POLICY_URN + "unbound", "allows iam:DeleteRolePermissionsBoundary"),
    "users": (_policy("keys", {"Sid": "Keys", "Effect": "Allow", "Action": ["iam:CreateAccessKey",
                                                                            "iam:CreateLoginProfile"],
                               "Resource": f"arn:aws:iam::{ACCOUNT}:user/*"}),
              POLICY_URN + "keys", "allows iam:CreateAccessKey, iam:CreateLoginProfile"),
    "pass-any-role": (_policy("pass", PASS_ROLES),
                      POLICY_URN + "pass", "allows iam:PassRole on connect-deployer, connect-breakglass and no Deny"),
    "pass-breakglass": (
        _policy("pass", {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": BREAKGLASS}),
        POLICY_URN + "pass", "allows iam:PassRole on connect-breakglass and no Deny"),
    "bounded-but-reaches-the-deployer": (
        _policy("deploy", BOUNDED_ROLES),
        POLICY_URN + "deploy", "on connect-deployer, connect-breakglass and no Deny of this document refuses it"),
    "conditional-deny-does-not-count": (
        _policy("deploy", PASS_ROLES, {**KEEP_OFF, "Condition": {"Bool": {"aws:ViaAWSService": "false"}}}),
        POLICY_URN + "deploy", "allows iam:PassRole on connect-deployer"),
    "inline-star": (lambda p: aws.iam.Role("app", assume_role_policy=TRUST, tags=TAGS, opts=pinned(p),
                                           permissions_boundary=BOUNDARY,
                                           inline_policies=[{"name": "all", "policy": _doc(
                                               {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"})}]),
                    "aws:iam/role:Role::app", "inline policy all: statement All allows *"),
    "admin-on-the-deployer": (
        lambda p: aws.iam.RolePolicyAttachment("admin", role="connect-deployer", policy_arn=ADMIN, opts=pinned(p)),
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment::admin", f"attaches {ADMIN}"),
    "iam-full-access-on-breakglass": (
        lambda p: aws.iam.RolePolicyAttachmentsExclusive(
            "managed", role_name="connect-breakglass",
            policy_arns=[ADMIN, "arn:aws:iam::aws:policy/IAMFullAccess"], opts=pinned(p)),
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive::managed",
        "attaches arn:aws:iam::aws:policy/IAMFullAccess"),
}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_escalation_grants_are_mandatory_violations(case: str, preview: bool) -> None:
    build, urn, phrase = CASES[case]
    assert_one_mandatory(findings(evaluate(program_of(build), preview=preview), POLICY), urn, phrase)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_the_breakglass_exception_is_that_role_only_and_unwaivable(preview: bool) -> None:
    """AdministratorAccess elsewhere is a violation; an exemption in the pack config changes nothing."""
    def build(p: aws.Provider) -> None:
        aws.iam.RolePolicyAttachmentsExclusive("managed", role_name="connect-sre-operator", policy_arns=[ADMIN],
                                               opts=pinned(p))

    waiver = {POLICY: {"exemptions": [{"resource": "*", "reason": "the operator role needs it for a migration",
                                       "expires": "2999-01-01", "ticket": "SEC-1"}]}}
    found = findings(evaluate(program_of(build), preview=preview, pack_config=waiver), POLICY)
    assert_one_mandatory(found, "RolePolicyAttachmentsExclusive::managed", f"attaches {ADMIN}")
    assert RULE.unwaivable and RULE.level == "mandatory"


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_a_document_built_from_outputs_is_decided_on_update(preview: bool) -> None:
    """The whole document is unknown in preview: the engine's note; once known, judged (here: a violation)."""
    def build(p: aws.Provider) -> None:
        group = aws.cloudwatch.LogGroup("logs", retention_in_days=365, tags=TAGS, opts=pinned(p))
        aws.iam.Policy("grow", tags=TAGS, opts=pinned(p), policy=pulumi.Output.json_dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": group.arn},
                {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": ROLES}, KEEP_OFF]}))

    found = evaluate(program_of(build), preview=preview)
    assert len(notes(found, POLICY)) == (1 if preview else 0)
    assert len(findings(found, POLICY)) == (0 if preview else 1)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_an_unknown_role_name_with_administrator_access_is_decided_on_update(preview: bool) -> None:
    def build(p: aws.Provider) -> None:
        role = aws.iam.Role("breakglass", assume_role_policy=TRUST, permissions_boundary=BOUNDARY, tags=TAGS,
                            opts=pinned(p))
        aws.iam.RolePolicyAttachment("breakglass-admin", role=role.name, policy_arn=ADMIN, opts=pinned(p))

    found = evaluate(program_of(build), preview=preview)
    assert len(notes(found, POLICY)) == (1 if preview else 0)
    assert len(findings(found, POLICY)) == (0 if preview else 1)


# --- the workload boundary on every workload role ----------------------------------------------------------

ACCESS = ("connect-sre-readonly", "connect-sre-operator", "connect-breakglass", "connect-deployer")
PEOPLE_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_workload_roles_under_the_boundary_and_the_access_roles_pass(preview: bool) -> None:
    """Task, backup and flow-log roles carry the boundary; the four access roles (by name) are designed apart."""
    def build(p: aws.Provider) -> None:
        for name in ("task", "backup", "flow-logs"):
            aws.iam.Role(name, assume_role_policy=TRUST, permissions_boundary=BOUNDARY, tags=TAGS, opts=pinned(p))
        for name in ACCESS:
            aws.iam.Role(name, name=name, assume_role_policy=PEOPLE_TRUST, tags=TAGS, opts=pinned(p))

    found = evaluate(program_of(build), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


BOUNDARY_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "none": ({}, "role 'app' is a workload role (not one of the access roles connect-breakglass, connect-deployer, "
                 "connect-sre-operator, connect-sre-readonly) and has no permissions boundary"),
    "named-like-an-access-role-but-not-it": ({"name": "connect-sre-operator-2"}, "has no permissions boundary"),
    "administrator-access-as-boundary": ({"permissions_boundary": ADMIN},
                                         f"has permissions boundary {ADMIN}, not {BOUNDARY}"),
    "another-policy": ({"permissions_boundary": f"arn:aws:iam::{ACCOUNT}:policy/connect-wide-open"},
                       "policy/connect-wide-open, not"),
    "another-accounts-boundary": (
        {"permissions_boundary": "arn:aws:iam::222222222222:policy/connect-workload-boundary"}, f"not {BOUNDARY}"),
}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("case", sorted(BOUNDARY_CASES))
def test_a_workload_role_without_the_workload_boundary_is_violation(case: str, preview: bool) -> None:
    extra, phrase = BOUNDARY_CASES[case]

    def build(p: aws.Provider) -> None:
        aws.iam.Role("app", assume_role_policy=TRUST, tags=TAGS, opts=pinned(p), **extra)

    found = findings(evaluate(program_of(build), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:iam/role:Role::app", phrase)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_a_boundary_from_an_output_is_decided_on_update(preview: bool) -> None:
    """The boundary waits for the policy's id, unknown in preview: the engine's note; judged once known (fine)."""
    def build(p: aws.Provider) -> None:
        boundary = aws.iam.Policy("boundary", name="connect-workload-boundary", policy=WORKLOAD, tags=TAGS,
                                  opts=pinned(p))
        aws.iam.Role("app", assume_role_policy=TRUST, permissions_boundary=boundary.id.apply(lambda _: BOUNDARY),
                     tags=TAGS, opts=pinned(p))

    found = evaluate(program_of(build), preview=preview)
    assert findings(found, POLICY) == []
    assert len(notes(found, POLICY)) == (1 if preview else 0)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_the_committed_stacks_pass(stack: str, preview: bool) -> None:
    """The deployer's grants, the operator's, the boundary, every workload role: nothing to escalate with."""
    resources = planned(stack, preview).capture.resources
    found = analyze(resources, focused_config(stack, POLICY))
    assert [v for v in found if v.policy == POLICY] == []
