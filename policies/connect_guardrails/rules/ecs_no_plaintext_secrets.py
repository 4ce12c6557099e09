"""ecs-no-plaintext-secrets: secrets reach containers through `secrets`, never through `environment`.

In an `aws:ecs/taskDefinition:TaskDefinition`'s `containerDefinitions` (JSON):
- no `environment` entry whose name looks secret (contains, in any case, PASSWORD, PASSWD, SECRET,
  TOKEN, API_KEY, APIKEY, PRIVATE_KEY, ACCESS_KEY or CREDENTIAL) unless its value is an ARN (a
  reference the application resolves, e.g. `DB_SECRET_ARN`), and none whose value looks like an AWS
  access key id (AKIA/ASIA and 16 upper-case letters or digits) or a PEM private key;
- every `secrets[].valueFrom` is a Secrets Manager secret ARN, an SSM parameter ARN or an SSM
  parameter name, and an ARN names the tenant account (pack config `accountId`, else the account
  the provider is pinned to; when neither is known the account is not checked).

An unknown `containerDefinitions` (preview) decides the outcome and is left to the engine's note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.ecs_util import TASK_DEFINITION, container_label, containers
from connect_guardrails.rule import Rule
from connect_guardrails.util import Pending, config_of, tenant_account

SECRET_NAME_PARTS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY",
                     "CREDENTIAL")
ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
PEM_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:")
SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:(?P<service>secretsmanager|ssm):[a-z0-9-]*:(?P<account>\d{12}):(?P<kind>secret:|parameter/)"
)


def _environment_problems(container: Mapping[str, Any], label: str) -> list[str]:
    problems: list[str] = []
    entries = container.get("environment")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        name, value = str(entry.get("name") or ""), entry.get("value")
        reference = isinstance(value, str) and ARN.match(value) is not None  # names a secret, is none
        if any(part in name.upper() for part in SECRET_NAME_PARTS) and not reference:
            problems.append(f"{label} sets the secret-looking variable {name} in plain text (environment)")
        elif isinstance(value, str) and ACCESS_KEY_ID.search(value):
            problems.append(f"{label} variable {name} holds an AWS access key id in plain text (environment)")
        elif isinstance(value, str) and PEM_PRIVATE_KEY.search(value):
            problems.append(f"{label} variable {name} holds a PEM private key in plain text (environment)")
    return problems


def _secret_problems(container: Mapping[str, Any], label: str, tenant: str | None) -> list[str]:
    problems: list[str] = []
    entries = container.get("secrets")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        name, source = entry.get("name"), entry.get("valueFrom")
        if not isinstance(source, str) or not source:
            problems.append(f"{label} secret {name} has no valueFrom")
            continue
        if not source.startswith("arn:"):
            continue  # an SSM parameter name in the task's own account and region
        match = SECRET_ARN.match(source)
        if match is None:
            problems.append(f"{label} secret {name} comes from {source}, not a Secrets Manager secret or SSM parameter")
        elif tenant is not None and match.group("account") != tenant:
            problems.append(
                f"{label} secret {name} comes from account {match.group('account')}, not the tenant account {tenant}"
            )
    return problems


def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No secret-looking plain environment; secrets from Secrets Manager/SSM of the tenant account."""
    if args.resource_type != TASK_DEFINITION:
        return
    pending = Pending()
    tenant = tenant_account(config_of(args), args.provider.props if args.provider is not None else None)
    problems: list[str] = []
    for index, container in enumerate(containers(args, pending) or []):
        label = container_label(container, index)
        problems += _environment_problems(container, label)
        problems += _secret_problems(container, label, tenant)
    if problems:
        report_violation(
            f"task definition '{args.name}': {'; '.join(problems)}; pass secrets as `secrets` entries whose "
            f"valueFrom is a Secrets Manager or SSM parameter ARN of the tenant account",
            None,
        )
    pending.settle()


RULE = Rule(
    id="ecs-no-plaintext-secrets",
    description="No secret-looking plain environment variables; container secrets come from the tenant's "
                "Secrets Manager or SSM Parameter Store.",
    kind="resource",
    level="mandatory",
    severity="high",
    owner="client",
    anchors=("FSBP ECS.8", "NAG ECS2"),
    iso27001=("A.5.17", "A.8.12"),
    ccm=("DSP-17", "IAM-15"),
    remediation=(
        "Move passwords, tokens and keys out of a container's environment into its secrets: "
        "{\"name\": \"DB_PASSWORD\", \"valueFrom\": <Secrets Manager secret ARN or SSM parameter ARN in the "
        "tenant account>}, and let the execution role read only those secrets."
    ),
    unwaivable=False,
    check=check,
    config={
        "accountId": {
            "type": "string",
            "pattern": "^[0-9]{12}$",
            "description": "The tenant account; defaults to the account the resource's provider is pinned to.",
        },
    },
)
