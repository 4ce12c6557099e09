"""What the live account must hold, read from the stack's own offline plan (update mode: every value known).

Why from the plan: the roles, their policies and the trail are whatever the program declares; reading them
from the plan means the audit judges the account against the same source `pulumi up` deploys, and a change of
the program (a new statement, a boundary) needs no second copy here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from connectctl.engine.capture import CapturedResource

ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
ATTACHMENTS, INLINE = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", \
    "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
TRAIL = "aws:cloudtrail/trail:Trail"


@dataclass
class ExpectedRole:
    """A role the stack names explicitly, as the program declares it."""

    name: str
    trust: Any
    boundary: str | None
    inline: dict[str, Any] = field(default_factory=dict)  # policy name -> document
    attached: set[str] = field(default_factory=set)  # policy ARNs
    exclusive: bool = False  # the program removes inline policies and attachments made out of band


def document(value: Any) -> Any:
    """A policy document as a comparable value (JSON text or a dict, as AWS and the plan hold it)."""
    if isinstance(value, str):
        try:
            return normalised(json.loads(value))
        except json.JSONDecodeError:
            return value
    return normalised(value)


def normalised(value: Any) -> Any:
    """Lists of one element equal the element, and lists compare as sets: IAM reads both the same way."""
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [normalised(v) for v in value]
        return items[0] if len(items) == 1 else sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def roles(resources: list[CapturedResource]) -> dict[str, ExpectedRole]:
    """Explicitly named roles with their trust, boundary, inline and attached policies."""
    by_id = {r.id: r for r in resources if r.id}
    policy_arns = {r.urn: str(r.outputs.get("arn") or "") for r in resources if r.type == POLICY}
    found: dict[str, ExpectedRole] = {}
    for r in resources:
        if r.type == ROLE and isinstance(r.inputs.get("name"), str):
            found[r.inputs["name"]] = ExpectedRole(
                name=r.inputs["name"], trust=document(r.inputs.get("assumeRolePolicy")),
                boundary=r.inputs.get("permissionsBoundary") or None)

    def role_of(value: Any) -> ExpectedRole | None:
        name = by_id[value].inputs.get("name") if value in by_id and by_id[value].type == ROLE else value
        return found.get(str(name))

    for r in resources:
        if r.type == ROLE_POLICY and (role := role_of(r.inputs.get("role"))) is not None:
            role.inline[str(r.inputs.get("name"))] = document(r.inputs.get("policy"))
        elif r.type == ATTACHMENT and (role := role_of(r.inputs.get("role"))) is not None:
            role.attached.add(str(r.inputs.get("policyArn")))
        elif r.type == ATTACHMENTS and (role := role_of(r.inputs.get("roleName"))) is not None:
            role.attached |= {str(a) for a in r.inputs.get("policyArns") or []}
            role.exclusive = True
        elif r.type == INLINE and (role := role_of(r.inputs.get("roleName"))) is not None:
            role.exclusive = True
    for role in found.values():
        role.attached = {policy_arns.get(a, a) for a in role.attached}
    return found


def trails(resources: list[CapturedResource]) -> list[dict[str, Any]]:
    """The trails the stack declares: their inputs."""
    return [r.inputs for r in resources if r.type == TRAIL]
