"""The capture's Struct conversion: exactly what `json_format.MessageToDict` gives."""

from __future__ import annotations

import math

import pytest
from google.protobuf import json_format, struct_pb2

from connectctl.engine.capture import struct_to_dict


def typed(value: object) -> object:
    """The value with every leaf's type and every mapping's key order, so 1 and 1.0 differ."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, value)


def test_same_values_types_and_order_as_message_to_dict() -> None:
    struct = struct_pb2.Struct()
    struct.update({"b": 1, "a": 1.5, "n": None, "l": [1, "x", {"y": True, "z": []}, None, [2.0]], "e": {},
                   "s": "", "t": False, "g": -0.0, "big": 2.0 ** 60, "u": "é\u2028"})
    struct.fields["unset"].CopyFrom(struct_pb2.Value())  # no kind at all: null, as MessageToDict has it
    assert typed(struct_to_dict(struct)) == typed(json_format.MessageToDict(struct))
    assert struct_to_dict(struct_pb2.Struct()) == {} == json_format.MessageToDict(struct_pb2.Struct())


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_numbers_json_cannot_hold_are_refused_like_message_to_dict(number: float) -> None:
    struct = struct_pb2.Struct()
    struct.update({"deep": [{"x": number}]})
    with pytest.raises(ValueError):
        json_format.MessageToDict(struct)
    with pytest.raises(ValueError):
        struct_to_dict(struct)
