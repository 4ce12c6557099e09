"""iam-workload-least-privilege: a workload role gets the resources its workload uses, not a whole service.

Which roles are workload roles is decided by what they are: a role whose trust policy lets an AWS service assume
it (an Allow statement with a `Service` principal: ECS tasks, AWS Backup, S3 replication, RDS monitoring, flow
logs, CloudTrail, EventBridge...) runs a workload; the access roles people and CI assume (AWS principals only:
readonly, operator, break-glass, deployer) are reviewed designs, judged by `iam-no-privilege-escalation` and
`iam-no-wildcard-admin`. A role outside the stack (a policy names it by a literal) shows no trust policy: judged
as a workload role.

Every policy a workload role holds is judged, statement by statement (Allow only): its `aws:iam/rolePolicy`
documents, its `inlinePolicies`, the customer managed `aws:iam/policy` documents attached to it
(`RolePolicyAttachment`, `RolePolicyAttachmentsExclusive`, the role's `managedPolicyArns`; fed by the policy or
naming its known ARN), and the AWS managed policies attached to it by name. Refused:
- a service-wide wildcard (`s3:*`, `secretsmanager:*`, `kms:*`, `iam:*`, `*`...) on every resource, whatever
  its condition: every action of the service, deletions and policy changes included;
- a data read (`DATA_READS`: objects, secrets, parameters, decryption, table items, database connections, file
  system mounts, queue and stream records; by action or by a pattern such as `s3:Get*`) on every resource
  without a condition that narrows the resources: every bucket's objects, every secret of the account
  (cloudsplaining's "data exfiltration" risk, https://github.com/salesforce/cloudsplaining). A condition
  narrows the resources when one of its keys is a service's own key (`kms:ResourceAliases`, `kms:ViaService`,
  `kms:EncryptionContext:...`, `s3:prefix`, `secretsmanager:ResourceTag/...`) or `aws:ResourceTag/...`; the
  global keys about the account, the caller, the network or the time (`aws:ResourceAccount`,
  `aws:SourceIp`...) leave every resource of the account in reach
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
- the AWS managed policies that grant a whole service or read everything (`*FullAccess`, `PowerUserAccess`,
  `ReadOnlyAccess`, `AmazonS3ReadOnlyAccess`, `SecretsManagerReadWrite`).
"Every resource" is `Resource: "*"`, a `NotResource`, or an ARN whose resource part is only wildcards
(`arn:aws:s3:::*/*`, `arn:aws:secretsmanager:*:*:secret:*`, `arn:aws:kms:*:<account>:key/*`). Actions not needed
to name a resource (`ecr:GetAuthorizationToken`) and scoped statements pass.
The documents of managed policies outside the stack (an ARN from another stack, AWS managed policies but the names
above) are not in the plan: not judged here. Unknown documents, statements, trust policies or role references that
decide are left to the engine's preview note.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.iam import (
    document_statements,
    inline_document_findings,
    principal_values,
    read_document,
    statement_entries,
    unknown_key_paths,
)
from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_unknown, known_str, plain, unknown_path
from connect_guardrails.util import Index, as_list, deps_of_type

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
EXCLUSIVE = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
# Actions that read a workload's data (cloudsplaining's READ_ONLY_DATA_EXFILTRATION_ACTIONS, plus the other
# stores' reads and kms:Decrypt, which opens every object, secret and parameter encrypted with a key).
DATA_READS = (
    "s3:GetObject", "s3:GetObjectVersion", "secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters",
    "ssm:GetParametersByPath", "kms:Decrypt", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
    "dynamodb:Scan", "rds-db:connect", "elasticfilesystem:ClientMount", "sqs:ReceiveMessage", "kinesis:GetRecords",
)
SERVICE_WIDE = re.compile(r"^(?:[a-z0-9-]+:)?\*$", re.IGNORECASE)  # `s3:*`, `*`
# AWS managed policies that grant a whole service (`*FullAccess`) or read every resource's data.
BROAD_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?(?P<name>[A-Za-z0-9]*FullAccess(?:V\d+)?|"
                           r"PowerUserAccess|ReadOnlyAccess|AmazonS3ReadOnlyAccess|SecretsManagerReadWrite)$")
ARN_RESOURCE_TYPE = re.compile(r"^[A-Za-z-]+[:/]")
WILDCARD_ONLY = re.compile(r"^[*?/:]*$")
GLOBAL_PREFIX = "aws:"
RESOURCE_TAG = "aws:resourcetag/"
DECIDING = ("Effect", "Action", "Resource", "NotResource", "Condition")
WORST = {"Effect": "Allow", "Action": "*", "Resource": "*"}  # an unknown part, judged at its worst


@lru_cache(maxsize=4096)
def _pattern(value: str) -> re.Pattern[str]:
    """An IAM action pattern as a case-insensitive regex (`*` any run, `?` one character)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value), re.IGNORECASE)


def _everything(resource: Any) -> bool:
    """`*`, or an ARN whose resource part is only wildcards (every bucket's objects, every secret, every key)."""
    if not isinstance(resource, str):
        return False
    if resource == "*":
        return True
    fields = resource.split(":", 5)
    if len(fields) != 6 or fields[0] != "arn":
        return False
    return WILDCARD_ONLY.match(ARN_RESOURCE_TYPE.sub("", fields[5], count=1)) is not None


def _narrows(condition: Any) -> bool:
    """A condition names the resources: a service's own key, or aws:ResourceTag/... (module docstring)."""
    if not isinstance(condition, Mapping):
        return False
    for block in condition.values():
        if isinstance(block, Mapping) and any(
                not str(key).lower().startswith(GLOBAL_PREFIX) or str(key).lower().startswith(RESOURCE_TAG)
                for key in block):
            return True
    return False


def _statement_findings(statement: Mapping[str, Any], label: str) -> list[str]:
    """What one Allow statement grants too widely."""
    if "NotResource" in statement:
        scope = "every resource but the ones NotResource lists"
    elif any(_everything(r) for r in as_list(statement.get("Resource"), json_text=False)):
        scope = "every resource"
    else:
        return []
    actions = [a for a in as_list(statement.get("Action"), json_text=False) if isinstance(a, str)]
    findings: list[str] = []
    wide = [a for a in actions if SERVICE_WIDE.match(a)]
    if wide:
        findings.append(f"statement {label} allows {', '.join(wide)} on {scope}: every action of the service")
    if not _narrows(statement.get("Condition")):
        reads = [r for r in DATA_READS if any(_pattern(a).fullmatch(r) for a in actions if a not in wide)]
        if reads:
            findings.append(f"statement {label} allows {', '.join(reads)} on {scope} and no condition narrows the "
                            f"resources: it reads every one of them in the account")
    return findings


def document_findings(props: Any, path: tuple[Any, ...], value: Any, pending: Pending) -> list[str]:
    """The findings of one policy document. A statement with unknown parts is judged at its worst (an unknown
    Effect allows, an unknown Resource is `*`, an unknown Action is `*`, an unknown Condition narrows nothing):
    when that would be a finding, the unknowns go to `pending`."""
    findings: list[str] = []
    for where, statement in document_statements(value, pending, props, path):
        if statement.get("Effect") == "Deny":
            continue
        label = str(statement.get("Sid") or where[-1])
        unknown = unknown_key_paths(statement, DECIDING)
        if not unknown:
            findings += _statement_findings(statement, label) if statement.get("Effect") == "Allow" else []
            continue
        worst = {key: item for key, item in statement.items() if key != "Condition" or key not in unknown}
        worst.update({key: WORST[key] for key in unknown if key in WORST})
        if _statement_findings(worst, label):
            for key_path in unknown.values():
                pending.add(props, *path, *where, *key_path)
    return findings


@dataclass
class Holder:
    """The roles a policy is attached to: known roles of the stack, roles outside it, undecided references."""

    roles: list[PolicyResource] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # role names (or ARNs) not in the stack
    undecided: list[tuple[Any, tuple[Any, ...]]] = field(default_factory=list)  # unknown references


class Roles:
    """The stack's roles, by URN, name and ARN, and whether each is a workload role (read once per check)."""

    def __init__(self, index: Index) -> None:
        self.roles = index.of_type(ROLE)
        self._by_name: dict[str, PolicyResource] = {}
        for role in self.roles:
            for key in ("name", "id", "arn"):
                value = known_str(role.props, key)
                if value:
                    self._by_name.setdefault(value, role)
        self._workload: dict[str, bool | None] = {}

    def holder(self, resource: PolicyResource, prop: str) -> Holder:
        """The roles `resource`'s `prop` names: fed by a role of the stack, or its known name or ARN."""
        found = Holder(roles=deps_of_type(resource, prop, ROLE))
        if found.roles:
            return found
        value = get_raw(resource.props, prop)
        if is_unknown(value):
            found.undecided.append((resource.props, (prop,)))
        elif isinstance(value, str) and value:
            role = self._by_name.get(value) or self._by_name.get(value.rsplit("/", 1)[-1])
            if role is not None:
                found.roles.append(role)
            else:
                found.outside.append(value)
        return found

    def workload(self, role: PolicyResource) -> bool | None:
        """A service may assume the role; None when its unknown trust policy decides."""
        if role.urn not in self._workload:
            self._workload[role.urn] = self._trusts_a_service(role)
        return self._workload[role.urn]

    @staticmethod
    def _trusts_a_service(role: PolicyResource) -> bool | None:
        trust = plain(get_raw(role.props, "assumeRolePolicy"))
        local = Pending()
        doc = read_document(trust, local, role.props, ("assumeRolePolicy",))
        if local:
            return None
        undecided = False
        for _, statement in statement_entries(doc or {}):
            if not isinstance(statement, Mapping) or statement.get("Effect") == "Deny":
                continue
            if unknown_path(statement.get("Principal")) is not None or is_unknown(statement.get("Effect")):
                undecided = True
                continue
            if principal_values(statement.get("Principal"), "Service"):
                return True
        return None if undecided else False


def _judged(holder: Holder, roles: Roles) -> tuple[str | None, list[tuple[Any, tuple[Any, ...]]]]:
    """The workload role a policy's findings are reported for (None: none), and what would decide otherwise."""
    undecided = list(holder.undecided)
    for role in holder.roles:
        workload = roles.workload(role)
        if workload:
            return f"workload role '{role.name}'", []
        if workload is None:
            undecided.append((role.props, ("assumeRolePolicy",)))
    if holder.outside:
        return f"role {holder.outside[0]!r} (outside this stack: judged as a workload role)", []
    return None, undecided


Findings = Callable[[Pending], list[str]]


def _report(findings_of: Findings, holder: Holder, roles: Roles, pending: Pending, what: str, urn: str,
            report_violation: ReportViolation) -> None:
    """Judge a policy of `holder`'s roles: only when one of them is (or may be) a workload role."""
    judged, undecided = _judged(holder, roles)
    if judged is None and not undecided:
        return  # the access roles' designs are judged elsewhere
    if judged is None:  # whether the holder is a workload role is unknown: it decides, if the policy is wide
        local = Pending()
        if findings_of(local) or local:
            pending.add_all(undecided)
        return
    for finding in findings_of(pending):
        report_violation(
            f"{what} of {judged}: {finding}; a workload role gets the actions and the resources its workload uses "
            f"(name the buckets, secrets and keys, or narrow them with a resource condition such as "
            f"kms:ResourceAliases)",
            urn,
        )


def _document(props: Any, path: tuple[Any, ...], value: Any) -> Findings:
    return lambda pending: document_findings(props, path, value, pending)


def _fixed(found: list[str]) -> Findings:
    return lambda _: found


def _inline(role: PolicyResource) -> Findings:
    return lambda pending: inline_document_findings(role.props, pending, document_findings)


def _managed_arns(resource: PolicyResource, prop: str) -> tuple[list[PolicyResource], list[str]]:
    """The customer managed policies of the stack that fed a property, and the known ARNs it names."""
    fed = deps_of_type(resource, prop, MANAGED)
    value = plain(get_raw(resource.props, prop))
    known = [v for v in (as_list(value) if not is_unknown(value) else []) if isinstance(v, str) and v
             and not is_unknown(v)]
    return fed, known


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per workload role (a service may assume it): no service-wide wildcard on every resource, no unscoped data read
    on every resource, no whole-service AWS managed policy."""
    pending = Pending()
    index = Index.of(args.resources)
    roles = Roles(index)
    for policy in index.of_type(ROLE_POLICY):
        _report(_document(policy.props, ("policy",), get_raw(policy.props, "policy")), roles.holder(policy, "role"),
                roles, pending, f"role policy '{policy.name}'", policy.urn, report_violation)
    for role in roles.roles:
        _report(_inline(role), Holder(roles=[role]), roles, pending, f"role '{role.name}'", role.urn,
                report_violation)
    managed = {p.urn: p for p in index.of_type(MANAGED)}
    by_arn = {arn: p for p in managed.values() if (arn := known_str(p.props, "arn"))}
    attached: dict[str, tuple[PolicyResource, Holder]] = {}  # managed policy URN -> (policy, its holders)
    links = [(a, "policyArn", roles.holder(a, "role")) for a in index.of_type(ATTACHMENT)]
    links += [(a, "policyArns", roles.holder(a, "roleName")) for a in index.of_type(EXCLUSIVE)]
    links += [(r, "managedPolicyArns", Holder(roles=[r])) for r in roles.roles]
    for resource, prop, holder in links:
        fed, known = _managed_arns(resource, prop)
        for policy in [*fed, *(by_arn[a] for a in known if a in by_arn)]:
            entry = attached.setdefault(policy.urn, (policy, Holder()))[1]
            entry.roles += holder.roles
            entry.outside += holder.outside
            entry.undecided += holder.undecided
        broad = [f"attaches the AWS managed policy {m.group('name')}, which grants a whole service or reads every "
                 f"resource" for a in known if (m := BROAD_MANAGED.match(a))]
        if broad:
            _report(_fixed(broad), holder, roles, pending,
                    f"{resource.resource_type.rsplit(':', 1)[-1]} '{resource.name}'", resource.urn, report_violation)
    for policy, holder in attached.values():
        _report(_document(policy.props, ("policy",), get_raw(policy.props, "policy")), holder, roles, pending,
                f"managed policy '{policy.name}'", policy.urn, report_violation)
    pending.settle()


RULE = Rule(
    id="iam-workload-least-privilege", severity="high", check=check,
    description="Workload roles (those a service assumes) get no service-wide wildcard, no unscoped data read on "
                "every resource and no whole-service AWS managed policy.",
    anchors=("CKV_AWS_288", "CKV_AWS_355", "NAG IAM5"),
    iso27001=("A.5.15", "A.5.18", "A.8.3"), ccm=("IAM-05", "IAM-16"),
    remediation=(
        "In the policies of task, execution, backup, replication, monitoring and delivery roles, name the actions "
        "and the resource ARNs the workload uses (the service's buckets, secrets, parameters, log group, key); "
        "kms:Decrypt on '*' only with a kms:ResourceAliases (or kms:ViaService) condition; never '<service>:*' on "
        "'*', never *FullAccess, PowerUserAccess or ReadOnlyAccess."
    ),
)
