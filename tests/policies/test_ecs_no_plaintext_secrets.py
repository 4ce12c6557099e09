"""ecs-no-plaintext-secrets: secret-looking environment is a violation; secrets come from the tenant's stores."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.ecs_programs import SECRET_ARN, container, program_of, task_definition
from tests.policies.harness import (
    ACCOUNT,
    OTHER_ACCOUNT,
    REGION,
    assert_one_mandatory,
    evaluate,
    findings,
    notes,
)

POLICY = "ecs-no-plaintext-secrets"
URN = "aws:ecs/taskDefinition:TaskDefinition::api"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"

COMPLIANT = container(
    # a variable that names a secret by ARN is a reference the application resolves, not a secret
    environment=[{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_SECRET_ARN", "value": SECRET_ARN}],
    secrets=[
        {"name": "DB_PASSWORD", "valueFrom": SECRET_ARN},
        {"name": "DB_USER", "valueFrom": f"{SECRET_ARN}:username::"},
        {"name": "API_TOKEN", "valueFrom": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/connect/api/token"},
        {"name": "FEATURE_KEY", "valueFrom": "/connect/api/feature-key"},
    ],
)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("pack_config", [None, {POLICY: {"accountId": ACCOUNT}}])
def test_secrets_from_tenant_stores_pass(preview: bool, pack_config: dict[str, Any] | None) -> None:
    found = evaluate(program_of(lambda p: task_definition(p, COMPLIANT)), preview=preview, pack_config=pack_config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


CASES: dict[str, tuple[dict[str, Any], str]] = {
    "password-env": ({"environment": [{"name": "db_password", "value": "hunter2"}]},
                     "sets the secret-looking variable db_password in plain text"),
    "api-key-env": ({"environment": [{"name": "STRIPE_API_KEY", "value": "sk_live_x"}]},
                    "secret-looking variable STRIPE_API_KEY"),
    "access-key-value": ({"environment": [{"name": "UPSTREAM", "value": "AKIAIOSFODNN7EXAMPLE"}]},
                         "variable UPSTREAM holds an AWS access key id"),
    "pem-value": ({"environment": [{"name": "TLS_KEY_PEM", "value": PEM}]},
                  "variable TLS_KEY_PEM holds a PEM private key"),
    "foreign-secret": ({"secrets": [{"name": "DB_PASSWORD", "valueFrom": SECRET_ARN.replace(ACCOUNT, OTHER_ACCOUNT)}]},
                       f"comes from account {OTHER_ACCOUNT}, not the tenant account {ACCOUNT}"),
    "s3-secret": ({"secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:s3:::bucket/db-password"}]},
                  "not a Secrets Manager secret or SSM parameter"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_plaintext_or_foreign_secrets_are_violations(case: str, preview: bool) -> None:
    changes, phrase = CASES[case]
    found = findings(evaluate(program_of(lambda p: task_definition(p, container(**changes))), preview=preview),
                     POLICY)
    assert_one_mandatory(found, URN, phrase)
