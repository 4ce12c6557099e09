"""Helpers the ECS and IAM rules share: container definitions, ECS names, IAM policy statements.

`containerDefinitions` is a JSON string. Built from other resources' outputs it is unknown in
preview as a whole; then nothing about the containers can be said, and the rules record it with
`Pending` (a deciding unknown) after reporting what they can prove from the other inputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from connect_guardrails.util import Pending, get_raw, is_unknown, plain, unknown_path

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/(.+)$")


def containers(args: ResourceValidationArgs, pending: Pending) -> list[dict[str, Any]] | None:
    """The task definition's containers, parsed from `containerDefinitions`.

    None when the value is unknown (recorded in `pending`), absent or not a JSON list (the provider
    rejects that); non-object entries are dropped.
    """
    return containers_of(args.props, pending)


def containers_of(props: Any, pending: Pending) -> list[dict[str, Any]] | None:
    """`containers` for a task definition's properties (a stack policy's `PolicyResource.props`)."""
    value = get_raw(props, "containerDefinitions")
    if is_unknown(value):
        pending.add(props, "containerDefinitions")
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    value = plain(value)
    if not isinstance(value, list):
        return None
    return [dict(c) for c in value if isinstance(c, Mapping)]


def container_label(container: Mapping[str, Any], index: int) -> str:
    """`container 'app'`, or `container #2` when it has no name."""
    name = container.get("name")
    return f"container '{name}'" if isinstance(name, str) and name else f"container #{index + 1}"


def cluster_name_of(value: Any) -> str | None:
    """The cluster name in a service's `cluster` value (a name or a cluster ARN); None when not known."""
    if not isinstance(value, str) or not value or is_unknown(value):
        return None
    match = CLUSTER_ARN.match(value)
    return match.group(1) if match else value


def values_of(value: Any) -> list[Any]:
    """A policy field (`Action`, `Resource`, a principal kind...) as a list, one string or many."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statement_entries(doc: Mapping[str, Any]) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, statement) for each statement of a document, paths relative to the document."""
    found = doc.get("Statement")
    if isinstance(found, Mapping):
        return [(("Statement",), found)]
    if isinstance(found, list):
        return [(("Statement", index), item) for index, item in enumerate(found)]
    return []


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


def read_document(props: Any, path: tuple[Any, ...], value: Any, pending: Pending) -> dict[str, Any] | None:
    """A policy document at `props[path]` (JSON string or object form); unknown: recorded, None.

    An object-form document whose `Statement` itself is unknown is recorded too; unknowns inside
    statements are left to the caller, which knows which keys decide.
    """
    value = plain(value)
    if value in (None, ""):
        return None
    if is_unknown(value):
        pending.add(props, *path)
        return None
    if isinstance(value, Mapping):
        if is_unknown(value.get("Statement")):
            pending.add(props, *path, "Statement")
            return None
        return dict(value)
    try:
        doc = json.loads(value)
    except (TypeError, json.JSONDecodeError):
        return None  # not a JSON policy: the provider rejects it
    return doc if isinstance(doc, dict) else None


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
        inline = plain(get_raw(args.props, "inlinePolicies"))
        if is_unknown(inline):
            pending.add(args.props, "inlinePolicies")
        for index, entry in enumerate(inline if isinstance(inline, list) else []):
            if isinstance(entry, Mapping):
                name = entry.get("name") or index
                findings += [f"inline policy {name}: {finding}" for finding in judge(
                    args.props, ("inlinePolicies", index, "policy"), entry.get("policy"), pending)]
    return findings
