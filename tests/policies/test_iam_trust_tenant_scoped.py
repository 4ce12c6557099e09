"""iam-trust-tenant-scoped: role trust names only AWS services and principals of the tenant account."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.ecs_programs import program_of
from tests.policies.harness import (
    ACCOUNT,
    OTHER_ACCOUNT,
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
OIDC = _allow({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
              "sts:AssumeRoleWithWebIdentity")
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
    found = evaluate(_roles(_trust(TASKS), _trust(TENANT, OIDC, DENY_ALL)), preview=preview, pack_config=pack_config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_trusted_accounts_hook_accepts_listed_accounts(preview: bool) -> None:
    program = _roles(_trust(_allow({"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:role/operator"})))
    found = evaluate(program, preview=preview, pack_config={POLICY: {"trustedAccountIds": [OTHER_ACCOUNT]}})
    assert findings(found, POLICY) == []


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
