"""Small helpers the rules share: reading values that may be unknown, tags, JSON policies, graph edges.

Values come wrapped by the policy SDK: reading an unknown value through the wrapper raises
`UnknownValueError`, which the engine reports as "can't run policy during preview". These helpers
let a rule ask "is it set?" or "is it known?" without tripping that, and read the value only when
the answer matters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource

UNKNOWN_SENTINELS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
})


def raw(value: Any) -> Any:
    """The plain value behind the SDK's unknown-checking wrapper (unknowns stay as sentinels)."""
    while hasattr(value, "__getitem__") and type(value).__name__ in {"_DictProxy", "_ListProxy"}:
        value = value["__target"]
    return value


def is_unknown(value: Any) -> bool:
    """True when the value (or the wrapper around it) is not known yet."""
    value = raw(value)
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def get_raw(props: Any, key: str, default: Any = None) -> Any:
    """A property's raw value (sentinel if unknown), never raising."""
    target = raw(props)
    if isinstance(target, Mapping):
        return target.get(key, default)
    return default


def is_set(props: Any, key: str) -> bool:
    """The property is present and not empty/None; an unknown value counts as set."""
    value = get_raw(props, key)
    return value not in (None, "", [], {})


def as_list(value: Any) -> list[Any]:
    """Provider inputs arrive JSON-encoded (`'["111111111111"]'`); resource inputs as lists."""
    value = raw(value)
    if isinstance(value, str) and value not in UNKNOWN_SENTINELS:
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [value]
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_policy_document(value: Any) -> dict[str, Any] | None:
    """A JSON policy document from a string or mapping; None when unknown or not JSON."""
    value = raw(value)
    if value is None or is_unknown(value):
        return None
    if isinstance(value, Mapping):
        return dict(value)
    try:
        doc = json.loads(value)
    except (TypeError, json.JSONDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def statements(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A policy document's statements as a list, whatever shape the author used."""
    found = doc.get("Statement", [])
    return [found] if isinstance(found, dict) else [s for s in found if isinstance(s, dict)]


def of_type(resources: Iterable[PolicyResource], *types: str) -> Iterator[PolicyResource]:
    """Resources of the given type tokens."""
    return (r for r in resources if r.resource_type in types)


def deps_of(resource: PolicyResource, prop: str) -> list[PolicyResource]:
    """Resources that fed a property: the engine's property dependencies, known even in preview."""
    return list(resource.property_dependencies.get(prop, []) or [])


def tag(resource_props: Any, key: str) -> Any:
    """One tag value from a resource's `tags` (raw), or None."""
    tags = raw(get_raw(resource_props, "tags"))
    if isinstance(tags, Mapping):
        return tags.get(key)
    return None


def tenant_account(config: Mapping[str, Any] | None, provider_props: Any = None) -> str | None:
    """The tenant account: from the pack config, else the single account the provider is pinned to."""
    if config and config.get("accountId"):
        return str(config["accountId"])
    accounts = as_list(get_raw(provider_props, "allowedAccountIds")) if provider_props is not None else []
    return str(accounts[0]) if len(accounts) == 1 else None
