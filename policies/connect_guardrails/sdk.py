"""Every private detail of the Pulumi policy SDK the pack relies on, in one place.

The pack reads resource properties as the engine hands them to a policy: wrapped by
`pulumi_policy.proxy.unknown_checking_proxy`, with values not known yet (preview) standing as sentinel
strings. Neither the sentinels nor the wrapper classes are part of the SDK's public API (the package does
not export them), so each point the pack depends on is listed here, with why, and
`tests/policies/test_sdk.py` fails when an SDK upgrade changes one of them:

1. `UNKNOWN_VALUES`: the sentinels that stand for an unknown value, one per kind (boolean, number, string,
   array, asset, archive, object), as `pulumi_policy.proxy` defines them (`UNKNOWN_STRING_VALUE` is also
   `pulumi.runtime.rpc.UNKNOWN`). Why: a rule must ask "is this value known?" without reading it through the
   wrapper, which would end the policy (point 4) before it reports what it can prove.
2. `PROXY_TYPES`: the names of the wrapper classes (`_DictProxy`, `_ListProxy`). Why: to tell a wrapper from
   a plain value without importing private classes.
3. `TARGET_KEY`: the key (`"__target"`) under which a wrapper hands back the value it wraps, unchecked. Why:
   to read a value that may hold unknowns without raising.
4. Reading an unknown through the wrapper raises `pulumi_policy.proxy.UnknownValueError`, which the engine
   turns into its "can't run policy during preview" note. Why: rules end with such a read when an unknown
   value decides the outcome (`unknowns.Pending`, `unknowns.known`); they never catch the error.
"""

from __future__ import annotations

from typing import Any

UNKNOWN_VALUES = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # UNKNOWN_BOOLEAN_VALUE
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # UNKNOWN_NUMBER_VALUE
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # UNKNOWN_STRING_VALUE (pulumi.runtime.rpc.UNKNOWN)
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # UNKNOWN_ARRAY_VALUE
    "030794c1-ac77-496b-92df-f27374a8bd58",  # UNKNOWN_ASSET_VALUE
    "e48ece36-62e2-4504-bad9-02848725956a",  # UNKNOWN_ARCHIVE_VALUE
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # UNKNOWN_OBJECT_VALUE
})
PROXY_TYPES = frozenset({"_DictProxy", "_ListProxy"})
TARGET_KEY = "__target"


def unwrap(value: Any) -> Any:
    """The plain value behind the SDK's unknown-checking wrapper (unknowns stay as sentinels)."""
    while hasattr(value, "__getitem__") and type(value).__name__ in PROXY_TYPES:
        value = value[TARGET_KEY]
    return value
