"""A mock monitor that records every registration the way the engine would store it.

Pulumi's `MockResourceArgs` has no parent, dependencies or options; the raw gRPC request does.
This monitor keeps the whole request and the mock's answer, and builds URNs the way the real
engine does (the root stack is not part of a child's type chain).
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime.mocks import MockMonitor, Mocks
from pulumi.runtime.settings import get_project, get_stack

from connectctl.engine.capture import STACK_TYPE, CapturedResource, as_secrets, struct_to_dict


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

    def _capture(self, urn: str, request: Any, **recorded: Any) -> None:
        """Record the resource at `urn`: its type, name, parent, provider and dependencies as the request (a
        registration or a read) gives them, the rest as `recorded`."""
        self.captured[urn] = CapturedResource(
            urn=urn, type=request.type, name=request.name, parent=request.parent, provider=request.provider,
            dependencies=list(request.dependencies), **recorded)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self._capture(
            response.urn, request,
            custom=bool(request.custom),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            inputs=struct_to_dict(request.object),
            outputs=as_secrets(struct_to_dict(response.object), request.additionalSecretOutputs),
            id=response.id,
            ignore_changes=list(request.ignoreChanges),
        )
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self._capture(
            response.urn, request,
            custom=True,
            protect=False,
            retain_on_delete=False,
            property_dependencies={},
            inputs=struct_to_dict(request.properties),
            outputs=struct_to_dict(response.properties),
            id=request.id,
            external=True,
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn in self.captured:
            self.captured[request.urn].outputs = struct_to_dict(request.outputs)
        return super().RegisterResourceOutputs(request)
