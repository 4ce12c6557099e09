"""Captured resources as Pulumi writes them into a state export: the input `connectctl check --state` reads."""

from __future__ import annotations

from typing import Any

from connectctl.engine.capture import CapturedResource


def as_state_resource(r: CapturedResource) -> dict[str, Any]:
    """A captured resource as `pulumi stack export` writes it (apitype ResourceV3)."""
    doc: dict[str, Any] = {"urn": r.urn, "custom": r.custom, "type": r.type, "inputs": r.inputs,
                           "outputs": r.outputs, "protect": r.protect, "dependencies": r.dependencies,
                           "propertyDependencies": r.property_dependencies}
    for key, value in (("id", r.id), ("parent", r.parent), ("provider", r.provider),
                       ("retainOnDelete", r.retain_on_delete), ("external", r.external),
                       ("ignoreChanges", r.ignore_changes)):
        if value:
            doc[key] = value
    return doc


def export_doc(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """`pulumi stack export` around `resources`."""
    return {"version": 3, "deployment": {
        "manifest": {"time": "2026-11-27T00:00:00Z", "magic": "0" * 64, "version": "v3.272.0"},
        "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:x"}},
        "resources": resources,
    }}
