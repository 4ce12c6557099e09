"""iam-no-wildcard-admin: no IAM policy grants every action on every resource, no admin managed policy.

- Policy documents of `aws:iam/policy:Policy`, `aws:iam/rolePolicy:RolePolicy`,
  `aws:iam/userPolicy:UserPolicy`, `aws:iam/groupPolicy:GroupPolicy` and the `inlinePolicies` of
  `aws:iam/role:Role`: no Allow statement whose Action is `*` (or `*:*`) and whose Resource is `*`. Negations
  are wildcards in disguise: `NotAction` allows every action but the ones listed (AWS's PowerUserAccess is
  `NotAction: iam:*, organizations:*, account:*` on `*`), `NotResource` every resource but the ones listed
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html). So an Allow
  with `NotAction` (or Action `*`) on Resource `*` (or with `NotResource`) is a violation too; a `NotAction` or
  `NotResource` that lists `*` itself allows nothing.
- The AWS managed policies AdministratorAccess and IAMFullAccess attached through role/user/group/
  policy attachments (also the `*PolicyAttachmentsExclusive` resources) or a role's
  `managedPolicyArns`.

One exception, by pack config: `breakglassRoles` names roles (account stacks: `connect-breakglass`)
that may hold AdministratorAccess, and nothing else of the above, through a role policy attachment
(`role`), an exclusive attachment (`roleName`) or the role's own `managedPolicyArns` (`name`): an
emergency role needs full access, and what makes it acceptable is outside this rule (people only,
MFA: `iam-trust-tenant-scoped`; every use alarmed: the account stack's break-glass rules). The default
is none; an unknown role name with AdministratorAccess decides the outcome (preview note).

KMS key policies and other resource policies are not IAM identity policies: not checked here.
An unknown policy document, or an unknown Effect/Action/Resource that could complete a wildcard
grant, decides the outcome and is left to the engine's preview note (a document built with
`Output.json_dumps` from other resources' ARNs is unknown in preview; ARNs composed from known names
keep it known). An unknown managed policy ARN is a policy of this stack, checked on its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.iam import (
    IAM_ROLE,
    POLICY_DOCUMENTS,
    document_statements,
    held_document_findings,
    unknown_key_paths,
)
from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, get_raw, is_unknown
from connect_guardrails.util import as_list, config_of

DOCUMENTS, ROLE = POLICY_DOCUMENTS, IAM_ROLE
ATTACHMENTS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
}
ADMIN_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(AdministratorAccess|IAMFullAccess)$")
BREAKGLASS_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$")
ROLE_NAME_PROPS = {  # where an attachment (or the role itself) names the role that gets the policies
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "role",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "roleName",
    ROLE: "name",
}
WILD_ACTIONS = frozenset({"*", "*:*"})
DECIDING = ("Effect", "Action", "Resource", "NotAction", "NotResource")


def _state(values: list[Any], wild: frozenset[str]) -> str:
    """'yes' when a value is a wildcard, 'maybe' when one is unknown, else 'no'."""
    if any(isinstance(v, str) and v in wild for v in values):
        return "yes"
    return "maybe" if any(is_unknown(v) for v in values) else "no"


def _negated(statement: Mapping[str, Any], key: str, wild: frozenset[str]) -> tuple[str, list[Any]]:
    """Whether a statement's `key` (Action/Resource) covers everything: 'yes', 'maybe' or 'no'; with `Not<key>`,
    'yes' unless it lists a wildcard itself, and what it excepts."""
    excepted = statement.get(f"Not{key}")
    if excepted is None:
        return _state(as_list(statement.get(key), json_text=False), wild), []
    values = as_list(excepted, json_text=False)
    if any(isinstance(v, str) and v in wild | {"*"} for v in values):
        return "no", values
    return "yes", values


def _scope(statement: Mapping[str, Any]) -> str:
    excepted = statement.get("NotResource")
    if excepted is None:
        return "every resource"
    return f"every resource except {', '.join(map(str, as_list(excepted, json_text=False)))} (NotResource)"


def _document_findings(props: Any, path: tuple[Any, ...], value: Any, pending: Pending) -> list[str]:
    findings: list[str] = []
    for where, statement in document_statements(value, pending, props, path):
        effect = statement.get("Effect")
        if effect == "Deny":
            continue
        action, negated = _negated(statement, "Action", WILD_ACTIONS)
        resource, _ = _negated(statement, "Resource", frozenset({"*"}))
        if "no" in (action, resource):
            continue
        if action == resource == "yes" and effect == "Allow":
            label = statement.get("Sid") or where[-1]
            if negated:
                findings.append(f"statement {label} allows every action except {', '.join(map(str, negated))} on "
                                f"{_scope(statement)} (NotAction): administrator access in disguise")
            else:
                findings.append(f"statement {label} allows every action on {_scope(statement)}")
            continue
        for key_path in unknown_key_paths(statement, DECIDING).values():
            pending.add(props, *path, *where, *key_path)
    return findings


def _admin_arns(args: ResourceValidationArgs, breakglass: set[str], pending: Pending) -> list[str]:
    """Administrator policies attached, less AdministratorAccess on a configured break-glass role."""
    if args.resource_type in ATTACHMENTS:
        key = ATTACHMENTS[args.resource_type]
        found = as_list(get_raw(args.props, key)) if key.endswith("s") else [get_raw(args.props, key)]
    elif args.resource_type == ROLE:
        found = as_list(get_raw(args.props, "managedPolicyArns"))
    else:
        return []
    admin = [str(arn) for arn in found if isinstance(arn, str) and ADMIN_POLICY.match(arn)]
    name_prop = ROLE_NAME_PROPS.get(args.resource_type)
    if not breakglass or name_prop is None or not any(BREAKGLASS_POLICY.match(arn) for arn in admin):
        return admin
    role = pending.read(args.props, name_prop)
    if is_unknown(role):  # which role gets AdministratorAccess decides
        return [arn for arn in admin if not BREAKGLASS_POLICY.match(arn)]
    if isinstance(role, str) and role in breakglass:
        return [arn for arn in admin if not BREAKGLASS_POLICY.match(arn)]
    return admin


@applies_to(*DOCUMENTS, *ATTACHMENTS, ROLE)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """No Allow of `*`/`*:*` on `*`; no AdministratorAccess/IAMFullAccess attachment."""
    kind = args.resource_type
    pending = Pending()
    findings = held_document_findings(args, pending, _document_findings)
    breakglass = {str(name) for name in config_of(args).get("breakglassRoles") or []}
    findings += [f"attaches {arn}" for arn in _admin_arns(args, breakglass, pending)]
    what = DOCUMENTS.get(kind) or ("role" if kind == ROLE else "policy attachment")
    for finding in findings:
        report_violation(
            f"{what} '{args.name}' {finding}; grant the actions and resources the workload needs, never "
            f"administrator access",
            None,
        )
    pending.settle()


RULE = Rule(
    id="iam-no-wildcard-admin", kind="resource", severity="critical", check=check,
    description="No IAM policy allows every action on every resource, NotAction/NotResource included; no "
                "AdministratorAccess attachment.",
    anchors=("FSBP IAM.1", "FSBP IAM.21", "NAG IAM5"), iso27001=("A.5.15", "A.5.18", "A.8.2"), ccm=("IAM-05", "IAM-16"),
    remediation=(
        "Replace Action '*' (or NotAction) on Resource '*' (or NotResource) with the specific actions and resource "
        "ARNs the role needs, and "
        "remove attachments of arn:aws:iam::aws:policy/AdministratorAccess or IAMFullAccess. Only a break-glass "
        "role (people only, MFA, every use alarmed) may hold AdministratorAccess: name it in breakglassRoles."
    ),
    config={
        "breakglassRoles": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 64},
            "default": [],
            "description": "Names of break-glass roles that may hold AdministratorAccess (account stacks: "
                           "connect-breakglass, trusted by people with MFA, every use alarmed); none by default.",
        },
    },
)
