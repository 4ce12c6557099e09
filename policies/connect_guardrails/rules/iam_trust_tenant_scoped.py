"""iam-trust-tenant-scoped: roles trust only AWS services and principals of the tenant account.

Every Allow statement of an `aws:iam/role:Role`'s `assumeRolePolicy` may name only:
- AWS service principals (`Service`: `<name>.amazonaws.com` or `.amazonaws.com.cn`);
- AWS principals of the tenant account: its root, roles, users (ARNs or the bare account id);
- federated principals that are ARNs (SAML/OIDC providers) in the tenant account.
A wildcard principal (`"*"`, `{"AWS": "*"}`), `NotPrincipal`, a `CanonicalUser`, a non-ARN federated
principal (e.g. a public identity provider) or a principal of any other account is a violation.
Deny statements grant nothing and are skipped; conditions do not make a statement acceptable.

The tenant account is the pack config's `accountId`, else the single account the role's provider is
pinned to; when neither is known, AWS and federated principals cannot be verified and are reported.
`trustedAccountIds` (pack config, default none) lists further accounts whose principals are
accepted, reserved for the operator's identity account.
An unknown document, Effect, Principal or NotPrincipal decides the outcome and is left to the
engine's preview note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.ecs_util import read_document, statement_entries, unknown_key_paths, values_of
from connect_guardrails.rule import Rule
from connect_guardrails.util import (
    ACCOUNT_ARN,
    Pending,
    config_of,
    get_raw,
    is_unknown,
    principal_account,
    tenant_account,
)

ROLE = "aws:iam/role:Role"
SERVICE_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn")
UNKNOWN_TENANT = "the tenant account is unknown (set the policy config accountId or pin the provider)"
DECIDING = ("Effect", "Principal", "NotPrincipal")


def _principal_findings(principal: Any, label: str, accepted: set[str], tenant: str | None) -> list[str]:
    if principal == "*":
        return [f"{label} trusts any principal ('*')"]
    if not isinstance(principal, Mapping):
        return [f"{label} has no principal this rule can verify"]
    findings: list[str] = []
    for kind, found in principal.items():
        for value in values_of(found):
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
            if account is not None and account in accepted:
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


def _federated_account(value: Any) -> str | None:
    match = ACCOUNT_ARN.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Allow statements trust only service principals and the tenant account's principals."""
    if args.resource_type != ROLE:
        return
    config = config_of(args)
    tenant = tenant_account(config, args.provider.props if args.provider is not None else None)
    accepted = {str(a) for a in config.get("trustedAccountIds") or []} | ({tenant} if tenant else set())
    pending = Pending()
    doc = read_document(args.props, ("assumeRolePolicy",), get_raw(args.props, "assumeRolePolicy"), pending)
    findings: list[str] = []
    for where, statement in statement_entries(doc or {}):
        if is_unknown(statement):
            pending.add(args.props, "assumeRolePolicy", *where)
        if not isinstance(statement, Mapping) or statement.get("Effect") == "Deny":
            continue
        unknown = unknown_key_paths(statement, DECIDING)
        for key_path in unknown.values():
            pending.add(args.props, "assumeRolePolicy", *where, *key_path)
        label = f"statement {statement.get('Sid') or where[-1]}"
        if "NotPrincipal" in statement:
            findings.append(f"{label} uses NotPrincipal, which trusts everyone not listed")
        elif not is_unknown(statement.get("Principal")):  # unknown parts inside it are skipped, recorded above
            findings += _principal_findings(statement.get("Principal"), label, accepted, tenant)
    for finding in findings:
        report_violation(
            f"role '{args.name}' trust policy: {finding}; a role trusts only AWS service principals and "
            f"principals of the tenant account",
            None,
        )
    pending.settle()


RULE = Rule(
    id="iam-trust-tenant-scoped",
    description="Role trust policies name only AWS service principals or principals of the tenant account.",
    kind="resource",
    level="mandatory",
    severity="high",
    owner="operator",
    anchors=("CKV_AWS_60", "CKV_AWS_61"),
    iso27001=("A.5.15", "A.5.18"),
    ccm=("IAM-16", "IVS-06"),
    remediation=(
        "In assume_role_policy allow only Service principals such as ecs-tasks.amazonaws.com (with an "
        "aws:SourceAccount condition) or AWS/Federated principal ARNs of the tenant account; never '*'."
    ),
    unwaivable=False,
    check=check,
    config={
        "accountId": {
            "type": "string",
            "pattern": "^[0-9]{12}$",
            "description": "The tenant account; defaults to the account the role's provider is pinned to.",
        },
        "trustedAccountIds": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[0-9]{12}$"},
            "default": [],
            "description": "Further accounts whose principals a role may trust (reserved for the operator's "
                           "identity account); none by default.",
        },
    },
)
