"""iam-no-privilege-escalation: no IAM policy of a stack lets its holder give itself (or anyone) more rights.

Judged by what the documents say, statement by statement, on `aws:iam/policy:Policy`,
`aws:iam/rolePolicy:RolePolicy`, `aws:iam/userPolicy:UserPolicy`, `aws:iam/groupPolicy:GroupPolicy` and the
`inlinePolicies` of `aws:iam/role:Role`. An Allow (by `Action`, or by a `NotAction` that leaves them in) of
one of the escalation actions (`ESCALATION`, the paths Rhino Security Labs published and cloudsplaining checks:
https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/) is a violation when:
- the action is `iam:*` or `*` (every IAM change at once);
- it changes users, groups or policy versions, or removes a role's permissions boundary (`ALWAYS`): no
  condition makes these safe for a deploying principal;
- it creates or changes a role (`BOUNDED`) without a permissions-boundary condition: an `iam:PermissionsBoundary`
  condition (StringEquals/ArnEquals) naming exact policy ARNs, AWS's pattern for delegating role creation
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-delegate);
- its resources reach the deployer or the break-glass role (`PROTECTED_ROLES`), for any action of `ESCALATION`
  (`iam:PassRole` included: passing a stronger role runs code with it), unless a Deny of the same document,
  without a condition, refuses that action on that role (an explicit Deny wins wherever it is; the rule reads
  one document at a time, so the Deny must be in the same one).
Also AWS managed policies that grant every IAM action (`ESCALATING_MANAGED`: AdministratorAccess,
IAMFullAccess) attached to a role, user or group, with one documented exception: AdministratorAccess on
the break-glass role `connect-breakglass`, as `iam-no-wildcard-admin` admits it (people only, MFA, every use
alarmed). The names are fixed here, not pack config: the rule is unwaivable, and a config that named another
role would be a waiver by another name. The contents of other AWS managed policies are not in the plan: not
judged here.

Every workload role (any `aws:iam/role:Role` but the four access roles `ACCESS_ROLES`, whose designs the
account stack reviews: readonly, operator, break-glass, deployer) carries the permissions boundary the deployer
may only create roles under, `arn:aws:iam::<tenant account>:policy/connect-workload-boundary`: its effective
rights are then the intersection of its own policies and the boundary (no IAM at all, the tenant account only),
whatever a later change writes into them
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). A role without it, or with
another policy as its boundary (`AdministratorAccess` as a boundary bounds nothing), is a violation; the tenant
account is the one the role's provider is pinned to (any account when it pins none). Judged by what the role
is, not by a tag: the access roles are known by their fixed names, like the break-glass exception above.

Unknown documents, statements or deciding values (Effect, Action, NotAction, Resource, NotResource, the
boundary condition, a role name that decides the exception, a role's boundary) are left to the engine's preview
note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.iam import (
    IAM_ROLE,
    POLICY_DOCUMENTS,
    held_document_findings,
    read_document,
    statement_entries,
    unknown_key_paths,
)
from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, get_raw, is_unknown
from connect_guardrails.util import as_list, tenant_account

DOCUMENTS, ROLE = POLICY_DOCUMENTS, IAM_ROLE
ATTACHMENTS = {  # type -> (property with the policy ARN(s), property with the role name or None)
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn", "role"),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("policyArns", "roleName"),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("policyArn", None),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": ("policyArns", None),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("policyArn", None),
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": ("policyArns", None),
    "aws:iam/policyAttachment:PolicyAttachment": ("policyArn", None),
    ROLE: ("managedPolicyArns", "name"),
}
BREAKGLASS_ROLE = "connect-breakglass"
PROTECTED_ROLES = ("connect-deployer", BREAKGLASS_ROLE)
ACCESS_ROLES = frozenset({"connect-sre-readonly", "connect-sre-operator", BREAKGLASS_ROLE, "connect-deployer"})
WORKLOAD_BOUNDARY = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):policy/connect-workload-boundary$")
ESCALATING_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(AdministratorAccess|IAMFullAccess)$")
BREAKGLASS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$")
BOUNDED = ("iam:AttachRolePolicy", "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
           "iam:UpdateAssumeRolePolicy")
ALWAYS = ("iam:AddUserToGroup", "iam:AttachGroupPolicy", "iam:AttachUserPolicy", "iam:CreateAccessKey",
          "iam:CreateLoginProfile", "iam:CreatePolicyVersion", "iam:DeleteRolePermissionsBoundary",
          "iam:PutGroupPolicy", "iam:PutUserPolicy", "iam:SetDefaultPolicyVersion", "iam:UpdateLoginProfile")
ESCALATION = (*BOUNDED, *ALWAYS, "iam:PassRole")
EVERYTHING = ("*", "iam:*")
BOUNDARY_OPERATORS = ("StringEquals", "ArnEquals")
DECIDING = ("Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")


@lru_cache(maxsize=4096)
def _compiled(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """An IAM pattern as a regex, compiled once per process (the same few patterns are asked about every
    escalation action of every statement)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, flags=re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def _glob(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM wildcards: `*` any run of characters, `?` one; nothing else is special."""
    return _compiled(pattern, case_sensitive).fullmatch(value) is not None


def _action_in(statement: Mapping[str, Any], action: str) -> bool:
    """The statement's Action names the action, or its NotAction leaves it in."""
    if "NotAction" in statement:
        return not any(isinstance(p, str) and _glob(p, action, case_sensitive=False)
                       for p in as_list(statement.get("NotAction"), json_text=False))
    return any(isinstance(p, str) and _glob(p, action, case_sensitive=False)
               for p in as_list(statement.get("Action"), json_text=False))


def _reaches_role(pattern: str, role: str) -> bool:
    """A Resource pattern covers the role `role` (path `/`) of any account."""
    if pattern == "*":
        return True
    fields = pattern.split(":", 5)
    if len(fields) != 6:
        return False
    return (_glob(fields[0], "arn") and _glob(fields[2], "iam") and _glob(fields[1], "aws")
            and _glob(fields[5], f"role/{role}"))


def _resource_in(statement: Mapping[str, Any], role: str) -> bool:
    if "NotResource" in statement:
        excluded = as_list(statement.get("NotResource"), json_text=False)
        return not any(isinstance(p, str) and _reaches_role(p, role) for p in excluded)
    included = as_list(statement.get("Resource"), json_text=False)
    return any(isinstance(p, str) and _reaches_role(p, role) for p in included)


def _denied(statements: list[Mapping[str, Any]], action: str, role: str) -> bool:
    """A Deny of the document without a condition refuses `action` on the role."""
    return any(s.get("Effect") == "Deny" and not s.get("Condition") and _action_in(s, action) and _resource_in(s, role)
               for s in statements)


def _boundary_condition(statement: Mapping[str, Any]) -> bool:
    """`iam:PermissionsBoundary` pinned to exact policy ARNs (no wildcard) by StringEquals or ArnEquals."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator in BOUNDARY_OPERATORS:
        keys = condition.get(operator)
        if not isinstance(keys, Mapping):
            continue
        for key, value in keys.items():
            values = as_list(value, json_text=False)
            if key.lower() == "iam:permissionsboundary" and values and all(
                    isinstance(v, str) and ":policy/" in v and "*" not in v and "?" not in v for v in values):
                return True
    return False


def _statement_findings(statement: Mapping[str, Any], others: list[Mapping[str, Any]], label: str) -> list[str]:
    """What one Allow statement lets its holder escalate with."""
    if "NotAction" not in statement and not any(isinstance(a, str) and a[:1] in "iI*?"
                                                for a in as_list(statement.get("Action"), json_text=False)):
        return []  # every escalation action is `iam:...`: no pattern starting otherwise can name one
    findings: list[str] = []
    actions = as_list(statement.get("Action"), json_text=False)
    wildcard = [a for a in actions if isinstance(a, str) and a.lower() in EVERYTHING]
    if wildcard or ("NotAction" in statement and all(_action_in(statement, a) for a in ESCALATION)):
        what = wildcard[0] if wildcard else f"NotAction {as_list(statement.get('NotAction'), json_text=False)}"
        return [f"statement {label} allows {what}: every IAM change, privilege escalation included"]
    granted = [a for a in ESCALATION if _action_in(statement, a)]
    always = [a for a in granted if a in ALWAYS]
    if always:
        findings.append(f"statement {label} allows {', '.join(always)}: privilege escalation whatever the condition")
    unbounded = [a for a in granted if a in BOUNDED and not _boundary_condition(statement)]
    if unbounded:
        findings.append(f"statement {label} allows {', '.join(unbounded)} without a permissions-boundary condition "
                        f"(StringEquals iam:PermissionsBoundary = the boundary policy's ARN)")
    reaching = {role: [a for a in granted if _resource_in(statement, role) and not _denied(others, a, role)]
                for role in PROTECTED_ROLES}
    roles = [role for role, actions in reaching.items() if actions]
    if roles:
        actions = sorted({a for role in roles for a in reaching[role]})
        findings.append(f"statement {label} allows {', '.join(actions)} on {', '.join(roles)} and no Deny of this "
                        f"document refuses it")
    return findings


def _document_findings(props: Any, path: tuple[Any, ...], value: Any, pending: Pending) -> list[str]:
    doc = read_document(value, pending, props, path)
    if doc is None:
        return []
    entries = statement_entries(doc)
    unknown = False
    for where, statement in entries:
        if is_unknown(statement):
            pending.add(props, *path, *where)
            unknown = True
            continue
        for key_path in unknown_key_paths(statement, DECIDING).values():
            pending.add(props, *path, *where, *key_path)
            unknown = True
    if unknown:
        return []  # a Deny or a condition not yet known may decide: the engine's note
    statements = [s for _, s in entries if isinstance(s, Mapping)]
    findings: list[str] = []
    for where, statement in entries:
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow":
            findings += _statement_findings(statement, statements, str(statement.get("Sid") or where[-1]))
    return findings


def _managed_findings(args: ResourceValidationArgs, pending: Pending) -> list[str]:
    """AdministratorAccess/IAMFullAccess attached, less AdministratorAccess on the break-glass role."""
    arn_prop, role_prop = ATTACHMENTS[args.resource_type]
    value = get_raw(args.props, arn_prop)
    found = as_list(value) if arn_prop.endswith("s") else [value]
    escalating = [str(a) for a in found if isinstance(a, str) and ESCALATING_MANAGED.match(a)]
    if not escalating or role_prop is None or not any(BREAKGLASS_MANAGED.match(a) for a in escalating):
        return [f"attaches {arn}" for arn in escalating]
    role = pending.read(args.props, role_prop)  # unknown: which role gets AdministratorAccess decides
    if is_unknown(role) or role == BREAKGLASS_ROLE:
        escalating = [a for a in escalating if not BREAKGLASS_MANAGED.match(a)]
    return [f"attaches {arn}" for arn in escalating]


def _boundary_finding(args: ResourceValidationArgs, pending: Pending) -> str | None:
    """Why a role is a workload role without the workload boundary (None: it has it, or is an access role)."""
    boundary = pending.read(args.props, "permissionsBoundary")
    if is_unknown(boundary):
        return None
    tenant = tenant_account(None, args.provider.props if args.provider is not None else None)
    match = WORKLOAD_BOUNDARY.match(boundary) if isinstance(boundary, str) else None
    if match and (tenant is None or match.group(1) == tenant):
        return None
    name = pending.read(args.props, "name")
    if is_unknown(name):
        return None  # an access role (by its fixed name) decides
    if name in ACCESS_ROLES:
        return None
    expected = f"arn:aws:iam::{tenant or '<account>'}:policy/connect-workload-boundary"
    what = f"has permissions boundary {boundary}, not {expected}" if boundary else "has no permissions boundary"
    return (f"role '{args.name}' is a workload role (not one of the access roles {', '.join(sorted(ACCESS_ROLES))}) "
            f"and {what}; every workload role carries {expected}, which caps what its own policies grant "
            f"(no IAM, the tenant account only)")


@applies_to(*DOCUMENTS, *ATTACHMENTS)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No Allow of an escalation action unless bounded and away from the deployer and break-glass roles; no
    AdministratorAccess/IAMFullAccess attachment but AdministratorAccess on connect-breakglass; every workload role
    under connect-workload-boundary."""
    kind = args.resource_type
    pending = Pending()
    findings = held_document_findings(args, pending, _document_findings)
    if kind in ATTACHMENTS:
        findings += _managed_findings(args, pending)
    what = DOCUMENTS.get(kind) or ("role" if kind == ROLE else "policy attachment")
    for finding in findings:
        report_violation(f"{what} '{args.name}' {finding}; a principal holding it can give itself more rights", None)
    unbounded = _boundary_finding(args, pending) if kind == ROLE else None
    if unbounded:
        report_violation(unbounded, None)
    pending.settle()


RULE = Rule(
    id="iam-no-privilege-escalation", kind="resource", severity="critical", unwaivable=True, check=check,
    description="No IAM policy lets its holder escalate privileges: role changes only under a permissions "
                "boundary, never on the deployer or break-glass role, no user, group or policy-version changes; "
                "every workload role carries the workload boundary.",
    anchors=("CKV_AWS_286", "CKV_AWS_289"), iso27001=("A.5.15", "A.5.18", "A.8.2"), ccm=("IAM-05", "IAM-16"),
    remediation=(
        "Grant iam:CreateRole, PutRolePolicy, AttachRolePolicy, UpdateAssumeRolePolicy and "
        "PutRolePermissionsBoundary only with Condition StringEquals iam:PermissionsBoundary = the workload "
        "boundary's ARN; never grant iam:*, CreatePolicyVersion, SetDefaultPolicyVersion, "
        "DeleteRolePermissionsBoundary or any user/group change; deny every non-read action on connect-deployer "
        "and connect-breakglass in the same document (iam:PassRole included); attach AdministratorAccess to "
        "connect-breakglass only. Declare every workload role with "
        "permissions_boundary=arn:aws:iam::<account>:policy/connect-workload-boundary."
    ),
)
