"""ecs-no-plaintext-secrets: secret-looking environment is a violation; secrets come from the tenant's stores."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
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
    pinned,
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


# --- values shaped like credentials, whatever the variable's name -------------------------------------------

JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFjbWUifQ."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
SHAPES: dict[str, tuple[str, str, str]] = {
    "database-url": ("DATABASE_URL", "postgres://ledger:pa55w0rd@ledger.cluster.internal:5432/ledger",
                     "variable DATABASE_URL holds a URL with a password in its user-info"),
    "redis-url": ("CACHE_URL", "rediss://:hunter2hunter2@cache.internal:6379/0", "holds a URL with a password"),
    "github": ("CI_PUSH", "ghp_" + "a1B2c3D4e5F6" * 3, "variable CI_PUSH holds a GitHub token"),
    "github-pat": ("UPSTREAM_AUTH", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                   "holds a GitHub token"),
    "slack": ("ALERTS_HOOK", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "holds a Slack token"),
    "stripe": ("PAYMENTS", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "holds a Stripe live key"),
    "jwt": ("SERVICE_ASSERTION", JWT, "holds a JSON Web Token"),
    "random-key": ("ENCRYPTION_KEY", "q8Zf3kLm9XpT2vB7nC4wR6yH1sD5gJ0a", "holds a random-looking key"),
    "hex-salt": ("HMAC_SALT", "8f3a9c0b1d2e4f5a6b7c8d9e0f1a2b3c", "holds a random-looking key"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(SHAPES))
def test_credential_shaped_values_are_violations(case: str, preview: bool) -> None:
    name, value, phrase = SHAPES[case]
    changes = {"environment": [{"name": "LOG_LEVEL", "value": "info"}, {"name": name, "value": value}]}
    found = findings(evaluate(program_of(lambda p: task_definition(p, container(**changes))), preview=preview),
                     POLICY)
    assert_one_mandatory(found, URN, phrase)


PLAIN_SETTINGS = [
    {"name": "LOG_LEVEL", "value": "info"},
    {"name": "API_BASE_URL", "value": "https://api.example.com/v1/payments"},
    {"name": "LEDGER_URL", "value": "postgres://ledger.cluster.internal:5432/ledger"},  # no user-info
    {"name": "USER_URL", "value": "https://reader@git.example.com/repo"},  # a user, no password
    {"name": "DATABASE_URL", "value": "postgres://ledger:${LEDGER_PASSWORD}@ledger.internal/ledger"},  # placeholder
    {"name": "DOCUMENTS_BUCKET", "value": "acme-prod-documents-111111111111"},
    {"name": "CACHE_KEY", "value": "users"},
    {"name": "FEATURE_KEY", "value": "checkout-v2-feature-flag"},
    {"name": "S3_KEY_PREFIX", "value": "uploads/2024/"},
    {"name": "BUILD_SHA", "value": "8f3a9c0b1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a"},  # random, but not under a key name
]


@pytest.mark.parametrize("preview", [True, False])
def test_plain_urls_and_settings_pass(preview: bool) -> None:
    """False positives stay low: URLs without a password, placeholders, names, prefixes, ids under other names."""
    program = program_of(lambda p: task_definition(p, container(environment=PLAIN_SETTINGS)))
    found = evaluate(program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _parameters(p: Any) -> None:
    aws.ssm.Parameter("endpoint", name="/connect/acme-prod/data/ledger/endpoint", type="String",
                      value="ledger.cluster-abc.us-east-1.rds.amazonaws.com", opts=pinned(p))
    aws.ssm.Parameter("secure", name="/connect/acme-prod/data/ledger/password", type="SecureString",
                      value="Sup3r-Secret-Ledger-Pw!", opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_plain_settings_and_secure_parameters_pass(preview: bool) -> None:
    found = evaluate(program_of(_parameters), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


PARAMETER_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "secret-name": ({"name": "/connect/acme-prod/data/ledger/password", "value": "Sup3r-Secret-Ledger-Pw!"},
                    "SSM parameter 'plain' is a plain String and its name /connect/acme-prod/data/ledger/password "
                    "looks secret"),
    "credential-value": ({"name": "/connect/acme-prod/payments/ledger-url",
                          "value": "postgres://payments:pa55w0rd@ledger.internal:5432/ledger"},
                         "its value holds a URL with a password in its user-info"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(PARAMETER_CASES))
def test_secret_in_plain_parameter_is_violation(case: str, preview: bool) -> None:
    args, phrase = PARAMETER_CASES[case]
    found = findings(evaluate(program_of(lambda p: aws.ssm.Parameter("plain", type="String", opts=pinned(p), **args)),
                              preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ssm/parameter:Parameter::plain", phrase)
