"""A mock monitor that records every registration the way the engine would store it.

Pulumi's `MockResourceArgs` has no parent, dependencies or options; the raw gRPC request does.
This monitor keeps the whole request and the mock's answer, and builds URNs the way the real
engine does (the root stack is not part of a child's type chain).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor, Mocks
from pulumi.runtime.settings import get_project, get_stack

STACK_TYPE = "pulumi:pulumi:Stack"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


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


def _as_secrets(outputs: dict[str, Any], names: Any) -> dict[str, Any]:
    """Mark the outputs a registration declared secret, as the engine stores them."""
    secret = set(names)
    return {k: {SECRET_SIG_KEY: SECRET_SIG, "value": v} if k in secret else v for k, v in outputs.items()}


class CaptureMonitor(MockMonitor):
    """`MockMonitor` that records registrations, reads and registered outputs in order."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.captured: dict[str, CapturedResource] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """Engine URNs: `urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>`, stack excluded."""
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                type_ = f"{parent_type}${type_}"
        return f"urn:pulumi:{get_stack()}::{get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.captured[response.urn] = CapturedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            provider=request.provider,
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            inputs=json_format.MessageToDict(request.object),
            outputs=_as_secrets(json_format.MessageToDict(response.object) if response.object else {},
                                request.additionalSecretOutputs),
            id=response.id,
            ignore_changes=list(request.ignoreChanges),
        )
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self.captured[response.urn] = CapturedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=True,
            parent=request.parent,
            provider=request.provider,
            protect=False,
            retain_on_delete=False,
            dependencies=list(request.dependencies),
            property_dependencies={},
            inputs=json_format.MessageToDict(request.properties),
            outputs=json_format.MessageToDict(response.properties),
            id=request.id,
            external=True,
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn in self.captured:
            self.captured[request.urn].outputs = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)
