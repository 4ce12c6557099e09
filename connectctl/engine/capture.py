"""What a run registers, as the engine stores it: `CapturedResource`, and the conversion of the SDK's Structs.

The monitor that records registrations is `connectctl.engine.monitor.CaptureMonitor`; this module holds no
Pulumi import, so the many modules that only read captured resources (reports, diagrams, capacity) load
without the SDK.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectctl.engine.sdk import SECRET_SIG, SECRET_SIG_KEY

if TYPE_CHECKING:
    from google.protobuf import struct_pb2

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class CapturedResource:
    """One resource as the engine records it: identity, graph edges, options, inputs and outputs."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    external: bool = False
    ignore_changes: list[str] = field(default_factory=list)


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    """`json_format.MessageToDict` of a `Struct`, the same values in the same order, about twice as fast.

    Why: the capture converts two Structs per registration (inputs and the mock's answer), and the
    generic printer looks up field descriptors for every value; a Struct holds six kinds of values only.
    Numbers stay floats and a NaN or infinite number is refused, as `MessageToDict` does.
    """
    fields = struct.fields
    return {key: _value(fields[key]) for key in fields}


def _value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return struct_to_dict(value.struct_value)
    if kind == "list_value":
        return [_value(item) for item in value.list_value.values]
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number) or math.isnan(number):
            raise ValueError(f"Fail to serialize {number} for Value.number_value")
        return number
    return None  # null_value, or no kind set


def as_secrets(outputs: dict[str, Any], names: Any) -> dict[str, Any]:
    """Mark the outputs a registration declared secret, as the engine stores them."""
    secret = set(names)
    return {k: {SECRET_SIG_KEY: SECRET_SIG, "value": v} if k in secret else v for k, v in outputs.items()}
