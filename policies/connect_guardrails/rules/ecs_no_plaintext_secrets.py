"""ecs-no-plaintext-secrets: secrets reach containers through `secrets`, never through `environment`.

In an `aws:ecs/taskDefinition:TaskDefinition`'s `containerDefinitions` (JSON):
- no `environment` entry whose name looks secret (contains, in any case, PASSWORD, PASSWD, SECRET,
  TOKEN, API_KEY, APIKEY, PRIVATE_KEY, ACCESS_KEY or CREDENTIAL) unless its value is an ARN (a
  reference the application resolves, e.g. `DB_SECRET_ARN`);
- whatever its name, no value shaped like a credential (`CREDENTIAL_SHAPES`): a URL with user-info holding a
  password (`postgres://user:pass@host/db`; a placeholder such as `${DB_PASSWORD}` is not one), an AWS access
  key id (AKIA/ASIA and 16 upper-case letters or digits), a PEM private key, a GitHub token (`ghp_`, `gho_`,
  `ghu_`, `ghs_`, `ghr_`, `github_pat_`), a Slack token (`xoxa-`, `xoxb-`, `xoxp-`, `xoxr-`, `xoxs-`), a
  Stripe live key (`sk_live_`, `rk_live_`), a JSON Web Token (`eyJ...`.`eyJ...`.`...`) or a Google API key
  (`AIza`), formats their issuers document for secret scanning
  (https://docs.github.com/en/code-security/secret-scanning/introduction/supported-secret-scanning-patterns);
- under a name that ends in KEY, SALT or SIGNATURE (ENCRYPTION_KEY, HMAC_SALT...), no value that looks random: 16
  characters or more, no spaces, no URL or path, hexadecimal or mixing lower case, upper case and digits, and at
  least 3.5 bits of entropy per character (a key, not a setting: `CACHE_KEY=users`,
  `FEATURE_KEY=checkout-v2-feature-flag` pass). Plain URLs
  (`https://host/path`) and settings (`LOG_LEVEL=info`) pass;
- every `secrets[].valueFrom` is a Secrets Manager secret ARN, an SSM parameter ARN or an SSM
  parameter name, and an ARN names the tenant account (pack config `accountId`, else the account
  the provider is pinned to; when neither is known the account is not checked).

- an `aws:ssm/parameter:Parameter` of type `String` or `StringList` (stored in plain text, readable by anyone with
  ssm:GetParameter, shown in the console) may not hold a secret: a secret-looking name or a credential-shaped
  value makes it a violation; secrets are `SecureString`
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-securestring.html).

An unknown `containerDefinitions` (preview) decides the outcome and is left to the engine's note.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.ecs_util import TASK_DEFINITION, container_label, containers
from connect_guardrails.rule import Rule, account_config, applies_to
from connect_guardrails.unknowns import Pending, get_raw, is_unknown, known
from connect_guardrails.util import config_of, tenant_account

PARAMETER = "aws:ssm/parameter:Parameter"
PLAIN_PARAMETER_TYPES = ("String", "StringList")
SECRET_NAME_PARTS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY",
                     "CREDENTIAL")
ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
PEM_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@]*:(?P<password>[^\s/@]+)@", re.IGNORECASE)
PLACEHOLDER = re.compile(r"^(?:\$|\{\{|%[(s]|<)")  # ${VAR}, $VAR, {{var}}, %(var)s, %s, <password>
CREDENTIAL_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an AWS access key id", ACCESS_KEY_ID),
    ("a PEM private key", PEM_PRIVATE_KEY),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a Stripe live key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
)
KEY_NAME = re.compile(r"(?:KEY|SALT|SIGNATURE)$")
MIN_RANDOM_LENGTH = 16
HEX = re.compile(r"[0-9a-fA-F]+")
MIN_ENTROPY_BITS = 3.5
ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:")
SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:(?P<service>secretsmanager|ssm):[a-z0-9-]*:(?P<account>\d{12}):(?P<kind>secret:|parameter/)"
)


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _looks_random(value: str) -> bool:
    """A key-like value: long, no spaces, not a URL or path, hex or mixed-case base64-like, high entropy."""
    if len(value) < MIN_RANDOM_LENGTH or any(c.isspace() for c in value) or "://" in value or "/" in value[:1]:
        return False
    hexadecimal = HEX.fullmatch(value) is not None and any(c.isdigit() for c in value)
    classes = sum(any(test(c) for c in value) for test in (str.islower, str.isupper, str.isdigit))
    return (hexadecimal or classes == 3) and _entropy(value) >= MIN_ENTROPY_BITS


def _credential_shape(value: str) -> str | None:
    """What credential a value holds, by its shape (None: no known shape)."""
    for match in URL_CREDENTIALS.finditer(value):
        if not PLACEHOLDER.match(match.group("password")):
            return "a URL with a password in its user-info (user:password@host)"
    for what, pattern in CREDENTIAL_SHAPES:
        if pattern.search(value):
            return what
    return None


def _environment_problems(container: Mapping[str, Any], label: str) -> list[str]:
    problems: list[str] = []
    entries = container.get("environment")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        name, value = str(entry.get("name") or ""), entry.get("value")
        text = value if isinstance(value, str) else ""
        reference = ARN.match(text) is not None  # names a secret, is none
        shape = _credential_shape(text)
        if any(part in name.upper() for part in SECRET_NAME_PARTS) and not reference:
            problems.append(f"{label} sets the secret-looking variable {name} in plain text (environment)")
        elif shape is not None:
            problems.append(f"{label} variable {name} holds {shape} in plain text (environment)")
        elif KEY_NAME.search(name.upper()) and not reference and _looks_random(text):
            problems.append(f"{label} variable {name} holds a random-looking key in plain text (environment)")
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


def _parameter_problem(args: ResourceValidationArgs) -> str | None:
    """A plain (String/StringList) SSM parameter that holds a secret, by its name or its value's shape."""
    kind = known(args.props, "type")
    if kind not in PLAIN_PARAMETER_TYPES:
        return None
    name = get_raw(args.props, "name")
    name = name if isinstance(name, str) and not is_unknown(name) else args.name
    value = get_raw(args.props, "value")
    shape = _credential_shape(value) if isinstance(value, str) and not is_unknown(value) else None
    if any(part in name.upper().replace("-", "_") for part in SECRET_NAME_PARTS):
        return f"its name {name} looks secret"
    return f"its value holds {shape}" if shape else None


@applies_to(PARAMETER, TASK_DEFINITION)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No secret-looking plain environment or plain SSM parameter; secrets from Secrets Manager/SSM of the tenant
    account."""
    if args.resource_type == PARAMETER:
        problem = _parameter_problem(args)
        if problem:
            report_violation(
                f"SSM parameter '{args.name}' is a plain {get_raw(args.props, 'type')} and {problem}; store secrets as "
                f"SecureString parameters (or in Secrets Manager) encrypted with the tenant's key",
                None,
            )
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
    id="ecs-no-plaintext-secrets", kind="resource", severity="high", owner="client", check=check,
    description="No secret-looking plain environment variables (by name, by credential shape, by randomness) or "
                "plain SSM parameters; container secrets come from the tenant's Secrets Manager or SSM Parameter "
                "Store.",
    anchors=("FSBP ECS.8", "NAG ECS2"), iso27001=("A.5.17", "A.8.12"), ccm=("DSP-17", "IAM-15"),
    remediation=(
        "Move passwords, tokens and keys out of a container's environment into its secrets: "
        "{\"name\": \"DB_PASSWORD\", \"valueFrom\": <Secrets Manager secret ARN or SSM parameter ARN in the "
        "tenant account>}, and let the execution role read only those secrets."
    ),
    config={
        "accountId": account_config(
            "The tenant account; defaults to the account the resource's provider is pinned to."
        ),
    },
)
