"""The SDK internals the pack relies on (`connect_guardrails/sdk.py`) are still what the installed SDK does.

Each test names one point of `sdk.py`; a failure after an SDK upgrade says which point to revisit.
"""

from __future__ import annotations

import pytest
from pulumi.runtime import rpc
from pulumi_policy import proxy

from connect_guardrails import sdk
from connect_guardrails.unknowns import Pending, is_unknown, known, plain

SDK_UNKNOWNS = {
    proxy.UNKNOWN_BOOLEAN_VALUE,
    proxy.UNKNOWN_NUMBER_VALUE,
    proxy.UNKNOWN_STRING_VALUE,
    proxy.UNKNOWN_ARRAY_VALUE,
    proxy.UNKNOWN_ASSET_VALUE,
    proxy.UNKNOWN_ARCHIVE_VALUE,
    proxy.UNKNOWN_OBJECT_VALUE,
}


def test_1_unknown_values_are_the_sdks_sentinels() -> None:
    assert sdk.UNKNOWN_VALUES == SDK_UNKNOWNS
    assert rpc.UNKNOWN == proxy.UNKNOWN_STRING_VALUE  # what the engine sends for an unknown string (an id...)


@pytest.mark.parametrize("sentinel", sorted(sdk.UNKNOWN_VALUES))
def test_1_the_sdk_treats_each_sentinel_as_unknown(sentinel: str) -> None:
    wrapped = proxy.unknown_checking_proxy({"value": sentinel})
    with pytest.raises(proxy.UnknownValueError):
        _ = wrapped["value"]
    assert is_unknown(sdk.unwrap(wrapped)["value"])


def test_2_proxy_type_names_are_the_sdks_wrappers() -> None:
    assert {proxy._DictProxy.__name__, proxy._ListProxy.__name__} == sdk.PROXY_TYPES
    wrapped = proxy.unknown_checking_proxy({"block": {"key": 1}, "items": [1, 2]})
    assert {type(wrapped).__name__, type(wrapped["block"]).__name__, type(wrapped["items"]).__name__} == sdk.PROXY_TYPES


def test_3_target_key_hands_back_the_wrapped_value() -> None:
    props = {"block": {"key": proxy.UNKNOWN_STRING_VALUE}, "items": [proxy.UNKNOWN_NUMBER_VALUE]}
    wrapped = proxy.unknown_checking_proxy(props)  # wraps every level: the target holds wrappers too
    assert isinstance(wrapped[sdk.TARGET_KEY], dict)
    assert sdk.unwrap(wrapped["block"]) == {"key": proxy.UNKNOWN_STRING_VALUE}
    assert sdk.unwrap(wrapped["items"]) == [proxy.UNKNOWN_NUMBER_VALUE]
    assert plain(wrapped) == props


def test_4_reading_an_unknown_through_the_wrapper_raises() -> None:
    wrapped = proxy.unknown_checking_proxy({"known": 1, "block": {"open": proxy.UNKNOWN_BOOLEAN_VALUE}})
    assert known(wrapped, "known") == 1
    with pytest.raises(proxy.UnknownValueError):
        known(wrapped, "block", "open")
    pending = Pending()
    pending.add(wrapped, "block", "open")
    with pytest.raises(proxy.UnknownValueError):
        pending.settle()
