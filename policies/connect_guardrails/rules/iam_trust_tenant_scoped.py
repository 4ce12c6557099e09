"""iam-trust-tenant-scoped: roles trust only AWS services and principals of the tenant account.

Every Allow statement of an `aws:iam/role:Role`'s `assumeRolePolicy` may name only:
- AWS service principals (`Service`: `<name>.amazonaws.com` or `.amazonaws.com.cn`);
- AWS principals of the tenant account: its root, roles, users (ARNs or the bare account id);
- federated principals that are ARNs (SAML/OIDC providers) in the tenant account.
A wildcard principal (`"*"`, `{"AWS": "*"}`), `NotPrincipal`, a `CanonicalUser`, a non-ARN federated
principal (e.g. a public identity provider) or a principal of any other account is a violation.
Deny statements grant nothing and are skipped; conditions do not make a statement acceptable.

A web-identity (OIDC) provider of the tenant account (`arn:aws:iam::<account>:oidc-provider/<host>`) vouches
for every identity it issues tokens to: GitHub's (`token.actions.githubusercontent.com`) for every workflow
of every repository on GitHub. So a statement trusting one must also name whose tokens it accepts, with a
`StringEquals` or `StringLike` condition on `<host>:sub` (the `...IfExists` forms admit tokens without the
claim), every value known and none a bare wildcard (nothing but `*`/`?`); for GitHub a `repo:` subject must
name its owner without a wildcard (`repo:<owner>/...`)
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub,
https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services).

The tenant account is the pack config's `accountId`, else the single account the role's provider is
pinned to; when neither is known, AWS and federated principals cannot be verified and are reported.

The operator's identity account (pack config `operatorAccountId`, set for account stacks) is the one
other account admitted, as AWS principals only: a named principal of it (the CI role the deployer
trusts) as it is; the account as a whole (its root or bare id: whoever the operator's own IAM lets
assume the role, that is people) only in a statement that requires MFA, `"Bool":
{"aws:MultiFactorAuthPresent": "true"}` (`BoolIfExists` would admit sessions without the key).
Without the config it is a foreign account like any other.
An unknown document, Effect, Principal or NotPrincipal decides the outcome and is left to the
engine's preview note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.iam import (
    ACCOUNT_ARN,
    ACCOUNT_ID,
    document_statements,
    principal_account,
    unknown_key_paths,
)
from connect_guardrails.rule import Rule, account_config, applies_to
from connect_guardrails.unknowns import Pending, get_raw, is_unknown, unknown_path
from connect_guardrails.util import as_list, config_of, tenant_account

ROLE = "aws:iam/role:Role"
OIDC_PROVIDER = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/(.+)$")
SUB_OPERATORS = ("StringEquals", "StringLike")
GITHUB = "token.actions.githubusercontent.com"
GITHUB_REPO = re.compile(r"^repo:[^/*?]+/")
SERVICE_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn")
UNKNOWN_TENANT = "the tenant account is unknown (set the policy config accountId or pin the provider)"
DECIDING = ("Effect", "Principal", "NotPrincipal")


def _whole_account(value: str) -> bool:
    """The principal is an account as a whole: its root ARN or its bare id."""
    return bool(ACCOUNT_ID.match(value)) or value.endswith(":root")


def _operator_as_a_whole(principal: Any, operator: str | None) -> bool:
    """The principal names the operator account as a whole (then its MFA condition decides)."""
    if operator is None or not isinstance(principal, Mapping):
        return False
    return any(isinstance(v, str) and principal_account(v) == operator and _whole_account(v)
               for v in as_list(principal.get("AWS"), json_text=False))


def requires_mfa(condition: Any) -> bool | None:
    """The condition requires MFA (`Bool` `aws:MultiFactorAuthPresent` true); None when it is unknown."""
    if is_unknown(condition) or unknown_path(condition) is not None:
        return None
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if str(operator).lower() != "bool" or not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            found = value if isinstance(value, list) else [value]
            if str(key).lower() == "aws:multifactorauthpresent" and found and all(
                    str(v).lower() == "true" for v in found):
                return True
    return False


def _principal_findings(principal: Any, label: str, tenant: str | None, operator: str | None,
                        mfa: bool | None) -> list[str]:
    if principal == "*":
        return [f"{label} trusts any principal ('*')"]
    if not isinstance(principal, Mapping):
        return [f"{label} has no principal this rule can verify"]
    findings: list[str] = []
    for kind, found in principal.items():
        for value in as_list(found, json_text=False):
            if is_unknown(value):
                continue
            if kind == "Service":
                ok = isinstance(value, str) and "*" not in value and value.endswith(SERVICE_SUFFIXES)
                if not ok:
                    findings.append(f"{label} trusts {value!r}, which is no AWS service principal")
                continue
            if kind not in ("AWS", "Federated"):
                findings.append(f"{label} trusts a {kind} principal {value!r}")
                continue
            if value == "*":
                findings.append(f"{label} trusts any {kind} principal ('*')")
                continue
            account = principal_account(value) if kind == "AWS" else _federated_account(value)
            if account is not None and account == tenant:
                continue
            if kind == "AWS" and account is not None and account == operator:
                if _whole_account(value) and mfa is False:
                    findings.append(f"{label} trusts the operator account {operator} as a whole ({value}) "
                                    "without requiring MFA; add the condition Bool aws:MultiFactorAuthPresent "
                                    "\"true\", or name the operator's role")
                continue
            if account is None:
                findings.append(f"{label} trusts {kind} principal {value!r}, which names no account"
                                + (" (federated principals must be identity provider ARNs)" if kind == "Federated"
                                   else ""))
            else:
                findings.append(
                    f"{label} trusts {kind} principal {value} of account {account}, "
                    + (f"not the tenant account {tenant}" if tenant else UNKNOWN_TENANT)
                )
    return findings


def _broad_subject(value: Any, host: str) -> bool:
    """A `sub` value that admits anyone: not a string, only wildcards, or a GitHub repo of any owner."""
    if not isinstance(value, str) or not value.strip("*?"):
        return True
    return host == GITHUB and value.startswith("repo:") and not GITHUB_REPO.match(value)


def _subjects(condition: Any, host: str) -> list[Any]:
    """The values a StringEquals/StringLike condition requires of `<host>:sub` (keys are case-insensitive)."""
    if not isinstance(condition, Mapping):
        return []
    key = f"{host}:sub".lower()
    found: list[Any] = []
    for operator in SUB_OPERATORS:
        block = condition.get(operator)
        if isinstance(block, Mapping):
            found += [v for name, value in block.items() if str(name).lower() == key
                      for v in as_list(value, json_text=False)]
    return found


def _subject_findings(statement: Mapping[str, Any], label: str, where: tuple[Any, ...], props: Any,
                      pending: Pending) -> list[str]:
    """An OIDC provider trusted without a `<host>:sub` condition that names whose tokens it accepts."""
    principal = statement.get("Principal")
    federated = as_list(principal.get("Federated"), json_text=False) if isinstance(principal, Mapping) else []
    hosts = [match.group(1) for value in federated if isinstance(value, str)
             and (match := OIDC_PROVIDER.match(value))]
    if not hosts:
        return []
    condition = statement.get("Condition")
    unknown = unknown_path(condition)
    if unknown is not None:
        pending.add(props, "assumeRolePolicy", *where, "Condition", *unknown)
        return []
    findings: list[str] = []
    for host in hosts:
        subjects = _subjects(condition, host)
        broad = [v for v in subjects if _broad_subject(v, host)]
        if not subjects:
            findings.append(f"{label} trusts the web-identity provider {host} without a StringEquals/StringLike "
                            f"condition on {host}:sub: every identity it issues tokens to may assume the role")
        elif broad:
            findings.append(f"{label} trusts the web-identity provider {host} for subject "
                            f"{', '.join(repr(v) for v in broad)}, which admits every identity it issues tokens to")
    return findings


def _federated_account(value: Any) -> str | None:
    match = ACCOUNT_ARN.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


@applies_to(ROLE)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Allow statements trust only service principals and the tenant account's principals."""
    config = config_of(args)
    tenant = tenant_account(config, args.provider.props if args.provider is not None else None)
    operator = str(config["operatorAccountId"]) if config.get("operatorAccountId") else None
    pending = Pending()
    findings: list[str] = []
    trust = get_raw(args.props, "assumeRolePolicy")
    for where, statement in document_statements(trust, pending, args.props, ("assumeRolePolicy",)):
        if statement.get("Effect") == "Deny":
            continue
        unknown = unknown_key_paths(statement, DECIDING)
        for key_path in unknown.values():
            pending.add(args.props, "assumeRolePolicy", *where, *key_path)
        label = f"statement {statement.get('Sid') or where[-1]}"
        if "NotPrincipal" in statement:
            findings.append(f"{label} uses NotPrincipal, which trusts everyone not listed")
        elif not is_unknown(statement.get("Principal")):  # unknown parts inside it are skipped, recorded above
            mfa = requires_mfa(statement.get("Condition"))
            if mfa is None and _operator_as_a_whole(statement.get("Principal"), operator):  # the MFA condition decides
                pending.add(args.props, "assumeRolePolicy", *where, "Condition",
                            *(unknown_path(statement.get("Condition")) or ()))
            findings += _principal_findings(statement.get("Principal"), label, tenant, operator, mfa)
            findings += _subject_findings(statement, label, where, args.props, pending)
    for finding in findings:
        report_violation(
            f"role '{args.name}' trust policy: {finding}; a role trusts only AWS service principals and "
            f"principals of the tenant account",
            None,
        )
    pending.settle()


RULE = Rule(
    id="iam-trust-tenant-scoped", kind="resource", severity="high", check=check,
    description="Role trust policies name only AWS service principals or principals of the tenant account; a "
                "web-identity provider only with a subject condition.",
    anchors=("CKV_AWS_60", "CKV_AWS_61"), iso27001=("A.5.15", "A.5.18"), ccm=("IAM-16", "IVS-06"),
    remediation=(
        "In assume_role_policy allow only Service principals such as ecs-tasks.amazonaws.com (with an "
        "aws:SourceAccount condition) or AWS/Federated principal ARNs of the tenant account; never '*'. The "
        "operator's identity account (operatorAccountId): its role ARNs, or its root with MFA required. An OIDC "
        "provider: with Condition StringEquals/StringLike '<host>:sub' naming the subjects, e.g. "
        "'repo:<owner>/<repo>:ref:refs/heads/main' for GitHub Actions."
    ),
    config={
        "accountId": account_config("The tenant account; defaults to the account the role's provider is pinned to."),
        "operatorAccountId": account_config(
            "The operator's identity account (account stacks): its named AWS principals may be "
            "trusted, the account as a whole only with MFA required; unset, it is a foreign "
            "account like any other."
        ),
    },
)
