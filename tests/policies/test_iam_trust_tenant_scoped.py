"""iam-trust-tenant-scoped: role trust names only AWS services and principals of the tenant account."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tests.policies.ecs_programs import program_of
from tests.policies.harness import (
    ACCOUNT,
    OTHER_ACCOUNT,
    REGION,
    TAGS,
    assert_one_mandatory,
    evaluate,
    findings,
    notes,
    pinned,
)

POLICY = "iam-trust-tenant-scoped"
URN = "aws:iam/role:Role::trusting"


def _trust(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(principal: Any, action: str = "sts:AssumeRole", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


TASKS = _allow({"Service": "ecs-tasks.amazonaws.com"},
               Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}})
TENANT = _allow({"AWS": [f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:role/deployer", ACCOUNT]})
GITHUB = "token.actions.githubusercontent.com"
GITHUB_PROVIDER = {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"}
OIDC = _allow(GITHUB_PROVIDER, "sts:AssumeRoleWithWebIdentity", Condition={
    "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
    "StringLike": {f"{GITHUB}:sub": ["repo:acme/payments:ref:refs/heads/main", "repo:acme/ledger:environment:*"]}})
EKS = f"oidc.eks.{REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
EKS_OIDC = _allow({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{EKS}"}, "sts:AssumeRoleWithWebIdentity",
                  Condition={"StringEquals": {f"{EKS}:SUB": "system:serviceaccount:payments:api"}})
DENY_ALL = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}


def _roles(*trusts: str) -> Any:
    def build(p: aws.Provider) -> None:
        for index, trust in enumerate(trusts):
            aws.iam.Role("trusting" if index == 0 else f"trusting-{index}", assume_role_policy=trust, tags=TAGS,
                         opts=pinned(p))

    return program_of(build)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("pack_config", [None, {POLICY: {"accountId": ACCOUNT}}], ids=["provider", "config"])
def test_service_and_tenant_principals_pass(preview: bool, pack_config: dict[str, Any] | None) -> None:
    found = evaluate(_roles(_trust(TASKS), _trust(TENANT, OIDC, DENY_ALL), _trust(EKS_OIDC)), preview=preview,
                     pack_config=pack_config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []




CASES: dict[str, tuple[dict[str, Any], str]] = {
    "wildcard": (_allow("*"), "trusts any principal ('*')"),
    "aws-wildcard": (_allow({"AWS": "*"}), "trusts any AWS principal ('*')"),
    "other-account": (_allow({"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}),
                      f"of account {OTHER_ACCOUNT}, not the tenant account {ACCOUNT}"),
    "public-idp": (_allow({"Federated": "cognito-identity.amazonaws.com"}, "sts:AssumeRoleWithWebIdentity"),
                   "federated principals must be identity provider ARNs"),
    "fake-service": (_allow({"Service": "ecs-tasks.example.com"}), "which is no AWS service principal"),
    "not-principal": ({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                       "Action": "sts:AssumeRole"}, "uses NotPrincipal"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_foreign_or_wildcard_trust_is_violation(case: str, preview: bool) -> None:
    statement, phrase = CASES[case]
    found = findings(evaluate(_roles(_trust(TASKS, statement)), preview=preview), POLICY)
    assert_one_mandatory(found, URN, phrase)


def _github(condition: dict[str, Any] | None) -> dict[str, Any]:
    return _allow(GITHUB_PROVIDER, "sts:AssumeRoleWithWebIdentity", Sid="Ci",
                  **({"Condition": condition} if condition is not None else {}))


SUBJECT_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "no-condition": (_github(None), f"statement Ci trusts the web-identity provider {GITHUB} without a "
                                    f"StringEquals/StringLike condition on {GITHUB}:sub"),
    "audience-only": (_github({"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}), f"on {GITHUB}:sub"),
    "any-subject": (_github({"StringLike": {f"{GITHUB}:sub": "*"}}), "for subject '*', which admits every"),
    "any-repository": (_github({"StringLike": {f"{GITHUB}:sub": ["repo:acme/payments:*", "repo:*"]}}),
                       "for subject 'repo:*'"),
    "any-owner": (_github({"StringLike": {f"{GITHUB}:sub": "repo:*/payments:*"}}), "for subject 'repo:*/payments:*'"),
    "if-exists": (_github({"StringLikeIfExists": {f"{GITHUB}:sub": "repo:acme/payments:*"}}),
                  f"without a StringEquals/StringLike condition on {GITHUB}:sub"),
    "other-provider-key": (_github({"StringEquals": {f"{EKS}:sub": "system:serviceaccount:payments:api"}}),
                           f"condition on {GITHUB}:sub"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(SUBJECT_CASES))
def test_web_identity_trust_without_a_subject_is_violation(case: str, preview: bool) -> None:
    """A GitHub OIDC provider of the tenant account, trusted for every repository on GitHub: refused."""
    statement, phrase = SUBJECT_CASES[case]
    found = findings(evaluate(_roles(_trust(TASKS, statement)), preview=preview), POLICY)
    assert_one_mandatory(found, URN, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_an_unknown_subject_condition_is_decided_on_update(preview: bool) -> None:
    """The subject comes from another resource's output: the engine's note in preview, judged on update."""
    def build(p: aws.Provider) -> None:
        group = aws.cloudwatch.LogGroup("ci", retention_in_days=365, tags=TAGS, opts=pinned(p))
        trust = pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [
            _github({"StringEquals": {f"{GITHUB}:sub": pulumi.Output.concat("repo:acme/", group.name, ":*")}})]})
        aws.iam.Role("trusting", assume_role_policy=trust, tags=TAGS, opts=pinned(p))

    found = evaluate(program_of(build), preview=preview)
    assert findings(found, POLICY) == []
    assert len(notes(found, POLICY)) == (1 if preview else 0)


# --- the operator's identity account (account stacks: `operatorAccountId`) ---------------------------------

OPERATOR = "999999999999"
OPERATOR_CONFIG = {POLICY: {"accountId": ACCOUNT, "operatorAccountId": OPERATOR}}
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
PEOPLE = _allow({"AWS": f"arn:aws:iam::{OPERATOR}:root"}, Sid="People", Condition=MFA)
CI_ROLE = _allow({"AWS": f"arn:aws:iam::{OPERATOR}:role/connect-ci"}, Sid="Ci")


@pytest.mark.parametrize("preview", [True, False])
def test_operator_people_with_mfa_and_its_named_ci_role_are_admitted(preview: bool) -> None:
    found = evaluate(_roles(_trust(PEOPLE), _trust(CI_ROLE), _trust(TASKS, TENANT)), preview=preview,
                     pack_config=OPERATOR_CONFIG)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_operator_is_admitted_only_when_configured(preview: bool) -> None:
    found = findings(evaluate(_roles(_trust(PEOPLE)), preview=preview, pack_config={POLICY: {"accountId": ACCOUNT}}),
                     POLICY)
    assert_one_mandatory(found, URN, f"of account {OPERATOR}, not the tenant account {ACCOUNT}")


OPERATOR_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "another-account": (_allow({"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:role/connect-ci"}, Sid="Other"),
                        f"statement Other trusts AWS principal arn:aws:iam::{OTHER_ACCOUNT}:role/connect-ci of "
                        f"account {OTHER_ACCOUNT}, not the tenant account {ACCOUNT}"),
    "root-without-mfa": (_allow({"AWS": f"arn:aws:iam::{OPERATOR}:root"}, Sid="People"),
                         f"statement People trusts the operator account {OPERATOR} as a whole"),
    "bare-id-without-mfa": (_allow({"AWS": OPERATOR}, Sid="People"), "without requiring MFA"),
    "mfa-if-exists": (_allow({"AWS": f"arn:aws:iam::{OPERATOR}:root"}, Sid="People",
                             Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}),
                      "without requiring MFA"),
    "mfa-false": (_allow({"AWS": f"arn:aws:iam::{OPERATOR}:root"}, Sid="People",
                         Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}), "without requiring MFA"),
    "federated": (_allow({"Federated": f"arn:aws:iam::{OPERATOR}:saml-provider/okta"},
                         "sts:AssumeRoleWithSAML", Sid="Saml"), f"Federated principal arn:aws:iam::{OPERATOR}"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(OPERATOR_CASES))
def test_operator_config_admits_nothing_else(case: str, preview: bool) -> None:
    """Only AWS principals of the operator account, its root or bare id only with MFA required."""
    statement, phrase = OPERATOR_CASES[case]
    found = findings(evaluate(_roles(_trust(TASKS, statement)), preview=preview, pack_config=OPERATOR_CONFIG),
                     POLICY)
    assert_one_mandatory(found, URN, phrase)


def test_mfa_condition_reading() -> None:
    from connect_guardrails.rules.iam_trust_tenant_scoped import requires_mfa

    assert requires_mfa(MFA) is True
    assert requires_mfa({"bool": {"AWS:MultiFactorAuthPresent": ["true"]}}) is True
    assert requires_mfa({"Bool": {"aws:MultiFactorAuthPresent": True}}) is True
    assert requires_mfa(None) is False
    assert requires_mfa({"Bool": {"aws:SecureTransport": "true"}}) is False
