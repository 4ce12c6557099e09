"""A small, honest IAM policy evaluator for the tests: identity policies, optionally a permissions boundary.

It implements the part of AWS's evaluation logic that decides the requests the tests ask about
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
- an explicit Deny in any policy wins; otherwise an Allow is needed; otherwise the request is implicitly denied;
- with a permissions boundary, the boundary must allow the request too (and its Deny wins as well)
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html);
- `Action`/`NotAction` with `*` and `?` wildcards, case-insensitive; `Resource`/`NotResource` with wildcards,
  case-sensitive, the first five ARN fields matched one by one and the resource part as a whole;
- conditions: every operator of a statement must hold, every key of an operator must hold, any value of a key
  may match. Operators: StringEquals/NotEquals/Like/NotLike, ArnEquals/NotEquals/Like/NotLike, Bool, Null,
  the `ForAnyValue:`/`ForAllValues:` set prefixes and the `IfExists` suffix
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
  A key missing from the request makes a positive operator false and a negated one true (as IAM does);
  `ForAnyValue` over a missing key is false, `ForAllValues` true; `IfExists` is true when the key is missing.

What it does not model (and refuses rather than guesses): policy variables (`${aws:username}`), other
operators (Numeric*, Date*, IpAddress, BinaryEquals...), resource-based policies, SCPs and session policies.
Condition keys are matched case-insensitively, values case-sensitively.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["Allow", "Deny", "ImplicitDeny"]
ContextValue = str | bool | Sequence[str]


@dataclass(frozen=True)
class Request:
    """One API call as IAM authorizes it: the action, the resource ARN and the request context's keys."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


class UnsupportedPolicy(ValueError):
    """The policy uses something this evaluator does not model: the test must not trust its answer."""


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = policy.get("Statement", [])
    return [found] if isinstance(found, Mapping) else list(found)


def _glob(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """IAM wildcards: `*` any run of characters (`/` included), `?` one character; nothing else is special."""
    if "${" in pattern:
        raise UnsupportedPolicy(f"policy variable in {pattern!r}")
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL | (0 if case_sensitive else re.IGNORECASE)) is not None


def action_matches(pattern: str, action: str) -> bool:
    """`s3:Get*` matches `s3:GetObject`; service and verb are case-insensitive."""
    return _glob(pattern, action, case_sensitive=False)


def resource_matches(pattern: str, arn: str) -> bool:
    """`*` matches everything; otherwise partition, service, region, account and resource match field by field."""
    if pattern == "*":
        return True
    wanted, given = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != 6 or len(given) != 6:
        return _glob(pattern, arn, case_sensitive=True)
    return all(_glob(w, g, case_sensitive=True) for w, g in zip(wanted, given, strict=True))


def _lookup(context: Mapping[str, ContextValue], key: str) -> ContextValue | None:
    lowered = {k.lower(): v for k, v in context.items()}
    return lowered.get(key.lower())


def _compare(base: str, expected: str, given: str) -> bool:
    """One value of the request against one value of the condition, for a positive operator."""
    if base == "StringEquals":
        return given == expected
    if base == "StringLike":
        return _glob(expected, given, case_sensitive=True)
    if base == "ArnEquals":
        return given == expected
    if base == "ArnLike":
        return resource_matches(expected, given)
    if base == "Bool":
        return str(given).lower() == str(expected).lower()
    raise UnsupportedPolicy(f"condition operator {base}")


POSITIVE = {"StringEquals": "StringEquals", "StringLike": "StringLike", "ArnEquals": "ArnEquals",
            "ArnLike": "ArnLike", "Bool": "Bool", "StringNotEquals": "StringEquals", "StringNotLike": "StringLike",
            "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}
NEGATED = {"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"}


def _operator_holds(operator: str, key: str, expected: Any, context: Mapping[str, ContextValue]) -> bool:
    """One key of one operator (any of the expected values may match)."""
    prefix, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    given = _lookup(context, key)
    expected_values = [str(v) if isinstance(v, bool) else v for v in _values(expected)]
    if name == "Null":
        missing = given is None
        return any(missing == (str(v).lower() == "true") for v in expected_values)
    if name not in POSITIVE:
        raise UnsupportedPolicy(f"condition operator {operator}")
    base, negated = POSITIVE[name], name in NEGATED
    if given is None:
        if prefix == "ForAnyValue":
            return False
        if prefix == "ForAllValues" or if_exists:
            return True
        return negated
    if prefix:
        if prefix not in ("ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicy(f"set operator {prefix}")
        members = [str(v) for v in _values(given)]

        def member_holds(member: str) -> bool:
            hit = any(_compare(base, str(v), member) for v in expected_values)
            return not hit if negated else hit

        return any(map(member_holds, members)) if prefix == "ForAnyValue" else all(map(member_holds, members))
    if isinstance(given, list | tuple):
        raise UnsupportedPolicy(f"single-valued operator {operator} on the multivalued key {key}")
    hit = any(_compare(base, str(v), str(given)) for v in expected_values)
    return not hit if negated else hit


def conditions_hold(condition: Mapping[str, Mapping[str, Any]] | None, context: Mapping[str, ContextValue]) -> bool:
    """Every operator, every key: true; no condition: true."""
    return all(_operator_holds(operator, key, expected, context)
               for operator, keys in (condition or {}).items() for key, expected in keys.items())


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Action, resource and condition all match the request."""
    if "Principal" in statement or "NotPrincipal" in statement:
        raise UnsupportedPolicy("a resource-based policy statement (Principal)")
    if "Action" in statement:
        action_hit = any(action_matches(p, request.action) for p in _values(statement["Action"]))
    else:
        action_hit = not any(action_matches(p, request.action) for p in _values(statement["NotAction"]))
    if not action_hit:
        return False
    if "Resource" in statement:
        resource_hit = any(resource_matches(p, request.resource) for p in _values(statement["Resource"]))
    else:
        resource_hit = not any(resource_matches(p, request.resource) for p in _values(statement["NotResource"]))
    return resource_hit and conditions_hold(statement.get("Condition"), request.context)


def decide(policies: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """The identity policies' decision: Deny (explicit) beats Allow beats ImplicitDeny."""
    allowed = False
    for policy in policies:
        for statement in _statements(policy):
            if not statement_applies(statement, request):
                continue
            if statement["Effect"] == "Deny":
                return "Deny"
            allowed = allowed or statement["Effect"] == "Allow"
    return "Allow" if allowed else "ImplicitDeny"


def is_allowed(policies: Iterable[Mapping[str, Any]], request: Request,
               boundary: Mapping[str, Any] | None = None) -> bool:
    """The request succeeds: the identity policies allow it and, with a boundary, the boundary allows it too."""
    if decide(policies, request) != "Allow":
        return False
    return boundary is None or decide([boundary], request) == "Allow"


# --- reading a role's policies from a plan (connectctl's JSON form) ------------------------------------------


def role_documents(plan: Mapping[str, Any], role_name: str,
                   aws_managed: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every policy document of a role as the plan declares it: its inline policies (`RolePolicy`), and the
    managed policies its exclusive attachment lists, the stack's own (`aws:iam/policy:Policy`, by name) and,
    when `aws_managed` maps their names to documents, AWS's. An AWS managed policy not in `aws_managed` is an
    error: a test must not evaluate a role with a policy it cannot see."""
    resources = plan["resources"]
    docs: list[dict[str, Any]] = [json.loads(r["inputs"]["policy"]) for r in resources
                                  if r["type"] == "aws:iam/rolePolicy:RolePolicy" and r["inputs"]["role"] == role_name]
    own = {r["inputs"]["name"]: json.loads(r["inputs"]["policy"]) for r in resources
           if r["type"] == "aws:iam/policy:Policy"}
    for exclusive in resources:
        if exclusive["type"] != "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive" \
                or exclusive["inputs"]["roleName"] != role_name:
            continue
        for arn in exclusive["inputs"]["policyArns"]:
            name = arn.rsplit("/", 1)[-1]
            if ":iam::aws:policy/" in arn:
                if aws_managed is None or name not in aws_managed:
                    raise UnsupportedPolicy(f"{role_name} holds {arn}, whose document the test does not have")
                docs.append(dict(aws_managed[name]))
            else:
                docs.append(own[name])
    return docs
