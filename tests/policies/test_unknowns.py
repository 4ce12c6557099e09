"""`Pending.read`, the rules' one-property read: the value, and the unknown it needs recorded in reading order."""

from __future__ import annotations

import pytest
from pulumi_policy import proxy

from connect_guardrails.unknowns import Pending, is_known, is_unknown

UNKNOWN = proxy.UNKNOWN_STRING_VALUE
PROPS = proxy.unknown_checking_proxy({
    "name": "ledger",
    "mode": UNKNOWN,
    "settings": [{"name": "containerInsights", "value": UNKNOWN}, {"name": "x", "value": "on"}],
    "nested": {"inner": {"leaf": 3}},
})


def test_a_known_value_is_returned_and_nothing_is_recorded() -> None:
    pending = Pending()
    assert pending.read(PROPS, "name") == "ledger"
    assert pending.read(PROPS, "nested", "inner", "leaf") == 3
    assert pending.read(PROPS, "settings", 1, "value") == "on"
    assert not pending
    pending.settle()  # nothing to read: no error


@pytest.mark.parametrize("path", [("absent",), ("nested", "absent", "leaf"), ("settings", 7, "value"),
                                  ("settings", "0"), ("name", "deeper")])
def test_an_absent_value_is_none_and_counts_as_known(path: tuple[object, ...]) -> None:
    pending = Pending()
    assert pending.read(PROPS, *path) is None
    assert is_known(None) and not pending


def test_an_unknown_is_returned_as_the_sentinel_and_recorded_in_reading_order() -> None:
    pending = Pending()
    first = pending.read(PROPS, "settings", 0, "value")
    second = pending.read(PROPS, "mode")
    assert is_unknown(first) and is_unknown(second) and not is_known(first)
    assert [path for _, path in pending._reads] == [("settings", 0, "value"), ("mode",)]
    with pytest.raises(proxy.UnknownValueError):  # settle reads them through the wrapper: the engine's note
        pending.settle()


def test_a_path_through_an_unknown_records_the_unknown_value_not_its_parent() -> None:
    pending = Pending()
    assert pending.read(PROPS, "mode", "deeper") is None  # an unknown has no keys: nothing below it is read
    assert not pending
