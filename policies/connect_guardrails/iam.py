"""IAM policy documents: reading them (JSON string or object form, maybe unknown), their statements, principals.

Every rule that reads a policy document reads it here, the same way: a road around one rule must not be a
document another rule parsed differently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from connect_guardrails.unknowns import Pending, get_raw, is_unknown, plain, raw, unknown_path
from connect_guardrails.util import as_list

ACCOUNT_ARN = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")
ACCOUNT_ID = re.compile(r"^\d{12}$")


def read_document(value: Any, pending: Pending | None = None, props: Any = None,
                  path: tuple[Any, ...] = ()) -> dict[str, Any] | None:
    """A policy document (JSON string or object form) as a dict; None when absent, unknown or not JSON (the
    provider rejects that).

    With `pending`, an unknown document at `props[path]` is recorded there, and so is an object-form document
    whose `Statement` itself is unknown; unknowns inside statements are left to the caller, which knows which
    keys decide. Without it (the data rules' bucket and key policies) an object-form document is only unwrapped
    at its top level, as those rules have always read it: its statements stay SDK wrappers, which `statements`
    does not count.
    """
    value = plain(value) if pending is not None else raw(value)
    if value in (None, ""):
        return None
    if is_unknown(value):
        if pending is not None:
            pending.add(props, *path)
        return None
    if isinstance(value, Mapping):
        if pending is not None and is_unknown(value.get("Statement")):
            pending.add(props, *path, "Statement")
            return None
        return dict(value)
    try:
        doc = json.loads(value)
    except (TypeError, json.JSONDecodeError):
        return None  # not a JSON policy: the provider rejects it
    return doc if isinstance(doc, dict) else None


def statement_entries(doc: Mapping[str, Any]) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, statement) for each statement of a document, paths relative to the document."""
    found = doc.get("Statement")
    if isinstance(found, Mapping):
        return [(("Statement",), found)]
    if isinstance(found, list):
        return [(("Statement", index), item) for index, item in enumerate(found)]
    return []


def document_statements(value: Any, pending: Pending, props: Any,
                        path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Mapping[str, Any]]]:
    """(path, statement) for each object statement of the policy document `value` found at `props[path]`, paths
    relative to the document. An unknown document (`read_document`) or statement is recorded in `pending` as the
    walk reaches it; unknowns inside a statement are left to the caller, which knows which keys decide."""
    doc = read_document(value, pending, props, path)
    for where, statement in statement_entries(doc or {}):
        if is_unknown(statement):
            pending.add(props, *path, *where)
        elif isinstance(statement, Mapping):
            yield where, statement


def statements(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A policy document's statements as a list, whatever shape the author used (the object ones only)."""
    found = doc.get("Statement", [])
    return [found] if isinstance(found, dict) else [s for s in found if isinstance(s, dict)]


def unknown_key_paths(statement: Any, keys: tuple[str, ...]) -> dict[str, tuple[Any, ...]]:
    """For each of `keys` whose value (or a part of it) is unknown: where, relative to the statement."""
    if not isinstance(statement, Mapping):
        return {}
    found: dict[str, tuple[Any, ...]] = {}
    for key in keys:
        where = unknown_path(statement.get(key))
        if where is not None:
            found[key] = (key, *where)
    return found


def principal_values(principal: Any, kind: str) -> list[Any]:
    """The values of one principal kind (`AWS`, `Service`, `Federated`...) of a statement's Principal."""
    if not isinstance(principal, Mapping):
        return []
    return as_list(principal.get(kind), json_text=False)


def principal_account(value: Any) -> str | None:
    """The account an AWS/Federated principal belongs to (ARN or bare account id), None if it names none."""
    if not isinstance(value, str):
        return None
    if ACCOUNT_ID.match(value):
        return value
    match = ACCOUNT_ARN.match(value)
    return match.group(1) if match else None


# Resources that hold an IAM policy document in `policy`, by type, with the name a finding gives them.
POLICY_DOCUMENTS = {
    "aws:iam/policy:Policy": "IAM policy",
    "aws:iam/rolePolicy:RolePolicy": "role policy",
    "aws:iam/userPolicy:UserPolicy": "user policy",
    "aws:iam/groupPolicy:GroupPolicy": "group policy",
}
IAM_ROLE = "aws:iam/role:Role"
DocumentJudge = Callable[[Any, tuple[Any, ...], Any, Pending], list[str]]


def held_document_findings(args: ResourceValidationArgs, pending: Pending, judge: DocumentJudge) -> list[str]:
    """`judge(props, path, value, pending)` over every policy document a resource holds: a policy type's `policy`,
    and a role's inline policies (those findings prefixed with the inline policy's name).

    Why one walker: the IAM rules must read the same documents the same way; a role's inline policy that one rule
    skipped would be a road around it.
    """
    findings: list[str] = []
    if args.resource_type in POLICY_DOCUMENTS:
        findings += judge(args.props, ("policy",), get_raw(args.props, "policy"), pending)
    if args.resource_type == IAM_ROLE:
        findings += inline_document_findings(args.props, pending, judge)
    return findings


def inline_document_findings(role_props: Any, pending: Pending, judge: DocumentJudge) -> list[str]:
    """`judge` over a role's inline policies (`inlinePolicies`), each finding prefixed with the policy's name."""
    findings: list[str] = []
    inline = plain(pending.read(role_props, "inlinePolicies"))
    for index, entry in enumerate(inline if isinstance(inline, list) else []):
        if isinstance(entry, Mapping):
            name = entry.get("name") or index
            findings += [f"inline policy {name}: {finding}" for finding in judge(
                role_props, ("inlinePolicies", index, "policy"), entry.get("policy"), pending)]
    return findings
